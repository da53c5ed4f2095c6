// The header block (RFC 3261 §7.3, §25.1): order, raw names and values, compact forms, case,
// line folding, empty values, unknown headers, odd whitespace and many fields.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "duet/sip/message.hpp"
#include "duet/sip/values.hpp"
#include "duet/sip/via.hpp"
#include "sip_test_util.hpp"

namespace duet::sip {
namespace {

using test::crlf;
using test::Parsed;
using test::with_body;
using Fields = std::vector<std::pair<std::string, std::string>>;

TEST(Headers, AllFieldsInOrderWithRawNamesAndValues) {
  Parsed p(test::invite());
  ASSERT_TRUE(p.ok()) << reason(p.r.error);
  const Fields expected = {
      {"Via", "SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds"},
      {"Max-Forwards", "70"},
      {"To", "Bob <sip:bob@biloxi.example.com>"},
      {"From", "Alice <sip:alice@atlanta.example.com>;tag=1928301774"},
      {"Call-ID", "a84b4c76e66710@pc33.atlanta.example.com"},
      {"CSeq", "314159 INVITE"},
      {"Contact", "<sip:alice@pc33.atlanta.example.com>"},
      {"Content-Type", "application/sdp"},
      {"Content-Length", std::to_string(test::kSdp.size())},
  };
  EXPECT_EQ(test::all_fields(p.msg), expected);
  const HeaderId ids[] = {HeaderId::via,     HeaderId::max_forwards, HeaderId::to,
                          HeaderId::from,    HeaderId::call_id,      HeaderId::cseq,
                          HeaderId::contact, HeaderId::content_type, HeaderId::content_length};
  for (std::uint16_t i = 0; i < p.msg.header_count(); ++i) EXPECT_EQ(p.msg.field(i).id, ids[i]) << i;
}

TEST(Headers, TopViaFromAndToAreParsedAndKept) {
  Parsed p(test::invite());
  ASSERT_TRUE(p.ok()) << reason(p.r.error);
  EXPECT_EQ(p.msg.top_via().host, "pc33.atlanta.example.com");
  EXPECT_EQ(p.msg.top_via().port, 5060);
  EXPECT_EQ(p.msg.top_via().branch, "z9hG4bK776asdhds");
  EXPECT_EQ(p.msg.from().tag, "1928301774");
  EXPECT_EQ(p.msg.from().display_name, "Alice");
  EXPECT_EQ(p.msg.from().uri.user, "alice");
  EXPECT_EQ(p.msg.to().tag, "");
  EXPECT_EQ(p.msg.to().uri.host, "biloxi.example.com");

  // The topmost via-parm of a multi-value first Via field, in compact form.
  Parsed r(test::replace_line(
      test::invite(), "Via:",
      "v: SIP/2.0/TCP first.example.com:5070;branch=z9hG4bKone, SIP/2.0/UDP second;branch=z9hG4bKtwo"));
  ASSERT_TRUE(r.ok()) << reason(r.r.error);
  EXPECT_EQ(r.msg.top_via().host, "first.example.com");
  EXPECT_EQ(r.msg.top_via().transport, "TCP");
  EXPECT_EQ(r.msg.top_via().branch, "z9hG4bKone");
}

TEST(Headers, LineOffsetsCoverTheWholeLine) {
  Parsed p(test::invite());
  ASSERT_TRUE(p.ok());
  std::uint32_t expected_begin = static_cast<std::uint32_t>(p.msg.start_line().size() + 2);
  for (std::uint16_t i = 0; i < p.msg.header_count(); ++i) {
    const HeaderField& f = p.msg.field(i);
    EXPECT_EQ(f.line_begin, expected_begin) << f.name;
    const std::string_view line = p.msg.raw().substr(f.line_begin, f.line_end - f.line_begin);
    EXPECT_EQ(line.substr(0, f.name.size()), f.name);
    EXPECT_EQ(line.substr(line.size() - 2), "\r\n") << f.name;
    EXPECT_NE(line.find(f.value), std::string_view::npos);
    expected_begin = f.line_end;
  }
  // The header block ends with the blank line at header_end(); the body follows it.
  EXPECT_EQ(p.msg.header_end(), expected_begin);
  EXPECT_EQ(p.msg.raw().substr(p.msg.header_end(), 2), "\r\n");
  EXPECT_EQ(p.msg.raw().substr(p.msg.header_end() + 2), test::kSdp);
  EXPECT_EQ(p.msg.body(), test::kSdp);
}

TEST(Headers, ValuesCheckedByParse) {
  Parsed p(test::invite());
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.msg.cseq_number(), 314159u);
  EXPECT_EQ(p.msg.cseq_method(), "INVITE");
  EXPECT_EQ(p.msg.call_id(), "a84b4c76e66710@pc33.atlanta.example.com");
  EXPECT_EQ(p.msg.max_forwards(), 70);
  EXPECT_TRUE(p.msg.has_content_length());
}

TEST(Headers, CompactFormsMapToTheLongIds) {
  // §7.3.3 plus the compact forms of later RFCs (RFC 3265 o/u, RFC 3515 r, RFC 3892 b,
  // RFC 3841 j/a/d, RFC 4028 x, RFC 8224 y).
  const std::string head =
      "INVITE sip:bob@biloxi.example.com SIP/2.0\n"
      "v: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKcompact\n"
      "Max-Forwards: 70\n"
      "t: <sip:bob@biloxi.example.com>\n"
      "f: <sip:alice@atlanta.example.com>;tag=88\n"
      "i: compact-1@atlanta\n"
      "CSeq: 1 INVITE\n"
      "m: <sip:alice@192.0.2.1>\n"
      "c: application/sdp\n"
      "e: gzip\n"
      "k: timer, 100rel\n"
      "s: hello\n"
      "o: presence\n"
      "u: dialog\n"
      "r: <sip:carol@example.com>\n"
      "x: 1800\n"
      "y: c29tZSBpZGVudGl0eQ\n"
      "b: <sip:alice@atlanta.example.com>\n"
      "j: *;+sip.automata\n"
      "a: *;+sip.audio\n"
      "d: proxy\n";
  std::string msg = crlf(head) + "l: 4\r\n\r\nbody";
  Parsed p(msg);
  ASSERT_TRUE(p.ok()) << reason(p.r.error);
  const std::pair<HeaderId, const char*> expect[] = {
      {HeaderId::via, "v"},
      {HeaderId::to, "t"},
      {HeaderId::from, "f"},
      {HeaderId::call_id, "i"},
      {HeaderId::contact, "m"},
      {HeaderId::content_type, "c"},
      {HeaderId::content_encoding, "e"},
      {HeaderId::supported, "k"},
      {HeaderId::subject, "s"},
      {HeaderId::event, "o"},
      {HeaderId::allow_events, "u"},
      {HeaderId::refer_to, "r"},
      {HeaderId::session_expires, "x"},
      {HeaderId::identity, "y"},
      {HeaderId::referred_by, "b"},
      {HeaderId::reject_contact, "j"},
      {HeaderId::accept_contact, "a"},
      {HeaderId::request_disposition, "d"},
      {HeaderId::content_length, "l"},
  };
  for (const auto& [id, name] : expect) {
    const HeaderField* f = p.msg.find(id);
    ASSERT_NE(f, nullptr) << name;
    EXPECT_EQ(f->name, name);
  }
  EXPECT_EQ(p.msg.call_id(), "compact-1@atlanta");
  EXPECT_EQ(p.msg.header(HeaderId::subject), "hello");
  EXPECT_EQ(p.msg.body(), "body");
  EXPECT_TRUE(p.msg.has_content_length());
}

TEST(Headers, NamesAreCaseInsensitive) {
  const std::string head =
      "OPTIONS sip:bob@biloxi.example.com SIP/2.0\n"
      "VIA: SIP/2.0/UDP host.example.com;branch=z9hG4bKcase\n"
      "mAX-fORWARDS: 10\n"
      "TO: <sip:bob@biloxi.example.com>\n"
      "fRoM: <sip:alice@atlanta.example.com>;tag=1\n"
      "call-id: case-1\n"
      "cseq: 9 OPTIONS\n"
      "V: SIP/2.0/TCP other.example.com;branch=z9hG4bKcase2\n";
  std::string msg = crlf(head) + "CONTENT-length: 0\r\n\r\n";
  Parsed p(msg);
  ASSERT_TRUE(p.ok()) << reason(p.r.error);
  EXPECT_EQ(p.msg.max_forwards(), 10);
  EXPECT_EQ(p.msg.cseq_number(), 9u);
  EXPECT_EQ(p.msg.call_id(), "case-1");
  EXPECT_EQ(p.msg.count(HeaderId::via), 2);
  EXPECT_EQ(p.msg.find(HeaderId::via)->name, "VIA");
  EXPECT_TRUE(p.msg.has_content_length());
}

TEST(Headers, LineFoldingKeepsRawContinuation) {
  // §7.3.1: a header can span lines when the continuation starts with SP or HTAB.
  const std::string head =
      "OPTIONS sip:bob@biloxi.example.com SIP/2.0\n"
      "Via: SIP/2.0/UDP\n"
      "    host.example.com:5060\n"
      "\t;branch=z9hG4bKfold\n"
      "Max-Forwards: 70\n"
      "To: <sip:bob@biloxi.example.com>\n"
      "From: <sip:alice@atlanta.example.com>;tag=1\n"
      "Call-ID: fold-1\n"
      "CSeq: 1\n"
      "  OPTIONS\n"
      "Subject: I know you're there,\n"
      "         pick up the phone\n"
      "         and talk to me!\n";
  Parsed p(with_body(head));
  ASSERT_TRUE(p.ok()) << reason(p.r.error);
  EXPECT_EQ(p.msg.header(HeaderId::subject),
            "I know you're there,\r\n         pick up the phone\r\n         and talk to me!");
  EXPECT_EQ(p.msg.cseq_number(), 1u);
  EXPECT_EQ(p.msg.cseq_method(), "OPTIONS");
  EXPECT_EQ(p.msg.header_count(), 8);

  Via via;
  ASSERT_TRUE(parse_via(p.msg.header(HeaderId::via), via));
  EXPECT_EQ(via.host, "host.example.com");
  EXPECT_EQ(via.port, 5060);
  EXPECT_EQ(via.branch, "z9hG4bKfold");

  // The field's line covers every continuation line.
  const HeaderField* subj = p.msg.find(HeaderId::subject);
  const auto line = p.msg.raw().substr(subj->line_begin, subj->line_end - subj->line_begin);
  EXPECT_EQ(line,
            "Subject: I know you're there,\r\n         pick up the phone\r\n         and talk to me!\r\n");
}

TEST(Headers, EmptyValues) {
  // Many header fields may be empty (e.g. Subject, unknown extension headers; RFC 4475 §3.1.1.1).
  const std::string head = std::string(test::kInviteHead) +
                           "Subject:\n"
                           "X-Empty-With-Spaces:    \n"
                           "Organization:\t\n";
  Parsed p(with_body(head, test::kSdp));
  ASSERT_TRUE(p.ok()) << reason(p.r.error);
  EXPECT_TRUE(p.msg.has(HeaderId::subject));
  EXPECT_EQ(p.msg.header(HeaderId::subject), "");
  const HeaderField* x = p.msg.find_other("x-empty-with-spaces");
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(x->value, "");
  EXPECT_TRUE(p.msg.has(HeaderId::organization));
  EXPECT_EQ(p.msg.header(HeaderId::organization), "");
  EXPECT_EQ(p.msg.body(), test::kSdp);
}

TEST(Headers, UnknownHeadersKeepTheirNames) {
  const std::string head = std::string(test::kInviteHead) +
                           "X-Odd.Name!%*_+`'~: some value\n"
                           "P-Charging-Vector: icid-value=1234bc9876e\n"
                           "x-odd.name!%*_+`'~: second\n";
  Parsed p(with_body(head, test::kSdp));
  ASSERT_TRUE(p.ok()) << reason(p.r.error);
  const HeaderField* f = p.msg.find_other("X-ODD.NAME!%*_+`'~");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->id, HeaderId::other);
  EXPECT_EQ(f->name, "X-Odd.Name!%*_+`'~");
  EXPECT_EQ(f->value, "some value");
  const HeaderField* pcv = p.msg.find_other("p-charging-vector");
  ASSERT_NE(pcv, nullptr);
  EXPECT_EQ(pcv->value, "icid-value=1234bc9876e");
  EXPECT_EQ(p.msg.find_other("X-Not-There"), nullptr);
  // The second spelling of the same unknown name is a separate field, found by walking the fields.
  int same_name = 0;
  for (std::uint16_t i = 0; i < p.msg.header_count(); ++i) {
    if (iequals(p.msg.field(i).name, "x-odd.name!%*_+`'~")) ++same_name;
  }
  EXPECT_EQ(same_name, 2);
}

