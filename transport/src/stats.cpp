#include "duet/transport/stats.hpp"

#include "duet/transport/source.hpp"

namespace duet::transport {

std::string_view proto_name(Proto p) noexcept {
  switch (p) {
    case Proto::udp:
      return "udp";
    case Proto::tcp:
      return "tcp";
    case Proto::tls:
      return "tls";
  }
  return "?";
}

StatsSnapshot& StatsSnapshot::operator+=(const Stats& s) noexcept {
  messages_in += s.messages_in.get();
  malformed_answered += s.malformed_answered.get();
  malformed_dropped += s.malformed_dropped.get();
  oversize_closed += s.oversize_closed.get();
  keepalive_pings += s.keepalive_pings.get();
  connections_accepted += s.connections_accepted.get();
  connections_rejected += s.connections_rejected.get();
  connections_idle_closed += s.connections_idle_closed.get();
  connections_read_timeout += s.connections_read_timeout.get();
  connections_dialled += s.connections_dialled.get();
  connect_failed += s.connect_failed.get();
  tls_handshake_failed += s.tls_handshake_failed.get();
  send_failed += s.send_failed.get();
  posted += s.posted.get();
  return *this;
}

}  // namespace duet::transport
