// The server over real loopback sockets: keep-alive, pipelining, malformed and oversize requests,
// the token, the loopback rule. The loop runs in its own thread, like the control loop.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "api_test_support.hpp"
#include "duet/api/api_server.hpp"
#include "fake_context.hpp"

namespace duet::api {
namespace {

class ServerTest : public ::testing::Test {
 protected:
  void start(ApiOptions opts = {}) { srv_.start(opts, ctx_); }
  void TearDown() override { srv_.stop(); }

  int connect_client() const {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{3, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(srv_.port());
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    return fd;
  }
  static void send_all(int fd, const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
      const auto n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;  // the server may close early (oversize): the test checks the answer
      off += static_cast<size_t>(n);
    }
  }
  // Reads until the peer closes or `responses` complete responses (by Content-Length) are in.
  static std::string read_responses(int fd, int responses) {
    std::string got;
    char buf[4096];
    for (int i = 0; i < 1000; ++i) {
      if (count_complete(got) >= responses) break;
      const auto n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      got.append(buf, static_cast<size_t>(n));
    }
    return got;
  }
  static int count_complete(const std::string& s) {
    int n = 0;
    size_t pos = 0;
    while (true) {
      const auto end = s.find("\r\n\r\n", pos);
      if (end == std::string::npos) return n;
      size_t len = 0;
      const auto cl = s.find("Content-Length: ", pos);
      if (cl != std::string::npos && cl < end) len = std::stoul(s.substr(cl + 16));
      if (s.size() < end + 4 + len) return n;
      pos = end + 4 + len;
      ++n;
    }
  }
  static bool closed_by_peer(int fd) {
    char c;
    return ::recv(fd, &c, 1, 0) == 0;
  }
  std::string exchange(const std::string& request, int responses = 1) {
    const int fd = connect_client();
    send_all(fd, request);
    auto r = read_responses(fd, responses);
    ::close(fd);
    return r;
  }