TEST(Headers, OddWhitespaceAroundColonAndValues) {
  // HCOLON = *( SP / HTAB ) ":" SWS; values are trimmed; LWS separates CSeq parts.
  const std::string head =
      "INVITE sip:bob@biloxi.example.com SIP/2.0\n"
      "Via:SIP/2.0/UDP host.example.com;branch=z9hG4bKws\n"
      "Max-Forwards   :   70   \n"
      "To\t:\t<sip:bob@biloxi.example.com>\t\n"
      "From    : <sip:alice@atlanta.example.com> ; tag = 77\n"
      "Call-ID:     ws-1@host    \n"
      "CSeq:\t 0009 \t INVITE \n";
  Parsed p(with_body(head));
  ASSERT_TRUE(p.ok()) << reason(p.r.error);
  EXPECT_EQ(p.msg.header(HeaderId::via), "SIP/2.0/UDP host.example.com;branch=z9hG4bKws");
  EXPECT_EQ(p.msg.find(HeaderId::max_forwards)->name, "Max-Forwards");
  EXPECT_EQ(p.msg.header(HeaderId::max_forwards), "70");
  EXPECT_EQ(p.msg.max_forwards(), 70);
  EXPECT_EQ(p.msg.header(HeaderId::to), "<sip:bob@biloxi.example.com>");
  EXPECT_EQ(p.msg.find(HeaderId::to)->name, "To");
  EXPECT_EQ(p.msg.header(HeaderId::from), "<sip:alice@atlanta.example.com> ; tag = 77");
  EXPECT_EQ(p.msg.call_id(), "ws-1@host");
  EXPECT_EQ(p.msg.cseq_number(), 9u);
  EXPECT_EQ(p.msg.cseq_method(), "INVITE");
}

