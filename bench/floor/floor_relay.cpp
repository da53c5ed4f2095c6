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
#include <unistd.h>

#include <cerrno>
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
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <ip> <port>\n", argv[0]);
    return 2;
  }
  const int fd = bind_udp("relay", argv[1], argv[2]);
  if (fd < 0) return 1;
  stop_on_signals();

  static char in_buf[kBatch][kMaxDatagram];
  static char out_buf[kBatch][kMaxReply];
  static sockaddr_storage peers[kBatch];
  static iovec in_iov[kBatch], out_iov[2 * kBatch];
  static mmsghdr in_msgs[kBatch], out_msgs[2 * kBatch];
  sockaddr_storage caller{}, callee{};
  bool have_caller = false, have_callee = false;
  unsigned long long relayed = 0;

  while (g_stop == 0) {
    for (unsigned i = 0; i < kBatch; ++i) {
      in_iov[i] = {in_buf[i], kMaxDatagram};
      in_msgs[i].msg_hdr = {};
      in_msgs[i].msg_hdr.msg_name = &peers[i];
      in_msgs[i].msg_hdr.msg_namelen = sizeof peers[i];
      in_msgs[i].msg_hdr.msg_iov = &in_iov[i];
      in_msgs[i].msg_hdr.msg_iovlen = 1;
    }
    const int got = recvmmsg(fd, in_msgs, kBatch, MSG_WAITFORONE, nullptr);
    if (got < 0) {
      if (errno == EINTR) continue;
      std::perror("relay: recvmmsg");
      return 1;
    }
    unsigned out = 0;
    auto emit = [&](char* data, std::size_t len, sockaddr_storage* to) {
      out_iov[out] = {data, len};
      out_msgs[out].msg_hdr = {};
      out_msgs[out].msg_hdr.msg_name = to;
      out_msgs[out].msg_hdr.msg_namelen = sizeof(sockaddr_in);
      out_msgs[out].msg_hdr.msg_iov = &out_iov[out];
      out_msgs[out].msg_hdr.msg_iovlen = 1;
      ++out;
    };
    for (int i = 0; i < got; ++i) {
      char* data = in_buf[i];
      const std::size_t len = in_msgs[i].msg_len;
      if (peers[i].ss_family != AF_INET) continue;
      if (have_callee && same_peer(peers[i], callee)) {
        if (have_caller) emit(data, len, &caller);
      } else if (starts_with(data, len, "REGISTER ")) {
        callee = peers[i];
        have_callee = true;
        emit(out_buf[i], build_reply(data, len, "SIP/2.0 200 OK\r\n", out_buf[i]), &peers[i]);
      } else {
        caller = peers[i];
        have_caller = true;
        if (starts_with(data, len, "INVITE ")) {
          emit(out_buf[i], build_reply(data, len, "SIP/2.0 100 Trying\r\n", out_buf[i]), &peers[i]);
        }
        if (have_callee) emit(data, len, &callee);
      }
    }
    for (unsigned sent = 0; sent < out;) {
      const int r = sendmmsg(fd, out_msgs + sent, out - sent, 0);
      if (r < 0) {
        if (errno == EINTR) continue;
        break;  // a lost datagram: SIPp retransmits
      }
      sent += static_cast<unsigned>(r);
    }
    relayed += static_cast<unsigned>(got);
  }
  close(fd);
  std::fprintf(stderr, "relay: stopped after %llu datagrams\n", relayed);
  return 0;
}
