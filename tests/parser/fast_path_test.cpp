// The SIMD fast paths (header lines, Call-ID, Request-URI, IPv4 hosts) against the cases where
// they hand over to the general code: lines near the end of the buffer, control characters, names
// the fast path does not take, and characters just past a 16- or 32-byte step. Each expectation is
// what the general code answers; a fast path must never change it.
#include <gtest/gtest.h>

#include <cctype>
#include <memory>
#include <string>
#include <vector>

#include "duet/sip/name_addr.hpp"
#include "duet/sip/params.hpp"
#include "duet/sip/uri.hpp"
#include "duet/sip/via.hpp"
#include "sip_test_util.hpp"

namespace duet::sip {
namespace {

using test::Parsed;

// A request with no body, so the last header lines end within 32 bytes of the buffer's end.
constexpr std::string_view kHead =
    "OPTIONS sip:pbx.example.com SIP/2.0\n"
    "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\n"
    "Max-Forwards: 70\n"
    "From: <sip:a@pbx.example.com>;tag=1\n"
    "To: <sip:pbx.example.com>\n"
    "Call-ID: abc@10.0.0.1\n"
    "CSeq: 1 OPTIONS\n";

// Parses text from an exact-size heap copy, so that a read past the end is caught under ASan.
struct Exact {
  explicit Exact(const std::string& text) : size(text.size()), bytes(new char[text.size()]) {
    text.copy(bytes.get(), size);
    r = parse(std::string_view(bytes.get(), size), msg);
  }
  std::size_t size;
  std::unique_ptr<char[]> bytes;
  Message msg;
  ParseResult r;
};

TEST(FastPath, ShortLastHeadersNearTheEndOfTheBuffer) {
  for (const std::string_view tail :
       {"l: 0\n", "Content-Length: 0\n", "X-A: b\n", "k: x\n", "Supported: x\n"}) {
    Exact p(test::crlf(std::string(kHead) + std::string(tail) + "\n"));
    ASSERT_EQ(p.r.status, ParseStatus::ok) << tail << reason(p.r.error);
    EXPECT_EQ(p.r.consumed, p.size);
    const HeaderField& last = p.msg.field(static_cast<std::uint16_t>(p.msg.header_count() - 1));
    EXPECT_EQ(std::string(last.name) + ": " + std::string(last.value) + "\n", tail);
  }
  Exact l(test::crlf(std::string(kHead) + "l: 0\n\n"));
  EXPECT_EQ(l.msg.field(static_cast<std::uint16_t>(l.msg.header_count() - 1)).id, HeaderId::content_length);
  Exact k(test::crlf(std::string(kHead) + "Supported: x\n\n"));
  EXPECT_EQ(k.msg.field(static_cast<std::uint16_t>(k.msg.header_count() - 1)).id, HeaderId::supported);
}

TEST(FastPath, TruncatedLastLinesAreIncompleteOrRejectedAsBefore) {
  const std::string full = test::crlf(std::string(kHead) + "Content-Length: 0\n\n");
  for (std::size_t cut = full.size() - 24; cut < full.size(); ++cut) {
    Exact p(full.substr(0, cut));
    EXPECT_EQ(p.r.status, ParseStatus::error) << cut;
    EXPECT_EQ(p.r.error, ParseError::unterminated_headers) << cut;
  }
}

TEST(FastPath, ValuesWithControlCharactersTakeTheGeneralPath) {
  Parsed tab(test::crlf(std::string(kHead) + "Subject: a\tb\n\n"));
  ASSERT_TRUE(tab.ok()) << reason(tab.r.error);
  EXPECT_EQ(tab.msg.header(HeaderId::subject), "a\tb");
  Parsed soh(test::crlf(std::string(kHead) + "Subject: a\x01z\n\n"));
  ASSERT_TRUE(soh.ok()) << reason(soh.r.error);
  EXPECT_EQ(soh.msg.header(HeaderId::subject), "a\x01z");
  Parsed nul(test::crlf(std::string(kHead) + "Subject: a") + std::string(1, '\0') + "b\r\n\r\n");
  EXPECT_EQ(nul.r.error, ParseError::nul_byte);
  Parsed folded(test::crlf(std::string(kHead) + "Subject: a\n b\n\n"));
  ASSERT_TRUE(folded.ok()) << reason(folded.r.error);
  EXPECT_EQ(folded.msg.header(HeaderId::subject), "a\r\n b");
  Parsed bare_cr(test::crlf(std::string(kHead)) + "Subject: a\rb\r\n\r\n");
  EXPECT_EQ(bare_cr.r.error, ParseError::bare_cr);
  Parsed bare_lf(test::crlf(std::string(kHead)) + "Subject: ab\n\r\n");
  ASSERT_TRUE(bare_lf.ok()) << reason(bare_lf.r.error);
  EXPECT_EQ(bare_lf.msg.header(HeaderId::subject), "ab");
}

TEST(FastPath, NamesTheFastPathDoesNotTake) {
  Parsed digits(test::crlf(std::string(kHead) + "X-Foo2: v\nX-A.b: w\nSubject : s\n\n"));
  ASSERT_TRUE(digits.ok()) << reason(digits.r.error);
  ASSERT_NE(digits.msg.find_other("x-foo2"), nullptr);
  EXPECT_EQ(digits.msg.find_other("x-foo2")->value, "v");
  ASSERT_NE(digits.msg.find_other("X-A.b"), nullptr);
  EXPECT_EQ(digits.msg.header(HeaderId::subject), "s");
  // A name longer than the 32 bytes looked at first.
  const std::string long_name(40, 'x');
  Parsed longer(test::crlf(std::string(kHead) + long_name + ": y\n\n"));
  ASSERT_TRUE(longer.ok()) << reason(longer.r.error);
  ASSERT_NE(longer.msg.find_other(long_name), nullptr);
  // A CR before the colon is no name character.
  Parsed cr(test::crlf(std::string(kHead)) + "Subject\r: s\r\n\r\n");
  EXPECT_EQ(cr.r.error, ParseError::missing_colon);
  // "Call\rID" folds onto "call-id" under OR 0x20, but is no Call-ID.
  Parsed alias(test::crlf(std::string(kHead)) + "Call\rID: x\r\n\r\n");
  EXPECT_EQ(alias.r.status, ParseStatus::error);
}

// The fast path matches a name against one table slot, name and colon together; every known name
// (in any case) and names that differ from one by a character, or are one plus or minus a
// character, must get the id the general lookup gives, both in the run of lines that have 64 bytes
// ahead and on the last line before the blank line.
TEST(FastPath, HeaderIdsMatchTheGeneralLookup) {
  std::vector<std::string> names;
  for (std::size_t i = 1; i < kHeaderIdCount; ++i) {
    const std::string name(header_canonical_name(static_cast<HeaderId>(i)));
    std::string upper = name, lower = name;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    names.insert(names.end(), {name, upper, lower, name + "x", name + "-", name.substr(0, name.size() - 1)});
    std::string changed = name;
    changed.back() = changed.back() == 'q' ? 'z' : 'q';
    names.push_back(changed);
  }
  for (const std::string& name : names) {
    if (name.empty()) continue;
    const HeaderId want = header_id_from_name(name);
    // A value the headers parse() checks accept.
    const std::string value = (want == HeaderId::content_length || want == HeaderId::max_forwards) ? "0"
                              : want == HeaderId::cseq ? "1 OPTIONS"
                                                       : "v";
    const std::string line = name + ": " + value + "\n";
    // Ahead of the other headers. A name of one kHead has again makes the message a duplicate, but
    // only later: this field is recorded first, which is all that is checked here.
    Exact early(test::crlf("OPTIONS sip:pbx.example.com SIP/2.0\n" + line +
                           std::string(kHead.substr(kHead.find('\n') + 1)) + "\n"));
    ASSERT_GE(early.msg.header_count(), 1) << name << ' ' << reason(early.r.error);
    EXPECT_EQ(early.msg.field(0).id, want) << name;
    EXPECT_EQ(early.msg.field(0).name, name);
    // Last, where such a duplicate would be refused before it is recorded.
    if (want == HeaderId::max_forwards || want == HeaderId::from || want == HeaderId::to ||
        want == HeaderId::call_id || want == HeaderId::cseq)
      continue;
    Exact last(test::crlf(std::string(kHead) + line + "\n"));
    ASSERT_TRUE(last.r.status == ParseStatus::ok) << name << ' ' << reason(last.r.error);
    EXPECT_EQ(last.msg.field(6).id, want) << name;
    EXPECT_EQ(last.msg.field(6).name, name);
  }
}

TEST(FastPath, LongValuesAndTheLineLimit) {
  const std::string value(200, 'v');
  Parsed p(test::crlf(std::string(kHead) + "Subject: " + value + "\n\n"));
  ASSERT_TRUE(p.ok()) << reason(p.r.error);
  EXPECT_EQ(p.msg.header(HeaderId::subject), value);
  ParseOptions opts;
  opts.limits.max_line_length = 100;
  Parsed too_long(test::crlf(std::string(kHead) + "Subject: " + value + "\n\n"), opts);
  EXPECT_EQ(too_long.r.error, ParseError::header_line_too_long);
}

TEST(FastPath, CallIdCharactersAcrossSixteenByteSteps) {
  auto with_call_id = [](std::string_view id) {
    return test::replace_line(test::crlf(std::string(kHead) + "\n"),
                              "Call-ID:", "Call-ID: " + std::string(id));
  };
  EXPECT_TRUE(Parsed(with_call_id("0123456789abcdef0123456789@host.example")).ok());
  EXPECT_TRUE(Parsed(with_call_id("a\"b(c)d<e>f:g\\h/i[j]k?l{m}n~o'p`q_r*s!t%u+v-w.x@y")).ok());
  for (const char bad : {'#', '$', '&', ',', ';', '=', '^', '|', '\x7f', '\x80', '\xff'}) {
    for (const std::size_t at : {std::size_t{1}, std::size_t{15}, std::size_t{16}, std::size_t{30}}) {
      std::string id(32, 'a');
      id[at] = bad;
      Parsed p(with_call_id(id));
      EXPECT_EQ(p.r.error, ParseError::bad_call_id) << static_cast<int>(bad) << " at " << at;
    }
  }
  EXPECT_EQ(Parsed(with_call_id("0123456789abcdef@0123456789abcdef@x")).r.error, ParseError::bad_call_id);
  EXPECT_EQ(Parsed(with_call_id("0123456789abcdef0123456789@")).r.error, ParseError::bad_call_id);
  EXPECT_EQ(Parsed(with_call_id("@0123456789abcdef0123456789")).r.error, ParseError::bad_call_id);
}

TEST(FastPath, RequestUriCharactersAcrossSixteenByteSteps) {
  for (const char bad : {' ', '\x01', '\x7f'}) {
    for (const std::size_t at : {std::size_t{5}, std::size_t{16}, std::size_t{20}, std::size_t{35}}) {
      std::string uri = "sip:" + std::string(36, 'u');
      uri[at] = bad;
      std::string msg = test::crlf(std::string(kHead) + "\n");
      msg.replace(8, std::string_view("sip:pbx.example.com").size(), uri);
      Parsed p(msg);
      EXPECT_EQ(p.r.status, ParseStatus::error) << static_cast<int>(bad) << " at " << at;
    }
  }
}

TEST(FastPath, Ipv4HostsFromOneLoad) {
  auto kind = [](const std::string& text) {
    // Exact-size copy: the host may end the buffer.
    std::unique_ptr<char[]> bytes(new char[text.size()]);
    text.copy(bytes.get(), text.size());
    Uri u;
    return parse_uri(std::string_view(bytes.get(), text.size()), u) ? u.host_kind : HostKind::none;
  };
  EXPECT_EQ(kind("sip:10.0.0.1"), HostKind::ipv4);
  EXPECT_EQ(kind("sip:alice@192.168.100.255:5060;transport=udp"), HostKind::ipv4);
  EXPECT_EQ(kind("sip:001.002.003.004"), HostKind::ipv4);
  EXPECT_EQ(kind("sip:1.2.3.256"), HostKind::none);
  EXPECT_EQ(kind("sip:1234.1.1.1"), HostKind::none);
  EXPECT_EQ(kind("sip:1.2.3"), HostKind::none);
  EXPECT_EQ(kind("sip:1.2.3.4.5"), HostKind::none);
  EXPECT_EQ(kind("sip:1.2.3.4a"), HostKind::none);
  EXPECT_EQ(kind("sip:1.2.3.4-x.example.com"), HostKind::name);
  EXPECT_EQ(kind("sip:1.2.3.4.example.com"), HostKind::name);
  EXPECT_EQ(kind("sip:255.255.255.255"), HostKind::ipv4);
  Via v;
  ASSERT_TRUE(parse_via("SIP/2.0/UDP 10.0.0.1", v));
  EXPECT_EQ(v.host, "10.0.0.1");
  ASSERT_TRUE(parse_via("SIP/2.0/UDP 203.0.113.45:61002;rport", v));
  EXPECT_EQ(v.host, "203.0.113.45");
  EXPECT_EQ(v.port, 61002);
}

// Header params are split 16 bytes at a time: every byte, at positions inside and just past a
// 16-byte step of a name and of a value, must split the list exactly as ParamIterator does.
TEST(FastPath, ParamStopCharactersMatchParamIterator) {
  const std::string name = "abcdefghijklmnopqrstu", value = "0123456789abcdefghijk";
  for (int c = 0; c < 256; ++c) {
    for (const std::size_t at : {0u, 1u, 7u, 15u, 16u, 17u, 20u}) {
      for (const bool in_value : {false, true}) {
        std::string n = name, v = value;
        (in_value ? v : n)[at] = static_cast<char>(c);
        const std::string list = ";" + n + "=" + v + ";tag=t1;x";
        ParamIterator it(list);
        Param prm;
        std::string tag;
        bool has_tag = false;
        while (it.next(prm)) {
          if (prm.name == "tag") {
            tag = std::string(prm.value);
            has_tag = true;
          }
        }
        NameAddr na;
        const std::string text = "<sip:a@example.com>" + list;
        const bool ok = parse_name_addr(text, na);
        ASSERT_EQ(ok, it.ok()) << c << " at " << at << (in_value ? " in value" : " in name");
        if (ok) {
          EXPECT_EQ(std::string(na.tag), tag) << c << " at " << at;
          EXPECT_EQ(has_tag, !na.tag.empty()) << c << " at " << at;
        }
        Via via;
        const std::string via_text = "SIP/2.0/UDP 10.0.0.1" + list + ";branch=z9hG4bK" + v;
        const std::string via_params = via_text.substr(via_text.find(';'));
        ParamIterator vit(via_params, ';', true);
        while (vit.next(prm)) {
        }
        const bool via_ok = parse_via(via_text, via);
        if (via_ok) {
          EXPECT_TRUE(vit.ok() && vit.rest().empty()) << c << " at " << at;
        }
      }
    }
  }
}

// IPv4 hosts are read from bit masks of one load: each host must be classified as the general
// code classifies it, wherever it ends in the buffer.
TEST(FastPath, Ipv4HostsClassifiedAsTheGeneralCodeDoes) {
  for (const std::string_view host : {"1.2.3.4",         "255.255.255.255", "256.1.1.1",
                                      "1.2.3.256",       "1.2.3.4.5",       "1.2.3.4.",
                                      "1.2.3.4a",        "1.2.3.4-",        "01.02.003.4",
                                      "001.002.003.004", "1..2.3",          "1.2.3",
                                      "1.2.3.",          ".1.2.3.4",        "1.2.3.4444",
                                      "1111.2.3.4",      "192.168.100.200", "9.9.9.9.example.com",
                                      "1.2.3.com",       "10.0.0.1a.b",     "249.250.251.252",
                                      "300.0.0.1"}) {
    const HostKind want = classify_host(host);
    for (const std::string_view after : {"", ":5060", ";lr", "?h=1"}) {
      for (const std::size_t pad : {0u, 8u, 16u}) {
        const std::string text = std::string(pad, 'x') + "sip:" + std::string(host) + std::string(after);
        const std::unique_ptr<char[]> bytes(new char[text.size()]);
        text.copy(bytes.get(), text.size());
        Uri u;
        const bool ok = parse_uri(std::string_view(bytes.get() + pad, text.size() - pad), u);
        EXPECT_EQ(ok, want != HostKind::none) << host << after << " pad " << pad;
        if (ok) {
          EXPECT_EQ(u.host_kind, want) << host << after;
          EXPECT_EQ(u.host, host);
        }
      }
    }
  }
}

}  // namespace
}  // namespace duet::sip
