// Parser-internal entry points of the Via grammar.
#pragma once

#include <string_view>

#include "duet/sip/via.hpp"

namespace duet::sip {

// Parses the first via-parm of a Via field value (which may hold several, comma-separated) without
// scanning the rest of the field first.
bool parse_first_via(std::string_view field_value, Via& v) noexcept;

}  // namespace duet::sip
