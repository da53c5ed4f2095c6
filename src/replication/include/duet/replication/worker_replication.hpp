// The replication layer's side of the workers, owned by the daemon: one ShardFeed and one
// RemoteView per worker, the control-loop drain of the feeds into the Replicator, and the
// RemoteSink that applies the peer's bindings on the worker owning each AOR (config records go
// to an optional ConfigApplier on the control loop).
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "duet/control/control_loop.hpp"
#include "duet/registrar/owner_map.hpp"
#include "duet/replication/change_feed.hpp"
#include "duet/replication/remote_view.hpp"
#include "duet/replication/replicator.hpp"

namespace duet::transport {
class Runtime;
class Worker;
}  // namespace duet::transport

namespace duet::registrar {
class BindingStore;
}

namespace duet::replication {

// Config objects and (later) agent state: applied on the control loop by their owner (src/agents).
class ConfigApplier {
 public:
  virtual ~ConfigApplier() = default;
  virtual void apply_remote(const Record& r) = 0;
};

class WorkerReplication final : public RemoteSink {
 public:
  // Construct before the control loop and the workers start (creates a handle on control.loop()).
  // drain_ms: how often the rings are drained and the deltas sent (their batching interval).
  WorkerReplication(control::ControlLoop& control, std::size_t workers, std::size_t ring_bytes = 8u << 20,
                    std::uint32_t drain_ms = 5);
  ~WorkerReplication() override;

  // Before start(): the replicator the feeds drain into, the runtime whose workers own the views.
  void bind(Replicator& r, transport::Runtime& rt) noexcept {
    replicator_ = &r;
    runtime_ = &rt;
  }
  void set_config_applier(ConfigApplier* a) noexcept { config_ = a; }
  // Before start(): which worker owns each AOR (the SIP service's). A peer's binding goes to the
  // worker owning its AOR, claiming it if no worker does. Without it, AORs are hashed to workers.
  void set_owners(registrar::OwnerMap* owners) noexcept { owners_ = owners; }
  // Control loop: sees every local binding change as it is drained to the replicator (key and
  // payload as binding_record.hpp encodes them). Business continuity relogs agents with it.
  using LocalBindingObserver =
      std::function<void(std::string_view key, std::string_view payload, bool deleted)>;
  void set_local_binding_observer(LocalBindingObserver fn) { observer_ = std::move(fn); }
  // Control loop: sees every binding record from the peer before it goes to its worker.
  using RemoteBindingObserver = std::function<void(const Record& r)>;
  void set_remote_binding_observer(RemoteBindingObserver fn) { remote_observer_ = std::move(fn); }

  // Worker thread, at its start/stop (SipService's shard hooks).
  void attach(transport::Worker& w, registrar::BindingStore& store);
  void detach(transport::Worker& w);
  // Worker thread of worker i only.
  RemoteView& view(std::size_t i) noexcept { return *views_[i]; }

  // RemoteSink (control loop).
  void begin_snapshot(const std::string& origin, std::uint64_t generation) override;
  void apply(const std::string& origin, std::uint64_t generation, std::vector<Record>&& records,
             std::function<void()> done) override;
  void end_snapshot(const std::string& origin, std::uint64_t generation) override;

  // Control loop: the replicator's status with the feeds' queue figures.
  PeerStatus status() const;

 private:
  static void on_wake(uv_async_t* a);
  static void on_timer(uv_timer_t* t);
  void drain();
  void post_to_worker(std::size_t i, std::function<void(transport::Worker&)> fn);

  control::ControlLoop& control_;
  uv_async_t* wake_;
  uv_timer_t* timer_;
  std::vector<std::unique_ptr<ShardFeed>> feeds_;
  std::vector<std::unique_ptr<RemoteView>> views_;
  std::vector<std::uint64_t> drained_;
  Replicator* replicator_ = nullptr;
  transport::Runtime* runtime_ = nullptr;
  ConfigApplier* config_ = nullptr;
  registrar::OwnerMap* owners_ = nullptr;
  LocalBindingObserver observer_;
  RemoteBindingObserver remote_observer_;
};

}  // namespace duet::replication
