// The Date header value (RFC 3261 §20.17: RFC 1123 date, always GMT), from an explicit wall-clock
// time so responses are reproducible in tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace duet::registrar {

inline constexpr std::size_t kSipDateSize = 29;  // "Sun, 06 Nov 1994 08:49:37 GMT"

// Writes the date for unix_seconds (clamped to 1970..9999) into out; returns the view.
std::string_view format_sip_date(std::int64_t unix_seconds, char (&out)[kSipDateSize]) noexcept;

}  // namespace duet::registrar
