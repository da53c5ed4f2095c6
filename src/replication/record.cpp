#include "duet/replication/record.hpp"

namespace duet::replication {

bool valid_kind(std::uint8_t k) noexcept {
  return k >= static_cast<std::uint8_t>(RecordKind::binding) &&
         k <= static_cast<std::uint8_t>(RecordKind::config);
}

std::string_view kind_name(RecordKind k) noexcept {
  switch (k) {
    case RecordKind::binding:
      return "binding";
    case RecordKind::agent_state:
      return "agent_state";
    case RecordKind::config:
      return "config";
  }
  return "unknown";
}

bool wins_over(const RecordView& incoming, const RecordView& current) noexcept {
  if (incoming.hlc != current.hlc) return incoming.hlc > current.hlc;
  return incoming.origin > current.origin;
}

}  // namespace duet::replication