TEST(Headers, BareLfLineEndingsAreTolerated) {
  // HeaderField::line_end documents "(CR)LF": a message with LF-only lines still parses.
  const std::string msg =
      "OPTIONS sip:bob@biloxi.example.com SIP/2.0\n"
      "Via: SIP/2.0/UDP host.example.com;branch=z9hG4bKlf\n"
      "Max-Forwards: 70\n"
      "To: <sip:bob@biloxi.example.com>\n"
      "From: <sip:alice@atlanta.example.com>;tag=1\n"
      "Call-ID: lf-1\n"
      "CSeq: 1 OPTIONS\n"
      "Content-Length: 2\n"
      "\n"
      "ab";
  Parsed p(msg);
  ASSERT_TRUE(p.ok()) << reason(p.r.error);
  EXPECT_EQ(p.msg.call_id(), "lf-1");
  EXPECT_EQ(p.msg.body(), "ab");
  const HeaderField* cid = p.msg.find(HeaderId::call_id);
  EXPECT_EQ(p.msg.raw().substr(cid->line_begin, cid->line_end - cid->line_begin), "Call-ID: lf-1\n");
}

TEST(Headers, ManyViaFieldsBeyondInlineCapacity) {
  std::string head = "SIP/2.0 200 OK\n";
  constexpr int kVias = 100;  // more than Message::kInlineHeaders
  static_assert(kVias > Message::kInlineHeaders);
  for (int i = 0; i < kVias; ++i) {
    head += "Via: SIP/2.0/UDP proxy" + std::to_string(i) + ".example.com;branch=z9hG4bK" + std::to_string(i) +
            "\n";
  }
  head +=
      "To: <sip:bob@biloxi.example.com>;tag=2\nFrom: <sip:alice@atlanta.example.com>;tag=1\n"
      "Call-ID: many-vias\nCSeq: 5 INVITE\n";
  Parsed p(with_body(head));
  ASSERT_TRUE(p.ok()) << reason(p.r.error);
  EXPECT_EQ(p.msg.count(HeaderId::via), kVias);
  EXPECT_EQ(p.msg.header_count(), kVias + 5);
  int i = 0;
  for (const HeaderField* f = p.msg.find(HeaderId::via); f; f = p.msg.next(*f), ++i) {
    Via v;
    ASSERT_TRUE(parse_via(f->value, v)) << f->value;
    EXPECT_EQ(v.host, "proxy" + std::to_string(i) + ".example.com");
  }
  EXPECT_EQ(i, kVias);
  EXPECT_EQ(p.msg.call_id(), "many-vias");
  EXPECT_EQ(p.msg.field(p.msg.header_count() - 1).id, HeaderId::content_length);
}

