// parse_credentials() and parse_challenge() over one header value, and AuthParamIterator.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "duet/sip/auth.hpp"
#include "fuzz_check.hpp"
#include "view_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace duet::sip;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  DigestCredentials c;
  const bool c_ok = parse_credentials(in, c);
  if (c_ok) duet::fuzz::check_credentials(c, in, in);
  DigestChallenge ch;
  const bool ch_ok = parse_challenge(in, ch);
  if (ch_ok) duet::fuzz::check_challenge(ch, in, in);
  // Both grammars are "scheme auth-param-list": they accept the same values.
  FUZZ_CHECK(c_ok == ch_ok);
  if (c_ok)
    FUZZ_CHECK(c.scheme == ch.scheme && c.params == ch.params && c.realm == ch.realm && c.nonce == ch.nonce);
  // The iterator on raw input must stay bounded and inside it, whatever it is given.
  duet::fuzz::check_auth_params(in, in);
  return 0;
}
