#include "duet/api/router.hpp"

#include <cctype>
#include <nlohmann/json.hpp>
#include <optional>

#include "continuity_routes.hpp"
#include "duet/agents/json_codec.hpp"
#include "route_util.hpp"

namespace duet::api {

namespace {

using agents::Kind;
using detail::dump;
using detail::from_error;
using detail::json_response;
using detail::method_not_allowed;
using nlohmann::json;

constexpr std::string_view kConfigPrefix = "/api/v1/config/";

struct Collection {
  std::string_view name;
  Kind kind;
};
constexpr Collection kCollections[] = {
    {"dns", Kind::dn}, {"places", Kind::place}, {"users", Kind::user}, {"agent-logins", Kind::login}};

// Equal-time comparison: the token's characters must not leak through response timing.
bool same_secret(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

json binding_json(const BindingInfo& b) {
  json j = {{"site", b.site},
            {"aor", b.aor},
            {"contact", b.contact},
            {"expires", b.expires},
            {"received", b.received},
            {"transport", b.transport},
            {"user_agent", b.user_agent},
            {"reachable", b.reachable}};
  if (!b.mode.empty()) {
    j["mode"] = b.mode;
    j["flagged"] = b.flagged;
    if (!b.profile.empty()) j["profile"] = b.profile;
  }
  return j;
}

}  // namespace

bool percent_decode(std::string_view in, bool plus_is_space, std::string& out) {
  out.clear();
  out.reserve(in.size());
  const auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      const int h = hex(in[i + 1]), l = hex(in[i + 2]);
      if (h < 0 || l < 0) return false;
      out += static_cast<char>(h * 16 + l);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return true;
}

std::string query_param(std::string_view query, std::string_view key, bool* bad) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const auto eq = pair.find('=');
    std::string k;
    if (!percent_decode(pair.substr(0, eq), true, k)) {
      if (bad) *bad = true;
      continue;
    }
    if (k != key) continue;
    std::string v;
    if (eq != std::string_view::npos && !percent_decode(pair.substr(eq + 1), true, v)) {
      if (bad) *bad = true;
      return {};
    }
    return v;
  }
  return {};
}

bool Router::authorized(const HttpRequest& req) const {
  if (token_.empty()) return true;
  constexpr std::string_view kBearer = "Bearer ";
  std::string_view h = req.authorization;
  if (h.size() < kBearer.size()) return false;
  for (std::size_t i = 0; i < kBearer.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(h[i])) !=
        std::tolower(static_cast<unsigned char>(kBearer[i])))
      return false;
  }
  return same_secret(h.substr(kBearer.size()), token_);
}

void Router::handle(const HttpRequest& req, Reply reply) {
  const std::string_view path = req.path;
  if (path == "/healthz") {
    if (req.method != "GET") return reply(method_not_allowed("GET"));
    return reply(json_response(200, {{"status", "ok"}, {"site", ctx_.agents().site()}}));
  }
  if (!authorized(req)) {
    auto r = error_response(401, token_.empty() ? "unauthorized" : "missing or wrong bearer token");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return reply(std::move(r));
  }
  if (path == "/api/v1/registrations") {
    if (req.method != "GET") return reply(method_not_allowed("GET"));
    bool bad = false;
    const std::string aor = query_param(req.query, "aor", &bad);
    if (bad) return reply(error_response(400, "malformed percent-encoding in the query"));
    ctx_.registrations(aor, [reply = std::move(reply)](std::vector<BindingInfo> bindings) {
      json list = json::array();
      for (const auto& b : bindings) list.push_back(binding_json(b));
      reply(json_response(200, {{"count", bindings.size()}, {"registrations", std::move(list)}}));
    });
    return;
  }
  if (path == "/api/v1/peer") {
    if (req.method != "GET") return reply(method_not_allowed("GET"));
    const auto p = ctx_.peer();
    return reply(json_response(200, {{"state", p.state},
                                     {"peer_site", p.peer_site},
                                     {"last_sync_unix_ms", p.last_sync_unix_ms},
                                     {"whole", p.whole},
                                     {"lag_versions", p.lag_versions},
                                     {"lag_ms", p.lag_ms},
                                     {"queue_depth", p.queue_depth},
                                     {"queue_full", p.queue_full},
                                     {"tls", p.tls},
                                     {"last_refusal", p.last_refusal}}));
  }
  if (path == "/api/v1/stats") {
    if (req.method != "GET") return reply(method_not_allowed("GET"));
    auto j = ctx_.stats();
    if (j.is_null()) return reply(error_response(503, "no statistics in this build"));
    return reply(json_response(200, std::move(j)));
  }
  if (path == "/api/v1/events") {
    if (req.method != "GET") return reply(method_not_allowed("GET"));
    if (!ctx_.events()) return reply(error_response(503, "the event stream is not available"));
    bool bad = false;
    const std::string types = query_param(req.query, "types", &bad);
    if (bad) return reply(error_response(400, "malformed percent-encoding in the query"));
    HttpResponse r;
    r.stream = true;
    std::string_view rest = types;  // "agent,peer"; absent or empty: every type
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      const auto name = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      if (name.empty() || (comma != std::string_view::npos && rest.empty()))
        return reply(error_response(400, "empty event type in 'types'"));
      if (!EventHub::known_type(name)) {
        std::string known;
        for (const auto t : EventHub::kTypes) known += (known.empty() ? "" : ", ") + std::string(t);
        return reply(
            error_response(400, "unknown event type '" + std::string(name) + "' (known: " + known + ")"));
      }
      r.stream_types.emplace_back(name);
    }
    return reply(std::move(r));
  }
  if (path.substr(0, kConfigPrefix.size()) == kConfigPrefix) {
    return reply(config_route(req, path.substr(kConfigPrefix.size())));
  }
  if (auto r = continuity_route(ctx_, req)) return reply(std::move(*r));
  reply(error_response(404, "no such resource: " + req.path));
}

