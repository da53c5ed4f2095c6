// RFC 4475 "SIP Torture Test Messages" through duet's parser: every message of §3.1.1 (valid),
// §3.1.2 (invalid), §3.2, §3.3 and §3.4, byte for byte as the RFC's Appendix A archive has them
// (data/rfc4475/, see its README.md). Valid messages must parse and hand a proxy the views it
// needs (Request-URI, top Via, From, To, CSeq, Call-ID, Max-Forwards, body); invalid ones must be
// refused with the error that makes the server answer them as the RFC says. Where the RFC lets an
// element be liberal and duet's parser is, the comment says which layer refuses it instead (the
// server's answers are checked end to end by tests/e2e/rfc4475_e2e.py).
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "duet/sip/auth.hpp"
#include "duet/sip/framer.hpp"
#include "duet/sip/message.hpp"
#include "duet/sip/name_addr.hpp"
#include "duet/sip/params.hpp"
#include "duet/sip/transaction_key.hpp"
#include "duet/sip/uri.hpp"
#include "duet/sip/values.hpp"
#include "duet/sip/via.hpp"
#include "sip_test_util.hpp"

namespace duet::sip {
namespace {

using test::Parsed;
using namespace std::string_view_literals;

// The message named as in the RFC ("wsinv" is data/rfc4475/wsinv.dat).
std::string load(std::string_view name) {
  const std::string path = std::string(DUET_PARSER_TEST_DATA_DIR) + "/rfc4475/" + std::string(name) + ".dat";
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string rep(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

ParseOptions stream() {
  return test::stream_opts();
}

std::size_t count_values(const Message& m, HeaderId id) {
  std::size_t n = 0;
  for_each_value(m, id, [&](std::string_view) { return ++n, true; });
  return n;
}

// Every Via value parses (a proxy walks them all for loop detection and response routing).
void expect_all_vias_parse(const Message& m, std::size_t want) {
  std::size_t n = 0;
  EXPECT_TRUE(for_each_value(m, HeaderId::via, [&](std::string_view v) {
    Via via;
    EXPECT_TRUE(parse_via(v, via)) << v;
    return ++n, true;
  }));
  EXPECT_EQ(n, want);
}

// The checks shared by every valid request: it parses as a datagram and, if it states its length,
// as a stream frame of exactly its size; its Request-URI parses; the views parse() fills are there.
void expect_valid_request(const std::string& bytes, const Message& m) {
  ASSERT_TRUE(m.is_request());
  EXPECT_EQ(m.version(), "SIP/2.0");
  Uri ruri;
  EXPECT_TRUE(parse_uri(m.request_uri(), ruri)) << m.request_uri();
  EXPECT_TRUE(m.from().uri_parsed);
  EXPECT_TRUE(m.to().uri_parsed);
  EXPECT_FALSE(m.call_id().empty());
  EXPECT_EQ(m.cseq_method(), m.method());
  TransactionKey k;
  EXPECT_TRUE(make_transaction_key(m, k));
  if (m.has_content_length()) {
    Parsed st(bytes, stream());
    ASSERT_TRUE(st.ok()) << reason(st.r.error);
    EXPECT_EQ(st.r.consumed, bytes.size());
    const Frame f = next_frame(bytes);
    EXPECT_EQ(f.kind, FrameKind::message);
    EXPECT_EQ(f.size, bytes.size());
  }
}

// A message that must parse as a request with the views a proxy needs (expect_valid_request), or
// nullptr after reporting why not.
std::unique_ptr<Parsed> valid_request(std::string_view name) {
  auto d = std::make_unique<Parsed>(load(name));
  if (!d->ok()) {
    ADD_FAILURE() << name << ": " << reason(d->r.error);
    return nullptr;
  }
  expect_valid_request(d->buf, d->msg);
  return d;
}

void expect_refused(std::string_view name, ParseError want, bool stream_too = true) {
  const std::string bytes = load(name);
  Parsed d(bytes);
  EXPECT_EQ(d.r.status, ParseStatus::error) << name;
  EXPECT_EQ(d.r.error, want) << name;
  EXPECT_FALSE(reason(d.r.error).empty());
  if (stream_too) {
    Parsed st(bytes, stream());
    EXPECT_EQ(st.r.status, ParseStatus::error) << name << " (stream)";
    EXPECT_EQ(st.r.error, want) << name << " (stream)";
  }
}

TEST(rfc4475, ArchiveFilesAreThere) {
  // 49 messages, CRLF line ends in every header block (mpart01's binary body has bare LFs).
  const char* names[] = {
      "wsinv",    "intmeth",    "esc01",      "escnull",  "esc02",     "lwsdisp",  "longreq",
      "dblreq",   "semiuri",    "transports", "mpart01",  "unreason",  "noreason", "badinv01",
      "clerr",    "ncl",        "scalar02",   "scalarlg", "quotbal",   "ltgtruri", "lwsruri",
      "lwsstart", "trws",       "escruri",    "baddate",  "regbadct",  "badaspec", "baddn",
      "badvers",  "mismatch01", "mismatch02", "bigcode",  "badbranch", "insuf",    "unkscm",
      "novelsc",  "unksm2",     "bext01",     "invut",    "regaut01",  "multi01",  "mcl01",
      "bcast",    "zeromf",     "cparam01",   "cparam02", "regescrt",  "sdp01",    "inv2543"};
  EXPECT_EQ(std::size(names), 49u);
  for (const char* n : names) {
    const std::string s = load(n);
    ASSERT_GT(s.size(), 100u) << n;
    const std::size_t head_end = s.find("\r\n\r\n");
    const std::size_t head = head_end == std::string::npos ? s.size() : head_end;
    for (std::size_t i = 0; i < head; ++i) {
      if (s[i] == '\n') {
        ASSERT_EQ(s[i - 1], '\r') << n << " bare LF at " << i;
      }
    }
  }
}

// ---------------------------------------------------------------- §3.1.1 valid messages

TEST(rfc4475, Wsinv_3_1_1_1_ShortTortuousInvite) {
  const auto d = valid_request("wsinv");
  ASSERT_NE(d, nullptr);
  const Message& m = d->msg;
  EXPECT_EQ(m.method_id(), Method::invite);
  EXPECT_EQ(m.request_uri(), "sip:vivekg@chair-dnrc.example.com;unknownparam");
  Uri ruri;
  ASSERT_TRUE(parse_uri(m.request_uri(), ruri));
  EXPECT_EQ(ruri.user, "vivekg");
  EXPECT_EQ(ruri.host, "chair-dnrc.example.com");
  EXPECT_EQ(ruri.params, ";unknownparam");
  // "Via  : SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw": LWS and folding everywhere.
  EXPECT_EQ(m.top_via().protocol_name, "SIP");
  EXPECT_EQ(m.top_via().protocol_version, "2.0");
  EXPECT_EQ(m.top_via().transport, "UDP");
  EXPECT_EQ(m.top_via().host, "192.0.2.2");
  EXPECT_FALSE(m.top_via().has_port);
  EXPECT_EQ(m.top_via().branch, "390skdjuw");
  EXPECT_FALSE(m.top_via().rfc3261_branch());
  expect_all_vias_parse(m, 3);  // "Via" once, "v" with two comma-separated values
  EXPECT_EQ(m.count(HeaderId::via), 2u);
  {
    ValueSplitter split(m.next(*m.find(HeaderId::via))->value);
    std::string_view v;
    Via second, third;
    ASSERT_TRUE(split.next(v) && parse_via(v, second)) << v;
    ASSERT_TRUE(split.next(v) && parse_via(v, third)) << v;
    // "SIP  / 2.0  / TCP     spindle.example.com   ;\r\n  branch  =   z9hG4bK9ikj8"
    EXPECT_EQ(second.transport, "TCP");
    EXPECT_EQ(second.host, "spindle.example.com");
    EXPECT_EQ(second.branch, "z9hG4bK9ikj8");
    EXPECT_EQ(third.host, "192.168.255.111");  // "; branch=\r\n z9hG4bK30239"
    EXPECT_EQ(third.branch, "z9hG4bK30239");
  }
  // from   : "J Rosenberg \\\""       <sip:jdrosen@example.com>\r\n  ;\r\n  tag = 98asjd8
  EXPECT_EQ(m.from().display_name, R"("J Rosenberg \\\"")");
  EXPECT_EQ(m.from().uri_text, "sip:jdrosen@example.com");
  EXPECT_EQ(m.from().tag, "98asjd8");
  EXPECT_EQ(m.to().uri_text, "sip:vivekg@chair-dnrc.example.com");
  EXPECT_EQ(m.to().tag, "1918181833n");
  EXPECT_EQ(m.call_id(), "wsinv.ndaksdj@192.0.2.1");
  EXPECT_EQ(m.cseq_number(), 9u);  // "0009\r\n  INVITE"
  EXPECT_EQ(m.cseq_method(), "INVITE");
  EXPECT_EQ(m.max_forwards(), 68);  // "0068"
  EXPECT_EQ(m.body().size(), 150u);
  EXPECT_TRUE(m.has(HeaderId::subject));  // "s :" with an empty value
  EXPECT_EQ(m.header(HeaderId::subject), "");
  const HeaderField* nf = m.find_other("NewFangledHeader");
  ASSERT_NE(nf, nullptr);
  EXPECT_EQ(nf->value, "newfangled value\r\n continued newfangled value");
  const HeaderField* odd = m.find_other("UnknownHeaderWithUnusualValue");
  ASSERT_NE(odd, nullptr);
  EXPECT_EQ(odd->value, ";;,,;;,;");  // a proxy forwards it unchanged
  NameAddr route;
  ASSERT_TRUE(parse_name_addr(m.header(HeaderId::route), route));
  EXPECT_TRUE(route.uri.lr);
  EXPECT_EQ(route.uri.host, "services.example.com");
  NameAddr contact;  // m:"Quoted string \"\"" <sip:jdrosen@example.com> ; newparam =\r\n newvalue ; ...
  ASSERT_TRUE(parse_name_addr(m.header(HeaderId::contact), contact));
  EXPECT_EQ(contact.display_name, R"("Quoted string \"\"")");
  EXPECT_EQ(contact.uri_text, "sip:jdrosen@example.com");
  EXPECT_EQ(contact.q_value(), 330);
}

TEST(rfc4475, Intmeth_3_1_1_2_WideRangeOfValidCharacters) {
  const auto d = valid_request("intmeth");
  ASSERT_NE(d, nullptr);
  const Message& m = d->msg;
  // An unknown method: '%' is no escape here, so nothing makes it INVITE or anything else.
  EXPECT_EQ(m.method(), "!interesting-Method0123456789_*+`.%indeed'~");
  EXPECT_EQ(m.method_id(), Method::unknown);
  Uri ruri;
  ASSERT_TRUE(parse_uri(m.request_uri(), ruri));
  EXPECT_EQ(ruri.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
  EXPECT_EQ(ruri.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
  EXPECT_EQ(ruri.host, "example.com");
  EXPECT_EQ(m.top_via().transport, "TCP");
  EXPECT_EQ(m.top_via().host, "host1.example.com");
  EXPECT_EQ(m.top_via().branch, "z9hG4bK-.!%66*_+`'~");
  // A quoted-pair may escape BEL, NUL and DEL (the bytes 07, 00 and 7F follow the backslashes).
  EXPECT_EQ(m.to().display_name, "\"BEL:\\\x07 NUL:\\\0 DEL:\\\x7F\""sv);
  EXPECT_EQ(m.to().uri_text, "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@example.com");
  EXPECT_EQ(m.from().display_name, "token1~` token2'+_ token3*%!.-");
  EXPECT_EQ(m.from().uri_text, "sip:mundane@example.com");
  EXPECT_EQ(m.from().tag, "_token~1'+`*%!-.");
  // ;fromParam''~+*_!.-%="<UTF-8 for 'работающий'>": a token name, a quoted UTF-8 value.
  ParamIterator it(m.from().params);
  Param p;
  bool seen = false;
  while (it.next(p)) {
    if (p.name == "fromParam''~+*_!.-%") {
      seen = true;
      EXPECT_TRUE(p.quoted);
      EXPECT_EQ(p.value, "\xD1\x80\xD0\xB0\xD0\xB1\xD0\xBE\xD1\x82\xD0\xB0\xD1\x8E\xD1\x89\xD0\xB8\xD0\xB9");
    }
  }
  EXPECT_TRUE(it.ok());
  EXPECT_TRUE(seen);
  EXPECT_EQ(m.call_id(), R"(intmeth.word%ZK-!.*_+'@word`~)(><:\/"][?}{)");
  EXPECT_EQ(m.cseq_number(), 139122385u);
  EXPECT_EQ(m.max_forwards(), 255);
  const HeaderField* ext = m.find_other("extensionHeader-!.%*+_`'~");
  ASSERT_NE(ext, nullptr);
  EXPECT_EQ(ext->value, "\xEF\xBB\xBF\xE5\xA4\xA7\xE5\x81\x9C\xE9\x9B\xBB");
}

TEST(rfc4475, Esc01_3_1_1_3_ValidPercentEscaping) {
  const auto d = valid_request("esc01");
  ASSERT_NE(d, nullptr);
  const Message& m = d->msg;
  Uri ruri;
  ASSERT_TRUE(parse_uri(m.request_uri(), ruri));
  EXPECT_EQ(ruri.host, "example.net");
  EXPECT_TRUE(unescaped_equal(ruri.user, "sips:user@example.com", false)) << ruri.user;
  EXPECT_TRUE(unescaped_equal(m.to().uri.user, "user", false)) << m.to().uri.user;  // sip:%75se%72@
  EXPECT_TRUE(unescaped_equal(m.from().uri.user, "I have spaces", false));
  EXPECT_EQ(m.from().tag, "938");
  EXPECT_EQ(m.call_id(), "esc01.239409asdfakjkn23onasd0-3234");  // compact "i:"
  EXPECT_EQ(m.cseq_number(), 234234u);
  EXPECT_EQ(m.max_forwards(), 87);
  EXPECT_EQ(m.top_via().branch, "z9hG4bKkdjuw");
  EXPECT_EQ(m.header(HeaderId::content_type), "application/sdp");  // compact "C:"
  NameAddr c;
  ASSERT_TRUE(parse_name_addr(m.header(HeaderId::contact), c));
  EXPECT_TRUE(unescaped_equal(c.uri.user, "caller", false));
  // "value%41" is not "valueA": unescaping is never recursive (RFC 3986).
  EXPECT_EQ(c.uri.params, ";%6C%72;n%61me=v%61lue%25%34%31");
  EXPECT_EQ(m.body().size(), 150u);
}

TEST(rfc4475, Esc01_3_1_1_3_EscapedUriParameterNames) {
  const std::string bytes = load("esc01");
  Parsed d(bytes);
  ASSERT_TRUE(d.ok()) << reason(d.r.error);
  NameAddr c;
  ASSERT_TRUE(parse_name_addr(d.msg.header(HeaderId::contact), c));
  Uri value_a, value_pct41;
  ASSERT_TRUE(parse_uri("sip:caller@host5.example.net;lr;name=valueA", value_a));
  ASSERT_TRUE(parse_uri("sip:caller@host5.example.net;lr;name=value%2541", value_pct41));
  // RFC 3261 §19.1.4: an escaped character is the character, in parameter names too.
  EXPECT_TRUE(c.uri.lr);  // ;%6C%72 is ;lr
  Param name;
  ASSERT_TRUE(find_param(c.uri.params, "name", name));  // ;n%61me=
  // v%61lue%25%34%31 is "value%41" (compared with "value%2541", which unescapes to the same).
  EXPECT_TRUE(unescaped_equal(name.value, "value%2541", false)) << name.value;
  EXPECT_FALSE(uri_equal(c.uri, value_a));  // value%41 is not valueA: unescaping is not recursive
  EXPECT_TRUE(uri_equal(c.uri, value_pct41));
}

TEST(rfc4475, Escnull_3_1_1_4_EscapedNullsInUris) {
  const auto d = valid_request("escnull");
  ASSERT_NE(d, nullptr);
  const Message& m = d->msg;
  EXPECT_EQ(m.method_id(), Method::register_);
  EXPECT_EQ(m.to().uri.user, "null-%00-null");
  EXPECT_TRUE(unescaped_equal(m.to().uri.user, "null-\0-null"sv, false));
  EXPECT_FALSE(unescaped_equal(m.to().uri.user, "null-"sv, false));  // not cut short at the NUL
  EXPECT_EQ(m.from().tag, "839923423");
  EXPECT_EQ(m.cseq_number(), 14398234u);
  // Two distinct contacts: sip:%00@ and sip:%00%00@.
  NameAddr c1, c2;
  const HeaderField* f1 = m.find(HeaderId::contact);
  ASSERT_NE(f1, nullptr);
  const HeaderField* f2 = m.next(*f1);
  ASSERT_NE(f2, nullptr);
  ASSERT_TRUE(parse_name_addr(f1->value, c1));
  ASSERT_TRUE(parse_name_addr(f2->value, c2));
  EXPECT_EQ(c1.uri.user, "%00");
  EXPECT_EQ(c2.uri.user, "%00%00");
  EXPECT_FALSE(uri_equal(c1.uri, c2.uri));
  EXPECT_TRUE(m.has_content_length());  // "L:0"
  EXPECT_TRUE(m.body().empty());
}

TEST(rfc4475, Esc02_3_1_1_5_PercentThatIsNotAnEscape) {
  const auto d = valid_request("esc02");
  ASSERT_NE(d, nullptr);
  const Message& m = d->msg;
  // RE%47IST%45R is an unknown method, not REGISTER.
  EXPECT_EQ(m.method(), "RE%47IST%45R");
  EXPECT_EQ(m.method_id(), Method::unknown);
  EXPECT_EQ(m.cseq_method(), "RE%47IST%45R");
  EXPECT_EQ(m.to().display_name, R"("%Z%45")");
  EXPECT_EQ(m.from().display_name, R"("%Z%45")");
  EXPECT_EQ(m.from().tag, "f232jadfj23");
  EXPECT_EQ(m.top_via().branch, "z9hG4bK209%fzsnel234");
  // Two Contact values; "C%6Fntact" is a header of its own.
  EXPECT_EQ(count_values(m, HeaderId::contact), 2u);
  const HeaderField* other = m.find_other("C%6Fntact");
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->value, "<sip:alias2@host2.example.com>");
}

TEST(rfc4475, Lwsdisp_3_1_1_6_NoLwsBetweenDisplayNameAndLess) {
  const auto d = valid_request("lwsdisp");
  ASSERT_NE(d, nullptr);
  const Message& m = d->msg;
  EXPECT_EQ(m.method_id(), Method::options);
  EXPECT_EQ(m.from().display_name, "caller");  // From: caller<sip:caller@example.com>;tag=323
  EXPECT_EQ(m.from().uri_text, "sip:caller@example.com");
  EXPECT_EQ(m.from().tag, "323");
  EXPECT_EQ(m.to().uri_text, "sip:user@example.com");
  EXPECT_EQ(m.call_id(), "lwsdisp.1234abcd@funky.example.com");
  EXPECT_EQ(m.top_via().host, "funky.example.com");
}

TEST(rfc4475, Longreq_3_1_1_7_LongValuesInHeaderFields) {
  const auto d = valid_request("longreq");
  ASSERT_NE(d, nullptr);
  const Message& m = d->msg;
  EXPECT_EQ(m.to().display_name, "\"I have a user name of " + rep("extreme", 10) + " proportion\"");
  EXPECT_EQ(m.to().uri.port, 6000);
  EXPECT_EQ(m.to().uri.params, ";unknownparam1=very" + rep("long", 20) + "value;longparam" + rep("name", 25) +
                                   "=shortvalue;very" + rep("long", 25) + "ParameterNameWithNoValue");
  EXPECT_EQ(m.from().uri_text, "sip:" + rep("amazinglylongcallername", 5) + "@example.net");  // "F:", no <>
  EXPECT_EQ(m.from().tag, "12" + rep("982", 50) + "424");
  EXPECT_EQ(m.call_id(), "longreq.one" + rep("really", 20) + "longcallid");
  const HeaderField* unk = m.find_other("Unknown-" + rep("Long", 20) + "-Name");
  ASSERT_NE(unk, nullptr);
  // 34 Via values under every spelling of the name (Via, v, V, ViA, "V :", ...): the topmost has
  // no branch (an RFC 2543 transaction), the last a 200-character one.
  EXPECT_EQ(m.top_via().host, "sip33.example.com");
  EXPECT_FALSE(m.top_via().has_branch);
  expect_all_vias_parse(m, 34);
  std::string_view last;
  for_each_value(m, HeaderId::via, [&](std::string_view v) { return last = v, true; });
  Via lv;
  ASSERT_TRUE(parse_via(last, lv));
  EXPECT_EQ(lv.branch, "very" + rep("long", 50) + "branchvalue");
  EXPECT_EQ(lv.received, "192.0.2.5");
  TransactionKey k;
  ASSERT_TRUE(make_transaction_key(m, k));
  EXPECT_FALSE(k.rfc3261);
  NameAddr c;
  ASSERT_TRUE(parse_name_addr(m.header(HeaderId::contact), c));
  EXPECT_EQ(c.uri.user, rep("amazinglylongcallername", 5));
  EXPECT_EQ(m.body().size(), 150u);  // "l: 150"
}

TEST(rfc4475, Dblreq_3_1_1_8_ExtraTrailingOctetsInUdpDatagram) {
  const std::string bytes = load("dblreq");
  Parsed d(bytes);
  ASSERT_TRUE(d.ok()) << reason(d.r.error);
  const Message& m = d.msg;
  // Content-Length: 0 ends the REGISTER; the INVITE after it is noise in a datagram (§18.3).
  EXPECT_EQ(m.method_id(), Method::register_);
  EXPECT_TRUE(m.body().empty());
  const std::size_t register_end = bytes.find("\r\n\r\n") + 4;
  EXPECT_EQ(m.raw(), std::string_view(bytes).substr(0, register_end));
  EXPECT_EQ(m.call_id(), "dblreq.0ha0isndaksdj99sdfafnl3lk233412");  // compact "I:"
  EXPECT_EQ(m.max_forwards(), 8);
  EXPECT_EQ(m.to().uri_text, "sip:j.user@example.com");
  NameAddr c;
  ASSERT_TRUE(parse_name_addr(m.header(HeaderId::contact), c));
  EXPECT_EQ(c.uri_text, "sip:j.user@host.example.com");
  // On a stream the same bytes are two messages, the REGISTER and then the INVITE.
  Parsed st(bytes, stream());
  ASSERT_TRUE(st.ok()) << reason(st.r.error);
  EXPECT_EQ(st.r.consumed, register_end);
  Parsed second(bytes.substr(register_end), stream());
  ASSERT_TRUE(second.ok()) << reason(second.r.error);
  EXPECT_EQ(second.msg.method_id(), Method::invite);
  EXPECT_EQ(second.msg.body().size(), 150u);
}

TEST(rfc4475, Semiuri_3_1_1_9_SemicolonSeparatedParamsInUriUserPart) {
  const auto d = valid_request("semiuri");
  ASSERT_NE(d, nullptr);
  const Message& m = d->msg;
  Uri ruri;
  ASSERT_TRUE(parse_uri(m.request_uri(), ruri));
  // The user part is "user;par=u@example.net", not "user" with a parameter.
  EXPECT_EQ(ruri.user, "user;par=u%40example.net");
  EXPECT_TRUE(unescaped_equal(ruri.user, "user;par=u@example.net", false));
  EXPECT_EQ(ruri.host, "example.com");
  EXPECT_TRUE(ruri.params.empty());
  EXPECT_EQ(m.max_forwards(), 3);
  EXPECT_EQ(count_values(m, HeaderId::accept), 6u);  // folded over three lines
}

TEST(rfc4475, Transports_3_1_1_10_VariedAndUnknownTransportTypes) {
  const auto d = valid_request("transports");
  ASSERT_NE(d, nullptr);
  const Message& m = d->msg;
  EXPECT_EQ(m.call_id(), "transports.kijh4akdnaqjkwendsasfdj");
  const char* want[] = {"UDP", "SCTP", "TLS", "UNKNOWN", "TCP"};
  std::size_t i = 0;
  for_each_value(m, HeaderId::via, [&](std::string_view v) {
    Via via;
    EXPECT_TRUE(parse_via(v, via)) << v;
    if (i < std::size(want)) {
      EXPECT_EQ(via.transport, want[i]);
    }
    return ++i, true;
  });
  EXPECT_EQ(i, 5u);
  EXPECT_EQ(m.top_via().host, "t1.example.com");
}

TEST(rfc4475, Mpart01_3_1_1_11_MultipartMimeMessage) {
  const auto d = valid_request("mpart01");
  ASSERT_NE(d, nullptr);
  const Message& m = d->msg;
  EXPECT_EQ(m.method_id(), Method::message);
  EXPECT_EQ(m.top_via().host, "127.0.0.1");
  EXPECT_EQ(m.top_via().port, 5070);
  EXPECT_TRUE(m.top_via().has_rport);
  EXPECT_EQ(m.top_via().branch, "z9hG4bK-d87543-4dade06d0bdb11ee-1--d87543-");
  EXPECT_EQ(m.call_id(), "3d9485ad0c49859b@Zmx1ZmZ5LW1hYy0xNi5sb2NhbA..");
  EXPECT_EQ(m.header(HeaderId::content_type), "multipart/mixed;boundary=7a9cbec02ceef655");
  // The binary part holds NULs and bare LFs; Content-Length alone frames the body.
  ASSERT_EQ(m.body().size(), 553u);
  EXPECT_NE(m.body().find('\0'), std::string_view::npos);
  EXPECT_EQ(m.body(), std::string_view(d->buf).substr(d->buf.size() - 553));
  EXPECT_EQ(m.body().substr(0, 18), "--7a9cbec02ceef655");
  EXPECT_TRUE(m.has(HeaderId::identity));
}

TEST(rfc4475, Unreason_3_1_1_12_UnusualReasonPhrase) {
  const std::string bytes = load("unreason");
  Parsed d(bytes);
  ASSERT_TRUE(d.ok()) << reason(d.r.error);
  const Message& m = d.msg;
  ASSERT_TRUE(m.is_response());
  EXPECT_EQ(m.status_code(), 200);
  EXPECT_EQ(
      m.reason_phrase(),
      "= 2**3 * 5**2 \xD0\xBD\xD0\xBE \xD1\x81\xD1\x82\xD0\xBE "
      "\xD0\xB4\xD0\xB5\xD0\xB2\xD1\x8F\xD0\xBD\xD0\xBE"
      "\xD1\x81\xD1\x82\xD0\xBE \xD0\xB4\xD0\xB5\xD0\xB2\xD1\x8F\xD1\x82\xD1\x8C - \xD0\xBF\xD1\x80\xD0\xBE"
      "\xD1\x81\xD1\x82\xD0\xBE\xD0\xB5");
  EXPECT_EQ(m.top_via().branch, "z9hG4bK1324923");
  EXPECT_EQ(m.cseq_number(), 35u);
  EXPECT_EQ(m.cseq_method(), "INVITE");
  EXPECT_EQ(m.to().tag, "2229");
  EXPECT_EQ(m.body().size(), 154u);
  Parsed st(bytes, stream());
  EXPECT_TRUE(st.ok()) << reason(st.r.error);
}

TEST(rfc4475, Noreason_3_1_1_13_EmptyReasonPhrase) {
  const std::string bytes = load("noreason");
  Parsed d(bytes);
  ASSERT_TRUE(d.ok()) << reason(d.r.error);
  const Message& m = d.msg;
  ASSERT_TRUE(m.is_response());
  EXPECT_EQ(m.start_line(), "SIP/2.0 100 ");
  EXPECT_EQ(m.status_code(), 100);
  EXPECT_EQ(m.reason_phrase(), "");
  EXPECT_EQ(m.top_via().branch, "z9hG4bK2398ndaoe");
  EXPECT_EQ(m.call_id(), "noreason.asndj203insdf99223ndf");
}

// Every message the RFC calls well-formed (all of §3.1.1 and the valid ones of §3.2-§3.3): each of
// its Via values parses, and so does each Contact, Route and Record-Route value (a proxy reads them
// all); the typed views never disagree with parse() about a message parse() accepted.
const char* const kWellFormed[] = {"wsinv",    "intmeth",   "esc01",   "escnull",    "esc02",    "lwsdisp",
                                   "longreq",  "dblreq",    "semiuri", "transports", "mpart01",  "unreason",
                                   "noreason", "badbranch", "unkscm",  "novelsc",    "unksm2",   "bext01",
                                   "invut",    "regaut01",  "bcast",   "zeromf",     "cparam01", "cparam02",
                                   "regescrt", "sdp01"};

TEST(rfc4475, WellFormedMessagesHaveWellFormedViews) {
  for (const char* name : kWellFormed) {
    const std::string bytes = load(name);
    Parsed d(bytes);
    ASSERT_TRUE(d.ok()) << name << ": " << reason(d.r.error);
    EXPECT_TRUE(for_each_value(d.msg, HeaderId::via, [&](std::string_view v) {
      Via via;
      EXPECT_TRUE(parse_via(v, via)) << name << ": " << v;
      return true;
    })) << name;
    for (HeaderId id : {HeaderId::contact, HeaderId::route, HeaderId::record_route}) {
      EXPECT_TRUE(for_each_value(d.msg, id, [&](std::string_view v) {
        NameAddr na;
        EXPECT_TRUE(parse_name_addr(v, na)) << name << ": " << v;
        return true;
      })) << name;
    }
  }
}

TEST(rfc4475, WellFormedMessagesPipelinedOnOneStream) {
  // Back to back on one TCP stream (dblreq aside: its trailing INVITE has 5 bytes more than its
  // Content-Length says), the framer cuts exactly the messages and each parses as it did alone.
  std::string wire;
  std::vector<std::size_t> sizes;
  for (const char* name : kWellFormed) {
    if (std::string_view(name) == "dblreq") continue;
    const std::string s = load(name);
    sizes.push_back(s.size());
    wire += s;
  }
  std::string_view rest = wire;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    const Frame f = next_frame(rest);
    ASSERT_EQ(f.kind, FrameKind::message) << i << ": " << reason(f.error);
    ASSERT_EQ(f.size, sizes[i]) << i;
    Parsed p(std::string(rest.substr(0, f.size)), stream());
    EXPECT_TRUE(p.ok()) << i << ": " << reason(p.r.error);
    rest.remove_prefix(f.size);
  }
  EXPECT_TRUE(rest.empty());
}

// ---------------------------------------------------------------- §3.1.2 invalid messages

TEST(rfc4475, Badinv01_3_1_2_1_ExtraneousHeaderFieldSeparators) {
  // "Via: SIP/2.0/UDP 192.0.2.15;;,;,,": 400.
  expect_refused("badinv01", ParseError::bad_via);
  // The Contact "Joe" <sip:joe@example.org>;;;; is malformed too.
  NameAddr c;
  EXPECT_FALSE(parse_name_addr(R"("Joe" <sip:joe@example.org>;;;;)", c));
}

TEST(rfc4475, Clerr_3_1_2_2_ContentLengthLargerThanMessage) {
  const std::string bytes = load("clerr");
  // Over UDP: 400. Over a stream: wait for the rest (the transport's idle timeout ends the wait).
  Parsed d(bytes);
  EXPECT_EQ(d.r.status, ParseStatus::error);
  EXPECT_EQ(d.r.error, ParseError::body_truncated);
  Parsed st(bytes, stream());
  EXPECT_EQ(st.r.status, ParseStatus::need_more);
  EXPECT_EQ(next_frame(bytes).kind, FrameKind::need_more);
}

TEST(rfc4475, Ncl_3_1_2_3_NegativeContentLength) {
  // Content-Length: -999. An error in both modes; on a stream the framer gives up on the stream.
  expect_refused("ncl", ParseError::bad_content_length);
  const Frame f = next_frame(load("ncl"));
  EXPECT_EQ(f.kind, FrameKind::error);
}

TEST(rfc4475, Escruri_3_1_2_11_EscapedHeadersInSipRequestUri) {
  // The RFC allows a 400 or ignoring the escaped headers. The parser accepts it (headers are a
  // legal part of a SIP URI in general); the proxy never copies a Request-URI's headers into the
  // request it forwards (it sends the request to the registered contact instead).
  const std::string bytes = load("escruri");
  Parsed d(bytes);
  ASSERT_TRUE(d.ok()) << reason(d.r.error);
  Uri ruri;
  ASSERT_TRUE(parse_uri(d.msg.request_uri(), ruri));
  EXPECT_EQ(ruri.user, "user");
  EXPECT_EQ(ruri.host, "example.com");
  EXPECT_EQ(ruri.headers, "Route=%3Csip:example.com%3E");
}

TEST(rfc4475, Baddate_3_1_2_12_InvalidTimeZoneInDateHeader) {
  // "Date: Fri, 01 Jan 2010 16:00:00 EST": the proxy does not use Date, so it is ignored (one of
  // the RFC's choices); the parser does not look at it.
  const auto d = valid_request("baddate");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->msg.header(HeaderId::date), "Fri, 01 Jan 2010 16:00:00 EST");
}

TEST(rfc4475, Regbadct_3_1_2_13_NameAddrUriNotEnclosedInAngleBrackets) {
  // Contact: sip:user@example.com?Route=%3Csip:sip.example.com%3E without <>. parse() does not
  // parse Contact; the Contact view refuses it, so the registrar answers 400 (Invalid Contact).
  const std::string bytes = load("regbadct");
  Parsed d(bytes);
  ASSERT_TRUE(d.ok()) << reason(d.r.error);
  NameAddr c;
  EXPECT_FALSE(parse_name_addr(d.msg.header(HeaderId::contact), c));
}

TEST(rfc4475, Baddn_3_1_2_15_NonTokenCharactersInDisplayName) {
  // The archive's baddn.dat ends after "l: 0\r\n": the empty line that ends the header block is
  // missing (the RFC text shows it as the end of the figure). As a datagram that alone is a 400;
  // on a stream the message is not complete yet.
  const std::string bytes = load("baddn");
  Parsed d(bytes);
  EXPECT_EQ(d.r.status, ParseStatus::error);
  EXPECT_EQ(d.r.error, ParseError::unterminated_headers);
  Parsed st(bytes, stream());
  EXPECT_EQ(st.r.status, ParseStatus::need_more);
  // With its empty line, the unquoted display name "Bell, Alexander" is what refuses it.
  Parsed whole(bytes + "\r\n");
  EXPECT_EQ(whole.r.status, ParseStatus::error);
  EXPECT_EQ(whole.r.error, ParseError::bad_from);
}

// The messages that are refused and nothing more: the file, the parser's error (the transport
// answers it with 400 and its reason, 505 for the version, or drops a response), and why.
struct Refused {
  const char* test;  // the test's name: the RFC 4475 file, section and title
  const char* file;
  ParseError error;
  const char* why;
};

const Refused kRefused[] = {
    {"Scalar02_3_1_2_4_RequestScalarFieldsWithOverlargeValues", "scalar02", ParseError::bad_cseq,
     R"w(CSeq 36893488147419103232 > 2**32-1: 400 for the CSeq (Max-Forwards 300, Expires 10**100 and expires=280297596632815 would each be tolerable alone).)w"},
    {"Scalarlg_3_1_2_5_ResponseScalarFieldsWithOverlargeValues", "scalarlg", ParseError::bad_cseq,
     R"w(A response: refused here, and the transport drops a malformed response without answering.)w"},
    {"Quotbal_3_1_2_6_UnterminatedQuotedStringInDisplayName", "quotbal", ParseError::bad_to,
     R"w(To: "Mr. J. User <sip:j.user@example.com>: 400 (duet infers no closing quote).)w"},
    {"Ltgtruri_3_1_2_7_AngleBracketsEnclosingRequestUri", "ltgtruri", ParseError::bad_request_uri, R"w()w"},
    {"Lwsruri_3_1_2_8_EmbeddedLwsInRequestUri", "lwsruri", ParseError::bad_request_uri,
     R"w("INVITE sip:user@example.com; lr SIP/2.0": 400.)w"},
    {"Lwsstart_3_1_2_9_MultipleSpSeparatingRequestLineElements", "lwsstart", ParseError::bad_request_uri,
     R"w("INVITE  sip:user@example.com  SIP/2.0": the RFC allows rejecting it; duet does (400).)w"},
    {"Trws_3_1_2_10_SpAtEndOfRequestLine", "trws", ParseError::bad_start_line,
     R"w("SIP/2.0  " then CRLF: the RFC allows rejecting it; duet does (400).)w"},
    {"Badaspec_3_1_2_14_SpacesWithinAddrSpec", "badaspec", ParseError::bad_to,
     R"w(To: "Watson, Thomas" < sip:t.watson@example.org >: 400.)w"},
    {"Badvers_3_1_2_16_UnknownProtocolVersion", "badvers", ParseError::unsupported_version,
     R"w(SIP/7.0: unsupported_version, which the server answers with 505.)w"},
    {"Mismatch01_3_1_2_17_StartLineAndCSeqMethodMismatch", "mismatch01", ParseError::cseq_method_mismatch,
     R"w()w"},
    {"Mismatch02_3_1_2_18_UnknownMethodWithCSeqMethodMismatch", "mismatch02",
     ParseError::cseq_method_mismatch,
     R"w(NEWMETHOD with "CSeq: 8 INVITE": the RFC prefers 501 and accepts 400; duet answers 400.)w"},
    {"Bigcode_3_1_2_19_OverlargeResponseCode", "bigcode", ParseError::bad_status_code,
     R"w(SIP/2.0 4294967301: refused (and, being a response, dropped without an answer).)w"},
    {"Multi01_3_3_8_MultipleValuesInSingleValueRequiredFields", "multi01", ParseError::duplicate_header,
     R"w()w"},
};

class RefusedMessage : public ::testing::TestWithParam<Refused> {};

TEST_P(RefusedMessage, IsRefusedWithItsError) {
  SCOPED_TRACE(GetParam().why);
  expect_refused(GetParam().file, GetParam().error);
}

INSTANTIATE_TEST_SUITE_P(rfc4475, RefusedMessage, ::testing::ValuesIn(kRefused),
                         [](const ::testing::TestParamInfo<Refused>& i) {
                           return std::string(i.param.test);
                         });

// ---------------------------------------------------------------- §3.2 transaction layer

TEST(rfc4475, Badbranch_3_2_1_MissingTransactionIdentifier) {
  // branch=z9hG4bK with nothing after the cookie: not an RFC 3261 branch, so the transaction key
  // falls back to RFC 2543 matching (one of the RFC's two choices, the other being a 400).
  const auto d = valid_request("badbranch");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->msg.top_via().branch, "z9hG4bK");
  EXPECT_FALSE(d->msg.top_via().rfc3261_branch());
  TransactionKey k;
  ASSERT_TRUE(make_transaction_key(d->msg, k));
  EXPECT_FALSE(k.rfc3261);
  EXPECT_EQ(k.call_id, "badbranch.sadonfo23i420jv0as0derf3j3n");
}

// ---------------------------------------------------------------- §3.3 application layer

TEST(rfc4475, Insuf_3_3_1_MissingRequiredHeaderFields) {
  // No Call-ID, From or To: 400 (whichever is reported first).
  const std::string bytes = load("insuf");
  Parsed d(bytes);
  EXPECT_EQ(d.r.status, ParseStatus::error);
  EXPECT_TRUE(d.r.error == ParseError::missing_from || d.r.error == ParseError::missing_to ||
              d.r.error == ParseError::missing_call_id)
      << reason(d.r.error);
}

TEST(rfc4475, Unkscm_3_3_2_RequestUriWithUnknownScheme) {
  // Well-formed; the proxy answers 416.
  const auto d = valid_request("unkscm");
  ASSERT_NE(d, nullptr);
  Uri ruri;
  ASSERT_TRUE(parse_uri(d->msg.request_uri(), ruri));
  EXPECT_EQ(ruri.scheme, UriScheme::other);
  EXPECT_EQ(ruri.scheme_text, "nobodyKnowsThisScheme");
  EXPECT_EQ(d->msg.to().uri_text, "sip:user@example.com");  // never used for routing
}

TEST(rfc4475, Novelsc_3_3_3_RequestUriWithKnownButAtypicalScheme) {
  const auto d = valid_request("novelsc");
  ASSERT_NE(d, nullptr);
  Uri ruri;
  ASSERT_TRUE(parse_uri(d->msg.request_uri(), ruri));
  EXPECT_EQ(ruri.scheme, UriScheme::other);
  EXPECT_EQ(ruri.scheme_text, "soap.beep");
}

TEST(rfc4475, Unksm2_3_3_4_UnknownUriSchemesInHeaderFields) {
  // Syntactically valid: To: isbn:..., From: <http://...>, Contact: <name:...>. The registrar
  // answers 400 (an AOR must be a SIP or SIPS URI).
  const std::string bytes = load("unksm2");
  Parsed d(bytes);
  ASSERT_TRUE(d.ok()) << reason(d.r.error);
  const Message& m = d.msg;
  EXPECT_EQ(m.to().uri.scheme, UriScheme::other);
  EXPECT_EQ(m.to().uri_text, "isbn:2983792873");
  EXPECT_EQ(m.from().uri.scheme, UriScheme::other);
  EXPECT_EQ(m.from().uri_text, "http://www.example.com");
  EXPECT_EQ(m.from().tag, "3234233");
  NameAddr c;
  ASSERT_TRUE(parse_name_addr(m.header(HeaderId::contact), c));
  EXPECT_EQ(c.uri.scheme, UriScheme::other);
  EXPECT_EQ(c.uri_text, "name:John_Smith");
}

TEST(rfc4475, Bext01_3_3_5_ProxyRequireAndRequire) {
  // Well-formed; the proxy answers 420 listing the Proxy-Require tags.
  const auto d = valid_request("bext01");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->msg.header(HeaderId::proxy_require), "noProxiesSupportThis, norDoAnyProxiesSupportThis");
  EXPECT_TRUE(token_list_contains(d->msg.header(HeaderId::require), "nothingSupportsThisEither"));
  EXPECT_EQ(d->msg.top_via().transport, "TLS");
}

TEST(rfc4475, Invut_3_3_6_UnknownContentType) {
  const auto d = valid_request("invut");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->msg.header(HeaderId::content_type), "application/unknownformat");
  EXPECT_EQ(d->msg.body().size(), 40u);
}

