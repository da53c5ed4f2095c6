// The Backend over the system's resolver: NAPTR and SRV by res_nquery (a resolver state of its
// own per call, so any thread may use it), addresses by getaddrinfo (so /etc/hosts and nsswitch
// apply) or, when name servers are configured, by A and AAAA queries to them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "duet/dns/rfc3263.hpp"

namespace duet::dns {

struct BackendOptions {
  // "ip" or "ip:port" ("[v6]:port"): ask these instead of /etc/resolv.conf's (IPv4 only: the
  // resolver's own list takes IPv4 addresses). Empty: the system's.
  std::vector<std::string> servers;
  int timeout_s = 2;  // per try (resolv.conf's default is 5)
  int attempts = 2;
};

class SystemBackend final : public Backend {
 public:
  explicit SystemBackend(BackendOptions o) : o_(std::move(o)) {}
  bool naptr(const std::string& name, std::vector<Naptr>& out, std::uint32_t& ttl) override;
  bool srv(const std::string& name, std::vector<Srv>& out, std::uint32_t& ttl) override;
  bool addresses(const std::string& name, std::vector<sockaddr_storage>& out, std::uint32_t& ttl) override;

 private:
  // One query's answer section, raw: false on a temporary failure; true with rcode NXDOMAIN or no
  // answer as an empty result.
  bool query(const std::string& name, int type, std::vector<unsigned char>& msg, int& len, bool& none);
  // One query, its records parsed by parse; none found: an empty answer with the negative TTL.
  template <class Record, class Parse>
  bool records(const std::string& name, int type, std::vector<Record>& out, std::uint32_t& ttl, Parse parse);
  BackendOptions o_;
};

// Parses the answer records of type `type` in a DNS response (for tests and the backend): SRV
// and NAPTR records, or A/AAAA as addresses. ttl is lowered to their smallest TTL. False if the
// message is malformed.
bool parse_srv(const unsigned char* msg, int len, std::vector<Srv>& out, std::uint32_t& ttl);
bool parse_naptr(const unsigned char* msg, int len, std::vector<Naptr>& out, std::uint32_t& ttl);
bool parse_addresses(const unsigned char* msg, int len, std::vector<sockaddr_storage>& out,
                     std::uint32_t& ttl);

}  // namespace duet::dns
