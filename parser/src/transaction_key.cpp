// Transaction matching inputs (RFC 3261 §17.1.3, §17.2.3).
#include "duet/sip/transaction_key.hpp"

#include "chars.hpp"

#include "duet/sip/name_addr.hpp"
#include "duet/sip/siphash.hpp"
#include "duet/sip/values.hpp"

namespace duet::sip {

bool make_transaction_key(const Message& msg, TransactionKey& k) noexcept {
  reset_in_place(k);
  // The top Via, From and To as the parser read them: every message it accepted has all three.
  const Via& v = msg.top_via();
  if (v.text.empty()) return false;
  k.top_via = v.text;
  k.branch = v.branch;
  k.sent_by_host = v.host;
  k.sent_by_port = v.has_port ? v.port : 0;
  k.rfc3261 = v.rfc3261_branch();
  if (msg.is_request()) {
    k.method = msg.method_id() == Method::ack ? Method::invite : msg.method_id();
    k.method_text = msg.method_id() == Method::ack ? std::string_view("INVITE") : msg.method();
  } else {
    const std::string_view method = msg.cseq_method();
    if (method.empty()) return false;
    const Method id = method_from_token(method);
    k.method = id == Method::ack ? Method::invite : id;
    k.method_text = id == Method::ack ? std::string_view("INVITE") : method;
  }
  k.cseq = msg.cseq_number();
  k.call_id = msg.call_id();
  if (!k.rfc3261) {
    k.request_uri = msg.request_uri();
    k.to_tag = msg.to().tag;
    k.from_tag = msg.from().tag;
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