TEST(Headers, CommaSeparatedViaValuesAreOneField) {
  const std::string head =
      "SIP/2.0 180 Ringing\n"
      "Via: SIP/2.0/UDP a.example.com;branch=z9hG4bKa, SIP/2.0/TCP b.example.com;branch=z9hG4bKb,\n"
      "     SIP/2.0/UDP c.example.com;branch=z9hG4bKc\n"
      "v: SIP/2.0/UDP d.example.com;branch=z9hG4bKd\n"
      "To: <sip:bob@biloxi.example.com>;tag=2\nFrom: <sip:alice@atlanta.example.com>;tag=1\n"
      "Call-ID: multi\nCSeq: 5 INVITE\n";
  Parsed p(with_body(head));
  ASSERT_TRUE(p.ok()) << reason(p.r.error);
  EXPECT_EQ(p.msg.count(HeaderId::via), 2);
  std::vector<std::string> hosts;
  EXPECT_TRUE(for_each_value(p.msg, HeaderId::via, [&](std::string_view v) {
    Via via;
    EXPECT_TRUE(parse_via(v, via)) << v;
    hosts.emplace_back(via.host);
    return true;
  }));
  const std::vector<std::string> expected = {"a.example.com", "b.example.com", "c.example.com",
                                             "d.example.com"};
  EXPECT_EQ(hosts, expected);
}

