// Generic ";name=value" parameter lists (via-params, uri-parameters, generic-param; RFC 3261 §25.1).
#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "duet/sip/params.hpp"

namespace duet::sip {
namespace {

struct P {
  std::string name, value;
  bool has_value, quoted;
  bool operator==(const P&) const = default;
  // Readable failure output instead of a byte dump.
  friend std::ostream& operator<<(std::ostream& os, const P& p) {
    return os << p.name << (p.has_value ? "=" : "") << (p.quoted ? "\"" : "") << p.value
              << (p.quoted ? "\"" : "");
  }
};

std::vector<P> all(std::string_view list, char sep = ';', bool* ok = nullptr) {
  ParamIterator it(list, sep);
  std::vector<P> out;
  Param p;
  for (int guard = 0; guard < 100 && it.next(p); ++guard) {
    out.push_back({std::string(p.name), std::string(p.value), p.has_value, p.quoted});
  }
  if (ok) *ok = it.ok();
  return out;
}

TEST(Params, NamesValuesFlagsAndQuotes) {
  bool ok = false;
  const auto ps = all(";branch=z9hG4bK1;rport;received=192.0.2.1;x=\"quoted;value,with=stuff\"", ';', &ok);
  EXPECT_TRUE(ok);
  const std::vector<P> expected = {{"branch", "z9hG4bK1", true, false},
                                   {"rport", "", false, false},
                                   {"received", "192.0.2.1", true, false},
                                   {"x", "quoted;value,with=stuff", true, true}};
  EXPECT_EQ(ps, expected);
}

TEST(Params, EmptyList) {
  bool ok = false;
  EXPECT_TRUE(all("", ';', &ok).empty());
  EXPECT_TRUE(ok);
}

TEST(Params, WhitespaceAroundSeparators) {
  bool ok = false;
  const auto ps = all(" ; tag = 88 ;\r\n lr ; q=0.5", ';', &ok);
  EXPECT_TRUE(ok);
  const std::vector<P> expected = {
      {"tag", "88", true, false}, {"lr", "", false, false}, {"q", "0.5", true, false}};
  EXPECT_EQ(ps, expected);
}

TEST(Params, QuotedValueKeepsEscapes) {
  const auto ps = all(";a=\"say \\\"hi\\\"\";b=2");
  ASSERT_EQ(ps.size(), 2u);
  EXPECT_EQ(ps[0].value, "say \\\"hi\\\"");
  EXPECT_TRUE(ps[0].quoted);
  EXPECT_EQ(ps[1].name, "b");
}

TEST(Params, EmptyQuotedValue) {
  const auto ps = all(";opaque=\"\"");
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(ps[0].value, "");
  EXPECT_TRUE(ps[0].has_value);
  EXPECT_TRUE(ps[0].quoted);
}

TEST(Params, UriHeadersWithAmpersand) {
  bool ok = false;
  const auto ps = all("subject=project%20x&priority=urgent", '&', &ok);
  EXPECT_TRUE(ok);
  const std::vector<P> expected = {{"subject", "project%20x", true, false},
                                   {"priority", "urgent", true, false}};
  EXPECT_EQ(ps, expected);
}

TEST(Params, IPv6Value) {
  const auto ps = all(";received=[2001:db8::9:255];maddr=[2001:db8::1]");
  ASSERT_EQ(ps.size(), 2u);
  EXPECT_EQ(ps[0].value, "[2001:db8::9:255]");
  EXPECT_EQ(ps[1].value, "[2001:db8::1]");
}

TEST(Params, Malformed) {
  for (const char* list : {";a=\"unterminated", ";=value", ";a=1;;=2"}) {
    bool ok = true;
    all(list, ';', &ok);
    EXPECT_FALSE(ok) << list;
  }
}

TEST(FindParam, CaseInsensitiveName) {
  Param p;
  ASSERT_TRUE(find_param(";Branch=z9hG4bKabc;TAG=x", "branch", p));
  EXPECT_EQ(p.name, "Branch");
  EXPECT_EQ(p.value, "z9hG4bKabc");
  ASSERT_TRUE(find_param(";Branch=z9hG4bKabc;TAG=x", "tag", p));
  EXPECT_EQ(p.value, "x");
  ASSERT_TRUE(find_param(";lr;ob", "OB", p));
  EXPECT_FALSE(p.has_value);
  EXPECT_FALSE(find_param(";branch=1", "bran", p));
  EXPECT_FALSE(find_param(";branchx=1", "branch", p));
  EXPECT_FALSE(find_param("", "branch", p));
  ASSERT_TRUE(find_param("a=1&b=2", "b", p, '&'));
  EXPECT_EQ(p.value, "2");
}

}  // namespace
}  // namespace duet::sip
