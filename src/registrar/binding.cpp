#include "duet/registrar/binding.hpp"

#include <cstring>
#include <new>

namespace duet::registrar {

std::string_view Binding::str(Field f) const noexcept {
  const auto idx = static_cast<std::size_t>(f);
  std::size_t off = 0;
  for (std::size_t i = 0; i < idx; ++i) off += len[i];
  return {bytes() + off, len[idx]};
}

std::uint32_t Binding::remaining_s(std::uint64_t now_ms) const noexcept {
  const std::uint64_t due = timer.due_ms;
  if (due <= now_ms) return 0;
  return static_cast<std::uint32_t>((due - now_ms + 999) / 1000);
}

bool Binding::string_bytes(const BindingData& d, std::size_t& out) noexcept {
  std::size_t total = 0;
  for (const auto& s : d.strings) {
    if (s.size() > 0xFFFF) return false;
    total += s.size();
  }
  if (total > 0xFFFF) return false;
  out = total;
  return true;
}

Binding* Binding::create(std::size_t capacity) noexcept {
  void* mem = ::operator new(sizeof(Binding) + capacity, std::nothrow);
  if (mem == nullptr) return nullptr;
  auto* b = new (mem) Binding();
  b->capacity = static_cast<std::uint16_t>(capacity);
  return b;
}

void Binding::destroy(Binding* b) noexcept {
  if (b == nullptr) return;
  b->~Binding();
  ::operator delete(static_cast<void*>(b));
}

void Binding::set_strings(const BindingData& d) noexcept {
  char* p = bytes();
  for (std::size_t i = 0; i < kFieldCount; ++i) {
    const std::string_view s = d.strings[i];
    // Sources may overlap the destination only when the same field is rewritten in place.
    if (!s.empty()) std::memmove(p, s.data(), s.size());  // an empty view may hold nullptr
    len[i] = static_cast<std::uint16_t>(s.size());
    p += s.size();
  }
}

void Binding::set_flow(const Flow& f) noexcept {
  conn_id = f.conn_id;
  worker = f.worker;
  port = f.port;
  family = f.family;
  transport = f.transport;
  std::memcpy(addr, f.addr.data(), sizeof addr);
}

}  // namespace duet::registrar
