#include "duet/registrar/registrar.hpp"

#include "duet/registrar/sip_date.hpp"
#include "duet/sip/header_id.hpp"
#include "duet/sip/uri.hpp"

namespace duet::registrar {
namespace {

// A To tag derived from the transaction, so a retransmitted REGISTER gets the same response.
std::string_view make_to_tag(const sip::Message& req, char (&out)[16]) noexcept {
  std::uint64_t h = aor_hash(req.call_id(), {});
  h ^= static_cast<std::uint64_t>(req.cseq_number()) * 0x9E3779B97F4A7C15ULL;
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 16; ++i) out[i] = kHex[(h >> (i * 4)) & 0xF];
  return {out, sizeof out};
}

bool live(const Binding& b, std::uint64_t now_ms) noexcept {
  return b.expires_at_ms() > now_ms;
}

bool contact_uri_equal(std::string_view stored, const sip::Uri& parsed, std::string_view text) noexcept {
  if (stored == text) return true;
  sip::Uri s;
  return sip::parse_uri(stored, s) && sip::uri_equal(s, parsed);
}

bool same_identity(const ContactEntry& a, const ContactEntry& b) noexcept {
  if (a.outbound || b.outbound)
    return a.outbound && b.outbound && a.reg_id == b.reg_id && a.instance == b.instance;
  if (!a.instance.empty() && !b.instance.empty()) return a.instance == b.instance;
  return sip::uri_equal(a.parsed, b.parsed);
}

}  // namespace

std::size_t format_q(std::uint16_t q, char (&out)[6]) noexcept {
  if (q >= 1000) {
    out[0] = '1';
    return 1;
  }
  out[0] = '0';
  out[1] = '.';
  out[2] = static_cast<char>('0' + q / 100);
  out[3] = static_cast<char>('0' + q / 10 % 10);
  out[4] = static_cast<char>('0' + q % 10);
  std::size_t n = 5;
  while (n > 3 && out[n - 1] == '0') --n;  // "0.500" -> "0.5", "0.000" -> "0.0"
  return n;
}

Registrar::Registrar(const Policy& policy, std::uint16_t shard, std::uint64_t now_ms)
    : policy_(policy), store_(shard, now_ms, policy.options().site_name, policy.options().tick_ms) {
  if (policy.options().expected_aors != 0) store_.reserve(policy.options().expected_aors);
}

Binding* Registrar::match(const ContactEntry& c) const noexcept {
  Binding* head = store_.find(req_.aor);
  if (c.outbound) {
    for (Binding* b = head; b; b = b->next_in_aor) {
      if ((b->flags & Binding::kOutbound) && b->reg_id == c.reg_id && b->instance() == c.instance) return b;
    }
    return nullptr;
  }
  if (!c.instance.empty()) {
    for (Binding* b = head; b; b = b->next_in_aor) {
      if (!(b->flags & Binding::kOutbound) && b->instance() == c.instance) return b;
    }
  }
  // Same contact URI (RFC 3261 §10.3 step 7), among bindings not named by another instance.
  for (Binding* b = head; b; b = b->next_in_aor) {
    if (b->flags & Binding::kOutbound) continue;
    if (!b->instance().empty() && !c.instance.empty()) continue;
    if (contact_uri_equal(b->contact(), c.parsed, c.uri)) return b;
  }
  return nullptr;
}

BindingData Registrar::data_for(const ContactEntry& c, const RequestContext& ctx) const noexcept {
  BindingData d;
  d.strings[static_cast<std::size_t>(Field::aor_user)] = req_.aor.user;
  d.strings[static_cast<std::size_t>(Field::contact)] = c.uri;
  d.strings[static_cast<std::size_t>(Field::call_id)] = req_.call_id;
  d.strings[static_cast<std::size_t>(Field::instance)] = c.instance;
  d.strings[static_cast<std::size_t>(Field::path)] = req_.path;
  d.expires_at_ms = ctx.now_ms + std::uint64_t{c.expires} * 1000;
  d.cseq = req_.cseq;
  d.reg_id = c.reg_id;
  d.q = c.q;
  d.flags = c.outbound ? Binding::kOutbound : 0;
  d.flow = ctx.flow;
  d.user_agent = req_.user_agent;
  return d;
}

