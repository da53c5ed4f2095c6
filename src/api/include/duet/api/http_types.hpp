// A parsed HTTP request and the response to it, without sockets (the router is tested on these).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace duet::api {

struct HttpRequest {
  std::string method;         // "GET"
  std::string path;           // percent-encoded, without the query: "/api/v1/config/dns/1001"
  std::string query;          // after '?', percent-encoded: "aor=sip%3A1001%40x"
  std::string authorization;  // the Authorization header's value
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string body;                                          // JSON (empty for 204)
  std::vector<std::pair<std::string, std::string>> headers;  // extra ones, e.g. Allow
  // GET /api/v1/events: instead of sending body, the server switches the connection to a
  // Server-Sent Events stream (status 200) subscribed to these types (empty: every type).
  bool stream = false;
  std::vector<std::string> stream_types;
};

// "{"error": message}" with status.
HttpResponse error_response(int status, const std::string& message);
const char* reason_phrase(int status) noexcept;

}  // namespace duet::api
