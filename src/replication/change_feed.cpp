#include "duet/replication/change_feed.hpp"

#include "duet/registrar/aor_key.hpp"
#include "duet/registrar/binding.hpp"
#include "duet/registrar/binding_store.hpp"
#include "duet/replication/binding_record.hpp"
#include "duet/replication/hlc.hpp"
#include "duet/replication/wire.hpp"

namespace duet::replication {
namespace {
constexpr std::uint64_t kDirtyFlushMs = 20;
}

ShardFeed::ShardFeed(std::uint16_t shard, std::size_t ring_bytes, uv_async_t* wake)
    : shard_(shard), ring_(ring_bytes), wake_(wake) {
  scratch_.reserve(1024);
}

ShardFeed::~ShardFeed() = default;

void ShardFeed::attach(uv_loop_t* worker_loop, registrar::BindingStore& store) {
  loop_ = worker_loop;
  store_ = &store;
  timer_ = new uv_timer_t;
  uv_timer_init(loop_, timer_);
  timer_->data = this;
  uv_unref(reinterpret_cast<uv_handle_t*>(timer_));  // must not keep a stopping worker alive
  store.add_change_sink(this);
}

void ShardFeed::detach() {
  if (store_) store_->remove_change_sink(this);
  store_ = nullptr;
  if (timer_) {
    uv_timer_stop(timer_);
    uv_close(reinterpret_cast<uv_handle_t*>(timer_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    timer_ = nullptr;
  }
}

void ShardFeed::encode(std::string& out, const registrar::BindingStore& store, const registrar::Binding& b,
                       bool deleted, std::uint64_t loop_now_ms, std::uint64_t wall_now_ms) {
  out.clear();
  WireWriter w(out);
  w.u8(deleted ? 1 : 0);
  append_binding_key_str16(out, store, b);
  if (!deleted) encode_binding_of(out, store, b, loop_now_ms, wall_now_ms);
}

void ShardFeed::on_binding_change(const registrar::BindingStore& store, registrar::ChangeKind kind,
                                  const registrar::Binding& b) noexcept {
  const bool deleted = kind == registrar::ChangeKind::removed || kind == registrar::ChangeKind::expired;
  try {
    encode(scratch_, store, b, deleted, loop_ ? uv_now(loop_) : 0, wall_ms());
    if (!dirty_.empty() || !ring_.push(scratch_)) {
      // Behind: remember the key only; its state at flush time is what the peer needs.
      WireReader r(scratch_);
      std::uint8_t del;
      std::string_view key;
      r.u8(del);
      r.str16(key);
      push_or_mark(key);
    } else {
      pushed_.fetch_add(1, std::memory_order_relaxed);
    }
  } catch (...) {
    queue_full_.fetch_add(1, std::memory_order_relaxed);  // out of memory: counted, nothing else to do
  }
  // The control loop drains every few ms on its own timer, which batches the deltas; a wake-up
  // (a system call here) is worth it only when the ring is filling up.
  if (ring_.used_bytes() * 2 > ring_.capacity() || !dirty_.empty()) uv_async_send(wake_);
}

void ShardFeed::push_or_mark(std::string_view key) {
  queue_full_.fetch_add(1, std::memory_order_relaxed);
  dirty_.emplace(key);
  dirty_size_.store(dirty_.size(), std::memory_order_relaxed);
  if (timer_ && !uv_is_active(reinterpret_cast<uv_handle_t*>(timer_))) {
    uv_timer_start(timer_, &ShardFeed::on_timer, kDirtyFlushMs, kDirtyFlushMs);
  }
}

void ShardFeed::on_timer(uv_timer_t* t) {
  static_cast<ShardFeed*>(t->data)->flush_dirty();
}

void ShardFeed::flush_dirty() {
  if (store_ == nullptr) return;
  const std::uint64_t now = loop_ ? uv_now(loop_) : 0, wall = wall_ms();
  std::string msg;
  for (auto it = dirty_.begin(); it != dirty_.end();) {
    std::string_view user, domain;
    const registrar::Binding* found = nullptr;
    if (parse_binding_key(*it, user, domain)) {
      const registrar::AorKey k{user, domain, registrar::aor_hash(user, domain)};
      for (const registrar::Binding* b = store_->find(k); b != nullptr; b = b->next_in_aor) {
        if (binding_key_of(*store_, *b) == *it) {
          found = b;
          break;
        }
      }
    }
    if (found) {
      encode(msg, *store_, *found, false, now, wall);
    } else {
      msg.clear();
      WireWriter w(msg);
      w.u8(1);
      w.str16(*it);
    }
    if (!ring_.push(msg)) break;
    pushed_.fetch_add(1, std::memory_order_relaxed);
    it = dirty_.erase(it);
  }
  dirty_size_.store(dirty_.size(), std::memory_order_relaxed);
  if (dirty_.empty() && timer_) uv_timer_stop(timer_);
  uv_async_send(wake_);
}

}  // namespace duet::replication
