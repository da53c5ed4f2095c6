// A REGISTER read and checked against RFC 3261 §10.3 steps 1-3 and 5-6 (and RFC 3327, 5626)
// before anything in the store changes: either every contact is valid and has its final expiry,
// or the verdict says which error response to send.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "duet/registrar/aor_key.hpp"
#include "duet/registrar/options.hpp"
#include "duet/sip/message.hpp"
#include "duet/sip/uri.hpp"

namespace duet::registrar {

// More contacts than this in one REGISTER is answered like a full AOR (too_many_contacts_code).
inline constexpr std::size_t kMaxContactsPerRequest = 32;
inline constexpr std::size_t kMaxPathBytes = 4096;

struct ContactEntry {
  std::string_view uri;       // the contact URI, without <>
  sip::Uri parsed;            // for RFC 3261 §19.1.4 comparison
  std::string_view instance;  // +sip.instance value without quotes, e.g. "<urn:uuid:...>"
  std::uint32_t expires = 0;  // seconds, after default/max applied; 0 removes
  std::uint32_t reg_id = 0;   // only when outbound applies
  std::uint16_t q = 1000;
  bool outbound = false;  // RFC 5626: instance + reg-id identify the flow
};

struct Verdict {
  int status = 200;  // != 200: answer with this and change nothing
  std::string_view reason = "OK";
  std::uint32_t min_expires = 0;  // 423: the Min-Expires value
  std::string_view unsupported;   // 420: the Unsupported value
  std::uint32_t retry_after = 0;  // non-zero: a Retry-After header (seconds)
};

struct RegisterRequest {
  AorKey aor;
  AorKeyBuffer aor_buf;
  bool star = false;  // Contact: * with Expires: 0
  std::size_t count = 0;
  ContactEntry contacts[kMaxContactsPerRequest];
  std::string_view call_id;
  std::uint32_t cseq = 0;
  std::string_view user_agent;
  std::string_view path;  // all Path values joined with ","; empty when none
  bool path_supported = false;
  bool outbound_supported = false;
  bool outbound_used = false;
  char path_buf[kMaxPathBytes];
  char unsupported_buf[256];
};

// The Require option tags (RFC 3261 §8.2.2.3) of req that duet does not implement: all but path
// (RFC 3327) and outbound (RFC 5626). They are joined with ", " into buf (a tag that does not fit
// is left out of the list, never out of the verdict; one too long for buf alone is cut to its
// start, so the list is never empty); false when there are none.
bool unsupported_requires(const sip::Message& req, char* buf, std::size_t cap,
                          std::string_view& out) noexcept;

// Reads req into out and checks it under the policy. On a non-200 verdict, out is partly filled.
// known_aor: the key of req's To when the caller already computed it (it must outlive the call).
Verdict read_register(const sip::Message& req, const Policy& policy, RegisterRequest& out,
                      const AorKey* known_aor = nullptr) noexcept;

}  // namespace duet::registrar
