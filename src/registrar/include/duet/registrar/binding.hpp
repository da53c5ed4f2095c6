// One contact bound to an address-of-record: a fixed header and, in the same allocation, the
// strings that vary per binding. Strings many bindings share (User-Agent, domain, site, local
// socket) are interned ids. A refresh rewrites the record in place when its strings still fit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "duet/registrar/flow.hpp"
#include "duet/registrar/timer_wheel.hpp"

namespace duet::registrar {

// The per-binding strings, in storage order.
enum class Field : std::uint8_t { aor_user, contact, call_id, instance, path, count_ };
inline constexpr std::size_t kFieldCount = static_cast<std::size_t>(Field::count_);

// Everything a REGISTER contact sets, before it is stored.
struct BindingData {
  std::string_view strings[kFieldCount];  // indexed by Field
  std::uint64_t expires_at_ms = 0;
  std::uint32_t cseq = 0;
  std::uint32_t reg_id = 0;  // 0: none (RFC 5626 reg-id is 1..2^31-1)
  std::uint16_t q = 1000;    // thousandths
  std::uint8_t flags = 0;
  Flow flow;
  std::string_view user_agent;
};

struct Binding {
  enum Flags : std::uint8_t {
    kOutbound = 1,      // RFC 5626 processing applied: instance + reg-id name the flow
    kOutOfService = 2,  // an OPTIONS probe went unanswered or its flow is gone (a REGISTER clears it)
  };

  TimerNode timer;  // due_ms is the expiry time
  Binding* next_in_aor = nullptr;
  std::uint64_t version = 0;  // store-wide change counter at the last change (recency, replication)
  std::uint64_t conn_id = 0;
  std::uint32_t hash = 0;  // low half of the AOR hash
  std::uint32_t cseq = 0;
  std::uint32_t reg_id = 0;
  std::uint32_t domain_id = 0;
  std::uint32_t user_agent_id = 0;
  std::uint32_t local_id = 0;
  std::uint16_t site_id = 0;
  std::uint16_t q = 1000;
  std::uint16_t worker = 0;
  std::uint16_t port = 0;
  std::uint8_t addr[16] = {};
  std::uint8_t family = 0;
  Transport transport = Transport::udp;
  std::uint8_t flags = 0;
  std::uint16_t len[kFieldCount] = {};
  std::uint16_t capacity = 0;  // bytes available after the header

  std::uint64_t expires_at_ms() const noexcept { return timer.due_ms; }
  bool out_of_service() const noexcept { return (flags & kOutOfService) != 0; }
  std::string_view str(Field f) const noexcept;
  std::string_view aor_user() const noexcept { return str(Field::aor_user); }
  std::string_view contact() const noexcept { return str(Field::contact); }
  std::string_view call_id() const noexcept { return str(Field::call_id); }
  std::string_view instance() const noexcept { return str(Field::instance); }
  std::string_view path() const noexcept { return str(Field::path); }
  // Seconds left at now_ms, rounded up; 0 once expired.
  std::uint32_t remaining_s(std::uint64_t now_ms) const noexcept;

  // Bytes needed for the strings of d; false if a string is longer than 65535 bytes.
  static bool string_bytes(const BindingData& d, std::size_t& out) noexcept;
  // One allocation for the header and the strings (nullptr on allocation failure).
  static Binding* create(std::size_t capacity) noexcept;
  static void destroy(Binding* b) noexcept;
  // Copies the strings of d into the record; capacity must suffice (see string_bytes).
  void set_strings(const BindingData& d) noexcept;
  void set_flow(const Flow& f) noexcept;

  char* bytes() noexcept { return reinterpret_cast<char*>(this + 1); }
  const char* bytes() const noexcept { return reinterpret_cast<const char*>(this + 1); }
};

}  // namespace duet::registrar
