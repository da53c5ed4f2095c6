// The registrar's view of a transport Source: the received address and port, the flow (connection
// id, owning worker) and a compact name for the local socket, so the phone can be reached again
// through its NAT binding (RFC 3261 §18.2.2, RFC 5626).
#pragma once

#include <cstddef>

#include "duet/registrar/binding.hpp"
#include "duet/registrar/flow.hpp"
#include "duet/transport/source.hpp"

namespace duet::server {

// Bytes naming the local socket: proto, family, port and address, packed.
inline constexpr std::size_t kLocalKeySize = 20;

// Fills flow from src. flow.local points into local_buf.
void flow_from_source(const transport::Source& src, char (&local_buf)[kLocalKeySize],
                      registrar::Flow& flow) noexcept;

// The other way: where a request to a binding goes so that it reaches the phone through its NAT
// or connection (proto, received address and port, connection, owning worker, and the local socket
// from local_key, the store's interned key). False when the binding has no usable address.
bool binding_target(const registrar::Binding& b, std::string_view local_key, transport::Source& out) noexcept;

}  // namespace duet::server
