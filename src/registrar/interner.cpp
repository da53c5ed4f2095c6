#include "duet/registrar/interner.hpp"

#include <cstring>

namespace duet::registrar {

Interner::Interner() {
  entries_.emplace_back();
}

std::uint32_t Interner::acquire(std::string_view s) {
  if (s.empty()) return kEmpty;
  if (auto it = ids_.find(s); it != ids_.end()) {
    ++entries_[it->second].refs;
    return it->second;
  }
  std::uint32_t id;
  if (!free_ids_.empty()) {
    id = free_ids_.back();
    free_ids_.pop_back();
  } else {
    id = static_cast<std::uint32_t>(entries_.size());
    entries_.emplace_back();
  }
  Entry& e = entries_[id];
  e.bytes = std::make_unique<char[]>(s.size());
  std::memcpy(e.bytes.get(), s.data(), s.size());
  e.size = static_cast<std::uint32_t>(s.size());
  e.refs = 1;
  ids_.emplace(std::string_view(e.bytes.get(), e.size), id);
  ++live_;
  return id;
}

void Interner::retain(std::uint32_t id) noexcept {
  if (id != kEmpty && id < entries_.size()) ++entries_[id].refs;
}

void Interner::release(std::uint32_t id) noexcept {
  if (id == kEmpty || id >= entries_.size()) return;
  Entry& e = entries_[id];
  if (e.refs == 0 || --e.refs != 0) return;
  ids_.erase(std::string_view(e.bytes.get(), e.size));
  e.bytes.reset();
  e.size = 0;
  free_ids_.push_back(id);
  --live_;
}

std::uint32_t Interner::find(std::string_view s) const noexcept {
  if (s.empty()) return kEmpty;
  auto it = ids_.find(s);
  return it == ids_.end() ? kAbsent : it->second;
}

std::string_view Interner::text(std::uint32_t id) const noexcept {
  if (id >= entries_.size()) return {};
  return {entries_[id].bytes.get(), entries_[id].size};
}

}  // namespace duet::registrar
