// Which request targets are this server itself: the hosts we listen on and the domains we serve.
// OPTIONS to one of them is answered here; to anyone else it would be proxied.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "duet/sip/uri.hpp"

namespace duet::server {

class LocalIdentity {
 public:
  explicit LocalIdentity(const config::Config& cfg);

  // True for a Request-URI without a user part (RFC 3261 §11: OPTIONS to the server itself), or
  // whose host is a listen address or a served domain (any domain when none is configured).
  bool is_local(const sip::Uri& uri) const noexcept;
  bool is_local_host(std::string_view host) const noexcept;

 private:
  std::vector<std::string> hosts_;  // lower-case; IPv6 without brackets
  bool any_domain_;
};

}  // namespace duet::server
