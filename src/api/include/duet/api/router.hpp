// Requests to responses: the routes of the API, with the token check. No sockets: the server
// feeds it parsed requests, tests feed it directly.
//   GET /healthz                                   (no token needed)
//   GET /api/v1/registrations[?aor=]
//   GET /api/v1/peer
//   GET /api/v1/events[?types=agent,peer]         (a Server-Sent Events stream: HttpResponse::stream)
//   GET|POST /api/v1/config/{dns,places,users,agent-logins}
//   GET|PUT|DELETE /api/v1/config/{dns,places,users,agent-logins}/{id}
#pragma once

#include <functional>
#include <string>

#include "duet/api/api_context.hpp"
#include "duet/api/http_types.hpp"

namespace duet::api {

class Router {
 public:
  using Reply = std::function<void(HttpResponse)>;
  // token empty: no Authorization needed; else "Authorization: Bearer <token>" on every route
  // but /healthz.
  Router(ApiContext& ctx, std::string token) : ctx_(ctx), token_(std::move(token)) {}

  // Calls reply exactly once, now or (registrations) later on the same thread.
  void handle(const HttpRequest& req, Reply reply);

 private:
  bool authorized(const HttpRequest& req) const;
  HttpResponse config_route(const HttpRequest& req, std::string_view rest);

  ApiContext& ctx_;
  std::string token_;
};

// "%41b+c" -> "Ab c" with plus_is_space (query) or "Ab+c" (path). Returns false on a bad escape.
bool percent_decode(std::string_view in, bool plus_is_space, std::string& out);
// The value of one key of a query string, decoded; empty if absent.
std::string query_param(std::string_view query, std::string_view key, bool* bad = nullptr);

}  // namespace duet::api
