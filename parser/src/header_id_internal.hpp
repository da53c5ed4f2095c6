// Parser-internal header-name lookup.
#pragma once

#include <cstddef>

#include "duet/sip/header_id.hpp"

namespace duet::sip {

// header_id_from_name() for parse(): with wide_read_ok the caller guarantees that 24 bytes from
// name are readable (they are inside the buffer being parsed), which lets the compare load words.
HeaderId header_id_lookup(const char* name, std::size_t len, bool wide_read_ok) noexcept;
inline constexpr std::size_t kHeaderNameWideRead = 24;

}  // namespace duet::sip
