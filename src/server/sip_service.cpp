#include "sip_service.hpp"

#include <uv.h>

#include <cstdlib>
#include <cstring>
#include <ctime>
#include <new>
#include <stdexcept>

#include "duet/proxy/proxy.hpp"
#include "duet/registrar/aor_key.hpp"
#include "duet/registrar/registrar.hpp"
#include "duet/sip/header_id.hpp"
#include "duet/sip/uri.hpp"
#include "duet/sip/via.hpp"
#include "duet/transport/address.hpp"
#include "duet/transport/reply.hpp"
#include "duet/transport/runtime.hpp"
#include "duet/transport/worker.hpp"
#include "location_copies.hpp"
#include "simple_responses.hpp"
#include "source_flow.hpp"

namespace duet::server {
namespace {

constexpr std::size_t kResponseCap = 65535;
// Bindings expired per timer callback: ~3 ms of work at most (measured ~260 ns per binding).
constexpr std::size_t kExpiryBatch = 10000;

registrar::Options options_from(const config::Config& cfg) {
  registrar::Options o;
  o.domains = cfg.registrar.domains;
  o.users = cfg.registrar.users;
  o.default_expires = cfg.registrar.default_expires;
  o.min_expires = cfg.registrar.min_expires;
  o.max_expires = cfg.registrar.max_expires;
  o.max_contacts_per_aor = cfg.registrar.max_contacts_per_aor;
  o.too_many_contacts_code = cfg.registrar.too_many_contacts_code;
  o.site_name = cfg.site_name;
  for (const auto& l : cfg.listeners) o.local_hosts.push_back(l.ip);
  return o;
}

// Single-writer counter: a plain load/store pair, no locked instruction on the hot path.
void bump(std::atomic<std::uint64_t>& c) noexcept {
  c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

proxy::ProxyOptions proxy_options_from(const config::Config& cfg) {
  proxy::ProxyOptions o;
  const auto& p = cfg.proxy;
  o.txn.t1_ms = p.t1_ms;
  o.txn.t2_ms = p.t2_ms;
  o.txn.t4_ms = p.t4_ms;
  o.txn.max_transactions = p.max_transactions;
  o.txn.max_message_bytes = cfg.limits.max_message_size;
  o.record_route = p.record_route;
  o.serial_by_q = p.serial_by_q;
  o.timer_c_ms = p.timer_c_s * 1000;
  o.outbound = p.outbound;
  o.outbound_ip = p.outbound_ip;
  o.cross_site_proxy = p.cross_site_proxy;
  o.dns.servers = p.dns_servers;
  if (cfg.peer.enabled) {
    o.peer_sip = cfg.peer.sip;
    o.peer_ip = cfg.peer.sip_ip;
  }
  o.max_branches = std::max<std::size_t>(1, cfg.registrar.max_contacts_per_aor);
  return o;
}

// A message on its way to the worker that handles it (a REGISTER to its AOR's owner, a response
// to the worker whose branch it answers): the raw bytes and where they came from.
struct HandedOver {
  transport::Task task;
  SipService* service;
  transport::Source src;
  std::uint32_t size;
  char bytes[1];  // size bytes follow (allocated with the struct)
};

constexpr std::size_t kProxyStatWords = sizeof(proxy::ProxyStats) / sizeof(std::uint64_t);

}  // namespace

struct SipService::Shard {
  Shard(SipService* svc, const registrar::Policy& p, std::uint16_t index, std::uint64_t now_ms,
        ProbeOptions probe)
      : service(svc), reg(p, index, now_ms), prober(index, probe), holders(&post_drop, this) {}
  SipService* service;
  registrar::Registrar reg;
  Prober prober;
  LocationCopies copies;  // answers of other workers' AORs held here
  CopyHolders holders;    // which workers hold copies of this shard's AORs
  // CopyHolders::DropFn: tells worker `holder` that its copies of hash's AORs are stale.
  static void post_drop(void* ctx, std::uint16_t holder, std::uint32_t hash) noexcept;
  std::unique_ptr<proxy::Proxy> proxy;  // created at the worker's start, on its thread
  transport::Worker* worker = nullptr;  // set at the worker's start
  uv_timer_t expiry{};
  bool timer_running = false;
  std::atomic<std::uint64_t> registers{0}, forwarded{0}, options{0}, refused{0}, responses_dropped{0},
      send_failures{0}, bindings{0}, aors{0}, lookups_posted{0}, lookups_from_copies{0}, copies_dropped{0},
      refused_full{0};
  char out[kResponseCap];

