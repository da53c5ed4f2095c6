// What the operator decides about registrations (mirrors config::RegistrarConfig, so the registrar
// library does not depend on the config loader), and the lookups derived from it, shared
// read-only by every shard.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "duet/registrar/aor_key.hpp"

namespace duet::registrar {

struct Options {
  std::vector<std::string> domains;  // empty: any domain is ours
  // Also accepted as the Request-URI host when domains is set: our own addresses ("REGISTER
  // sip:192.0.2.1"). The AOR in To must still be in domains.
  std::vector<std::string> local_hosts;
  // Empty: any user. An entry "alice" allows alice in every served domain; "alice@example.com"
  // allows that AOR only.
  std::vector<std::string> users;
  std::uint32_t default_expires = 3600;
  std::uint32_t min_expires = 60;           // a shorter non-zero expiry is answered 423 + Min-Expires
  std::uint32_t max_expires = 86400;        // a longer one is capped
  std::uint32_t max_contacts_per_aor = 16;  // 0: no limit (Kamailio's max_contacts=0)
  // Answer when a REGISTER would exceed max_contacts_per_aor: 503 as Kamailio's registrar
  // ("Too many registered contacts"), or 403.
  std::uint16_t too_many_contacts_code = 503;
  std::string site_name = "local";  // recorded in each binding (business continuity, replication)
  std::uint32_t tick_ms = 1000;     // expiry resolution
  std::size_t expected_aors = 0;    // per shard; sizes the index up front
};

// Options checked and turned into lookups. Immutable after construction.
class Policy {
 public:
  explicit Policy(Options opts);

  const Options& options() const noexcept { return opts_; }
  // domain must be lower-case.
  bool serves_domain(std::string_view domain) const noexcept;
  bool serves_any_domain() const noexcept { return domains_.empty(); }
  // A served domain or one of local_hosts (lower-case, IPv6 without brackets).
  bool serves_request_host(std::string_view host) const noexcept;
  bool allows_user(const AorKey& aor) const noexcept;

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  using Set = std::unordered_set<std::string, Hash, std::equal_to<>>;
  Options opts_;
  Set domains_;        // lower-case
  Set request_hosts_;  // domains_ plus local_hosts
  Set users_;
};

}  // namespace duet::registrar
