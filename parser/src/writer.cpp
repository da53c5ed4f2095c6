// ResponseBuilder and BufferWriter: responses copied from a request's views (RFC 3261 §8.2.6).
#include "duet/sip/writer.hpp"

#include <cstring>

#include "chars.hpp"
#include "duet/sip/name_addr.hpp"
#include "duet/sip/values.hpp"
#include "duet/sip/via.hpp"

namespace duet::sip {

BufferWriter& BufferWriter::put(std::string_view s) noexcept {
  if (overflow_ || static_cast<std::size_t>(end_ - p_) < s.size()) {
    overflow_ = true;
    return *this;
  }
  if (!s.empty()) std::memcpy(p_, s.data(), s.size());
  p_ += s.size();
  return *this;
}

BufferWriter& BufferWriter::put(char c) noexcept {
  if (overflow_ || p_ == end_) {
    overflow_ = true;
    return *this;
  }
  *p_++ = c;
  return *this;
}

BufferWriter& BufferWriter::put_uint(std::uint64_t v) noexcept {
  char tmp[20];
  int n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v);
  char out[20];
  for (int i = 0; i < n; ++i) out[i] = tmp[n - 1 - i];
  return put(std::string_view(out, static_cast<std::size_t>(n)));
}

namespace {

// The top via-parm with received/rport set as asked; the rest of its params kept as written.
// v: parsed from a via-parm (v.text).
void put_fixed_via(BufferWriter& w, const Via& v, const ResponseBuilder::ViaFix& fix) {
  const bool set_received = !fix.received.empty();
  const bool set_rport = v.has_rport && fix.rport != 0;
  w.put(v.text.substr(0, static_cast<std::size_t>(v.params.data() - v.text.data())));
  // Split params on ';' outside quotes, dropping the ones we rewrite.
  std::string_view ps = v.params;
  std::size_t i = 0;
  while (i < ps.size()) {
    std::size_t j = i + 1;
    bool quoted = false;
    while (j < ps.size() && (quoted || ps[j] != ';')) {
      if (ps[j] == '"') quoted = !quoted;
      if (quoted && ps[j] == '\\') ++j;
      ++j;
    }
    const auto seg = chars::trim(ps.substr(i + 1, (j < ps.size() ? j : ps.size()) - i - 1));
    const auto name = chars::trim(seg.substr(0, seg.find('=')));
    const bool drop = (set_received && iequals(name, "received")) || (set_rport && iequals(name, "rport"));
    if (!drop && !seg.empty()) w.put(';').put(seg);
    i = j;
  }
  if (set_received) w.put(";received=").put(fix.received);
  if (set_rport) w.put(";rport=").put_uint(fix.rport);
}

void put_fixed_via(BufferWriter& w, std::string_view value, const ResponseBuilder::ViaFix& fix) {
  Via v;
  if (parse_via(value, v)) {
    put_fixed_via(w, v, fix);
  } else {
    w.put(value);
  }
}

}  // namespace

bool edit_fix_top_via(EditList& e, const Message& m, const ResponseViaFix& fix, char* buf,
                      std::size_t cap) noexcept {
  // The top via-parm as the parser took it (a parsed request has one): not parsed again here.
  const Via& v = m.top_via();
  if (fix.received.empty() && !(v.has_rport && fix.rport != 0)) return true;
  if (v.text.empty() || v.text.data() < m.raw().data() ||
      v.text.data() + v.text.size() > m.raw().data() + m.raw().size())
    return true;  // nothing we could rewrite
  BufferWriter w(buf, cap);
  put_fixed_via(w, v, fix);
  if (w.overflowed()) return true;
  return e.add(static_cast<std::uint32_t>(v.text.data() - m.raw().data()),
               static_cast<std::uint32_t>(v.text.size()), w.view());
}

void ResponseBuilder::start(const Message& req, int status, std::string_view reason, std::string_view to_tag,
                            const ViaFix& via) noexcept {
  w_.put("SIP/2.0 ").put_uint(static_cast<std::uint64_t>(status)).put(' ').put(reason).put("\r\n");
  bool first = true;
  for (const HeaderField* f = req.find(HeaderId::via); f; f = req.next(*f)) {
    w_.put("Via: ");
    if (first) {
      ValueSplitter split(f->value);
      std::string_view top;
      if (split.next(top)) {
        if (req.top_via().text.data() == top.data() && req.top_via().text.size() == top.size()) {
          put_fixed_via(w_, req.top_via(), via);  // parsed with the request
        } else {
          put_fixed_via(w_, top, via);
        }
        const auto rest_at = static_cast<std::size_t>(top.data() + top.size() - f->value.data());
        w_.put(f->value.substr(rest_at));
      } else {
        w_.put(f->value);
      }
      first = false;
    } else {
      w_.put(f->value);
    }
    w_.put("\r\n");
  }
  if (const auto* f = req.find(HeaderId::from)) w_.put("From: ").put(f->value).put("\r\n");
  if (const auto* f = req.find(HeaderId::to)) {
    w_.put("To: ").put(f->value);
    if (status > 100 && !to_tag.empty()) {
      NameAddr to;
      if (parse_name_addr(f->value, to, false) && to.tag.empty()) w_.put(";tag=").put(to_tag);
    }
    w_.put("\r\n");
  }
  if (const auto* f = req.find(HeaderId::call_id)) w_.put("Call-ID: ").put(f->value).put("\r\n");
  if (const auto* f = req.find(HeaderId::cseq)) w_.put("CSeq: ").put(f->value).put("\r\n");
}

void ResponseBuilder::header(std::string_view name, std::string_view value) noexcept {
  w_.put(name).put(": ").put(value).put("\r\n");
}

void ResponseBuilder::header_uint(std::string_view name, std::uint64_t value) noexcept {
  w_.put(name).put(": ").put_uint(value).put("\r\n");
}

void ResponseBuilder::raw(std::string_view lines) noexcept {
  w_.put(lines);
}

std::string_view ResponseBuilder::finish(std::string_view body, std::string_view content_type) noexcept {
  if (!body.empty() && !content_type.empty()) header("Content-Type", content_type);
  w_.put("Content-Length: ").put_uint(body.size()).put("\r\n\r\n").put(body);
  return w_.overflowed() ? std::string_view{} : w_.view();
}

}  // namespace duet::sip
