// Header name lookup: long and compact forms, any case (RFC 3261 §7.3.1, §7.3.3).
#include <gtest/gtest.h>

#include <string>

#include "duet/sip/header_id.hpp"

namespace duet::sip {
namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

TEST(HeaderId, CanonicalNamesRoundTripInAnyCase) {
  for (std::size_t i = 1; i < kHeaderIdCount; ++i) {
    const auto id = static_cast<HeaderId>(i);
    const std::string_view name = header_canonical_name(id);
    ASSERT_FALSE(name.empty()) << i;
    EXPECT_EQ(header_id_from_name(name), id) << name;
    EXPECT_EQ(header_id_from_name(upper(name)), id) << name;
    EXPECT_EQ(header_id_from_name(lower(name)), id) << name;
  }
  EXPECT_EQ(header_canonical_name(HeaderId::other), "");
}

TEST(HeaderId, WellKnownCanonicalSpellings) {
  EXPECT_EQ(header_canonical_name(HeaderId::call_id), "Call-ID");
  EXPECT_EQ(header_canonical_name(HeaderId::cseq), "CSeq");
  EXPECT_EQ(header_canonical_name(HeaderId::via), "Via");
  EXPECT_EQ(header_canonical_name(HeaderId::max_forwards), "Max-Forwards");
  EXPECT_EQ(header_canonical_name(HeaderId::content_length), "Content-Length");
  EXPECT_EQ(header_canonical_name(HeaderId::www_authenticate), "WWW-Authenticate");
  EXPECT_EQ(header_canonical_name(HeaderId::record_route), "Record-Route");
  EXPECT_EQ(header_canonical_name(HeaderId::p_asserted_identity), "P-Asserted-Identity");
}

TEST(HeaderId, CompactForms) {
  const std::pair<const char*, HeaderId> cases[] = {
      {"v", HeaderId::via},
      {"f", HeaderId::from},
      {"t", HeaderId::to},
      {"i", HeaderId::call_id},
      {"m", HeaderId::contact},
      {"l", HeaderId::content_length},
      {"c", HeaderId::content_type},
      {"e", HeaderId::content_encoding},
      {"k", HeaderId::supported},
      {"s", HeaderId::subject},
      {"o", HeaderId::event},
      {"u", HeaderId::allow_events},
      {"r", HeaderId::refer_to},
      {"x", HeaderId::session_expires},
      {"y", HeaderId::identity},
      {"b", HeaderId::referred_by},
      {"j", HeaderId::reject_contact},
      {"a", HeaderId::accept_contact},
      {"d", HeaderId::request_disposition},
  };
  for (const auto& [name, id] : cases) {
    EXPECT_EQ(header_id_from_name(name), id) << name;
    EXPECT_EQ(header_id_from_name(upper(name)), id) << name;
  }
}

TEST(HeaderId, UnknownNames) {
  for (const char* name : {"", "q", "z", "X-Via", "Via2", "Vi", "Call-I", "Call-IDs", "CSeqq",
                           "Content-Lengt", "Content-Length ", " Via", "P-Charging-Vector"}) {
    EXPECT_EQ(header_id_from_name(name), HeaderId::other) << '"' << name << '"';
  }
}

}  // namespace
}  // namespace duet::sip
