// Parser-internal entry points of the URI grammar.
#pragma once

#include <string_view>

#include "duet/sip/uri.hpp"

namespace duet::sip {

// parse_uri() for a Uri that is already in its default state (e.g. inside a NameAddr that was just
// reset), which saves clearing it twice.
bool parse_uri_into_reset(std::string_view text, Uri& u) noexcept;

}  // namespace duet::sip
