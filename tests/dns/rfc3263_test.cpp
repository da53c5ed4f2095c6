// RFC 3263 §4 over a fake Backend: which lookups are made for a URI, and the hops in their order.
#include "duet/dns/rfc3263.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "duet/transport/address.hpp"

namespace duet::dns {
namespace {

using transport::Proto;

struct FakeBackend : Backend {
  std::map<std::string, std::vector<Naptr>> naptrs;
  std::map<std::string, std::vector<Srv>> srvs;
  std::map<std::string, std::vector<std::string>> addrs;
  std::vector<std::string> asked;  // "NAPTR name", "SRV name", "A name" in order
  bool fail = false;
  std::uint32_t record_ttl = 300;

  bool naptr(const std::string& n, std::vector<Naptr>& out, std::uint32_t& ttl) override {
    asked.push_back("NAPTR " + n);
    if (fail) return false;
    if (auto it = naptrs.find(n); it != naptrs.end()) {
      out = it->second;
      ttl = std::min(ttl, record_ttl);
    }
    return true;
  }
  bool srv(const std::string& n, std::vector<Srv>& out, std::uint32_t& ttl) override {
    asked.push_back("SRV " + n);
    if (fail) return false;
    if (auto it = srvs.find(n); it != srvs.end()) {
      out = it->second;
      ttl = std::min(ttl, record_ttl);
    }
    return true;
  }
  bool addresses(const std::string& n, std::vector<sockaddr_storage>& out, std::uint32_t& ttl) override {
    asked.push_back("A " + n);
    if (fail) return false;
    if (auto it = addrs.find(n); it != addrs.end()) {
      for (const auto& ip : it->second) {
        sockaddr_storage a{};
        transport::make_sockaddr(ip, 0, a);
        out.push_back(a);
      }
      ttl = std::min(ttl, record_ttl);
    }
    return true;
  }
};

Query query(const std::string& host, std::uint16_t port = 0, const std::string& transport = "",
            bool sips = false) {
  Query q;
  q.host = host;
  q.port = port;
  q.transport = transport;
  q.sips = sips;
  return q;
}

// "udp 10.0.0.1:5060" per hop.
std::vector<std::string> hops(const Answer& a) {
  std::vector<std::string> out;
  for (const auto& h : a.hops) {
    out.push_back(std::string(transport::proto_name(h.proto)) + " " + transport::sockaddr_to_string(h.addr));
  }
  return out;
}

using Strings = std::vector<std::string>;

struct Locate : ::testing::Test {
  FakeBackend b;
  std::minstd_rand rng{1};
  Answer run(const Query& q) { return locate(q, b, rng); }
};

TEST_F(Locate, NumericHostNeedsNoLookup) {
  EXPECT_EQ(hops(run(query("10.0.0.1"))), Strings{"udp 10.0.0.1:5060"});
  EXPECT_EQ(hops(run(query("10.0.0.1", 0, "", true))), Strings{"tls 10.0.0.1:5061"});
  EXPECT_EQ(hops(run(query("::1", 5070, "tcp"))), Strings{"tcp [::1]:5070"});
  EXPECT_TRUE(b.asked.empty());
}

TEST_F(Locate, PortMeansAddressesOnly) {
  b.addrs["pbx.example.com"] = {"10.0.0.1", "2001:db8::1"};
  b.srvs["_sip._udp.pbx.example.com"] = {{0, 0, 7000, "other.example.com"}};
  EXPECT_EQ(hops(run(query("pbx.example.com", 5080))),
            (Strings{"udp 10.0.0.1:5080", "udp [2001:db8::1]:5080"}));
  EXPECT_EQ(b.asked, Strings{"A pbx.example.com"});  // §4.2: no SRV when the URI has a port
  b.asked.clear();
  EXPECT_EQ(hops(run(query("pbx.example.com", 5080, "tcp"))),
            (Strings{"tcp 10.0.0.1:5080", "tcp [2001:db8::1]:5080"}));
}

TEST_F(Locate, TransportParameterMeansItsSrv) {
  b.srvs["_sip._tcp.example.com"] = {{20, 0, 5070, "b.example.com"}, {10, 0, 5060, "a.example.com"}};
  b.addrs["a.example.com"] = {"10.0.0.1"};
  b.addrs["b.example.com"] = {"10.0.0.2"};
  EXPECT_EQ(hops(run(query("example.com", 0, "tcp"))), (Strings{"tcp 10.0.0.1:5060", "tcp 10.0.0.2:5070"}));
  EXPECT_EQ(b.asked,
            (Strings{"SRV _sip._tcp.example.com", "A a.example.com", "A b.example.com"}));  // no NAPTR
}

TEST_F(Locate, NaptrChoosesTheTransportInOrder) {
  b.naptrs["example.com"] = {{20, 10, "s", "SIP+D2U", "", "_sip._udp.example.com"},
                             {10, 20, "s", "SIP+D2T", "", "_sip._tcp.example.com"},
                             {10, 10, "s", "SIP+D2W", "", "_sip._ws.example.com"},  // not ours: skipped
                             {5, 10, "u", "SIP+D2T", "!^.*$!sip:x@y!", ""}};        // not an "s" record
  b.srvs["_sip._tcp.example.com"] = {{0, 0, 5060, "tcp.example.com"}};
  b.srvs["_sip._udp.example.com"] = {{0, 0, 5060, "udp.example.com"}};
  b.addrs["tcp.example.com"] = {"10.0.0.3"};
  b.addrs["udp.example.com"] = {"10.0.0.4"};
  EXPECT_EQ(hops(run(query("example.com"))), Strings{"tcp 10.0.0.3:5060"});
  EXPECT_EQ(b.asked, (Strings{"NAPTR example.com", "SRV _sip._tcp.example.com", "A tcp.example.com"}));
}

// §4.1: NAPTR records and SRV lookups of transports the caller has no listener for are skipped, so
// a site without TLS follows the domain's TCP record even when TLS is preferred.
TEST_F(Locate, TransportsWeCannotUseAreSkipped) {
  b.naptrs["example.com"] = {{10, 10, "s", "SIPS+D2T", "", "_sips._tcp.example.com"},
                             {20, 10, "s", "SIP+D2T", "", "_sip._tcp.example.com"}};
  b.srvs["_sips._tcp.example.com"] = {{0, 0, 5061, "tls.example.com"}};
  b.srvs["_sip._tcp.example.com"] = {{0, 0, 5060, "tcp.example.com"}};
  b.addrs["tls.example.com"] = {"10.0.0.5"};
  b.addrs["tcp.example.com"] = {"10.0.0.3"};
  Query q = query("example.com");
  q.usable = transport_bit(Proto::udp) | transport_bit(Proto::tcp);
  EXPECT_EQ(hops(run(q)), Strings{"tcp 10.0.0.3:5060"});
  EXPECT_EQ(b.asked, (Strings{"NAPTR example.com", "SRV _sip._tcp.example.com", "A tcp.example.com"}));
  b.naptrs.clear();
  b.asked.clear();
  q.usable = transport_bit(Proto::tcp);  // no NAPTR: only TCP's SRV is asked
  EXPECT_EQ(hops(run(q)), Strings{"tcp 10.0.0.3:5060"});
  EXPECT_EQ(b.asked, (Strings{"NAPTR example.com", "SRV _sip._tcp.example.com", "A tcp.example.com"}));
  q.transport = "tls";  // a transport the URI asks for and we cannot use: nothing
  EXPECT_TRUE(run(q).hops.empty());
  // No transport named, no SRV, no UDP listener: the host's address over TCP.
  b.srvs.clear();
  b.addrs["example.com"] = {"10.0.0.8"};
  q.transport.clear();
  EXPECT_EQ(hops(run(q)), Strings{"tcp 10.0.0.8:5060"});
  q.port = 5080;
  EXPECT_EQ(hops(run(q)), Strings{"tcp 10.0.0.8:5080"});
}

TEST_F(Locate, SipsUsesOnlySipsD2t) {
  b.naptrs["example.com"] = {{10, 10, "s", "SIP+D2U", "", "_sip._udp.example.com"},
                             {20, 10, "S", "SIPS+D2T", "", "_sips._tcp.example.com"}};
  b.srvs["_sips._tcp.example.com"] = {{0, 0, 5061, "tls.example.com"}};
  b.srvs["_sip._udp.example.com"] = {{0, 0, 5060, "udp.example.com"}};
  b.addrs["tls.example.com"] = {"10.0.0.5"};
  b.addrs["udp.example.com"] = {"10.0.0.6"};
  EXPECT_EQ(hops(run(query("example.com", 0, "", true))), Strings{"tls 10.0.0.5:5061"});
}

TEST_F(Locate, WithoutNaptrSrvIsTriedPerTransportUdpFirst) {
  b.srvs["_sip._tcp.example.com"] = {{0, 0, 5060, "tcp.example.com"}};
  b.addrs["tcp.example.com"] = {"10.0.0.7"};
  EXPECT_EQ(hops(run(query("example.com"))), Strings{"tcp 10.0.0.7:5060"});
  EXPECT_EQ(b.asked, (Strings{"NAPTR example.com", "SRV _sip._udp.example.com", "SRV _sip._tcp.example.com",
                              "A tcp.example.com"}));
}

TEST_F(Locate, WithoutSrvTheHostsAddressesAtTheDefaultPort) {
  b.addrs["example.com"] = {"10.0.0.8"};
  EXPECT_EQ(hops(run(query("example.com"))), Strings{"udp 10.0.0.8:5060"});
  EXPECT_EQ(hops(run(query("example.com", 0, "", true))), Strings{"tls 10.0.0.8:5061"});
  EXPECT_EQ(hops(run(query("example.com", 0, "tls"))), Strings{"tls 10.0.0.8:5061"});
}

TEST_F(Locate, SrvTargetDotMeansNotAvailable) {
  b.srvs["_sip._udp.example.com"] = {{0, 0, 0, "."}};
  b.addrs["example.com"] = {"10.0.0.9"};
  const Answer a = run(query("example.com", 0, "udp"));
  EXPECT_TRUE(a.hops.empty());  // the SRV exists and says no: the A record is not a fallback
  EXPECT_FALSE(a.temporary);
  EXPECT_EQ(a.ttl, kNegativeTtl);
}

// Without NAPTR, an SRV whose only target is "." says the service is not there: no A fallback.
TEST_F(Locate, DeclinedServiceHasNoAddressFallback) {
  b.srvs["_sip._udp.example.com"] = {{0, 0, 0, "."}};
  b.addrs["example.com"] = {"10.0.0.9"};
  Query q = query("example.com");
  q.usable = transport_bit(Proto::udp);
  EXPECT_TRUE(run(q).hops.empty());
}

// Part of the answer could not be looked up: what was found is used, but not kept for long.
TEST_F(Locate, PartialAnswerIsKeptOnlyBriefly) {
  struct HalfFailing : FakeBackend {
    bool addresses(const std::string& n, std::vector<sockaddr_storage>& out, std::uint32_t& ttl) override {
      if (n == "a.example.com") return false;
      return FakeBackend::addresses(n, out, ttl);
    }
  } h;
  h.srvs["_sip._udp.example.com"] = {{10, 0, 5060, "a.example.com"}, {20, 0, 5060, "b.example.com"}};
  h.addrs["b.example.com"] = {"10.0.0.2"};
  const Answer a = locate(query("example.com", 0, "udp"), h, rng);
  EXPECT_EQ(hops(a), Strings{"udp 10.0.0.2:5060"});
  EXPECT_EQ(a.ttl, kTemporaryTtl);
}

TEST_F(Locate, UnknownNameIsUnresolvedNotTemporary) {
  const Answer a = run(query("nowhere.example"));
  EXPECT_TRUE(a.hops.empty());
  EXPECT_FALSE(a.temporary);
  EXPECT_EQ(a.ttl, kNegativeTtl);
}

TEST_F(Locate, LookupFailureIsTemporary) {
  b.fail = true;
  const Answer a = run(query("example.com"));
  EXPECT_TRUE(a.hops.empty());
  EXPECT_TRUE(a.temporary);
  EXPECT_EQ(a.ttl, kTemporaryTtl);
}

TEST_F(Locate, AnswerKeptForTheSmallestTtl) {
  b.record_ttl = 42;
  b.addrs["example.com"] = {"10.0.0.8"};
  EXPECT_EQ(run(query("example.com", 5060)).ttl, 42u);
}

TEST_F(Locate, TransportWeDoNotSpeakIsUnresolved) {
  b.addrs["example.com"] = {"10.0.0.8"};
  EXPECT_TRUE(run(query("example.com", 0, "sctp")).hops.empty());
  EXPECT_TRUE(run(query("example.com", 0, "udp", true)).hops.empty());  // sips over UDP does not exist
  EXPECT_TRUE(b.asked.empty());
}

// RFC 2782: within a priority, a server of weight 90 comes first about 90 times in 100 against one
// of weight 10; weight 0 only rarely first.
TEST_F(Locate, WeightsShareTheFirstPlace) {
  b.srvs["_sip._udp.example.com"] = {{1, 10, 5060, "light.example.com"},
                                     {1, 90, 5060, "heavy.example.com"},
                                     {1, 0, 5060, "zero.example.com"},
                                     {0, 0, 5060, "first.example.com"}};
  b.addrs["light.example.com"] = {"10.0.0.1"};
  b.addrs["heavy.example.com"] = {"10.0.0.2"};
  b.addrs["zero.example.com"] = {"10.0.0.3"};
  b.addrs["first.example.com"] = {"10.0.0.4"};
  std::map<std::string, int> second;
  for (int i = 0; i < 1000; ++i) {
    const auto h = hops(run(query("example.com", 0, "udp")));
    ASSERT_EQ(h.size(), 4u);
    EXPECT_EQ(h[0], "udp 10.0.0.4:5060");  // priority 0 always first
    ++second[h[1]];
  }
  EXPECT_GT(second["udp 10.0.0.2:5060"], 800);
  EXPECT_GT(second["udp 10.0.0.1:5060"], 40);
  EXPECT_LT(second["udp 10.0.0.3:5060"], 30);
}

}  // namespace
}  // namespace duet::dns
