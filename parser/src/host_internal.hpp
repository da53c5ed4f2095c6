// Parser-internal host classification for callers that already delimited the host.
#pragma once

#include <string_view>

#include "duet/sip/uri.hpp"

namespace duet::sip {

// classify_host() for a host made only of hostname characters (alphanum, '-', '.'), as a URI or
// Via scanner finds it: one pass over the labels instead of an IPv4 try and a hostname pass.
HostKind classify_plain_host(std::string_view host) noexcept;

}  // namespace duet::sip
