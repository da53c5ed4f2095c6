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

namespace {

template <class T>
struct Field {
  std::string_view name;
  std::string_view T::*member;
};

constexpr Field<DigestCredentials> kCredentialFields[] = {
    {"username", &DigestCredentials::username}, {"realm", &DigestCredentials::realm},
    {"nonce", &DigestCredentials::nonce},       {"uri", &DigestCredentials::uri},
    {"response", &DigestCredentials::response}, {"algorithm", &DigestCredentials::algorithm},
    {"cnonce", &DigestCredentials::cnonce},     {"opaque", &DigestCredentials::opaque},
    {"qop", &DigestCredentials::qop},           {"nc", &DigestCredentials::nc},
};

constexpr Field<DigestChallenge> kChallengeFields[] = {
    {"realm", &DigestChallenge::realm}, {"domain", &DigestChallenge::domain},
    {"nonce", &DigestChallenge::nonce}, {"opaque", &DigestChallenge::opaque},
    {"stale", &DigestChallenge::stale}, {"algorithm", &DigestChallenge::algorithm},
    {"qop", &DigestChallenge::qop},
};

// "scheme auth-param *(COMMA auth-param)": at least one param (RFC 3261 §25.1 credentials and
// challenge), known ones copied into their fields, unknown ones skipped.
template <class T, std::size_t N>
bool parse_auth(std::string_view value, T& out, const Field<T> (&fields)[N]) noexcept {
  reset_in_place(out);
  if (!split_scheme(value, out.scheme, out.params)) return false;
  AuthParamIterator it(out.params);
  std::string_view name, val;
  bool quoted;
  std::size_t count = 0;
  while (it.next(name, val, quoted)) {
    ++count;
    for (const auto& f : fields) {
      if (iequals(name, f.name)) {
        out.*f.member = val;
        break;
      }
    }
  }
  return it.ok() && count > 0;
}

}  // namespace

bool parse_credentials(std::string_view value, DigestCredentials& c) noexcept {
  return parse_auth(value, c, kCredentialFields);
}

bool parse_challenge(std::string_view value, DigestChallenge& c) noexcept {
  return parse_auth(value, c, kChallengeFields);
}

}  // namespace duet::sip
