// DNS answers (src/dns/system_backend.cpp's parsers) on arbitrary bytes, as any name server, or
// anything that can spoof one, could send them. Invariants: no read outside the message (ASan),
// names within the DNS limit, TTLs only ever lowered, and the same answer parsed twice the same.
#include <arpa/nameser.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "duet/dns/system_backend.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace duet::dns;
  if (size > 65535) return 0;
  const int len = static_cast<int>(size);
  std::vector<Srv> srv;
  std::uint32_t ttl = 1000;
  if (parse_srv(data, len, srv, ttl)) {
    FUZZ_CHECK(ttl <= 1000);
    for (const auto& s : srv) FUZZ_CHECK(s.target.size() < NS_MAXDNAME);
    std::vector<Srv> again;
    std::uint32_t ttl2 = 1000;
    FUZZ_CHECK(parse_srv(data, len, again, ttl2) && again.size() == srv.size() && ttl2 == ttl);
  }
  std::vector<Naptr> naptr;
  ttl = 1000;
  if (parse_naptr(data, len, naptr, ttl)) {
    FUZZ_CHECK(ttl <= 1000);
    for (const auto& n : naptr) {
      FUZZ_CHECK(n.replacement.size() < NS_MAXDNAME);
      FUZZ_CHECK(n.flags.size() < 256 && n.service.size() < 256 && n.regexp.size() < 256);
    }
  }
  std::vector<sockaddr_storage> addrs;
  ttl = 1000;
  if (parse_addresses(data, len, addrs, ttl)) {
    FUZZ_CHECK(ttl <= 1000);
    for (const auto& a : addrs) FUZZ_CHECK(a.ss_family == AF_INET || a.ss_family == AF_INET6);
  }
  return 0;
}