HttpResponse Router::config_route(const HttpRequest& req, std::string_view rest) {
  const auto slash = rest.find('/');
  const auto coll_name = rest.substr(0, slash);
  const Collection* coll = nullptr;
  for (const auto& c : kCollections) {
    if (c.name == coll_name) coll = &c;
  }
  if (!coll) return error_response(404, "no such collection: " + std::string(coll_name));
  auto& model = ctx_.agents();
  const Kind kind = coll->kind;

  const auto parse_body = [&](std::optional<agents::Object>& out) -> std::optional<HttpResponse> {
    const auto j = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return error_response(400, "the body is not valid JSON");
    auto parsed = agents::from_json(kind, j);
    if (auto* e = std::get_if<agents::Error>(&parsed)) return from_error(*e);
    out = std::move(std::get<agents::Object>(parsed));
    return std::nullopt;
  };

  if (slash == std::string_view::npos || slash + 1 == rest.size()) {  // the collection
    if (req.method == "GET") {
      json list = json::array();
      for (const auto& [id, e] : model.table(kind)) list.push_back(agents::to_json(e.object));
      return json_response(200, {{std::string(coll->name), std::move(list)}});
    }
    if (req.method == "POST") {
      std::optional<agents::Object> obj;
      if (auto err = parse_body(obj)) return *err;
      const std::string id = agents::id_of(*obj);
      if (auto err = model.create(std::move(*obj))) return from_error(*err);
      auto r = json_response(201, agents::to_json(model.find(kind, id)->object));
      r.headers.emplace_back("Location", std::string(kConfigPrefix) + std::string(coll->name) + "/" + id);
      return r;
    }
    return method_not_allowed("GET, POST");
  }

  std::string id;
  const auto raw_id = rest.substr(slash + 1);
  if (raw_id.find('/') != std::string_view::npos) return error_response(404, "no such resource: " + req.path);
  if (!percent_decode(raw_id, false, id))
    return error_response(400, "malformed percent-encoding in the path");

  if (req.method == "GET") {
    const auto* e = model.find(kind, id);
    if (!e)
      return error_response(404, std::string(agents::kind_label(kind)) + " '" + id + "' does not exist");
    return json_response(200, agents::to_json(e->object));
  }
  if (req.method == "PUT") {
    // The id comes from the path; a body that names another one is refused rather than renaming.
    auto j = json::parse(req.body, nullptr, false);
    if (j.is_discarded()) return error_response(400, "the body is not valid JSON");
    if (j.is_object()) {
      const char* id_field = kind == Kind::dn      ? "number"
                             : kind == Kind::place ? "name"
                             : kind == Kind::user  ? "id"
                                                   : "code";
      if (!j.contains(id_field)) j[id_field] = id;
      if (!j[id_field].is_string() || j[id_field].get<std::string>() != id) {
        return error_response(400,
                              std::string("'") + id_field + "' in the body differs from the id in the path");
      }
    }
    auto parsed = agents::from_json(kind, j);
    if (auto* e = std::get_if<agents::Error>(&parsed)) return from_error(*e);
    if (auto err = model.update(std::move(std::get<agents::Object>(parsed)))) return from_error(*err);
    return json_response(200, agents::to_json(model.find(kind, id)->object));
  }
  if (req.method == "DELETE") {
    if (auto err = model.remove(kind, id)) return from_error(*err);
    HttpResponse r;
    r.status = 204;
    return r;
  }
  return method_not_allowed("GET, PUT, DELETE");
}

}  // namespace duet::api
