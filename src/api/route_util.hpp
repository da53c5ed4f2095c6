// Small helpers the route files share: JSON bodies, 405 with Allow, a model error as HTTP.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "duet/agents/error.hpp"
#include "duet/api/http_types.hpp"

namespace duet::api::detail {

inline std::string dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

inline HttpResponse json_response(int status, const nlohmann::json& j) {
  HttpResponse r;
  r.status = status;
  r.body = dump(j);
  return r;
}

inline HttpResponse method_not_allowed(const char* allow) {
  auto r = error_response(405, std::string("method not allowed; allowed: ") + allow);
  r.headers.emplace_back("Allow", allow);
  return r;
}

inline int status_of(agents::ErrorCode c) {
  switch (c) {
    case agents::ErrorCode::invalid:
      return 400;
    case agents::ErrorCode::not_found:
      return 404;
    case agents::ErrorCode::conflict:
      return 409;
  }
  return 500;
}

inline HttpResponse from_error(const agents::Error& e) {
  nlohmann::json j = {{"error", e.message}};
  if (!e.field.empty()) j["field"] = e.field;
  return json_response(status_of(e.code), j);
}

}  // namespace duet::api::detail
