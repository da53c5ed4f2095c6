// Known header ids, so a lookup is an array index rather than a string compare. Names match
// case-insensitively and compact forms (RFC 3261 §7.3.3 and later RFCs) map to the same id.
#pragma once

#include <cstdint>
#include <string_view>

namespace duet::sip {

enum class HeaderId : std::uint8_t {
  other = 0,  // any header not listed here; its raw name is kept
  accept,
  accept_contact,  // a
  accept_encoding,
  accept_language,
  alert_info,
  allow,
  allow_events,  // u
  authorization,
  call_id,  // i
  call_info,
  contact,  // m
  content_disposition,
  content_encoding,  // e
  content_language,
  content_length,  // l
  content_type,    // c
  cseq,
  date,
  error_info,
  event,  // o
  expires,
  flow_timer,
  from,      // f
  identity,  // y
  in_reply_to,
  max_forwards,
  mime_version,
  min_expires,
  min_se,
  organization,
  p_asserted_identity,
  path,
  priority,
  proxy_authenticate,
  proxy_authorization,
  proxy_require,
  reason,
  record_route,
  refer_to,        // r
  referred_by,     // b
  reject_contact,  // j
  reply_to,
  request_disposition,  // d
  require,
  retry_after,
  route,
  server,
  session_expires,  // x
  sip_etag,
  sip_if_match,
  subject,  // s
  subscription_state,
  supported,  // k
  timestamp,
  to,  // t
  unsupported,
  user_agent,
  via,  // v
  warning,
  www_authenticate,
  count_
};

inline constexpr std::size_t kHeaderIdCount = static_cast<std::size_t>(HeaderId::count_);

// Maps a raw header name (any case, long or compact form) to its id; HeaderId::other if unknown.
HeaderId header_id_from_name(std::string_view name) noexcept;
// The canonical long name, e.g. "Call-ID". Empty for HeaderId::other.
std::string_view header_canonical_name(HeaderId id) noexcept;

}  // namespace duet::sip
