// Objects as JSON: the API's representation and the replication payload, one shape for both.
#pragma once

#include <nlohmann/json.hpp>
#include <variant>

#include "duet/agents/error.hpp"
#include "duet/agents/objects.hpp"

namespace duet::agents {

nlohmann::json to_json(const Object& o);

// Reads an object of the given kind. Unknown fields are refused (a typo must not be dropped
// silently); optional fields left out take their defaults. Only the shape is checked here:
// references to other objects are the model's business.
std::variant<Object, Error> from_json(Kind k, const nlohmann::json& j);

}  // namespace duet::agents
