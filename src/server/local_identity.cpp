#include "local_identity.hpp"

#include "duet/sip/values.hpp"
#include "duet/transport/address.hpp"

namespace duet::server {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view strip_brackets(std::string_view h) noexcept {
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') return h.substr(1, h.size() - 2);
  return h;
}

}  // namespace

LocalIdentity::LocalIdentity(const config::Config& cfg) : any_domain_(cfg.registrar.domains.empty()) {
  for (const auto& l : cfg.listeners) hosts_.push_back(lower(strip_brackets(l.ip)));
  for (const auto& d : cfg.registrar.domains) hosts_.push_back(lower(d));
  hosts_.emplace_back("localhost");
}

bool LocalIdentity::is_local_host(std::string_view host) const noexcept {
  if (any_domain_) return true;
  host = strip_brackets(host);
  for (const auto& h : hosts_) {
    if (sip::iequals(h, host)) return true;
  }
  // Numeric forms of the same address ("::1" and "0:0::1") compare as addresses.
  sockaddr_storage a{};
  if (!transport::make_sockaddr(host, 0, a)) return false;
  for (const auto& h : hosts_) {
    sockaddr_storage b{};
    if (transport::make_sockaddr(h, 0, b) && transport::sockaddr_same_ip(a, b)) return true;
  }
  return false;
}

bool LocalIdentity::is_local(const sip::Uri& uri) const noexcept {
  if (uri.scheme != sip::UriScheme::sip && uri.scheme != sip::UriScheme::sips) return false;
  return !uri.has_user || is_local_host(uri.host);
}

}  // namespace duet::server