TEST(rfc4475, Regaut01_3_3_7_UnknownAuthorizationScheme) {
  const auto d = valid_request("regaut01");
  ASSERT_NE(d, nullptr);
  DigestCredentials cr;
  ASSERT_TRUE(parse_credentials(d->msg.header(HeaderId::authorization), cr));
  EXPECT_EQ(cr.scheme, "NoOneKnowsThisScheme");
  EXPECT_TRUE(d->msg.has_content_length());  // "Content-Length:0"
}

TEST(rfc4475, Mcl01_3_3_9_MultipleContentLengthValues) {
  // 13 and 5: an error; on a stream the framer gives up on the connection.
  expect_refused("mcl01", ParseError::conflicting_content_length);
  EXPECT_EQ(next_frame(load("mcl01")).kind, FrameKind::error);
}

TEST(rfc4475, Bcast_3_3_10_ResponseWithBroadcastVia) {
  // Well-formed; the proxy drops it (it answers no request of ours).
  const std::string bytes = load("bcast");
  Parsed d(bytes);
  ASSERT_TRUE(d.ok()) << reason(d.r.error);
  ASSERT_TRUE(d.msg.is_response());
  EXPECT_EQ(d.msg.status_code(), 200);
  const HeaderField* v1 = d.msg.find(HeaderId::via);
  ASSERT_NE(v1, nullptr);
  const HeaderField* v2 = d.msg.next(*v1);
  ASSERT_NE(v2, nullptr);
  Via second;
  ASSERT_TRUE(parse_via(v2->value, second));
  EXPECT_EQ(second.host, "255.255.255.255");
}

