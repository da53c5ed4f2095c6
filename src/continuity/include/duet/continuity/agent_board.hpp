// The agents of both sites and what happens to them when a site fails or is drained. Owned by the
// control loop's thread (no locks; every call from that thread).
//
// - Desktops log in, set Ready / Not Ready and log out through the API; the rules of the seed are
//   enforced with a clear error (logged in at the other site, DN not an Extension of the Place, ...).
// - Every change is a replication record (key "agent/<login>"); the peer's records are applied by
//   the conflict rule, so both sites converge on one state per agent.
// - When the peer is declared down, each agent logged in there is logged in here with its Place,
//   DN and last Ready state (or Not Ready, configurable) as soon as its DN has a live binding here:
//   at once for phones already registered here (dual), when the phone registers otherwise.
// - A drain sets every agent here Not Ready, logs each out when it has no call (at once while the
//   proxy reports none) and hands it to the peer, which logs it in; resume ends the drain.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "duet/agents/config_model.hpp"
#include "duet/agents/error.hpp"
#include "duet/continuity/agent_state.hpp"

namespace duet::continuity {

enum class RelogState : std::uint8_t { keep, not_ready };
enum class Failback : std::uint8_t { manual, when_idle };
enum class SiteMode : std::uint8_t { active, draining, drained };
std::string_view to_string(SiteMode m) noexcept;

struct ContinuityOptions {
  std::string site;       // this site's name
  std::string peer_site;  // empty: a single site (no relog, no handoff)
  RelogState relog_state = RelogState::keep;
  Failback failback = Failback::manual;
  int shutdown_code = 603;   // what new INVITEs get during a drain (3xx: with peer_contact)
  std::string peer_contact;  // the trunk to the peer, "sip:host:port"
};

struct BoardStats {
  std::uint64_t logins = 0, logouts = 0, relogged = 0, handoffs_sent = 0, handoffs_taken = 0;
  std::uint64_t refused = 0;  // desktop requests refused by a rule
  std::uint64_t remote_applied = 0, remote_stale = 0, remote_invalid = 0;
};

class AgentBoard {
 public:
  // Replicates a change; returns the version the replication layer gave it (0: keep our own).
  using Publish = std::function<std::uint64_t(const agents::ConfigRecord&)>;
  // One event for the desktops' stream: type ("agent", "site", "peer") and its data.
  using EventSink = std::function<void(std::string_view type, const nlohmann::json& data)>;
  // Asks the workers which users (AOR user parts, i.e. DN numbers) have a live binding here;
  // answers later, on the control loop.
  using LiveUsers = std::function<void(std::function<void(std::vector<std::string>)>)>;
  // True while the agent has a call in progress (the proxy); without one, agents are idle.
  using Busy = std::function<bool(const AgentState&)>;
  using WallMs = std::function<std::uint64_t()>;

  AgentBoard(ContinuityOptions opt, agents::ConfigModel& config, WallMs wall_ms = {});

  void set_publish(Publish fn) { publish_ = std::move(fn); }
  void set_event_sink(EventSink fn) { events_ = std::move(fn); }
  void set_live_users(LiveUsers fn) { live_users_ = std::move(fn); }
  void set_busy(Busy fn) { busy_ = std::move(fn); }

  const ContinuityOptions& options() const noexcept { return opt_; }

  // --- desktops. place/dn empty: the Agent Login's own. Errors: not_found (no such login),
  // conflict (a rule: other site, DN taken, DN not an Extension of the Place, site draining),
  // invalid (malformed reason).
  agents::Outcome login(std::string_view code, std::string place, std::string dn);
  agents::Outcome ready(std::string_view code);
  agents::Outcome not_ready(std::string_view code, std::string reason);
  agents::Outcome logout(std::string_view code, std::string reason);

  // The state of a login (a login without one is logged out); nullptr if no such Agent Login
  // exists and no state is held for it.
  std::optional<AgentState> find(std::string_view code) const;
  // Every Agent Login with its state, in login order.
  std::vector<AgentState> all() const;
  std::size_t logged_in_here() const noexcept { return here_count_; }
  // The login logged in on this DN (at either site), or nullptr.
  const AgentState* on_dn(std::string_view dn) const;

  // --- replication
  agents::ApplyResult apply(const agents::ConfigRecord& rec);
  std::vector<agents::ConfigRecord> snapshot() const;

  // --- the peer link and the bindings
  void on_peer_down();
  void on_peer_up();  // the peer is whole again (its sync-complete marker arrived)
  bool peer_up() const noexcept { return peer_up_; }
  // A binding of `user` was added or refreshed here (removed: it is gone).
  void on_local_binding(std::string_view user, bool removed);
  std::size_t pending_relogs() const noexcept { return pending_relog_.size(); }

  // --- drain
  agents::Outcome drain();
  agents::Outcome resume();
  SiteMode mode() const noexcept { return mode_; }
  // A call of this agent ended (the proxy): a draining site logs it out now, and a failback when idle
  // that found it on a call moves it now.
  void call_ended(std::string_view code);
  nlohmann::json site_json() const;

  const BoardStats& stats() const noexcept { return stats_; }

 private:
  // Stores s as the new state (stamped now), updates the DN index, replicates, emits an event.
  void commit(AgentState s, std::string_view why);
  void index(const AgentState& s);
  void unindex(const AgentState& s);
  agents::Outcome check_reason(std::string_view reason);  // counted as refused when malformed
  agents::Outcome here_and_logged_in(std::string_view code, AgentState*& out);
  void relog(const std::string& dn);
  void take_handoff(const AgentState& s);
  void drain_one(AgentState& s);
  void update_drained();
  void emit(std::string_view type, nlohmann::json data) const;
  std::uint64_t wall() const;

  ContinuityOptions opt_;
  agents::ConfigModel& config_;
  WallMs wall_ms_;
  Publish publish_;
  EventSink events_;
  LiveUsers live_users_;
  Busy busy_;
  std::uint64_t own_version_ = 0;

  std::map<std::string, AgentState, std::less<>> states_;
  std::unordered_map<std::string, std::set<std::string>> dn_owner_;  // DN -> login logged in on it
  std::unordered_map<std::string, std::string> pending_relog_;       // DN -> login waiting for a binding here
  std::size_t here_count_ = 0;                                       // agents logged in at this site
  bool peer_up_ = false;
  std::uint64_t peer_epoch_ = 0;  // bumped on every down/up: stale live-user answers are ignored
  SiteMode mode_ = SiteMode::active;
  std::uint64_t mode_since_ms_ = 0;
  BoardStats stats_;
};

}  // namespace duet::continuity
