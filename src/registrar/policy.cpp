#include <algorithm>

#include "duet/registrar/options.hpp"

namespace duet::registrar {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; });
  return s;
}

}  // namespace

Policy::Policy(Options opts) : opts_(std::move(opts)) {
  if (opts_.min_expires > opts_.max_expires) opts_.min_expires = opts_.max_expires;
  if (opts_.default_expires > opts_.max_expires) opts_.default_expires = opts_.max_expires;
  if (opts_.too_many_contacts_code != 403 && opts_.too_many_contacts_code != 503) {
    opts_.too_many_contacts_code = 503;
  }
  if (opts_.tick_ms == 0) opts_.tick_ms = 1000;
  for (const auto& d : opts_.domains) domains_.insert(lower(d));
  request_hosts_ = domains_;
  for (const auto& h : opts_.local_hosts) {
    std::string l = lower(h);
    if (l.size() >= 2 && l.front() == '[' && l.back() == ']') l = l.substr(1, l.size() - 2);
    request_hosts_.insert(std::move(l));
  }
  for (const auto& u : opts_.users) {
    const auto at = u.find('@');
    // The domain half of "user@domain" compares case-insensitively, the user half exactly.
    users_.insert(at == std::string::npos ? u : u.substr(0, at + 1) + lower(u.substr(at + 1)));
  }
}

bool Policy::serves_domain(std::string_view domain) const noexcept {
  return domains_.empty() || domains_.find(domain) != domains_.end();
}

bool Policy::serves_request_host(std::string_view host) const noexcept {
  return domains_.empty() || request_hosts_.find(host) != request_hosts_.end();
}

bool Policy::allows_user(const AorKey& aor) const noexcept {
  if (users_.empty()) return true;
  if (users_.find(aor.user) != users_.end()) return true;
  char buf[kMaxAorUser + 1 + kMaxAorDomain];
  std::size_t n = 0;
  for (char c : aor.user) buf[n++] = c;
  buf[n++] = '@';
  for (char c : aor.domain) buf[n++] = c;
  return users_.find(std::string_view(buf, n)) != users_.end();
}

}  // namespace duet::registrar
