// One proxied request's state (the "response context" of RFC 3261 §16): its server transaction,
// its branches and the best final response so far. Private to the proxy.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "duet/proxy/location.hpp"
#include "duet/proxy/proxy.hpp"
#include "duet/transaction/types.hpp"
#include "duet/transport/source.hpp"

namespace duet::proxy {

struct Branch {
  transaction::TxnId txn;
  transport::Source dst{};
  int status = 0;              // final status once done (0 while pending)
  bool provisional = false;    // a provisional response came: a CANCEL may be sent (§9.1)
  bool cancel_wanted = false;  // cancel as soon as a provisional response comes
  bool cancel_sent = false;
  bool timed_out = false;  // Timer C: its final counts as 408 whatever it is
};

struct Proxy::Call {
  std::uint32_t index = 0, gen = 0;
  bool live = false;
  transaction::TxnId server;
  transport::Source src{};  // where the request came from (its flow goes into Record-Route)
  char received[48] = {};   // the request's via fix, for responses built after a lookup
  std::uint8_t received_len = 0;
  std::uint32_t rport = 0;
  std::uint32_t loop_hash = 0;
  bool invite = false;
  bool lookup_pending = false;
  bool dns_pending = false;  // waiting for a DNS answer (Proxy::on_resolved routes it again)
  bool final_sent = false;   // a final response went upstream (a 2xx, or the best one)
  bool cancelled = false;
  bool six = false;  // a 6xx came: no new branches
  bool record_route = false;
  bool via_peer = false;  // proxied to the peer site's trunk
  std::string dn;         // the agent DN the call is for (busy tracking), "" if none
  bool answered = false;  // a 2xx went upstream (call_event started)
  int best_status = 0;
  std::string best;             // best non-2xx final so far, our Via removed ("" : synthesise best_status)
  std::size_t best_branch = 0;  // the branch best came from
  // §16.7 step 7: the WWW-Authenticate and Proxy-Authenticate lines of every 401/407 received,
  // by branch, added to the 401/407 that goes upstream.
  std::vector<std::pair<std::size_t, std::string>> challenges;
  // RFC 3263 §4.3: the other hops of the DNS answer the one branch went to, tried in order when it
  // fails with a 503 or a timeout or transport error (with the flags it was started with).
  std::vector<transport::Source> alt_hops;
  bool alt_keep_flow = true, alt_to_next_route = false;
  std::string tls_name;          // a TLS hop found from a URI: the name its certificate must carry
  std::vector<Contact> targets;  // forking order (q descending)
  std::size_t next_target = 0;   // first target not yet tried
  std::vector<Branch> branches;

  sip::ResponseViaFix fix() const noexcept { return {std::string_view(received, received_len), rport}; }
  std::uint64_t context(std::size_t branch = 0xFF, bool cancel = false) const noexcept {
    return (std::uint64_t{gen} << 32) | (std::uint64_t{index} << 9) | (cancel ? 0x100u : 0u) |
           static_cast<std::uint64_t>(branch & 0xFF);
  }
};

// Context fields (Call::context()).
inline std::uint32_t context_gen(std::uint64_t c) noexcept {
  return static_cast<std::uint32_t>(c >> 32);
}
inline std::uint32_t context_index(std::uint64_t c) noexcept {
  return static_cast<std::uint32_t>((c >> 9) & 0x7FFFFF);
}
inline bool context_cancel(std::uint64_t c) noexcept {
  return (c & 0x100) != 0;
}
inline std::size_t context_branch(std::uint64_t c) noexcept {
  return static_cast<std::size_t>(c & 0xFF);
}
inline constexpr std::size_t kServerSide = 0xFF;

}  // namespace duet::proxy