// §10.3 steps 7-8: decide every contact first (so the contact cap can refuse the whole request),
// then apply.
bool Registrar::apply_contacts(const RequestContext& ctx, Verdict& v) {
  Act act[kMaxContactsPerRequest];
  Binding* target[kMaxContactsPerRequest];
  std::size_t live_now = 0;
  for (const Binding* b = store_.find(req_.aor); b; b = b->next_in_aor) live_now += live(*b, ctx.now_ms);
  std::size_t after = live_now;

  for (std::size_t i = 0; i < req_.count; ++i) {
    const ContactEntry& c = req_.contacts[i];
    Binding* b = match(c);
    target[i] = b;
    // The last of several values naming the same binding wins.
    for (std::size_t j = 0; j < i; ++j) {
      if (act[j] == Act::skip) continue;
      if ((b != nullptr && target[j] == b) ||
          (b == nullptr && target[j] == nullptr && same_identity(req_.contacts[j], c))) {
        if (act[j] == Act::add) --after;
        if (act[j] == Act::remove && live(*target[j], ctx.now_ms)) ++after;
        if (act[j] == Act::update && !live(*target[j], ctx.now_ms)) --after;
        act[j] = Act::skip;
      }
    }
    if (b != nullptr) {
      if (live(*b, ctx.now_ms) && b->call_id() == req_.call_id && req_.cseq <= b->cseq) {
        act[i] = Act::skip;  // step 7: an old or repeated CSeq of the same Call-ID changes nothing
        ++stats_.stale_ignored;
      } else if (c.expires == 0) {
        act[i] = Act::remove;
        if (live(*b, ctx.now_ms)) --after;
      } else {
        act[i] = Act::update;
        if (!live(*b, ctx.now_ms)) ++after;
      }
    } else if (c.expires == 0) {
      act[i] = Act::skip;
    } else {
      act[i] = Act::add;
      ++after;
    }
  }

  const std::size_t cap = policy_.options().max_contacts_per_aor;  // 0: no limit, as in Kamailio
  if (cap != 0 && after > cap && after > live_now) {
    v.status = policy_.options().too_many_contacts_code;
    v.reason = "Too Many Registered Contacts";
    return false;
  }
  // The site's bindings at [registrar] max_bindings: what this request adds beyond what it removes
  // is reserved before anything changes, so it is applied whole or refused whole (503, so that a
  // phone with another registrar, dual or active-backup, goes there). Refreshes need nothing.
  std::size_t adds = 0, removes = 0;
  for (std::size_t i = 0; i < req_.count; ++i) {
    adds += act[i] == Act::add;
    removes += act[i] == Act::remove;
  }
  if (!store_.reserve_budget(adds > removes ? adds - removes : 0)) {
    ++stats_.refused_full;
    v.status = 503;
    v.reason = "Registrar Full";
    v.retry_after = kFullRetryAfterS;
    return false;
  }
  // Removals first: their share of the budget goes to this request's additions.
  bool ok = true;
  for (std::size_t i = 0; i < req_.count; ++i) {
    if (act[i] == Act::remove) store_.remove(target[i], req_.aor);
  }
  for (std::size_t i = 0; ok && i < req_.count; ++i) {
    Binding* done = nullptr;
    switch (act[i]) {
      case Act::skip:
      case Act::remove:
        continue;
      case Act::add:
        done = store_.add(req_.aor, data_for(req_.contacts[i], ctx));
        break;
      case Act::update:
        done = store_.update(target[i], req_.aor, data_for(req_.contacts[i], ctx));
        break;
    }
    if (done == nullptr) {  // memory ran out or a string was too long (the budget was reserved)
      v.status = 500;
      v.reason = "Server Internal Error";
      ok = false;
    }
  }
  store_.release_reserved();
  return ok;
}

