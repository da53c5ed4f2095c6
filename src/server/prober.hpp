// Reachability of one shard's bindings: every binding is sent an OPTIONS once per interval, over
// the flow it registered on (its received address and port, or its TCP/TLS connection), spread
// evenly over the interval a tick at a time. Any answer means reachable; no answer within the
// timeout (UDP retransmits each tick meanwhile), or a flow that can no longer carry the request,
// marks the binding out of service. The store reports the change, so the replication layer copies
// it to the peer. A REGISTER refreshing the binding makes it reachable again.
//
// Bindings with a Path (RFC 3327) are not probed: they sit behind another proxy, which owns that
// hop. Answers may reach another worker (SO_REUSEPORT hashes the datagram); the branch names the
// shard that sent the probe, and the service hands the answer to it.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "duet/registrar/binding_store.hpp"
#include "duet/sip/message.hpp"
#include "duet/transport/source.hpp"

namespace duet::transport {
class Worker;
}

namespace duet::server {

struct ProbeOptions {
  std::uint32_t interval_ms = 0;      // 0: no probing
  std::uint32_t timeout_ms = 4000;    // no answer by then: out of service
  std::uint32_t max_pending = 65536;  // probes in flight per shard; beyond it a tick sends no more
};

struct ProbeStats {
  std::uint64_t sent = 0, retransmitted = 0, answered = 0, timed_out = 0, flow_failed = 0, skipped = 0;
};

class Prober {
 public:
  Prober(std::uint16_t shard, ProbeOptions opt) : shard_(shard), opt_(opt) {}

  bool enabled() const noexcept { return opt_.interval_ms > 0; }
  // Every tick_ms: this tick's share of probes, UDP retransmissions, timeouts.
  void tick(transport::Worker& w, registrar::BindingStore& store, std::uint64_t now_ms,
            std::uint32_t tick_ms);
  // Probe seq of this shard was answered.
  void answered(registrar::BindingStore& store, std::uint64_t seq);
  // True if msg is a response to a probe of duet's; its shard and sequence number.
  static bool probe_answer(const sip::Message& msg, std::uint16_t& shard, std::uint64_t& seq) noexcept;

  std::size_t pending() const noexcept { return pending_.size(); }
  const ProbeStats& stats() const noexcept { return stats_; }

 private:
  struct Pending {
    std::string user, domain, contact;  // which binding (looked up again: it may be gone by then)
    std::uint64_t hash = 0;
    std::uint64_t deadline_ms = 0;
    transport::Source dst;
    std::string bytes;  // the OPTIONS, for retransmission
  };
  registrar::Binding* find(registrar::BindingStore& store, const Pending& p) const;
  void probe(transport::Worker& w, registrar::BindingStore& store, registrar::Binding& b,
             std::uint64_t now_ms);

  std::uint16_t shard_;
  ProbeOptions opt_;
  std::unordered_map<std::uint64_t, Pending> pending_;
  std::size_t cursor_ = 0;  // next index slot to walk
  std::uint64_t seq_ = 0;
  std::uint64_t owed_ = 0;  // probes owed by the even spread, in thousandths (carries across ticks)
  ProbeStats stats_;
};

}  // namespace duet::server
