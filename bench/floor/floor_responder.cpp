// duet-floor-responder: the cheapest possible "registrar" for the registrar benchmark. It answers
// every UDP datagram with a 200 OK through recvmmsg/sendmmsg and does nothing else, so its CPU per
// REGISTER is the kernel's share (socket receive + send): the floor no registrar can go below.
// The 200 is fixed except for the Via, From, To, Call-ID and CSeq lines copied from the request,
// which SIPp needs to match the answer to its transaction.
//
//   duet-floor-responder <ip> <port>      (port 0: any free port; the bound port is printed)
// Stops on SIGTERM/SIGINT with exit 0.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

constexpr unsigned kBatch = 64;
constexpr size_t kMaxDatagram = 65536;
constexpr size_t kMaxReply = 4096;

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) {
  g_stop = 1;
}

bool starts_with(const char* p, const char* end, const char* prefix, size_t n) {
  return static_cast<size_t>(end - p) >= n && std::memcmp(p, prefix, n) == 0;
}

// The header lines SIPp matches on, in long or compact form.
bool wanted_line(const char* p, const char* end) {
  switch (*p) {
    case 'V':
      return starts_with(p, end, "Via:", 4);
    case 'v':
      return starts_with(p, end, "v:", 2);
    case 'F':
      return starts_with(p, end, "From:", 5);
    case 'f':
      return starts_with(p, end, "f:", 2);
    case 'T':
      return starts_with(p, end, "To:", 3);
    case 't':
      return starts_with(p, end, "t:", 2);
    case 'C':
      return starts_with(p, end, "Call-ID:", 8) || starts_with(p, end, "CSeq:", 5);
    case 'i':
      return starts_with(p, end, "i:", 2);
    default:
      return false;
  }
}

// Builds the 200 into out; returns its length.
size_t build_reply(const char* in, size_t len, char* out) {
  static constexpr char kStatus[] = "SIP/2.0 200 OK\r\n";
  static constexpr char kTail[] = "Content-Length: 0\r\n\r\n";
  size_t n = sizeof kStatus - 1;
  std::memcpy(out, kStatus, n);
  const char* end = in + len;
  const char* p = static_cast<const char*>(std::memchr(in, '\n', len));  // skip the request line
  while (p != nullptr && ++p < end && *p != '\r' && *p != '\n') {
    const char* eol = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    const char* line_end = eol != nullptr ? eol + 1 : end;
    const auto line_len = static_cast<size_t>(line_end - p);
    if (wanted_line(p, end) && n + line_len + sizeof kTail < kMaxReply) {
      std::memcpy(out + n, p, line_len);
      n += line_len;
    }
    p = eol;
  }
  std::memcpy(out + n, kTail, sizeof kTail - 1);
  return n + sizeof kTail - 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <ip> <port>\n", argv[0]);
    return 2;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(std::atoi(argv[2])));
  if (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1) {
    std::fprintf(stderr, "floor: bad IPv4 address '%s'\n", argv[1]);
    return 2;
  }
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    std::perror("floor: bind");
    return 1;
  }
  socklen_t alen = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &alen);
  std::fprintf(stderr, "floor: listening on udp:%s:%u\n", argv[1], ntohs(addr.sin_port));

  struct sigaction sa {};
  sa.sa_handler = on_signal;  // no SA_RESTART: a signal interrupts the blocking recvmmsg
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);

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
      out_iov[i] = {out_buf[i], build_reply(in_buf[i], in_msgs[i].msg_len, out_buf[i])};
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
