// Mutated REGISTERs (deterministic seed): whatever the parser accepts, the registrar answers with
// a response that parses, and the store stays consistent. Run under ASan/UBSan with label unit.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "registrar_harness.hpp"

namespace duet::registrar::test {
namespace {

std::vector<std::string> templates() {
  RegisterText a = alice("<sip:alice@192.0.2.1:5060;transport=udp>;q=0.7;expires=600");
  RegisterText b;
  b.contacts = {"<sip:bob@192.0.2.2;ob>;+sip.instance=\"<urn:uuid:1234>\";reg-id=1"};
  b.extra = {"Supported: path, outbound", "Path: <sip:edge.example.com;lr;ob>"};
  RegisterText c;
  c.contacts = {"*"};
  c.expires = "0";
  RegisterText d;
  d.contacts = {"\"Al\" <sip:%61l@[2001:db8::1]:5062>;expires=60, sip:alice@h2;q=0.1"};
  d.extra = {"Require: path"};
  return {a.build(), b.build(), c.build(), d.build(), RegisterText{}.build()};
}

std::string mutate(std::string s, std::mt19937& rng) {
  static const char kAlphabet[] = "<>;=,*\"@:%0123456789aZ. \t\r\n";
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits && !s.empty(); ++e) {
    const std::size_t pos = rng() % s.size();
    switch (rng() % 4) {
      case 0:
        s[pos] = kAlphabet[rng() % (sizeof kAlphabet - 1)];
        break;
      case 1:
        s.insert(pos, 1, kAlphabet[rng() % (sizeof kAlphabet - 1)]);
        break;
      case 2:
        s.erase(pos, 1 + rng() % 3);
        break;
      case 3:
        s.insert(pos, s.substr(rng() % s.size(), rng() % 16));
        break;
    }
  }
  return s;
}

TEST(RegisterRobustness, MutatedRequestsAlwaysGetAWellFormedAnswer) {
  Options o;
  o.max_contacts_per_aor = 4;
  Policy policy(o);
  Registrar reg(policy, 0, 0);
  std::mt19937 rng(20261125);
  const auto base = templates();
  const std::set<int> allowed = {200, 400, 403, 404, 416, 420, 423, 439, 500, 503};
  int parsed = 0;
  std::uint64_t now = 0;
  for (int i = 0; i < 30000; ++i) {
    const std::string text = mutate(base[rng() % base.size()], rng);
    sip::Message m;
    if (sip::parse(text, m).status != sip::ParseStatus::ok || m.method_id() != sip::Method::register_)
      continue;
    ++parsed;
    RequestContext ctx;
    ctx.now_ms = now += 250;
    char out[8192];
    const std::string resp(reg.handle(m, ctx, out, sizeof out));
    ASSERT_FALSE(resp.empty()) << text;
    sip::Message r;
    ASSERT_EQ(sip::parse(resp, r).status, sip::ParseStatus::ok) << text << "\n---\n" << resp;
    ASSERT_TRUE(r.is_response());
    EXPECT_TRUE(allowed.count(r.status_code())) << r.status_code() << "\n" << text;
  }
  EXPECT_GT(parsed, 3000);
  // Every binding the store counts is reachable from the index, and the chains have no cycles.
  std::size_t seen = 0, aors = 0;
  reg.store().for_each_aor([&](const Binding& head) {
    ++aors;
    std::size_t n = 0;
    for (const Binding* b = &head; b && n <= reg.store().binding_count(); b = b->next_in_aor) ++n;
    seen += n;
  });
  EXPECT_EQ(aors, reg.store().aor_count());
  EXPECT_EQ(seen, reg.store().binding_count());
  reg.expire(now + 86'400'000ull * 2);
  EXPECT_EQ(reg.store().binding_count(), 0u);
  EXPECT_EQ(reg.store().aor_count(), 0u);
}

}  // namespace
}  // namespace duet::registrar::test