TEST(rfc4475, Zeromf_3_3_11_MaxForwardsOfZero) {
  const auto d = valid_request("zeromf");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->msg.max_forwards(), 0);  // the proxy answers 483
}

TEST(rfc4475, Cparam01_3_3_12_RegisterWithContactHeaderParameter) {
  // Contact: sip:+19725552222@gw1.example.net;unknownparam without <>: unknownparam is a
  // contact-param, not part of the URI.
  const auto d = valid_request("cparam01");
  ASSERT_NE(d, nullptr);
  NameAddr c;
  ASSERT_TRUE(parse_name_addr(d->msg.header(HeaderId::contact), c));
  EXPECT_FALSE(c.angle_brackets);
  EXPECT_EQ(c.uri_text, "sip:+19725552222@gw1.example.net");
  EXPECT_TRUE(c.uri.params.empty());
  EXPECT_EQ(c.params, ";unknownparam");
}

TEST(rfc4475, Cparam02_3_3_13_RegisterWithUrlParameter) {
  const auto d = valid_request("cparam02");
  ASSERT_NE(d, nullptr);
  NameAddr c;
  ASSERT_TRUE(parse_name_addr(d->msg.header(HeaderId::contact), c));
  EXPECT_EQ(c.uri_text, "sip:+19725552222@gw1.example.net;unknownparam");
  EXPECT_EQ(c.uri.params, ";unknownparam");
  EXPECT_TRUE(c.params.empty());
}

