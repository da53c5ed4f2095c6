#include "duet/api/http_types.hpp"

#include <nlohmann/json.hpp>

namespace duet::api {

HttpResponse error_response(int status, const std::string& message) {
  HttpResponse r;
  r.status = status;
  // Invalid UTF-8 (from a request echoed in the message) is replaced, never thrown on.
  r.body = nlohmann::json{{"error", message}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

const char* reason_phrase(int status) noexcept {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Unknown";
  }
}

}  // namespace duet::api