  testing::FakeContext ctx_;
  testing::LoopServer srv_;
};

TEST_F(ServerTest, HealthzOverHttp11) {
  start();
  const auto r = exchange("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << r;
  EXPECT_NE(r.find("Content-Type: application/json"), std::string::npos);
  EXPECT_NE(r.find("Connection: keep-alive"), std::string::npos);
  EXPECT_NE(r.find(R"("status":"ok")"), std::string::npos);
}

TEST_F(ServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  start();
  const int fd = connect_client();
  send_all(fd, "POST /api/v1/config/users HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n{\"id\":\"u1\"}");
  auto r = read_responses(fd, 1);
  EXPECT_EQ(r.rfind("HTTP/1.1 201 Created\r\n", 0), 0u) << r;
  send_all(fd, "GET /api/v1/config/users/u1 HTTP/1.1\r\nHost: x\r\n\r\n");
  r = read_responses(fd, 1);
  EXPECT_EQ(r.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << r;
  EXPECT_NE(r.find(R"("id":"u1")"), std::string::npos);
  ::close(fd);
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  start();
  const auto r = exchange(
      "GET /api/v1/config/users/none HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /api/v1/peer HTTP/1.1\r\nHost: x\r\n\r\n",
      3);
  const auto a = r.find("HTTP/1.1 404"), b = r.find("HTTP/1.1 200", a), c = r.find("\"state\"", b);
  EXPECT_NE(a, std::string::npos) << r;
  EXPECT_NE(b, std::string::npos) << r;
  EXPECT_NE(c, std::string::npos) << r;
}

TEST_F(ServerTest, ConnectionCloseIsHonoured) {
  start();
  const int fd = connect_client();
  send_all(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /healthz HTTP/1.1\r\n\r\n");
  const auto r = read_responses(fd, 2);
  EXPECT_EQ(count_complete(r), 1) << r;  // nothing after the request that asked to close
  EXPECT_NE(r.find("Connection: close"), std::string::npos);
  ::close(fd);
}

TEST_F(ServerTest, MalformedRequestGets400AndClose) {
  start();
  const int fd = connect_client();
  send_all(fd, "GET /healthz HTTP/1.1\r\nHost x\r\n\r\n");
  const auto r = read_responses(fd, 1);
  EXPECT_EQ(r.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << r;
  EXPECT_NE(r.find("malformed HTTP request"), std::string::npos);
  EXPECT_TRUE(closed_by_peer(fd));
  ::close(fd);
  EXPECT_EQ(exchange("\x01\x02garbage\r\n\r\n").rfind("HTTP/1.1 400", 0), 0u);
}

TEST_F(ServerTest, OversizeBodyAndHeadersGet413) {
  ApiOptions o;
  o.max_body_bytes = 100;
  o.max_header_bytes = 512;
  start(o);
  // Declared too large: refused before the body is read.
  auto r = exchange("POST /api/v1/config/users HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 413 Payload Too Large\r\n", 0), 0u) << r;
  // Chunked, growing past the limit.
  r = exchange("POST /api/v1/config/users HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n80\r\n" +
               std::string(128, 'a') + "\r\n0\r\n\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 413", 0), 0u) << r;
  r = exchange("GET /healthz HTTP/1.1\r\nX-Big: " + std::string(1000, 'b') + "\r\n\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 413", 0), 0u) << r;
  r = exchange("GET /" + std::string(1000, 'u') + " HTTP/1.1\r\n\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 413", 0), 0u) << r;
  // The server still serves.
  EXPECT_EQ(exchange("GET /healthz HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 200", 0), 0u);
}

TEST_F(ServerTest, TokenIsEnforcedOverTheWire) {
  ApiOptions o;
  o.token = "t0ken";
  start(o);
  auto r = exchange("GET /api/v1/peer HTTP/1.1\r\n\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 401 Unauthorized\r\n", 0), 0u) << r;
  EXPECT_NE(r.find("WWW-Authenticate: Bearer"), std::string::npos);
  r = exchange("GET /api/v1/peer HTTP/1.1\r\nAuthorization: Bearer t0ken\r\n\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 200", 0), 0u) << r;
}

TEST_F(ServerTest, DeleteAnswers204WithoutBody) {
  start();
  exchange("POST /api/v1/config/users HTTP/1.1\r\nContent-Length: 11\r\n\r\n{\"id\":\"u1\"}");
  const auto r = exchange("DELETE /api/v1/config/users/u1 HTTP/1.1\r\n\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 204 No Content\r\n", 0), 0u) << r;
  EXPECT_EQ(r.find("Content-Length"), std::string::npos);
}

TEST_F(ServerTest, IdleKeepAliveConnectionIsClosed) {
  ApiOptions o;
  o.idle_timeout_ms = 100;
  start(o);
  const int fd = connect_client();
  send_all(fd, "GET /healthz HTTP/1.1\r\n\r\n");
  EXPECT_EQ(read_responses(fd, 1).rfind("HTTP/1.1 200", 0), 0u);
  EXPECT_TRUE(closed_by_peer(fd));  // within the 3 s receive timeout, after ~100 ms of silence
  ::close(fd);
}

TEST_F(ServerTest, ConnectionsBeyondTheCapAreClosed) {
  ApiOptions o;
  o.max_connections = 1;
  start(o);
  const int first = connect_client();
  send_all(first, "GET /healthz HTTP/1.1\r\n\r\n");
  ASSERT_EQ(read_responses(first, 1).rfind("HTTP/1.1 200", 0), 0u);
  const int second = connect_client();
  send_all(second, "GET /healthz HTTP/1.1\r\n\r\n");
  EXPECT_EQ(read_responses(second, 1), "");  // closed without an answer
  ::close(second);
  send_all(first, "GET /healthz HTTP/1.1\r\n\r\n");  // the first one still works
  EXPECT_EQ(read_responses(first, 1).rfind("HTTP/1.1 200", 0), 0u);
  ::close(first);
}

