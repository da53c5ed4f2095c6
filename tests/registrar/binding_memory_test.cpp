// Memory per binding, all included (record, strings, index slot, interned strings, allocator
// overhead), for a typical phone registered through the real REGISTER path. Printed for the
// report and checked against the target (a third of Kamailio's ~984 bytes). Memory, not time, so
// it is deterministic enough to assert.
#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdio>
#include <string>

#include "duet/registrar/registrar.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define DUET_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DUET_UNDER_ASAN 1
#endif
#endif

namespace duet::registrar {
namespace {

std::string typical_register(int i, bool with_path) {
  char user[16];
  std::snprintf(user, sizeof user, "%07d", 1000000 + i);
  char ip[32];
  std::snprintf(ip, sizeof ip, "10.%d.%d.%d", (i >> 16) & 255, (i >> 8) & 255, i & 255);
  char uuid[40];
  std::snprintf(uuid, sizeof uuid, "00000000-0000-1000-8000-%012X", i);
  std::string s = "REGISTER sip:pbx.example.com SIP/2.0\r\n";
  s += std::string("Via: SIP/2.0/UDP ") + ip + ":5060;branch=z9hG4bK" + std::to_string(i) + ";rport\r\n";
  s += "Max-Forwards: 70\r\n";
  s += std::string("From: <sip:") + user + "@pbx.example.com>;tag=" + std::to_string(i * 7) + "\r\n";
  s += std::string("To: <sip:") + user + "@pbx.example.com>\r\n";
  s += std::string("Call-ID: 0a7c3d4e-5f6a-4b8c-9d0e-") + (uuid + 24) + "@" + ip + "\r\n";
  s += "CSeq: 1 REGISTER\r\n";
  s += std::string("Contact: <sip:") + user + "@" + ip +
       ":5060;transport=udp>;+sip.instance=\"<urn:uuid:" + uuid + ">\";reg-id=1\r\n";
  s += "Supported: path, outbound\r\n";
  if (with_path) s += "Path: <sip:edge1.example.com;lr;ob>\r\n";
  s += "User-Agent: Yealink SIP-T46S 66.86.0.15\r\n";
  s += "Expires: 3600\r\n";
  s += "Content-Length: 0\r\n\r\n";
  return s;
}

[[maybe_unused]] double bytes_per_binding(int n, bool with_path) {
  Options o;
  Policy policy(o);
  const std::size_t before = mallinfo2().uordblks;
  double per = 0;
  {
    Registrar reg(policy, 0, 0);
    RequestContext ctx;
    ctx.flow.family = 4;
    ctx.flow.port = 5060;
    ctx.flow.local = "udp:192.0.2.1:5060";
    char out[4096];
    for (int i = 0; i < n; ++i) {
      const std::string text = typical_register(i, with_path);
      sip::Message m;
      EXPECT_EQ(sip::parse(text, m).status, sip::ParseStatus::ok);
      const std::string_view r = reg.handle(m, ctx, out, sizeof out);
      EXPECT_EQ(r.substr(0, 15), "SIP/2.0 200 OK\r");
    }
    EXPECT_EQ(reg.store().binding_count(), static_cast<std::size_t>(n));
    const std::size_t after = mallinfo2().uordblks;
    per = static_cast<double>(after - before) / n;
    std::printf("[ memory ] %d bindings%s: %.1f bytes/binding (sizeof(Binding)=%zu, index slots=%zu)\n", n,
                with_path ? " with Path" : "", per, sizeof(Binding), reg.store().index_capacity());
  }
  return per;
}

TEST(BindingMemory, TypicalPhoneFitsTheBudget) {
#ifdef DUET_UNDER_ASAN
  GTEST_SKIP() << "allocator statistics are not meaningful under AddressSanitizer";
#else
  const double per = bytes_per_binding(100000, false);
  EXPECT_LE(per, 320.0);
  const double per_path = bytes_per_binding(100000, true);
  EXPECT_LE(per_path, 360.0);
#endif
}

}  // namespace
}  // namespace duet::registrar
