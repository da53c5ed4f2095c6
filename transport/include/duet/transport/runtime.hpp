// The worker threads: binds every listener in every worker, runs them, stops them cleanly.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "duet/transport/handler.hpp"
#include "duet/transport/stats.hpp"
#include "duet/transport/transport_config.hpp"
#include "duet/transport/worker.hpp"

namespace duet::transport {

struct RuntimeShared;  // transport/src/runtime_shared.hpp

struct BoundListener {
  Proto proto;
  sockaddr_storage addr;  // with the real port when the config asked for port 0
};

class Runtime {
 public:
  Runtime(const TransportConfig& cfg, Handler& handler);
  ~Runtime();  // stops if still running
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Binds every listener in every worker and starts the threads. Throws std::runtime_error (with the
  // address and the system's reason) if a socket cannot be bound or the TLS files cannot be loaded.
  void start();
  // Stops reading, lets in-flight tasks finish, calls on_worker_stop, closes everything, joins.
  // Idempotent; call from any thread but a worker's.
  void stop();
  bool running() const noexcept;

  std::size_t workers() const noexcept { return workers_.size(); }
  Worker& worker(std::size_t i) noexcept { return *workers_[i]; }
  const std::vector<BoundListener>& bound() const noexcept;
  const TransportConfig& config() const noexcept { return cfg_; }
  Handler& handler() noexcept { return handler_; }
  StatsSnapshot stats() const;

  RuntimeShared& shared() noexcept { return *shared_; }

 private:
  TransportConfig cfg_;
  Handler& handler_;
  std::unique_ptr<RuntimeShared> shared_;
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace duet::transport
