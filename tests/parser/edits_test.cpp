// EditList and the proxy edit helpers (RFC 3261 §16.6 forwarding, §16.7 responses). Every edited
// message is parsed again and checked.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "duet/sip/name_addr.hpp"
#include "duet/sip/values.hpp"
#include "duet/sip/via.hpp"
#include "duet/sip/writer.hpp"
#include "sip_test_util.hpp"

namespace duet::sip {
namespace {

using test::Parsed;
using test::with_body;
using Strings = std::vector<std::string>;

std::string edited(const EditList& e, std::string_view original) {
  std::string out(e.output_size(original) + 16, '\0');
  const std::size_t n = e.write(original, out.data(), out.size());
  out.resize(n);
  return out;
}

Strings values(const Message& m, HeaderId id) {
  Strings out;
  EXPECT_TRUE(for_each_value(m, id, [&](std::string_view v) {
    out.emplace_back(v);
    return true;
  }));
  return out;
}

std::string via_host(std::string_view v) {
  Via via;
  EXPECT_TRUE(parse_via(v, via)) << v;
  return std::string(via.host);
}

constexpr std::string_view kProxiedHead =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\n"
    "Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds\n"
    "Max-Forwards: 70\n"
    "Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\n"
    "Record-Route: <sip:rr0.example.com;lr>\n"
    "To: Bob <sip:bob@biloxi.example.com>\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\n"
    "CSeq: 314159 INVITE\n"
    "Contact: <sip:alice@pc33.atlanta.example.com>\n"
    "Content-Type: application/sdp\n";

TEST(EditList, RawEditsInAnyOrder) {
  const std::string_view original = "0123456789";
  EditList e;
  EXPECT_TRUE(e.add(8, 1, ""));      // delete '8'
  EXPECT_TRUE(e.add(2, 3, "ab"));    // replace "234"
  EXPECT_TRUE(e.add(0, 0, "X"));     // insert at start
  EXPECT_TRUE(e.add(10, 0, "END"));  // append
  EXPECT_EQ(e.size(), 4u);
  const std::string expected = "X01ab5679END";
  EXPECT_EQ(e.output_size(original), expected.size());
  EXPECT_EQ(edited(e, original), expected);

  Slice slices[2 * EditList::kMaxEdits + 1];
  const std::size_t n = e.slices(original, slices, std::size(slices));
  ASSERT_GT(n, 0u);
  ASSERT_LE(n, 2 * e.size() + 1);
  std::string joined;
  for (std::size_t i = 0; i < n; ++i) joined.append(slices[i].data, slices[i].size);
  EXPECT_EQ(joined, expected);
}

TEST(EditList, InsertsAtOneOffsetKeepTheOrderTheyWereAddedIn) {
  // Two header lines inserted before the same one (a Via and a Record-Route), with other edits
  // added before, between and after them out of offset order.
  const std::string_view original = "0123456789";
  EditList e;
  EXPECT_TRUE(e.add(9, 1, "n"));
  EXPECT_TRUE(e.add(4, 0, "A"));
  EXPECT_TRUE(e.add(1, 1, ""));
  EXPECT_TRUE(e.add(4, 0, "B"));
  EXPECT_TRUE(e.add(0, 0, "<"));
  EXPECT_TRUE(e.add(4, 0, "C"));
  EXPECT_TRUE(e.add(6, 2, "-"));
  EXPECT_EQ(edited(e, original), "<023ABC45-8n");
}

TEST(EditList, EmptyListCopiesTheOriginal) {
  EditList e;
  EXPECT_EQ(edited(e, "unchanged"), "unchanged");
  EXPECT_EQ(e.output_size("unchanged"), 9u);
}

TEST(EditList, OverlapsAreRefused) {
  EditList e;
  ASSERT_TRUE(e.add(2, 3, "ab"));
  EXPECT_FALSE(e.add(4, 2, "x"));  // starts inside [2,5)
  EXPECT_FALSE(e.add(0, 3, "x"));  // ends inside [2,5)
  EXPECT_FALSE(e.add(1, 6, "x"));  // covers it
  EXPECT_TRUE(e.add(5, 1, "y"));   // adjacent is fine
  EXPECT_EQ(edited(e, "0123456789"), "01aby6789");
}

TEST(EditList, CapacityAndSmallBuffer) {
  EditList e;
  for (std::uint32_t i = 0; i < EditList::kMaxEdits; ++i) ASSERT_TRUE(e.add(i * 2, 1, "")) << i;
  EXPECT_FALSE(e.add(100, 0, "x"));
  const std::string original(64, 'a');
  char tiny[4];
  EXPECT_EQ(e.write(original, tiny, sizeof tiny), 0u);
  EXPECT_EQ(edited(e, original).size(), 32u);
  e.clear();
  EXPECT_EQ(e.size(), 0u);
  EXPECT_EQ(edited(e, original), original);
}

TEST(Edits, PrependVia) {
  Parsed m(with_body(kProxiedHead, test::kSdp));
  ASSERT_TRUE(m.ok()) << reason(m.r.error);
  EditList e;
  ASSERT_TRUE(edit_prepend_via(e, m.msg, "Via: SIP/2.0/UDP duet.example.net;branch=z9hG4bKduet1\r\n"));
  Parsed out(edited(e, m.msg.raw()));
  ASSERT_TRUE(out.ok()) << reason(out.r.error) << "\n" << out.buf;
  const Strings v = values(out.msg, HeaderId::via);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(via_host(v[0]), "duet.example.net");
  EXPECT_EQ(via_host(v[1]), "pc33.atlanta.example.com");
  EXPECT_EQ(out.msg.body(), test::kSdp);
}

TEST(Edits, PrependViaAboveACompactViaThatIsNotTheFirstHeader) {
  const std::string head =
      "INVITE sip:bob@biloxi.example.com SIP/2.0\n"
      "Max-Forwards: 70\n"
      "Subject: the Via is not the first header\n"
      "v: SIP/2.0/TCP pc33.atlanta.example.com;branch=z9hG4bK1\n"
      "To: <sip:bob@biloxi.example.com>\n"
      "From: <sip:alice@atlanta.example.com>;tag=1\n"
      "Call-ID: pv-2\n"
      "CSeq: 1 INVITE\n";
  Parsed m(with_body(head, "x"));
  ASSERT_TRUE(m.ok()) << reason(m.r.error);
  EditList e;
  ASSERT_TRUE(edit_prepend_via(e, m.msg, "Via: SIP/2.0/UDP duet.example.net;branch=z9hG4bKduet2\r\n"));
  Parsed out(edited(e, m.msg.raw()));
  ASSERT_TRUE(out.ok()) << reason(out.r.error) << "\n" << out.buf;
  const Strings v = values(out.msg, HeaderId::via);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(via_host(v[0]), "duet.example.net");
  EXPECT_EQ(via_host(v[1]), "pc33.atlanta.example.com");
  EXPECT_EQ(out.msg.body(), "x");
}

TEST(Edits, SetMaxForwards) {
  Parsed m(with_body(kProxiedHead, test::kSdp));
  ASSERT_TRUE(m.ok());
  EditList e;
  ASSERT_TRUE(edit_set_max_forwards(e, m.msg, "69", "Max-Forwards: 69\r\n"));
  Parsed out(edited(e, m.msg.raw()));
  ASSERT_TRUE(out.ok()) << reason(out.r.error) << "\n" << out.buf;
  EXPECT_EQ(out.msg.max_forwards(), 69);
  EXPECT_EQ(out.msg.count(HeaderId::max_forwards), 1);
}

TEST(Edits, SetMaxForwardsWhenAbsent) {
  ParseOptions lenient;
  lenient.require_max_forwards = false;
  Parsed m(test::without_line(with_body(kProxiedHead, test::kSdp), "Max-Forwards:"), lenient);
  ASSERT_TRUE(m.ok()) << reason(m.r.error);
  ASSERT_EQ(m.msg.max_forwards(), -1);
  EditList e;
  ASSERT_TRUE(edit_set_max_forwards(e, m.msg, "69", "Max-Forwards: 69\r\n"));
  Parsed out(edited(e, m.msg.raw()));
  ASSERT_TRUE(out.ok()) << reason(out.r.error) << "\n" << out.buf;
  EXPECT_EQ(out.msg.max_forwards(), 69);
  EXPECT_EQ(out.msg.body(), test::kSdp);
}

TEST(Edits, RemoveFirstRouteFromMultiValueField) {
  Parsed m(with_body(kProxiedHead, test::kSdp));
  ASSERT_TRUE(m.ok());
  EditList e;
  ASSERT_TRUE(edit_remove_first_route(e, m.msg));
  Parsed out(edited(e, m.msg.raw()));
  ASSERT_TRUE(out.ok()) << reason(out.r.error) << "\n" << out.buf;
  EXPECT_EQ(values(out.msg, HeaderId::route), Strings{"<sip:p2.example.com;lr>"});
  EXPECT_EQ(out.msg.count(HeaderId::route), 1);
}

TEST(Edits, RemoveFirstRouteSingleValueField) {
  std::string msg =
      test::replace_line(with_body(kProxiedHead, test::kSdp),
                         "Route:", "Route: <sip:p1.example.com;lr>\r\nRoute: <sip:p2.example.com;lr>");
  Parsed m(msg);
  ASSERT_TRUE(m.ok()) << reason(m.r.error);
  ASSERT_EQ(m.msg.count(HeaderId::route), 2);
  EditList e;
  ASSERT_TRUE(edit_remove_first_route(e, m.msg));
  Parsed out(edited(e, m.msg.raw()));
  ASSERT_TRUE(out.ok()) << reason(out.r.error) << "\n" << out.buf;
  EXPECT_EQ(out.msg.count(HeaderId::route), 1);
  EXPECT_EQ(values(out.msg, HeaderId::route), Strings{"<sip:p2.example.com;lr>"});
  // The line went away whole: nothing else moved.
  EXPECT_EQ(out.buf.size(), m.buf.size() - std::string("Route: <sip:p1.example.com;lr>\r\n").size());
}

TEST(Edits, RemoveFirstRouteWithQuotedCommaAndFolding) {
  std::string msg =
      test::replace_line(with_body(kProxiedHead, test::kSdp), "Route:",
                         "Route: \"Edge, West\" <sip:p1.example.com;lr>,\r\n  <sip:p2.example.com;lr>,"
                         "<sip:p3.example.com;lr>");
  Parsed m(msg);
  ASSERT_TRUE(m.ok()) << reason(m.r.error);
  EditList e;
  ASSERT_TRUE(edit_remove_first_route(e, m.msg));
  Parsed out(edited(e, m.msg.raw()));
  ASSERT_TRUE(out.ok()) << reason(out.r.error) << "\n" << out.buf;
  EXPECT_EQ(values(out.msg, HeaderId::route),
            (Strings{"<sip:p2.example.com;lr>", "<sip:p3.example.com;lr>"}));
}

TEST(Edits, RemoveFirstRouteWithoutRoute) {
  Parsed m(test::invite());
  ASSERT_TRUE(m.ok());
  EditList e;
  EXPECT_FALSE(edit_remove_first_route(e, m.msg));
}

TEST(Edits, InsertRecordRouteFirst) {
  Parsed m(with_body(kProxiedHead, test::kSdp));
  ASSERT_TRUE(m.ok());
  EditList e;
  ASSERT_TRUE(edit_insert_first_header(e, m.msg, "Record-Route: <sip:duet.example.net;lr>\r\n"));
  Parsed out(edited(e, m.msg.raw()));
  ASSERT_TRUE(out.ok()) << reason(out.r.error) << "\n" << out.buf;
  EXPECT_EQ(values(out.msg, HeaderId::record_route),
            (Strings{"<sip:duet.example.net;lr>", "<sip:rr0.example.com;lr>"}));
  EXPECT_EQ(out.msg.start_line(), m.msg.start_line());
}

// The response's Vias after its top value is removed (§16.7 step 3), re-parsed.
Strings vias_after_removing_top(const std::string& response) {
  Parsed m(response);
  EXPECT_TRUE(m.ok());
  EditList e;
  EXPECT_TRUE(edit_remove_top_via(e, m.msg));
  Parsed out(edited(e, m.msg.raw()));
  EXPECT_TRUE(out.ok()) << reason(out.r.error) << "\n" << out.buf;
  return values(out.msg, HeaderId::via);
}

// The top value of a Via field with two (the field stays, with the other), and a Via field of its
// own (the field goes): either way one Via is left, the caller's.
TEST(Edits, RemoveTopViaValueOrField) {
  const std::string multi =
      "SIP/2.0 200 OK\n"
      "Via: SIP/2.0/UDP duet.example.net;branch=z9hG4bKduet1, SIP/2.0/UDP "
      "pc33.atlanta.example.com;branch=z9hG4bK7\n"
      "To: <sip:bob@biloxi.example.com>;tag=2\nFrom: <sip:alice@atlanta.example.com>;tag=1\n"
      "Call-ID: rv-1\nCSeq: 1 INVITE\n";
  for (const std::string& response : {with_body(multi), test::ok_response()}) {
    const Strings v = vias_after_removing_top(response);
    ASSERT_EQ(v.size(), 1u) << response;
    EXPECT_EQ(via_host(v[0]), "pc33.atlanta.example.com");
  }
}

// RFC 3581 §4 / RFC 3261 §18.2.1: the proxy passes the caller's Via on with received and the rport
// value its transport saw; only the top via-parm changes, together with our Via above it.
TEST(Edits, FixTopViaSetsReceivedAndRportOfTheTopValueOnly) {
  const std::string head =
      "INVITE sip:bob@biloxi.example.com SIP/2.0\n"
      "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK7;rport;x=\"a;b\", SIP/2.0/UDP "
      "edge.example.com;branch=z9hG4bK1\n"
      "Max-Forwards: 70\nTo: <sip:bob@biloxi.example.com>\nFrom: <sip:alice@atlanta.example.com>;tag=1\n"
      "Call-ID: fv-1\nCSeq: 1 INVITE\n";
  Parsed m(with_body(head));
  ASSERT_TRUE(m.ok());
  EditList e;
  char buf[256];
  ASSERT_TRUE(edit_prepend_via(e, m.msg, "Via: SIP/2.0/UDP duet.example.net;branch=z9hG4bKd1\r\n"));
  ASSERT_TRUE(edit_fix_top_via(e, m.msg, {"192.0.2.4", 5062}, buf, sizeof buf));
  Parsed out(edited(e, m.msg.raw()));
  ASSERT_TRUE(out.ok()) << reason(out.r.error) << "\n" << out.buf;
  EXPECT_EQ(
      values(out.msg, HeaderId::via),
      (Strings{"SIP/2.0/UDP duet.example.net;branch=z9hG4bKd1",
               "SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK7;x=\"a;b\";received=192.0.2.4;rport=5062",
               "SIP/2.0/UDP edge.example.com;branch=z9hG4bK1"}));
  // Without rport in the request, only received is added; with nothing to add, nothing is edited.
  Parsed plain(test::invite());
  ASSERT_TRUE(plain.ok());
  EditList e2;
  ASSERT_TRUE(edit_fix_top_via(e2, plain.msg, {"", 5062}, buf, sizeof buf));
  EXPECT_EQ(e2.size(), 0u);
  ASSERT_TRUE(edit_fix_top_via(e2, plain.msg, {"192.0.2.4", 5062}, buf, sizeof buf));
  Parsed out2(edited(e2, plain.msg.raw()));
  ASSERT_TRUE(out2.ok());
  EXPECT_NE(values(out2.msg, HeaderId::via)[0].find(";received=192.0.2.4"), std::string::npos);
  EXPECT_EQ(values(out2.msg, HeaderId::via)[0].find("rport"), std::string::npos);
  // A via-parm larger than the buffer goes on as it came.
  EditList e3;
  char tiny[8];
  ASSERT_TRUE(edit_fix_top_via(e3, m.msg, {"192.0.2.4", 5062}, tiny, sizeof tiny));
  EXPECT_EQ(e3.size(), 0u);
}

TEST(Edits, AppendHeader) {
  Parsed m(with_body(kProxiedHead, test::kSdp));
  ASSERT_TRUE(m.ok());
  EditList e;
  ASSERT_TRUE(edit_append_header(e, m.msg, "X-Duet-Site: west\r\n"));
  Parsed out(edited(e, m.msg.raw()), test::stream_opts());
  ASSERT_TRUE(out.ok()) << reason(out.r.error) << "\n" << out.buf;
  const HeaderField& last = out.msg.field(out.msg.header_count() - 1);
  EXPECT_EQ(last.name, "X-Duet-Site");
  EXPECT_EQ(last.value, "west");
  EXPECT_EQ(out.msg.body(), test::kSdp);
}

TEST(Edits, ContentLengthForADatagramWithoutOne) {
  // Forwarding a UDP request without Content-Length onto TCP needs one (§18.3, §20.14).
  const std::string msg = test::crlf(kProxiedHead) + "\r\n" + std::string(test::kSdp);
  Parsed m(msg);
  ASSERT_TRUE(m.ok());
  ASSERT_FALSE(m.msg.has_content_length());
  EditList e;
  const std::string line = "Content-Length: " + std::to_string(m.msg.body().size()) + "\r\n";
  ASSERT_TRUE(edit_append_header(e, m.msg, line));
  Parsed out(edited(e, m.msg.raw()), test::stream_opts());
  ASSERT_TRUE(out.ok()) << reason(out.r.error) << "\n" << out.buf;
  EXPECT_EQ(out.msg.body(), test::kSdp);
}

TEST(Edits, AllProxyEditsTogether) {
  // §16.6: Record-Route insert (step 4), Route pop (step 6 loose routing), Max-Forwards decrement
  // (step 3), Via prepend (step 8) on one message.
  Parsed m(with_body(kProxiedHead, test::kSdp));
  ASSERT_TRUE(m.ok());
  EditList e;
  ASSERT_TRUE(edit_insert_first_header(e, m.msg, "Record-Route: <sip:duet.example.net;lr>\r\n"));
  ASSERT_TRUE(edit_remove_first_route(e, m.msg));
  ASSERT_TRUE(edit_set_max_forwards(e, m.msg, "69", "Max-Forwards: 69\r\n"));
  ASSERT_TRUE(edit_prepend_via(e, m.msg, "Via: SIP/2.0/UDP duet.example.net;branch=z9hG4bKall\r\n"));
  const std::string out_text = edited(e, m.msg.raw());
  EXPECT_EQ(out_text.size(), e.output_size(m.msg.raw()));

  // The same bytes via slices (what sendmsg would see).
  Slice slices[2 * EditList::kMaxEdits + 1];
  const std::size_t n = e.slices(m.msg.raw(), slices, std::size(slices));
  std::string joined;
  for (std::size_t i = 0; i < n; ++i) joined.append(slices[i].data, slices[i].size);
  EXPECT_EQ(joined, out_text);

  Parsed out(out_text);
  ASSERT_TRUE(out.ok()) << reason(out.r.error) << "\n" << out.buf;
  const Strings v = values(out.msg, HeaderId::via);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(via_host(v[0]), "duet.example.net");
  EXPECT_EQ(out.msg.max_forwards(), 69);
  EXPECT_EQ(values(out.msg, HeaderId::route), Strings{"<sip:p2.example.com;lr>"});
  EXPECT_EQ(values(out.msg, HeaderId::record_route),
            (Strings{"<sip:duet.example.net;lr>", "<sip:rr0.example.com;lr>"}));
  EXPECT_EQ(out.msg.call_id(), m.msg.call_id());
  EXPECT_EQ(out.msg.body(), test::kSdp);
}

TEST(Edits, TooManyEditsReported) {
  Parsed m(with_body(kProxiedHead, test::kSdp));
  ASSERT_TRUE(m.ok());
  EditList e;
  for (std::uint32_t i = 0; i < EditList::kMaxEdits; ++i)
    ASSERT_TRUE(e.add(m.msg.header_end() + 2 + i, 0, "")) << i;
  EXPECT_FALSE(edit_append_header(e, m.msg, "X-Full: 1\r\n"));
}

}  // namespace
}  // namespace duet::sip
