#include "continuity_routes.hpp"

#include <chrono>
#include <nlohmann/json.hpp>

#include "duet/api/router.hpp"
#include "duet/continuity/agent_board.hpp"
#include "duet/continuity/registration_modes.hpp"
#include "route_util.hpp"

namespace duet::api {

namespace {

std::uint64_t wall_now_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

using detail::from_error;
using detail::json_response;
using detail::method_not_allowed;
using nlohmann::json;

constexpr std::string_view kAgents = "/api/v1/agents";
constexpr std::string_view kSite = "/api/v1/site";
constexpr std::string_view kAnomalies = "/api/v1/registrations/anomalies";

// The optional string fields of an action's body; an empty body is an empty object.
std::optional<HttpResponse> read_body(const HttpRequest& req, std::initializer_list<const char*> allowed,
                                      json& out) {
  if (req.body.empty()) {
    out = json::object();
    return std::nullopt;
  }
  out = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (out.is_discarded() || !out.is_object()) return error_response(400, "the body is not a JSON object");
  for (const auto& [k, v] : out.items()) {
    bool known = false;
    for (const char* a : allowed) known = known || k == a;
    if (!known) return error_response(400, "unknown field '" + k + "'");
    if (!v.is_string()) return error_response(400, "'" + k + "' must be a string");
  }
  return std::nullopt;
}

std::string field(const json& j, const char* k) {
  const auto it = j.find(k);
  return it == j.end() ? std::string() : it->get<std::string>();
}

HttpResponse agent_answer(continuity::AgentBoard& board, const std::string& code) {
  return json_response(200, continuity::to_json(*board.find(code)));
}

HttpResponse agents_route(continuity::AgentBoard& board, const HttpRequest& req, std::string_view rest) {
  if (rest.empty() || rest == "/") {
    if (req.method != "GET") return method_not_allowed("GET");
    json list = json::array();
    std::size_t here = 0;
    for (const auto& s : board.all()) {
      here += s.logged_in && s.site == board.options().site ? 1 : 0;
      list.push_back(continuity::to_json(s));
    }
    return json_response(200, {{"site", board.options().site},
                               {"count", list.size()},
                               {"logged_in_here", here},
                               {"agents", std::move(list)}});
  }
  rest.remove_prefix(1);  // the '/'
  const auto slash = rest.find('/');
  std::string code;
  if (!percent_decode(rest.substr(0, slash), false, code)) {
    return error_response(400, "malformed percent-encoding in the path");
  }
  const std::string_view action =
      slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  if (action.empty()) {
    if (req.method != "GET") return method_not_allowed("GET");
    if (!board.find(code)) return error_response(404, "Agent Login '" + code + "' does not exist");
    return agent_answer(board, code);
  }
  if (req.method != "POST") return method_not_allowed("POST");
  json body;
  agents::Outcome outcome;
  if (action == "login") {
    if (auto e = read_body(req, {"place", "dn"}, body)) return *e;
    outcome = board.login(code, field(body, "place"), field(body, "dn"));
  } else if (action == "ready") {
    if (auto e = read_body(req, {}, body)) return *e;
    outcome = board.ready(code);
  } else if (action == "not-ready") {
    if (auto e = read_body(req, {"reason"}, body)) return *e;
    outcome = board.not_ready(code, field(body, "reason"));
  } else if (action == "logout") {
    if (auto e = read_body(req, {"reason"}, body)) return *e;
    outcome = board.logout(code, field(body, "reason"));
  } else {
    return error_response(404, "no such agent action: " + std::string(action));
  }
  if (outcome) return from_error(*outcome);
  return agent_answer(board, code);
}

HttpResponse site_route(continuity::AgentBoard& board, const HttpRequest& req, std::string_view rest) {
  if (rest.empty()) {
    if (req.method != "GET") return method_not_allowed("GET");
    return json_response(200, board.site_json());
  }
  agents::Outcome outcome;
  if (rest == "/drain" || rest == "/resume") {
    if (req.method != "POST") return method_not_allowed("POST");
    outcome = rest == "/drain" ? board.drain() : board.resume();
  } else {
    return error_response(404, "no such resource: " + req.path);
  }
  if (outcome) return from_error(*outcome);
  return json_response(200, board.site_json());
}

bool under(std::string_view path, std::string_view base, std::string_view& rest) {
  if (path.substr(0, base.size()) != base) return false;
  rest = path.substr(base.size());
  return rest.empty() || rest.front() == '/';
}

}  // namespace

std::optional<HttpResponse> continuity_route(ApiContext& ctx, const HttpRequest& req) {
  if (req.path == kAnomalies) {
    if (req.method != "GET") return method_not_allowed("GET");
    const auto* modes = ctx.modes();
    if (modes == nullptr) return error_response(503, "registration modes are not available in this build");
    return json_response(200, modes->summary(wall_now_ms()));
  }
  std::string_view rest;
  const bool agents = under(req.path, kAgents, rest);
  if (!agents && !under(req.path, kSite, rest)) return std::nullopt;
  auto* board = ctx.board();
  if (board == nullptr) return error_response(503, "agent state is not available in this build");
  return agents ? agents_route(*board, req, rest) : site_route(*board, req, rest);
}

}  // namespace duet::api
