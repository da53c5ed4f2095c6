#include "duet/dns/system_backend.hpp"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>

#include <algorithm>
#include <cstring>

#include "duet/transport/address.hpp"

namespace duet::dns {

namespace {

// As large as a DNS message can be (over TCP), so that res_nquery never truncates one and reports
// more than the buffer holds.
constexpr int kMaxMessage = 65535;

// The records of one type in the answer section, each handed to f with its data.
template <class F>
bool each_answer(const unsigned char* msg, int len, int type, std::uint32_t& ttl, F f) {
  ns_msg m;
  if (ns_initparse(msg, len, &m) != 0) return false;
  const int n = ns_msg_count(m, ns_s_an);
  for (int i = 0; i < n; ++i) {
    ns_rr rr;
    if (ns_parserr(&m, ns_s_an, i, &rr) != 0) return false;
    if (ns_rr_type(rr) != type || ns_rr_class(rr) != ns_c_in) continue;  // CNAMEs on the way
    ttl = std::min<std::uint32_t>(ttl, ns_rr_ttl(rr));
    if (!f(m, rr)) return false;
  }
  return true;
}

bool expand(const ns_msg& m, const unsigned char* at, std::string& out) {
  char name[NS_MAXDNAME];
  if (dn_expand(ns_msg_base(m), ns_msg_end(m), at, name, sizeof name) < 0) return false;
  out = name;
  return true;
}

// A NAPTR character-string: one length byte, then the bytes.
bool char_string(const unsigned char*& p, const unsigned char* end, std::string& out) {
  if (p >= end || p + 1 + *p > end) return false;
  out.assign(reinterpret_cast<const char*>(p + 1), *p);
  p += 1 + *p;
  return true;
}

std::uint16_t u16(const unsigned char* p) {
  return static_cast<std::uint16_t>(p[0] << 8 | p[1]);
}

bool parse_server(const std::string& text, sockaddr_storage& out) {
  // "1.2.3.4", "1.2.3.4:53", "[::1]:53", "::1"
  std::string host = text;
  std::uint16_t port = 53;
  const auto colon = text.rfind(':');
  if (!text.empty() && text[0] == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos) return false;
    host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') return false;
      port = static_cast<std::uint16_t>(std::atoi(text.c_str() + close + 2));
    }
  } else if (colon != std::string::npos && text.find(':') == colon) {
    host = text.substr(0, colon);
    port = static_cast<std::uint16_t>(std::atoi(text.c_str() + colon + 1));
  }
  return port != 0 && transport::make_sockaddr(host, port, out);
}

}  // namespace

bool parse_srv(const unsigned char* msg, int len, std::vector<Srv>& out, std::uint32_t& ttl) {
  return each_answer(msg, len, ns_t_srv, ttl, [&](const ns_msg& m, const ns_rr& rr) {
    const unsigned char* p = ns_rr_rdata(rr);
    if (ns_rr_rdlen(rr) < 7) return false;
    Srv s;
    s.priority = u16(p);
    s.weight = u16(p + 2);
    s.port = u16(p + 4);
    if (!expand(m, p + 6, s.target)) return false;
    out.push_back(std::move(s));
    return true;
  });
}

bool parse_naptr(const unsigned char* msg, int len, std::vector<Naptr>& out, std::uint32_t& ttl) {
  return each_answer(msg, len, ns_t_naptr, ttl, [&](const ns_msg& m, const ns_rr& rr) {
    const unsigned char* p = ns_rr_rdata(rr);
    const unsigned char* end = p + ns_rr_rdlen(rr);
    if (end - p < 4) return false;
    Naptr n;
    n.order = u16(p);
    n.preference = u16(p + 2);
    p += 4;
    if (!char_string(p, end, n.flags) || !char_string(p, end, n.service) || !char_string(p, end, n.regexp))
      return false;
    if (p >= end || !expand(m, p, n.replacement)) return false;
    out.push_back(std::move(n));
    return true;
  });
}

