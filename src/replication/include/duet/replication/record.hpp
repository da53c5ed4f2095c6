// A replicated record: what one site tells the other about one key. Every record names its origin
// site and carries that origin's version (strictly increasing per origin, so the receiver can
// resume and acknowledge) and a hybrid-logical-clock time (which decides conflicts).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace duet::replication {

enum class RecordKind : std::uint8_t {
  binding = 1,      // a phone's registration; only its origin site changes it
  agent_state = 2,  // slot for the agent-state issue (same rules as config objects)
  config = 3,       // an agent configuration object; may change at either site
};
bool valid_kind(std::uint8_t k) noexcept;
std::string_view kind_name(RecordKind k) noexcept;

// Points into a decoded frame (valid while the frame's bytes are).
struct RecordView {
  RecordKind kind = RecordKind::binding;
  bool deleted = false;  // a tombstone: the key no longer exists at the origin
  std::string_view origin;
  std::uint64_t version = 0;
  std::uint64_t hlc = 0;
  std::string_view key;
  std::string_view payload;  // empty for tombstones
};

struct Record {
  RecordKind kind = RecordKind::binding;
  bool deleted = false;
  std::string origin;
  std::uint64_t version = 0;
  std::uint64_t hlc = 0;
  std::string key;
  std::string payload;

  RecordView view() const noexcept { return {kind, deleted, origin, version, hlc, key, payload}; }
  static Record from(const RecordView& v) {
    return {v.kind, v.deleted,          std::string(v.origin), v.version,
            v.hlc,  std::string(v.key), std::string(v.payload)};
  }
};

// Conflict rule for records that may change at either site (config objects, agent state): the
// higher HLC time wins; equal times are broken by the origin site name, the lexicographically
// larger one winning. Never arrival order. A record does not beat itself (same origin and time).
bool wins_over(const RecordView& incoming, const RecordView& current) noexcept;

// Ordering rule for records owned by one origin (bindings): a record replaces the one held for
// the same (origin, key) only if its version is higher.
inline bool newer_version(std::uint64_t incoming, std::uint64_t current) noexcept {
  return incoming > current;
}

}  // namespace duet::replication
