// duet: what a registrar/proxy reads of every message it handles. parse() indexes the start line
// and every header and itself parses the top Via, From and To (with their URIs), which Message
// keeps, and checks the CSeq (number and method, kept too); then the other typed views a proxy or
// registrar needs are built: each Contact (with its URI), Call-ID and Expires. The CSeq is read as
// the server reads it, from what parse() kept, not parsed a second time.
#include <benchmark/benchmark.h>

#include <string>

#include "contender.hpp"
#include "duet/sip/message.hpp"
#include "duet/sip/name_addr.hpp"
#include "duet/sip/values.hpp"
#include "duet/sip/via.hpp"

namespace duet::bench {
namespace {

using sip::HeaderField;
using sip::HeaderId;

// The whole outcome in one struct, so the timed loop can hand it to DoNotOptimize and verify()
// checks exactly what was timed.
struct ProxyView {
  sip::ParseResult result;
  const sip::Via* top_via = nullptr;  // kept by the Message: parse() already parsed them
  const sip::NameAddr* from = nullptr;
  const sip::NameAddr* to = nullptr;
  std::uint32_t cseq_number = 0;
  std::string_view cseq_method;
  std::string_view call_id;
  std::uint32_t expires = 0;
  unsigned contacts = 0;
  bool contacts_ok = true;
  bool has_expires = false, expires_ok = true;
};

// A server keeps one Message per event loop and reuses it for every datagram; constructing one
// (40 inline header slots) per message is not what duet does, so it is not timed either.
sip::Message& loop_message() {
  static sip::Message message;
  return message;
}

void read_like_a_proxy(std::string_view bytes, sip::Message& msg, ProxyView& out) {
  out.result = sip::parse(bytes, msg, {.mode = sip::Framing::datagram});
  if (out.result.status != sip::ParseStatus::ok) return;

  out.top_via = &msg.top_via();
  out.from = &msg.from();
  out.to = &msg.to();
  out.contacts_ok = sip::for_each_value(msg, HeaderId::contact,
                                        [&](std::string_view value) {
                                          sip::NameAddr contact;
                                          out.contacts_ok =
                                              sip::parse_name_addr(value, contact) && out.contacts_ok;
                                          benchmark::DoNotOptimize(contact);
                                          ++out.contacts;
                                          return true;
                                        }) &&
                    out.contacts_ok;
  out.cseq_number = msg.cseq_number();
  out.cseq_method = msg.cseq_method();
  out.call_id = msg.call_id();
  if (const HeaderField* expires = msg.find(HeaderId::expires)) {
    out.has_expires = true;
    out.expires_ok = sip::parse_uint32(expires->value, out.expires);
  }
}

std::string duet_verify(const CorpusMessage& message) {
  sip::Message& msg = loop_message();
  ProxyView v;
  read_like_a_proxy(message.bytes, msg, v);
  if (v.result.status != sip::ParseStatus::ok) {
    return "parse() failed: " + std::string(sip::reason(v.result.error)) + " (status " +
           std::to_string(static_cast<int>(v.result.status)) + ")";
  }
  if (v.result.consumed != message.bytes.size()) {
    return "parse() consumed " + std::to_string(v.result.consumed) + " of " +
           std::to_string(message.bytes.size()) + " bytes";
  }
  if (v.call_id != message.call_id) {
    return "Call-ID is '" + std::string(v.call_id) + "', expected '" + message.call_id + "'";
  }
  if (!v.top_via->has_branch || v.top_via->host.empty()) return "top Via was not parsed (or has no branch)";
  if (!v.from->uri_parsed || v.from->tag.empty()) return "From was not parsed (or has no tag)";
  if (!v.to->uri_parsed) return "To was not parsed";
  if (!v.contacts_ok || (msg.has(HeaderId::contact) && v.contacts == 0)) return "a Contact did not parse";
  // parse() checked the CSeq; what it kept must be what a separate parse of the header gives.
  sip::CSeq cseq;
  if (!sip::parse_cseq(msg.header(HeaderId::cseq), cseq) || cseq.number != v.cseq_number ||
      cseq.method != v.cseq_method || v.cseq_method.empty()) {
    return "CSeq did not parse or disagrees with parse()";
  }
  if (!v.expires_ok) return "Expires did not parse";
  return {};
}

void duet_parse(std::string_view bytes) {
  ProxyView v;
  sip::Message& msg = loop_message();
  read_like_a_proxy(bytes, msg, v);
  benchmark::DoNotOptimize(v);
  benchmark::DoNotOptimize(msg);
}

}  // namespace

const Contender kDuetContender{"duet", "duet (parse with top Via/From/To + Contacts, CSeq, Call-ID, Expires)",
                               nullptr, duet_verify, duet_parse};

}  // namespace duet::bench
