// duet-floor-responder: the cheapest possible "registrar" for the registrar benchmark. It answers
// every UDP datagram with a 200 OK through recvmmsg/sendmmsg and does nothing else, so its CPU per
// REGISTER is the kernel's share (socket receive + send): the floor no registrar can go below.
// The 200 is fixed except for the Via, From, To, Call-ID and CSeq lines copied from the request,
// which SIPp needs to match the answer to its transaction.
//
//   duet-floor-responder <ip> <port>      (port 0: any free port; the bound port is printed)
// Stops on SIGTERM/SIGINT with exit 0.
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "floor_common.hpp"

namespace {
constexpr unsigned kBatch = 64;
}  // namespace

int main(int argc, char** argv) {
  using namespace duet_floor;
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <ip> <port>\n", argv[0]);
    return 2;
  }
  const int fd = bind_udp("floor", argv[1], argv[2]);
  if (fd < 0) return 1;
  stop_on_signals();

  static char in_buf[kBatch][kMaxDatagram];
  static char out_buf[kBatch][kMaxReply];
  static sockaddr_storage peers[kBatch];
  static iovec in_iov[kBatch], out_iov[kBatch];
  static mmsghdr in_msgs[kBatch], out_msgs[kBatch];
  unsigned long long answered = 0;

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
      std::perror("floor: recvmmsg");
      return 1;
    }
    for (int i = 0; i < got; ++i) {
      out_iov[i] = {out_buf[i], build_reply(in_buf[i], in_msgs[i].msg_len, "SIP/2.0 200 OK\r\n", out_buf[i])};
      out_msgs[i].msg_hdr = {};
      out_msgs[i].msg_hdr.msg_name = &peers[i];
      out_msgs[i].msg_hdr.msg_namelen = in_msgs[i].msg_hdr.msg_namelen;
      out_msgs[i].msg_hdr.msg_iov = &out_iov[i];
      out_msgs[i].msg_hdr.msg_iovlen = 1;
    }
    for (int sent = 0; sent < got;) {
      const int r = sendmmsg(fd, out_msgs + sent, static_cast<unsigned>(got - sent), 0);
      if (r < 0) {
        if (errno == EINTR) continue;
        break;  // a lost reply is a lost datagram: the client retransmits
      }
      sent += r;
    }
    answered += static_cast<unsigned>(got);
  }
  close(fd);
  std::fprintf(stderr, "floor: stopped after %llu datagrams\n", answered);
  return 0;
}
