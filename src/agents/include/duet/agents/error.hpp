// Why a configuration change was refused.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace duet::agents {

enum class ErrorCode : std::uint8_t {
  invalid,    // the object alone is malformed (bad id, unknown type, wrong JSON type): HTTP 400
  not_found,  // the object addressed does not exist: HTTP 404
  conflict,   // clashes with other objects (duplicate, missing or in-use reference, seed rule): HTTP 409
};

struct Error {
  ErrorCode code = ErrorCode::invalid;
  std::string field;    // the offending field ("user", "dns[1]"), empty if the object as a whole
  std::string message;  // a sentence for a person: "User 'u9' does not exist"
};

// nullopt = accepted.
using Outcome = std::optional<Error>;

}  // namespace duet::agents