  // The proxy's counters as other threads may read them (copied at each expiry tick).
  std::atomic<std::uint64_t> proxy_stats[kProxyStatWords] = {};
  std::atomic<std::uint64_t> transactions{0}, calls{0}, absorbed{0};

  void publish_sizes() noexcept {
    bindings.store(reg.store().binding_count(), std::memory_order_relaxed);
    refused_full.store(reg.stats().refused_full, std::memory_order_relaxed);
    aors.store(reg.store().aor_count(), std::memory_order_relaxed);
  }
  void publish_proxy() noexcept {
    if (!proxy) return;
    std::uint64_t words[kProxyStatWords];
    std::memcpy(words, &proxy->stats(), sizeof words);
    for (std::size_t i = 0; i < kProxyStatWords; ++i)
      proxy_stats[i].store(words[i], std::memory_order_relaxed);
    transactions.store(proxy->table().size(), std::memory_order_relaxed);
    calls.store(proxy->calls(), std::memory_order_relaxed);
    absorbed.store(proxy->table().stats().retransmissions_absorbed, std::memory_order_relaxed);
  }
};

namespace {

void on_expiry_tick(uv_timer_t* t) {
  auto* sh = static_cast<SipService::Shard*>(t->data);
  sh->reg.expire(uv_now(t->loop), kExpiryBatch);
  if (sh->prober.enabled() && sh->worker != nullptr) {
    transport::Worker::Batch batch(*sh->worker);  // the probes due now leave in one sendmmsg
    sh->prober.tick(*sh->worker, sh->reg.store(), uv_now(t->loop),
                    static_cast<std::uint32_t>(uv_timer_get_repeat(t)));
  }
  sh->publish_sizes();
  sh->publish_proxy();
  if (sh->reg.expiry_backlog()) uv_timer_start(t, &on_expiry_tick, 0, uv_timer_get_repeat(t));
}

}  // namespace

SipService::SipService(const config::Config& cfg)
    : policy_(options_from(cfg)),
      proxy_(proxy_options_from(cfg)),
      identity_(cfg),
      budget_(cfg.registrar.max_bindings),
      shards_(new std::atomic<Shard*>[kMaxWorkers]) {
  proxy_.txn.site_live = &site_transactions_;
  probe_.interval_ms = cfg.continuity.probe_interval_s * 1000;
  probe_.timeout_ms = cfg.continuity.probe_timeout_ms;
  if (cfg.workers > kMaxWorkers)
    throw std::invalid_argument("workers: at most 1024 (one registrar shard each)");
  for (std::size_t i = 0; i < kMaxWorkers; ++i) shards_[i].store(nullptr, std::memory_order_relaxed);
}

SipService::~SipService() {
  // The runtime has joined its workers by now (it is declared after the service and destroyed first).
  for (std::size_t i = 0; i < kMaxWorkers; ++i) delete shards_[i].exchange(nullptr);
}

SipService::Shard& SipService::shard(transport::Worker& w) {
  auto& slot = shards_[w.index()];
  Shard* s = slot.load(std::memory_order_acquire);
  if (s == nullptr) {
    s = new Shard(this, policy_, w.index(), w.now_ms(), probe_);
    slot.store(s, std::memory_order_release);
  }
  return *s;
}

void SipService::on_worker_start(transport::Worker& w) {
  Shard& s = shard(w);
  s.worker = &w;
  uv_timer_init(w.loop(), &s.expiry);
  s.expiry.data = &s;
  const std::uint64_t tick = policy_.options().tick_ms;
  // Expiry runs in the background, a bounded batch per callback: after a mass expiry the next
  // batch runs on the next loop iteration, with socket reads in between.
  uv_timer_start(&s.expiry, &on_expiry_tick, tick, tick);
  // The timer must not keep a stopping loop alive.
  uv_unref(reinterpret_cast<uv_handle_t*>(&s.expiry));
  s.timer_running = true;
  s.proxy = std::make_unique<proxy::Proxy>(w, proxy_, *this, w.runtime().bound());
  s.reg.store().add_change_sink(&s.holders);
  s.reg.store().set_budget(&budget_);
  if (hooks_) hooks_->on_shard_start(w, s.reg.store());
}

void SipService::on_connection_failed(transport::Worker& w, const transport::Source& conn) {
  Shard* s = shards_[w.index()].load(std::memory_order_acquire);
  if (s != nullptr && s->proxy) s->proxy->on_connection_failed(conn);
}

void SipService::on_worker_stop(transport::Worker& w) {
  Shard* s = shards_[w.index()].load(std::memory_order_acquire);
  if (hooks_ && s != nullptr) hooks_->on_shard_stop(w);
  if (s != nullptr) s->reg.store().remove_change_sink(&s->holders);
  if (s != nullptr && s->proxy) {
    s->publish_proxy();
    s->proxy->close();
  }
  if (s == nullptr || !s->timer_running) return;
  s->timer_running = false;
  uv_timer_stop(&s->expiry);
  uv_close(reinterpret_cast<uv_handle_t*>(&s->expiry), nullptr);
}

void SipService::on_message(transport::Worker& w, const transport::Source& src, const sip::Message& msg) {
  if (!msg.is_request()) {
    std::uint16_t owner = 0;
    std::uint64_t seq = 0;
    if (Prober::probe_answer(msg, owner, seq) && owner < w.worker_count()) {
      if (owner == w.index()) {
        Shard& s = shard(w);
        s.prober.answered(s.reg.store(), seq);
      } else {
        post_probe_answer(w, owner, seq);
      }
      return;
    }
    // A response to a request we proxied: handled by the worker whose branch it answers.
    if (proxy::Proxy::response_owner(msg, owner) && owner < w.worker_count()) {
      if (owner == w.index()) {
        if (auto& p = shard(w).proxy) p->on_response(src, msg);
      } else {
        hand_over(w, src, msg, owner);
      }
      return;
    }
    bump(shard(w).responses_dropped);  // not ours: no Via of ours to send it on by
    return;
  }
  switch (msg.method_id()) {
    case sip::Method::register_:
      handle_register(w, src, msg);
      return;
    case sip::Method::options:
      if (answers_options(msg)) {
        handle_options(w, src, msg);
        return;
      }
      break;
    default:
      break;
  }
  if (auto& p = shard(w).proxy) {
    p->on_request(src, msg);
  } else {
    refuse(w, src, msg, 503, "Service Unavailable");
  }
}

bool SipService::answers_options(const sip::Message& msg) const {
  // OPTIONS to the server itself (RFC 3261 §11): a Request-URI without a user part at one of our
  // addresses or domains, and no Route taking it further. Anything else is proxied.
  sip::Uri ruri;
  if (!sip::parse_uri(msg.request_uri(), ruri)) return true;  // answered (with an error) here
  return !ruri.has_user && identity_.is_local(ruri) && !msg.has(sip::HeaderId::route);
}

void SipService::handle_register(transport::Worker& w, const transport::Source& src,
                                 const sip::Message& msg) {
  // The owner is decided here, on the receiving worker, from the To header alone: the worker that
  // first received a REGISTER for the AOR (this one, if none did). A To that yields no key is
  // answered (400) by the local shard: it changes no binding.
  registrar::AorKeyBuffer kb;
  registrar::AorKey key;
  const registrar::AorKey* known = nullptr;
  const std::uint16_t workers = w.worker_count();
  if (workers > 1) {
    std::uint16_t owner = w.index();
    if (registrar::aor_key_from_request(msg, kb, key) == registrar::AorStatus::ok) {
      // Bindings live only at their AOR's owner, so an AOR this worker holds is its own: a refresh
      // skips the owner map, a 2 MiB table whose word for the AOR is seldom in cache.
      owner = shard(w).reg.store().find(key) != nullptr ? w.index() : owners_.claim(key.hash, w.index());
      known = &key;
    }
    if (owner != w.index()) {
      bump(shard(w).forwarded);
      hand_over(w, src, msg, owner);
      return;
    }
  }
  Shard& s = shard(w);
  bump(s.registers);
  sip::Via via;
  if (!transport::top_via(msg, via)) return;  // the transport already checked it; nowhere to answer
  char ip[transport::kIpStrLen];
  char local_key[kLocalKeySize];
  registrar::RequestContext ctx;
  flow_from_source(src, local_key, ctx.flow);
  ctx.now_ms = w.now_ms();
  ctx.wall_time_s = static_cast<std::int64_t>(std::time(nullptr));
  ctx.via = transport::via_fix(via, src, ip);
  ctx.aor = known;
  const std::string_view out = s.reg.handle(msg, ctx, s.out, sizeof s.out);
  s.publish_sizes();
  if (out.empty() || !w.send(transport::response_target(src, via), out)) bump(s.send_failures);
}

void SipService::hand_over(transport::Worker& w, const transport::Source& src, const sip::Message& msg,
                           std::uint16_t owner) {
  const std::string_view raw = msg.raw();
  void* mem = std::malloc(sizeof(HandedOver) + raw.size());
  if (mem == nullptr) return;  // the sender retransmits
  auto* f = new (mem) HandedOver{};
  f->task.run = &SipService::run_handed_over;
  f->service = this;
  f->src = src;
  f->size = static_cast<std::uint32_t>(raw.size());
  std::memcpy(f->bytes, raw.data(), raw.size());
  w.post(owner, &f->task);
}

void SipService::run_handed_over(transport::Worker& w, transport::Task* t) {
  auto* f = reinterpret_cast<HandedOver*>(t);
  sip::Message msg;
  const auto r = sip::parse(std::string_view(f->bytes, f->size), msg, {});
  if (r.status == sip::ParseStatus::ok) {
    auto& p = f->service->shard(w).proxy;
    if (msg.is_request() && msg.method_id() == sip::Method::register_) {
      f->service->handle_register(w, f->src, msg);
    } else if (msg.is_request()) {
      if (p) p->on_request(f->src, msg);
    } else if (p) {
      p->on_response(f->src, msg);
    }
  }
  f->~HandedOver();
  std::free(f);
}

void SipService::handle_options(transport::Worker& w, const transport::Source& src, const sip::Message& msg) {
  sip::Uri ruri;
  if (!sip::parse_uri(msg.request_uri(), ruri)) {
    refuse(w, src, msg, 400, "Bad Request-URI");
    return;
  }
  Shard& s = shard(w);
  bump(s.options);
  sip::Via via;
  if (!transport::top_via(msg, via)) return;
  char ip[transport::kIpStrLen];
  // Max-Forwards 0 does not matter here: we are the destination (RFC 3261 §11, §16.3 step 3).
  const std::string_view out =
      write_options_answer(msg, transport::via_fix(via, src, ip), s.out, sizeof s.out);
  if (out.empty() || !w.send(transport::response_target(src, via), out)) bump(s.send_failures);
}

void SipService::refuse(transport::Worker& w, const transport::Source& src, const sip::Message& msg,
                        int status, std::string_view reason) {
  Shard& s = shard(w);
  bump(s.refused);
  sip::Via via;
  if (!transport::top_via(msg, via)) return;
  char ip[transport::kIpStrLen];
  const std::string_view out =
      write_status(msg, status, reason, transport::via_fix(via, src, ip), s.out, sizeof s.out);
  if (out.empty() || !w.send(transport::response_target(src, via), out)) bump(s.send_failures);
}

void SipService::collect_bindings(transport::Worker& w, std::string_view aor, std::vector<BindingRow>& out) {
  Shard& s = shard(w);
  const auto& store = s.reg.store();
  const std::uint64_t now = w.now_ms();
  auto add_chain = [&](const registrar::Binding* b) {
    for (; b != nullptr; b = b->next_in_aor) {
      const std::uint32_t left = b->remaining_s(now);
      if (left == 0) continue;  // due, not collected yet
      BindingRow r;
      r.site = store.site(*b);
      r.aor.append(b->aor_user()).append("@").append(store.domain(*b));
      r.contact = b->contact();
      r.expires = left;
      r.user_agent = store.user_agent(*b);
      r.reachable = !b->out_of_service();
      char ip[transport::kIpStrLen] = {};
      if (b->family == 4 || b->family == 6) {
        sockaddr_storage ss{};
        if (b->family == 4) {
          auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
          sin->sin_family = AF_INET;
          std::memcpy(&sin->sin_addr, b->addr, 4);
        } else {
          auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
          sin6->sin6_family = AF_INET6;
          std::memcpy(&sin6->sin6_addr, b->addr, 16);
        }
        static constexpr const char* kProto[] = {"udp", "tcp", "tls", "other"};
        const auto t = static_cast<unsigned>(b->transport);
        if (uv_ip_name(reinterpret_cast<const sockaddr*>(&ss), ip, sizeof ip) == 0) {
          r.received = (b->family == 6 ? "[" + std::string(ip) + "]" : std::string(ip)) + ":" +
                       std::to_string(b->port) + "/" + (t < 4 ? kProto[t] : "other");
        }
      }
      out.push_back(std::move(r));
    }
  };
  if (aor.empty()) {
    store.for_each_aor([&](const registrar::Binding& head) { add_chain(&head); });
  } else {
    const auto at = aor.rfind('@');
    if (at != std::string_view::npos) {
      const auto user = aor.substr(0, at), domain = aor.substr(at + 1);
      const registrar::AorKey k{user, domain, registrar::aor_hash(user, domain)};
      // Only the owning shard holds it; the others find nothing.
      add_chain(store.find(k));
    }
  }
  if (hooks_) hooks_->collect_remote(w, aor, out);
}

namespace {

// Asks every worker of rt for its rows (collect runs on each worker's thread, into its own part)
// and hands them all to done on the thread of the worker that finishes last.
template <class Row>
struct Gather {
  std::atomic<std::size_t> left;
  std::vector<std::vector<Row>> parts;
  std::function<void(transport::Worker&, std::vector<Row>&)> collect;
  std::function<void(std::vector<Row>)> done;
};

template <class Row>
struct GatherTask {
  transport::Task task;
  std::shared_ptr<Gather<Row>> state;
};

template <class Row>
void gather(transport::Runtime& rt, std::function<void(transport::Worker&, std::vector<Row>&)> collect,
            std::function<void(std::vector<Row>)> done) {
  const std::size_t n = rt.workers();
  if (n == 0) {
    done({});
    return;
  }
  auto st = std::make_shared<Gather<Row>>();
  st->left.store(n);
  st->parts.resize(n);
  st->collect = std::move(collect);
  st->done = std::move(done);
  for (std::size_t i = 0; i < n; ++i) {
    auto* t = new GatherTask<Row>{{}, st};
    t->task.run = [](transport::Worker& w, transport::Task* task) {
      std::unique_ptr<GatherTask<Row>> q(reinterpret_cast<GatherTask<Row>*>(task));
      // Each worker writes only its own part; the last one (acq_rel) sees them all.
      q->state->collect(w, q->state->parts[w.index()]);
      if (q->state->left.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::vector<Row> all;
        for (auto& p : q->state->parts) {
          for (auto& r : p) all.push_back(std::move(r));
        }
        q->state->done(std::move(all));
      }
    };
    rt.worker(0).post(static_cast<std::uint16_t>(i), &t->task);
  }
}

}  // namespace

void SipService::query_bindings(transport::Runtime& rt, std::string aor,
                                std::function<void(std::vector<BindingRow>)> done) {
  gather<BindingRow>(
      rt,
      [this, aor = std::move(aor)](transport::Worker& w, std::vector<BindingRow>& out) {
        collect_bindings(w, aor, out);
      },
      std::move(done));
}

void SipService::query_local_users(transport::Runtime& rt,
                                   std::function<void(std::vector<std::string>)> done) {
  gather<std::string>(
      rt,
      [this](transport::Worker& w, std::vector<std::string>& out) {
        const auto& store = shard(w).reg.store();
        const std::uint64_t now = w.now_ms();
        store.for_each_aor([&](const registrar::Binding& head) {
          for (const registrar::Binding* b = &head; b != nullptr; b = b->next_in_aor) {
            if (b->remaining_s(now) > 0) {
              out.emplace_back(b->aor_user());
              return;
            }
          }
        });
      },
      std::move(done));
}

namespace {
struct ReleaseTask {
  transport::Task task;
  SipService* service;
  std::string user, domain;
  std::uint64_t hash;
};
}  // namespace

namespace {
struct ProbeAnswerTask {
  transport::Task task;
  SipService* service;
  std::uint64_t seq;
};
}  // namespace

void SipService::post_probe_answer(transport::Worker& w, std::uint16_t owner, std::uint64_t seq) {
  auto* t = new ProbeAnswerTask{{}, this, seq};
  t->task.run = [](transport::Worker& target, transport::Task* task) {
    std::unique_ptr<ProbeAnswerTask> a(reinterpret_cast<ProbeAnswerTask*>(task));
    Shard& s = a->service->shard(target);
    s.prober.answered(s.reg.store(), a->seq);
  };
  w.post(owner, &t->task);
}

void SipService::release_aor(transport::Runtime& rt, std::string user, std::string domain) {
  const auto hash = registrar::aor_hash(user, domain);
  const auto owner = owners_.owner(hash, 0);  // unclaimed: no worker holds any binding of it
  auto* t = new ReleaseTask{{}, this, std::move(user), std::move(domain), hash};
  t->task.run = [](transport::Worker& w, transport::Task* task) {
    std::unique_ptr<ReleaseTask> r(reinterpret_cast<ReleaseTask*>(task));
    Shard& s = r->service->shard(w);
    auto& store = s.reg.store();
    const registrar::AorKey key{r->user, r->domain, r->hash};
    while (registrar::Binding* b = store.find(key)) store.remove(b, key, registrar::ChangeKind::removed);
    s.publish_sizes();
  };
  rt.worker(0).post(owner, &t->task);
}

// ---- The proxy's environment ----

namespace {

// Whether requests to a binding go over the flow it registered from rather than to its Contact:
// always for streams (the phone's connection is the only way in) and RFC 5626 outbound
// registrations; over UDP when the Contact's address is not the one the REGISTER came from (a
// NAT, RFC 3261 §18.2.2's received). A phone that registers from one port and listens on another
// of the same address is reached at its Contact.
bool reach_by_flow(const registrar::Binding& b, std::string_view contact, const transport::Source& flow) {
  if (b.transport != registrar::Transport::udp || (b.flags & registrar::Binding::kOutbound) != 0) return true;
  sip::Uri u;
  sockaddr_storage a{};
  if (!sip::parse_uri(contact, u) || !transport::make_sockaddr(u.host_unbracketed(), 0, a)) return true;
  return !transport::sockaddr_same_ip(a, flow.peer);
}

}  // namespace

bool SipService::is_local_domain(std::string_view host) const {
  return identity_.is_local_host(host);
}

std::uint64_t SipService::fill_location(transport::Worker& w, std::string_view user, std::string_view domain,
                                        std::uint64_t hash, bool want_peer, proxy::Location& out) {
  Shard& s = shard(w);
  const auto& store = s.reg.store();
  const std::uint64_t now = w.now_ms();
  const registrar::AorKey key{user, domain, hash};
  std::uint64_t earliest = 0;
  for (const registrar::Binding* b = store.find(key); b != nullptr; b = b->next_in_aor) {
    if (b->remaining_s(now) == 0) continue;  // due, not collected yet
    if (earliest == 0 || b->expires_at_ms() < earliest) earliest = b->expires_at_ms();
    proxy::Contact c;
    c.uri = std::string(b->contact());
    c.path = std::string(b->path());
    c.q = b->q;
    c.reachable = !b->out_of_service();
    c.has_flow = binding_target(*b, store.local(*b), c.flow) && reach_by_flow(*b, c.uri, c.flow);
    out.contacts.push_back(std::move(c));
  }
  if (want_peer && hooks_) {
    std::vector<BindingRow> rows;
    std::string aor(user);
    aor.append("@").append(domain);
    hooks_->collect_remote(w, aor, rows);
    for (const auto& r : rows) {
      if (r.expires == 0) continue;
      out.peer_registered = true;
      out.peer_reachable = out.peer_reachable || r.reachable;
    }
  }
  return earliest;
}

namespace {

// A location lookup on the worker owning the AOR, and its answer on the way back.
struct LocateTask {
  transport::Task task;
  SipService* service;
  std::string user, domain;
  std::uint64_t hash;
  bool want_peer;
  std::uint16_t origin;
  std::uint64_t call;
  proxy::Location result;
  std::uint64_t copy_until_ms = 0;  // non-zero: the owner counts origin as a holder of a copy
};

// Drops a worker's copies of an AOR (posted by the owner when one of its bindings changed).
struct DropCopyTask {
  transport::Task task;
  SipService* service;
  std::uint32_t hash;
};

}  // namespace

void SipService::Shard::post_drop(void* ctx, std::uint16_t holder, std::uint32_t hash) noexcept {
  auto* self = static_cast<Shard*>(ctx);
  if (self->worker == nullptr || holder >= self->worker->worker_count()) return;
  auto* t = new (std::nothrow) DropCopyTask{{}, self->service, hash};
  if (t == nullptr) return;  // out of memory: the copy lapses at its binding's expiry instead
  t->task.run = [](transport::Worker& w, transport::Task* task) {
    std::unique_ptr<DropCopyTask> d(reinterpret_cast<DropCopyTask*>(task));
    Shard& here = d->service->shard(w);
    here.copies.drop(d->hash);
    bump(here.copies_dropped);
  };
  self->worker->post(holder, &t->task);
}

bool SipService::locate(transport::Worker& w, const sip::Uri& ruri, bool want_peer, std::uint64_t call,
                        proxy::Location& out) {
  registrar::AorKeyBuffer kb;
  registrar::AorKey key;
  if (registrar::aor_key_from_uri(ruri, kb, key) != registrar::AorStatus::ok) {
    out.contacts.clear();  // not an AOR anyone can register: nobody there
    return true;
  }
  // Unclaimed: no worker holds a binding of it, this one answers (with nobody) at once.
  const std::uint16_t owner = owners_.owner(key.hash, w.index());
  if (owner == w.index()) {
    fill_location(w, key.user, key.domain, key.hash, want_peer, out);
    return true;
  }
  Shard& here = shard(w);
  const auto hash32 = static_cast<std::uint32_t>(key.hash);
  if (!want_peer) {
    if (const proxy::Location* copy = here.copies.find(key.user, key.domain, hash32, w.now_ms())) {
      out = *copy;
      bump(here.lookups_from_copies);
      return true;
    }
  }
  bump(here.lookups_posted);
  auto* t = new LocateTask{
      {}, this, std::string(key.user), std::string(key.domain), key.hash, want_peer, w.index(), call, {}};
  t->task.run = [](transport::Worker& ow, transport::Task* task) {
    auto* lt = reinterpret_cast<LocateTask*>(task);
    const std::uint64_t earliest =
        lt->service->fill_location(ow, lt->user, lt->domain, lt->hash, lt->want_peer, lt->result);
    // A copy is worth keeping when there is something to copy and nothing of the peer's in it;
    // from here on any change to the AOR's bindings drops it.
    if (!lt->want_peer && earliest != 0 &&
        lt->service->shard(ow).holders.add(static_cast<std::uint32_t>(lt->hash), lt->origin)) {
      lt->copy_until_ms = earliest;
    }
    lt->task.run = [](transport::Worker& back, transport::Task* answer) {
      std::unique_ptr<LocateTask> a(reinterpret_cast<LocateTask*>(answer));
      Shard& origin = a->service->shard(back);
      if (a->copy_until_ms != 0) {
        origin.copies.keep(a->user, a->domain, static_cast<std::uint32_t>(a->hash), a->copy_until_ms,
                           a->result, back.now_ms());
      }
      if (auto& p = origin.proxy) p->on_located(a->call, std::move(a->result));
    };
    ow.post(lt->origin, &lt->task);
  };
  w.post(owner, &t->task);
  return false;
}

void SipService::call_event(std::string_view dn, std::string_view call_id, bool started) {
  if (call_observer_) call_observer_(dn, call_id, started);
}

namespace {
struct ViewTask {
  transport::Task task;
  SipService* service;
  proxy::RoutingViewPtr view;
  bool peer_down;
};
}  // namespace

void SipService::set_routing_view(transport::Runtime& rt, proxy::RoutingViewPtr view) {
  for (std::size_t i = 0; i < rt.workers(); ++i) {
    auto* t = new ViewTask{{}, this, view, false};
    t->task.run = [](transport::Worker& w, transport::Task* task) {
      std::unique_ptr<ViewTask> v(reinterpret_cast<ViewTask*>(task));
      if (auto& p = v->service->shard(w).proxy) p->set_view(std::move(v->view));
    };
    rt.worker(0).post(static_cast<std::uint16_t>(i), &t->task);
  }
}

void SipService::peer_down(transport::Runtime& rt) {
  for (std::size_t i = 0; i < rt.workers(); ++i) {
    auto* t = new ViewTask{{}, this, nullptr, true};
    t->task.run = [](transport::Worker& w, transport::Task* task) {
      std::unique_ptr<ViewTask> v(reinterpret_cast<ViewTask*>(task));
      if (auto& p = v->service->shard(w).proxy) p->on_peer_down();
    };
    rt.worker(0).post(static_cast<std::uint16_t>(i), &t->task);
  }
}

ServiceStats SipService::stats() const noexcept {
  ServiceStats st;
  for (std::size_t i = 0; i < kMaxWorkers; ++i) {
    const Shard* s = shards_[i].load(std::memory_order_acquire);
    if (s == nullptr) continue;
    st.registers += s->registers.load(std::memory_order_relaxed);
    st.registers_forwarded += s->forwarded.load(std::memory_order_relaxed);
    st.options += s->options.load(std::memory_order_relaxed);
    st.refused += s->refused.load(std::memory_order_relaxed);
    st.responses_dropped += s->responses_dropped.load(std::memory_order_relaxed);
    st.send_failures += s->send_failures.load(std::memory_order_relaxed);
    st.bindings += s->bindings.load(std::memory_order_relaxed);
    st.aors += s->aors.load(std::memory_order_relaxed);
    st.lookups_posted += s->lookups_posted.load(std::memory_order_relaxed);
    st.lookups_from_copies += s->lookups_from_copies.load(std::memory_order_relaxed);
    st.copies_dropped += s->copies_dropped.load(std::memory_order_relaxed);
    st.registers_refused_full += s->refused_full.load(std::memory_order_relaxed);
    std::uint64_t words[kProxyStatWords], sum[kProxyStatWords];
    std::memcpy(sum, &st.proxy, sizeof sum);
    for (std::size_t k = 0; k < kProxyStatWords; ++k)
      words[k] = sum[k] + s->proxy_stats[k].load(std::memory_order_relaxed);
    std::memcpy(&st.proxy, words, sizeof words);
    st.transactions += s->transactions.load(std::memory_order_relaxed);
    st.calls += s->calls.load(std::memory_order_relaxed);
    st.retransmissions_absorbed += s->absorbed.load(std::memory_order_relaxed);
  }
  return st;
}

}  // namespace duet::server
