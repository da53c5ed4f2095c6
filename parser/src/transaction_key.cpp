// Transaction matching inputs (RFC 3261 §17.1.3, §17.2.3).
#include "duet/sip/transaction_key.hpp"

#include "chars.hpp"

#include "duet/sip/name_addr.hpp"
#include "duet/sip/siphash.hpp"
#include "duet/sip/values.hpp"

namespace duet::sip {

bool make_transaction_key(const Message& msg, TransactionKey& k) noexcept {
  reset_in_place(k);
  const HeaderField* via = msg.find(HeaderId::via);
  if (!via) return false;
  ValueSplitter split(via->value);
  std::string_view top;
  if (!split.next(top)) return false;
  Via v;
  if (!parse_via(top, v)) return false;
  k.top_via = top;
  k.branch = v.branch;
  k.sent_by_host = v.host;
  k.sent_by_port = v.has_port ? v.port : 0;
  k.rfc3261 = v.rfc3261_branch();
  if (msg.is_request()) {
    k.method = msg.method_id() == Method::ack ? Method::invite : msg.method_id();
    k.method_text = msg.method_id() == Method::ack ? std::string_view("INVITE") : msg.method();
  } else {
    CSeq c;
    if (!parse_cseq(msg.header(HeaderId::cseq), c)) return false;
    k.method = c.method_id == Method::ack ? Method::invite : c.method_id;
    k.method_text = c.method_id == Method::ack ? std::string_view("INVITE") : c.method;
  }
  k.cseq = msg.cseq_number();
  k.call_id = msg.call_id();
  if (!k.rfc3261) {
    k.request_uri = msg.request_uri();
    NameAddr to, from;
    if (!parse_name_addr(msg.header(HeaderId::to), to, false)) return false;
    if (!parse_name_addr(msg.header(HeaderId::from), from, false)) return false;
    k.to_tag = to.tag;
    k.from_tag = from.tag;
  }
  return true;
}

bool same_transaction(const TransactionKey& a, const TransactionKey& b) noexcept {
  if (a.rfc3261 != b.rfc3261 || a.method_text != b.method_text) return false;
  if (a.rfc3261) {
    return a.branch == b.branch && iequals(a.sent_by_host, b.sent_by_host) &&
           a.sent_by_port == b.sent_by_port;
  }
  // RFC 2543: the ACK's To tag is the one our response added, so only non-ACK requests compare it here;
  // callers matching an ACK compare its To tag against the tag they sent.
  return a.request_uri == b.request_uri && a.from_tag == b.from_tag && a.call_id == b.call_id &&
         a.cseq == b.cseq && a.top_via == b.top_via;
}

// Consistent with same_transaction(): only fields it compares exactly (not the sent-by host, which
// it compares without case).
std::size_t hash_transaction_key(const TransactionKey& k) noexcept {
  KeyedHasher h;
  h.add(k.method_text);
  if (k.rfc3261) {
    h.add(k.branch);
    return h.finish();
  }
  h.add(k.request_uri);
  h.add(k.from_tag);
  h.add(k.call_id);
  h.add_u32(k.cseq);
  h.add(k.top_via);
  return h.finish();
}

std::size_t hash_client_key(std::string_view branch, std::string_view method) noexcept {
  KeyedHasher h;
  h.add(method);
  h.add(branch);
  return h.finish();
}

}  // namespace duet::sip
