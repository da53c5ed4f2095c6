#include "duet/agents/record.hpp"

namespace duet::agents {

bool newer(const Stamp& incoming, const Stamp& current) noexcept {
  if (incoming.hlc != current.hlc) return incoming.hlc > current.hlc;
  return incoming.origin > current.origin;
}

}  // namespace duet::agents
