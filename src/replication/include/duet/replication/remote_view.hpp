// The peer's bindings as this site holds them, one view per registrar shard, owned by the worker
// that owns the AOR: a lookup ("is this AOR registered at the peer, reachable?") is a local,
// lock-free map access on the thread that handles the AOR's SIP traffic.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "duet/replication/binding_record.hpp"
#include "duet/replication/record.hpp"

namespace duet::replication {

struct RemoteBinding {
  std::string origin;
  std::string key;  // record key
  BindingInfo info;
  std::uint64_t version = 0;
  std::uint64_t generation = 0;  // the snapshot (of the origin) this came with or after
};

class RemoteView {
 public:
  // A binding record from origin. A record of a newer snapshot generation replaces whatever is
  // held (a restarted origin counts its versions from 1 again); within a generation only a
  // higher version does. Returns false if the record was malformed or stale.
  bool apply(const std::string& origin, std::uint64_t generation, const Record& r);
  // The snapshot of generation is complete: what origin's older generations left is gone.
  std::size_t sweep(const std::string& origin, std::uint64_t generation);

  // The AOR's bindings at the peer ("user@domain"), or nullptr. May include expired ones.
  const std::vector<RemoteBinding>* find(std::string_view aor) const;
  // True if the AOR has a binding at the peer that has not expired at now_wall_ms.
  bool registered(std::string_view aor, std::uint64_t now_wall_ms) const;
  std::size_t size() const noexcept { return count_; }

  template <class F>
  void for_each(F&& f) const {
    for (const auto& [aor, v] : by_aor_) {
      for (const auto& b : v) f(aor, b);
    }
  }

 private:
  std::unordered_map<std::string, std::vector<RemoteBinding>> by_aor_;
  std::size_t count_ = 0;
};

}  // namespace duet::replication