TEST(Headers, AbsentHeaders) {
  Parsed p(test::invite());
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p.msg.has(HeaderId::route));
  EXPECT_EQ(p.msg.find(HeaderId::route), nullptr);
  EXPECT_EQ(p.msg.header(HeaderId::route), "");
  EXPECT_EQ(p.msg.count(HeaderId::route), 0);
  EXPECT_EQ(p.msg.count(HeaderId::via), 1);
}

TEST(Headers, FindNextWalksInMessageOrderAcrossOtherHeaders) {
  const std::string head = std::string(test::kInviteHead) +
                           "Route: <sip:p1.example.com;lr>\n"
                           "Subject: between\n"
                           "Route: <sip:p2.example.com;lr>, <sip:p3.example.com;lr>\n"
                           "route: <sip:p4.example.com;lr>\n";
  Parsed p(with_body(head, test::kSdp));
  ASSERT_TRUE(p.ok()) << reason(p.r.error);
  std::vector<std::string> values;
  for (const HeaderField* f = p.msg.find(HeaderId::route); f; f = p.msg.next(*f))
    values.emplace_back(f->value);
  const std::vector<std::string> expected = {"<sip:p1.example.com;lr>",
                                             "<sip:p2.example.com;lr>, <sip:p3.example.com;lr>",
                                             "<sip:p4.example.com;lr>"};
  EXPECT_EQ(values, expected);
  EXPECT_EQ(p.msg.count(HeaderId::route), 3);
}

