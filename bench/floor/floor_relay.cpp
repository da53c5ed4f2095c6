// duet-floor-relay: the cheapest possible "proxy" for one caller and one callee, the floor of the
// proxy benchmark (bench/proxy/proxy-bench). It keeps no state but two addresses: the callee is
// whoever sent a REGISTER (answered 200), the caller whoever last sent anything else. A datagram
// from the callee goes to the caller as it came, anything else goes to the callee, and an INVITE
// is also answered 100 Trying. No parsing, no Via, no Record-Route: SIPp routes by the socket
// address, not by the headers, so the call still completes.
//
// It receives and sends the same datagrams per call as a proxy (13) with the same pattern of waits
// for the far end, so its CPU per call is what the kernel charges any proxy for a call here: the
// socket work, the loopback delivery, waking SIPp, and sleeping and waking between the call's
// messages. A bare responder answering back to back (duet-floor-responder) batches and never sleeps
// between messages, so it misses the last two.
//
//   duet-floor-relay <ip> <port>      (port 0: any free port; the bound port is printed)
// Stops on SIGTERM/SIGINT with exit 0.
#include <sys/socket.h>

#include <cstdio>
#include <cstring>

#include "floor_common.hpp"

namespace {

constexpr unsigned kBatch = 64;

bool same_peer(const sockaddr_storage& a, const sockaddr_storage& b) {
  const auto& x = reinterpret_cast<const sockaddr_in&>(a);
  const auto& y = reinterpret_cast<const sockaddr_in&>(b);
  return x.sin_port == y.sin_port && x.sin_addr.s_addr == y.sin_addr.s_addr;
}

bool starts_with(const char* p, std::size_t len, const char* word) {
  const std::size_t n = std::strlen(word);
  return len >= n && std::memcmp(p, word, n) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace duet_floor;
  static sockaddr_storage caller{}, callee{};
  static bool have_caller = false, have_callee = false;
  constexpr socklen_t kLen = sizeof(sockaddr_in);
  return serve<kBatch>("relay", argc, argv, [](Batch<kBatch>& b, int i) {
    char* data = b.in[i];
    const std::size_t len = b.in_msgs[i].msg_len;
    if (b.peers[i].ss_family != AF_INET) return;
    if (have_callee && same_peer(b.peers[i], callee)) {
      if (have_caller) b.emit(data, len, &caller, kLen);
    } else if (starts_with(data, len, "REGISTER ")) {
      callee = b.peers[i];
      have_callee = true;
      b.emit(b.out[i], build_reply(data, len, "SIP/2.0 200 OK\r\n", b.out[i]), &b.peers[i], kLen);
    } else {
      caller = b.peers[i];
      have_caller = true;
      if (starts_with(data, len, "INVITE ")) {
        b.emit(b.out[i], build_reply(data, len, "SIP/2.0 100 Trying\r\n", b.out[i]), &b.peers[i], kLen);
      }
      if (have_callee) b.emit(data, len, &callee, kLen);
    }
  });
}
