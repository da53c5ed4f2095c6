// parse() over arbitrary bytes, in datagram and stream mode and with tight limits. When a message
// parses, every header is walked with the typed view that fits its id, a response is built from a
// request with ResponseBuilder, a forwarded copy is made with the edit_* helpers, and both outputs
// are parsed again: what duet writes must be what duet reads.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "duet/sip/auth.hpp"
#include "duet/sip/error.hpp"
#include "duet/sip/header_id.hpp"
#include "duet/sip/message.hpp"
#include "duet/sip/name_addr.hpp"
#include "duet/sip/transaction_key.hpp"
#include "duet/sip/values.hpp"
#include "duet/sip/via.hpp"
#include "duet/sip/writer.hpp"
#include "fuzz_check.hpp"
#include "view_checks.hpp"

namespace {

using namespace duet::sip;
using duet::fuzz::check_challenge;
using duet::fuzz::check_credentials;
using duet::fuzz::check_name_addr;
using duet::fuzz::check_via;
using duet::fuzz::split_and_check;

// Generous limits for re-parsing what we wrote: the edits add lines to a message that was in limits.
constexpr Limits kLoose{.max_message_size = 1 << 20, .max_line_length = 1 << 20, .max_headers = 4096};
constexpr Limits kTight{.max_message_size = 600, .max_line_length = 80, .max_headers = 6};

bool is_name_addr_header(HeaderId id) {
  switch (id) {
    case HeaderId::from:
    case HeaderId::to:
    case HeaderId::contact:
    case HeaderId::route:
    case HeaderId::record_route:
    case HeaderId::path:
    case HeaderId::reply_to:
    case HeaderId::refer_to:
    case HeaderId::referred_by:
    case HeaderId::p_asserted_identity:
      return true;
    default:
      return false;
  }
}

bool is_token_list_header(HeaderId id) {
  switch (id) {
    case HeaderId::allow:
    case HeaderId::supported:
    case HeaderId::require:
    case HeaderId::unsupported:
    case HeaderId::proxy_require:
      return true;
    default:
      return false;
  }
}

bool is_number_header(HeaderId id) {
  return id == HeaderId::max_forwards || id == HeaderId::expires || id == HeaderId::min_expires ||
         id == HeaderId::content_length;
}

// Structural invariants of any Message that parse() filled, ok or not.
void check_fields(const Message& msg, std::string_view buf, const ParseOptions& opts) {
  FUZZ_CHECK(msg.header_count() <= opts.limits.max_headers);
  const std::string_view raw = msg.raw();
  FUZZ_INSIDE(raw, buf);
  for (std::uint16_t i = 0; i < msg.header_count(); ++i) {
    const HeaderField& f = msg.field(i);
    FUZZ_INSIDE(f.name, buf);
    FUZZ_INSIDE(f.value, buf);
    FUZZ_CHECK(!f.name.empty());
    FUZZ_CHECK(header_id_from_name(f.name) == f.id);
  }
}

void check_ok_message(const Message& msg, std::string_view buf, const ParseResult& r,
                      const ParseOptions& opts) {
  const std::string_view raw = msg.raw();
  FUZZ_CHECK(!raw.empty());
  // consumed covers the leading CRLFs and the message, so the message ends exactly there.
  FUZZ_CHECK(raw.data() + raw.size() == buf.data() + r.consumed);
  for (std::string_view v : {msg.start_line(), msg.method(), msg.request_uri(), msg.reason_phrase(),
                             msg.version(), msg.body(), msg.cseq_method()}) {
    FUZZ_INSIDE(v, raw);
  }
  FUZZ_CHECK(msg.start_line().data() == raw.data());
  FUZZ_CHECK(raw.size() <= opts.limits.max_message_size);
  FUZZ_CHECK(msg.header_end() <= raw.size());
  FUZZ_CHECK(msg.body().empty() || msg.body().data() + msg.body().size() == raw.data() + raw.size());
  FUZZ_CHECK(msg.body().size() <= raw.size() - msg.header_end());

  std::uint16_t per_id[kHeaderIdCount] = {};
  for (std::uint16_t i = 0; i < msg.header_count(); ++i) {
    const HeaderField& f = msg.field(i);
    FUZZ_CHECK(f.line_begin < f.line_end);
    FUZZ_CHECK(f.line_end <= msg.header_end());
    FUZZ_CHECK(f.name.data() == raw.data() + f.line_begin);
    FUZZ_CHECK(f.value.empty() || (f.value.data() >= f.name.data() &&
                                   f.value.data() + f.value.size() <= raw.data() + f.line_end));
    FUZZ_CHECK(f.line_end - f.line_begin <= opts.limits.max_line_length + 2);
    if (i > 0) FUZZ_CHECK(msg.field(i - 1).line_end <= f.line_begin);
    ++per_id[static_cast<std::size_t>(f.id)];
  }
  // The per-id chains visit exactly the fields of that id, in message order.
  for (std::size_t id = 1; id < kHeaderIdCount; ++id) {
    std::uint16_t n = 0;
    const HeaderField* prev = nullptr;
    for (const HeaderField* h = msg.find(static_cast<HeaderId>(id)); h; h = msg.next(*h)) {
      FUZZ_CHECK(++n <= msg.header_count());
      FUZZ_CHECK(static_cast<std::size_t>(h->id) == id);
      FUZZ_CHECK(prev == nullptr || prev->line_begin < h->line_begin);
      prev = h;
    }
    FUZZ_CHECK(n == per_id[id]);
    FUZZ_CHECK(msg.count(static_cast<HeaderId>(id)) == n);
  }
  for (std::uint16_t i = 0; i < msg.header_count(); ++i) {
    const HeaderField& f = msg.field(i);
    if (f.id == HeaderId::other) {
      const HeaderField* o = msg.find_other(f.name);
      FUZZ_CHECK(o != nullptr && o->line_begin <= f.line_begin && iequals(o->name, f.name));
    }
  }

  // RFC 3261 §8.1.1: what parse() promises to have checked.
  FUZZ_CHECK(msg.has(HeaderId::via) && msg.has(HeaderId::from) && msg.has(HeaderId::to) &&
             msg.has(HeaderId::call_id) && msg.has(HeaderId::cseq));
  FUZZ_CHECK(!msg.call_id().empty());
  FUZZ_CHECK(msg.cseq_number() < 0x80000000u);
  CSeq cs;
  FUZZ_CHECK(parse_cseq(msg.header(HeaderId::cseq), cs));
  FUZZ_CHECK(cs.number == msg.cseq_number() && cs.method == msg.cseq_method());
  // The topmost Via, From and To are parsed by parse() itself, URIs included.
  const HeaderField* via_field = msg.find(HeaderId::via);
  check_via(msg.top_via(), via_field->value, raw);
  check_name_addr(msg.from(), msg.header(HeaderId::from), raw);
  check_name_addr(msg.to(), msg.header(HeaderId::to), raw);
  FUZZ_CHECK(msg.from().uri_parsed && msg.to().uri_parsed);
  if (msg.is_request()) {
    FUZZ_CHECK(!msg.method().empty() && !msg.request_uri().empty());
    FUZZ_CHECK(method_from_token(msg.method()) == msg.method_id());
    FUZZ_CHECK(msg.cseq_method() == msg.method());
    if (opts.require_max_forwards) FUZZ_CHECK(msg.max_forwards() >= 0);
  } else {
    // Status-Code is 3DIGIT (RFC 3261 §25.1); the parser accepts extension codes up to 999.
    FUZZ_CHECK(msg.status_code() >= 100 && msg.status_code() <= 999);
  }
  FUZZ_CHECK(msg.max_forwards() >= -1);
  if (opts.mode == Framing::stream) FUZZ_CHECK(msg.has_content_length());
  if (msg.has_content_length()) {
    std::uint32_t cl = 0;
    FUZZ_CHECK(parse_uint32(msg.header(HeaderId::content_length), cl));
    FUZZ_CHECK(msg.body().size() == cl);
  }
}

// Every header through the typed view that fits its id. Failures of the views are fine (parse()
// does not validate these headers); what they hand out must still be sane.
void walk_views(const Message& msg, std::string_view buf) {
  for (std::uint16_t i = 0; i < msg.header_count(); ++i) {
    const HeaderField& f = msg.field(i);
    const std::string_view v = f.value;
    if (f.id == HeaderId::via) {
      split_and_check(v, buf, [&](std::string_view e) {
        Via via;
        if (parse_via(e, via)) check_via(via, e, buf);
      });
    } else if (is_name_addr_header(f.id)) {
      split_and_check(v, buf, [&](std::string_view e) {
        NameAddr na;
        if (parse_name_addr(e, na, true)) check_name_addr(na, e, buf);
        NameAddr bare;
        if (parse_name_addr(e, bare, false)) check_name_addr(bare, e, buf);
      });
    } else if (f.id == HeaderId::authorization || f.id == HeaderId::proxy_authorization) {
      DigestCredentials c;
      if (parse_credentials(v, c)) check_credentials(c, v, buf);
    } else if (f.id == HeaderId::www_authenticate || f.id == HeaderId::proxy_authenticate) {
      DigestChallenge c;
      if (parse_challenge(v, c)) check_challenge(c, v, buf);
    } else if (is_token_list_header(f.id)) {
      ValueSplitter probe(v);
      std::string_view tmp;
      while (probe.next(tmp)) {
      }
      const bool balanced = probe.ok();
      split_and_check(v, buf, [&](std::string_view e) {
        if (balanced && is_token(e)) FUZZ_CHECK(token_list_contains(v, e));
      });
    } else if (is_number_header(f.id)) {
      std::uint32_t n = 0;
      (void)parse_uint32(v, n);
    } else {
      split_and_check(v, buf, [](std::string_view) {});
    }
  }
  TransactionKey k;
  if (make_transaction_key(msg, k)) {
    for (std::string_view s :
         {k.branch, k.sent_by_host, k.request_uri, k.to_tag, k.from_tag, k.call_id, k.top_via}) {
      FUZZ_INSIDE(s, buf);
    }
    FUZZ_CHECK(same_transaction(k, k));
    FUZZ_CHECK(hash_transaction_key(k) == hash_transaction_key(k));
  }
}

// A response built from a parsed request must parse, and carry the request's dialog identifiers.
void check_response(const Message& req) {
  static std::vector<char> out(kLoose.max_message_size);
  ResponseBuilder rb(out.data(), out.size());
  rb.start(req, 200, "OK", "fuzztag", {.received = "192.0.2.7", .rport = 5062});
  rb.header("Server", "duet-fuzz");
  rb.header_uint("Expires", 60);
  const std::string_view resp = rb.finish("hello", "text/plain");
  FUZZ_CHECK(!resp.empty());
  FUZZ_INSIDE(resp, std::string_view(out.data(), out.size()));
  const std::string copy(resp);  // exact-size buffer, so ASan sees any over-read
  Message m;
  const ParseResult r = parse(copy, m, {.mode = Framing::stream, .limits = kLoose});
  FUZZ_CHECK(r.status == ParseStatus::ok);
  FUZZ_CHECK(r.consumed == copy.size());
  FUZZ_CHECK(m.is_response() && m.status_code() == 200);
  FUZZ_CHECK(m.call_id() == req.call_id());
  FUZZ_CHECK(m.cseq_number() == req.cseq_number() && m.cseq_method() == req.cseq_method());
  FUZZ_CHECK(m.count(HeaderId::via) == req.count(HeaderId::via));
  FUZZ_CHECK(m.body() == "hello");
  // RFC 3261 §8.2.6.2: the response's To carries a tag (ours, unless the request had one).
  FUZZ_CHECK(!m.to().tag.empty());
  if (req.to().tag.empty())
    FUZZ_CHECK(m.to().tag == "fuzztag");
  else
    FUZZ_CHECK(m.to().tag == req.to().tag);
  FUZZ_CHECK(m.from().tag == req.from().tag);
  FUZZ_CHECK(m.top_via().branch == req.top_via().branch);
  if (req.top_via().has_rport) FUZZ_CHECK(m.top_via().rport == 5062);
  FUZZ_CHECK(m.top_via().received == "192.0.2.7");

  // Too small a buffer gives an empty result, never a partial message or a write past the end.
  std::vector<char> small(resp.size() / 2 + 1);
  ResponseBuilder tiny(small.data(), small.size());
  tiny.start(req, 100, "Trying");
  const std::string_view t = tiny.finish();
  FUZZ_CHECK(t.empty() || t.size() <= small.size());
}

void apply_and_check(const EditList& e, std::string_view original, std::string& out) {
  const std::size_t n = e.output_size(original);
  out.assign(n, '\0');
  FUZZ_CHECK(e.write(original, out.data(), out.size()) == n);
  if (n > 0) {
    std::string tight(n - 1, '\0');
    FUZZ_CHECK(e.write(original, tight.data(), tight.size()) == 0);
  }
  // The slices spell the same bytes as write().
  Slice sl[2 * EditList::kMaxEdits + 1];
  const std::size_t ns = e.slices(original, sl, 2 * EditList::kMaxEdits + 1);
  FUZZ_CHECK(ns <= 2 * e.size() + 1);
  std::string joined;
  for (std::size_t i = 0; i < ns; ++i) joined.append(sl[i].data, sl[i].size);
  FUZZ_CHECK(joined == out);
}

// A proxy's forwarded copy of a request must parse, with the edits visible.
void check_forward(const Message& req) {
  static constexpr std::string_view kVia = "SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKfuzz";
  static constexpr std::string_view kViaLine = "Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKfuzz\r\n";
  static constexpr std::string_view kRr = "Record-Route: <sip:198.51.100.1;lr>\r\n";
  EditList e;
  const bool via_ok = edit_prepend_via(e, req, kViaLine);
  // The caller's Via with received/rport (RFC 3581): inside the top via-parm, never where the
  // other edits are.
  char fixed[512];
  const std::size_t before_fix = e.size();
  const bool fix_ok = edit_fix_top_via(e, req, {"192.0.2.7", 5062}, fixed, sizeof fixed);
  const bool fixed_via = fix_ok && e.size() > before_fix;
  const bool mf_ok = edit_set_max_forwards(e, req, "69", "Max-Forwards: 69\r\n");
  const bool route_ok = edit_remove_first_route(e, req);
  const bool rr_ok = edit_insert_first_header(e, req, kRr);
  const bool app_ok = edit_append_header(e, req, "X-Fuzz: 1\r\n");
  // The first two edits touch different places (unless Max-Forwards is absent and gets added next
  // to the Via), so they must be accepted; the later ones may share an offset with them.
  FUZZ_CHECK(via_ok);
  FUZZ_CHECK(fix_ok);
  if (req.has(HeaderId::max_forwards)) FUZZ_CHECK(mf_ok);
  if (!req.has(HeaderId::route)) FUZZ_CHECK(!route_ok);

  std::string out;
  Message m;
  apply_and_check(e, req.raw(), out);
  const ParseResult r = parse(out, m, {.mode = Framing::datagram, .limits = kLoose});
  FUZZ_CHECK(r.status == ParseStatus::ok);
  FUZZ_CHECK(m.is_request() && m.method() == req.method() && m.request_uri() == req.request_uri());
  FUZZ_CHECK(m.call_id() == req.call_id() && m.cseq_number() == req.cseq_number());
  if (mf_ok) FUZZ_CHECK(m.max_forwards() == 69);
  FUZZ_CHECK(m.count(HeaderId::via) == req.count(HeaderId::via) + 1);
  FUZZ_CHECK(m.header(HeaderId::via) == kVia);
  FUZZ_CHECK(m.top_via().host == "198.51.100.1" && m.top_via().branch == "z9hG4bKfuzz");
  if (fixed_via) {
    // The caller's Via, now second, kept its branch and says where it was received.
    std::vector<std::string_view> vias;
    for_each_value(m, HeaderId::via, [&](std::string_view v) {
      vias.push_back(v);
      return vias.size() < 2;
    });
    Via caller;
    FUZZ_CHECK(vias.size() == 2 && parse_via(vias[1], caller));
    FUZZ_CHECK(caller.has_received && caller.received == "192.0.2.7");
    FUZZ_CHECK(caller.branch == req.top_via().branch);
  }
  FUZZ_CHECK(m.from().tag == req.from().tag && m.to().tag == req.to().tag);
  if (rr_ok) FUZZ_CHECK(m.header(HeaderId::record_route) == "<sip:198.51.100.1;lr>");
  if (app_ok) FUZZ_CHECK(m.find_other("X-Fuzz") != nullptr);
  FUZZ_CHECK(m.body() == req.body());
}

// A response going upstream loses its top Via value; the rest must survive.
void check_response_forward(const Message& resp) {
  EditList e;
  if (!edit_remove_top_via(e, resp)) return;
  std::string out;
  Message m;
  apply_and_check(e, resp.raw(), out);
  FUZZ_CHECK(out.size() < resp.raw().size());
  const ParseResult r = parse(out, m, {.mode = Framing::datagram, .limits = kLoose});
  if (r.status == ParseStatus::ok) {
    FUZZ_CHECK(m.status_code() == resp.status_code() && m.call_id() == resp.call_id());
  } else {
    // Only the Via may be what is wrong now: none left, or the next one (never checked before,
    // parse() validates only the topmost) is malformed.
    FUZZ_CHECK(r.error == ParseError::missing_via || r.error == ParseError::bad_via);
  }
}

void run(std::string_view buf, const ParseOptions& opts) {
  Message msg;
  const ParseResult r = parse(buf, msg, opts);
  FUZZ_CHECK(r.consumed <= buf.size());
  FUZZ_CHECK((r.status == ParseStatus::error) == (r.error != ParseError::none));
  FUZZ_CHECK(!reason(r.error).empty() || r.error == ParseError::none);
  check_fields(msg, buf, opts);

  // Parsing again into a used Message gives the same answer (no state leaks between messages).
  static Message reused;
  const ParseResult r2 = parse(buf, reused, opts);
  FUZZ_CHECK(r2.status == r.status && r2.consumed == r.consumed && r2.error == r.error);
  FUZZ_CHECK(reused.header_count() == msg.header_count());

  if (r.status == ParseStatus::error) {
    // The server answers bad requests with a 400 built from what was read: must not crash.
    if (msg.is_request()) {
      char out[4096];
      ResponseBuilder rb(out, sizeof out);
      rb.start(msg, 400, reason(r.error));
      (void)rb.finish();
    }
    return;
  }
  if (r.status != ParseStatus::ok) return;

  check_ok_message(msg, buf, r, opts);
  walk_views(msg, buf);
  if (msg.is_request()) {
    check_response(msg);
    check_forward(msg);
  } else {
    check_response_forward(msg);
  }

  if (opts.mode == Framing::stream) {
    // A message framed by Content-Length is also a valid datagram on its own.
    const std::string copy(buf.substr(0, r.consumed));
    Message d;
    const ParseResult rd = parse(copy, d,
                                 {.mode = Framing::datagram,
                                  .limits = opts.limits,
                                  .require_max_forwards = opts.require_max_forwards});
    FUZZ_CHECK(rd.status == ParseStatus::ok && rd.consumed == r.consumed);
    FUZZ_CHECK(d.header_count() == msg.header_count() && d.body().size() == msg.body().size());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view buf(reinterpret_cast<const char*>(data), size);
  run(buf, {.mode = Framing::datagram});
  run(buf, {.mode = Framing::stream});
  run(buf, {.mode = Framing::datagram, .limits = kTight, .require_max_forwards = false});
  return 0;
}