TEST(Headers, ReusingAMessageLeavesNothingStale) {
  Message m;
  const std::string first =
      with_body(std::string(test::kInviteHead) + "Subject: first\nRoute: <sip:p>\n", "x");
  ASSERT_EQ(parse(first, m).status, ParseStatus::ok);
  ASSERT_TRUE(m.has(HeaderId::subject));
  const std::string second = test::ok_response();
  ASSERT_EQ(parse(second, m).status, ParseStatus::ok);
  EXPECT_FALSE(m.has(HeaderId::subject));
  EXPECT_FALSE(m.has(HeaderId::route));
  EXPECT_EQ(m.count(HeaderId::via), 2);
  EXPECT_TRUE(m.is_response());
  EXPECT_EQ(m.body(), "");
  EXPECT_EQ(m.max_forwards(), -1);
  m.reset();
  EXPECT_EQ(m.header_count(), 0);
  EXPECT_FALSE(m.has(HeaderId::via));
}

TEST(Headers, EscapedNulInsideQuotedStringIsLegal) {
  // quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F): an escaped NUL is part of the grammar
  // (RFC 4475 exercises it), unlike a raw NUL anywhere in the header block.
  std::string msg =
      test::replace_line(test::invite(), "From:", "From: \"Al\\?ce\" <sip:alice@atlanta.example.com>;tag=9");
  msg[msg.find("\\?") + 1] = '\0';
  Parsed p(msg);
  ASSERT_TRUE(p.ok()) << reason(p.r.error);
  EXPECT_EQ(p.msg.from().tag, "9");
  EXPECT_EQ(p.msg.from().display_name, std::string_view("\"Al\\\0ce\"", 8));
}

TEST(Headers, InlineCapacityBoundary) {
  // kInlineHeaders fields fit inline; one more moves to the overflow storage. Both must behave alike.
  for (const int total :
       {Message::kInlineHeaders - 1, Message::kInlineHeaders + 0, Message::kInlineHeaders + 1}) {
    std::string head(test::kInviteHead);
    const int extra = total - 9;  // kInviteHead has 8 fields, with_body adds Content-Length
    for (int i = 0; i < extra; ++i) head += "Route: <sip:r" + std::to_string(i) + ".example.com;lr>\n";
    Parsed p(with_body(head, test::kSdp));
    ASSERT_TRUE(p.ok()) << total << ": " << reason(p.r.error);
    EXPECT_EQ(p.msg.header_count(), total);
    EXPECT_EQ(p.msg.count(HeaderId::route), extra);
    EXPECT_EQ(p.msg.header(HeaderId::content_length), std::to_string(test::kSdp.size()));
    EXPECT_EQ(p.msg.field(static_cast<std::uint16_t>(total - 1)).id, HeaderId::content_length);
    const HeaderField* last_route = nullptr;
    for (const HeaderField* f = p.msg.find(HeaderId::route); f; f = p.msg.next(*f)) last_route = f;
    ASSERT_NE(last_route, nullptr);
    EXPECT_EQ(last_route->value, "<sip:r" + std::to_string(extra - 1) + ".example.com;lr>");
  }
}

TEST(Headers, ContentLengthLeadingZeros) {
  std::string msg = crlf(test::kInviteHead) + "Content-Length: 0004\r\n\r\nbodyXX";
  Parsed p(msg);
  ASSERT_TRUE(p.ok()) << reason(p.r.error);
  EXPECT_EQ(p.msg.body(), "body");
}

