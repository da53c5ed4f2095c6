// The SIP service the transport calls for every parsed message (design: notes/server-design.md).
// Each worker owns one registrar shard. An AOR belongs to the worker that first received a
// REGISTER for it (registrar::OwnerMap); a REGISTER that arrives at another worker is copied to
// the owner's mailbox and handled there, so no binding is ever touched by two threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "duet/proxy/proxy.hpp"
#include "duet/proxy/routing_view.hpp"
#include "duet/registrar/binding_store.hpp"
#include "duet/registrar/options.hpp"
#include "duet/registrar/owner_map.hpp"
#include "duet/transport/handler.hpp"
#include "duet/transport/task.hpp"
#include "local_identity.hpp"
#include "prober.hpp"

namespace duet::transport {
class Runtime;
}

namespace duet::server {

// Counters summed over the workers. Each worker writes only its own; reads may race benignly.
struct ServiceStats {
  std::uint64_t registers = 0;            // REGISTER handled (by the owning worker)
  std::uint64_t registers_forwarded = 0;  // REGISTER handed to another worker
  std::uint64_t options = 0;
  std::uint64_t refused = 0;            // 403/405/501 for what we do not serve
  std::uint64_t responses_dropped = 0;  // responses received (no proxy yet)
  std::uint64_t send_failures = 0;
  std::uint64_t bindings = 0;  // current bindings, all shards
  std::uint64_t aors = 0;
  proxy::ProxyStats proxy;         // summed over the workers
  std::uint64_t transactions = 0;  // live transactions, all workers
  std::uint64_t calls = 0;         // live proxied requests (response contexts)
  std::uint64_t retransmissions_absorbed = 0;
  // Location lookups for AORs another worker owns: posted to that worker, or answered from a
  // copy of an earlier answer (src/server/location_copies.hpp).
  std::uint64_t lookups_posted = 0;
  std::uint64_t lookups_from_copies = 0;
  std::uint64_t copies_dropped = 0;          // copies dropped because a binding of their AOR changed
  std::uint64_t registers_refused_full = 0;  // 503: the site holds [registrar] max_bindings
};

// One binding as the API lists it (local, or the peer's replicated view), as plain values.
struct BindingRow {
  std::string site;  // where it registered
  std::string aor;   // user@domain
  std::string contact;
  std::uint32_t expires = 0;  // seconds left
  std::string received;       // "ip:port/transport", "" if unknown
  std::string user_agent;
  bool local = true;      // registered here (false: the peer's, from replication)
  bool reachable = true;  // false: out of service (its site's OPTIONS probes or flow failed)
};

// Per-shard extensions (the replication layer): called on each worker's own thread.
class ShardHooks {
 public:
  virtual ~ShardHooks() = default;
  virtual void on_shard_start(transport::Worker& w, registrar::BindingStore& store) = 0;
  virtual void on_shard_stop(transport::Worker& w) = 0;
  // Appends the rows of bindings held for other sites on this shard (aor "" = all).
  virtual void collect_remote(transport::Worker& w, std::string_view aor, std::vector<BindingRow>& out) = 0;
};

class SipService final : public transport::Handler, public proxy::Environment {
 public:
  // Workers may be at most kMaxWorkers.
  static constexpr std::size_t kMaxWorkers = 1024;

  explicit SipService(const config::Config& cfg);
  ~SipService() override;
  SipService(const SipService&) = delete;
  SipService& operator=(const SipService&) = delete;

  void on_message(transport::Worker& w, const transport::Source& src, const sip::Message& msg) override;
  void on_worker_start(transport::Worker& w) override;
  void on_worker_stop(transport::Worker& w) override;
  void on_connection_failed(transport::Worker& w, const transport::Source& conn) override;

  ServiceStats stats() const noexcept;

