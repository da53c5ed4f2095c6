#include "builtin_handler.hpp"

#include "duet/sip/writer.hpp"
#include "duet/transport/reply.hpp"
#include "duet/transport/worker.hpp"

namespace duet::daemon {

void BuiltinHandler::on_message(transport::Worker& w, const transport::Source& src, const sip::Message& msg) {
  if (!msg.is_request() || msg.method_id() == sip::Method::ack) return;
  sip::Via via;
  if (!transport::top_via(msg, via)) return;
  char ip[transport::kIpStrLen];
  char buf[4096];
  sip::ResponseBuilder b(buf, sizeof buf);
  const bool options = msg.method_id() == sip::Method::options;
  b.start(msg, options ? 200 : 501, options ? "OK" : "Not Implemented", "duet0",
          transport::via_fix(via, src, ip));
  if (options) b.header("Allow", "OPTIONS, ACK");
  const auto bytes = b.finish();
  if (!bytes.empty()) w.send(transport::response_target(src, via), bytes);
}

}  // namespace duet::daemon
