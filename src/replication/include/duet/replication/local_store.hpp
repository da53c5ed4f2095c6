// This site's own records as the peer should see them (latest state of each key, tombstones for
// deleted keys), with the change log the link resumes from. Lives on the control loop.
//
// Every put() takes the next version of this origin. The change log is a ring indexed by version
// that names the slot each version wrote; a version whose slot has since been rewritten is simply
// skipped, because a later version carries the newer state. A peer that holds version h can be
// resumed with deltas iff every version after h is still in the ring (covers(h)).
//
// Tombstones are kept until the peer acknowledged a version at or past them, or until the log no
// longer covers them (a peer that far behind gets a snapshot, and the snapshot's end marker makes
// it drop whatever the snapshot did not contain, so the deletion still reaches it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "duet/replication/record.hpp"

namespace duet::replication {

class LocalStore {
 public:
  struct Entry {
    std::string key;
    std::string payload;
    std::uint64_t version = 0;  // 0: free slot
    std::uint64_t hlc = 0;
    RecordKind kind = RecordKind::binding;
    bool deleted = false;
    std::uint16_t shard = 0;
  };

  LocalStore(std::string origin, std::size_t log_capacity);

  // Records a change; returns its version. A delete of a key never seen is ignored (returns 0).
  std::uint64_t put(RecordKind kind, std::string_view key, std::string_view payload, bool deleted,
                    std::uint64_t hlc, std::uint16_t shard = 0);

  const std::string& origin() const noexcept { return origin_; }
  std::uint64_t newest() const noexcept { return next_ - 1; }
  // True if every version after held is still in the log (held <= newest()).
  bool covers(std::uint64_t held) const noexcept;
  // The entry written by version v, or nullptr if it was rewritten since or left the log.
  const Entry* at_version(std::uint64_t v) const noexcept;

  // Slots, for a snapshot: iterate [0, slot_count()) and take live entries with version <= bound.
  std::size_t slot_count() const noexcept { return slots_.size(); }
  const Entry& slot(std::size_t i) const noexcept { return slots_[i]; }
  const Entry* find(std::string_view key) const;

  std::size_t live() const noexcept { return live_; }
  std::size_t tombstones() const noexcept { return tombstones_.size(); }
  // Drops tombstones the peer acknowledged (version <= acked) or that left the log.
  void collect(std::uint64_t acked);

  RecordView view(const Entry& e) const noexcept {
    return {e.kind, e.deleted, origin_, e.version, e.hlc, e.key, e.payload};
  }

 private:
  struct Tomb {
    std::uint64_t version;
    std::uint32_t slot;
  };
  std::string origin_;
  std::vector<Entry> slots_;
  std::vector<std::uint32_t> free_;
  // The key index: open addressing with linear probing, each cell tag << 32 | (slot + 1) with tag = hash >>
  // 32 (a cell's home is tag & mask), 0 when empty. Keys are compared in slots_, so growing slots_ leaves the
  // index valid.
  std::size_t index_find(std::string_view key, std::uint64_t h) const noexcept;  // a cell, or npos
  void index_insert(std::uint64_t h, std::uint32_t slot);
  void index_erase(std::string_view key);
  std::vector<std::uint64_t> index_;
  std::size_t index_used_ = 0;
  std::vector<std::uint32_t> log_;  // log_[v % capacity] = slot of version v
  std::deque<Tomb> tombstones_;     // in version order
  std::uint64_t next_ = 1;
  std::size_t live_ = 0;
};

}  // namespace duet::replication
