// The change-event hook seen through REGISTER traffic: what a replication layer would receive.
#include <gtest/gtest.h>

#include "registrar_harness.hpp"

namespace duet::registrar::test {
namespace {

struct Recorder : ChangeSink {
  std::vector<ChangeKind> kinds;
  std::vector<std::string> sites;
  void on_binding_change(const BindingStore& store, ChangeKind kind, const Binding& b) noexcept override {
    kinds.push_back(kind);
    sites.emplace_back(store.site(b));
  }
};

TEST(RegisterChangeEvents, EveryAppliedChangeIsReportedAndNothingElse) {
  Options o;
  o.site_name = "lyon";
  Harness h(o);
  Recorder rec;
  h.store().add_change_sink(&rec);
  using K = ChangeKind;
  ASSERT_EQ(h.send(alice("<sip:alice@192.0.2.1>;expires=60", 1))->status(), 200);
  ASSERT_EQ(h.send(alice("<sip:alice@192.0.2.1>;expires=60", 2))->status(), 200);  // refresh
  ASSERT_EQ(h.send(alice("<sip:alice@192.0.2.1>;expires=0", 2))->status(), 200);   // stale: ignored
  h.flow.port = 40001;  // NAT rebinding: same contact, new source port
  ASSERT_EQ(h.send(alice("<sip:alice@192.0.2.1>;expires=60", 3))->status(), 200);
  ASSERT_EQ(h.send(alice("<sip:alice@192.0.2.2>;expires=60", 4))->status(), 200);
  ASSERT_EQ(h.send(alice("<sip:alice@192.0.2.2>;expires=30", 5))->status(), 423);  // rejected: nothing
  ASSERT_EQ(h.send(alice("<sip:alice@192.0.2.2>;expires=0", 6))->status(), 200);
  h.advance_s(60);
  const std::vector<K> want = {K::added, K::refreshed, K::updated, K::added, K::removed, K::expired};
  EXPECT_EQ(rec.kinds, want);
  for (const auto& s : rec.sites) EXPECT_EQ(s, "lyon");
}

}  // namespace
}  // namespace duet::registrar::test
