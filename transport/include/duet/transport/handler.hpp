// What the transport calls for every well-formed message; implemented by the SIP service.
#pragma once

#include "duet/sip/message.hpp"
#include "duet/transport/source.hpp"

namespace duet::transport {

class Worker;

class Handler {
 public:
  virtual ~Handler() = default;
  // A complete, successfully parsed message. msg (and the bytes it views) is valid only during
  // the call. Called on the worker that owns the socket or connection.
  virtual void on_message(Worker& w, const Source& src, const sip::Message& msg) = 0;
  // Called once per worker on its own thread, before it reads anything and after it stopped reading.
  virtual void on_worker_start(Worker& w) = 0;
  virtual void on_worker_stop(Worker& w) = 0;
  // A connection this worker opened (Worker::connect) closed before it was ready: refused,
  // unreachable, timed out or its TLS handshake failed. What was written to it is lost; whoever
  // waits for an answer over it (conn.conn_id) should give up now.
  virtual void on_connection_failed(Worker& /*w*/, const Source& /*conn*/) {}
};

}  // namespace duet::transport
