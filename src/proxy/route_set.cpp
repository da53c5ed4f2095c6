#include "route_set.hpp"

#include "duet/sip/siphash.hpp"

namespace duet::proxy {
namespace {

std::uint32_t offset_in(const sip::Message& m, std::string_view part) noexcept {
  return static_cast<std::uint32_t>(part.data() - m.raw().data());
}

// A URI that can move between the Request-URI and a Route value unchanged: it parses, and has
// nothing that would end the request line or the <> around it there.
bool movable_uri(std::string_view uri) noexcept {
  sip::Uri u;
  return !uri.empty() && uri.find_first_of("<>\" \t\r\n") == std::string_view::npos && sip::parse_uri(uri, u);
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

bool edit_for_strict_router(sip::EditList& e, const sip::Message& m, const RouteInfo& routes,
                            std::string& route_line) {
  if (!routes.has_next || !routes.next_strict || !movable_uri(m.request_uri()) ||
      !movable_uri(routes.next_uri))
    return false;
  const auto at = offset_in(m, m.request_uri());
  route_line.assign("Route: <").append(m.request_uri()).append(">\r\n");
  return e.add(at, static_cast<std::uint32_t>(m.request_uri().size()), routes.next_uri) &&
         remove_routes(e, m, routes.ours + 1) && sip::edit_append_header(e, m, route_line);
}

bool rewrite_from_strict_router(const sip::Message& m, std::string& out) {
  // The last Route value, and what removing it takes: its whole line when it is the line's only
  // value, else from the end of the value before it (the comma goes too).
  const sip::HeaderField* last_field = nullptr;
  std::string_view last, before_last;
  for (const sip::HeaderField* f = m.find(sip::HeaderId::route); f != nullptr; f = m.next(*f)) {
    sip::ValueSplitter split(f->value);
    std::string_view v, prev;
    bool any = false;
    while (split.next(v)) {
      prev = any ? last : std::string_view{};
      last = v;
      any = true;
    }
    if (any) {
      last_field = f;
      before_last = prev;
    }
  }
  sip::NameAddr target;
  if (last_field == nullptr || !sip::parse_name_addr(last, target, true) || !movable_uri(target.uri_text) ||
      !movable_uri(m.request_uri()))
    return false;
  sip::EditList e;
  std::string our_route = "Route: <";
  our_route.append(m.request_uri()).append(">\r\n");
  const auto ruri_at = offset_in(m, m.request_uri());
  bool ok = e.add(ruri_at, static_cast<std::uint32_t>(m.request_uri().size()), target.uri_text);
  if (ok && before_last.empty()) {
    ok = e.add(last_field->line_begin, last_field->line_end - last_field->line_begin, {});
  } else if (ok) {
    const auto from = offset_in(m, before_last) + static_cast<std::uint32_t>(before_last.size());
    ok = e.add(from, offset_in(m, last) + static_cast<std::uint32_t>(last.size()) - from, {});
  }
  ok = ok && sip::edit_insert_first_header(e, m, our_route);
  if (!ok) return false;
  out.resize(e.output_size(m.raw()));
  const std::size_t n = e.write(m.raw(), out.data(), out.size());
  out.resize(n);
  return n != 0;
}

void hex8(std::uint32_t v, char out[8]) noexcept {
  for (int i = 7; i >= 0; --i, v >>= 4) out[i] = "0123456789abcdef"[v & 15];
}

std::uint32_t loop_hash(const sip::Message& m) noexcept {
  // Keyed (the process secret), as every hash of what a sender chooses is here, and 8 bytes a step
  // where FNV took one: a proxied call hashes three requests.
  sip::KeyedHasher h;
  h.add(m.request_uri());
  h.add(m.from().tag);
  h.add(m.to().tag);
  h.add(m.call_id());
  h.add_u32(m.cseq_number());
  h.add(m.header(sip::HeaderId::proxy_require));
  h.add(m.header(sip::HeaderId::proxy_authorization));
  // The Route set too: a request that passes through us twice on its way (a spiral through an
  // application server or a gateway and back) has another Route set on its second pass.
  for (const sip::HeaderField* f = m.find(sip::HeaderId::route); f != nullptr; f = m.next(*f))
    h.add(f->value);
  const std::uint64_t v = h.finish();
  return static_cast<std::uint32_t>(v ^ (v >> 32));
}

}  // namespace duet::proxy
