// duet-sip-parse: reads one SIP message on stdin and prints what the parser found, or why it failed.
// Handy to check how duet reads a captured message: `duet-sip-parse < msg.sip`.
#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>

#include "duet/sip/message.hpp"
#include "duet/sip/name_addr.hpp"
#include "duet/sip/values.hpp"
#include "duet/sip/via.hpp"

using namespace duet::sip;

int main(int argc, char** argv) {
  const bool stream = argc > 1 && std::string(argv[1]) == "--stream";
  std::string in((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  Message m;
  const auto r = parse(in, m, {.mode = stream ? Framing::stream : Framing::datagram});
  if (r.status == ParseStatus::need_more) {
    std::printf("incomplete: more bytes needed\n");
    return 1;
  }
  if (r.status == ParseStatus::error) {
    std::printf("error: %.*s\n", static_cast<int>(reason(r.error).size()), reason(r.error).data());
    return 1;
  }
  auto sv = [](std::string_view s) { return std::string(s); };
  if (m.is_request())
    std::cout << "request " << sv(m.method()) << " " << sv(m.request_uri()) << "\n";
  else
    std::cout << "response " << m.status_code() << " " << sv(m.reason_phrase()) << "\n";
  for (std::uint16_t i = 0; i < m.header_count(); ++i) {
    const auto& f = m.field(i);
    std::cout << "  [" << sv(header_canonical_name(f.id).empty() ? f.name : header_canonical_name(f.id))
              << "] " << sv(f.value) << "\n";
  }
  std::string_view v;
  ValueSplitter vias(m.header(HeaderId::via));
  while (vias.next(v)) {
    Via via;
    if (parse_via(v, via))
      std::cout << "via: " << sv(via.transport) << " " << sv(via.host) << ":" << via.port
                << " branch=" << sv(via.branch) << (via.has_rport ? " rport" : "") << "\n";
    else
      std::cout << "via: malformed: " << sv(v) << "\n";
  }
  for (auto id : {HeaderId::from, HeaderId::to}) {
    NameAddr na;
    const bool ok = parse_name_addr(m.header(id), na);
    std::cout << sv(header_canonical_name(id)) << ": "
              << (ok ? "uri=" + sv(na.uri_text) + " tag=" + sv(na.tag) : "malformed") << "\n";
  }
  for_each_value(m, HeaderId::contact, [&](std::string_view c) {
    NameAddr na;
    const bool ok = parse_name_addr(c, na);
    std::cout << "contact: "
              << (ok ? (na.star ? std::string("*") : sv(na.uri_text) + " expires=" + sv(na.expires))
                     : "malformed: " + sv(c))
              << "\n";
    return true;
  });
  std::cout << "cseq: " << m.cseq_number() << " " << sv(m.cseq_method()) << "\nbody: " << m.body().size()
            << " bytes\n";
  return 0;
}
