#include "duet/replication/local_store.hpp"

#include <stdexcept>

namespace duet::replication {

LocalStore::LocalStore(std::string origin, std::size_t log_capacity)
    : origin_(std::move(origin)), log_(log_capacity == 0 ? 1 : log_capacity) {}

std::uint64_t LocalStore::put(RecordKind kind, std::string_view key, std::string_view payload, bool deleted,
                              std::uint64_t hlc, std::uint16_t shard) {
  auto it = index_.find(key);
  std::uint32_t slot;
  if (it == index_.end()) {
    if (deleted) return 0;
    if (!free_.empty()) {
      slot = free_.back();
      free_.pop_back();
    } else {
      // Index keys are views into the slots' strings: never let slots_ reallocate under them
      // with std::string moves of short (SSO) keys, whose bytes live inside the Entry.
      if (slots_.size() == slots_.capacity()) {
        index_.clear();
        slots_.reserve(slots_.empty() ? 1024 : slots_.size() * 2);
        for (std::uint32_t i = 0; i < slots_.size(); ++i) {
          if (slots_[i].version != 0) index_.emplace(slots_[i].key, i);
        }
      }
      slots_.emplace_back();
      slot = static_cast<std::uint32_t>(slots_.size() - 1);
    }
    Entry& e = slots_[slot];
    e.key.assign(key);
    index_.emplace(e.key, slot);
    ++live_;
  } else {
    slot = it->second;
    Entry& e = slots_[slot];
    if (e.deleted && deleted) return 0;  // already a tombstone
    if (e.deleted) ++live_;
    if (deleted) --live_;
  }
  Entry& e = slots_[slot];
  const std::uint64_t v = next_++;
  e.version = v;
  e.hlc = hlc;
  e.kind = kind;
  e.deleted = deleted;
  e.shard = shard;
  if (deleted) {
    e.payload.clear();
    tombstones_.push_back({v, slot});
  } else {
    e.payload.assign(payload);
  }
  log_[v % log_.size()] = slot;
  return v;
}

bool LocalStore::covers(std::uint64_t held) const noexcept {
  if (held > newest()) return false;
  return newest() - held <= log_.size();
}

const LocalStore::Entry* LocalStore::at_version(std::uint64_t v) const noexcept {
  if (v == 0 || v > newest() || newest() - v >= log_.size()) return nullptr;
  const Entry& e = slots_[log_[v % log_.size()]];
  return e.version == v ? &e : nullptr;
}

const LocalStore::Entry* LocalStore::find(std::string_view key) const {
  const auto it = index_.find(key);
  return it == index_.end() ? nullptr : &slots_[it->second];
}

void LocalStore::collect(std::uint64_t acked) {
  const std::uint64_t out_of_log = newest() > log_.size() ? newest() - log_.size() : 0;
  const std::uint64_t bound = acked > out_of_log ? acked : out_of_log;
  while (!tombstones_.empty() && tombstones_.front().version <= bound) {
    const Tomb t = tombstones_.front();
    tombstones_.pop_front();
    Entry& e = slots_[t.slot];
    if (e.version != t.version) continue;  // the key came back since: not a tombstone any more
    index_.erase(std::string_view(e.key));
    e = Entry{};
    free_.push_back(t.slot);
  }
}

}  // namespace duet::replication
