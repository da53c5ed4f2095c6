#include "duet/replication/local_store.hpp"

#include <stdexcept>

#include "duet/sip/siphash.hpp"

namespace duet::replication {

LocalStore::LocalStore(std::string origin, std::size_t log_capacity)
    : origin_(std::move(origin)), log_(log_capacity == 0 ? 1 : log_capacity) {}

namespace {
constexpr std::size_t kNpos = static_cast<std::size_t>(-1);

std::uint64_t key_hash(std::string_view key) noexcept {
  return sip::keyed_hash(key);  // keys come from registrations and from the peer: not guessable
}
}  // namespace

std::size_t LocalStore::index_find(std::string_view key, std::uint64_t h) const noexcept {
  if (index_.empty()) return kNpos;
  const std::size_t mask = index_.size() - 1;
  const std::uint64_t tag = h >> 32;
  for (std::size_t i = static_cast<std::size_t>(tag) & mask;; i = (i + 1) & mask) {
    const std::uint64_t c = index_[i];
    if (c == 0) return kNpos;
    if ((c >> 32) == tag && slots_[(c & 0xffffffffu) - 1].key == key) return i;
  }
}

void LocalStore::index_insert(std::uint64_t h, std::uint32_t slot) {
  if ((index_used_ + 1) * 2 > index_.size()) {
    std::vector<std::uint64_t> old(index_.empty() ? 2048 : index_.size() * 2, 0);
    old.swap(index_);
    const std::size_t mask = index_.size() - 1;
    for (const std::uint64_t c : old) {
      if (c == 0) continue;
      std::size_t i = static_cast<std::size_t>(c >> 32) & mask;
      while (index_[i] != 0) i = (i + 1) & mask;
      index_[i] = c;
    }
  }
  const std::size_t mask = index_.size() - 1;
  std::size_t i = static_cast<std::size_t>(h >> 32) & mask;
  while (index_[i] != 0) i = (i + 1) & mask;
  index_[i] = (h >> 32) << 32 | (static_cast<std::uint64_t>(slot) + 1);
  ++index_used_;
}

void LocalStore::index_erase(std::string_view key) {
  std::size_t i = index_find(key, key_hash(key));
  if (i == kNpos) return;
  // Backward-shift deletion: move later cells of the probe run into the hole when their home
  // position allows it, so that lookups never need tombstones.
  const std::size_t mask = index_.size() - 1;
  for (std::size_t j = (i + 1) & mask;; j = (j + 1) & mask) {
    const std::uint64_t c = index_[j];
    if (c == 0) break;
    const std::size_t home = static_cast<std::size_t>(c >> 32) & mask;
    // c may fill the hole at i iff i lies cyclically in [home, j).
    if (((j - home) & mask) >= ((j - i) & mask)) {
      index_[i] = c;
      i = j;
    }
  }
  index_[i] = 0;
  --index_used_;
}

std::uint64_t LocalStore::put(RecordKind kind, std::string_view key, std::string_view payload, bool deleted,
                              std::uint64_t hlc, std::uint16_t shard) {
  const std::uint64_t h = key_hash(key);
  const std::size_t cell = index_find(key, h);
  std::uint32_t slot;
  if (cell == kNpos) {
    if (deleted) return 0;
    if (!free_.empty()) {
      slot = free_.back();
      free_.pop_back();
    } else {
      slots_.emplace_back();
      slot = static_cast<std::uint32_t>(slots_.size() - 1);
    }
    slots_[slot].key.assign(key);
    index_insert(h, slot);
    ++live_;
  } else {
    slot = static_cast<std::uint32_t>((index_[cell] & 0xffffffffu) - 1);
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
  const std::size_t cell = index_find(key, key_hash(key));
  return cell == kNpos ? nullptr : &slots_[(index_[cell] & 0xffffffffu) - 1];
}

void LocalStore::collect(std::uint64_t acked) {
  const std::uint64_t out_of_log = newest() > log_.size() ? newest() - log_.size() : 0;
  const std::uint64_t bound = acked > out_of_log ? acked : out_of_log;
  while (!tombstones_.empty() && tombstones_.front().version <= bound) {
    const Tomb t = tombstones_.front();
    tombstones_.pop_front();
    Entry& e = slots_[t.slot];
    if (e.version != t.version) continue;  // the key came back since: not a tombstone any more
    index_erase(e.key);
    e = Entry{};
    free_.push_back(t.slot);
  }
}

}  // namespace duet::replication
