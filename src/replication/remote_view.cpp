#include "duet/replication/remote_view.hpp"

#include <algorithm>

namespace duet::replication {

bool RemoteView::apply(const std::string& origin, std::uint64_t generation, const Record& r) {
  std::string_view user, domain;
  if (r.kind != RecordKind::binding || !parse_binding_key(r.key, user, domain)) return false;
  std::string aor;
  aor.reserve(user.size() + 1 + domain.size());
  aor.append(user).append("@").append(domain);
  auto& list = by_aor_[aor];
  auto it = std::find_if(list.begin(), list.end(),
                         [&](const RemoteBinding& b) { return b.key == r.key && b.origin == origin; });
  if (it != list.end() && it->generation >= generation && it->version > r.version) return false;
  if (r.deleted) {
    if (it != list.end()) {
      list.erase(it);
      --count_;
    }
    if (list.empty()) by_aor_.erase(aor);
    return true;
  }
  BindingInfo info;
  if (!decode_binding(r.payload, info)) {
    if (list.empty()) by_aor_.erase(aor);
    return false;
  }
  if (it == list.end()) {
    list.push_back({origin, r.key, {}, 0, 0});
    it = list.end() - 1;
    ++count_;
  }
  it->info = std::move(info);
  it->version = r.version;
  it->generation = std::max(it->generation, generation);
  return true;
}

std::size_t RemoteView::sweep(const std::string& origin, std::uint64_t generation) {
  std::size_t removed = 0;
  for (auto it = by_aor_.begin(); it != by_aor_.end();) {
    auto& list = it->second;
    const auto before = list.size();
    list.erase(std::remove_if(
                   list.begin(), list.end(),
                   [&](const RemoteBinding& b) { return b.origin == origin && b.generation < generation; }),
               list.end());
    removed += before - list.size();
    it = list.empty() ? by_aor_.erase(it) : std::next(it);
  }
  count_ -= removed;
  return removed;
}

const std::vector<RemoteBinding>* RemoteView::find(std::string_view aor) const {
  const auto it = by_aor_.find(std::string(aor));
  return it == by_aor_.end() ? nullptr : &it->second;
}

bool RemoteView::registered(std::string_view aor, std::uint64_t now) const {
  const auto* list = find(aor);
  if (list == nullptr) return false;
  return std::any_of(list->begin(), list->end(),
                     [&](const RemoteBinding& b) { return b.info.expires_at_wall_ms > now; });
}

}  // namespace duet::replication
