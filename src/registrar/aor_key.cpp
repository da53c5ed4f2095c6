#include "duet/registrar/aor_key.hpp"

#include "duet/sip/header_id.hpp"
#include "duet/sip/name_addr.hpp"
#include "duet/sip/siphash.hpp"

namespace duet::registrar {
namespace {

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

char lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace

std::string_view aor_status_reason(AorStatus s) noexcept {
  switch (s) {
    case AorStatus::ok:
      return "OK";
    case AorStatus::bad_to:
      return "Invalid To header";
    case AorStatus::not_sip:
      return "Address-of-record must be a SIP or SIPS URI";
    case AorStatus::too_long:
      return "Address-of-record too long";
    case AorStatus::bad_escape:
      return "Invalid escape in To user";
  }
  return "Bad Request";
}

std::uint64_t aor_hash(std::string_view user, std::string_view domain) noexcept {
  // Keyed (SipHash under the process's secret): whoever may register any AOR cannot choose AORs that
  // all land on one worker or one run of the binding store's index.
  sip::KeyedHasher h;
  h.add(user);
  h.add(domain);
  return h.finish();
}

AorStatus aor_key_from_uri(const sip::Uri& uri, AorKeyBuffer& buf, AorKey& out) noexcept {
  if (uri.scheme != sip::UriScheme::sip && uri.scheme != sip::UriScheme::sips) return AorStatus::not_sip;
  const std::string_view user = uri.user;
  std::size_t n = 0;
  for (std::size_t i = 0; i < user.size(); ++i) {
    char c = user[i];
    if (c == '%') {
      if (i + 2 >= user.size()) return AorStatus::bad_escape;
      const int hi = hex_value(user[i + 1]);
      const int lo = hex_value(user[i + 2]);
      if (hi < 0 || lo < 0) return AorStatus::bad_escape;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (n == kMaxAorUser) return AorStatus::too_long;
    buf.user[n++] = c;
  }
  const std::string_view host = uri.host;
  if (host.empty()) return AorStatus::bad_to;
  if (host.size() > kMaxAorDomain) return AorStatus::too_long;
  for (std::size_t i = 0; i < host.size(); ++i) buf.domain[i] = lower(host[i]);
  out.user = std::string_view(buf.user, n);
  out.domain = std::string_view(buf.domain, host.size());
  out.hash = aor_hash(out.user, out.domain);
  return AorStatus::ok;
}

AorStatus aor_key_from_request(const sip::Message& req, AorKeyBuffer& buf, AorKey& out) noexcept {
  const sip::HeaderField* to = req.find(sip::HeaderId::to);
  if (to == nullptr) return AorStatus::bad_to;
  sip::NameAddr na;
  if (!sip::parse_name_addr(to->value, na, true) || !na.uri_parsed) return AorStatus::bad_to;
  return aor_key_from_uri(na.uri, buf, out);
}

}  // namespace duet::registrar
