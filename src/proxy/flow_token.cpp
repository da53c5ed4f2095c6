#include "flow_token.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <openssl/rand.h>

#include <array>
#include <charconv>
#include <cstring>
#include <random>

#include "duet/sip/siphash.hpp"
#include "duet/transport/address.hpp"

namespace duet::proxy {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_hex(std::string& out, std::uint64_t v) {
  char buf[17];
  const auto r = std::to_chars(buf, buf + sizeof buf, v, 16);
  out.append(buf, r.ptr);
}

bool read_hex(std::string_view& s, std::uint64_t& v) noexcept {
  const auto dot = s.find('.');
  const std::string_view part = s.substr(0, dot);
  if (part.empty()) return false;
  const auto r = std::from_chars(part.data(), part.data() + part.size(), v, 16);
  if (r.ec != std::errc() || r.ptr != part.data() + part.size()) return false;
  s = dot == std::string_view::npos ? std::string_view{} : s.substr(dot + 1);
  return true;
}

}  // namespace

void append_flow_token(std::string& out, const transport::Source& src) {
  const std::uint8_t* addr = nullptr;
  std::size_t alen = 0;
  std::uint16_t port = 0;
  if (src.peer.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(src.peer);
    addr = reinterpret_cast<const std::uint8_t*>(&in.sin_addr);
    alen = 4;
    port = ntohs(in.sin_port);
  } else if (src.peer.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(src.peer);
    addr = reinterpret_cast<const std::uint8_t*>(&in6.sin6_addr);
    alen = 16;
    port = ntohs(in6.sin6_port);
  } else {
    return;
  }
  out.push_back(src.proto == transport::Proto::udp ? 'u' : src.proto == transport::Proto::tcp ? 't' : 's');
  append_hex(out, src.worker);
  out.push_back('.');
  append_hex(out, src.conn_id);
  out.push_back('.');
  for (std::size_t i = 0; i < alen; ++i) {
    out.push_back(kHex[addr[i] >> 4]);
    out.push_back(kHex[addr[i] & 15]);
  }
  out.push_back('.');
  append_hex(out, port);
}

bool parse_flow_token(std::string_view t, transport::Source& out) noexcept {
  if (t.size() < 2) return false;
  switch (t[0]) {
    case 'u':
      out.proto = transport::Proto::udp;
      break;
    case 't':
      out.proto = transport::Proto::tcp;
      break;
    case 's':
      out.proto = transport::Proto::tls;
      break;
    default:
      return false;
  }
  t.remove_prefix(1);
  std::uint64_t worker = 0, conn = 0, port = 0;
  if (!read_hex(t, worker) || worker > 0xFFFF || !read_hex(t, conn)) return false;
  const auto dot = t.find('.');
  if (dot == std::string_view::npos) return false;
  const std::string_view hex = t.substr(0, dot);
  t.remove_prefix(dot + 1);
  if ((hex.size() != 8 && hex.size() != 32) || !read_hex(t, port) || port > 0xFFFF || !t.empty())
    return false;
  std::uint8_t addr[16];
  for (std::size_t i = 0; i < hex.size() / 2; ++i) {
    std::uint8_t v = 0;
    const auto r = std::from_chars(hex.data() + 2 * i, hex.data() + 2 * i + 2, v, 16);
    if (r.ec != std::errc() || r.ptr != hex.data() + 2 * i + 2) return false;
    addr[i] = v;
  }
  std::memset(&out.peer, 0, sizeof out.peer);
  if (hex.size() == 8) {
    auto& in = reinterpret_cast<sockaddr_in&>(out.peer);
    in.sin_family = AF_INET;
    in.sin_port = htons(static_cast<std::uint16_t>(port));
    std::memcpy(&in.sin_addr, addr, 4);
  } else {
    auto& in6 = reinterpret_cast<sockaddr_in6&>(out.peer);
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(static_cast<std::uint16_t>(port));
    std::memcpy(&in6.sin6_addr, addr, 16);
  }
  out.worker = static_cast<std::uint16_t>(worker);
  out.conn_id = conn;
  return true;
}

namespace {

const std::array<unsigned char, 16>& mac_key() {
  static const std::array<unsigned char, 16> key = [] {
    std::array<unsigned char, 16> k{};
    if (RAND_bytes(k.data(), static_cast<int>(k.size())) != 1) {
      std::random_device rd;
      for (auto& b : k) b = static_cast<unsigned char>(rd());
    }
    return k;
  }();
  return key;
}

// 16 hex characters of SipHash-2-4(key, tokens ";" dn).
bool compute_mac(std::string_view tokens, std::string_view dn, char (&hex)[16]) noexcept {
  char msg[512];
  if (tokens.size() + dn.size() + 1 > sizeof msg) return false;
  // (memcpy from an empty view's null pointer is undefined even for 0 bytes)
  if (!tokens.empty()) std::memcpy(msg, tokens.data(), tokens.size());
  msg[tokens.size()] = ';';
  if (!dn.empty()) std::memcpy(msg + tokens.size() + 1, dn.data(), dn.size());
  const std::uint64_t tag = sip::siphash24(mac_key(), msg, tokens.size() + dn.size() + 1);
  unsigned char md[8];
  for (int i = 0; i < 8; ++i) md[i] = static_cast<unsigned char>(tag >> (56 - 8 * i));
  for (int i = 0; i < 8; ++i) {
    hex[2 * i] = kHex[md[i] >> 4];
    hex[2 * i + 1] = kHex[md[i] & 15];
  }
  return true;
}

}  // namespace

void append_token_mac(std::string& out, std::string_view tokens, std::string_view dn) {
  char hex[16];
  if (compute_mac(tokens, dn, hex)) out.append(hex, sizeof hex);
}

bool token_mac_ok(std::string_view tokens, std::string_view dn, std::string_view mac) noexcept {
  char hex[16];
  if (mac.size() != sizeof hex || !compute_mac(tokens, dn, hex)) return false;
  unsigned diff = 0;  // constant time
  for (std::size_t i = 0; i < sizeof hex; ++i) diff |= static_cast<unsigned>(hex[i] ^ mac[i]);
  return diff == 0;
}

bool signed_tokens(std::string_view user, std::string_view dn, std::string_view& tokens) noexcept {
  const auto last = user.rfind('~');
  if (last == std::string_view::npos) return false;
  tokens = user.substr(0, last);
  return token_mac_ok(tokens, dn, user.substr(last + 1));
}

bool same_flow(const transport::Source& a, const transport::Source& b) noexcept {
  if (a.proto != b.proto) return false;
  if (a.proto != transport::Proto::udp) return a.conn_id == b.conn_id;
  return transport::sockaddr_equal(a.peer, b.peer);
}

}  // namespace duet::proxy
