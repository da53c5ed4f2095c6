#include "duet/registrar/register_request.hpp"

#include <algorithm>
#include <cstring>

#include "duet/sip/header_id.hpp"
#include "duet/sip/name_addr.hpp"
#include "duet/sip/params.hpp"
#include "duet/sip/values.hpp"

namespace duet::registrar {
namespace {

constexpr std::uint32_t kSaturated = 0xFFFFFFFFu;

// delta-seconds (RFC 3261 §20.19, §25.1): digits only; values beyond 2^32-1 mean "very long" and
// are capped later rather than rejected.
bool parse_delta_seconds(std::string_view s, std::uint32_t& out) noexcept {
  s = sip::trim_lws(s);
  if (s.empty()) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
    if (v > kSaturated) v = kSaturated;
  }
  out = static_cast<std::uint32_t>(v);
  return true;
}

Verdict fail(int status, std::string_view reason) noexcept {
  Verdict v;
  v.status = status;
  v.reason = reason;
  return v;
}

std::string_view unquote(std::string_view s) noexcept {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

// One pass over Supported for the two option tags the registrar acts on.
void read_supported(const sip::Message& req, RegisterRequest& out) noexcept {
  out.path_supported = false;
  out.outbound_supported = false;
  sip::for_each_value(req, sip::HeaderId::supported, [&](std::string_view v) {
    // RFC 3261 §20.37: comma-separated option tags, so each value is one tag.
    if (sip::iequals(v, "path")) out.path_supported = true;
    if (sip::iequals(v, "outbound")) out.outbound_supported = true;
    return true;
  });
}

// Lower-case copy of a host into buf (kMaxAorDomain bytes); false if it does not fit.
bool lower_host(std::string_view host, char* buf, std::string_view& out) noexcept {
  if (host.size() > kMaxAorDomain) return false;
  for (std::size_t i = 0; i < host.size(); ++i) {
    const char c = host[i];
    buf[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  out = std::string_view(buf, host.size());
  return true;
}

// "sip:" or "sips:" (case-insensitive) without parsing the rest: enough when any domain is ours.
bool has_sip_scheme(std::string_view uri) noexcept {
  return (uri.size() > 4 && sip::iequals(uri.substr(0, 4), "sip:")) ||
         (uri.size() > 5 && sip::iequals(uri.substr(0, 5), "sips:"));
}

// RFC 3261 §8.2.2.3: every Require option tag we do not implement is listed in a 420.
bool check_require(const sip::Message& req, RegisterRequest& out, Verdict& v) noexcept {
  std::string_view tags;
  if (!unsupported_requires(req, out.unsupported_buf, sizeof out.unsupported_buf, tags)) return true;
  v = fail(420, "Bad Extension");
  v.unsupported = tags;
  return false;
}

// Path values in order, joined with ","; a single field is used in place.
bool collect_path(const sip::Message& req, RegisterRequest& out) noexcept {
  const sip::HeaderField* f = req.find(sip::HeaderId::path);
  if (f == nullptr) return true;
  if (req.next(*f) == nullptr) {
    out.path = f->value;
    return f->value.size() <= kMaxPathBytes;
  }
  std::size_t n = 0;
  for (; f; f = req.next(*f)) {
    if (n + f->value.size() + 1 > kMaxPathBytes) return false;
    if (n != 0) out.path_buf[n++] = ',';
    if (!f->value.empty()) std::memcpy(out.path_buf + n, f->value.data(), f->value.size());
    n += f->value.size();
  }
  out.path = std::string_view(out.path_buf, n);
  return true;
}

// RFC 5626 §6: with a Path, the edge proxy (the last Path value) must have said ";ob".
bool first_hop_has_ob(std::string_view path) noexcept {
  sip::ValueSplitter split(path);
  std::string_view v, last;
  while (split.next(v)) last = v;
  sip::NameAddr na;
  if (!sip::parse_name_addr(last, na, true) || !na.uri_parsed) return false;
  return na.uri.ob;
}

}  // namespace

bool unsupported_requires(const sip::Message& req, char* buf, std::size_t cap,
                          std::string_view& out) noexcept {
  std::size_t n = 0;
  bool any = false;
  sip::for_each_value(req, sip::HeaderId::require, [&](std::string_view tag) {
    if (sip::iequals(tag, "path") || sip::iequals(tag, "outbound")) return true;
    any = true;
    if (n + tag.size() + 2 <= cap) {
      if (n != 0) {
        buf[n++] = ',';
        buf[n++] = ' ';
      }
      std::memcpy(buf + n, tag.data(), tag.size());
      n += tag.size();
    } else if (n == 0) {
      // Unsupported needs at least one option-tag (RFC 3261 §20.40): the start of this one.
      n = std::min(tag.size(), cap);
      std::memcpy(buf, tag.data(), n);
    }
    return true;
  });
  out = std::string_view(buf, n);
  return any;
}

Verdict read_register(const sip::Message& req, const Policy& policy, RegisterRequest& out,
                      const AorKey* known_aor) noexcept {
  const Options& opt = policy.options();
  Verdict v;

  // §10.3 step 1: the Request-URI names our domain (parsed only when some domain is not).
  if (policy.serves_any_domain()) {
    if (!has_sip_scheme(req.request_uri())) return fail(416, "Unsupported URI Scheme");
  } else {
    sip::Uri ruri;
    if (!sip::parse_uri(req.request_uri(), ruri)) return fail(400, "Invalid Request-URI");
    if (ruri.scheme != sip::UriScheme::sip && ruri.scheme != sip::UriScheme::sips) {
      return fail(416, "Unsupported URI Scheme");
    }
    char host[kMaxAorDomain];
    std::string_view lowered;
    if (!lower_host(ruri.host, host, lowered)) return fail(403, "Domain Not Served");
    bool ours = policy.serves_request_host(lowered);
    if (!ours && ruri.host_kind == sip::HostKind::ipv6 && lowered.size() >= 2) {
      ours = policy.serves_request_host(lowered.substr(1, lowered.size() - 2));  // local_hosts: no brackets
    }
    if (!ours) return fail(403, "Domain Not Served");
  }

  // Step 2: extensions the client requires.
  if (!check_require(req, out, v)) return v;

  // Step 3: the AOR from To must be ours.
  if (known_aor != nullptr) {
    out.aor = *known_aor;
  } else {
    const AorStatus as = aor_key_from_request(req, out.aor_buf, out.aor);
    if (as != AorStatus::ok) return fail(400, aor_status_reason(as));
  }
  if (!policy.serves_domain(out.aor.domain)) return fail(404, "Not Found");
  if (!policy.allows_user(out.aor)) return fail(404, "Not Found");

  out.call_id = req.call_id();
  out.cseq = req.cseq_number();
  out.user_agent = req.header(sip::HeaderId::user_agent);
  read_supported(req, out);
  if (!collect_path(req, out)) return fail(400, "Path Too Long");

  std::uint32_t header_expires = opt.default_expires;
  if (const sip::HeaderField* e = req.find(sip::HeaderId::expires)) {
    if (!parse_delta_seconds(e->value, header_expires)) return fail(400, "Invalid Expires");
  }
  const bool has_header_expires = req.has(sip::HeaderId::expires);

  // Step 6: the contacts, all checked before any is applied.
  bool bad = false, star = false, too_many = false;
  std::size_t values = 0, outbound_count = 0;
  Verdict cv;
  const bool split_ok = sip::for_each_value(req, sip::HeaderId::contact, [&](std::string_view value) {
    ++values;
    if (value == "*") {
      star = true;
      return true;
    }
    if (out.count == kMaxContactsPerRequest) {
      too_many = true;
      return false;
    }
    sip::NameAddr na;
    if (!sip::parse_name_addr(value, na, true) || !na.uri_parsed) {
      bad = true;
      cv = fail(400, "Invalid Contact");
      return false;
    }
    if (na.star) {
      star = true;
      return true;
    }
    ContactEntry& c = out.contacts[out.count];
    c = ContactEntry{};
    c.uri = na.uri_text;
    c.parsed = na.uri;
    std::uint32_t e = header_expires;
    if (na.has_expires && !parse_delta_seconds(na.expires, e)) {
      bad = true;
      cv = fail(400, "Invalid Contact expires");
      return false;
    }
    if (e != 0 && e < opt.min_expires) {
      bad = true;
      cv = fail(423, "Interval Too Brief");
      cv.min_expires = opt.min_expires;
      return false;
    }
    c.expires = e > opt.max_expires ? opt.max_expires : e;
    const int q = na.q_value();
    if (q < 0 || q > 1000) {
      bad = true;
      cv = fail(400, "Invalid Contact q");
      return false;
    }
    c.q = static_cast<std::uint16_t>(q);
    if (na.has_instance) c.instance = unquote(na.instance);
    // RFC 5626 §6: reg-id counts only with an instance and when the UA supports outbound.
    if (na.has_reg_id && !c.instance.empty() && out.outbound_supported) {
      std::uint32_t rid = 0;
      if (!sip::parse_uint32(na.reg_id, rid) || rid == 0 || rid > 0x7FFFFFFFu) {
        bad = true;
        cv = fail(400, "Invalid reg-id");
        return false;
      }
      c.reg_id = rid;
      c.outbound = true;
      ++outbound_count;
    }
    ++out.count;
    return true;
  });
  if (!split_ok) return fail(400, "Invalid Contact");
  if (bad) return cv;
  if (too_many) return fail(opt.too_many_contacts_code, "Too Many Registered Contacts");

  if (star) {
    // §10.3 step 6: "*" only alone and only with Expires: 0.
    if (values != 1) return fail(400, "Contact * Must Be Alone");
    if (!has_header_expires || header_expires != 0) return fail(400, "Contact * Requires Expires: 0");
    out.star = true;
    return v;
  }
  if (outbound_count > 0 && out.count > 1) {
    return fail(400, "Multiple Contacts With reg-id");  // RFC 5626 §6: one flow per REGISTER
  }
  if (outbound_count > 0) {
    if (!out.path.empty() && !first_hop_has_ob(out.path))
      return fail(439, "First Hop Lacks Outbound Support");
    out.outbound_used = true;
  }
  return v;
}

}  // namespace duet::registrar