TEST(rfc4475, Regescrt_3_3_14_RegisterWithUrlEscapedHeader) {
  const auto d = valid_request("regescrt");
  ASSERT_NE(d, nullptr);
  NameAddr c;  // "M:" is the compact Contact
  ASSERT_TRUE(parse_name_addr(d->msg.header(HeaderId::contact), c));
  EXPECT_EQ(c.uri_text, "sip:user@example.com?Route=%3Csip:sip.example.com%3E");
  EXPECT_EQ(c.uri.headers, "Route=%3Csip:sip.example.com%3E");
}

TEST(rfc4475, Sdp01_3_3_15_UnacceptableAcceptOffering) {
  // Well-formed; a proxy forwards it (the 406/400 is the UAS's to give).
  const auto d = valid_request("sdp01");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->msg.header(HeaderId::accept), "text/nobodyKnowsThis");
  EXPECT_EQ(d->msg.body().size(), 150u);
}

// ---------------------------------------------------------------- §3.4 backward compatibility

TEST(rfc4475, Inv2543_3_4_1_InviteWithRfc2543Syntax) {
  // No Via branch, no From tag, no Content-Length, no Max-Forwards. The RFC asks elements that
  // want to stay compatible with RFC 2543 to accept it. duet's transports parse with
  // require_max_forwards on (RFC 3261 §8.1.1 makes it mandatory), so duet answers 400 Missing
  // Max-Forwards; with the option off the parser accepts the rest of it.
  const std::string bytes = load("inv2543");
  Parsed strict(bytes);
  EXPECT_EQ(strict.r.status, ParseStatus::error);
  EXPECT_EQ(strict.r.error, ParseError::missing_max_forwards);

  ParseOptions lenient;
  lenient.require_max_forwards = false;
  Parsed d(bytes, lenient);
  ASSERT_TRUE(d.ok()) << reason(d.r.error);
  const Message& m = d.msg;
  EXPECT_EQ(m.max_forwards(), -1);
  EXPECT_FALSE(m.has_content_length());
  EXPECT_EQ(m.body().size(), 105u);  // the rest of the datagram
  EXPECT_EQ(m.body(), std::string_view(bytes).substr(bytes.find("\r\n\r\n") + 4));
  EXPECT_FALSE(m.top_via().has_branch);
  EXPECT_TRUE(m.from().tag.empty());
  EXPECT_EQ(m.from().uri.user_param, "phone");
  // To: sip:+16505552222@ss1.example.net;user=phone has no <>: ";user=phone" is a header
  // parameter of To, not a URI parameter (RFC 3261 §20.10).
  EXPECT_EQ(m.to().uri_text, "sip:+16505552222@ss1.example.net");
  EXPECT_EQ(m.to().params, ";user=phone");
  TransactionKey k;
  ASSERT_TRUE(make_transaction_key(m, k));
  EXPECT_FALSE(k.rfc3261);
  // Without a Content-Length it cannot be framed on a stream.
  Parsed st(bytes, [] {
    ParseOptions o = test::stream_opts();
    o.require_max_forwards = false;
    return o;
  }());
  EXPECT_NE(st.r.status, ParseStatus::ok);
}

}  // namespace
}  // namespace duet::sip
