// One agent's state as both sites hold it: logged out, or logged in at exactly one site with a
// Place and a DN, Ready or Not Ready with a reason. It is a replicated record (key "agent/<login>")
// that either site may change, so it carries the same stamp and conflict rule as the agent
// configuration objects (duet::agents::newer: higher HLC wins, ties to the larger site name).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "duet/agents/record.hpp"

namespace duet::continuity {

struct AgentState {
  std::string login;  // the Agent Login code
  bool logged_in = false;
  std::string site;  // where it is logged in (empty when logged out)
  std::string place, dn;
  bool ready = false;
  std::string reason;     // Not Ready reason code, or why it was logged out
  std::string home_site;  // the site of the desktop's own last login: its preferred site (failback)
  // Logged out for a migration (drain, failback): the site that is to log it in, and whether it
  // was Ready before the migration began.
  std::string handoff_to;
  bool handoff_ready = false;
  bool relogged = false;       // logged in by duet (disaster recovery or a handoff), not by the desktop
  std::uint64_t since_ms = 0;  // unix ms of the last change
  agents::Stamp stamp;

  bool operator==(const AgentState&) const = default;
};

// "agent/<login>" and back.
std::string agent_key(std::string_view login);
std::optional<std::string> login_of_key(std::string_view key);

// The replication payload: the state as JSON, without the stamp (the record carries it).
std::string encode(const AgentState& s);
// nullopt for a payload that is not a state of this login.
std::optional<AgentState> decode(std::string_view login, std::string_view payload);

// The API's view: the payload's fields plus "state" (logged_out | ready | not_ready).
nlohmann::json to_json(const AgentState& s);

}  // namespace duet::continuity
