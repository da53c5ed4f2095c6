// A stand-in SIP service for when src/server is not built: OPTIONS gets 200, ACK nothing, every
// other request 501. Enough to check the transports by hand; the real one is server::SipService.
#pragma once

#include "duet/transport/handler.hpp"

namespace duet::daemon {

class BuiltinHandler final : public transport::Handler {
 public:
  void on_message(transport::Worker& w, const transport::Source& src, const sip::Message& msg) override;
  void on_worker_start(transport::Worker&) override {}
  void on_worker_stop(transport::Worker&) override {}
};

}  // namespace duet::daemon
