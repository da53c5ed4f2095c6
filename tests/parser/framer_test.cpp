// next_frame(): message boundaries on a stream (RFC 3261 §18.3) and RFC 5626 §4.4.1 keepalives.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "duet/sip/framer.hpp"
#include "sip_test_util.hpp"

namespace duet::sip {
namespace {

using test::crlf;
using test::with_body;

// Feeds `wire` to a simulated receive buffer in reads cut at `cuts`, consuming every frame the
// framer reports; returns the kinds and sizes seen.
std::vector<Frame> drain(const std::string& wire, const std::vector<std::size_t>& cuts) {
  std::vector<Frame> frames;
  std::string buf;
  std::size_t fed = 0;
  auto consume = [&] {
    for (int guard = 0; guard < 100; ++guard) {
      const Frame f = next_frame(buf);
      if (f.kind == FrameKind::need_more) return;
      frames.push_back(f);
      if (f.kind == FrameKind::error || f.size == 0) return;
      buf.erase(0, f.size);
    }
  };
  for (std::size_t cut : cuts) {
    buf.append(wire, fed, cut - fed);
    fed = cut;
    consume();
  }
  buf.append(wire, fed, std::string::npos);
  consume();
  return frames;
}

TEST(Framer, WholeMessage) {
  const std::string m = test::invite();
  const Frame f = next_frame(m);
  EXPECT_EQ(f.kind, FrameKind::message);
  EXPECT_EQ(f.size, m.size());
  EXPECT_EQ(f.error, ParseError::none);
}

TEST(Framer, MessageFollowedByMore) {
  const std::string m = test::invite();
  const Frame f = next_frame(m + "OPTIONS sip:x SIP/2.0\r\n");
  EXPECT_EQ(f.kind, FrameKind::message);
  EXPECT_EQ(f.size, m.size());
}

TEST(Framer, NeedMoreAtEveryPrefix) {
  const std::string m = test::invite();
  for (std::size_t n = 0; n < m.size(); ++n) {
    const Frame f = next_frame(std::string_view(m).substr(0, n));
    ASSERT_EQ(f.kind, FrameKind::need_more) << "prefix of " << n << " bytes";
  }
}

TEST(Framer, SplitAtEveryBytePosition) {
  const std::string a = test::invite();
  const std::string b = test::ok_response();
  const std::string wire = a + b;
  for (std::size_t cut = 1; cut < wire.size(); ++cut) {
    const auto frames = drain(wire, {cut});
    ASSERT_EQ(frames.size(), 2u) << "cut at " << cut;
    EXPECT_EQ(frames[0].kind, FrameKind::message) << cut;
    EXPECT_EQ(frames[0].size, a.size()) << cut;
    EXPECT_EQ(frames[1].kind, FrameKind::message) << cut;
    EXPECT_EQ(frames[1].size, b.size()) << cut;
  }
}

TEST(Framer, ByteAtATime) {
  const std::string a = test::invite();
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < a.size(); ++i) cuts.push_back(i);
  const auto frames = drain(a, cuts);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].kind, FrameKind::message);
  EXPECT_EQ(frames[0].size, a.size());
}

TEST(Framer, FramesParseAsTheSameMessages) {
  const std::string a = test::invite();
  const std::string b = with_body(test::kInviteHead, "0123456789");
  const std::string wire = a + b + a;
  std::string_view rest = wire;
  std::vector<std::string> bodies;
  for (int i = 0; i < 3; ++i) {
    const Frame f = next_frame(rest);
    ASSERT_EQ(f.kind, FrameKind::message) << i;
    Message m;
    const ParseResult r = parse(rest.substr(0, f.size), m, test::stream_opts());
    ASSERT_EQ(r.status, ParseStatus::ok) << i;
    EXPECT_EQ(r.consumed, f.size);
    bodies.emplace_back(m.body());
    rest.remove_prefix(f.size);
  }
  EXPECT_TRUE(rest.empty());
  EXPECT_EQ(bodies,
            (std::vector<std::string>{std::string(test::kSdp), "0123456789", std::string(test::kSdp)}));
}

TEST(Framer, PingAndPong) {
  // RFC 5626 §4.4.1: a client sends CRLFCRLF, the server answers CRLF.
  Frame f = next_frame("\r\n\r\n");
  EXPECT_EQ(f.kind, FrameKind::ping);
  EXPECT_EQ(f.size, 4u);
  const std::string m = test::invite();
  f = next_frame("\r\n\r\n" + m);
  EXPECT_EQ(f.kind, FrameKind::ping);
  EXPECT_EQ(f.size, 4u);
  f = next_frame("\r\n" + m);
  EXPECT_EQ(f.kind, FrameKind::pong);
  EXPECT_EQ(f.size, 2u);
  f = next_frame("\r");
  EXPECT_EQ(f.kind, FrameKind::need_more);
}

TEST(Framer, PipelinedMessagesAndKeepalives) {
  const std::string a = test::invite();
  const std::string b = test::ok_response();
  const std::string wire = a + "\r\n\r\n" + b + "\r\n" + a;
  const auto frames = drain(wire, {});
  ASSERT_EQ(frames.size(), 5u);
  const FrameKind kinds[] = {FrameKind::message, FrameKind::ping, FrameKind::message, FrameKind::pong,
                             FrameKind::message};
  const std::size_t sizes[] = {a.size(), 4, b.size(), 2, a.size()};
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(frames[i].kind, kinds[i]) << i;
    EXPECT_EQ(frames[i].size, sizes[i]) << i;
  }
}

