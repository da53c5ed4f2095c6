// How each agent phone is expected to register across the two sites, and what duet does when it
// sees the phone do otherwise. Owned by the control loop (no locks).
//
// - A DN's mode (single | dual | active-backup) comes from the DN itself; a DN whose mode is "auto"
//   takes it from the first profile whose User-Agent pattern matches the phone, else single.
//   The built-in profile alcatel-4000 (Alcatel-Lucent 4000-series, which cannot dual-register) is
//   active-backup and forwards calls with no-agent.
// - dual: one live registration at each site is normal.
// - active-backup: a registration here made while the peer was down is a backup registration.
//   When the peer is back and the phone registers there again (a registration newer than ours),
//   the backup binding here is released (removed, and the removal replicated), so the phone is
//   not counted live at two sites.
// - single and active-backup phones live at both sites while the peer is up otherwise are accepted
//   but flagged (an anomaly, listed in the API and counted).
// Only AORs whose user part is a configured DN are tracked: those are the agents' phones.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "duet/agents/config_model.hpp"

namespace duet::continuity {

// The dr-forward option of call delivery (the proxy applies it).
enum class Forward : std::uint8_t { off, no_agent, oos };
std::string_view to_string(Forward f) noexcept;
std::optional<Forward> parse_forward(std::string_view s) noexcept;

struct Profile {
  std::string name;
  std::string user_agent;  // ECMAScript regex, case-insensitive, searched in the User-Agent
  agents::RegistrationMode mode = agents::RegistrationMode::single;
  Forward forward = Forward::off;
};

// alcatel-4000: "Alcatel" followed somewhere by a 40x8-style model number; active-backup, no-agent.
std::vector<Profile> builtin_profiles();

class RegistrationModes {
 public:
  // profiles: the configured ones (tried first, in order), then the built-in ones. Throws
  // std::regex_error for a bad pattern (the config loader checks them first).
  RegistrationModes(const agents::ConfigModel& config, const std::vector<Profile>& profiles);

  struct Resolved {
    agents::RegistrationMode mode = agents::RegistrationMode::single;
    std::string_view profile;  // the matching profile's name, empty if none
    Forward forward = Forward::off;
    bool dn = false;  // the AOR's user part is a configured DN
  };
  Resolved resolve(std::string_view user, std::string_view user_agent) const;

  enum class Verdict : std::uint8_t { none, anomaly, release_local };
  // A binding of user@domain changed here (local) or at the peer. at_ms: when (wall ms; the
  // record's HLC time for the peer's). user_agent may be empty for removals.
  Verdict on_binding(bool local, std::string_view user, std::string_view domain, std::string_view binding_key,
                     std::string_view user_agent, bool removed, bool peer_up, std::uint64_t at_ms);
  // The AOR user@domain is flagged now (now_ms: wall ms, for flags waiting out their grace).
  bool flagged(std::string_view aor, std::uint64_t now_ms) const;
  // An active-backup phone back at its primary (here) is briefly live at both sites until the peer
  // releases its backup binding: that is flagged only if it lasts this long.
  static constexpr std::uint64_t kReleaseGraceMs = 3000;

  std::uint64_t anomalies() const noexcept { return anomalies_; }  // times a phone was flagged
  std::uint64_t releases() const noexcept { return releases_; }    // backup bindings released
  std::size_t tracked() const noexcept { return tracks_.size(); }
  // {"flagged":[{aor, mode, profile, why}], "anomalies": n, "releases": n}
  nlohmann::json summary(std::uint64_t now_ms) const;
  // Promotes every suspect past its grace; returns the AORs ("user@domain") flagged by it (the
  // daemon calls this every second and reports them like any anomaly).
  std::vector<std::string> sweep(std::uint64_t now_ms);

 private:
  struct CompiledProfile {
    Profile p;
    std::regex re;
  };
  struct Track {
    agents::RegistrationMode mode = agents::RegistrationMode::single;
    std::string profile;
    std::unordered_set<std::string> local, remote;  // live binding keys on each side
    std::uint64_t local_ms = 0, remote_ms = 0;      // last registration on each side
    bool backup = false;                            // the local bindings were made while the peer was down
    bool flagged = false;                           // currently an anomaly
    std::uint64_t suspect_ms = 0;  // live at both since then; flagged after the grace unless released
    std::string why;
  };
  void promote(const std::string& aor, Track& t,
               std::uint64_t now_ms) const;  // a suspect past its grace becomes flagged

  const agents::ConfigModel& config_;
  std::vector<CompiledProfile> profiles_;
  // Mutable: flags that waited out their grace are promoted when someone looks.
  mutable std::unordered_map<std::string, Track> tracks_;  // by "user@domain"
  mutable std::uint64_t anomalies_ = 0;
  mutable std::vector<std::string> promoted_;  // flagged by promote() since the last sweep()
  std::uint64_t releases_ = 0;
};

}  // namespace duet::continuity
