#include "duet/transport/runtime.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "duet/transport/address.hpp"
#include "runtime_shared.hpp"
#include "worker_lifecycle.hpp"
#include "worker_state.hpp"

namespace duet::transport {

namespace {

template <class Pred>
bool wait_for(Pred done, std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace

Runtime::Runtime(const TransportConfig& cfg, Handler& handler)
    : cfg_(cfg),
      handler_(handler),
      shared_(std::make_unique<RuntimeShared>(cfg.max_connections, cfg.max_connections_per_ip)) {}

Runtime::~Runtime() {
  stop();
  workers_.clear();
}

bool Runtime::running() const noexcept {
  return shared_->started && !shared_->stopped;
}
const std::vector<BoundListener>& Runtime::bound() const noexcept {
  return shared_->bound;
}

void Runtime::start() {
  if (shared_->started) throw std::logic_error("Runtime::start called twice");
  if (cfg_.listeners.empty()) throw std::runtime_error("no listeners configured");
  // Writes to a connection the peer reset must fail with EPIPE, not kill the process.
  struct sigaction old {};
  if (sigaction(SIGPIPE, nullptr, &old) == 0 && old.sa_handler == SIG_DFL) ::signal(SIGPIPE, SIG_IGN);

  unsigned n = cfg_.workers ? cfg_.workers : std::thread::hardware_concurrency();
  n = std::clamp(n, 1u, 1024u);
  const bool need_tls = std::any_of(cfg_.listeners.begin(), cfg_.listeners.end(),
                                    [](const ListenSpec& l) { return l.proto == Proto::tls; });
  try {
    if (need_tls) {
      shared_->tls = make_server_tls_context(cfg_.tls);
      // Only a site with a TLS listener can put "SIP/2.0/TLS" in a Via, so only it dials TLS.
      shared_->tls_client = make_client_tls_context(cfg_.tls);
    }
    for (unsigned i = 0; i < n; ++i) {
      workers_.push_back(std::make_unique<Worker>(*this, static_cast<std::uint16_t>(i)));
      init_stop_tasks(*workers_.back());
    }
    for (const auto& l : cfg_.listeners) {
      sockaddr_storage addr{};
      if (!make_sockaddr(l.ip, l.port, addr)) {
        throw std::runtime_error("invalid listen address '" + l.ip +
                                 "' (want a numeric IPv4 or IPv6 address)");
      }
      for (auto& w : workers_) {
        auto& st = w->state();
        const sockaddr_storage* bound = nullptr;
        if (l.proto == Proto::udp) {
          st.udp.push_back(std::make_unique<UdpEndpoint>(*w, addr));
          bound = &st.udp.back()->local();
        } else {
          st.listeners.push_back(std::make_unique<StreamListener>(*w, l.proto, addr));
          bound = &st.listeners.back()->local();
        }
        // Port 0: the kernel's choice in the first worker becomes everyone's port.
        if (w->index() == 0) {
          addr = *bound;
          shared_->bound.push_back({l.proto, *bound});
        }
      }
    }
    // After every listener, so that a send to a listener's address finds the listener first.
    if (cfg_.udp_worker_ports) {
      for (auto& w : workers_) {
        auto& st = w->state();
        for (const auto& b : shared_->bound) {
          if (b.proto != Proto::udp) continue;
          sockaddr_storage any = b.addr;
          set_sockaddr_port(any, 0);
          st.udp.push_back(std::make_unique<UdpEndpoint>(*w, any));
          st.own_udp.emplace_back(b.addr, st.udp.back()->local());
        }
      }
    }
  } catch (...) {
    workers_.clear();
    shared_->bound.clear();
    shared_->tls.reset();
    shared_->tls_client.reset();
    throw;
  }
  shared_->started = true;
  for (auto& w : workers_) {
    Worker* wp = w.get();
    w->state().thread = std::thread([wp] { run_worker(*wp); });
  }
}

void Runtime::stop() {
  if (!shared_->started || shared_->stopped) return;
  shared_->stopped = true;
  const auto n = static_cast<unsigned>(workers_.size());
  auto phase = [&](Task WorkerState::*task, const char* name) {
    shared_->acks.store(0);
    for (auto& w : workers_) w->state().mailbox.push(&(w->state().*task));
    if (!wait_for([&] { return shared_->acks.load() == n; }, std::chrono::seconds(5))) {
      spdlog::warn("stop: workers slow to {}", name);
    }
  };
  auto drain = [&] {
    if (!wait_for([&] { return shared_->in_flight.load() == 0; }, std::chrono::seconds(2))) {
      spdlog::warn("stop: {} tasks still in flight", shared_->in_flight.load());
    }
  };
  phase(&WorkerState::quiesce_task, "stop reading");
  drain();
  phase(&WorkerState::close_task, "close");
  drain();
  phase(&WorkerState::finish_task, "finish");
  for (auto& w : workers_) {
    if (w->state().thread.joinable()) w->state().thread.join();
  }
}

StatsSnapshot Runtime::stats() const {
  StatsSnapshot s;
  for (const auto& w : workers_) s += w->stats();
  return s;
}

}  // namespace duet::transport
