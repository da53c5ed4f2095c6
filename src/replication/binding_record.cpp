#include "duet/replication/binding_record.hpp"

#include <arpa/inet.h>

#include <charconv>

#include "duet/registrar/binding.hpp"
#include "duet/registrar/binding_store.hpp"
#include "duet/replication/wire.hpp"

namespace duet::replication {

std::string BindingInfo::received() const {
  char ip[INET6_ADDRSTRLEN] = {};
  if (family == 4) {
    inet_ntop(AF_INET, addr, ip, sizeof ip);
  } else if (family == 6) {
    inet_ntop(AF_INET6, addr, ip, sizeof ip);
  } else {
    return "";
  }
  static constexpr const char* kNames[] = {"udp", "tcp", "tls", "other"};
  const char* t = transport < 4 ? kNames[transport] : "other";
  return (family == 6 ? "[" + std::string(ip) + "]" : std::string(ip)) + ":" + std::to_string(port) + "/" + t;
}

std::uint32_t BindingInfo::remaining_s(std::uint64_t now) const noexcept {
  if (expires_at_wall_ms <= now) return 0;
  return static_cast<std::uint32_t>((expires_at_wall_ms - now + 999) / 1000);
}

std::string binding_key(std::string_view user, std::string_view domain, std::string_view identity) {
  std::string k;
  k.reserve(4 + user.size() + domain.size() + identity.size());
  WireWriter w(k);
  w.str16(user.substr(0, 65535));
  w.str16(domain.substr(0, 65535));
  w.raw(identity);
  return k;
}

bool parse_binding_key(std::string_view key, std::string_view& user, std::string_view& domain) noexcept {
  WireReader r(key);
  return r.str16(user) && r.str16(domain);
}

void encode_binding(std::string& out, const BindingInfo& b) {
  WireWriter w(out);
  for (const std::string* s :
       {&b.user, &b.domain, &b.contact, &b.call_id, &b.instance, &b.path, &b.user_agent, &b.site}) {
    w.str16(std::string_view(*s).substr(0, 65535));
  }
  w.u64(b.expires_at_wall_ms);
  w.u32(b.cseq);
  w.u32(b.reg_id);
  w.u16(b.q);
  w.u8(b.transport);
  w.u8(b.family);
  w.u16(b.port);
  w.raw(std::string_view(reinterpret_cast<const char*>(b.addr), 16));
  w.u8(b.out_of_service ? 1 : 0);
}

bool decode_binding(std::string_view payload, BindingInfo& b) {
  WireReader r(payload);
  for (std::string* s :
       {&b.user, &b.domain, &b.contact, &b.call_id, &b.instance, &b.path, &b.user_agent, &b.site}) {
    std::string_view v;
    if (!r.str16(v)) return false;
    s->assign(v);
  }
  std::string_view addr;
  if (!r.u64(b.expires_at_wall_ms) || !r.u32(b.cseq) || !r.u32(b.reg_id) || !r.u16(b.q) ||
      !r.u8(b.transport) || !r.u8(b.family) || !r.u16(b.port) || !r.raw(16, addr)) {
    return false;
  }
  // State flags came later (PROTOCOL.md): a record without them is reachable.
  std::uint8_t state = 0;
  if (!r.done() && (!r.u8(state) || !r.done() || state > 1)) return false;
  b.out_of_service = state != 0;
  for (int i = 0; i < 16; ++i) b.addr[i] = static_cast<std::uint8_t>(addr[static_cast<std::size_t>(i)]);
  return true;
}

void encode_binding_of(std::string& out, const registrar::BindingStore& store, const registrar::Binding& b,
                       std::uint64_t loop_now_ms, std::uint64_t wall_now_ms) {
  WireWriter w(out);
  for (std::string_view s : {b.aor_user(), store.domain(b), b.contact(), b.call_id(), b.instance(), b.path(),
                             store.user_agent(b), store.site(b)}) {
    w.str16(s.substr(0, 65535));
  }
  const std::uint64_t due = b.expires_at_ms();
  w.u64(due > loop_now_ms ? wall_now_ms + (due - loop_now_ms) : wall_now_ms);
  w.u32(b.cseq);
  w.u32(b.reg_id);
  w.u16(b.q);
  w.u8(static_cast<std::uint8_t>(b.transport));
  w.u8(b.family);
  w.u16(b.port);
  w.raw(std::string_view(reinterpret_cast<const char*>(b.addr), 16));
  w.u8(b.out_of_service() ? 1 : 0);
}

std::string binding_key_of(const registrar::BindingStore& store, const registrar::Binding& b) {
  std::string k;
  append_binding_key_str16(k, store, b);
  return k.substr(2);
}

void append_binding_key_str16(std::string& out, const registrar::BindingStore& store,
                              const registrar::Binding& b) {
  const std::size_t at = out.size();
  WireWriter w(out);
  w.u16(0);  // the length, patched below
  w.str16(b.aor_user().substr(0, 65535));
  w.str16(store.domain(b).substr(0, 65535));
  if (!b.instance().empty()) {
    w.raw(b.instance());
    if (b.reg_id != 0) {
      char buf[16];
      const auto r = std::to_chars(buf, buf + sizeof buf, b.reg_id);
      w.raw(";reg-id=");
      w.raw(std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)));
    }
  } else {
    w.raw(b.contact());
  }
  const auto n = static_cast<std::uint16_t>(out.size() - at - 2);
  out[at] = static_cast<char>(n >> 8);
  out[at + 1] = static_cast<char>(n & 0xff);
}

BindingInfo binding_info(const registrar::BindingStore& store, const registrar::Binding& b,
                         std::uint64_t loop_now_ms, std::uint64_t wall_now_ms) {
  BindingInfo i;
  i.user = b.aor_user();
  i.domain = store.domain(b);
  i.contact = b.contact();
  i.call_id = b.call_id();
  i.instance = b.instance();
  i.path = b.path();
  i.user_agent = store.user_agent(b);
  i.site = store.site(b);
  const std::uint64_t due = b.expires_at_ms();
  i.expires_at_wall_ms = due > loop_now_ms ? wall_now_ms + (due - loop_now_ms) : wall_now_ms;
  i.cseq = b.cseq;
  i.reg_id = b.reg_id;
  i.q = b.q;
  i.transport = static_cast<std::uint8_t>(b.transport);
  i.family = b.family;
  i.port = b.port;
  for (int k = 0; k < 16; ++k) i.addr[k] = b.addr[k];
  i.out_of_service = b.out_of_service();
  return i;
}

}  // namespace duet::replication
