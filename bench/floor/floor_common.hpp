// What the two floor programs share: the UDP socket they bind, the stop signals, and the answer
// they build (a fixed status line, the request's Via, From, To, Call-ID and CSeq lines copied,
// which is what SIPp matches an answer on, and no body). Header-only: each floor program is one
// translation unit.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace duet_floor {

constexpr std::size_t kMaxReply = 4096;
constexpr std::size_t kMaxDatagram = 65536;

inline volatile std::sig_atomic_t g_stop = 0;

// SIGTERM/SIGINT set g_stop; no SA_RESTART, so a signal interrupts a blocking recvmmsg.
inline void stop_on_signals() {
  struct sigaction sa {};
  sa.sa_handler = [](int) { g_stop = 1; };
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
}

// A blocking UDP socket bound to ip:port (port 0: any free one); prints "<name>: listening on
// udp:IP:PORT" to stderr, the line the benchmark scripts wait for. -1 after printing why.
inline int bind_udp(const char* name, const char* ip, const char* port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(std::atoi(port)));
  if (inet_pton(AF_INET, ip, &addr.sin_addr) != 1) {
    std::fprintf(stderr, "%s: bad IPv4 address '%s'\n", name, ip);
    return -1;
  }
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    std::perror(name);
    return -1;
  }
  socklen_t alen = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &alen);
  std::fprintf(stderr, "%s: listening on udp:%s:%u\n", name, ip, ntohs(addr.sin_port));
  return fd;
}

inline bool starts_with(const char* p, const char* end, const char* prefix, std::size_t n) {
  return static_cast<std::size_t>(end - p) >= n && std::memcmp(p, prefix, n) == 0;
}

// The header lines SIPp matches on, in long or compact form.
inline bool wanted_line(const char* p, const char* end) {
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

// main's start for both programs, "<program> <ip> <port>": the bound socket with the stop signals
// installed; -2 after printing the usage, -1 after printing why it could not bind.
inline int open_from_args(const char* name, int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <ip> <port>\n", argv[0]);
    return -2;
  }
  const int fd = bind_udp(name, argv[1], argv[2]);
  if (fd >= 0) stop_on_signals();
  return fd;
}

// One batch: the datagrams received by one recvmmsg and what goes out for them by one sendmmsg
// (up to two per datagram). Large: declare it static.
template <unsigned N>
struct Batch {
  char in[N][kMaxDatagram];
  char out[N][kMaxReply];
  sockaddr_storage peers[N];
  iovec in_iov[N], out_iov[2 * N];
  mmsghdr in_msgs[N], out_msgs[2 * N];
  unsigned out_count = 0;

  // Blocks until at least one datagram is there (MSG_WAITFORONE). The count; 0 when a signal
  // interrupted; -1 on an error (printed, prefixed with name).
  int receive(int fd, const char* name) {
    for (unsigned i = 0; i < N; ++i) {
      in_iov[i] = {in[i], kMaxDatagram};
      in_msgs[i].msg_hdr = {};
      in_msgs[i].msg_hdr.msg_name = &peers[i];
      in_msgs[i].msg_hdr.msg_namelen = sizeof peers[i];
      in_msgs[i].msg_hdr.msg_iov = &in_iov[i];
      in_msgs[i].msg_hdr.msg_iovlen = 1;
    }
    const int got = recvmmsg(fd, in_msgs, N, MSG_WAITFORONE, nullptr);
    if (got < 0 && errno == EINTR) return 0;
    if (got < 0) std::perror(name);
    return got;
  }

  // Queues data (which must stay put until send) for `to`.
  void emit(char* data, std::size_t len, sockaddr_storage* to, socklen_t to_len) {
    if (out_count == 2 * N) return;
    out_iov[out_count] = {data, len};
    out_msgs[out_count].msg_hdr = {};
    out_msgs[out_count].msg_hdr.msg_name = to;
    out_msgs[out_count].msg_hdr.msg_namelen = to_len;
    out_msgs[out_count].msg_hdr.msg_iov = &out_iov[out_count];
    out_msgs[out_count].msg_hdr.msg_iovlen = 1;
    ++out_count;
  }

  // Sends what was queued, then forgets it. A datagram the kernel refuses is lost, as on any
  // network: SIPp retransmits.
  void send(int fd) {
    for (unsigned sent = 0; sent < out_count;) {
      const int r = sendmmsg(fd, out_msgs + sent, out_count - sent, 0);
      if (r < 0) {
        if (errno == EINTR) continue;
        break;
      }
      sent += static_cast<unsigned>(r);
    }
    out_count = 0;
  }
};

// Builds the answer with `status` ("SIP/2.0 200 OK\r\n") into out (kMaxReply bytes); returns its
// length.
inline std::size_t build_reply(const char* in, std::size_t len, const char* status, char* out) {
  static constexpr char kTail[] = "Content-Length: 0\r\n\r\n";
  std::size_t n = std::strlen(status);
  std::memcpy(out, status, n);
  const char* end = in + len;
  const char* p = static_cast<const char*>(std::memchr(in, '\n', len));  // skip the request line
  while (p != nullptr && ++p < end && *p != '\r' && *p != '\n') {
    const char* eol = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    const char* line_end = eol != nullptr ? eol + 1 : end;
    const auto line_len = static_cast<std::size_t>(line_end - p);
    if (wanted_line(p, end) && n + line_len + sizeof kTail < kMaxReply) {
      std::memcpy(out + n, p, line_len);
      n += line_len;
    }
    p = eol;
  }
  std::memcpy(out + n, kTail, sizeof kTail - 1);
  return n + sizeof kTail - 1;
}

// main of both programs, "<program> <ip> <port>": binds, then hands every datagram received to
// handle(batch, i) (which queues what goes out with batch.emit), sends each batch's answers with
// one sendmmsg, and stops on SIGTERM/SIGINT with the count of datagrams. The exit status.
template <unsigned N, class Handle>
int serve(const char* name, int argc, char** argv, Handle handle) {
  const int fd = open_from_args(name, argc, argv);
  if (fd < 0) return fd == -2 ? 2 : 1;
  static Batch<N> b;
  unsigned long long handled = 0;
  while (g_stop == 0) {
    const int got = b.receive(fd, name);
    if (got < 0) return 1;
    for (int i = 0; i < got; ++i) handle(b, i);
    b.send(fd);
    handled += static_cast<unsigned>(got);
  }
  close(fd);
  std::fprintf(stderr, "%s: stopped after %llu datagrams\n", name, handled);
  return 0;
}

}  // namespace duet_floor
