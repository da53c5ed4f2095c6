#include "duet/sip/method.hpp"

#include <cstring>

namespace duet::sip {

Method method_from_token(std::string_view t) noexcept {
  // Dispatch on length first: one compare per candidate, methods are case-sensitive. The length
  // is the literal's, a constant, so that each compare becomes a load or two and no memcmp call
  // (this runs on the start line and on every CSeq).
  auto is = [&]<std::size_t N>(const char(&s)[N]) { return std::memcmp(t.data(), s, N - 1) == 0; };
  switch (t.size()) {
    case 3:
      if (is("ACK")) return Method::ack;
      if (is("BYE")) return Method::bye;
      break;
    case 4:
      if (is("INFO")) return Method::info;
      break;
    case 5:
      if (is("PRACK")) return Method::prack;
      if (is("REFER")) return Method::refer;
      break;
    case 6:
      if (is("INVITE")) return Method::invite;
      if (is("CANCEL")) return Method::cancel;
      if (is("UPDATE")) return Method::update;
      if (is("NOTIFY")) return Method::notify;
      break;
    case 7:
      if (is("OPTIONS")) return Method::options;
      if (is("PUBLISH")) return Method::publish;
      if (is("MESSAGE")) return Method::message;
      break;
    case 8:
      if (is("REGISTER")) return Method::register_;
      break;
    case 9:
      if (is("SUBSCRIBE")) return Method::subscribe;
      break;
    default:
      break;
  }
  return Method::unknown;
}

std::string_view method_name(Method m) noexcept {
  switch (m) {
    case Method::invite:
      return "INVITE";
    case Method::ack:
      return "ACK";
    case Method::bye:
      return "BYE";
    case Method::cancel:
      return "CANCEL";
    case Method::register_:
      return "REGISTER";
    case Method::options:
      return "OPTIONS";
    case Method::info:
      return "INFO";
    case Method::prack:
      return "PRACK";
    case Method::update:
      return "UPDATE";
    case Method::subscribe:
      return "SUBSCRIBE";
    case Method::notify:
      return "NOTIFY";
    case Method::publish:
      return "PUBLISH";
    case Method::message:
      return "MESSAGE";
    case Method::refer:
      return "REFER";
    case Method::unknown:
      break;
  }
  return {};
}

}  // namespace duet::sip
