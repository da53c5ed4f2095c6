#include "location_copies.hpp"

#include "duet/registrar/binding.hpp"

namespace duet::server {

const proxy::Location* LocationCopies::find(std::string_view user, std::string_view domain,
                                            std::uint32_t hash, std::uint64_t now_ms) const {
  const auto it = copies_.find(hash);
  if (it == copies_.end()) return nullptr;
  const Copy& c = it->second;
  if (now_ms >= c.valid_until_ms || c.user != user || c.domain != domain) return nullptr;
  return &c.location;
}

void LocationCopies::keep(std::string_view user, std::string_view domain, std::uint32_t hash,
                          std::uint64_t valid_until_ms, const proxy::Location& loc, std::uint64_t now_ms) {
  if (valid_until_ms <= now_ms) return;
  if (copies_.size() >= kMaxCopies && copies_.find(hash) == copies_.end()) {
    std::erase_if(copies_, [now_ms](const auto& kv) { return now_ms >= kv.second.valid_until_ms; });
    if (copies_.size() >= kMaxCopies) copies_.clear();
  }
  Copy& c = copies_[hash];
  c.user.assign(user);
  c.domain.assign(domain);
  c.valid_until_ms = valid_until_ms;
  c.location = loc;
}

bool CopyHolders::add(std::uint32_t hash, std::uint16_t holder) {
  if (holder >= kMaxHolders) return false;
  holders_[hash] |= std::uint64_t{1} << holder;
  return true;
}

void CopyHolders::on_binding_change(const registrar::BindingStore&, registrar::ChangeKind,
                                    const registrar::Binding& b) noexcept {
  // The registrar's hot path: with no copies anywhere (no cross-worker lookups yet) one test.
  if (holders_.empty()) return;
  const auto it = holders_.find(b.hash);
  if (it == holders_.end()) return;
  std::uint64_t mask = it->second;
  holders_.erase(it);
  while (mask != 0) {
    const int holder = __builtin_ctzll(mask);
    mask &= mask - 1;
    drop_(ctx_, static_cast<std::uint16_t>(holder), b.hash);
  }
}

}  // namespace duet::server