// Contact: * removes every binding, except those the same Call-ID has since refreshed with a
// CSeq at least as high (step 6 applies step 7's ordering rule per binding).
void Registrar::apply_star(const RequestContext& ctx) {
  Binding* next = nullptr;
  for (Binding* b = store_.find(req_.aor); b; b = next) {
    next = b->next_in_aor;
    if (live(*b, ctx.now_ms) && b->call_id() == req_.call_id && req_.cseq <= b->cseq) {
      ++stats_.stale_ignored;
      continue;
    }
    store_.remove(b, req_.aor);
  }
}

std::string_view Registrar::handle(const sip::Message& req, const RequestContext& ctx, char* out,
                                   std::size_t cap) {
  ++stats_.requests;
  // Keeps the wheel current without making one request pay for a mass expiry (bindings already
  // past due but not yet collected are treated as gone anyway).
  store_.expire(ctx.now_ms, kHandleExpiryBudget);
  req_.count = 0;
  req_.star = false;
  req_.outbound_used = false;
  req_.path = {};
  Verdict v = read_register(req, policy_, req_, ctx.aor);
  if (v.status == 200) {
    if (req_.star) {
      apply_star(ctx);
    } else if (req_.count != 0) {
      apply_contacts(ctx, v);
    }  // no Contact: a query
  }
  if (v.status != 200) {
    ++stats_.rejected;
    return write_error(req, ctx, v, out, cap);
  }
  ++stats_.ok;
  return write_ok(req, ctx, out, cap);
}

std::string_view Registrar::write_ok(const sip::Message& req, const RequestContext& ctx, char* out,
                                     std::size_t cap) {
  char tag[16];
  sip::ResponseBuilder rb(out, cap);
  rb.start(req, 200, "OK", make_to_tag(req, tag), ctx.via);
  sip::BufferWriter& w = rb.writer();
  for (const Binding* b = store_.find(req_.aor); b; b = b->next_in_aor) {
    const std::uint32_t left = b->remaining_s(ctx.now_ms);
    if (left == 0) continue;
    w.put("Contact: <").put(b->contact()).put(">;expires=").put_uint(left);
    if (b->q != 1000) {
      char q[6];
      w.put(";q=").put(std::string_view(q, format_q(b->q, q)));
    }
    if (!b->instance().empty()) w.put(";+sip.instance=\"").put(b->instance()).put('"');
    if (b->reg_id != 0) w.put(";reg-id=").put_uint(b->reg_id);
    w.put("\r\n");
  }
  // RFC 3327 §5.3: the Path the registrar stored goes back to a UA that supports it.
  if (req_.path_supported) {
    for (const sip::HeaderField* f = req.find(sip::HeaderId::path); f; f = req.next(*f))
      rb.header("Path", f->value);
  }
  if (req_.outbound_used) rb.header("Require", "outbound");  // RFC 5626 §6
  char date[kSipDateSize];
  rb.header("Date", format_sip_date(ctx.wall_time_s, date));
  const std::string_view r = rb.finish();
  if (!r.empty()) return r;
  Verdict v;
  v.status = 500;
  v.reason = "Response Too Large";
  return write_error(req, ctx, v, out, cap);
}

std::string_view Registrar::write_error(const sip::Message& req, const RequestContext& ctx, const Verdict& v,
                                        char* out, std::size_t cap) {
  char tag[16];
  sip::ResponseBuilder rb(out, cap);
  rb.start(req, v.status, v.reason, make_to_tag(req, tag), ctx.via);
  if (v.status == 423) rb.header_uint("Min-Expires", v.min_expires);
  if (v.retry_after != 0) rb.header_uint("Retry-After", v.retry_after);
  if (v.status == 420) rb.header("Unsupported", v.unsupported);
  if (v.status == 439) rb.header("Supported", "outbound");
  return rb.finish();
}

}  // namespace duet::registrar
