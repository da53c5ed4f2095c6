// RFC 3261 §16.7 step 6: which final response of a forked request's branches goes upstream when
// none of them was a 2xx. Pure, so the table of preferences is unit-tested.
#pragma once

namespace duet::proxy {

// True when a final non-2xx status `candidate` is a better choice than `current` (0: none yet).
//   - a 6xx wins over everything (§16.7: "MUST choose from the 6xx class responses if any");
//   - otherwise the lowest class wins (3xx over 4xx over 5xx);
//   - within 4xx, responses the caller can act on (401, 407, 415, 420, 484) win over the others;
//   - otherwise the first one received stays.
bool better_response(int candidate, int current) noexcept;

// The status a proxy sends upstream for a chosen status: 503 becomes 500 (§16.7 step 6: a 503
// from downstream would make the caller avoid this proxy).
inline int upstream_status(int chosen) noexcept {
  return chosen == 503 ? 500 : chosen;
}

}  // namespace duet::proxy
