// Properties that must hold for any input: no proper prefix of a datagram is a message, every view
// a successful parse hands out lies inside the buffer and is consistent, and single-byte damage
// anywhere yields either a consistent message or a clean error. Run under ASan/UBSan (asan preset)
// these also check that nothing is read outside the buffer.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

#include "duet/sip/framer.hpp"
#include "duet/sip/name_addr.hpp"
#include "duet/sip/transaction_key.hpp"
#include "duet/sip/values.hpp"
#include "duet/sip/via.hpp"
#include "sip_test_util.hpp"

namespace duet::sip {
namespace {

bool inside(std::string_view part, std::string_view whole) {
  if (part.empty()) return true;
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

// Checks what an ok result promises about the Message; returns a description of the first breach.
std::string check_consistent(const std::string& buf, const Message& m, const ParseResult& r) {
  const std::string_view b(buf);
  if (r.consumed > buf.size()) return "consumed past the buffer";
  if (!inside(m.raw(), b)) return "raw() outside the buffer";
  if (!inside(m.start_line(), m.raw())) return "start line outside raw()";
  if (!inside(m.body(), m.raw())) return "body outside raw()";
  if (m.header_end() > m.raw().size()) return "header_end past raw()";
  if (m.body().size() > 0 && m.body().data() + m.body().size() != m.raw().data() + m.raw().size())
    return "body does not end raw()";
  std::uint32_t prev_end = 0;
  for (std::uint16_t i = 0; i < m.header_count(); ++i) {
    const HeaderField& f = m.field(i);
    if (!inside(f.name, m.raw()) || !inside(f.value, m.raw())) return "field view outside raw()";
    if (f.line_begin >= f.line_end || f.line_end > m.header_end() + 2) return "bad line offsets";
    if (f.line_begin < prev_end) return "fields overlap";
    prev_end = f.line_end;
    if (f.name.empty()) return "empty header name";
  }
  if (!m.has(HeaderId::via) || !m.has(HeaderId::call_id) || !m.has(HeaderId::cseq))
    return "mandatory header gone";
  return {};
}

// Exercises every typed view on a parsed message; only crashes (or sanitizer reports) can fail here.
void touch_views(const Message& m) {
  for (HeaderId id : {HeaderId::via, HeaderId::contact, HeaderId::route, HeaderId::record_route,
                      HeaderId::from, HeaderId::to}) {
    for_each_value(m, id, [&](std::string_view v) {
      Via via;
      NameAddr na;
      (void)parse_via(v, via);
      (void)parse_name_addr(v, na);
      return true;
    });
  }
  TransactionKey k;
  if (make_transaction_key(m, k)) (void)hash_transaction_key(k);
  Uri u;
  (void)parse_uri(m.request_uri(), u);
}

std::string corpus(const char* name) {
  std::ifstream in(std::string(DUET_PARSER_TEST_DATA_DIR) + "/" + name, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string with_routes() {
  return test::with_body(std::string(test::kInviteHead) +
                             "Route: \"Edge, West\" <sip:p1.example.com;lr>, <sip:[2001:db8::1]:5070;lr>\n"
                             "Record-Route: <sip:rr.example.com;lr;ftag=1>\n"
                             "Subject: folded\n value\n",
                         test::kSdp);
}

TEST(Robustness, NoProperPrefixOfADatagramIsAMessage) {
  for (const std::string& full : {test::invite(), test::ok_response(), corpus("03_invite_sdp.sip")}) {
    ASSERT_FALSE(full.empty());
    for (std::size_t n = 0; n < full.size(); ++n) {
      const std::string prefix = full.substr(0, n);  // own allocation: ASan sees reads past n
      Message m;
      const ParseResult r = parse(prefix, m);
      ASSERT_NE(r.status, ParseStatus::ok) << "prefix of " << n << " bytes parsed as a whole message";
    }
  }
}

TEST(Robustness, StreamPrefixesOfCorpusNeedMore) {
  for (const char* f : {"01_register.sip", "02_register_auth.sip", "04_200ok_sdp.sip", "06_options.sip"}) {
    const std::string full = corpus(f);
    ASSERT_FALSE(full.empty()) << f;
    for (std::size_t n = 1; n < full.size(); ++n) {
      const std::string prefix = full.substr(0, n);
      Message m;
      ASSERT_EQ(parse(prefix, m, test::stream_opts()).status, ParseStatus::need_more) << f << " at " << n;
      ASSERT_EQ(next_frame(prefix).kind, FrameKind::need_more) << f << " at " << n;
    }
  }
}

TEST(Robustness, SingleByteDamageAnywhere) {
  const std::string original = with_routes();
  int ok_count = 0, error_count = 0;
  for (std::size_t pos = 0; pos < original.size(); ++pos) {
    for (char c : {'\0', '\r', '\n', ' ', ':', ',', '"', '<', ';', '\x80'}) {
      if (original[pos] == c) continue;
      std::string damaged = original;
      damaged[pos] = c;
      for (Framing mode : {Framing::datagram, Framing::stream}) {
        ParseOptions o;
        o.mode = mode;
        Message m;
        const ParseResult r = parse(damaged, m, o);
        if (r.status == ParseStatus::ok) {
          ++ok_count;
          const std::string why = check_consistent(damaged, m, r);
          ASSERT_TRUE(why.empty()) << why << " at " << pos << " byte " << static_cast<int>(c);
          touch_views(m);
        } else if (r.status == ParseStatus::error) {
          ++error_count;
          ASSERT_NE(r.error, ParseError::none) << "error without a reason at " << pos;
          ASSERT_FALSE(reason(r.error).empty());
        }
        const Frame fr = next_frame(damaged);
        if (fr.kind != FrameKind::need_more && fr.kind != FrameKind::error) {
          ASSERT_LE(fr.size, damaged.size());
          ASSERT_GT(fr.size, 0u);
        }
      }
    }
  }
  // Both outcomes occur: the damage is neither always fatal nor always ignored.
  EXPECT_GT(ok_count, 0);
  EXPECT_GT(error_count, 0);
}

}  // namespace
}  // namespace duet::sip
