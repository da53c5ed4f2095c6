// Parser-internal host classification for callers that already delimited the host.
#pragma once

#include <string_view>

#include "duet/sip/uri.hpp"

namespace duet::sip {

// classify_host() for a host made only of hostname characters (alphanum, '-', '.'), as a URI or
// Via scanner finds it: one pass over the labels instead of an IPv4 try and a hostname pass.
HostKind classify_plain_host(std::string_view host) noexcept;

// The run of hostname characters (alphanum - .) at p in [p, e), classified as classify_plain_host()
// would classify it: returns the run's end. A dotted IPv4 address, what most Vias and many URIs
// hold, is recognised in the same pass. lo <= p is the lowest address known to be readable.
const char* scan_plain_host(const char* p, const char* e, const char* lo, HostKind& kind) noexcept;

}  // namespace duet::sip
