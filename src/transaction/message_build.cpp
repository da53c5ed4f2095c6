#include "duet/transaction/message_build.hpp"

#include <string_view>

namespace duet::transaction {
namespace {

void line(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}

// Everything but To and the CSeq method is the original's (§17.1.1.3, §9.1).
bool build_derived(const sip::Message& invite, std::string_view method, std::string_view to,
                   std::string& out) {
  if (!invite.is_request() || invite.request_uri().empty() || invite.call_id().empty() || to.empty() ||
      !invite.has(sip::HeaderId::from) || invite.top_via().text.empty()) {
    return false;
  }
  out.append(method).append(" ").append(invite.request_uri()).append(" SIP/2.0\r\n");
  // Only the top via-parm: that is the one the next hop matches on.
  line(out, "Via", invite.top_via().text);
  for (const auto* f = invite.find(sip::HeaderId::route); f; f = invite.next(*f))
    line(out, "Route", f->value);
  line(out, "Max-Forwards", "70");
  line(out, "From", invite.header(sip::HeaderId::from));
  line(out, "To", to);
  line(out, "Call-ID", invite.call_id());
  out.append("CSeq: ").append(std::to_string(invite.cseq_number())).append(" ").append(method).append("\r\n");
  out.append("Content-Length: 0\r\n\r\n");
  return true;
}

}  // namespace

bool build_ack(const sip::Message& invite, const sip::Message& final_response, std::string& out) {
  return build_derived(invite, "ACK", final_response.header(sip::HeaderId::to), out);
}

bool build_cancel(const sip::Message& invite, std::string& out) {
  return build_derived(invite, "CANCEL", invite.header(sip::HeaderId::to), out);
}

}  // namespace duet::transaction
