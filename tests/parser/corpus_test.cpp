// Regression: the six messages of the benchmark corpus (copied byte for byte into data/, CRLF line
// ends) parse in both framing modes, frame on a stream, and their typed views hold what they say.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "duet/sip/auth.hpp"
#include "duet/sip/framer.hpp"
#include "duet/sip/name_addr.hpp"
#include "duet/sip/transaction_key.hpp"
#include "duet/sip/values.hpp"
#include "duet/sip/via.hpp"
#include "sip_test_util.hpp"

namespace duet::sip {
namespace {

using test::Parsed;

std::string load(const char* name) {
  std::ifstream in(std::string(DUET_PARSER_TEST_DATA_DIR) + "/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

const char* const kFiles[] = {"01_register.sip",  "02_register_auth.sip", "03_invite_sdp.sip",
                              "04_200ok_sdp.sip", "05_100_trying.sip",    "06_options.sip"};

TEST(Corpus, FilesHaveCrlfLineEnds) {
  for (const char* f : kFiles) {
    const std::string s = load(f);
    ASSERT_FALSE(s.empty()) << f;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '\n') {
        ASSERT_TRUE(i > 0 && s[i - 1] == '\r') << f << " bare LF at " << i;
      }
    }
  }
}

TEST(Corpus, EveryFileParsesInBothModesAndFrames) {
  for (const char* f : kFiles) {
    const std::string s = load(f);
    Parsed d(s);
    ASSERT_TRUE(d.ok()) << f << ": " << reason(d.r.error);
    EXPECT_EQ(d.msg.raw(), s) << f;
    Parsed st(s, test::stream_opts());
    ASSERT_TRUE(st.ok()) << f << ": " << reason(st.r.error);
    EXPECT_EQ(st.r.consumed, s.size()) << f;
    EXPECT_EQ(next_frame(s).kind, FrameKind::message) << f;
    EXPECT_EQ(next_frame(s).size, s.size()) << f;
    TransactionKey k;
    EXPECT_TRUE(make_transaction_key(d.msg, k)) << f;
    EXPECT_TRUE(k.rfc3261) << f;
    // Body length agrees with Content-Length.
    std::uint32_t cl = 0;
    ASSERT_TRUE(parse_uint32(d.msg.header(HeaderId::content_length), cl)) << f;
    EXPECT_EQ(d.msg.body().size(), cl) << f;
  }
}

TEST(Corpus, AllSixPipelinedOnOneStream) {
  std::string wire;
  std::vector<std::size_t> sizes;
  for (const char* f : kFiles) {
    const std::string s = load(f);
    sizes.push_back(s.size());
    wire += s;
    wire += "\r\n\r\n";  // a keepalive between messages
  }
  std::string_view rest = wire;
  std::size_t messages = 0, pings = 0;
  for (int guard = 0; guard < 50 && !rest.empty(); ++guard) {
    const Frame f = next_frame(rest);
    ASSERT_NE(f.kind, FrameKind::error) << reason(f.error);
    ASSERT_NE(f.kind, FrameKind::need_more);
    if (f.kind == FrameKind::message) {
      EXPECT_EQ(f.size, sizes[messages]);
      Message m;
      EXPECT_EQ(parse(rest.substr(0, f.size), m, test::stream_opts()).status, ParseStatus::ok);
      ++messages;
    } else if (f.kind == FrameKind::ping) {
      ++pings;
    }
    rest.remove_prefix(f.size);
  }
  EXPECT_EQ(messages, 6u);
  EXPECT_EQ(pings, 6u);
}

TEST(Corpus, Register) {
  const std::string s = load("01_register.sip");
  Parsed p(s);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.msg.method_id(), Method::register_);
  EXPECT_EQ(p.msg.request_uri(), "sip:pbx.example.com");
  EXPECT_EQ(p.msg.cseq_number(), 1837u);
  EXPECT_EQ(p.msg.max_forwards(), 70);
  EXPECT_EQ(p.msg.header_count(), 12);
  Via v;
  ASSERT_TRUE(parse_via(p.msg.header(HeaderId::via), v));
  EXPECT_EQ(v.host, "192.168.1.57");
  EXPECT_EQ(v.port, 5060);
  EXPECT_TRUE(v.has_rport);
  EXPECT_EQ(v.rport, 0u);
  NameAddr c;
  ASSERT_TRUE(parse_name_addr(p.msg.header(HeaderId::contact), c));
  EXPECT_EQ(c.uri.transport, "udp");
  EXPECT_EQ(c.reg_id, "1");
  EXPECT_EQ(c.instance, "<urn:uuid:00000000-0000-1000-8000-0004f2a1b3c4>");
  EXPECT_EQ(c.expires, "3600");
  NameAddr from;
  ASSERT_TRUE(parse_name_addr(p.msg.header(HeaderId::from), from));
  EXPECT_EQ(from.display_name_unquoted(), "1001");
  EXPECT_EQ(from.tag, "8a2f61c4e0");
  EXPECT_TRUE(token_list_contains(p.msg.header(HeaderId::supported), "outbound"));
  EXPECT_TRUE(token_list_contains(p.msg.header(HeaderId::allow), "NOTIFY"));
  EXPECT_FALSE(token_list_contains(p.msg.header(HeaderId::allow), "MESSAGE"));
}

TEST(Corpus, RegisterWithAuthorization) {
  const std::string s = load("02_register_auth.sip");
  Parsed p(s);
  ASSERT_TRUE(p.ok());
  DigestCredentials c;
  ASSERT_TRUE(parse_credentials(p.msg.header(HeaderId::authorization), c));
  EXPECT_EQ(c.scheme, "Digest");
  EXPECT_EQ(c.username, "1001");
  EXPECT_EQ(c.realm, "pbx.example.com");
  EXPECT_EQ(c.nonce, "6635f0a2000049c1a7b7f3d5e3c1c9a8b2d4e6f0");
  EXPECT_EQ(c.uri, "sip:pbx.example.com");
  EXPECT_EQ(c.response, "1c9b0f3a6e7d2c4b8a5f9e0d1c2b3a4f");
  EXPECT_EQ(c.algorithm, "MD5");
  EXPECT_EQ(c.cnonce, "0a4f113b");
  EXPECT_EQ(c.qop, "auth");
  EXPECT_EQ(c.nc, "00000001");
  NameAddr from;
  ASSERT_TRUE(parse_name_addr(p.msg.header(HeaderId::from), from));
  EXPECT_EQ(from.display_name_unquoted(), "Alice 1001");
}

TEST(Corpus, InviteWithThreeViasAndRoutes) {
  const std::string s = load("03_invite_sdp.sip");
  Parsed p(s);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.msg.method_id(), Method::invite);
  EXPECT_EQ(p.msg.request_uri(), "sip:1002@192.168.1.62:5060;transport=udp");
  EXPECT_EQ(p.msg.count(HeaderId::via), 3);
  EXPECT_EQ(p.msg.count(HeaderId::record_route), 2);
  EXPECT_EQ(p.msg.max_forwards(), 68);
  EXPECT_EQ(p.msg.body().size(), 295u);
  EXPECT_EQ(p.msg.body().substr(0, 5), "v=0\r\n");
  std::vector<Via> vias;
  for_each_value(p.msg, HeaderId::via, [&](std::string_view t) {
    Via v;
    EXPECT_TRUE(parse_via(t, v)) << t;
    vias.push_back(v);
    return true;
  });
  ASSERT_EQ(vias.size(), 3u);
  EXPECT_EQ(vias[0].branch, "z9hG4bK9c1e.7a3b2f40000000000000000000000000.0");
  EXPECT_EQ(vias[1].received, "10.0.0.20");
  EXPECT_EQ(vias[2].received, "203.0.113.45");
  EXPECT_EQ(vias[2].rport, 61002u);
  Uri ruri;
  ASSERT_TRUE(parse_uri(p.msg.request_uri(), ruri));
  EXPECT_EQ(ruri.host_kind, HostKind::ipv4);
  EXPECT_EQ(ruri.port, 5060);
  NameAddr rr;
  ASSERT_TRUE(parse_name_addr(p.msg.header(HeaderId::record_route), rr));
  EXPECT_TRUE(rr.uri.lr);
  EXPECT_EQ(p.msg.header(HeaderId::session_expires), "1800;refresher=uac");
}

