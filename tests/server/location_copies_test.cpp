// Copies of other workers' location answers (src/server/location_copies.hpp): a copy is used only
// for its own AOR and until its earliest binding would expire, and every change to a binding of
// an AOR tells each worker holding a copy to drop it, once.
#include "location_copies.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "../registrar/binding_data.hpp"
#include "duet/registrar/aor_key.hpp"
#include "duet/registrar/binding_store.hpp"

namespace duet::server {
namespace {

using registrar::test::binding_data;

proxy::Location one_contact(const std::string& uri) {
  proxy::Location loc;
  proxy::Contact c;
  c.uri = uri;
  loc.contacts.push_back(c);
  return loc;
}

TEST(LocationCopies, ACopyServesItsOwnAorUntilItLapses) {
  LocationCopies copies;
  copies.keep("bob", "example.com", 7, 5000, one_contact("sip:bob@192.0.2.1"), 1000);
  const proxy::Location* got = copies.find("bob", "example.com", 7, 4999);
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(got->contacts.at(0).uri, "sip:bob@192.0.2.1");
  EXPECT_EQ(copies.find("bob", "example.com", 7, 5000), nullptr);  // its binding's expiry
  EXPECT_EQ(copies.find("bob", "example.org", 7, 2000), nullptr);  // same hash bits, other AOR
  EXPECT_EQ(copies.find("carol", "example.com", 7, 2000), nullptr);
  EXPECT_EQ(copies.find("bob", "example.com", 8, 2000), nullptr);
  copies.drop(7);
  EXPECT_EQ(copies.find("bob", "example.com", 7, 2000), nullptr);
}

TEST(LocationCopies, NothingLapsedIsKeptAndTheSizeIsBounded) {
  LocationCopies copies;
  copies.keep("bob", "example.com", 1, 1000, one_contact("sip:x"), 1000);
  EXPECT_EQ(copies.size(), 0u);
  for (std::uint32_t h = 0; h < LocationCopies::kMaxCopies + 10; ++h) {
    copies.keep("u" + std::to_string(h), "example.com", h, 2000, one_contact("sip:x"), 1000);
    ASSERT_LE(copies.size(), LocationCopies::kMaxCopies);
  }
  // The newest copy is always kept.
  const std::uint32_t last = LocationCopies::kMaxCopies + 9;
  EXPECT_NE(copies.find("u" + std::to_string(last), "example.com", last, 1500), nullptr);
}

struct Drops {
  std::vector<std::pair<std::uint16_t, std::uint32_t>> seen;
  static void record(void* ctx, std::uint16_t holder, std::uint32_t hash) {
    static_cast<Drops*>(ctx)->seen.emplace_back(holder, hash);
  }
};

TEST(CopyHolders, EveryChangeOfAnAorDropsEachHoldersCopyOnce) {
  registrar::BindingStore store(0, 0, "site");
  Drops drops;
  CopyHolders holders(&Drops::record, &drops);
  ASSERT_TRUE(store.add_change_sink(&holders));
  registrar::AorKey bob{"bob", "example.com", registrar::aor_hash("bob", "example.com")};
  registrar::AorKey carol{"carol", "example.com", registrar::aor_hash("carol", "example.com")};
  const auto bob32 = static_cast<std::uint32_t>(bob.hash);

  registrar::Binding* b = store.add(bob, binding_data("bob", "sip:bob@192.0.2.1", 60000));
  store.add(carol, binding_data("carol", "sip:carol@192.0.2.2", 60000));
  EXPECT_TRUE(drops.seen.empty());  // nobody holds a copy yet

  EXPECT_TRUE(holders.add(bob32, 1));
  EXPECT_TRUE(holders.add(bob32, 3));
  EXPECT_FALSE(holders.add(bob32, CopyHolders::kMaxHolders));
  store.add(carol, binding_data("carol", "sip:carol@192.0.2.3", 60000));  // another AOR
  EXPECT_TRUE(drops.seen.empty());

  b = store.update(b, bob, binding_data("bob", "sip:bob@192.0.2.1", 90000));  // a refresh
  ASSERT_NE(b, nullptr);
  const std::vector<std::pair<std::uint16_t, std::uint32_t>> want = {{1, bob32}, {3, bob32}};
  EXPECT_EQ(drops.seen, want);
  EXPECT_EQ(holders.size(), 0u);

  // Dropped once: the next change tells nobody until a worker holds a copy again.
  store.set_out_of_service(b, true);
  EXPECT_EQ(drops.seen.size(), 2u);
  holders.add(bob32, 2);
  store.set_out_of_service(b, false);
  ASSERT_EQ(drops.seen.size(), 3u);
  EXPECT_EQ(drops.seen.back(), (std::pair<std::uint16_t, std::uint32_t>{2, bob32}));
  holders.add(bob32, 0);
  store.remove(b, bob);
  ASSERT_EQ(drops.seen.size(), 4u);
  holders.add(bob32, 5);
  store.add(bob, binding_data("bob", "sip:bob@192.0.2.9", 1000));
  holders.add(bob32, 6);
  store.expire(1000);
  ASSERT_EQ(drops.seen.size(), 6u);
  EXPECT_EQ(drops.seen[4].first, 5);
  EXPECT_EQ(drops.seen[5].first, 6);
  store.remove_change_sink(&holders);
}

TEST(BindingStore, TwoSinksBothSeeEveryChangeAndRemovingOneKeepsTheOther) {
  registrar::BindingStore store(0, 0, "site");
  Drops a, b;
  CopyHolders first(&Drops::record, &a), second(&Drops::record, &b);
  ASSERT_TRUE(store.add_change_sink(&first));
  ASSERT_TRUE(store.add_change_sink(&second));
  registrar::AorKey bob{"bob", "example.com", registrar::aor_hash("bob", "example.com")};
  const auto bob32 = static_cast<std::uint32_t>(bob.hash);
  first.add(bob32, 1);
  second.add(bob32, 2);
  registrar::Binding* x = store.add(bob, binding_data("bob", "sip:bob@192.0.2.1", 60000));
  EXPECT_EQ(a.seen.size(), 1u);
  EXPECT_EQ(b.seen.size(), 1u);
  store.remove_change_sink(&first);
  first.add(bob32, 1);
  second.add(bob32, 2);
  store.remove(x, bob);
  EXPECT_EQ(a.seen.size(), 1u);
  EXPECT_EQ(b.seen.size(), 2u);
}

}  // namespace
}  // namespace duet::server
