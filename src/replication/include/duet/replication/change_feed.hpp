// Worker -> control: each registrar shard's ChangeSink serializes the change into its worker's
// bounded ring and wakes the control loop (uv_async_send coalesces a burst into one wake-up).
// When the ring is full the change is counted and the shard is marked dirty; the control loop
// then resynchronises that shard from the worker's current state (nothing is silently lost).
#pragma once

#include <uv.h>

#include <atomic>
#include <cstdint>
#include <string>

#include "duet/registrar/change_sink.hpp"
#include "duet/replication/spsc_ring.hpp"

namespace duet::replication {

// Ring message: u8 deleted, str16 key, then the binding payload (binding_record.hpp).
class ShardFeed final : public registrar::ChangeSink {
 public:
  ShardFeed(std::uint16_t shard, std::size_t ring_bytes, uv_async_t* wake);

  // On the worker's thread, before the sink is installed: the loop whose clock the store uses.
  void attach(uv_loop_t* worker_loop) noexcept { loop_ = worker_loop; }
  void on_binding_change(const registrar::BindingStore& store, registrar::ChangeKind kind,
                         const registrar::Binding& b) noexcept override;

  std::uint16_t shard() const noexcept { return shard_; }
  SpscRing& ring() noexcept { return ring_; }
  std::uint64_t queue_full() const noexcept { return queue_full_.load(std::memory_order_relaxed); }
  std::uint64_t pushed() const noexcept { return pushed_.load(std::memory_order_relaxed); }
  // Control loop: true once if a change was refused since the last call.
  bool take_dirty() noexcept { return dirty_.exchange(false, std::memory_order_acq_rel); }

  // Builds the ring message for b (also used by the shard resync on the worker).
  static void encode(std::string& out, const registrar::BindingStore& store, const registrar::Binding& b,
                     bool deleted, std::uint64_t loop_now_ms, std::uint64_t wall_now_ms);

 private:
  std::uint16_t shard_;
  SpscRing ring_;
  uv_async_t* wake_;
  uv_loop_t* loop_ = nullptr;
  std::string scratch_;  // worker thread only
  std::atomic<std::uint64_t> queue_full_{0}, pushed_{0};
  std::atomic<bool> dirty_{false};
};

}  // namespace duet::replication