TEST(Corpus, OkAnswersTheInvite) {
  const std::string inv = load("03_invite_sdp.sip");
  const std::string ok = load("04_200ok_sdp.sip");
  const std::string trying = load("05_100_trying.sip");
  Parsed pi(inv), po(ok), pt(trying);
  ASSERT_TRUE(pi.ok() && po.ok() && pt.ok());
  EXPECT_EQ(po.msg.status_code(), 200);
  EXPECT_EQ(po.msg.reason_phrase(), "OK");
  EXPECT_EQ(po.msg.body().size(), 211u);
  EXPECT_EQ(pt.msg.status_code(), 100);
  EXPECT_EQ(pt.msg.reason_phrase(), "Trying");
  EXPECT_EQ(pt.msg.body(), "");
  TransactionKey ki, ko;
  ASSERT_TRUE(make_transaction_key(pi.msg, ki));
  ASSERT_TRUE(make_transaction_key(po.msg, ko));
  EXPECT_TRUE(same_transaction(ki, ko));
  NameAddr to;
  ASSERT_TRUE(parse_name_addr(po.msg.header(HeaderId::to), to));
  EXPECT_EQ(to.tag, "59a1f0c3d2");
  NameAddr ci, co;
  ASSERT_TRUE(parse_name_addr(pi.msg.header(HeaderId::to), ci));
  ASSERT_TRUE(parse_name_addr(po.msg.header(HeaderId::to), co));
  EXPECT_TRUE(uri_equal(ci.uri, co.uri));
}

TEST(Corpus, Options) {
  const std::string s = load("06_options.sip");
  Parsed p(s);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.msg.method_id(), Method::options);
  EXPECT_EQ(p.msg.call_id(), "2b9f1e4c7a3d50e8@10.0.0.10:5060");
  EXPECT_EQ(p.msg.header(HeaderId::date), "Tue, 14 May 2024 09:12:31 GMT");
  EXPECT_EQ(p.msg.header(HeaderId::accept), "application/sdp");
  Uri ruri;
  ASSERT_TRUE(parse_uri(p.msg.request_uri(), ruri));
  EXPECT_EQ(ruri.user, "1001");
  EXPECT_EQ(ruri.transport, "udp");
}

}  // namespace
}  // namespace duet::sip
