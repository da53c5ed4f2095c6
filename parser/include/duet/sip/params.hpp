// Generic ";name=value" parameter lists, as they follow a Via, a name-addr or a URI.
// Iteration never allocates; values keep their quotes only if quoted() is asked for separately.
#pragma once

#include <string_view>

namespace duet::sip {

struct Param {
  std::string_view name;   // as written
  std::string_view value;  // empty when the param has no "=value"; quotes removed, escapes kept
  bool has_value = false;
  bool quoted = false;  // value was a quoted-string (backslash escapes are still in value)
};

// Iterates over a parameter list that starts at its first ';' (or is empty). `sep` is ';' for
// Via/name-addr/URI params and '&' for URI headers (whose list has no leading '&'). Whitespace around names,
// '=' and values is tolerated (it is LWS in the grammar of header params; it is a parse failure for URIs).
class ParamIterator {
 public:
  // With stop_at_comma, a ',' where the next parameter would start ends the list cleanly (the next
  // value of a comma-separated header follows); rest() then starts at that comma.
  ParamIterator(std::string_view list, char sep = ';', bool stop_at_comma = false) noexcept
      : rest_(list), sep_(sep), stop_at_comma_(stop_at_comma) {}
  // Fills p with the next parameter. Returns false at the end, or on malformed input (then ok()
  // becomes false).
  bool next(Param& p) noexcept;
  bool ok() const noexcept { return ok_; }
  std::string_view rest() const noexcept { return rest_; }

 private:
  std::string_view rest_;
  char sep_;
  bool stop_at_comma_;
  bool first_ = true;
  bool ok_ = true;
};

// Parameter names compare case-insensitively, and an escaped character is the character (RFC 3261
// §19.1.4 for URI parameters: ";%6C%72" is ";lr", RFC 4475 esc01). No header parameter in use has a
// '%' in its name, so header parameters are read the same way.
bool param_name_equal(std::string_view a, std::string_view b) noexcept;

// Finds a parameter by name (param_name_equal). Returns false if absent.
bool find_param(std::string_view list, std::string_view name, Param& out, char sep = ';') noexcept;

}  // namespace duet::sip
