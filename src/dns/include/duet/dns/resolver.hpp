// One event loop's SIP resolver: RFC 3263 answers (rfc3263.hpp) cached by URI for their TTL, the
// lookups themselves run on libuv's thread pool so the loop never blocks on DNS. Callers that
// find no answer yet are told later, by the id they gave, once it is there (whatever it is), and
// then ask again; lookups for the same URI are made once.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "duet/dns/rfc3263.hpp"

namespace duet::dns {

struct ResolverStats {
  std::uint64_t lookups = 0;       // lookups started (cache misses)
  std::uint64_t cache_hits = 0;    // answers from the cache
  std::uint64_t unresolved = 0;    // lookups that ended with no hop
  std::uint64_t waiting = 0;       // callers told later
  std::uint64_t refused = 0;       // lookups not started: kMaxPending were running
  std::uint64_t stale_served = 0;  // expired answers used while they were looked up again
};

class Resolver {
 public:
  // done(waiter): the lookup a caller was told to wait for has finished; on the loop's thread.
  using Done = std::function<void(std::uint64_t waiter)>;
  Resolver(uv_loop_t* loop, std::shared_ptr<Backend> backend, Done done);
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // The cached answer for q (hops empty: it does not resolve), or null when there is none yet: then
  // a lookup runs (or already does) and done(waiter) is called when it ends. An expired answer with
  // hops is returned while it is looked up again (nobody waits then), and kept when that lookup
  // fails (RFC 8767 "serve stale"). With kMaxPending lookups running, a name that has no answer
  // gets a "lookup failed" one (temporary, no hops) at once.
  const Answer* find(const Query& q, std::uint64_t waiter);
  // Lookups still running are not waited for: their answers are dropped when they come.
  void close() noexcept;

  const ResolverStats& stats() const noexcept { return stats_; }
  std::size_t cached() const noexcept { return cache_.size(); }

  // Cache entries at most; beyond it, expired ones go, then everything that is not pending.
  static constexpr std::size_t kMaxEntries = 10000;
  // Lookups running at once per loop: a lookup can block a pool thread for seconds, and anyone who
  // can send a request can name hosts. Beyond it find() answers "lookup failed" at once.
  static constexpr std::size_t kMaxPending = 64;
  // How long an answer is served stale at most, while its refreshes keep failing (RFC 8767 §5).
  static constexpr std::uint64_t kMaxStaleMs = 24ull * 3600 * 1000;

 private:
  struct Entry {
    Answer answer;
    std::uint64_t expires_ms = 0;
    bool pending = false;
    bool has_answer = false;           // answer holds a lookup's result (else the entry is new)
    std::uint64_t stale_since_ms = 0;  // kept past its TTL since (0: fresh)
    std::vector<std::uint64_t> waiters;
  };
  struct Job;
  static void work(uv_work_t* req);
  static void after(uv_work_t* req, int status);
  void finish(Job& job);
  void trim();

  uv_loop_t* loop_;
  std::shared_ptr<Backend> backend_;
  Done done_;
  std::unordered_map<std::string, Entry> cache_;
  std::size_t pending_ = 0;
  std::shared_ptr<bool> alive_;  // jobs check it before touching the resolver
  std::minstd_rand rng_;
  ResolverStats stats_;
};

// The cache key of a query ("sips|host|port|transport").
std::string key_of(const Query& q);

}  // namespace duet::dns
