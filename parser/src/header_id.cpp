#include "duet/sip/header_id.hpp"

#include <array>
#include <cstring>

#include "header_id_internal.hpp"

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

constexpr std::size_t kMaxLen = kHeaderNameMaxLen;
constexpr std::size_t kWords = kMaxLen / 8;
constexpr std::size_t kSlots = kHeaderNameSlots;
constexpr std::size_t slot_of(std::string_view name) noexcept {
  return header_name_slot(name.data(), name.size());
}

struct Lookup {
  std::array<std::uint8_t, kSlots> slot{};  // entry index + 1; 0 = empty
  // The lowercase names as little-endian words, and per byte the 0x20 that folds a letter.
  std::array<std::array<std::uint64_t, kWords>, std::size(kEntries)> word{}, fold{};
  // Every name sits in its home slot, so one probe decides (header_id_fast() relies on it).
  bool collision_free = true;
  constexpr Lookup() {
    for (std::size_t i = 0; i < std::size(kEntries); ++i) {
      const auto name = kEntries[i].lower;
      std::size_t h = slot_of(name);
      if (slot[h] != 0) collision_free = false;
      while (slot[h] != 0) h = (h + 1) % kSlots;
      slot[h] = static_cast<std::uint8_t>(i + 1);
      for (std::size_t k = 0; k < name.size(); ++k) {
        const auto c = static_cast<std::uint64_t>(static_cast<unsigned char>(name[k]));
        word[i][k / 8] |= c << (8 * (k % 8));
        if (name[k] >= 'a' && name[k] <= 'z') fold[i][k / 8] |= std::uint64_t{0x20} << (8 * (k % 8));
      }
    }
  }
};
constexpr Lookup kLookup{};
static_assert(kLookup.collision_free, "two header names share a slot: change header_name_slot()");

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

struct SlotTable {
  HeaderNameTable t{};
  constexpr SlotTable() {
    static_assert(kMaxLen < sizeof(HeaderNameEntry::lower));
    for (const auto& e : kEntries) {
      auto& x = t.entry[slot_of(e.lower)];
      for (std::size_t k = 0; k < e.lower.size(); ++k) x.lower[k] = e.lower[k];
      x.lower[e.lower.size()] = ':';
      x.len = static_cast<std::uint8_t>(e.lower.size());
      x.id = e.id;
    }
  }
};
constexpr SlotTable kSlotTable{};

struct Canonical {
  std::array<std::string_view, kHeaderIdCount> name{};
  constexpr Canonical() {
    for (const auto& e : kEntries) name[static_cast<std::size_t>(e.id)] = e.canonical;
  }
};
constexpr Canonical kCanonical{};

// Exact case-insensitive compare of raw with entry e's lowercase name (same length): only the
// name's letters fold, so no other byte can alias onto a letter or '-'.
inline bool name_equals(const char* raw, std::size_t len, std::size_t e) noexcept {
  const std::string_view lower = kEntries[e].lower;
  for (std::size_t i = 0; i < len; ++i) {
    const char fold = (lower[i] >= 'a' && lower[i] <= 'z') ? 0x20 : 0;
    if (static_cast<char>(raw[i] | fold) != lower[i]) return false;
  }
  return true;
}

// The same compare a word at a time; reads kMaxLen bytes from raw, which the caller guarantees.
inline bool name_equals_wide(const char* raw, std::size_t len, std::size_t e) noexcept {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  const auto& word = kLookup.word[e];
  const auto& fold = kLookup.fold[e];
  std::size_t k = 0;
  for (; (k + 1) * 8 <= len; ++k) {
    std::uint64_t w;
    std::memcpy(&w, raw + 8 * k, 8);
    if ((w | fold[k]) != word[k]) return false;
  }
  if (const std::size_t tail = len % 8) {
    std::uint64_t w;
    std::memcpy(&w, raw + 8 * k, 8);
    const std::uint64_t mask = (std::uint64_t{1} << (8 * tail)) - 1;
    if (((w | fold[k]) & mask) != word[k]) return false;
  }
  return true;
#else
  return name_equals(raw, len, e);
#endif
}

}  // namespace

alignas(64) const HeaderNameTable kHeaderNameTable = kSlotTable.t;
const std::array<HeaderId, 26> kCompactHeaderIds = kCompact.id;

HeaderId header_id_lookup(const char* name, std::size_t len, bool wide_read_ok) noexcept {
  if (len == 1) {
    const char c = static_cast<char>(name[0] | 0x20);
    return (c >= 'a' && c <= 'z') ? kCompact.id[static_cast<std::size_t>(c - 'a')] : HeaderId::other;
  }
  if (len == 0 || len > kMaxLen) return HeaderId::other;
  for (std::size_t h = header_name_slot(name, len);; h = (h + 1) % kSlots) {
    const std::size_t s = kLookup.slot[h];
    if (s == 0) return HeaderId::other;
    const std::size_t e = s - 1;
    if (kEntries[e].lower.size() != len) continue;
    if (wide_read_ok ? name_equals_wide(name, len, e) : name_equals(name, len, e)) return kEntries[e].id;
  }
}

HeaderId header_id_from_name(std::string_view name) noexcept {
  return header_id_lookup(name.data(), name.size(), false);
}

std::string_view header_canonical_name(HeaderId id) noexcept {
  return kCanonical.name[static_cast<std::size_t>(id)];
}

}  // namespace duet::sip
