// Worker -> control: each registrar shard's ChangeSink serializes the change into its worker's
// bounded ring. The control loop drains the rings on a short timer (which also batches the deltas
// on the link); the worker wakes it (uv_async_send) only when its ring is half full, so the
// REGISTER path makes no system call for replication.
// When the ring is full the change is counted and its key goes into the shard's dirty set (at
// most one entry per key); a worker timer later sends the current state of each dirty key (or a
// tombstone if it is gone), so nothing is silently lost and memory stays bounded by the keys.
#pragma once

#include <uv.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <unordered_set>

#include "duet/registrar/change_sink.hpp"
#include "duet/replication/spsc_ring.hpp"

namespace duet::replication {

// Ring message: u8 deleted, str16 key, then the binding payload (binding_record.hpp).
class ShardFeed final : public registrar::ChangeSink {
 public:
  ShardFeed(std::uint16_t shard, std::size_t ring_bytes, uv_async_t* wake);
  ~ShardFeed() override;

  // On the worker's thread: installs the sink on store and a timer on the worker's loop.
  void attach(uv_loop_t* worker_loop, registrar::BindingStore& store);
  // On the worker's thread, at its stop: removes the sink, closes the timer.
  void detach();
  void on_binding_change(const registrar::BindingStore& store, registrar::ChangeKind kind,
                         const registrar::Binding& b) noexcept override;

  std::uint16_t shard() const noexcept { return shard_; }
  SpscRing& ring() noexcept { return ring_; }
  std::uint64_t queue_full() const noexcept { return queue_full_.load(std::memory_order_relaxed); }
  std::uint64_t pushed() const noexcept { return pushed_.load(std::memory_order_relaxed); }
  std::uint64_t dirty_count() const noexcept { return dirty_size_.load(std::memory_order_relaxed); }

  // Builds the ring message for b.
  static void encode(std::string& out, const registrar::BindingStore& store, const registrar::Binding& b,
                     bool deleted, std::uint64_t loop_now_ms, std::uint64_t wall_now_ms);
  // Worker thread: sends the current state of dirty keys while the ring has room.
  void flush_dirty();

 private:
  static void on_timer(uv_timer_t* t);
  void push_or_mark(std::string_view key);

  std::uint16_t shard_;
  SpscRing ring_;
  uv_async_t* wake_;
  uv_loop_t* loop_ = nullptr;
  registrar::BindingStore* store_ = nullptr;
  uv_timer_t* timer_ = nullptr;
  std::string scratch_;                    // worker thread only
  std::unordered_set<std::string> dirty_;  // worker thread only
  std::atomic<std::uint64_t> queue_full_{0}, pushed_{0}, dirty_size_{0};
};

}  // namespace duet::replication
