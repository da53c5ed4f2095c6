// SIP messages for the transport tests.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace duet::test {

struct RequestSpec {
  std::string method = "REGISTER";
  std::string transport = "UDP";
  std::string via_host = "127.0.0.1";
  std::uint16_t via_port = 5060;
  bool rport = true;
  std::string call_id = "call-1@test";
  std::uint32_t cseq = 1;
  std::string extra;  // complete header lines, each ending in CRLF
  std::string body;
  bool content_length = true;
};

std::string request(const RequestSpec& s);
// "SIP/2.0 200 OK" -> 200; 0 if it does not look like a status line.
int status_of(std::string_view response);
// The value of the first header with this exact name, or empty.
std::string header_of(std::string_view msg, std::string_view name);

}  // namespace duet::test
