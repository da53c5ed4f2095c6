// duet: the daemon. Reads the config (or runs the embedded default), starts the workers, prints
// where it listens, and stops cleanly on SIGINT/SIGTERM.
#include <spdlog/spdlog.h>
#include <cstdlib>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "builtin_handler.hpp"
#include "config/config.hpp"
#include "duet/transport/address.hpp"
#include "duet/transport/runtime.hpp"
#include "duet/transport/tls_context.hpp"
#include "logging.hpp"
#include "signals.hpp"
#if DUET_HAVE_SIP_SERVICE
#include "sip_service.hpp"
#endif
#if DUET_HAVE_REPLICATION
#include "duet/control/control_loop.hpp"
#include "duet/replication/replicator.hpp"
#include "duet/replication/server_hooks.hpp"
#include "duet/replication/worker_replication.hpp"
#endif
#if DUET_HAVE_API
#include "api_bridge.hpp"
#include "duet/agents/toml_loader.hpp"
#include "duet/api/api_server.hpp"
#include "duet/api/event_hub.hpp"
#include "duet/continuity/agent_board.hpp"
#include "duet/continuity/registration_modes.hpp"
#endif

namespace {

struct Options {
  std::string config_path;
  std::vector<std::string> listen;
  std::string log_level;
  int workers = -1;
  bool check_only = false;
  bool no_recvmmsg = false;
  bool no_sendmmsg = false;
};

duet::config::Config load(const Options& o) {
  auto cfg = o.config_path.empty() ? duet::config::Config{} : duet::config::load_config(o.config_path);
  if (!o.listen.empty()) {
    cfg.listeners.clear();
    for (const auto& l : o.listen) cfg.listeners.push_back(duet::config::parse_listener(l));
  }
  if (!o.log_level.empty()) cfg.log_level = o.log_level;
  if (o.workers >= 0) cfg.workers = static_cast<unsigned>(o.workers);
  duet::config::validate(cfg, o.config_path.empty() ? "command line" : o.config_path + " + command line");
  return cfg;
}

}  // namespace

int main(int argc, char** argv) {
  // DNS lookups (src/dns) run on libuv's thread pool, 4 threads unless told: a few slow name servers
  // would hold them all. Read once, when the pool first starts; an operator's value wins.
  ::setenv("UV_THREADPOOL_SIZE", "16", 0);
  Options o;
  CLI::App app{"duet: SIP edge proxy and registrar"};
  app.add_option("-c,--config", o.config_path, "TOML config file (without it: the embedded default config)");
  app.add_option("-l,--listen", o.listen,
                 "proto:ip:port to listen on, e.g. udp:127.0.0.1:5060; repeat it; "
                 "replaces the config's listeners");
  app.add_option("--log-level", o.log_level, "trace, debug, info, warn, error, critical or off");
  app.add_option("-w,--workers", o.workers, "worker threads (0: one per core)")->check(CLI::Range(0, 1024));
  app.add_flag("--check-config", o.check_only, "check the config and exit");
  app.add_flag("--no-recvmmsg", o.no_recvmmsg, "read UDP one datagram per system call (for measurements)");
  app.add_flag("--no-sendmmsg", o.no_sendmmsg, "send UDP replies one per system call (for measurements)");
  CLI11_PARSE(app, argc, argv);

  duet::config::Config cfg;
  try {
    cfg = load(o);
  } catch (const duet::config::ConfigError& e) {
    std::fprintf(stderr, "duet: bad config: %s\n", e.what());
    return 2;
  }
  if (o.check_only) {
    for (const auto& w : cfg.warnings) std::fprintf(stderr, "duet: warning: %s\n", w.c_str());
    std::fprintf(stderr, "duet: config OK\n");
    return 0;
  }
  duet::daemon::setup_logging(cfg.log_level);
  for (const auto& w : cfg.warnings) spdlog::warn("config: {}", w);
  // Before any thread exists, so that every worker inherits the mask and only sigwait sees them.
  duet::daemon::block_stop_signals();

#if DUET_HAVE_SIP_SERVICE
  duet::server::SipService handler(cfg);
#else
  duet::daemon::BuiltinHandler handler;
  spdlog::warn("built without src/server: using the built-in handler (OPTIONS 200, others 501)");
#endif
  auto tcfg = duet::config::to_transport_config(cfg);
  tcfg.udp_recvmmsg = !o.no_recvmmsg;
  tcfg.udp_sendmmsg = !o.no_sendmmsg;
  // Resolved here so that the replication layer sizes its per-worker feeds the same way.
  if (tcfg.workers == 0) tcfg.workers = std::max(1u, std::thread::hardware_concurrency());
    // Declared before the runtime: destroyed after it, once no worker can touch them any more.
#if DUET_HAVE_REPLICATION
  duet::control::ControlLoop control;
  duet::transport::SslCtxPtr peer_tls;  // [peer] tls: outlives the replicator's sessions
  std::unique_ptr<duet::replication::WorkerReplication> wrepl;
  std::unique_ptr<duet::replication::ServerHooks> hooks;
  std::unique_ptr<duet::replication::Replicator> repl;
  if (cfg.peer.enabled) {
    wrepl = std::make_unique<duet::replication::WorkerReplication>(control, tcfg.workers, 8u << 20,
                                                                   cfg.peer.batch_ms);
    wrepl->set_owners(&handler.owners());
    hooks = std::make_unique<duet::replication::ServerHooks>(*wrepl);
    handler.set_shard_hooks(hooks.get());
    duet::replication::PeerOptions po;
    po.site = cfg.site_name;
    po.peer_site = cfg.peer.name;
    po.listen_ip = cfg.peer.listen_ip;
    po.listen_port = cfg.peer.listen_port;
    po.peer_ip = cfg.peer.replication_ip;
    po.peer_port = cfg.peer.replication_port;
    po.heartbeat_ms = cfg.peer.heartbeat_ms;
    po.down_after_ms = cfg.peer.down_after_ms;
    po.log_capacity = cfg.peer.change_log;
    if (cfg.peer.tls) {
      try {
        peer_tls = duet::transport::make_peer_tls_context(
            {cfg.tls.cert_file, cfg.tls.key_file, cfg.tls.ca_file, true}, cfg.peer.tls_name);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "duet: [peer] tls: %s\n", e.what());
        return 2;
      }
      po.tls = peer_tls.get();
    }
    repl = std::make_unique<duet::replication::Replicator>(control.loop(), po, *wrepl);
  }
