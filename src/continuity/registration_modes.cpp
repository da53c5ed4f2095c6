#include "duet/continuity/registration_modes.hpp"

namespace duet::continuity {

using agents::RegistrationMode;

std::string_view to_string(Forward f) noexcept {
  switch (f) {
    case Forward::off:
      return "off";
    case Forward::no_agent:
      return "no-agent";
    case Forward::oos:
      return "oos";
  }
  return "?";
}

std::optional<Forward> parse_forward(std::string_view s) noexcept {
  for (auto f : {Forward::off, Forward::no_agent, Forward::oos}) {
    if (to_string(f) == s) return f;
  }
  return std::nullopt;
}

std::vector<Profile> builtin_profiles() {
  // IP Touch 4008/4018/4028/4038/4068 and the 40x9 DeskPhones: "Alcatel" (or "ALE") and a
  // 40xx model number anywhere after it.
  return {Profile{"alcatel-4000", R"((alcatel|\bale\b).*\b40[0-9][0-9]\b)", RegistrationMode::active_backup,
                  Forward::no_agent}};
}

RegistrationModes::RegistrationModes(const agents::ConfigModel& config, const std::vector<Profile>& profiles)
    : config_(config) {
  auto add = [this](const Profile& p) {
    profiles_.push_back(
        {p, std::regex(p.user_agent, std::regex::ECMAScript | std::regex::icase | std::regex::optimize)});
  };
  for (const auto& p : profiles) add(p);
  for (const auto& p : builtin_profiles()) add(p);
}

RegistrationModes::Resolved RegistrationModes::resolve(std::string_view user,
                                                       std::string_view user_agent) const {
  Resolved r;
  const auto* e = config_.find(agents::Kind::dn, user);
  r.dn = e != nullptr;
  const auto dn_mode = r.dn ? std::get<agents::Dn>(e->object).mode : RegistrationMode::by_profile;
  // The profile is looked up even when the DN names the mode: it also gives the forwarding.
  if (!user_agent.empty()) {
    for (const auto& cp : profiles_) {
      if (std::regex_search(user_agent.begin(), user_agent.end(), cp.re)) {
        r.profile = cp.p.name;
        r.forward = cp.p.forward;
        r.mode = cp.p.mode;
        break;
      }
    }
  }
  if (dn_mode != RegistrationMode::by_profile) r.mode = dn_mode;
  return r;
}

RegistrationModes::Verdict RegistrationModes::on_binding(bool local, std::string_view user,
                                                         std::string_view domain,
                                                         std::string_view binding_key,
                                                         std::string_view user_agent, bool removed,
                                                         bool peer_up, std::uint64_t at_ms) {
  std::string aor;
  aor.reserve(user.size() + domain.size() + 1);
  aor.append(user).append("@").append(domain);
  auto it = tracks_.find(aor);
  if (!removed) {
    // Cheap refusal first: most AORs are not agent DNs.
    if (it == tracks_.end() && config_.find(agents::Kind::dn, user) == nullptr) return Verdict::none;
    const auto r = resolve(user, user_agent);
    if (!r.dn) return Verdict::none;
    if (r.mode == RegistrationMode::dual) {
      if (it != tracks_.end()) tracks_.erase(it);  // its mode changed: nothing to watch any more
      return Verdict::none;
    }
    if (it == tracks_.end()) it = tracks_.emplace(std::move(aor), Track{}).first;
    it->second.mode = r.mode;
    it->second.profile = std::string(r.profile);
  } else if (it == tracks_.end()) {
    return Verdict::none;
  }
  Track& t = it->second;
  auto& mine = local ? t.local : t.remote;
  const auto& other = local ? t.remote : t.local;
  if (removed) {
    mine.erase(std::string(binding_key));
    if (t.local.empty()) t.backup = false;
  } else {
    mine.emplace(binding_key);
    (local ? t.local_ms : t.remote_ms) = at_ms;
    if (local && !peer_up) t.backup = true;
  }
  Verdict v = Verdict::none;
  if (!removed && peer_up && !other.empty()) {
    if (!local && t.mode == RegistrationMode::active_backup && t.backup && t.remote_ms > t.local_ms) {
      // The phone is back at its primary: release what it registered here while that was down.
      t.local.clear();
      t.backup = false;
      ++releases_;
      v = Verdict::release_local;
    } else if (local && t.mode == RegistrationMode::active_backup && t.remote_ms < t.local_ms && !t.flagged) {
      // Back at its primary (here): the peer releases the backup binding it still holds. Only if
      // that does not happen within the grace is it an anomaly.
      if (t.suspect_ms == 0) t.suspect_ms = at_ms;
    } else if (!t.flagged) {
      t.flagged = true;
      t.suspect_ms = 0;
      t.why = std::string("registered at both sites while both are up (mode ") +
              std::string(agents::to_string(t.mode)) + ")";
      ++anomalies_;
      v = Verdict::anomaly;
    }
  }
  if (t.local.empty() || t.remote.empty()) {
    t.flagged = false;
    t.suspect_ms = 0;
  }
  if (t.local.empty() && t.remote.empty()) tracks_.erase(it);
  return v;
}

void RegistrationModes::promote(const std::string& aor, Track& t, std::uint64_t now_ms) const {
  if (t.suspect_ms == 0 || t.flagged || now_ms < t.suspect_ms + kReleaseGraceMs) return;
  t.flagged = true;
  t.suspect_ms = 0;
  t.why = "registered at both sites while both are up (mode active-backup; the peer kept its binding)";
  ++anomalies_;
  promoted_.push_back(aor);
}

std::vector<std::string> RegistrationModes::sweep(std::uint64_t now_ms) {
  for (auto& [aor, t] : tracks_) {
    if (t.suspect_ms != 0) promote(aor, t, now_ms);
  }
  std::vector<std::string> out;
  out.swap(promoted_);
  return out;
}

bool RegistrationModes::flagged(std::string_view aor, std::uint64_t now_ms) const {
  const auto it = tracks_.find(std::string(aor));
  if (it == tracks_.end()) return false;
  promote(it->first, it->second, now_ms);
  return it->second.flagged;
}

nlohmann::json RegistrationModes::summary(std::uint64_t now_ms) const {
  nlohmann::json list = nlohmann::json::array();
  for (auto& [aor, t] : tracks_) {
    promote(aor, t, now_ms);
    if (!t.flagged) continue;
    list.push_back(
        {{"aor", "sip:" + aor}, {"mode", agents::to_string(t.mode)}, {"profile", t.profile}, {"why", t.why}});
  }
  return {{"flagged", std::move(list)}, {"anomalies", anomalies_}, {"releases", releases_}};
}

}  // namespace duet::continuity
