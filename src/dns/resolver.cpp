#include "duet/dns/resolver.hpp"

#include <random>

namespace duet::dns {

struct Resolver::Job {
  uv_work_t req{};
  std::weak_ptr<bool> alive;
  Resolver* owner = nullptr;
  std::shared_ptr<Backend> backend;
  Query q;
  std::string key;
  Answer answer;
  std::uint32_t seed = 0;
};

std::string key_of(const Query& q) {
  std::string k = q.sips ? "sips|" : "sip|";
  k += q.host;
  k += '|';
  k += std::to_string(q.port);
  k += '|';
  k += q.transport;
  k += '|';
  k += static_cast<char>('0' + q.usable);
  return k;
}

Resolver::Resolver(uv_loop_t* loop, std::shared_ptr<Backend> backend, Done done)
    : loop_(loop),
      backend_(std::move(backend)),
      done_(std::move(done)),
      alive_(std::make_shared<bool>(true)),
      rng_(std::random_device{}()) {}

Resolver::~Resolver() {
  close();
}

void Resolver::close() noexcept {
  alive_.reset();
}

const Answer* Resolver::find(const Query& q, std::uint64_t waiter) {
  std::string key = key_of(q);
  const std::uint64_t now = uv_now(loop_);
  auto it = cache_.find(key);
  if (it != cache_.end() && !it->second.pending && now < it->second.expires_ms) {
    ++stats_.cache_hits;
    return &it->second.answer;
  }
  // An expired answer with hops is still served while it is looked up again (RFC 8767): the hops
  // a site uses keep working when the name servers are slow, down, or kept busy by others.
  const Answer* stale = it != cache_.end() && it->second.has_answer && !it->second.answer.hops.empty()
                            ? &it->second.answer
                            : nullptr;
  if (!alive_) return stale;
  if ((it == cache_.end() || !it->second.pending) && pending_ >= kMaxPending) {
    ++stats_.refused;
    static const Answer busy = [] {
      Answer a;
      a.temporary = true;
      return a;
    }();
    return stale != nullptr ? stale : &busy;
  }
  if (it == cache_.end()) {
    trim();
    it = cache_.emplace(std::move(key), Entry{}).first;
  }
  Entry& e = it->second;
  if (stale == nullptr) {
    ++stats_.waiting;
    e.waiters.push_back(waiter);  // as many as the callers' own bounds allow (transactions)
  } else {
    ++stats_.stale_served;
  }
  if (e.pending) return stale;
  // Expired or new: look it up.
  e.pending = true;
  ++pending_;
  ++stats_.lookups;
  auto* job = new Job;
  job->req.data = job;
  job->alive = alive_;
  job->owner = this;
  job->backend = backend_;
  job->q = q;
  job->key = it->first;
  job->seed = static_cast<std::uint32_t>(rng_());
  if (uv_queue_work(loop_, &job->req, &Resolver::work, &Resolver::after) != 0) {
    // No thread pool: answered as a temporary failure at once, through the cache.
    job->answer.temporary = true;
    job->answer.ttl = kTemporaryTtl;
    if (stale == nullptr) e.waiters.pop_back();
    finish(*job);
    delete job;
    return stale != nullptr ? stale : find(q, waiter);
  }
  return stale;
}

void Resolver::work(uv_work_t* req) {
  auto* job = static_cast<Job*>(req->data);
  std::minstd_rand rng(job->seed);
  job->answer = locate(job->q, *job->backend, rng);
}

void Resolver::after(uv_work_t* req, int status) {
  auto* job = static_cast<Job*>(req->data);
  if (job->alive.lock()) {
    if (status != 0) {  // cancelled
      job->answer = Answer{};
      job->answer.temporary = true;
      job->answer.ttl = kTemporaryTtl;
    }
    job->owner->finish(*job);
  }
  delete job;
}

void Resolver::finish(Job& job) {
  --pending_;
  auto it = cache_.find(job.key);
  if (it == cache_.end()) return;
  Entry& e = it->second;
  e.pending = false;
  const std::uint64_t now = uv_now(loop_);
  if (job.answer.hops.empty() && job.answer.temporary && e.has_answer && !e.answer.hops.empty() &&
      (e.stale_since_ms == 0 || now - e.stale_since_ms < kMaxStaleMs)) {
    // The lookup failed, not the name: the hops we had stay in use a little longer (RFC 8767).
    if (e.stale_since_ms == 0) e.stale_since_ms = now;
    e.expires_ms = now + std::uint64_t{kTemporaryTtl} * 1000;
  } else {
    e.answer = std::move(job.answer);
    e.has_answer = true;
    e.stale_since_ms = 0;
    // At least a second, so the callers told below find it when they ask again.
    e.expires_ms = uv_now(loop_) + std::max<std::uint64_t>(1, e.answer.ttl) * 1000;
    if (e.answer.hops.empty()) ++stats_.unresolved;
  }
  std::vector<std::uint64_t> waiters;
  waiters.swap(e.waiters);
  for (const auto w : waiters) done_(w);
}

void Resolver::trim() {
  if (cache_.size() < kMaxEntries) return;
  const std::uint64_t now = uv_now(loop_);
  // Names that did not resolve go first (what a flood of invented names leaves), expired ones
  // before fresh ones; then answers with hops, expired first (they may still be served stale).
  const auto pass = [&](bool negative, bool expired_only) {
    for (auto it = cache_.begin(); it != cache_.end() && cache_.size() >= kMaxEntries;) {
      const Entry& e = it->second;
      const bool drop =
          !e.pending && e.answer.hops.empty() == negative && (!expired_only || now >= e.expires_ms);
      it = drop ? cache_.erase(it) : std::next(it);
    }
  };
  pass(true, true);
  pass(true, false);
  pass(false, true);
  pass(false, false);
}

}  // namespace duet::dns
