// The agent-related configuration objects a two-site deployment keeps identical at both sites
// (Extension / ACD Queue / Call Processing Port DNs, Places, Users, Agent Logins), as plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace duet::agents {

enum class DnType : std::uint8_t { extension, acd_queue, cpp };
// How the phone on this DN registers (src/continuity/registration_modes.hpp). by_profile ("auto"):
// the DN does not say; the phone's User-Agent picks a profile (alcatel-4000, ...), else single.
enum class RegistrationMode : std::uint8_t { single, dual, active_backup, by_profile };

struct Dn {
  std::string number;
  DnType type = DnType::extension;
  RegistrationMode mode = RegistrationMode::by_profile;
  // dr-forward of calls for this DN: "" (the phone's profile's, else [proxy] forward), "off",
  // "no-agent" or "oos".
  std::string forward;
  bool operator==(const Dn&) const = default;
};

struct Place {
  std::string name;
  std::vector<std::string> dns;  // DN numbers; a DN belongs to at most one Place
  bool operator==(const Place&) const = default;
};

struct User {
  std::string id;
  std::string name;
  bool operator==(const User&) const = default;
};

// An agent's login. place/dn/peer_dn are optional: dn is the agent's preferred Extension DN and
// peer_dn its Extension DN at the peer site; both must be Extensions of the same Place.
struct AgentLogin {
  std::string code;
  std::string user;  // User id
  std::string place;
  std::string dn;
  std::string peer_dn;
  bool operator==(const AgentLogin&) const = default;
};

enum class Kind : std::uint8_t { dn, place, user, login };
inline constexpr Kind kAllKinds[] = {Kind::dn, Kind::place, Kind::user, Kind::login};

using Object = std::variant<Dn, Place, User, AgentLogin>;

Kind kind_of(const Object& o) noexcept;
const std::string& id_of(const Object& o) noexcept;

// Record key prefix ("dn", "place", "user", "login") and the reverse.
std::string_view key_prefix(Kind k) noexcept;
std::optional<Kind> kind_from_prefix(std::string_view p) noexcept;
// "dn/1001", "place/place-1001", ...: the replication key of an object.
std::string record_key(Kind k, std::string_view id);
// Singular human name for messages: "DN", "Place", "User", "Agent Login".
std::string_view kind_label(Kind k) noexcept;

std::string_view to_string(DnType t) noexcept;            // extension | acd_queue | cpp
std::string_view to_string(RegistrationMode m) noexcept;  // single | dual | active-backup | auto
std::optional<DnType> parse_dn_type(std::string_view s) noexcept;
std::optional<RegistrationMode> parse_mode(std::string_view s) noexcept;

// Ids appear in URLs and record keys: 1..64 characters of [A-Za-z0-9._+*#@-].
bool valid_id(std::string_view id) noexcept;

}  // namespace duet::agents
