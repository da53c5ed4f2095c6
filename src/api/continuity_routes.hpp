// The business-continuity routes: agents for the desktops, and the site's drain.
//   GET  /api/v1/agents                    every Agent Login with its state
//   GET  /api/v1/agents/{login}
//   POST /api/v1/agents/{login}/login      {"place": ..., "dn": ...} (both optional: the login's own)
//   POST /api/v1/agents/{login}/ready
//   POST /api/v1/agents/{login}/not-ready  {"reason": ...}
//   POST /api/v1/agents/{login}/logout     {"reason": ...} (optional)
//   GET  /api/v1/site                      mode (active | draining | drained), agents here, shutdown code
//   POST /api/v1/site/drain | /api/v1/site/resume
#pragma once

#include <optional>

#include "duet/api/api_context.hpp"
#include "duet/api/http_types.hpp"

namespace duet::api {

// nullopt: the path is not one of these routes.
std::optional<HttpResponse> continuity_route(ApiContext& ctx, const HttpRequest& req);

}  // namespace duet::api