  // Before the runtime starts. Not owned.
  void set_shard_hooks(ShardHooks* hooks) noexcept { hooks_ = hooks; }
  // On worker w's thread: this shard's bindings (local, then remote) whose AOR is aor ("" = all).
  void collect_bindings(transport::Worker& w, std::string_view aor, std::vector<BindingRow>& out);
  // Any thread: collects from every worker of rt (a task on each); done(rows) runs once, on the
  // thread of the worker that finishes last.
  void query_bindings(transport::Runtime& rt, std::string aor,
                      std::function<void(std::vector<BindingRow>)> done);
  // Any thread: the user parts of the AORs with at least one live binding registered here (not
  // the peer's), from every worker; done(users) runs once, on the last worker's thread.
  void query_local_users(transport::Runtime& rt, std::function<void(std::vector<std::string>)> done);
  // Any thread: removes every binding of user@domain registered here, on the worker owning it (as
  // an un-REGISTER would; the removals are replicated). Business continuity releases a backup
  // registration with it.
  void release_aor(transport::Runtime& rt, std::string user, std::string domain);
  const registrar::Policy& policy() const noexcept { return policy_; }
  // Which worker owns each AOR; the replication layer claims AORs for the peer's bindings with it.
  registrar::OwnerMap& owners() noexcept { return owners_; }

  // Any thread: every worker's proxy delivers calls by this business-continuity view from now on.
  void set_routing_view(transport::Runtime& rt, proxy::RoutingViewPtr view);
  // Any thread: the peer site is down; calls through its trunk end.
  void peer_down(transport::Runtime& rt);
  // Before the runtime starts: told (on a worker thread) when a call for an agent DN is answered
  // or ends here.
  void set_call_observer(
      std::function<void(std::string_view dn, std::string_view call_id, bool started)> fn) {
    call_observer_ = std::move(fn);
  }

  // proxy::Environment (on worker threads)
  bool is_local_domain(std::string_view host) const override;
  bool locate(transport::Worker& w, const sip::Uri& ruri, bool want_peer, std::uint64_t call,
              proxy::Location& out) override;
  void call_event(std::string_view dn, std::string_view call_id, bool started) override;

  struct Shard;  // per-worker state (sip_service.cpp)

 private:
  Shard& shard(transport::Worker& w);
  void handle_register(transport::Worker& w, const transport::Source& src, const sip::Message& msg);
  void handle_options(transport::Worker& w, const transport::Source& src, const sip::Message& msg);
  void refuse(transport::Worker& w, const transport::Source& src, const sip::Message& msg, int status,
              std::string_view reason);
  // A message handled by another worker (a REGISTER by the AOR's owner, a response by the
  // worker whose branch it answers): copied and posted there.
  void hand_over(transport::Worker& w, const transport::Source& src, const sip::Message& msg,
                 std::uint16_t owner);
  static void run_handed_over(transport::Worker& w, transport::Task* t);
  // Returns the earliest expiry (ms) of the bindings it put in out, 0 if none.
  std::uint64_t fill_location(transport::Worker& w, std::string_view user, std::string_view domain,
                              std::uint64_t hash, bool want_peer, proxy::Location& out);
  bool answers_options(const sip::Message& msg) const;
  // An answer to a probe of another worker's shard: handed to that worker.
  void post_probe_answer(transport::Worker& w, std::uint16_t owner, std::uint64_t seq);

  registrar::Policy policy_;
  ProbeOptions probe_;
  proxy::ProxyOptions proxy_;
  LocalIdentity identity_;
  std::function<void(std::string_view, std::string_view, bool)> call_observer_;
  ShardHooks* hooks_ = nullptr;
  registrar::OwnerMap owners_;
  registrar::BindingBudget budget_;  // [registrar] max_bindings, shared by the shards' stores
  // Live transactions of every worker's table together ([proxy] max_transactions is the site's).
  std::atomic<std::size_t> site_transactions_{0};
  // Slot i belongs to worker i's thread (created there, lazily); read by others only for stats.
  std::unique_ptr<std::atomic<Shard*>[]> shards_;
};

}  // namespace duet::server
