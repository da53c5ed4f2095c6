// name-addr / addr-spec with header params: From, To, Contact, Route, Record-Route, Path, Reply-To,
// Refer-To, P-Asserted-Identity (RFC 3261 §20, §25.1).
#pragma once

#include <cstdint>
#include <string_view>

#include "duet/sip/uri.hpp"

namespace duet::sip {

struct NameAddr {
  std::string_view display_name;  // as written: quoted (with quotes and escapes) or a token run
  std::string_view uri_text;      // inside <> for name-addr, or the bare addr-spec
  bool angle_brackets = false;
  bool star = false;  // Contact: *
  Uri uri;            // parsed only when parse_name_addr(..., parse_uri=true) succeeded on it
  bool uri_parsed = false;
  std::string_view params;  // header params, from the first ';', raw
  // Common params (empty when absent; has_* say whether present at all).
  std::string_view tag, expires, q, instance, reg_id, methods, received;
  bool has_expires = false, has_q = false, has_instance = false, has_reg_id = false;

  // Display name without its quotes and with backslash escapes left in place.
  std::string_view display_name_unquoted() const noexcept;
  // q in thousandths (q=0.5 -> 500); 1000 when absent; -1 when malformed.
  int q_value() const noexcept;
};

// Parses exactly one name-addr or addr-spec with params (one comma-separated value; see
// split_values in values.hpp). With want_uri the URI is parsed too and its failure fails the call.
// For addr-spec without <>, params after the URI belong to the header (RFC 3261 §20.10).
bool parse_name_addr(std::string_view value, NameAddr& out, bool want_uri = true) noexcept;

}  // namespace duet::sip
