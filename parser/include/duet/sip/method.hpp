// SIP request methods known to the proxy and registrar. Unknown methods are legal (RFC 3261 §27.4)
// and keep their text in Message::method().
#pragma once

#include <cstdint>
#include <string_view>

namespace duet::sip {

enum class Method : std::uint8_t {
  unknown = 0,
  invite,
  ack,
  bye,
  cancel,
  register_,
  options,
  info,
  prack,
  update,
  subscribe,
  notify,
  publish,
  message,
  refer,
};

// Methods are case-sensitive (RFC 3261 §7.1): "invite" is an unknown extension method.
Method method_from_token(std::string_view token) noexcept;
std::string_view method_name(Method m) noexcept;

}  // namespace duet::sip
