// What the HTTP API needs from the rest of duet. The daemon implements it (gathering bindings
// from the workers, the replication status, the agents model); tests implement a fake. Every
// call is made on the API's loop thread (the control loop).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "duet/agents/config_model.hpp"
#include "duet/api/event_hub.hpp"

namespace duet::continuity {
class AgentBoard;
class RegistrationModes;
}  // namespace duet::continuity

namespace duet::api {

// One binding as the API shows it, local or from the peer's replicated view.
struct BindingInfo {
  std::string site;          // the site it registered at
  std::string aor;           // "sip:1001@example.com"
  std::string contact;       // the Contact URI
  std::int64_t expires = 0;  // seconds remaining
  std::string received;      // "ip:port" it came from
  std::string transport;     // "udp", "tcp", "tls"
  std::string user_agent;    // may be empty
  bool reachable = true;     // false: out of service at its site (OPTIONS probes, flow failure)
  // For agent phones (the AOR's user is a DN): how it is expected to register (single | dual |
  // active-backup), the User-Agent profile that matched, and whether it is flagged for
  // registering against its mode. Empty / false for other AORs.
  std::string mode;
  std::string profile;
  bool flagged = false;
};

// The peer link as GET /api/v1/peer shows it.
struct PeerInfo {
  std::string state = "disabled";       // disabled | connecting | syncing | up | down
  std::string peer_site;                // empty without [peer]
  std::uint64_t last_sync_unix_ms = 0;  // 0: never
  bool whole = false;                   // the peer's snapshot is complete here (its SYNC_COMPLETE arrived)
  std::uint64_t lag_versions = 0;
  std::uint64_t lag_ms = 0;
  std::uint64_t queue_depth = 0;
  std::uint64_t queue_full = 0;
  bool tls = false;          // the link runs TLS ([peer] tls)
  std::string last_refusal;  // why the last connection that never became the link was closed
};

class ApiContext {
 public:
  virtual ~ApiContext() = default;
  // The bindings of one AOR (aor empty: all), local and the peer's. done must be called exactly
  // once, on the API's loop thread, now or later (the daemon asks every worker and answers when
  // the last one has replied). The API copes with the connection being gone by then.
  virtual void registrations(const std::string& aor, std::function<void(std::vector<BindingInfo>)> done) = 0;
  virtual PeerInfo peer() = 0;
  // The configuration objects, changed in place by POST/PUT/DELETE (the model's change hook
  // replicates them).
  virtual agents::ConfigModel& agents() = 0;
  // The hub GET /api/v1/events subscribes to; nullptr: no event stream (the route answers 503).
  // It must outlive the ApiServer.
  virtual EventHub* events() { return nullptr; }
  // Counters of the SIP service (registrar, proxy, transactions) as one JSON object; null: none.
  virtual nlohmann::json stats() { return nullptr; }
  // Agent state and the site's drain (src/continuity); nullptr: those routes answer 503.
  virtual continuity::AgentBoard* board() { return nullptr; }
  // The phones' registration modes (GET /api/v1/registrations/anomalies); nullptr: 503.
  virtual const continuity::RegistrationModes* modes() { return nullptr; }
};

}  // namespace duet::api
