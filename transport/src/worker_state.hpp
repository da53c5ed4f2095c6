// Everything a worker owns. Only its own thread touches it once the worker runs.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "duet/sip/message.hpp"
#include "duet/transport/stats.hpp"
#include "mailbox.hpp"
#include "stream_conn.hpp"
#include "stream_listener.hpp"
#include "udp_endpoint.hpp"

namespace duet::transport {

struct WorkerState {
  explicit WorkerState(Worker& w);
  ~WorkerState();

  uv_loop_t loop{};
  std::thread thread;
  Mailbox mailbox;
  uv_timer_t sweep{};  // idle connections; in the close phase, forces lingering connections shut
  std::vector<std::unique_ptr<UdpEndpoint>> udp;
  // udp_worker_ports: (listener address, this worker's own socket next to it).
  std::vector<std::pair<sockaddr_storage, sockaddr_storage>> own_udp;
  std::vector<std::unique_ptr<StreamListener>> listeners;
  std::unordered_map<std::uint64_t, StreamConn*> conns;
  // Connections this worker opened, by StreamConn::dial_key: a request to the same transport and
  // address reuses one (RFC 3261 §18.1.1) instead of opening another.
  std::unordered_map<std::string, std::uint64_t> dialled;
  std::uint64_t next_conn_seq = 1;
  Stats stats;
  sip::Message msg;               // reused for every parse on this worker
  char reply_buf[8192];           // transport-generated responses (400/505/513)
  std::vector<char> tls_scratch;  // ciphertext as read, before decryption
  std::minstd_rand tag_rng;       // To tags of transport-generated responses
  bool stopped = false;           // closed: send() fails, nothing is read
  bool quiesced = false;
  bool closing = false;                        // close phase: the sweep timer is the linger timer
  Task quiesce_task, close_task, finish_task;  // stop phases, posted by Runtime::stop()
  // Inside a batch (Worker::begin_batch) the wake-ups this worker's posts owe other workers are
  // collected here and written once, when the batch ends (see Worker::post).
  int batch_depth = 0;
  std::vector<std::uint16_t> deferred_wakes;
};

// The worker whose loop runs on this thread (none on other threads): only its own thread may
// defer wake-ups in its state.
extern thread_local WorkerState* t_running_worker;

}  // namespace duet::transport
