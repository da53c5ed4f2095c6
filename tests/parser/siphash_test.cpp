// SipHash-2-4 against the reference vectors (key 00..0f, message 00 01 .. of each length), and
// SipHash-1-3 against published values of other implementations (Rust's, Ruby's digest-sip_hash).
#include "duet/sip/siphash.hpp"

#include <gtest/gtest.h>

#include <string>

namespace duet::sip {
namespace {

std::array<unsigned char, 16> reference_key() {
  std::array<unsigned char, 16> k{};
  for (int i = 0; i < 16; ++i) k[i] = static_cast<unsigned char>(i);
  return k;
}

std::uint64_t of_length(std::size_t n) {
  unsigned char msg[64] = {};
  for (std::size_t i = 0; i < n; ++i) msg[i] = static_cast<unsigned char>(i);
  return siphash24(reference_key(), msg, n);
}

TEST(SipHash, MatchesTheReferenceVectors) {
  EXPECT_EQ(of_length(0), 0x726fdb47dd0e0e31ULL);   // vectors.h, the empty message
  EXPECT_EQ(of_length(15), 0xa129ca6149be45e5ULL);  // the paper's Appendix A example
}

TEST(SipHash, OneThreeMatchesOtherImplementations) {
  const std::array<unsigned char, 16> zero{};
  EXPECT_EQ(siphash24(zero, "", 0), 0x1e924b9d737700d7ULL);  // the same source's 2-4 value
  EXPECT_EQ(siphash13(zero, "", 0), 0xd1fba762150c532cULL);
  EXPECT_EQ(siphash13(reference_key(), "", 0), 0xabac0158050fc4dcULL);
  EXPECT_EQ(siphash13(zero, "digest-sip_hash", 15), 0xce31007e34130c0aULL);
  const std::string xs(1000, 'x');
  EXPECT_EQ(siphash13(zero, xs.data(), xs.size()), 0x1b47c0cc4dd21f05ULL);
}

TEST(SipHash, EveryByteAndTheKeyMatter) {
  const std::uint64_t base = of_length(20);
  unsigned char msg[20];
  for (int i = 0; i < 20; ++i) msg[i] = static_cast<unsigned char>(i);
  for (int i = 0; i < 20; ++i) {
    msg[i] ^= 1;
    EXPECT_NE(siphash24(reference_key(), msg, 20), base) << "byte " << i;
    msg[i] ^= 1;
  }
  auto k = reference_key();
  k[15] ^= 0x80;
  EXPECT_NE(siphash24(k, msg, 20), base);
  EXPECT_NE(of_length(19), base);  // the length is mixed in
}

TEST(KeyedHasher, IsSipHashOfLengthPrefixedFieldsUnderTheProcessSecret) {
  KeyedHasher h;
  h.add("ab");
  h.add("c");
  const unsigned char expected_input[] = {2, 0, 0, 0, 'a', 'b', 1, 0, 0, 0, 'c'};
  EXPECT_EQ(h.finish(), siphash13(process_hash_secret(), expected_input, sizeof expected_input));
  KeyedHasher moved;  // the boundary between the fields counts
  moved.add("a");
  moved.add("bc");
  EXPECT_NE(moved.finish(), h.finish());
  EXPECT_EQ(keyed_hash("abc"), keyed_hash(std::string("abc")));
  EXPECT_NE(keyed_hash("abc"), keyed_hash("abd"));
  // Not a fixed key: a secret of all zeroes (what a failed random source leaves) is not expected.
  EXPECT_NE(process_hash_secret(), (std::array<unsigned char, 16>{}));
}

}  // namespace
}  // namespace duet::sip
