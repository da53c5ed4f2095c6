#include "duet/continuity/agent_state.hpp"

namespace duet::continuity {

namespace {
constexpr std::string_view kPrefix = "agent/";
using nlohmann::json;

json fields(const AgentState& s) {
  json j = {{"login", s.login}, {"logged_in", s.logged_in}, {"ready", s.ready}, {"since_ms", s.since_ms}};
  const auto opt = [&j](const char* k, const std::string& v) {
    if (!v.empty()) j[k] = v;
  };
  opt("site", s.site);
  opt("place", s.place);
  opt("dn", s.dn);
  opt("reason", s.reason);
  opt("home_site", s.home_site);
  opt("handoff_to", s.handoff_to);
  if (!s.handoff_to.empty()) j["handoff_ready"] = s.handoff_ready;
  if (s.relogged) j["relogged"] = true;
  return j;
}

template <class T>
bool read(const json& j, const char* k, T& out) {
  const auto it = j.find(k);
  if (it == j.end()) return true;  // optional: the default stays
  if constexpr (std::is_same_v<T, bool>) {
    if (!it->is_boolean()) return false;
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!it->is_string()) return false;
  } else {
    if (!it->is_number_unsigned()) return false;
  }
  out = it->get<T>();
  return true;
}

}  // namespace

std::string agent_key(std::string_view login) {
  std::string k(kPrefix);
  k.append(login);
  return k;
}

std::optional<std::string> login_of_key(std::string_view key) {
  if (key.size() <= kPrefix.size() || key.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  return std::string(key.substr(kPrefix.size()));
}

std::string encode(const AgentState& s) {
  return fields(s).dump();
}

std::optional<AgentState> decode(std::string_view login, std::string_view payload) {
  const auto j = json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  AgentState s;
  if (!read(j, "login", s.login) || s.login != login) return std::nullopt;
  const bool ok = read(j, "logged_in", s.logged_in) && read(j, "ready", s.ready) &&
                  read(j, "since_ms", s.since_ms) && read(j, "site", s.site) && read(j, "place", s.place) &&
                  read(j, "dn", s.dn) && read(j, "reason", s.reason) && read(j, "home_site", s.home_site) &&
                  read(j, "handoff_to", s.handoff_to) && read(j, "handoff_ready", s.handoff_ready) &&
                  read(j, "relogged", s.relogged);
  if (!ok) return std::nullopt;
  // A logged-in state names where; a logged-out one is never Ready.
  if (s.logged_in && (s.site.empty() || s.dn.empty())) return std::nullopt;
  if (!s.logged_in && s.ready) return std::nullopt;
  return s;
}

json to_json(const AgentState& s) {
  json j = fields(s);
  j["state"] = !s.logged_in ? "logged_out" : s.ready ? "ready" : "not_ready";
  return j;
}

}  // namespace duet::continuity