TEST(Framer, PipelinedSplitAtEveryPosition) {
  const std::string a = test::invite();
  const std::string wire = a + "\r\n\r\n" + a;
  for (std::size_t cut = 1; cut < wire.size(); cut += 1) {
    const auto frames = drain(wire, {cut});
    std::size_t messages = 0, total = 0;
    for (const auto& f : frames) {
      ASSERT_NE(f.kind, FrameKind::error) << cut;
      if (f.kind == FrameKind::message) ++messages;
      total += f.size;
    }
    EXPECT_EQ(messages, 2u) << cut;
    EXPECT_EQ(total, wire.size()) << cut;
  }
}

TEST(Framer, MissingContentLengthIsAnError) {
  const std::string m = crlf(test::kInviteHead) + "\r\n" + std::string(test::kSdp);
  const Frame f = next_frame(m);
  EXPECT_EQ(f.kind, FrameKind::error);
  EXPECT_EQ(f.error, ParseError::missing_content_length);
}

TEST(Framer, ContentLengthSpellings) {
  // Compact form, odd case and whitespace all delimit the body (§7.3.3, §7.3.1).
  for (const char* line : {"l: 10", "L:10", "content-LENGTH :  10  ", "Content-Length:\t10"}) {
    const std::string m = crlf(test::kInviteHead) + line + "\r\n\r\n0123456789";
    const Frame f = next_frame(m + "NEXT");
    EXPECT_EQ(f.kind, FrameKind::message) << line;
    EXPECT_EQ(f.size, m.size()) << line;
  }
}

TEST(Framer, ContentLengthNotConfusedWithSimilarNames) {
  // "X-Content-Length" and a body line "l: 99" are not the message's Content-Length.
  const std::string body = "l: 99\r\n";
  const std::string m = crlf(test::kInviteHead) +
                        "X-Content-Length: 500\r\nContent-Length: " + std::to_string(body.size()) +
                        "\r\n\r\n" + body;
  const Frame f = next_frame(m);
  EXPECT_EQ(f.kind, FrameKind::message);
  EXPECT_EQ(f.size, m.size());
}

TEST(Framer, BadContentLength) {
  const std::string m = crlf(test::kInviteHead) + "Content-Length: ten\r\n\r\n0123456789";
  const Frame f = next_frame(m);
  EXPECT_EQ(f.kind, FrameKind::error);
  EXPECT_EQ(f.error, ParseError::bad_content_length);
}

TEST(Framer, OversizeHeaderBlock) {
  std::string m = crlf(test::kInviteHead);
  while (m.size() < 70000) m += "X-Filler: 0123456789012345678901234567890123456789\r\n";
  const Frame f = next_frame(m);
  EXPECT_EQ(f.kind, FrameKind::error);
  EXPECT_EQ(f.error, ParseError::message_too_large);

  Limits small;
  small.max_message_size = 1000;
  const Frame g = next_frame(std::string_view(m).substr(0, 1500), small);
  EXPECT_EQ(g.kind, FrameKind::error);
  EXPECT_EQ(g.error, ParseError::message_too_large);
}

TEST(Framer, OversizeLine) {
  const std::string m = crlf(test::kInviteHead) + "Subject: " + std::string(9000, 'x');
  const Frame f = next_frame(m);
  EXPECT_EQ(f.kind, FrameKind::error);
  EXPECT_EQ(f.error, ParseError::header_line_too_long);
}

TEST(Framer, OversizeBodyDeclared) {
  const std::string m = crlf(test::kInviteHead) + "Content-Length: 100000\r\n\r\nv=0\r\n";
  const Frame f = next_frame(m);
  EXPECT_EQ(f.kind, FrameKind::error);
  EXPECT_EQ(f.error, ParseError::message_too_large);
}

TEST(Framer, NeedMoreForPartialBody) {
  const std::string m = test::invite();
  const Frame f = next_frame(std::string_view(m).substr(0, m.size() - 1));
  EXPECT_EQ(f.kind, FrameKind::need_more);
}

TEST(Framer, CustomLineLimit) {
  Limits l;
  l.max_line_length = 64;
  const std::string m =
      crlf(test::kInviteHead) + "Subject: " + std::string(100, 'x') + "\r\nContent-Length: 0\r\n\r\n";
  const Frame f = next_frame(m, l);
  EXPECT_EQ(f.kind, FrameKind::error);
  EXPECT_EQ(f.error, ParseError::header_line_too_long);
  // The same message frames with the default limits.
  EXPECT_EQ(next_frame(m).kind, FrameKind::message);
}

TEST(Framer, FoldedContentLengthValue) {
  // LWS (including a fold) may precede the value.
  const std::string m = crlf(test::kInviteHead) + "Content-Length:\r\n 3\r\n\r\nabc";
  const Frame f = next_frame(m + "tail");
  EXPECT_EQ(f.kind, FrameKind::message);
  EXPECT_EQ(f.size, m.size());
}

TEST(Framer, BareLfMessage) {
  const std::string m =
      "OPTIONS sip:bob@biloxi.example.com SIP/2.0\nVia: SIP/2.0/TCP h;branch=z9hG4bKlf\nMax-Forwards: 70\n"
      "To: <sip:bob@biloxi.example.com>\nFrom: <sip:a@h>;tag=1\nCall-ID: lf\nCSeq: 1 OPTIONS\n"
      "Content-Length: 2\n\nok";
  const Frame f = next_frame(m + "NEXT");
  EXPECT_EQ(f.kind, FrameKind::message);
  EXPECT_EQ(f.size, m.size());
}

}  // namespace
}  // namespace duet::sip
