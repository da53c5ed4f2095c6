#include "route_set.hpp"

namespace duet::proxy {
namespace {

std::uint32_t offset_in(const sip::Message& m, std::string_view part) noexcept {
  return static_cast<std::uint32_t>(part.data() - m.raw().data());
}

void fnv(std::uint32_t& h, std::string_view s) noexcept {
  for (const char c : s) {
    h ^= static_cast<std::uint8_t>(c);
    h *= 16777619u;
  }
  h ^= 0xFF;  // field separator
  h *= 16777619u;
}

}  // namespace

bool remove_routes(sip::EditList& e, const sip::Message& m, unsigned n) noexcept {
  for (const sip::HeaderField* f = m.find(sip::HeaderId::route); f != nullptr && n > 0; f = m.next(*f)) {
    sip::ValueSplitter split(f->value);
    std::string_view v, first;
    unsigned taken = 0;
    bool more = false;
    while (split.next(v)) {
      if (taken == 0) first = v;
      if (taken == n) {
        more = true;
        break;
      }
      ++taken;
    }
    if (taken == 0) continue;  // an empty Route field: leave it
    if (!more) {
      if (!e.add(f->line_begin, f->line_end - f->line_begin, {})) return false;
    } else {
      const auto from = offset_in(m, first);
      if (!e.add(from, offset_in(m, v) - from, {})) return false;
    }
    n -= taken;
  }
  return n == 0;
}

std::uint32_t loop_hash(const sip::Message& m) noexcept {
  std::uint32_t h = 2166136261u;
  fnv(h, m.request_uri());
  fnv(h, m.from().tag);
  fnv(h, m.to().tag);
  fnv(h, m.call_id());
  const std::uint32_t n = m.cseq_number();
  fnv(h, std::string_view(reinterpret_cast<const char*>(&n), sizeof n));
  fnv(h, m.header(sip::HeaderId::proxy_require));
  fnv(h, m.header(sip::HeaderId::proxy_authorization));
  // The Route set too: a request that passes through us twice on its way (a spiral through an
  // application server or a gateway and back) has another Route set on its second pass.
  for (const sip::HeaderField* f = m.find(sip::HeaderId::route); f != nullptr; f = m.next(*f))
    fnv(h, f->value);
  return h;
}

}  // namespace duet::proxy
