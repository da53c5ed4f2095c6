#include "duet/continuity/agent_board.hpp"

#include <algorithm>
#include <chrono>

namespace duet::continuity {

namespace {

using agents::Error;
using agents::ErrorCode;
using agents::Kind;
using agents::Outcome;
using nlohmann::json;

Error err(ErrorCode c, std::string field, std::string message) {
  return Error{c, std::move(field), std::move(message)};
}

std::string in_quotes(std::string_view s) {
  return "'" + std::string(s) + "'";
}

// Reason codes travel in events and records: short and printable.
bool valid_reason(std::string_view r) {
  if (r.size() > 64) return false;
  for (const char c : r) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

constexpr std::string_view kDrainReason = "site-drain";

}  // namespace

std::string_view to_string(SiteMode m) noexcept {
  switch (m) {
    case SiteMode::active:
      return "active";
    case SiteMode::draining:
      return "draining";
    case SiteMode::drained:
      return "drained";
  }
  return "?";
}

AgentBoard::AgentBoard(ContinuityOptions opt, agents::ConfigModel& config, WallMs wall_ms)
    : opt_(std::move(opt)), config_(config), wall_ms_(std::move(wall_ms)) {
  mode_since_ms_ = wall();
}

std::uint64_t AgentBoard::wall() const {
  if (wall_ms_) return wall_ms_();
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

void AgentBoard::emit(std::string_view type, json data) const {
  if (events_) events_(type, data);
}

// ---------------------------------------------------------------- state and index

void AgentBoard::index(const AgentState& s) {
  if (!s.logged_in) return;
  dn_owner_[s.dn].insert(s.login);
  if (s.site == opt_.site) ++here_count_;
}

void AgentBoard::unindex(const AgentState& s) {
  if (!s.logged_in) return;
  if (const auto it = dn_owner_.find(s.dn); it != dn_owner_.end()) {
    it->second.erase(s.login);
    if (it->second.empty()) dn_owner_.erase(it);
  }
  if (s.site == opt_.site && here_count_ > 0) --here_count_;
}

void AgentBoard::commit(AgentState s, std::string_view why) {
  s.stamp.hlc = config_.clock().now();
  s.stamp.origin = opt_.site;
  s.stamp.version = ++own_version_;
  s.since_ms = wall();
  auto it = states_.find(s.login);
  if (it == states_.end()) {
    it = states_.emplace(s.login, AgentState{}).first;
  } else {
    unindex(it->second);
  }
  index(s);
  it->second = std::move(s);
  AgentState& held = it->second;
  if (publish_) {
    agents::ConfigRecord rec{agent_key(held.login), held.stamp, false, encode(held)};
    if (const auto v = publish_(rec)) held.stamp.version = v;
  }
  if (events_) {
    json j = to_json(held);
    j["event"] = why;
    j["at_site"] = opt_.site;
    emit("agent", std::move(j));
  }
}

std::optional<AgentState> AgentBoard::find(std::string_view code) const {
  if (const auto it = states_.find(code); it != states_.end()) return it->second;
  if (config_.find(Kind::login, code) == nullptr) return std::nullopt;
  AgentState s;
  s.login = std::string(code);
  return s;
}

std::vector<AgentState> AgentBoard::all() const {
  std::vector<AgentState> out;
  const auto& logins = config_.table(Kind::login);
  auto li = logins.begin();
  auto si = states_.begin();
  // Both maps are ordered by login: merge them (logins without a state are logged out; states
  // whose login was deleted are still shown, since an agent may be logged in on one).
  while (li != logins.end() || si != states_.end()) {
    if (si == states_.end() || (li != logins.end() && li->first < si->first)) {
      AgentState s;
      s.login = li->first;
      out.push_back(std::move(s));
      ++li;
    } else {
      if (li != logins.end() && li->first == si->first) ++li;
      out.push_back(si->second);
      ++si;
    }
  }
  return out;
}

const AgentState* AgentBoard::on_dn(std::string_view dn) const {
  const auto it = dn_owner_.find(std::string(dn));
  if (it == dn_owner_.end() || it->second.empty()) return nullptr;
  // Normally one; two only after concurrent logins at both sites merged (both are kept, so the DN
  // stays taken until the last of them logs out).
  const auto s = states_.find(*it->second.begin());
  return s == states_.end() ? nullptr : &s->second;
}

// ---------------------------------------------------------------- desktops

Outcome AgentBoard::login(std::string_view code, std::string place, std::string dn) {
  const auto refuse = [this](Error e) -> Outcome {
    ++stats_.refused;
    return e;
  };
  const auto* entry = config_.find(Kind::login, code);
  if (entry == nullptr)
    return refuse(err(ErrorCode::not_found, "", "Agent Login " + in_quotes(code) + " does not exist"));
  const auto& al = std::get<agents::AgentLogin>(entry->object);
  if (mode_ != SiteMode::active) {
    return refuse(
        err(ErrorCode::conflict, "",
            "site " + in_quotes(opt_.site) + " is " + std::string(to_string(mode_)) +
                (opt_.peer_site.empty() ? std::string() : ": log in at " + in_quotes(opt_.peer_site))));
  }
  if (place.empty()) place = al.place;
  if (dn.empty()) dn = al.dn;
  if (place.empty())
    return refuse(err(ErrorCode::invalid, "place", "a Place is required (the Agent Login names none)"));
  if (dn.empty())
    return refuse(err(ErrorCode::invalid, "dn", "a DN is required (the Agent Login names none)"));
  if (!al.place.empty() && al.place != place) {
    return refuse(err(ErrorCode::conflict, "place",
                      "Agent Login " + in_quotes(code) + " belongs to Place " + in_quotes(al.place) +
                          ", not " + in_quotes(place)));
  }
  const auto* pe = config_.find(Kind::place, place);
  if (pe == nullptr)
    return refuse(err(ErrorCode::conflict, "place", "Place " + in_quotes(place) + " does not exist"));
  const auto* de = config_.find(Kind::dn, dn);
  if (de == nullptr) return refuse(err(ErrorCode::conflict, "dn", "DN " + in_quotes(dn) + " does not exist"));
  if (std::get<agents::Dn>(de->object).type != agents::DnType::extension) {
    return refuse(err(ErrorCode::conflict, "dn",
                      "DN " + in_quotes(dn) + " is not an Extension: only Extension DNs can be agent DNs"));
  }
  const auto& pdns = std::get<agents::Place>(pe->object).dns;
  if (std::find(pdns.begin(), pdns.end(), dn) == pdns.end()) {
    return refuse(err(ErrorCode::conflict, "dn",
                      "DN " + in_quotes(dn) + " is not an Extension of Place " + in_quotes(place)));
  }
  AgentState s;
  if (const auto it = states_.find(code); it != states_.end()) s = it->second;
  s.login = std::string(code);
  if (s.logged_in && s.site != opt_.site) {
    // The other site holds it. Only when that site is down may a desktop take it over here.
    if (peer_up_ || s.site != opt_.peer_site) {
      return refuse(err(ErrorCode::conflict, "",
                        "agent " + in_quotes(code) + " is logged in at site " + in_quotes(s.site) +
                            "; log out there first"));
    }
  } else if (s.logged_in) {
    if (s.dn == dn && s.place == place) return std::nullopt;  // the same login again: nothing to do
    return refuse(err(ErrorCode::conflict, "",
                      "agent " + in_quotes(code) + " is already logged in here on DN " + in_quotes(s.dn) +
                          "; log out first"));
  }
  if (const auto* owner = on_dn(dn); owner != nullptr && owner->login != code) {
    return refuse(err(ErrorCode::conflict, "dn",
                      "DN " + in_quotes(dn) + " is taken by agent " + in_quotes(owner->login) + " at site " +
                          in_quotes(owner->site)));
  }
  if (const auto p = pending_relog_.find(s.dn); p != pending_relog_.end() && p->second == s.login) {
    pending_relog_.erase(p);
  }
  s.logged_in = true;
  s.site = opt_.site;
  s.place = std::move(place);
  s.dn = std::move(dn);
  s.ready = false;  // a fresh login starts Not Ready, as desktops expect
  s.reason.clear();
  s.home_site = opt_.site;
  s.handoff_to.clear();
  s.handoff_ready = false;
  s.relogged = false;
  ++stats_.logins;
  commit(std::move(s), "login");
  return std::nullopt;
}

Outcome AgentBoard::here_and_logged_in(std::string_view code, AgentState*& out) {
  const auto it = states_.find(code);
  if (it == states_.end()) {
    ++stats_.refused;
    if (config_.find(Kind::login, code) == nullptr) {
      return err(ErrorCode::not_found, "", "Agent Login " + in_quotes(code) + " does not exist");
    }
    return err(ErrorCode::conflict, "", "agent " + in_quotes(code) + " is not logged in");
  }
  if (!it->second.logged_in) {
    ++stats_.refused;
    return err(ErrorCode::conflict, "", "agent " + in_quotes(code) + " is not logged in");
  }
  if (it->second.site != opt_.site) {
    ++stats_.refused;
    return err(
        ErrorCode::conflict, "",
        "agent " + in_quotes(code) + " is logged in at site " + in_quotes(it->second.site) + ", not here");
  }
  out = &it->second;
  return std::nullopt;
}

Outcome AgentBoard::ready(std::string_view code) {
  AgentState* s = nullptr;
  if (auto e = here_and_logged_in(code, s)) return e;
  if (mode_ != SiteMode::active) {
    ++stats_.refused;
    return err(ErrorCode::conflict, "",
               "site " + in_quotes(opt_.site) + " is draining: agents stay Not Ready");
  }
  if (s->ready) return std::nullopt;
  AgentState n = *s;
  n.ready = true;
  n.reason.clear();
  commit(std::move(n), "ready");
  return std::nullopt;
}

Outcome AgentBoard::check_reason(std::string_view reason) {
  if (valid_reason(reason)) return std::nullopt;
  ++stats_.refused;
  return err(ErrorCode::invalid, "reason", "a reason is at most 64 printable ASCII characters");
}

Outcome AgentBoard::not_ready(std::string_view code, std::string reason) {
  if (auto e = check_reason(reason)) return e;
  AgentState* s = nullptr;
  if (auto e = here_and_logged_in(code, s)) return e;
  if (!s->ready && s->reason == reason) return std::nullopt;
  AgentState n = *s;
  n.ready = false;
  n.reason = std::move(reason);
  commit(std::move(n), "not_ready");
  return std::nullopt;
}

Outcome AgentBoard::logout(std::string_view code, std::string reason) {
  if (auto e = check_reason(reason)) return e;
  AgentState* s = nullptr;
  if (auto e = here_and_logged_in(code, s)) return e;
  AgentState n = *s;
  n.logged_in = false;
  n.ready = false;
  n.site.clear();
  n.reason = std::move(reason);
  n.handoff_to.clear();
  n.relogged = false;
  ++stats_.logouts;
  commit(std::move(n), "logout");
  update_drained();
  return std::nullopt;
}

// ---------------------------------------------------------------- replication

agents::ApplyResult AgentBoard::apply(const agents::ConfigRecord& rec) {
  const auto code = login_of_key(rec.key);
  if (!code || rec.deleted) {
    ++stats_.remote_invalid;
    return agents::ApplyResult::rejected_invalid;
  }
  auto s = decode(*code, rec.payload);
  if (!s) {
    ++stats_.remote_invalid;
    return agents::ApplyResult::rejected_invalid;
  }
  auto it = states_.find(*code);
  if (it != states_.end() && !agents::newer(rec.stamp, it->second.stamp)) {
    ++stats_.remote_stale;
    return agents::ApplyResult::rejected_older;
  }
  config_.clock().observe(rec.stamp.hlc);
  s->stamp = rec.stamp;
  if (it == states_.end()) {
    it = states_.emplace(*code, AgentState{}).first;
  } else {
    unindex(it->second);
    // The peer moved this agent: a relog we were waiting to do is no longer ours.
    if (const auto p = pending_relog_.find(it->second.dn); p != pending_relog_.end() && p->second == *code) {
      pending_relog_.erase(p);
    }
  }
  index(*s);
  it->second = std::move(*s);
  ++stats_.remote_applied;
  const AgentState& held = it->second;
  if (events_) {
    json j = to_json(held);
    j["event"] = "replicated";
    j["at_site"] = rec.stamp.origin;
    emit("agent", std::move(j));
  }
  if (!held.logged_in && held.handoff_to == opt_.site) take_handoff(held);
  return agents::ApplyResult::accepted;
}

std::vector<agents::ConfigRecord> AgentBoard::snapshot() const {
  std::vector<agents::ConfigRecord> out;
  out.reserve(states_.size());
  for (const auto& [code, s] : states_) out.push_back({agent_key(code), s.stamp, false, encode(s)});
  return out;
}

// ---------------------------------------------------------------- peer failure

void AgentBoard::on_peer_down() {
  peer_up_ = false;
  const std::uint64_t epoch = ++peer_epoch_;
  if (opt_.peer_site.empty()) return;
  // A drain hands agents to the peer; with the peer gone this site is the only one left, so the
  // drain ends and this site takes the peer's agents like any survivor.
  if (mode_ != SiteMode::active) {
    mode_ = SiteMode::active;
    mode_since_ms_ = wall();
    json j = site_json();
    j["reason"] = "peer down: drain ended";
    emit("site", std::move(j));
  }
  for (const auto& [code, s] : states_) {
    if (s.logged_in && s.site == opt_.peer_site) pending_relog_[s.dn] = code;
  }
  emit("peer", {{"peer", opt_.peer_site}, {"state", "down"}, {"agents_to_relog", pending_relog_.size()}});
  if (pending_relog_.empty() || !live_users_) return;
  // Agents whose phone is already registered here (dual registration) are relogged at once.
  live_users_([this, epoch](std::vector<std::string> users) {
    if (epoch != peer_epoch_ || peer_up_) return;  // the peer came back meanwhile
    for (const auto& u : users) {
      if (pending_relog_.count(u) != 0) relog(u);
    }
  });
}

void AgentBoard::on_peer_up() {
  peer_up_ = true;
  ++peer_epoch_;
  const auto waited = pending_relog_.size();
  pending_relog_.clear();  // the peer holds them again
  emit("peer", {{"peer", opt_.peer_site}, {"state", "up"}, {"relogs_cancelled", waited}});
  std::vector<std::string> moving;
  for (const auto& [code, s] : states_) {
    if (!s.logged_in || s.site != opt_.site) continue;
    const bool drained_here = mode_ != SiteMode::active;
    const bool failback = opt_.failback == Failback::when_idle && s.relogged && s.home_site == opt_.peer_site;
    if (drained_here || failback) moving.push_back(code);
  }
  for (const auto& code : moving) drain_one(states_.find(code)->second);
  update_drained();
}

void AgentBoard::on_local_binding(std::string_view user, bool removed) {
  if (removed || pending_relog_.empty() || peer_up_) return;
  std::string dn(user);
  if (pending_relog_.count(dn) != 0) relog(dn);
}

void AgentBoard::relog(const std::string& dn) {
  const auto p = pending_relog_.find(dn);
  if (p == pending_relog_.end()) return;
  const std::string code = p->second;
  pending_relog_.erase(p);
  const auto it = states_.find(code);
  if (it == states_.end() || !it->second.logged_in || it->second.site != opt_.peer_site) return;
  AgentState n = it->second;
  n.site = opt_.site;
  if (opt_.relog_state == RelogState::not_ready && n.ready) {
    n.ready = false;
    n.reason = "relogged";
  }
  n.relogged = true;
  n.handoff_to.clear();
  ++stats_.relogged;
  commit(std::move(n), "relogged");
}

// ---------------------------------------------------------------- drain and handoff

void AgentBoard::take_handoff(const AgentState& s) {
  if (mode_ != SiteMode::active) return;  // we are draining too: it stays logged out
  if (const auto* owner = on_dn(s.dn); owner != nullptr && owner->login != s.login) return;
  AgentState n = s;
  n.logged_in = true;
  n.site = opt_.site;
  n.ready = opt_.relog_state == RelogState::keep && s.handoff_ready;
  n.reason = n.ready ? "" : "migrated";
  n.handoff_to.clear();
  n.handoff_ready = false;
  n.relogged = true;
  // A drain moves an agent for good: failback (when-idle) must not send it back to the site that
  // is draining. Bringing agents back is the reverse drain, or the desktops' own logins.
  n.home_site = opt_.site;
  ++stats_.handoffs_taken;
  commit(std::move(n), "handoff");
}

void AgentBoard::drain_one(AgentState& s) {
  if (!s.logged_in || s.site != opt_.site) return;
  // Not Ready first, so no new call reaches it (the reason marks that it was Ready before).
  if (s.ready) {
    AgentState n = s;
    n.ready = false;
    n.reason = std::string(kDrainReason);
    commit(std::move(n), "not_ready");
  }
  AgentState& cur = states_.find(s.login)->second;
  if (busy_ && busy_(cur)) return;  // logged out when its call ends (call_ended)
  AgentState n = cur;
  const bool was_ready = n.reason == kDrainReason;
  n.logged_in = false;
  n.ready = false;
  n.site.clear();
  n.reason = std::string(kDrainReason);
  n.relogged = false;
  if (peer_up_ && !opt_.peer_site.empty()) {
    n.handoff_to = opt_.peer_site;
    n.handoff_ready = was_ready;
    ++stats_.handoffs_sent;
  }
  ++stats_.logouts;
  commit(std::move(n), "logout");
}

void AgentBoard::update_drained() {
  if (mode_ != SiteMode::draining || here_count_ != 0) return;
  mode_ = SiteMode::drained;
  mode_since_ms_ = wall();
  emit("site", site_json());
}

Outcome AgentBoard::drain() {
  if (mode_ != SiteMode::active) {
    return err(ErrorCode::conflict, "",
               "site " + in_quotes(opt_.site) + " is already " + std::string(to_string(mode_)));
  }
  mode_ = SiteMode::draining;
  mode_since_ms_ = wall();
  emit("site", site_json());
  std::vector<std::string> here;
  for (const auto& [code, s] : states_) {
    if (s.logged_in && s.site == opt_.site) here.push_back(code);
  }
  for (const auto& code : here) drain_one(states_.find(code)->second);
  update_drained();
  return std::nullopt;
}

Outcome AgentBoard::resume() {
  if (mode_ == SiteMode::active) {
    return err(ErrorCode::conflict, "", "site " + in_quotes(opt_.site) + " is not draining");
  }
  mode_ = SiteMode::active;
  mode_since_ms_ = wall();
  emit("site", site_json());
  // Agents the peer handed over while we were draining too waited logged out: take them now.
  std::vector<std::string> waiting;
  for (const auto& [code, s] : states_) {
    if (!s.logged_in && s.handoff_to == opt_.site) waiting.push_back(code);
  }
  for (const auto& code : waiting) take_handoff(states_.find(code)->second);
  return std::nullopt;
}

void AgentBoard::call_ended(std::string_view code) {
  const auto it = states_.find(code);
  if (it == states_.end()) return;
  // A failback when idle (on_peer_up) set it Not Ready with the drain reason but found it on a call.
  const AgentState& s = it->second;
  const bool failing_back = mode_ == SiteMode::active && peer_up_ && opt_.failback == Failback::when_idle &&
                            s.logged_in && s.site == opt_.site && s.relogged &&
                            s.home_site == opt_.peer_site && !s.ready && s.reason == kDrainReason;
  if (mode_ != SiteMode::draining && !failing_back) return;
  drain_one(it->second);
  update_drained();
}

json AgentBoard::site_json() const {
  json j = {{"site", opt_.site},
            {"mode", to_string(mode_)},
            {"since_ms", mode_since_ms_},
            {"agents_here", here_count_},
            {"shutdown_code", opt_.shutdown_code},
            {"pending_relogs", pending_relog_.size()}};
  if (!opt_.peer_site.empty()) {
    j["peer_site"] = opt_.peer_site;
    j["peer_up"] = peer_up_;
    if (!opt_.peer_contact.empty()) j["peer_contact"] = opt_.peer_contact;
  }
  return j;
}

}  // namespace duet::continuity
