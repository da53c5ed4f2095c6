// The system backend: DNS answers parsed (SRV, NAPTR, A/AAAA, with name compression), and real
// queries through the system resolver to a name server on loopback.
#include <gtest/gtest.h>

#include "dns_wire.hpp"
#include "duet/dns/system_backend.hpp"
#include "duet/transport/address.hpp"

namespace duet::dns {
namespace {

namespace w = test::dnswire;

// parse (parse_srv, parse_naptr, parse_addresses) over a whole message; ttl starts at kMaxTtl.
template <class Record, class Parse>
bool parse_all(Parse parse, const w::Bytes& msg, std::vector<Record>& out, std::uint32_t& ttl) {
  ttl = kMaxTtl;
  return parse(msg.data(), static_cast<int>(msg.size()), out, ttl);
}

TEST(DnsWire, SrvRecordsAndTheSmallestTtl) {
  const auto msg =
      w::response(7, "_sip._udp.example.com", w::kSrv,
                  {{"_sip._udp.example.com", w::kSrv, 300, w::srv(10, 60, 5060, "a.example.com")},
                   {"_sip._udp.example.com", w::kSrv, 120, w::srv(20, 0, 5070, "b.example.com")}});
  std::vector<Srv> out;
  std::uint32_t ttl = 0;
  ASSERT_TRUE(parse_all(parse_srv, msg, out, ttl));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].priority, 10);
  EXPECT_EQ(out[0].weight, 60);
  EXPECT_EQ(out[0].port, 5060);
  EXPECT_EQ(out[0].target, "a.example.com");
  EXPECT_EQ(out[1].target, "b.example.com");
  EXPECT_EQ(ttl, 120u);
}

TEST(DnsWire, CompressedTargetIsExpanded) {
  // SRV target "x" + pointer to the question name at offset 12 (RFC 1035 §4.1.4).
  w::Bytes rdata;
  w::put16(rdata, 0);
  w::put16(rdata, 0);
  w::put16(rdata, 5060);
  rdata.insert(rdata.end(), {1, 'x', 0xC0, 12});
  const auto msg = w::response(1, "example.com", w::kSrv, {{"example.com", w::kSrv, 60, rdata}});
  std::vector<Srv> out;
  std::uint32_t ttl = 0;
  ASSERT_TRUE(parse_all(parse_srv, msg, out, ttl));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].target, "x.example.com");
}

TEST(DnsWire, NaptrFields) {
  const auto msg = w::response(
      2, "example.com", w::kNaptr,
      {{"example.com", w::kNaptr, 60, w::naptr(10, 20, "s", "SIPS+D2T", "_sips._tcp.example.com")}});
  std::vector<Naptr> out;
  std::uint32_t ttl = 0;
  ASSERT_TRUE(parse_all(parse_naptr, msg, out, ttl));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].order, 10);
  EXPECT_EQ(out[0].preference, 20);
  EXPECT_EQ(out[0].flags, "s");
  EXPECT_EQ(out[0].service, "SIPS+D2T");
  EXPECT_EQ(out[0].replacement, "_sips._tcp.example.com");
}

TEST(DnsWire, AddressesOfBothFamilies) {
  const auto msg = w::response(3, "h.example.com", w::kA,
                               {{"h.example.com", w::kA, 60, w::a("192.0.2.1")},
                                {"h.example.com", w::kAaaa, 60, w::aaaa("2001:db8::1")}});
  std::vector<sockaddr_storage> out;
  std::uint32_t ttl = 0;
  ASSERT_TRUE(parse_all(parse_addresses, msg, out, ttl));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(transport::sockaddr_to_string(out[0]), "192.0.2.1:0");
  EXPECT_EQ(transport::sockaddr_to_string(out[1]), "[2001:db8::1]:0");
}

TEST(DnsWire, TruncatedRecordIsRefused) {
  auto msg = w::response(4, "example.com", w::kSrv,
                         {{"example.com", w::kSrv, 60, w::srv(1, 1, 1, "t.example.com")}});
  msg.resize(msg.size() - 5);  // the rdata runs past the end
  std::vector<Srv> out;
  std::uint32_t ttl = 0;
  EXPECT_FALSE(parse_all(parse_srv, msg, out, ttl));
}

TEST(SystemBackend, QueriesTheConfiguredServer) {
  w::Server ns;
  ns.add("_sip._tcp.example.test", w::kSrv, w::srv(5, 10, 5099, "pbx.example.test"), 77);
  ns.add("pbx.example.test", w::kA, w::a("127.0.0.9"), 55);
  BackendOptions o;
  o.servers = {ns.address()};
  o.timeout_s = 1;
  o.attempts = 1;
  SystemBackend b(o);
  std::vector<Srv> srvs;
  std::uint32_t ttl = kMaxTtl;
  ASSERT_TRUE(b.srv("_sip._tcp.example.test", srvs, ttl));
  ASSERT_EQ(srvs.size(), 1u);
  EXPECT_EQ(srvs[0].target, "pbx.example.test");
  EXPECT_EQ(ttl, 77u);
  std::vector<sockaddr_storage> addrs;
  ASSERT_TRUE(b.addresses("pbx.example.test", addrs, ttl));
  ASSERT_EQ(addrs.size(), 1u);
  EXPECT_EQ(transport::sockaddr_to_string(addrs[0]), "127.0.0.9:0");
  EXPECT_EQ(ttl, 55u);
  // A name the server does not know: an answer (nothing), not a failure.
  std::vector<Naptr> naptrs;
  EXPECT_TRUE(b.naptr("nothing.example.test", naptrs, ttl));
  EXPECT_TRUE(naptrs.empty());
  // And a name with other records but no NAPTR: nothing either.
  EXPECT_TRUE(b.naptr("pbx.example.test", naptrs, ttl));
  EXPECT_TRUE(naptrs.empty());
  EXPECT_GE(ns.queries.load(), 4);
}

}  // namespace
}  // namespace duet::dns
