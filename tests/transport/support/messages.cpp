#include "support/messages.hpp"

#include <charconv>

namespace duet::test {

std::string request(const RequestSpec& s) {
  std::string m = s.method + " sip:example.com SIP/2.0\r\n";
  m += "Via: SIP/2.0/" + s.transport + " " + s.via_host + ":" + std::to_string(s.via_port) +
       ";branch=z9hG4bK-" + s.call_id + "-" + std::to_string(s.cseq) + (s.rport ? ";rport" : "") + "\r\n";
  m += "Max-Forwards: 70\r\n";
  m += "From: <sip:alice@example.com>;tag=from1\r\n";
  m += "To: <sip:alice@example.com>\r\n";
  m += "Call-ID: " + s.call_id + "\r\n";
  m += "CSeq: " + std::to_string(s.cseq) + " " + s.method + "\r\n";
  m += "Contact: <sip:alice@127.0.0.1:5070>\r\n";
  m += s.extra;
  if (s.content_length) m += "Content-Length: " + std::to_string(s.body.size()) + "\r\n";
  m += "\r\n";
  m += s.body;
  return m;
}

int status_of(std::string_view r) {
  if (r.substr(0, 8) != "SIP/2.0 " || r.size() < 11) return 0;
  int code = 0;
  std::from_chars(r.data() + 8, r.data() + 11, code);
  return code;
}

std::string header_of(std::string_view msg, std::string_view name) {
  std::size_t pos = 0;
  while (true) {
    const auto eol = msg.find("\r\n", pos);
    if (eol == std::string_view::npos || eol == pos) return {};
    const auto line = msg.substr(pos, eol - pos);
    if (line.size() > name.size() && line.substr(0, name.size()) == name && line[name.size()] == ':') {
      auto v = line.substr(name.size() + 1);
      while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
      return std::string(v);
    }
    pos = eol + 2;
  }
}

}  // namespace duet::test
