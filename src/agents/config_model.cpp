#include "duet/agents/config_model.hpp"

#include <optional>

#include "duet/agents/json_codec.hpp"

namespace duet::agents {

namespace {

Error conflict(std::string field, std::string message) {
  return Error{ErrorCode::conflict, std::move(field), std::move(message)};
}

std::string quoted(Kind k, std::string_view id) {
  return std::string(kind_label(k)) + " '" + std::string(id) + "'";
}

}  // namespace

std::string_view to_string(ApplyResult r) noexcept {
  switch (r) {
    case ApplyResult::accepted:
      return "accepted";
    case ApplyResult::rejected_older:
      return "rejected_older";
    case ApplyResult::rejected_invalid:
      return "rejected_invalid";
  }
  return "?";
}

ConfigModel::ConfigModel(std::string site, HybridClock::WallMs wall_ms)
    : site_(std::move(site)), clock_(std::move(wall_ms)) {}

const ConfigModel::Entry* ConfigModel::find(Kind k, std::string_view id) const {
  const auto& t = table(k);
  const auto it = t.find(id);
  return it == t.end() ? nullptr : &it->second;
}

std::size_t ConfigModel::size() const noexcept {
  std::size_t n = 0;
  for (const auto& t : tables_) n += t.size();
  return n;
}

const std::set<std::string>* ConfigModel::places_of(std::string_view dn) const {
  const auto it = dn_places_.find(dn);
  return it == dn_places_.end() || it->second.empty() ? nullptr : &it->second;
}

namespace {

void index_add(std::map<std::string, std::set<std::string>, std::less<>>& index, const std::string& key,
               const std::string& who) {
  if (!key.empty()) index[key].insert(who);
}

void index_remove(std::map<std::string, std::set<std::string>, std::less<>>& index, const std::string& key,
                  const std::string& who) {
  const auto it = index.find(key);
  if (it == index.end()) return;
  it->second.erase(who);
  if (it->second.empty()) index.erase(it);
}

}  // namespace

// The only two writers of tables_, so that the indexes always match the objects held.
void ConfigModel::put(Entry e) {
  const Kind k = kind_of(e.object);
  const std::string id = id_of(e.object);
  erase(k, id);
  if (k == Kind::place) {
    for (const auto& dn : std::get<Place>(e.object).dns) index_add(dn_places_, dn, id);
  } else if (k == Kind::login) {
    const auto& l = std::get<AgentLogin>(e.object);
    index_add(dn_logins_, l.dn, id);
    index_add(dn_logins_, l.peer_dn, id);
    index_add(place_logins_, l.place, id);
    index_add(user_logins_, l.user, id);
  }
  table_mut(k).emplace(id, std::move(e));
}

void ConfigModel::erase(Kind k, std::string_view id) {
  auto& t = table_mut(k);
  const auto it = t.find(id);
  if (it == t.end()) return;
  if (k == Kind::place) {
    for (const auto& dn : std::get<Place>(it->second.object).dns) index_remove(dn_places_, dn, it->first);
  } else if (k == Kind::login) {
    const auto& l = std::get<AgentLogin>(it->second.object);
    index_remove(dn_logins_, l.dn, it->first);
    index_remove(dn_logins_, l.peer_dn, it->first);
    index_remove(place_logins_, l.place, it->first);
    index_remove(user_logins_, l.user, it->first);
  }
  t.erase(it);
}

const std::set<std::string>* ConfigModel::logins_naming(const Index& index, std::string_view key) const {
  const auto it = index.find(key);
  return it == index.end() ? nullptr : &it->second;
}

Stamp ConfigModel::local_stamp() {
  Stamp s;
  s.hlc = clock_.now();
  s.origin = site_;
  s.version = next_version_ ? next_version_() : ++own_version_;
  return s;
}

void ConfigModel::emit(Kind k, const std::string& id, bool deleted) {
  if (!hook_) return;
  ConfigRecord rec;
  rec.key = record_key(k, id);
  rec.deleted = deleted;
  Stamp* stamp = nullptr;
  if (deleted) {
    stamp = &tombstones_[index(k)].find(id)->second;
  } else {
    auto& e = table_mut(k).find(id)->second;
    stamp = &e.stamp;
    rec.payload = to_json(e.object).dump();
  }
  rec.stamp = *stamp;
  if (const auto v = hook_(rec)) stamp->version = v;
}

// --- rules

Outcome ConfigModel::check_place(const Place& p) const {
  for (std::size_t i = 0; i < p.dns.size(); ++i) {
    const std::string field = "dns[" + std::to_string(i) + "]";
    if (!find(Kind::dn, p.dns[i])) {
      return conflict(field, quoted(Kind::place, p.name) + " names " + quoted(Kind::dn, p.dns[i]) +
                                 ", which does not exist");
    }
    if (const auto* owners = places_of(p.dns[i])) {
      for (const auto& other : *owners) {
        if (other != p.name) {
          return conflict(field, quoted(Kind::dn, p.dns[i]) + " already belongs to " +
                                     quoted(Kind::place, other) + " (a DN belongs to one Place)");
        }
      }
    }
  }
  return std::nullopt;
}

Outcome ConfigModel::check_agent_dn(const AgentLogin& l, const std::string& number, const char* field) const {
  const auto* e = find(Kind::dn, number);
  if (!e)
    return conflict(
        field, quoted(Kind::login, l.code) + " names " + quoted(Kind::dn, number) + ", which does not exist");
  const auto& dn = std::get<Dn>(e->object);
  if (dn.type != DnType::extension) {
    return conflict(field, quoted(Kind::dn, number) + " is of type " + std::string(to_string(dn.type)) +
                               ": only Extension DNs can be agent DNs (" + quoted(Kind::login, l.code) + ")");
  }
  return std::nullopt;
}

Outcome ConfigModel::check_login(const AgentLogin& l) const {
  if (!find(Kind::user, l.user)) {
    return conflict("user", quoted(Kind::login, l.code) + " names " + quoted(Kind::user, l.user) +
                                ", which does not exist");
  }
  const Place* place = nullptr;
  if (!l.place.empty()) {
    const auto* e = find(Kind::place, l.place);
    if (!e) {
      return conflict("place", quoted(Kind::login, l.code) + " names " + quoted(Kind::place, l.place) +
                                   ", which does not exist");
    }
    place = &std::get<Place>(e->object);
  }
  if (!l.dn.empty()) {
    if (auto err = check_agent_dn(l, l.dn, "dn")) return err;
    if (!l.peer_dn.empty()) {
      if (auto err = check_agent_dn(l, l.peer_dn, "peer_dn")) return err;
    }
    const auto in_place = [](const Place& p, const std::string& dn) {
      for (const auto& d : p.dns) {
        if (d == dn) return true;
      }
      return false;
    };
    if (place) {
      if (!in_place(*place, l.dn)) {
        return conflict("dn", quoted(Kind::dn, l.dn) + " is not in " + quoted(Kind::place, place->name) +
                                  " of " + quoted(Kind::login, l.code));
      }
      if (!l.peer_dn.empty() && !in_place(*place, l.peer_dn)) {
        return conflict(
            "peer_dn",
            "the preferred Extension DN and the peer Extension DN must belong to the same Place: " +
                quoted(Kind::dn, l.peer_dn) + " is not in " + quoted(Kind::place, place->name));
      }
    } else if (!l.peer_dn.empty()) {
      const auto* a = places_of(l.dn);
      const auto* b = places_of(l.peer_dn);
      bool shared = false;
      if (a && b) {
        for (const auto& p : *a) shared = shared || b->count(p) > 0;
      }
      if (!shared) {
        return conflict(
            "peer_dn",
            "the preferred Extension DN and the peer Extension DN must belong to the same Place: " +
                quoted(Kind::dn, l.dn) + " and " + quoted(Kind::dn, l.peer_dn) + " of " +
                quoted(Kind::login, l.code) + " share none");
      }
    }
  } else if (place) {
    // No explicit DN: the agent works at the Place, so every DN of it is an agent DN.
    for (const auto& d : place->dns) {
      if (auto err = check_agent_dn(l, d, "place")) return err;
    }
  }
  return std::nullopt;
}

Outcome ConfigModel::check(const Object& o) const {
  switch (kind_of(o)) {
    case Kind::place:
      return check_place(std::get<Place>(o));
    case Kind::login:
      return check_login(std::get<AgentLogin>(o));
    default:
      return std::nullopt;
  }
}

// A change to a DN or a Place can break a login that was valid: recheck the logins that name one
// of these Places or DNs (only those, so that an unrelated rule broken by a merge blocks nothing).
Outcome ConfigModel::check_logins(const std::set<std::string>& places,
                                  const std::set<std::string>& dns) const {
  std::set<std::string> codes;
  for (const auto& p : places) {
    if (const auto* l = logins_naming(place_logins_, p)) codes.insert(l->begin(), l->end());
  }
  for (const auto& d : dns) {
    if (const auto* l = logins_naming(dn_logins_, d)) codes.insert(l->begin(), l->end());
  }
  for (const auto& code : codes) {
    if (const auto* e = find(Kind::login, code)) {
      if (auto err = check_login(std::get<AgentLogin>(e->object))) return err;
    }
  }
  return std::nullopt;
}

std::set<std::string> ConfigModel::places_touching(const Object& o) const {
  std::set<std::string> out;
  if (kind_of(o) == Kind::place) out.insert(std::get<Place>(o).name);
  if (kind_of(o) == Kind::dn) {
    if (const auto* p = places_of(std::get<Dn>(o).number)) out.insert(p->begin(), p->end());
  }
  return out;
}

std::set<std::string> ConfigModel::dns_touching(const Object& o) const {
  std::set<std::string> out;
  if (kind_of(o) == Kind::place) out.insert(std::get<Place>(o).dns.begin(), std::get<Place>(o).dns.end());
  if (kind_of(o) == Kind::dn) out.insert(std::get<Dn>(o).number);
  return out;
}

Outcome ConfigModel::check_remove(Kind k, std::string_view id) const {
  const auto used_by = [&](const Index& index) -> Outcome {
    if (const auto* codes = logins_naming(index, id)) {
      return conflict("", quoted(k, id) + " is used by " + quoted(Kind::login, *codes->begin()));
    }
    return std::nullopt;
  };
  switch (k) {
    case Kind::dn:
      if (const auto* owners = places_of(id)) {
        return conflict("", quoted(Kind::dn, id) + " is in " + quoted(Kind::place, *owners->begin()) +
                                ": remove it from the Place first");
      }
      return used_by(dn_logins_);
    case Kind::place:
      return used_by(place_logins_);
    case Kind::user:
      return used_by(user_logins_);
    case Kind::login:
      break;
  }
  return std::nullopt;
}

// --- local changes

Outcome ConfigModel::create(Object o) {
  const Kind k = kind_of(o);
  const std::string id = id_of(o);
  if (!valid_id(id)) return Error{ErrorCode::invalid, "", "invalid id '" + id + "'"};
  if (find(k, id)) return conflict("", quoted(k, id) + " already exists");
  put(Entry{std::move(o), Stamp{}});
  const auto& placed = find(k, id)->object;
  Outcome err = check(placed);
  if (!err && k == Kind::place) err = check_logins(places_touching(placed), dns_touching(placed));
  if (err) {
    erase(k, id);
    return err;
  }
  table_mut(k).find(id)->second.stamp = local_stamp();
  tombstones_[index(k)].erase(id);
  emit(k, id, false);
  return std::nullopt;
}

Outcome ConfigModel::update(Object o) {
  const Kind k = kind_of(o);
  const std::string id = id_of(o);
  const auto* cur = find(k, id);
  if (!cur) return Error{ErrorCode::not_found, "", quoted(k, id) + " does not exist"};
  if (cur->object == o) return std::nullopt;  // nothing changes, nothing to replicate
  Entry old = *cur;
  auto places = places_touching(old.object);
  auto dns = dns_touching(old.object);
  put(Entry{std::move(o), old.stamp});
  const auto& placed = find(k, id)->object;
  places.merge(places_touching(placed));
  dns.merge(dns_touching(placed));
  Outcome err = check(placed);
  if (!err && (k == Kind::place || k == Kind::dn)) err = check_logins(places, dns);
  if (err) {
    put(std::move(old));
    // A login broke because of this DN's new type: point at the field the caller changed.
    if (k == Kind::dn) err->field = "type";
    return err;
  }
  table_mut(k).find(id)->second.stamp = local_stamp();
  emit(k, id, false);
  return std::nullopt;
}

Outcome ConfigModel::remove(Kind k, std::string_view id) {
  const auto* cur = find(k, id);
  if (!cur) return Error{ErrorCode::not_found, "", quoted(k, id) + " does not exist"};
  if (auto err = check_remove(k, id)) return err;
  Entry old = *cur;
  const auto places = places_touching(old.object);
  const auto dns = dns_touching(old.object);
  erase(k, id);
  if (k == Kind::place) {
    if (auto err = check_logins(places, dns)) {
      put(std::move(old));
      return err;
    }
  }
  const std::string key(id);
  tombstones_[index(k)][key] = local_stamp();
  emit(k, key, true);
  return std::nullopt;
}

Outcome ConfigModel::insert_loaded(Object o) {
  const Kind k = kind_of(o);
  const std::string id = id_of(o);
  if (!valid_id(id)) return Error{ErrorCode::invalid, "", "invalid id '" + id + "'"};
  if (find(k, id)) return conflict("", quoted(k, id) + " is defined twice");
  Stamp s;
  s.hlc = 0;
  s.origin = site_;
  s.version = next_version_ ? next_version_() : ++own_version_;
  put(Entry{std::move(o), std::move(s)});
  return std::nullopt;
}

std::vector<std::pair<std::string, Error>> ConfigModel::check_all() const {
  std::vector<std::pair<std::string, Error>> out;
  for (Kind k : kAllKinds) {
    for (const auto& [id, e] : table(k)) {
      if (auto err = check(e.object)) out.emplace_back(record_key(k, id), std::move(*err));
    }
  }
  return out;
}

// --- replication

ApplyResult ConfigModel::apply(const ConfigRecord& rec) {
  const auto slash = rec.key.find('/');
  if (slash == std::string::npos) return ApplyResult::rejected_invalid;
  const auto kind = kind_from_prefix(std::string_view(rec.key).substr(0, slash));
  const std::string id = rec.key.substr(slash + 1);
  if (!kind || !valid_id(id) || rec.stamp.origin.empty()) return ApplyResult::rejected_invalid;
  const Kind k = *kind;

  std::optional<Object> obj;
  if (!rec.deleted) {
    auto j = nlohmann::json::parse(rec.payload, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return ApplyResult::rejected_invalid;
    auto parsed = from_json(k, j);
    if (std::holds_alternative<Error>(parsed)) return ApplyResult::rejected_invalid;
    obj = std::move(std::get<Object>(parsed));
    if (id_of(*obj) != id) return ApplyResult::rejected_invalid;
  }

  const Stamp* held = nullptr;
  if (const auto* e = find(k, id)) held = &e->stamp;
  const auto& tomb = tombstones(k);
  if (const auto t = tomb.find(id); t != tomb.end()) held = &t->second;
  if (held && !newer(rec.stamp, *held)) return ApplyResult::rejected_older;

  clock_.observe(rec.stamp.hlc);
  if (rec.deleted) {
    erase(k, id);
    tombstones_[index(k)][id] = rec.stamp;
  } else {
    tombstones_[index(k)].erase(id);
    put(Entry{std::move(*obj), rec.stamp});
  }
  return ApplyResult::accepted;
}

std::vector<ConfigRecord> ConfigModel::snapshot() const {
  std::vector<ConfigRecord> out;
  out.reserve(size());
  for (Kind k : kAllKinds) {
    for (const auto& [id, e] : table(k)) {
      out.push_back(ConfigRecord{record_key(k, id), e.stamp, false, to_json(e.object).dump()});
    }
    for (const auto& [id, s] : tombstones(k)) out.push_back(ConfigRecord{record_key(k, id), s, true, {}});
  }
  return out;
}

std::size_t ConfigModel::forget_tombstones(std::string_view origin, std::uint64_t acked_version) {
  std::size_t n = 0;
  for (auto& t : tombstones_) {
    for (auto it = t.begin(); it != t.end();) {
      if (it->second.origin == origin && it->second.version <= acked_version) {
        it = t.erase(it);
        ++n;
      } else {
        ++it;
      }
    }
  }
  return n;
}

}  // namespace duet::agents
