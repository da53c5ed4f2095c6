// Digest credentials and challenges (RFC 3261 §25.1, RFC 2617 / RFC 7616 field names).
#include "duet/sip/auth.hpp"

#include "chars.hpp"
#include "duet/sip/values.hpp"

namespace duet::sip {

bool AuthParamIterator::next(std::string_view& name, std::string_view& value, bool& quoted) noexcept {
  if (!ok_) return false;
  std::size_t i = 0;
  const auto n = rest_.size();
  while (i < n && (chars::lws(rest_[i]) || rest_[i] == ',')) ++i;
  if (i >= n) {
    rest_ = {};
    return false;
  }
  const std::size_t nb = i;
  while (i < n && chars::token(rest_[i])) ++i;
  if (i == nb) return ok_ = false;
  name = rest_.substr(nb, i - nb);
  while (i < n && chars::lws(rest_[i])) ++i;
  if (i >= n || rest_[i] != '=') return ok_ = false;
  ++i;
  while (i < n && chars::lws(rest_[i])) ++i;
  if (i < n && rest_[i] == '"') {
    const std::size_t vb = ++i;
    while (i < n && rest_[i] != '"') {
      if (rest_[i] == '\\') ++i;
      ++i;
    }
    if (i >= n) return ok_ = false;
    value = rest_.substr(vb, i - vb);
    quoted = true;
    ++i;
  } else {
    const std::size_t vb = i;
    while (i < n && chars::token(rest_[i])) ++i;
    if (i == vb) return ok_ = false;
    value = rest_.substr(vb, i - vb);
    quoted = false;
  }
  while (i < n && chars::lws(rest_[i])) ++i;
  if (i < n && rest_[i] != ',') return ok_ = false;
  rest_ = rest_.substr(i);
  return true;
}

namespace {

bool split_scheme(std::string_view value, std::string_view& scheme, std::string_view& params) noexcept {
  const auto v = chars::trim(value);
  std::size_t i = 0;
  while (i < v.size() && chars::token(v[i])) ++i;
  if (i == 0) return false;
  if (i < v.size() && !chars::lws(v[i])) return false;
  scheme = v.substr(0, i);
  params = chars::trim(v.substr(i));
  return true;
}

}  // namespace

bool parse_credentials(std::string_view value, DigestCredentials& c) noexcept {
  reset_in_place(c);
  if (!split_scheme(value, c.scheme, c.params)) return false;
  AuthParamIterator it(c.params);
  std::string_view name, val;
  bool quoted;
  while (it.next(name, val, quoted)) {
    if (iequals(name, "username"))
      c.username = val;
    else if (iequals(name, "realm"))
      c.realm = val;
    else if (iequals(name, "nonce"))
      c.nonce = val;
    else if (iequals(name, "uri"))
      c.uri = val;
    else if (iequals(name, "response"))
      c.response = val;
    else if (iequals(name, "algorithm"))
      c.algorithm = val;
    else if (iequals(name, "cnonce"))
      c.cnonce = val;
    else if (iequals(name, "opaque"))
      c.opaque = val;
    else if (iequals(name, "qop"))
      c.qop = val;
    else if (iequals(name, "nc"))
      c.nc = val;
  }
  return it.ok();
}

bool parse_challenge(std::string_view value, DigestChallenge& c) noexcept {
  reset_in_place(c);
  if (!split_scheme(value, c.scheme, c.params)) return false;
  AuthParamIterator it(c.params);
  std::string_view name, val;
  bool quoted;
  while (it.next(name, val, quoted)) {
    if (iequals(name, "realm"))
      c.realm = val;
    else if (iequals(name, "domain"))
      c.domain = val;
    else if (iequals(name, "nonce"))
      c.nonce = val;
    else if (iequals(name, "opaque"))
      c.opaque = val;
    else if (iequals(name, "stale"))
      c.stale = val;
    else if (iequals(name, "algorithm"))
      c.algorithm = val;
    else if (iequals(name, "qop"))
      c.qop = val;
  }
  return it.ok();
}

}  // namespace duet::sip
