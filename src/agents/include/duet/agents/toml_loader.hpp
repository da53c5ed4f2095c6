// The agent configuration sections of the daemon's TOML config file:
//   [[dns]]          number = "1001"  type = "extension"  mode = "single"
//   [[places]]       name = "place-1001"  dns = ["1001", "2001"]
//   [[users]]        id = "u1001"  name = "Agent 1001"
//   [[agent_logins]] code = "1001"  user = "u1001"  place = "place-1001"  dn = "1001"  peer_dn = "2001"
// src/config skips these sections; this reads them (toml11) from the same file.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "duet/agents/config_model.hpp"

namespace duet::agents {

// what(): every problem, one per line, as "FILE:LINE: key 'agent_logins[0].user': User 'u9' does
// not exist" (arrays of tables are indexed from 0 in the order they appear).
class LoadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Adds the file's objects to model (normally empty) and checks every rule once they are all in.
// Throws LoadError; the model may then hold part of the file.
void load_agents_file(ConfigModel& model, const std::string& path);
// Same, from text; name stands for the file name in messages.
void parse_agents_toml(ConfigModel& model, std::string_view text, const std::string& name);

}  // namespace duet::agents
