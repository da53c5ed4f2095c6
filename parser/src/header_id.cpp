#include "duet/sip/header_id.hpp"

#include <array>
#include <cstring>

namespace duet::sip {
namespace {

struct Entry {
  std::string_view lower;  // lowercase name, the form looked up
  std::string_view canonical;
  HeaderId id;
};

// Long names. Compact forms are handled separately (one letter, RFC 3261 §7.3.3 and later RFCs).
constexpr Entry kEntries[] = {
    {"accept", "Accept", HeaderId::accept},
    {"accept-contact", "Accept-Contact", HeaderId::accept_contact},
    {"accept-encoding", "Accept-Encoding", HeaderId::accept_encoding},
    {"accept-language", "Accept-Language", HeaderId::accept_language},
    {"alert-info", "Alert-Info", HeaderId::alert_info},
    {"allow", "Allow", HeaderId::allow},
    {"allow-events", "Allow-Events", HeaderId::allow_events},
    {"authorization", "Authorization", HeaderId::authorization},
    {"call-id", "Call-ID", HeaderId::call_id},
    {"call-info", "Call-Info", HeaderId::call_info},
    {"contact", "Contact", HeaderId::contact},
    {"content-disposition", "Content-Disposition", HeaderId::content_disposition},
    {"content-encoding", "Content-Encoding", HeaderId::content_encoding},
    {"content-language", "Content-Language", HeaderId::content_language},
    {"content-length", "Content-Length", HeaderId::content_length},
    {"content-type", "Content-Type", HeaderId::content_type},
    {"cseq", "CSeq", HeaderId::cseq},
    {"date", "Date", HeaderId::date},
    {"error-info", "Error-Info", HeaderId::error_info},
    {"event", "Event", HeaderId::event},
    {"expires", "Expires", HeaderId::expires},
    {"flow-timer", "Flow-Timer", HeaderId::flow_timer},
    {"from", "From", HeaderId::from},
    {"identity", "Identity", HeaderId::identity},
    {"in-reply-to", "In-Reply-To", HeaderId::in_reply_to},
    {"max-forwards", "Max-Forwards", HeaderId::max_forwards},
    {"mime-version", "MIME-Version", HeaderId::mime_version},
    {"min-expires", "Min-Expires", HeaderId::min_expires},
    {"min-se", "Min-SE", HeaderId::min_se},
    {"organization", "Organization", HeaderId::organization},
    {"p-asserted-identity", "P-Asserted-Identity", HeaderId::p_asserted_identity},
    {"path", "Path", HeaderId::path},
    {"priority", "Priority", HeaderId::priority},
    {"proxy-authenticate", "Proxy-Authenticate", HeaderId::proxy_authenticate},
    {"proxy-authorization", "Proxy-Authorization", HeaderId::proxy_authorization},
    {"proxy-require", "Proxy-Require", HeaderId::proxy_require},
    {"reason", "Reason", HeaderId::reason},
    {"record-route", "Record-Route", HeaderId::record_route},
    {"refer-to", "Refer-To", HeaderId::refer_to},
    {"referred-by", "Referred-By", HeaderId::referred_by},
    {"reject-contact", "Reject-Contact", HeaderId::reject_contact},
    {"reply-to", "Reply-To", HeaderId::reply_to},
    {"request-disposition", "Request-Disposition", HeaderId::request_disposition},
    {"require", "Require", HeaderId::require},
    {"retry-after", "Retry-After", HeaderId::retry_after},
    {"route", "Route", HeaderId::route},
    {"server", "Server", HeaderId::server},
    {"session-expires", "Session-Expires", HeaderId::session_expires},
    {"sip-etag", "SIP-ETag", HeaderId::sip_etag},
    {"sip-if-match", "SIP-If-Match", HeaderId::sip_if_match},
    {"subject", "Subject", HeaderId::subject},
    {"subscription-state", "Subscription-State", HeaderId::subscription_state},
    {"supported", "Supported", HeaderId::supported},
    {"timestamp", "Timestamp", HeaderId::timestamp},
    {"to", "To", HeaderId::to},
    {"unsupported", "Unsupported", HeaderId::unsupported},
    {"user-agent", "User-Agent", HeaderId::user_agent},
    {"via", "Via", HeaderId::via},
    {"warning", "Warning", HeaderId::warning},
    {"www-authenticate", "WWW-Authenticate", HeaderId::www_authenticate},
};

constexpr std::size_t kMaxLen = 24;
constexpr std::size_t kMaxPerLen = 12;

// Entries grouped by name length, so a lookup compares against a handful of candidates.
struct ByLength {
  std::array<std::array<std::uint8_t, kMaxPerLen>, kMaxLen + 1> idx{};
  std::array<std::uint8_t, kMaxLen + 1> n{};
  constexpr ByLength() {
    for (std::size_t i = 0; i < std::size(kEntries); ++i) {
      const auto len = kEntries[i].lower.size();
      idx[len][n[len]++] = static_cast<std::uint8_t>(i);
    }
  }
};
constexpr ByLength kByLength{};

struct Compact {
  std::array<HeaderId, 26> id{};
  constexpr Compact() {
    for (auto& x : id) x = HeaderId::other;
    id['a' - 'a'] = HeaderId::accept_contact;
    id['b' - 'a'] = HeaderId::referred_by;
    id['c' - 'a'] = HeaderId::content_type;
    id['d' - 'a'] = HeaderId::request_disposition;
    id['e' - 'a'] = HeaderId::content_encoding;
    id['f' - 'a'] = HeaderId::from;
    id['i' - 'a'] = HeaderId::call_id;
    id['j' - 'a'] = HeaderId::reject_contact;
    id['k' - 'a'] = HeaderId::supported;
    id['l' - 'a'] = HeaderId::content_length;
    id['m' - 'a'] = HeaderId::contact;
    id['o' - 'a'] = HeaderId::event;
    id['r' - 'a'] = HeaderId::refer_to;
    id['s' - 'a'] = HeaderId::subject;
    id['t' - 'a'] = HeaderId::to;
    id['u' - 'a'] = HeaderId::allow_events;
    id['v' - 'a'] = HeaderId::via;
    id['x' - 'a'] = HeaderId::session_expires;
    id['y' - 'a'] = HeaderId::identity;
  }
};
constexpr Compact kCompact{};

struct Canonical {
  std::array<std::string_view, kHeaderIdCount> name{};
  constexpr Canonical() {
    for (const auto& e : kEntries) name[static_cast<std::size_t>(e.id)] = e.canonical;
  }
};
constexpr Canonical kCanonical{};

// Header names are tokens. OR-ing 0x20 folds A-Z onto a-z and leaves '-' and digits alone; no other
// token character folds onto a lowercase letter or '-', so this is an exact case-insensitive test.
inline bool name_equals(std::string_view raw, std::string_view lower) noexcept {
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (static_cast<char>(raw[i] | 0x20) != lower[i]) return false;
  }
  return true;
}

}  // namespace

HeaderId header_id_from_name(std::string_view name) noexcept {
  const auto len = name.size();
  if (len == 1) {
    const char c = static_cast<char>(name[0] | 0x20);
    return (c >= 'a' && c <= 'z') ? kCompact.id[c - 'a'] : HeaderId::other;
  }
  if (len == 0 || len > kMaxLen) return HeaderId::other;
  const auto& group = kByLength.idx[len];
  for (std::size_t i = 0; i < kByLength.n[len]; ++i) {
    const Entry& e = kEntries[group[i]];
    if (name_equals(name, e.lower)) return e.id;
  }
  return HeaderId::other;
}

std::string_view header_canonical_name(HeaderId id) noexcept {
  return kCanonical.name[static_cast<std::size_t>(id)];
}

}  // namespace duet::sip
