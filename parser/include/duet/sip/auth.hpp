// Authorization / Proxy-Authorization credentials and WWW-Authenticate / Proxy-Authenticate
// challenges (RFC 3261 §22, §25.1; RFC 7616 algorithms by name only). Parsing only; computing
// digests belongs to the server.
#pragma once

#include <string_view>

namespace duet::sip {

// Quoted values have their quotes removed; backslash escapes are left in place (rare in practice;
// compare with unquote-aware code if it matters).
struct DigestCredentials {
  std::string_view scheme;  // "Digest" (as written)
  std::string_view username, realm, nonce, uri, response, algorithm, cnonce, opaque, qop, nc;
  std::string_view params;  // the raw auth-param list after the scheme
};

struct DigestChallenge {
  std::string_view scheme;
  std::string_view realm, domain, nonce, opaque, stale, algorithm, qop;
  std::string_view params;
};

// False if the value is not "scheme param=value, ..." with well-formed params. Unknown params are
// skipped. A scheme other than Digest is accepted; its params are still split.
bool parse_credentials(std::string_view value, DigestCredentials& out) noexcept;
bool parse_challenge(std::string_view value, DigestChallenge& out) noexcept;

// Iterates "name=value" auth params separated by commas (values token or quoted-string).
class AuthParamIterator {
 public:
  explicit AuthParamIterator(std::string_view params) noexcept : rest_(params) {}
  bool next(std::string_view& name, std::string_view& value, bool& quoted) noexcept;
  bool ok() const noexcept { return ok_; }

 private:
  std::string_view rest_;
  bool ok_ = true;
};

}  // namespace duet::sip
