#include "api_bridge.hpp"

#include <spdlog/spdlog.h>

#include "duet/control/control_loop.hpp"
#include "duet/replication/binding_record.hpp"
#include "duet/replication/hlc.hpp"

namespace duet::daemon {

ApiBridge::ApiBridge(control::ControlLoop& control, server::SipService& service, transport::Runtime& runtime,
                     agents::ConfigModel& model, continuity::AgentBoard& board,
                     continuity::RegistrationModes& modes, api::EventHub& hub, proxy::Forward default_forward)
    : control_(control),
      service_(service),
      runtime_(runtime),
      model_(model),
      board_(board),
      modes_(modes),
      hub_(hub) {
  default_forward_ = default_forward;
  board_.set_event_sink([this](std::string_view type, const nlohmann::json& data) {
    routing_changed();  // an agent logged in or out somewhere, a drain, the peer
    if (hub_.has_subscribers())
      hub_.publish(type, data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  });
  board_.set_live_users([this](std::function<void(std::vector<std::string>)> done) {
    auto* loop = &control_;
    service_.query_local_users(runtime_, [loop, done = std::move(done)](std::vector<std::string> users) {
      loop->post([done, users = std::move(users)]() mutable { done(std::move(users)); });
    });
  });
  // A drain logs an agent out once its calls are over: the proxy says when they start and end.
  board_.set_busy([this](const continuity::AgentState& s) {
    const auto it = calls_.find(s.dn);
    return it != calls_.end() && !it->second.empty();
  });
  service_.set_call_observer([this](std::string_view dn, std::string_view call_id, bool started) {
    control_.post(
        [this, d = std::string(dn), id = std::string(call_id), started] { call_event(d, id, started); });
  });
  routing_changed();  // the first view, once the control loop runs
}

void ApiBridge::call_event(const std::string& dn, const std::string& call_id, bool started) {
  // By Call-ID, not by count: both parties may send a BYE (or a BYE may be for a call this site
  // never saw answered), and only the end of a call that started here may free the agent.
  if (started) {
    calls_[dn].insert(call_id);
    return;
  }
  const auto it = calls_.find(dn);
  if (it == calls_.end() || it->second.erase(call_id) == 0 || !it->second.empty()) return;
  calls_.erase(it);
  if (const auto* s = board_.on_dn(dn)) board_.call_ended(s->login);
}

// The proxy's dr-forward mirrors the continuity one value for value.
static_assert(static_cast<int>(proxy::Forward::off) == static_cast<int>(continuity::Forward::off) &&
              static_cast<int>(proxy::Forward::no_agent) == static_cast<int>(continuity::Forward::no_agent) &&
              static_cast<int>(proxy::Forward::oos) == static_cast<int>(continuity::Forward::oos));

void ApiBridge::routing_changed() {
  if (view_pending_) return;
  view_pending_ = true;
  control_.post([this] {
    view_pending_ = false;
    publish_view();
  });
}

void ApiBridge::publish_view() {
  auto v = std::make_shared<proxy::RoutingView>();
  v->draining = board_.mode() != continuity::SiteMode::active;
  v->shutdown_code = board_.options().shutdown_code;
  v->peer_up = board_.peer_up();
  for (const auto& [number, entry] : model_.table(agents::Kind::dn)) {
    const auto& dn = std::get<agents::Dn>(entry.object);
    proxy::DnRoute r;
    r.forward = default_forward_;
    if (const auto f = continuity::parse_forward(dn.forward)) {
      r.forward = static_cast<proxy::Forward>(*f);
    } else if (const auto it = phone_forward_.find(number); it != phone_forward_.end()) {
      r.forward = it->second;
    }
    v->dns.emplace(number, r);
  }
  for (const auto& s : board_.all()) {
    if (!s.logged_in || s.dn.empty()) continue;
    auto& r = v->dns[s.dn];
    (s.site == model_.site() ? r.agent_here : r.agent_peer) = true;
  }
  service_.set_routing_view(runtime_, std::move(v));
}

void ApiBridge::attach_replication(replication::Replicator& r, replication::WorkerReplication& wr) {
  repl_ = &r;
  wr_ = &wr;
  wr.set_config_applier(this);
  r.set_snapshot_extra(this);
  model_.set_change_hook([this](const agents::ConfigRecord& rec) {
    const auto v =
        repl_->publish(replication::RecordKind::config, rec.key, rec.payload, rec.deleted, 0, rec.stamp.hlc);
    flush_soon();
    routing_changed();  // a DN's dr-forward may have changed
    return v;
  });
  r.set_on_acked([this](std::uint64_t acked) { model_.forget_tombstones(model_.site(), acked); });
  board_.set_publish([this](const agents::ConfigRecord& rec) {
    const auto v =
        repl_->publish(replication::RecordKind::agent_state, rec.key, rec.payload, false, 0, rec.stamp.hlc);
    flush_soon();
    return v;
  });
  wr.set_local_binding_observer([this](std::string_view key, std::string_view payload, bool deleted) {
    binding_changed(true, key, payload, deleted, 0);  // the time is read only when it is needed
  });
  wr.set_remote_binding_observer([this](const replication::Record& rec) {
    binding_changed(false, rec.key, rec.payload, rec.deleted, rec.hlc >> 16);
  });
  sweep_timer_ = new uv_timer_t;
  uv_timer_init(control_.loop(), sweep_timer_);
  sweep_timer_->data = this;
  uv_timer_start(sweep_timer_, &ApiBridge::on_sweep, 1000, 1000);
  control_.on_stop([t = sweep_timer_] {
    uv_close(reinterpret_cast<uv_handle_t*>(t),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  });
  r.subscribe([this](const replication::PeerEvent& e) {
    if (e.kind == replication::PeerEvent::down) {
      board_.on_peer_down();
      service_.peer_down(runtime_);  // calls through the peer's trunk end
    } else {
      board_.on_peer_up();
    }
  });
}

void ApiBridge::on_sweep(uv_timer_t* t) {
  auto* self = static_cast<ApiBridge*>(t->data);
  for (const auto& aor : self->modes_.sweep(replication::wall_ms())) {
    spdlog::info("sip:{}: still registered at both sites against its mode: flagged", aor);
    if (!self->hub_.has_subscribers()) continue;
    const nlohmann::json j = {
        {"aor", "sip:" + aor}, {"site", self->model_.site()}, {"event", "mode_anomaly"}};
    self->hub_.publish("registration", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
}

void ApiBridge::flush_soon() {
  // A drain or a mass relog publishes thousands of records in one go: send them in batches once
  // the current work is done, not one write per record.
  if (flush_pending_) return;
  flush_pending_ = true;
  control_.post([this] {
    flush_pending_ = false;
    if (repl_) repl_->flush();
  });
}

void ApiBridge::binding_changed(bool local, std::string_view key, std::string_view payload, bool deleted,
                                std::uint64_t at_ms) {
  std::string_view user, domain;
  if (!replication::parse_binding_key(key, user, domain)) return;
  if (local) board_.on_local_binding(user, deleted);
  const bool agent_phone = model_.find(agents::Kind::dn, user) != nullptr;
  const bool listening = hub_.has_subscribers();
  if (!agent_phone && !deleted && !listening) return;  // the common case costs one lookup
  if (local) at_ms = replication::wall_ms();
  replication::BindingInfo b;
  const bool decoded = !deleted && replication::decode_binding(payload, b);
  const auto verdict =
      modes_.on_binding(local, user, domain, key, b.user_agent, deleted, board_.peer_up(), at_ms);
  if (decoded && agent_phone) {
    // The phone's profile may carry a dr-forward (alcatel-4000: no-agent), at either site.
    const auto m = modes_.resolve(user, b.user_agent);
    const auto f = static_cast<proxy::Forward>(m.forward);
    const std::string u(user);
    const auto it = phone_forward_.find(u);
    if (!m.profile.empty() && (it == phone_forward_.end() || it->second != f)) {
      phone_forward_[u] = f;
      routing_changed();
    }
  }
  const std::string aor = "sip:" + std::string(user) + "@" + std::string(domain);
  if (verdict == continuity::RegistrationModes::Verdict::release_local) {
    spdlog::info("{}: back at site '{}': releasing its backup registration here", aor,
                 board_.options().peer_site);
    service_.release_aor(runtime_, std::string(user), std::string(domain));
  } else if (verdict == continuity::RegistrationModes::Verdict::anomaly) {
    spdlog::info("{}: registered at both sites against its mode: accepted and flagged", aor);
  }
  // Reachability of agent phones, as an event of its own when it flips (either site's probes).
  if (agent_phone) {
    const std::string k(key);
    if (deleted) {
      out_of_service_.erase(k);
    } else if (decoded) {
      const auto [it, fresh] = out_of_service_.emplace(k, b.out_of_service);
      if ((!fresh && it->second != b.out_of_service) || (fresh && b.out_of_service)) {
        it->second = b.out_of_service;
        if (listening) {
          const nlohmann::json r = {{"aor", "sip:" + std::string(user) + "@" + std::string(domain)},
                                    {"site", local ? model_.site() : board_.options().peer_site},
                                    {"contact", b.contact},
                                    {"reachable", !b.out_of_service}};
          hub_.publish("reachability", r.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
        }
      }
    }
  }
  if (!hub_.has_subscribers()) return;
  nlohmann::json j = {{"aor", aor},
                      {"site", local ? model_.site() : board_.options().peer_site},
                      {"event", deleted ? "removed" : "registered"}};
  if (decoded) {
    j["contact"] = b.contact;
    j["received"] = b.received();
    j["user_agent"] = b.user_agent;
    j["reachable"] = !b.out_of_service;
  }
  if (verdict == continuity::RegistrationModes::Verdict::release_local) j["event"] = "backup_released";
  if (verdict == continuity::RegistrationModes::Verdict::anomaly) j["event"] = "mode_anomaly";
  hub_.publish("registration", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void ApiBridge::registrations(const std::string& aor,
                              std::function<void(std::vector<api::BindingInfo>)> done) {
  std::string key = aor;
  for (const char* scheme : {"sip:", "sips:"}) {
    if (key.rfind(scheme, 0) == 0) key.erase(0, std::string_view(scheme).size());
  }
  auto* control = &control_;
  service_.query_bindings(
      runtime_, key, [this, control, done = std::move(done)](std::vector<server::BindingRow> rows) {
        control->post([this, done, rows = std::move(rows)] {
          std::vector<api::BindingInfo> out;
          out.reserve(rows.size());
          for (const auto& r : rows) {
            api::BindingInfo b;
            b.site = r.site;
            b.aor = "sip:" + r.aor;
            b.contact = r.contact;
            b.expires = r.expires;
            const auto slash = r.received.rfind('/');
            b.received = slash == std::string::npos ? r.received : r.received.substr(0, slash);
            b.transport = slash == std::string::npos ? "" : r.received.substr(slash + 1);
            b.user_agent = r.user_agent;
            b.reachable = r.reachable;
            const auto at = r.aor.rfind('@');
            const auto m = modes_.resolve(std::string_view(r.aor).substr(0, at), r.user_agent);
            if (m.dn) {  // an agent phone: how it should register, and whether it does
              b.mode = std::string(agents::to_string(m.mode));
              b.profile = std::string(m.profile);
              b.flagged = modes_.flagged(r.aor, replication::wall_ms());
            }
            out.push_back(std::move(b));
          }
          done(std::move(out));
        });
      });
}

nlohmann::json ApiBridge::stats() {
  const auto s = service_.stats();
  const auto& p = s.proxy;
  const auto t = runtime_.stats();
  return {
      {"transport",
       {{"messages_in", t.messages_in},
        {"malformed_answered", t.malformed_answered},
        {"malformed_dropped", t.malformed_dropped},
        {"keepalive_pings", t.keepalive_pings},
        {"connections_accepted", t.connections_accepted},
        {"connections_refused", t.connections_rejected},
        {"connections_idle_closed", t.connections_idle_closed},
        {"connections_read_timeout", t.connections_read_timeout},
        {"connections_opened", t.connections_dialled},
        {"connections_failed", t.connect_failed},
        {"tls_handshakes_failed", t.tls_handshake_failed},
        {"send_failed", t.send_failed}}},
      {"registrar",
       {{"registers", s.registers},
        {"registers_handed_over", s.registers_forwarded},
        {"registers_refused_full", s.registers_refused_full},
        {"bindings", s.bindings},
        {"aors", s.aors},
        {"options", s.options},
        {"lookups_handed_over", s.lookups_posted},
        {"lookups_from_copies", s.lookups_from_copies},
        {"copies_dropped", s.copies_dropped}}},
      {"proxy",
       {{"requests", p.requests},
        {"branches", p.forwarded},
        {"stateless", p.stateless},
        {"responses_forwarded", p.responses_forwarded},
        {"not_found", p.not_found},
        {"unavailable", p.unavailable},
        {"loops", p.loops},
        {"too_many_hops", p.too_many_hops},
        {"rejected", p.rejected},
        {"cancels", p.cancels},
        {"to_peer_redirect", p.to_peer_redirect},
        {"to_peer_proxied", p.to_peer_proxied},
        {"drain_refused", p.drain_refused},
        {"timer_c", p.timer_c},
        {"peer_calls_ended", p.peer_calls_ended},
        {"from_strict_router", p.from_strict_router},
        {"dns_lookups", p.dns_lookups},
        {"dns_cache_hits", p.dns_cache_hits},
        {"dns_waits", p.dns_waits},
        {"dns_unresolved", p.dns_unresolved},
        {"dns_failovers", p.dns_failovers},
        {"calls", s.calls}}},
      {"transactions", {{"live", s.transactions}, {"retransmissions_absorbed", s.retransmissions_absorbed}}},
      {"refused", s.refused},
      {"responses_dropped", s.responses_dropped},
      {"send_failures", s.send_failures}};
}

api::PeerInfo ApiBridge::peer() {
  api::PeerInfo p;
  if (wr_ == nullptr) return p;  // no [peer]: disabled
  const auto st = wr_->status();
  p.state = std::string(replication::link_state_name(st.state));
  p.peer_site = st.peer_site;
  p.last_sync_unix_ms = st.last_sync_wall_ms;
  p.whole = st.whole;
  p.lag_versions = st.lag_versions;
  p.lag_ms = st.lag_ms;
  p.queue_depth = st.queue_depth;
  p.queue_full = st.queue_full;
  p.tls = st.tls;
  p.last_refusal = st.last_refusal;
  return p;
}

void ApiBridge::apply_remote(const replication::Record& r) {
  agents::ConfigRecord rec{r.key, agents::Stamp{r.hlc, r.origin, r.version}, r.deleted, r.payload};
  if (r.kind == replication::RecordKind::agent_state) {
    if (board_.apply(rec) == agents::ApplyResult::rejected_invalid) {
      spdlog::warn("replication: agent record '{}' from '{}' refused: malformed", r.key, r.origin);
    }
    return;
  }
  if (r.kind != replication::RecordKind::config) return;
  const auto res = model_.apply(rec);
  if (res == agents::ApplyResult::rejected_invalid) {
    spdlog::warn("replication: config record '{}' from '{}' refused: {}", r.key, r.origin,
                 agents::to_string(res));
  }
}

std::vector<replication::Record> ApiBridge::snapshot_records() {
  std::vector<replication::Record> out;
  for (const auto& rec : model_.snapshot()) {
    replication::Record r;
    r.kind = replication::RecordKind::config;
    r.key = rec.key;
    r.deleted = rec.deleted;
    // Objects loaded from the file carry no origin/version: they are this site's, version 1.
    r.origin = rec.stamp.origin.empty() ? model_.site() : rec.stamp.origin;
    r.version = rec.stamp.version == 0 ? 1 : rec.stamp.version;
    r.hlc = rec.stamp.hlc;
    r.payload = rec.payload;
    out.push_back(std::move(r));
  }
  for (const auto& rec : board_.snapshot()) {
    replication::Record r;
    r.kind = replication::RecordKind::agent_state;
    r.key = rec.key;
    r.origin = rec.stamp.origin;
    r.version = rec.stamp.version;
    r.hlc = rec.stamp.hlc;
    r.payload = rec.payload;
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace duet::daemon