TEST_F(ServerTest, AnswersGivenLaterStillGoOutInOrder) {
  ctx_.defer = true;
  start();
  const int fd = connect_client();
  send_all(fd, "GET /api/v1/registrations HTTP/1.1\r\n\r\nGET /healthz HTTP/1.1\r\n\r\n");
  // /healthz is answered at once but must wait behind the registrations query.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  // The context belongs to the loop thread: answer the deferred query there.
  std::function<void()> answer = [this, &answer] {
    if (ctx_.pending.empty()) {  // the request has not been parsed yet: try again
      srv_.post(answer);
      return;
    }
    for (auto& f : ctx_.pending) f();
    ctx_.pending.clear();
  };
  srv_.post(answer);
  const auto r = read_responses(fd, 2);
  const auto a = r.find("\"registrations\""), b = r.find("\"status\":\"ok\"");
  EXPECT_NE(a, std::string::npos) << r;
  EXPECT_NE(b, std::string::npos) << r;
  EXPECT_LT(a, b) << r;
  ::close(fd);
}

// A request dribbled in one byte per segment: URL, header names/values and the body are split
// across reads and must be put back together (token included, so a split Authorization counts).
TEST_F(ServerTest, RequestSplitIntoSingleBytes) {
  ApiOptions o;
  o.token = "abc123";
  start(o);
  const int fd = connect_client();
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  const std::string req =
      "POST /api/v1/config/users HTTP/1.1\r\nAuthorization: Bearer abc123\r\nContent-Length: 24\r\n\r\n"
      "{\"id\":\"u7\",\"name\":\"Sev\"}";
  for (char c : req) {
    send_all(fd, std::string(1, c));
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  const auto r = read_responses(fd, 1);
  EXPECT_EQ(r.rfind("HTTP/1.1 201", 0), 0u) << r;
  EXPECT_NE(r.find(R"("name":"Sev")"), std::string::npos) << r;
  ::close(fd);
}

// Damaged requests (every truncation point of a request line, stray bytes) never take the server
// down: each gets a 400 and the connection closes, and a good request afterwards is served.
TEST_F(ServerTest, DamagedRequestsLeaveTheServerServing) {
  start();
  const std::vector<std::string> bad = {
      "GET\r\n\r\n",
      "GET / HTTP/9.9\r\n\r\n",
      "GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
      "GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
      "POST /api/v1/config/users HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      std::string("GET /\0 HTTP/1.1\r\n\r\n", 19)};
  for (std::size_t i = 0; i < bad.size(); ++i) {
    const auto r = exchange(bad[i]);
    EXPECT_EQ(r.rfind("HTTP/1.1 400", 0), 0u) << "case " << i << " -> " << r;
  }
  EXPECT_EQ(exchange("GET /healthz HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 200", 0), 0u);
}

TEST(ApiServerStart, BeyondLoopbackNeedsAToken) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  testing::FakeContext ctx;
  ApiOptions o;
  o.ip = "0.0.0.0";
  o.port = 0;
  {
    ApiServer s(&loop, o, ctx);
    try {
      s.start();
      FAIL() << "started without a token on 0.0.0.0";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("set [api] token"), std::string::npos);
    }
  }
  o.ip = "not-an-ip";
  o.token = "x";
  {
    ApiServer s(&loop, o, ctx);
    EXPECT_THROW(s.start(), std::runtime_error);
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

TEST(IsLoopback, Ranges) {
  EXPECT_TRUE(is_loopback("127.0.0.1"));
  EXPECT_TRUE(is_loopback("127.1.2.3"));
  EXPECT_TRUE(is_loopback("::1"));
  EXPECT_TRUE(is_loopback("::ffff:127.0.0.2"));
  EXPECT_FALSE(is_loopback("0.0.0.0"));
  EXPECT_FALSE(is_loopback("::"));
  EXPECT_FALSE(is_loopback("10.0.0.1"));
  EXPECT_FALSE(is_loopback("localhost"));  // numeric only
}

}  // namespace
}  // namespace duet::api
