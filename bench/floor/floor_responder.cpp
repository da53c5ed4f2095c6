// duet-floor-responder: the cheapest possible "registrar" for the registrar benchmark. It answers
// every UDP datagram with a 200 OK through recvmmsg/sendmmsg and does nothing else, so its CPU per
// REGISTER is the kernel's share (socket receive + send): the floor no registrar can go below.
// The 200 is fixed except for the Via, From, To, Call-ID and CSeq lines copied from the request,
// which SIPp needs to match the answer to its transaction.
//
//   duet-floor-responder <ip> <port>      (port 0: any free port; the bound port is printed)
// Stops on SIGTERM/SIGINT with exit 0.
#include <sys/socket.h>

#include <cstdio>

#include "floor_common.hpp"

namespace {
constexpr unsigned kBatch = 64;
}  // namespace

int main(int argc, char** argv) {
  using namespace duet_floor;
  return serve<kBatch>("floor", argc, argv, [](Batch<kBatch>& b, int i) {
    b.emit(b.out[i], build_reply(b.in[i], b.in_msgs[i].msg_len, "SIP/2.0 200 OK\r\n", b.out[i]), &b.peers[i],
           b.in_msgs[i].msg_hdr.msg_namelen);
  });
}
