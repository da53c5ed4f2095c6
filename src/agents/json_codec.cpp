#include "duet/agents/json_codec.hpp"

#include <initializer_list>
#include <set>
#include <string_view>

namespace duet::agents {

namespace {

using nlohmann::json;

Error invalid(std::string field, std::string message) {
  return Error{ErrorCode::invalid, std::move(field), std::move(message)};
}

// Collects the first error while reading fields, so each read stays one line.
class Fields {
 public:
  Fields(const json& j, std::initializer_list<std::string_view> known) : j_(j) {
    for (const auto& [k, v] : j.items()) {
      bool ok = false;
      for (auto n : known) ok = ok || n == k;
      if (!ok && !err_) err_ = invalid(k, "unknown field '" + k + "'");
    }
  }

  void id(const char* name, std::string& out) {
    str(name, out, true);
    if (err_) return;
    if (!valid_id(out)) {
      err_ = invalid(name,
                     std::string("'") + name + "' must be 1 to 64 characters of A-Z a-z 0-9 . _ + * # @ -");
    }
  }

  // An optional reference to another object: empty or a valid id.
  void ref(const char* name, std::string& out) {
    str(name, out, false);
    if (!err_ && !out.empty() && !valid_id(out))
      err_ = invalid(name, std::string("'") + name + "' is not a valid id");
  }

  void str(const char* name, std::string& out, bool required) {
    if (err_) return;
    const auto it = j_.find(name);
    if (it == j_.end()) {
      if (required) err_ = invalid(name, std::string("missing field '") + name + "'");
      return;
    }
    if (!it->is_string()) {
      err_ = invalid(name, std::string("'") + name + "' must be a string");
      return;
    }
    out = it->get<std::string>();
    if (out.size() > 256) err_ = invalid(name, std::string("'") + name + "' is longer than 256 characters");
  }

  void id_list(const char* name, std::vector<std::string>& out) {
    if (err_) return;
    const auto it = j_.find(name);
    if (it == j_.end()) return;
    if (!it->is_array()) {
      err_ = invalid(name, std::string("'") + name + "' must be an array of strings");
      return;
    }
    std::set<std::string> seen;
    for (std::size_t i = 0; i < it->size(); ++i) {
      const auto& e = (*it)[i];
      const std::string field = std::string(name) + "[" + std::to_string(i) + "]";
      if (!e.is_string() || !valid_id(e.get<std::string>())) {
        err_ = invalid(field, "'" + field + "' is not a valid id");
        return;
      }
      if (!seen.insert(e.get<std::string>()).second) {
        err_ = invalid(field, "'" + e.get<std::string>() + "' is listed twice in '" + name + "'");
        return;
      }
      out.push_back(e.get<std::string>());
    }
  }

  template <class E, class Parse>
  void enumeration(const char* name, E& out, Parse parse, const char* allowed) {
    std::string s;
    str(name, s, false);
    if (err_ || s.empty()) return;
    if (auto v = parse(s)) {
      out = *v;
    } else {
      err_ = invalid(name, std::string("'") + name + "' must be one of " + allowed + ", not '" + s + "'");
    }
  }

  void fail(Error e) {
    if (!err_) err_ = std::move(e);
  }
  const std::optional<Error>& error() const { return err_; }

 private:
  const json& j_;
  std::optional<Error> err_;
};

}  // namespace

json to_json(const Object& o) {
  switch (kind_of(o)) {
    case Kind::dn: {
      const auto& d = std::get<Dn>(o);
      json j{{"number", d.number}, {"type", to_string(d.type)}, {"mode", to_string(d.mode)}};
      if (!d.forward.empty()) j["forward"] = d.forward;
      return j;
    }
    case Kind::place: {
      const auto& p = std::get<Place>(o);
      return {{"name", p.name}, {"dns", p.dns}};
    }
    case Kind::user: {
      const auto& u = std::get<User>(o);
      return {{"id", u.id}, {"name", u.name}};
    }
    case Kind::login: {
      const auto& l = std::get<AgentLogin>(o);
      json j{{"code", l.code}, {"user", l.user}};
      if (!l.place.empty()) j["place"] = l.place;
      if (!l.dn.empty()) j["dn"] = l.dn;
      if (!l.peer_dn.empty()) j["peer_dn"] = l.peer_dn;
      return j;
    }
  }
  return nullptr;
}

std::variant<Object, Error> from_json(Kind k, const json& j) {
  if (!j.is_object())
    return invalid("", std::string("a ") + std::string(kind_label(k)) + " must be a JSON object");
  switch (k) {
    case Kind::dn: {
      Dn d;
      Fields f(j, {"number", "type", "mode", "forward"});
      f.id("number", d.number);
      f.enumeration("type", d.type, parse_dn_type, "extension, acd_queue, cpp");
      f.enumeration("mode", d.mode, parse_mode, "single, dual, active-backup, auto");
      f.str("forward", d.forward, false);
      if (f.error()) return *f.error();
      if (!d.forward.empty() && d.forward != "off" && d.forward != "no-agent" && d.forward != "oos")
        return invalid("forward", "'forward' must be one of off, no-agent, oos");
      return Object{d};
    }
    case Kind::place: {
      Place p;
      Fields f(j, {"name", "dns"});
      f.id("name", p.name);
      f.id_list("dns", p.dns);
      if (f.error()) return *f.error();
      return Object{p};
    }
    case Kind::user: {
      User u;
      Fields f(j, {"id", "name"});
      f.id("id", u.id);
      f.str("name", u.name, false);
      if (f.error()) return *f.error();
      return Object{u};
    }
    case Kind::login: {
      AgentLogin l;
      Fields f(j, {"code", "user", "place", "dn", "peer_dn"});
      f.id("code", l.code);
      f.id("user", l.user);
      f.ref("place", l.place);
      f.ref("dn", l.dn);
      f.ref("peer_dn", l.peer_dn);
      if (!l.peer_dn.empty() && l.dn.empty())
        f.fail(invalid("peer_dn", "'peer_dn' needs 'dn' (the preferred Extension DN)"));
      if (!l.dn.empty() && l.dn == l.peer_dn) f.fail(invalid("peer_dn", "'peer_dn' must differ from 'dn'"));
      if (f.error()) return *f.error();
      return Object{l};
    }
  }
  return invalid("", "unknown kind");
}

}  // namespace duet::agents