TEST(Headers, Utf8InValues) {
  Parsed p(test::replace_line(test::invite(),
                              "To:", "To: \"J\xC3\xBCrgen \xE2\x98\x8E\" <sip:j@biloxi.example.com>"));
  ASSERT_TRUE(p.ok()) << reason(p.r.error);
  EXPECT_EQ(p.msg.to().display_name_unquoted(), "J\xC3\xBCrgen \xE2\x98\x8E");
}

TEST(Headers, LongValueWithinLimits) {
  const std::string subject(4000, 's');
  Parsed p(with_body(std::string(test::kInviteHead) + "Subject: " + subject + "\n", test::kSdp));
  ASSERT_TRUE(p.ok()) << reason(p.r.error);
  EXPECT_EQ(p.msg.header(HeaderId::subject), subject);
}

TEST(Headers, TortureMessageWithOddButLegalSyntax) {
  // In the spirit of RFC 4475 §3.1.1.1: folding in odd places, escaped and quoted oddities,
  // unknown headers, an empty header, compact and long forms mixed.
  const std::string head =
      "INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0\n"
      "TO :\n"
      " sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n\n"
      "from   : \"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>\n"
      "  ;\n"
      "  tag = 98asjd8\n"
      "MaX-fOrWaRdS: 0068\n"
      "Call-ID: wsinv.ndaksdj@192.0.2.1\n"
      "cseq: 0009\n"
      "  INVITE\n"
      "Via  : SIP  /   2.0\n"
      " /UDP\n"
      "    192.0.2.2;rport;branch=z9hG4bKtorture1\n"
      "s :\n"
      "NewFangledHeader:   newfangled value\n"
      " continued newfangled value\n"
      "UnknownHeaderWithUnusualValue: ;;,,;;,;\n"
      "Content-Type: application/sdp\n"
      "v:  SIP/2.0/TCP spindle.example.com   ;\n"
      "  branch  =   z9hG4bKtorture2\n"
      "m:\"Quoted string \\\"\\\"\" <sip:jdrosen@example.com> ; newparam =\n"
      "      newvalue ;\n"
      "  secondparam ; q = 0.33\n";
  Parsed p(with_body(head, test::kSdp));
  ASSERT_TRUE(p.ok()) << reason(p.r.error);
  EXPECT_EQ(p.msg.max_forwards(), 68);
  EXPECT_EQ(p.msg.cseq_number(), 9u);
  EXPECT_EQ(p.msg.cseq_method(), "INVITE");
  EXPECT_EQ(p.msg.call_id(), "wsinv.ndaksdj@192.0.2.1");
  EXPECT_EQ(p.msg.count(HeaderId::via), 2);
  EXPECT_TRUE(p.msg.has(HeaderId::subject));
  EXPECT_EQ(p.msg.header(HeaderId::subject), "");
  const HeaderField* nf = p.msg.find_other("newfangledheader");
  ASSERT_NE(nf, nullptr);
  EXPECT_EQ(nf->value, "newfangled value\r\n continued newfangled value");
  EXPECT_EQ(p.msg.find_other("UnknownHeaderWithUnusualValue")->value, ";;,,;;,;");
  Via top;
  ASSERT_TRUE(parse_via(p.msg.header(HeaderId::via), top)) << p.msg.header(HeaderId::via);
  EXPECT_EQ(top.transport, "UDP");
  EXPECT_EQ(top.host, "192.0.2.2");
  EXPECT_TRUE(top.has_rport);
  EXPECT_EQ(top.branch, "z9hG4bKtorture1");
  const HeaderField* second = p.msg.next(*p.msg.find(HeaderId::via));
  ASSERT_NE(second, nullptr);
  Via v2;
  ASSERT_TRUE(parse_via(second->value, v2)) << second->value;
  EXPECT_EQ(v2.host, "spindle.example.com");
  EXPECT_EQ(v2.branch, "z9hG4bKtorture2");
  EXPECT_EQ(p.msg.body(), test::kSdp);
}

}  // namespace
}  // namespace duet::sip
