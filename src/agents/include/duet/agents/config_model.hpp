// The agent configuration objects in memory, owned by the control loop's thread (no locks: every
// call must come from that thread). Local changes are validated against the seed's rules and
// reported through the change hook as replication records; records from the peer are applied by
// the conflict rule (record.hpp) without re-validation, because both sites must converge on the
// same state whatever each one checked; check_all() reports any rule a merge broke.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "duet/agents/error.hpp"
#include "duet/agents/hybrid_clock.hpp"
#include "duet/agents/objects.hpp"
#include "duet/agents/record.hpp"

namespace duet::agents {

enum class ApplyResult : std::uint8_t {
  accepted,          // applied (or a tombstone recorded)
  rejected_older,    // what we hold is newer by the conflict rule (or the same stamp)
  rejected_invalid,  // bad key or payload; nothing changed
};
std::string_view to_string(ApplyResult r) noexcept;

class ConfigModel {
 public:
  struct Entry {
    Object object;
    Stamp stamp;
  };
  using Table = std::map<std::string, Entry, std::less<>>;
  using Tombstones = std::map<std::string, Stamp, std::less<>>;
  // Returns the version the replication layer gave the record (e.g. Replicator::publish() with
  // the record's hlc), which the model keeps for tombstone collection; 0 keeps the model's own.
  using ChangeHook = std::function<std::uint64_t(const ConfigRecord&)>;
  using VersionSource = std::function<std::uint64_t()>;

  // site: this site's name, the origin of local changes. wall_ms: the clock behind the HLC.
  explicit ConfigModel(std::string site, HybridClock::WallMs wall_ms = {});

  const std::string& site() const noexcept { return site_; }
  HybridClock& clock() noexcept { return clock_; }

  // Called after every accepted local change (create/update/remove), never for apply() or load.
  void set_change_hook(ChangeHook hook) { hook_ = std::move(hook); }
  // Where local changes get their per-origin version (the replication layer's sequence, shared with
  // the other record kinds). Default: a counter of this model starting at 1.
  void set_version_source(VersionSource src) { next_version_ = std::move(src); }

  // --- reading
  const Table& table(Kind k) const noexcept { return tables_[index(k)]; }
  const Entry* find(Kind k, std::string_view id) const;
  const Tombstones& tombstones(Kind k) const noexcept { return tombstones_[index(k)]; }
  std::size_t size() const noexcept;

  // --- local changes (API): validated; on error nothing changes.
  Outcome create(Object o);                     // conflict if the id exists
  Outcome update(Object o);                     // not_found if the id does not exist
  Outcome remove(Kind k, std::string_view id);  // not_found; conflict while referenced

  // --- start-up: objects from the config file. Only duplicates are refused here; the caller runs
  // check_all() once everything is in. Stamped with HLC 0 so that any run-time change made at
  // either site wins over a file's contents. No hook call: the replication layer sends snapshot().
  Outcome insert_loaded(Object o);

  // Every rule violation in the current state, as (record key, error), in key order.
  std::vector<std::pair<std::string, Error>> check_all() const;

  // --- replication
  ApplyResult apply(const ConfigRecord& rec);
  // Every object and tombstone with its own stamp (for a snapshot sync).
  std::vector<ConfigRecord> snapshot() const;
  // Drops tombstones of `origin` with version <= acked_version (the peer holds them). Returns how many.
  std::size_t forget_tombstones(std::string_view origin, std::uint64_t acked_version);

 private:
  static constexpr std::size_t index(Kind k) noexcept { return static_cast<std::size_t>(k); }
  Table& table_mut(Kind k) noexcept { return tables_[index(k)]; }

  void put(Entry e);
  void erase(Kind k, std::string_view id);
  Stamp local_stamp();
  void emit(Kind k, const std::string& id, bool deleted);

  Outcome check(const Object& o) const;
  Outcome check_place(const Place& p) const;
  Outcome check_login(const AgentLogin& l) const;
  Outcome check_agent_dn(const AgentLogin& l, const std::string& number, const char* field) const;
  Outcome check_logins(const std::set<std::string>& places, const std::set<std::string>& dns) const;
  std::set<std::string> places_touching(const Object& o) const;
  std::set<std::string> dns_touching(const Object& o) const;
  Outcome check_remove(Kind k, std::string_view id) const;
  const std::set<std::string>* places_of(std::string_view dn) const;
  using Index = std::map<std::string, std::set<std::string>, std::less<>>;
  const std::set<std::string>* logins_naming(const Index& index, std::string_view key) const;

  std::string site_;
  HybridClock clock_;
  ChangeHook hook_;
  VersionSource next_version_;
  std::uint64_t own_version_ = 0;
  std::array<Table, 4> tables_;
  std::array<Tombstones, 4> tombstones_;
  // DN number -> Places listing it (normally at most one; a merge of concurrent changes may break that).
  Index dn_places_;
  // Who names what, so that checks after a change look at the logins concerned only:
  // DN number -> logins with it as dn/peer_dn; Place -> logins; User -> logins.
  Index dn_logins_, place_logins_, user_logins_;
};

}  // namespace duet::agents
