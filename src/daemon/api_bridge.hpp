// The daemon's side of the HTTP API (src/api): bindings gathered from the workers, the peer
// link's status, and the agent configuration model, whose changes it publishes as replication
// records and whose peer records it applies. Everything here runs on the control loop.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "duet/agents/config_model.hpp"
#include "duet/api/api_context.hpp"
#include "duet/api/event_hub.hpp"
#include "duet/continuity/agent_board.hpp"
#include "duet/continuity/registration_modes.hpp"
#include "duet/proxy/routing_view.hpp"
#include "duet/replication/replicator.hpp"
#include "duet/replication/worker_replication.hpp"
#include "sip_service.hpp"

namespace duet::transport {
class Runtime;
}
namespace duet::control {
class ControlLoop;
}

namespace duet::daemon {

class ApiBridge final : public api::ApiContext,
                        public replication::ConfigApplier,
                        public replication::SnapshotExtra {
 public:
  // Wires the board to the workers (which phones are registered here) and the hub (its events).
  ApiBridge(control::ControlLoop& control, server::SipService& service, transport::Runtime& runtime,
            agents::ConfigModel& model, continuity::AgentBoard& board, continuity::RegistrationModes& modes,
            api::EventHub& hub, proxy::Forward default_forward = proxy::Forward::off);
  // With a peer: local config changes become records, the peer's are applied, snapshots carry all.
  void attach_replication(replication::Replicator& r, replication::WorkerReplication& wr);

  void registrations(const std::string& aor,
                     std::function<void(std::vector<api::BindingInfo>)> done) override;
  api::PeerInfo peer() override;
  agents::ConfigModel& agents() override { return model_; }
  api::EventHub* events() override { return &hub_; }
  nlohmann::json stats() override;
  continuity::AgentBoard* board() override { return &board_; }
  const continuity::RegistrationModes* modes() override { return &modes_; }

  void apply_remote(const replication::Record& r) override;
  std::vector<replication::Record> snapshot_records() override;

 private:
  control::ControlLoop& control_;
  server::SipService& service_;
  transport::Runtime& runtime_;
  agents::ConfigModel& model_;
  void flush_soon();
  // Call delivery's view (agents' sites, drain, peer, dr-forward per DN) changed: a new one is
  // built once the current work is done and handed to every worker.
  void routing_changed();
  void publish_view();
  // A call for an agent DN was answered (started) or ended (its BYE) here.
  void call_event(const std::string& dn, const std::string& call_id, bool started);
  static void on_sweep(uv_timer_t* t);
  uv_timer_t* sweep_timer_ = nullptr;  // promotes registration-mode suspects past their grace
  bool flush_pending_ = false;
  bool view_pending_ = false;
  proxy::Forward default_forward_;
  // dr-forward of an agent phone's profile (by DN), learnt from its User-Agent when it registers.
  std::unordered_map<std::string, proxy::Forward> phone_forward_;
  // Calls in progress per agent DN, by Call-ID.
  std::unordered_map<std::string, std::unordered_set<std::string>> calls_;
  // A binding changed here (local) or at the peer: relogs, registration modes, events. at_ms is
  // the peer's record time; for a local change it is ignored and the wall clock is read instead.
  void binding_changed(bool local, std::string_view key, std::string_view payload, bool deleted,
                       std::uint64_t at_ms);

  continuity::AgentBoard& board_;
  continuity::RegistrationModes& modes_;
  // Agent phones' bindings (by record key): last known out-of-service state, for reachability events.
  std::unordered_map<std::string, bool> out_of_service_;
  api::EventHub& hub_;
  replication::Replicator* repl_ = nullptr;
  replication::WorkerReplication* wr_ = nullptr;
};

}  // namespace duet::daemon
