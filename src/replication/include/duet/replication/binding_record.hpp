// A binding as it travels between the sites: the record key names (AOR, contact or instance), the
// payload carries what the peer needs to answer "is this phone registered there, and how do I
// reach it". Expiry travels as wall-clock time because monotonic clocks differ per process.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace duet::registrar {
struct Binding;
class BindingStore;
}  // namespace duet::registrar

namespace duet::replication {

struct BindingInfo {
  std::string user, domain;  // the AOR key (user decoded, domain lower-case)
  std::string contact, call_id, instance, path, user_agent, site;
  std::uint64_t expires_at_wall_ms = 0;
  std::uint32_t cseq = 0, reg_id = 0;
  std::uint16_t q = 1000;
  std::uint8_t transport = 0;  // registrar::Transport
  std::uint8_t family = 0;     // 4, 6 or 0
  std::uint16_t port = 0;
  std::uint8_t addr[16] = {};
  bool out_of_service = false;  // the origin's probes find it unreachable

  std::string aor() const { return user + "@" + domain; }
  // "ip:port/udp", or "" when unknown.
  std::string received() const;
  std::uint32_t remaining_s(std::uint64_t now_wall_ms) const noexcept;
};

// Key: str16 user, str16 domain, then the contact's identity (the +sip.instance with the reg-id
// when there is one, else the contact URI as stored).
std::string binding_key(std::string_view user, std::string_view domain, std::string_view identity);
bool parse_binding_key(std::string_view key, std::string_view& user, std::string_view& domain) noexcept;

void encode_binding(std::string& out, const BindingInfo& b);
bool decode_binding(std::string_view payload, BindingInfo& out);

// From the registrar's record, on the worker that owns it. loop_now_ms is the store's clock
// (uv_now), wall_now_ms the wall clock at the same instant.
BindingInfo binding_info(const registrar::BindingStore& store, const registrar::Binding& b,
                         std::uint64_t loop_now_ms, std::uint64_t wall_now_ms);
// Same bytes as encode_binding(out, binding_info(...)), without the intermediate copies (the
// REGISTER path pays for this one).
void encode_binding_of(std::string& out, const registrar::BindingStore& store, const registrar::Binding& b,
                       std::uint64_t loop_now_ms, std::uint64_t wall_now_ms);
std::string binding_key_of(const registrar::BindingStore& store, const registrar::Binding& b);
// Appends the key as binding_key_of() makes it, with a u16 length prefix (WireWriter::str16), without
// building the key as a string of its own.
void append_binding_key_str16(std::string& out, const registrar::BindingStore& store,
                              const registrar::Binding& b);

}  // namespace duet::replication
