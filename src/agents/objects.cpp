#include "duet/agents/objects.hpp"

namespace duet::agents {

Kind kind_of(const Object& o) noexcept {
  return static_cast<Kind>(o.index());
}

const std::string& id_of(const Object& o) noexcept {
  switch (o.index()) {
    case 0:
      return std::get<Dn>(o).number;
    case 1:
      return std::get<Place>(o).name;
    case 2:
      return std::get<User>(o).id;
    default:
      return std::get<AgentLogin>(o).code;
  }
}

std::string_view key_prefix(Kind k) noexcept {
  switch (k) {
    case Kind::dn:
      return "dn";
    case Kind::place:
      return "place";
    case Kind::user:
      return "user";
    case Kind::login:
      return "login";
  }
  return "?";
}

std::optional<Kind> kind_from_prefix(std::string_view p) noexcept {
  for (Kind k : kAllKinds) {
    if (key_prefix(k) == p) return k;
  }
  return std::nullopt;
}

std::string record_key(Kind k, std::string_view id) {
  std::string key(key_prefix(k));
  key += '/';
  key += id;
  return key;
}

std::string_view kind_label(Kind k) noexcept {
  switch (k) {
    case Kind::dn:
      return "DN";
    case Kind::place:
      return "Place";
    case Kind::user:
      return "User";
    case Kind::login:
      return "Agent Login";
  }
  return "?";
}

std::string_view to_string(DnType t) noexcept {
  switch (t) {
    case DnType::extension:
      return "extension";
    case DnType::acd_queue:
      return "acd_queue";
    case DnType::cpp:
      return "cpp";
  }
  return "?";
}

std::string_view to_string(RegistrationMode m) noexcept {
  switch (m) {
    case RegistrationMode::single:
      return "single";
    case RegistrationMode::dual:
      return "dual";
    case RegistrationMode::active_backup:
      return "active-backup";
    case RegistrationMode::by_profile:
      return "auto";
  }
  return "?";
}

std::optional<DnType> parse_dn_type(std::string_view s) noexcept {
  for (auto t : {DnType::extension, DnType::acd_queue, DnType::cpp}) {
    if (to_string(t) == s) return t;
  }
  return std::nullopt;
}

std::optional<RegistrationMode> parse_mode(std::string_view s) noexcept {
  for (auto m : {RegistrationMode::single, RegistrationMode::dual, RegistrationMode::active_backup,
                 RegistrationMode::by_profile}) {
    if (to_string(m) == s) return m;
  }
  return std::nullopt;
}

bool valid_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '+' || c == '*' || c == '#' || c == '@' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace duet::agents
