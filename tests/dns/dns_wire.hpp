// DNS messages for tests: responses built by hand (RFC 1035 §4), and a name server on loopback
// that answers from a table, so the resolver is tested over the wire without the network.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace duet::test::dnswire {

using Bytes = std::vector<std::uint8_t>;

inline constexpr std::uint16_t kA = 1, kAaaa = 28, kSrv = 33, kNaptr = 35;

inline void put16(Bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
inline void put32(Bytes& b, std::uint32_t v) {
  put16(b, static_cast<std::uint16_t>(v >> 16));
  put16(b, static_cast<std::uint16_t>(v));
}
// "a.example.com" as labels, uncompressed.
inline Bytes name(const std::string& n) {
  Bytes b;
  std::size_t start = 0;
  while (start < n.size()) {
    std::size_t dot = n.find('.', start);
    if (dot == std::string::npos) dot = n.size();
    b.push_back(static_cast<std::uint8_t>(dot - start));
    b.insert(b.end(), n.begin() + static_cast<std::ptrdiff_t>(start),
             n.begin() + static_cast<std::ptrdiff_t>(dot));
    start = dot + 1;
  }
  b.push_back(0);
  return b;
}

struct Rr {
  std::string owner;
  std::uint16_t type = kA;
  std::uint32_t ttl = 300;
  Bytes rdata;
};

inline Bytes srv(std::uint16_t priority, std::uint16_t weight, std::uint16_t port,
                 const std::string& target) {
  Bytes b;
  put16(b, priority);
  put16(b, weight);
  put16(b, port);
  const Bytes t = name(target);
  b.insert(b.end(), t.begin(), t.end());
  return b;
}
inline Bytes naptr(std::uint16_t order, std::uint16_t pref, const std::string& flags,
                   const std::string& service, const std::string& replacement) {
  Bytes b;
  put16(b, order);
  put16(b, pref);
  for (const std::string* s : {&flags, &service}) {
    b.push_back(static_cast<std::uint8_t>(s->size()));
    b.insert(b.end(), s->begin(), s->end());
  }
  b.push_back(0);  // empty regexp
  const Bytes r = name(replacement);
  b.insert(b.end(), r.begin(), r.end());
  return b;
}
inline Bytes a(const char* ip) {
  Bytes b(4);
  ::inet_pton(AF_INET, ip, b.data());
  return b;
}
inline Bytes aaaa(const char* ip) {
  Bytes b(16);
  ::inet_pton(AF_INET6, ip, b.data());
  return b;
}

// A response to (qname, qtype) with the given answers; rcode 3 is NXDOMAIN.
inline Bytes response(std::uint16_t id, const std::string& qname, std::uint16_t qtype,
                      const std::vector<Rr>& answers, int rcode = 0) {
  Bytes b;
  put16(b, id);
  put16(b, static_cast<std::uint16_t>(0x8180 | rcode));  // QR, RD, RA
  put16(b, 1);
  put16(b, static_cast<std::uint16_t>(answers.size()));
  put16(b, 0);
  put16(b, 0);
  const Bytes q = name(qname);
  b.insert(b.end(), q.begin(), q.end());
  put16(b, qtype);
  put16(b, 1);
  for (const auto& rr : answers) {
    const Bytes o = name(rr.owner);
    b.insert(b.end(), o.begin(), o.end());
    put16(b, rr.type);
    put16(b, 1);
    put32(b, rr.ttl);
    put16(b, static_cast<std::uint16_t>(rr.rdata.size()));
    b.insert(b.end(), rr.rdata.begin(), rr.rdata.end());
  }
  return b;
}

// A name server on 127.0.0.1 (ephemeral port) answering from records added before queries come:
// the records of the asked name and type, NOERROR with none when the name has others, NXDOMAIN
// when it has none at all. Counts the queries it answered.
class Server {
 public:
  Server() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~Server() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  void add(const std::string& owner, std::uint16_t type, Bytes rdata, std::uint32_t ttl = 300) {
    std::lock_guard lock(mu_);
    records_[lower(owner)].push_back({owner, type, ttl, std::move(rdata)});
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port); }
  std::uint16_t port = 0;
  std::atomic<int> queries{0};

 private:
  static std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    return s;
  }
  void run() {
    // Bounded: polls every 50 ms until the destructor says stop.
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) != 1) continue;
      std::uint8_t buf[1500];
      sockaddr_storage from{};
      socklen_t flen = sizeof from;
      const ssize_t n = ::recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &flen);
      if (n < 17) continue;
      std::string qname;
      std::size_t i = 12;
      while (i < static_cast<std::size_t>(n) && buf[i] != 0) {
        if (!qname.empty()) qname += '.';
        qname.append(reinterpret_cast<const char*>(buf + i + 1), buf[i]);
        i += 1 + buf[i];
      }
      if (i + 5 > static_cast<std::size_t>(n)) continue;
      const auto qtype = static_cast<std::uint16_t>(buf[i + 1] << 8 | buf[i + 2]);
      const auto id = static_cast<std::uint16_t>(buf[0] << 8 | buf[1]);
      std::vector<Rr> answers;
      int rcode = 3;
      {
        std::lock_guard lock(mu_);
        const auto it = records_.find(lower(qname));
        if (it != records_.end()) {
          rcode = 0;
          for (const auto& rr : it->second) {
            if (rr.type == qtype) answers.push_back(rr);
          }
        }
      }
      const Bytes r = response(id, qname, qtype, answers, rcode);
      ::sendto(fd_, r.data(), r.size(), 0, reinterpret_cast<sockaddr*>(&from), flen);
      ++queries;
    }
  }
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::map<std::string, std::vector<Rr>> records_;
};

}  // namespace duet::test::dnswire
