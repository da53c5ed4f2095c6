#include "duet/replication/worker_replication.hpp"

#include <atomic>

#include "duet/registrar/aor_key.hpp"
#include "duet/registrar/binding_store.hpp"
#include "duet/replication/binding_record.hpp"
#include "duet/replication/wire.hpp"
#include "duet/transport/runtime.hpp"
#include "duet/transport/worker.hpp"

namespace duet::replication {
namespace {

// Messages drained per feed per wake-up, so a flood from one worker does not starve the link.
constexpr std::size_t kDrainBudget = 8192;

struct FnTask {
  transport::Task task;
  std::function<void(transport::Worker&)> fn;
};

}  // namespace

WorkerReplication::WorkerReplication(control::ControlLoop& control, std::size_t workers,
                                     std::size_t ring_bytes, std::uint32_t drain_ms)
    : control_(control), wake_(new uv_async_t), timer_(new uv_timer_t) {
  uv_async_init(control_.loop(), wake_, &WorkerReplication::on_wake);
  wake_->data = this;
  uv_timer_init(control_.loop(), timer_);
  timer_->data = this;
  uv_timer_start(timer_, &WorkerReplication::on_timer, drain_ms, drain_ms);
  for (std::size_t i = 0; i < workers; ++i) {
    feeds_.push_back(std::make_unique<ShardFeed>(static_cast<std::uint16_t>(i), ring_bytes, wake_));
    views_.push_back(std::make_unique<RemoteView>());
  }
  drained_.assign(workers, 0);
  // The handles are freed by their close callbacks, whenever the loop gets to them.
  control_.on_stop([w = wake_, t = timer_] {
    for (auto* h : {reinterpret_cast<uv_handle_t*>(w), reinterpret_cast<uv_handle_t*>(t)}) {
      if (!uv_is_closing(h)) {
        uv_close(h, [](uv_handle_t* x) {
          if (x->type == UV_ASYNC) {
            delete reinterpret_cast<uv_async_t*>(x);
          } else {
            delete reinterpret_cast<uv_timer_t*>(x);
          }
        });
      }
    }
  });
}

WorkerReplication::~WorkerReplication() = default;

void WorkerReplication::attach(transport::Worker& w, registrar::BindingStore& store) {
  if (w.index() < feeds_.size()) feeds_[w.index()]->attach(w.loop(), store);
}

void WorkerReplication::detach(transport::Worker& w) {
  if (w.index() < feeds_.size()) feeds_[w.index()]->detach();
}

void WorkerReplication::on_wake(uv_async_t* a) {
  static_cast<WorkerReplication*>(a->data)->drain();
}

void WorkerReplication::on_timer(uv_timer_t* t) {
  static_cast<WorkerReplication*>(t->data)->drain();
}

void WorkerReplication::drain() {
  if (replicator_ == nullptr) return;
  bool more = false;
  for (std::size_t i = 0; i < feeds_.size(); ++i) {
    auto& feed = *feeds_[i];
    drained_[i] += feed.ring().drain(
        [&](std::string_view msg) {
          WireReader r(msg);
          std::uint8_t deleted;
          std::string_view key;
          if (!r.u8(deleted) || !r.str16(key)) return;
          const auto payload = msg.substr(msg.size() - r.left());
          replicator_->publish(RecordKind::binding, key, payload, deleted != 0,
                               static_cast<std::uint16_t>(i));
          if (observer_) observer_(key, payload, deleted != 0);
        },
        kDrainBudget);
    if (feed.ring().used_bytes() > 0) more = true;
  }
  replicator_->flush();
  if (more) uv_async_send(wake_);  // the rest on the next loop iteration
}

void WorkerReplication::post_to_worker(std::size_t i, std::function<void(transport::Worker&)> fn) {
  auto* t = new FnTask{{}, std::move(fn)};
  t->task.run = [](transport::Worker& w, transport::Task* task) {
    auto* self = reinterpret_cast<FnTask*>(task);
    self->fn(w);
    delete self;
  };
  runtime_->worker(0).post(static_cast<std::uint16_t>(i), &t->task);
}

void WorkerReplication::begin_snapshot(const std::string&, std::uint64_t) {}

void WorkerReplication::apply(const std::string& origin, std::uint64_t generation,
                              std::vector<Record>&& records, std::function<void()> done) {
  const std::size_t n = views_.size();
  std::vector<std::vector<Record>> per(n);
  for (auto& r : records) {
    if (r.kind != RecordKind::binding) {
      if (config_) config_->apply_remote(r);
      continue;
    }
    std::string_view user, domain;
    if (!parse_binding_key(r.key, user, domain)) continue;
    if (remote_observer_) remote_observer_(r);
    const std::uint64_t hash = registrar::aor_hash(user, domain);
    std::uint16_t owner = registrar::shard_of(hash, static_cast<std::uint16_t>(n));
    if (owners_ != nullptr) owner = owners_->claim(hash, owner);
    per[owner].push_back(std::move(r));
  }
  auto pending = std::make_shared<std::atomic<int>>(0);
  for (const auto& v : per) {
    if (!v.empty()) pending->fetch_add(1);
  }
  if (pending->load() == 0 || runtime_ == nullptr) {
    done();
    return;
  }
  auto shared_done = std::make_shared<std::function<void()>>(std::move(done));
  control::ControlLoop* control = &control_;
  for (std::size_t i = 0; i < n; ++i) {
    if (per[i].empty()) continue;
    post_to_worker(i, [this, i, origin, generation, recs = std::move(per[i]), pending, shared_done,
                       control](transport::Worker&) {
      auto& view = *views_[i];
      for (const auto& r : recs) view.apply(origin, generation, r);
      if (pending->fetch_sub(1) == 1) control->post([shared_done] { (*shared_done)(); });
    });
  }
}

void WorkerReplication::end_snapshot(const std::string& origin, std::uint64_t generation) {
  if (runtime_ == nullptr) return;
  // Posted after every apply of the snapshot: each worker's mailbox keeps posting order.
  for (std::size_t i = 0; i < views_.size(); ++i) {
    post_to_worker(
        i, [this, i, origin, generation](transport::Worker&) { views_[i]->sweep(origin, generation); });
  }
}

PeerStatus WorkerReplication::status() const {
  PeerStatus st = replicator_ ? replicator_->status() : PeerStatus{};
  for (std::size_t i = 0; i < feeds_.size(); ++i) {
    st.queue_full += feeds_[i]->queue_full();
    const auto pushed = feeds_[i]->pushed();
    st.queue_depth += pushed > drained_[i] ? pushed - drained_[i] : 0;
    st.queue_depth += feeds_[i]->dirty_count();
  }
  return st;
}

}  // namespace duet::replication
