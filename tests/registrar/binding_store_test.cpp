// The store's index (open addressing with backward-shift deletion) against a std::map model, the
// per-AOR ordering, interned-string reference counts and the change-event hook.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "binding_data.hpp"
#include "duet/registrar/binding_store.hpp"

namespace duet::registrar {
namespace {

using test::binding_data;

// The views must outlive the key: pass literals or strings that stay alive.
AorKey key_of(std::string_view user, std::string_view domain) {
  AorKey k;
  k.user = user;
  k.domain = domain;
  k.hash = aor_hash(k.user, k.domain);
  return k;
}

TEST(BindingStore, IndexMatchesModelUnderRandomInsertAndRemove) {
  BindingStore s(0, 0, "site");
  std::mt19937 rng(1);
  std::vector<std::string> users;
  for (int i = 0; i < 3000; ++i) users.push_back("u" + std::to_string(i));
  const std::string domain = "example.com";
  std::map<std::string, Binding*> model;
  for (int step = 0; step < 40000; ++step) {
    const std::string& u = users[rng() % users.size()];
    const AorKey k = key_of(u, domain);
    auto it = model.find(u);
    if (it == model.end()) {
      Binding* b = s.add(k, binding_data(u, "sip:" + u + "@h", 1'000'000'000));
      ASSERT_NE(b, nullptr);
      model[u] = b;
    } else {
      ASSERT_EQ(s.find(k), it->second) << u;
      s.remove(it->second, k);
      model.erase(it);
    }
    if (step % 5000 == 0) {
      for (const auto& u2 : users) {
        const Binding* b = s.find(key_of(u2, domain));
        auto m = model.find(u2);
        ASSERT_EQ(b, m == model.end() ? nullptr : m->second) << u2;
      }
    }
  }
  EXPECT_EQ(s.aor_count(), model.size());
  EXPECT_EQ(s.binding_count(), model.size());
}

TEST(BindingStore, ChainIsOrderedByQThenRecency) {
  BindingStore s(0, 0, "site");
  const AorKey k = key_of("alice", "example.com");
  s.add(k, binding_data("alice", "sip:a", 10'000, 500));
  s.add(k, binding_data("alice", "sip:b", 10'000, 900));
  s.add(k, binding_data("alice", "sip:c", 10'000, 500));
  std::vector<std::string> order;
  for (const Binding* b = s.find(k); b; b = b->next_in_aor) order.emplace_back(b->contact());
  EXPECT_EQ(order, (std::vector<std::string>{"sip:b", "sip:c", "sip:a"}));
  EXPECT_EQ(s.aor_count(), 1u);
  EXPECT_EQ(s.binding_count(), 3u);
}

TEST(BindingStore, RefreshWithSameStringsKeepsTheRecord) {
  BindingStore s(0, 0, "site");
  const AorKey k = key_of("alice", "example.com");
  Binding* b = s.add(k, binding_data("alice", "sip:alice@10.0.0.1", 10'000));
  Binding* again = s.update(b, k, binding_data("alice", "sip:alice@10.0.0.1", 20'000));
  EXPECT_EQ(again, b);  // no reallocation on refresh
  EXPECT_EQ(again->expires_at_ms(), 20'000u);
  Binding* grown =
      s.update(again, k, binding_data("alice", "sip:alice@a-much-longer-host-name.example.com", 20'000));
  ASSERT_NE(grown, nullptr);
  EXPECT_EQ(grown->contact(), "sip:alice@a-much-longer-host-name.example.com");
  EXPECT_EQ(s.find(k), grown);
  EXPECT_EQ(s.binding_count(), 1u);
  EXPECT_EQ(s.expire(20'000), 1u);
  EXPECT_EQ(s.binding_count(), 0u);
  EXPECT_EQ(s.find(k), nullptr);
}

TEST(BindingStore, InternedStringsAreSharedAndReleased) {
  BindingStore s(0, 0, "site");
  const AorKey a = key_of("a", "example.com");
  const AorKey b = key_of("b", "example.com");
  s.add(a, binding_data("a", "sip:a", 5000, 1000, "Phone/2"));
  s.add(b, binding_data("b", "sip:b", 6000, 1000, "Phone/2"));
  const std::uint32_t ua = s.strings().find("Phone/2");
  ASSERT_NE(ua, Interner::kAbsent);
  EXPECT_EQ(s.strings().refs(ua), 2u);
  s.expire(5000);
  EXPECT_EQ(s.strings().refs(ua), 1u);
  s.expire(6000);
  EXPECT_EQ(s.strings().find("Phone/2"), Interner::kAbsent);
  EXPECT_EQ(s.strings().find("example.com"), Interner::kAbsent);
  EXPECT_EQ(s.strings().live(), 1u);  // only the site name, held by the store itself
}

struct Recorder : ChangeSink {
  std::vector<std::pair<ChangeKind, std::string>> events;
  void on_binding_change(const BindingStore&, ChangeKind kind, const Binding& b) noexcept override {
    events.emplace_back(kind, std::string(b.contact()));
  }
};

TEST(BindingStore, ChangeSinkSeesEveryChange) {
  BindingStore s(0, 0, "site");
  Recorder rec;
  s.add_change_sink(&rec);
  const AorKey k = key_of("alice", "example.com");
  Binding* b = s.add(k, binding_data("alice", "sip:x", 1000));
  b = s.update(b, k, binding_data("alice", "sip:x", 2000));
  b = s.update(b, k, binding_data("alice", "sip:y", 3000));
  Binding* c = s.add(k, binding_data("alice", "sip:z", 9000));
  s.remove(c, k);
  s.expire(3000);
  using K = ChangeKind;
  const std::vector<std::pair<K, std::string>> want = {{K::added, "sip:x"},   {K::refreshed, "sip:x"},
                                                       {K::updated, "sip:y"}, {K::added, "sip:z"},
                                                       {K::removed, "sip:z"}, {K::expired, "sip:y"}};
  EXPECT_EQ(rec.events, want);
}

TEST(BindingStore, DestructorFreesEverything) {
  // Run under ASan (label unit) this would report a leak if a binding were not freed.
  BindingStore s(0, 0, "site");
  for (int i = 0; i < 500; ++i) {
    const std::string u = "u" + std::to_string(i);
    s.add(key_of(u, "d"), binding_data(u, "sip:c" + std::to_string(i), 100'000 + i));
  }
  EXPECT_EQ(s.binding_count(), 500u);
}

}  // namespace
}  // namespace duet::registrar
