// What the agents model exchanges with the replication layer.
//
// src/replication did not exist when this was written, so the record is defined here; the
// replication layer converts to/from its own record type (kind = config object) or adopts this one.
#pragma once

#include <cstdint>
#include <string>

namespace duet::agents {

// The version stamp of one object (live or tombstone).
struct Stamp {
  std::uint64_t hlc = 0;      // hybrid logical clock: (unix ms << 16) | counter; 0 = loaded from the file
  std::string origin;         // site that made the change
  std::uint64_t version = 0;  // per-origin sequence number of the change
  bool operator==(const Stamp&) const = default;
};

// Conflict rule for config objects (both sites may change them): the higher HLC wins; equal HLCs
// are broken by the site name, lexicographically larger wins. Arrival order never matters, so both
// sites converge on the same winner. An identical stamp is not newer (duplicate delivery).
bool newer(const Stamp& incoming, const Stamp& current) noexcept;

struct ConfigRecord {
  std::string key;  // "dn/1001", "place/place-1001", "user/u1001", "login/1001"
  Stamp stamp;
  bool deleted = false;  // tombstone: payload empty
  std::string payload;   // the object as JSON (same shape as the API's), empty for a tombstone
  bool operator==(const ConfigRecord&) const = default;
};

}  // namespace duet::agents
