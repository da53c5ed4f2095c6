// A BindingData for store-level tests: a contact of user's AOR with a fixed Call-ID, expiring at
// due (ms). The views point into the arguments: pass literals or strings that outlive the call
// that stores it (a temporary lives to the end of the full expression, e.g. store.add(k, ...)).
#pragma once

#include <cstdint>
#include <string_view>

#include "duet/registrar/binding.hpp"

namespace duet::registrar::test {

inline BindingData binding_data(std::string_view user, std::string_view contact, std::uint64_t due,
                                std::uint16_t q = 1000, std::string_view ua = "UA/1") {
  BindingData d;
  d.strings[static_cast<int>(Field::aor_user)] = user;
  d.strings[static_cast<int>(Field::contact)] = contact;
  d.strings[static_cast<int>(Field::call_id)] = "cid";
  d.expires_at_ms = due;
  d.q = q;
  d.user_agent = ua;
  return d;
}

}  // namespace duet::registrar::test
