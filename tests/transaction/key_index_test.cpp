// The key index alone (src/transaction/key_index.hpp, private to the library): random inserts and
// erases checked against a reference map, across growth, wrap-around at the array's end, keys whose
// full hashes are equal, and the overflow list used when the array may not grow.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "key_index.hpp"
#include "transaction.hpp"

namespace duet::transaction::test {
namespace {

// A transaction whose key views point into its own strings.
struct Entry {
  std::string branch, from_tag;
  Transaction txn;
};

std::unique_ptr<Entry> client_entry(int n) {
  auto e = std::make_unique<Entry>();
  e->branch = "z9hG4bKdu0.1." + std::to_string(n);
  e->txn.key.rfc3261 = true;
  e->txn.key.branch = e->branch;
  e->txn.key.method = sip::Method::invite;
  e->txn.key.method_text = "INVITE";
  return e;
}

// RFC 3261 server keys hash by branch and method only: the sent-by host, part of the key (and
// compared without case), is not hashed. Entries of one branch from different hosts have equal
// hashes and different keys.
std::unique_ptr<Entry> same_branch_entry(int n) {
  auto e = std::make_unique<Entry>();
  e->branch = "z9hG4bK-shared";
  e->from_tag = "host-" + std::to_string(n) + ".example.com";
  sip::TransactionKey& k = e->txn.key;
  k.rfc3261 = true;
  k.branch = e->branch;
  k.method = sip::Method::invite;
  k.method_text = "INVITE";
  k.sent_by_host = e->from_tag;
  k.sent_by_port = 5060;
  return e;
}

// Random inserts (two in three) and erases, every live entry looked up after each step, and a
// sample of erased ones confirmed gone.
void check_against_reference(KeyIndex& index, std::unique_ptr<Entry> (*make)(int), int entries, int steps,
                             std::size_t live_cap) {
  std::vector<std::unique_ptr<Entry>> all;
  for (int i = 0; i < entries; ++i) all.push_back(make(i));
  std::map<int, bool> live;  // entry number -> indexed
  std::mt19937 rng(12345);
  for (int step = 0; step < steps; ++step) {
    const int n = static_cast<int>(rng() % static_cast<unsigned>(entries));
    const bool indexed = live[n];
    std::size_t count = 0;
    for (const auto& [k, v] : live) count += v ? 1 : 0;
    if (!indexed && count < live_cap && rng() % 3 != 0) {
      index.insert(all[n]->txn);
      live[n] = true;
    } else if (indexed) {
      index.erase(all[n]->txn);
      live[n] = false;
    }
    count = 0;
    for (const auto& [k, v] : live) {
      if (v) {
        ++count;
        ASSERT_EQ(index.find(all[k]->txn.key), &all[k]->txn) << "step " << step << " entry " << k;
      } else {
        ASSERT_EQ(index.find(all[k]->txn.key), nullptr) << "step " << step << " entry " << k;
      }
    }
    ASSERT_EQ(index.size(), count) << "step " << step;
  }
  for (auto& [k, v] : live) {
    if (v) index.erase(all[k]->txn);
  }
  EXPECT_EQ(index.size(), 0u);
  for (const auto& e : all) EXPECT_EQ(index.find(e->txn.key), nullptr);
}

TEST(KeyIndex, FindsWhatIsInAndNothingElseWhileGrowing) {
  KeyIndex index(KeyIndex::Mode::client, 100000);
  check_against_reference(index, client_entry, 3000, 6000, 3000);
  EXPECT_GE(index.slot_count(), 2048u);  // it doubled past its first size
}

TEST(KeyIndex, SmallArrayWrapsAroundAndStaysCorrect) {
  // The cap's array: 16 slots, so probe runs wrap at its end and erasing shifts entries back across it.
  KeyIndex index(KeyIndex::Mode::client, 8);
  check_against_reference(index, client_entry, 40, 4000, 8);
  EXPECT_EQ(index.slot_count(), 16u);
}

TEST(KeyIndex, EqualHashesAreToldApartByTheirKeys) {
  KeyIndex index(KeyIndex::Mode::server, 1000);
  ASSERT_EQ(sip::hash_transaction_key(same_branch_entry(1)->txn.key),
            sip::hash_transaction_key(same_branch_entry(2)->txn.key));
  check_against_reference(index, same_branch_entry, 60, 1500, 60);
}

TEST(KeyIndex, PastTheCapEntriesOverflowAndAreStillFound) {
  // More live entries than the array may hold (only when the table's own cap is not enforced, or when
  // growing fails for lack of memory): the rest go on the overflow list, and nothing is lost.
  KeyIndex index(KeyIndex::Mode::client, 8);
  check_against_reference(index, client_entry, 60, 3000, 60);
  EXPECT_EQ(index.slot_count(), 16u);
}

}  // namespace
}  // namespace duet::transaction::test