#endif
  duet::transport::Runtime runtime(tcfg, handler);
#if DUET_HAVE_API
  duet::agents::ConfigModel agents_model(cfg.site_name);
  if (!o.config_path.empty()) {
    try {
      duet::agents::load_agents_file(agents_model, o.config_path);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "duet: bad config: %s\n", e.what());
      return 2;
    }
    for (const auto& [key, err] : agents_model.check_all()) {
      std::fprintf(stderr, "duet: bad config: %s: %s: %s\n", o.config_path.c_str(), key.c_str(),
                   err.message.c_str());
      return 2;
    }
  }
  duet::continuity::ContinuityOptions copt;
  copt.site = cfg.site_name;
  if (cfg.peer.enabled) {
    copt.peer_site = cfg.peer.name;
    copt.peer_contact = cfg.peer.sip;
  }
  copt.relog_state = cfg.continuity.relog_keep_ready ? duet::continuity::RelogState::keep
                                                     : duet::continuity::RelogState::not_ready;
  copt.failback = cfg.continuity.failback_when_idle ? duet::continuity::Failback::when_idle
                                                    : duet::continuity::Failback::manual;
  copt.shutdown_code = cfg.continuity.shutdown_code;
  duet::continuity::AgentBoard board(copt, agents_model);
  std::vector<duet::continuity::Profile> profiles;
  for (const auto& p : cfg.profiles) {
    profiles.push_back({p.name, p.user_agent, *duet::agents::parse_mode(p.mode),
                        *duet::continuity::parse_forward(p.forward)});
  }
  duet::continuity::RegistrationModes modes(agents_model, profiles);
  duet::api::EventHub events;
  const auto default_forward = duet::continuity::parse_forward(cfg.proxy.forward);
  duet::daemon::ApiBridge api_bridge(
      control, handler, runtime, agents_model, board, modes, events,
      static_cast<duet::proxy::Forward>(default_forward.value_or(duet::continuity::Forward::off)));
  duet::api::ApiOptions api_opts;
  api_opts.ip = cfg.api.ip;
  api_opts.port = cfg.api.port;
  api_opts.token = cfg.api.token;
  duet::api::ApiServer api(control.loop(), api_opts, api_bridge);
  control.on_stop([&api] { api.stop(); });
#endif
#if DUET_HAVE_REPLICATION
  if (repl) {
    wrepl->bind(*repl, runtime);
#if DUET_HAVE_API
    api_bridge.attach_replication(*repl, *wrepl);
#endif
    repl->subscribe([](const duet::replication::PeerEvent& e) {
      spdlog::info("peer '{}' is {}", e.peer_site,
                   e.kind == duet::replication::PeerEvent::up ? "UP (whole)" : "DOWN");
    });
    control.on_stop([&repl] { repl->stop(); });
  }
#endif
  try {
    runtime.start();
#if DUET_HAVE_API
    api.start();
    spdlog::info("API listening on {}:{}", cfg.api.ip, api.bound_port());
#endif
#if DUET_HAVE_REPLICATION
    if (repl) {
      repl->start();
      spdlog::info("replication listening on {}:{}, peer '{}' at {}:{}", cfg.peer.listen_ip,
                   repl->bound_port(), cfg.peer.name, cfg.peer.replication_ip, cfg.peer.replication_port);
    }
    control.start();
#endif
  } catch (const std::exception& e) {
    spdlog::critical("cannot start: {}", e.what());
    runtime.stop();
    return 1;
  }
  for (const auto& b : runtime.bound()) {
    const auto where =
        std::string(duet::transport::proto_name(b.proto)) + ":" + duet::transport::sockaddr_to_string(b.addr);
    if (spdlog::should_log(spdlog::level::info)) {
      spdlog::info("listening on {}", where);
    } else {
      std::fprintf(stderr, "duet: listening on %s\n", where.c_str());
    }
  }
  spdlog::info(
      "site '{}' started with {} workers ({})", cfg.site_name, runtime.workers(),
      cfg.worker_scheduling == duet::transport::WorkerScheduling::batch ? "SCHED_BATCH" : "SCHED_OTHER");

  const int sig = duet::daemon::wait_for_stop_signal();
  spdlog::info("{} received, stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  runtime.stop();  // first: the workers stop feeding the control loop
#if DUET_HAVE_REPLICATION
  control.stop();
#endif
  const auto s = runtime.stats();
  spdlog::info(
      "stopped: {} messages, {} malformed answered, {} malformed dropped, {} connections accepted, {} "
      "refused, "
      "{} closed idle, {} closed oversize, {} opened by us ({} failed)",
      s.messages_in, s.malformed_answered, s.malformed_dropped, s.connections_accepted,
      s.connections_rejected, s.connections_idle_closed, s.oversize_closed, s.connections_dialled,
      s.connect_failed);
  spdlog::shutdown();
  return 0;
}