bool parse_addresses(const unsigned char* msg, int len, std::vector<sockaddr_storage>& out,
                     std::uint32_t& ttl) {
  auto one = [&](int type) {
    return each_answer(msg, len, type, ttl, [&](const ns_msg&, const ns_rr& rr) {
      sockaddr_storage a{};
      if (type == ns_t_a && ns_rr_rdlen(rr) == 4) {
        auto* v4 = reinterpret_cast<sockaddr_in*>(&a);
        v4->sin_family = AF_INET;
        std::memcpy(&v4->sin_addr, ns_rr_rdata(rr), 4);
      } else if (type == ns_t_aaaa && ns_rr_rdlen(rr) == 16) {
        auto* v6 = reinterpret_cast<sockaddr_in6*>(&a);
        v6->sin6_family = AF_INET6;
        std::memcpy(&v6->sin6_addr, ns_rr_rdata(rr), 16);
      } else {
        return false;
      }
      out.push_back(a);
      return true;
    });
  };
  return one(ns_t_a) && one(ns_t_aaaa);
}

bool SystemBackend::query(const std::string& name, int type, std::vector<unsigned char>& msg, int& len,
                          bool& none) {
  struct __res_state st {};
  if (res_ninit(&st) != 0) return false;
  st.retrans = o_.timeout_s;
  st.retry = o_.attempts;
  if (!o_.servers.empty()) {
    int n = 0;
    for (const auto& s : o_.servers) {
      sockaddr_storage a{};
      if (n >= MAXNS || !parse_server(s, a) || a.ss_family != AF_INET) continue;
      std::memcpy(&st.nsaddr_list[n++], &a, sizeof(sockaddr_in));
    }
    if (n > 0) st.nscount = n;
  }
  msg.resize(kMaxMessage);
  // res_nsearch would try the search domains too; a SIP host is a fully qualified name.
  len = res_nquery(&st, name.c_str(), ns_c_in, type, msg.data(), kMaxMessage);
  // The length of the whole answer may exceed what was copied: never parse past the buffer.
  len = std::min(len, kMaxMessage);
  const int herr = st.res_h_errno;
  res_nclose(&st);
  none = false;
  if (len >= 0) return true;
  // HOST_NOT_FOUND (NXDOMAIN) and NO_DATA are answers; the rest (TRY_AGAIN, NO_RECOVERY) are not.
  if (herr == HOST_NOT_FOUND || herr == NO_DATA) {
    none = true;
    return true;
  }
  return false;
}

template <class Record, class Parse>
bool SystemBackend::records(const std::string& name, int type, std::vector<Record>& out, std::uint32_t& ttl,
                            Parse parse) {
  std::vector<unsigned char> msg;
  int len = 0;
  bool none = false;
  if (!query(name, type, msg, len, none)) return false;
  if (none) {
    ttl = std::min(ttl, kNegativeTtl);
    return true;
  }
  return parse(msg.data(), len, out, ttl);
}

bool SystemBackend::naptr(const std::string& name, std::vector<Naptr>& out, std::uint32_t& ttl) {
  return records(name, ns_t_naptr, out, ttl, parse_naptr);
}

bool SystemBackend::srv(const std::string& name, std::vector<Srv>& out, std::uint32_t& ttl) {
  return records(name, ns_t_srv, out, ttl, parse_srv);
}

bool SystemBackend::addresses(const std::string& name, std::vector<sockaddr_storage>& out,
                              std::uint32_t& ttl) {
  if (o_.servers.empty()) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_ADDRCONFIG;
    addrinfo* res = nullptr;
    const int rc = ::getaddrinfo(name.c_str(), nullptr, &hints, &res);
    if (rc == EAI_NONAME || rc == EAI_NODATA) return true;
    if (rc != 0) return false;
    for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
      if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
      sockaddr_storage a{};
      std::memcpy(&a, ai->ai_addr, ai->ai_addrlen);
      const bool seen = std::any_of(
          out.begin(), out.end(), [&](const sockaddr_storage& x) { return transport::sockaddr_equal(x, a); });
      if (!seen) out.push_back(a);
    }
    ::freeaddrinfo(res);
    // getaddrinfo gives no TTL: a minute, so a changed address is followed soon enough.
    ttl = std::min<std::uint32_t>(ttl, 60);
    return true;
  }
  for (const int type : {ns_t_a, ns_t_aaaa}) {
    std::vector<unsigned char> msg;
    int len = 0;
    bool none = false;
    if (!query(name, type, msg, len, none)) return false;
    if (!none && !parse_addresses(msg.data(), len, out, ttl)) return false;
  }
  return true;
}

}  // namespace duet::dns
