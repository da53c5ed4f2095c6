#include "duet/replication/change_feed.hpp"

#include "duet/registrar/binding.hpp"
#include "duet/registrar/binding_store.hpp"
#include "duet/replication/binding_record.hpp"
#include "duet/replication/hlc.hpp"
#include "duet/replication/wire.hpp"

namespace duet::replication {

ShardFeed::ShardFeed(std::uint16_t shard, std::size_t ring_bytes, uv_async_t* wake)
    : shard_(shard), ring_(ring_bytes), wake_(wake) {
  scratch_.reserve(1024);
}

void ShardFeed::encode(std::string& out, const registrar::BindingStore& store, const registrar::Binding& b,
                       bool deleted, std::uint64_t loop_now_ms, std::uint64_t wall_now_ms) {
  out.clear();
  WireWriter w(out);
  w.u8(deleted ? 1 : 0);
  w.str16(binding_key_of(store, b));
  if (!deleted) encode_binding_of(out, store, b, loop_now_ms, wall_now_ms);
}

void ShardFeed::on_binding_change(const registrar::BindingStore& store, registrar::ChangeKind kind,
                                  const registrar::Binding& b) noexcept {
  const bool deleted = kind == registrar::ChangeKind::removed || kind == registrar::ChangeKind::expired;
  try {
    encode(scratch_, store, b, deleted, loop_ ? uv_now(loop_) : 0, wall_ms());
  } catch (...) {  // out of memory: same as a full ring
    scratch_.clear();
  }
  if (scratch_.empty() || !ring_.push(scratch_)) {
    queue_full_.fetch_add(1, std::memory_order_relaxed);
    dirty_.store(true, std::memory_order_release);
  } else {
    pushed_.fetch_add(1, std::memory_order_relaxed);
  }
  uv_async_send(wake_);
}

}  // namespace duet::replication
