// GET /api/v1/events: the EventHub on its own (fake subscribers), the route in the Router, and the
// Server-Sent Events stream over real loopback sockets (the loop in its own thread, like the
// control loop; publishing happens on that thread).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <functional>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api_test_support.hpp"
#include "duet/api/api_server.hpp"
#include "duet/api/event_hub.hpp"
#include "duet/api/router.hpp"
#include "fake_context.hpp"

namespace duet::api {
namespace {

using nlohmann::json;

// ---- EventHub -------------------------------------------------------------------------------

struct FakeSub : EventHub::Subscriber {
  void deliver(const std::shared_ptr<const std::string>& frame) override {
    frames.push_back(*frame);
    unsent += frame->size();
    if (on_deliver) on_deliver();
  }
  std::size_t unsent_bytes() const noexcept override { return unsent; }
  void overflow() override { ++overflows; }

  std::vector<std::string> frames;
  std::size_t unsent = 0;  // grows with every frame unless the test drains it
  int overflows = 0;
  std::function<void()> on_deliver;
};

TEST(EventHubTest, FormatsFramesWithIncreasingIds) {
  EventHub hub;
  FakeSub s;
  hub.subscribe(s);
  hub.publish("agent", R"({"code":"7001"})");
  hub.publish("peer", R"({"state":"up"})");
  ASSERT_EQ(s.frames.size(), 2u);
  EXPECT_EQ(s.frames[0], "id: 1\nevent: agent\ndata: {\"code\":\"7001\"}\n\n");
  EXPECT_EQ(s.frames[1], "id: 2\nevent: peer\ndata: {\"state\":\"up\"}\n\n");
  EXPECT_EQ(hub.published(), 2u);
}

TEST(EventHubTest, LineBreaksInDataBecomeSeveralDataLines) {
  EventHub hub;
  FakeSub s;
  hub.subscribe(s);
  hub.publish("site", "{\"a\":1,\n\"b\":2}\r\n");
  ASSERT_EQ(s.frames.size(), 1u);
  EXPECT_EQ(s.frames[0], "id: 1\nevent: site\ndata: {\"a\":1,\ndata: \"b\":2}\ndata: \n\n");
}

TEST(EventHubTest, NobodyListeningStillCountsAndNumbers) {
  EventHub hub;
  EXPECT_FALSE(hub.has_subscribers());
  hub.publish("agent", "{}");
  hub.publish("agent", "{}");
  EXPECT_EQ(hub.published(), 2u);
  FakeSub s;
  hub.subscribe(s);
  hub.publish("agent", "{}");
  ASSERT_EQ(s.frames.size(), 1u);
  EXPECT_EQ(s.frames[0].rfind("id: 3\n", 0), 0u);  // ids count every publish
}

TEST(EventHubTest, FilterAndUnsubscribe) {
  EventHub hub;
  FakeSub all, agents_and_peer;
  const auto a = hub.subscribe(all);
  const auto b = hub.subscribe(agents_and_peer, {"agent", "peer"});
  EXPECT_NE(a, 0u);
  EXPECT_NE(a, b);
  EXPECT_EQ(hub.subscribers(), 2u);
  hub.publish("agent", "{}");
  hub.publish("registration", "{}");
  hub.publish("peer", "{}");
  EXPECT_EQ(all.frames.size(), 3u);
  ASSERT_EQ(agents_and_peer.frames.size(), 2u);
  EXPECT_NE(agents_and_peer.frames[1].find("event: peer\n"), std::string::npos);
  hub.unsubscribe(a);
  hub.unsubscribe(a);  // idempotent
  hub.unsubscribe(12345);
  EXPECT_EQ(hub.subscribers(), 1u);
  hub.publish("agent", "{}");
  EXPECT_EQ(all.frames.size(), 3u);
  EXPECT_EQ(agents_and_peer.frames.size(), 3u);
  hub.unsubscribe(b);
  EXPECT_FALSE(hub.has_subscribers());
}

TEST(EventHubTest, SubscriberOverTheBacklogIsCutOthersKeepReceiving) {
  EventHub hub(100);
  FakeSub slow, fast;
  hub.subscribe(slow);
  hub.subscribe(fast);
  fast.on_deliver = [&] { fast.unsent = 0; };  // writes everything at once
  const std::string data(30, 'x');             // frames of 53 bytes
  hub.publish("agent", data);                  // slow: 53 unsent
  EXPECT_EQ(slow.overflows, 0);
  hub.publish("agent", data);  // slow: 106 > 100
  EXPECT_EQ(slow.overflows, 1);
  EXPECT_EQ(hub.dropped_subscribers(), 1u);
  EXPECT_EQ(hub.subscribers(), 1u);
  hub.publish("agent", data);
  EXPECT_EQ(slow.frames.size(), 2u);  // nothing after the cut
  EXPECT_EQ(fast.frames.size(), 3u);
  EXPECT_EQ(fast.overflows, 0);
}

TEST(EventHubTest, UnsubscribingFromInsideDeliverIsSafe) {
  EventHub hub;
  FakeSub first, second, third;
  EventHub::SubscriptionId id1 = hub.subscribe(first);
  hub.subscribe(second);
  const auto id3 = hub.subscribe(third);
  // The first one's write fails: it unsubscribes itself and the third one during the walk.
  first.on_deliver = [&] {
    hub.unsubscribe(id1);
    hub.unsubscribe(id3);
  };
  hub.publish("agent", "{}");
  EXPECT_EQ(first.frames.size(), 1u);
  EXPECT_EQ(second.frames.size(), 1u);
  EXPECT_EQ(third.frames.size(), 0u);
  EXPECT_EQ(hub.subscribers(), 1u);
  EXPECT_EQ(hub.dropped_subscribers(), 0u);
  hub.publish("agent", "{}");
  EXPECT_EQ(first.frames.size(), 1u);
  EXPECT_EQ(second.frames.size(), 2u);
}

TEST(EventHubTest, KnownTypes) {
  for (const auto t : EventHub::kTypes) EXPECT_TRUE(EventHub::known_type(t));
  EXPECT_FALSE(EventHub::known_type("bogus"));
  EXPECT_FALSE(EventHub::known_type(""));
  EXPECT_FALSE(EventHub::known_type("Agent"));
}

// ---- the route ------------------------------------------------------------------------------

class EventsRouteTest : public ::testing::Test {
 protected:
  HttpResponse call(Router& router, const std::string& method, const std::string& target,
                    const std::string& auth = "") {
    return testing::call_router(router, method, target, "", auth);
  }
  static std::string error(const HttpResponse& r) {
    return json::parse(r.body).value("error", std::string());
  }

  testing::FakeContext ctx;
};

TEST_F(EventsRouteTest, AsksForAStreamWithTheTypes) {
  Router router{ctx, ""};
  auto r = call(router, "GET", "/api/v1/events");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.stream);
  EXPECT_TRUE(r.stream_types.empty());
  r = call(router, "GET", "/api/v1/events?types=agent,peer");
  EXPECT_TRUE(r.stream);
  EXPECT_EQ(r.stream_types, (std::vector<std::string>{"agent", "peer"}));
  r = call(router, "GET", "/api/v1/events?types=agent%2Creachability");  // percent-encoded comma
  EXPECT_EQ(r.stream_types, (std::vector<std::string>{"agent", "reachability"}));
  // Other routes never stream.
  EXPECT_FALSE(call(router, "GET", "/api/v1/peer").stream);
}

TEST_F(EventsRouteTest, BadTypesAre400) {
  Router router{ctx, ""};
  auto r = call(router, "GET", "/api/v1/events?types=agent,bogus");
  EXPECT_EQ(r.status, 400);
  EXPECT_FALSE(r.stream);
  EXPECT_NE(error(r).find("'bogus'"), std::string::npos) << r.body;
  EXPECT_NE(error(r).find("registration"), std::string::npos) << r.body;  // lists the known ones
  EXPECT_EQ(call(router, "GET", "/api/v1/events?types=agent,").status, 400);
  EXPECT_EQ(call(router, "GET", "/api/v1/events?types=,agent").status, 400);
  EXPECT_EQ(call(router, "GET", "/api/v1/events?types=agent,,peer").status, 400);
  EXPECT_EQ(call(router, "GET", "/api/v1/events?types=AGENT").status, 400);
  EXPECT_EQ(call(router, "GET", "/api/v1/events?types=%zz").status, 400);
}

TEST_F(EventsRouteTest, MethodTokenAndMissingHub) {
  Router open{ctx, ""};
  auto r = call(open, "POST", "/api/v1/events");
  EXPECT_EQ(r.status, 405);
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0], (std::pair<std::string, std::string>{"Allow", "GET"}));

  Router guarded{ctx, "s3cret"};
  r = call(guarded, "GET", "/api/v1/events");
  EXPECT_EQ(r.status, 401);
  EXPECT_FALSE(r.stream);
  r = call(guarded, "GET", "/api/v1/events", "Bearer wrong!");
  EXPECT_EQ(r.status, 401);
  r = call(guarded, "GET", "/api/v1/events", "Bearer s3cret");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.stream);

  ctx.hub.reset();
  r = call(open, "GET", "/api/v1/events");
  EXPECT_EQ(r.status, 503);
  EXPECT_FALSE(r.stream);
  EXPECT_EQ(error(r), "the event stream is not available");
}

// ---- the stream over sockets ----------------------------------------------------------------

struct Event {
  std::uint64_t id = 0;
  std::string type, data;
};

// A blocking client socket with what it has read so far.
struct Client {
  int fd = -1;
  std::string got;

  ~Client() {
    if (fd >= 0) ::close(fd);
  }
  void send_all(const std::string& s) const {
    size_t off = 0;
    while (off < s.size()) {
      const auto n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
  }
  // Reads until `needle` is in got (after `from`), the peer closes or the 3 s receive timeout.
  bool read_until(const std::string& needle, std::size_t from = 0) {
    char buf[16384];
    while (got.find(needle, from) == std::string::npos) {
      const auto n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return false;
      got.append(buf, static_cast<size_t>(n));
    }
    return true;
  }
  // True if the server closed the connection (EOF or reset) before the receive timeout.
  bool read_to_close() {
    char buf[16384];
    while (true) {
      const auto n = ::recv(fd, buf, sizeof buf, 0);
      if (n == 0) return true;
      if (n < 0) return errno != EAGAIN && errno != EWOULDBLOCK;
      got.append(buf, static_cast<size_t>(n));
    }
  }
  // The events after the headers, in arrival order; comments (": ...") skipped.
  std::vector<Event> events() const {
    std::vector<Event> out;
    auto pos = got.find("\r\n\r\n");
    if (pos == std::string::npos) return out;
    pos += 4;
    while (true) {
      const auto end = got.find("\n\n", pos);
      if (end == std::string::npos) break;
      const std::string frame = got.substr(pos, end - pos + 1);
      pos = end + 2;
      if (frame[0] == ':') continue;
      Event e;
      std::size_t line = 0;
      while (line < frame.size()) {
        const auto nl = frame.find('\n', line);
        const std::string l = frame.substr(line, nl - line);
        line = nl + 1;
        if (l.rfind("id: ", 0) == 0) e.id = std::stoull(l.substr(4));
        if (l.rfind("event: ", 0) == 0) e.type = l.substr(7);
        if (l.rfind("data: ", 0) == 0) e.data = l.substr(6);
      }
      out.push_back(e);
    }
    return out;
  }
  std::string headers() const { return got.substr(0, got.find("\r\n\r\n") + 4); }
};

class EventStreamTest : public ::testing::Test {
 protected:
  void start(ApiOptions opts = {}) { srv_.start(opts, ctx_); }
  void TearDown() override { srv_.stop(); }

  // Runs f on the loop thread (where the hub and the server live) and returns its result.
  template <class F>
  auto on_loop(F f) -> decltype(f()) {
    return srv_.on_loop(std::move(f));
  }
  void publish(const std::string& type, const std::string& data) {
    on_loop([&] { ctx_.hub->publish(type, data); });
  }
  std::size_t subscribers() {
    return on_loop([&] { return ctx_.hub->subscribers(); });
  }
  // Polls the loop thread until pred() holds (up to 3 s).
  bool eventually(const std::function<bool()>& pred) {
    for (int i = 0; i < 300; ++i) {
      if (on_loop(pred)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  std::unique_ptr<Client> connect_client(int rcvbuf = 0) const {
    auto c = std::make_unique<Client>();
    c->fd = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{3, 0};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (rcvbuf > 0) setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);  // before connect
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(srv_.port());
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(c->fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    return c;
  }
  // A client whose stream is open: the headers and ": connected" are in (and it is subscribed,
  // since the server subscribes in the same loop turn that sends them).
  std::unique_ptr<Client> open_stream(const std::string& query = "", const std::string& extra_headers = "",
                                      int rcvbuf = 0) {
    auto c = connect_client(rcvbuf);
    c->send_all("GET /api/v1/events" + query + " HTTP/1.1\r\nHost: x\r\n" + extra_headers + "\r\n");
    EXPECT_TRUE(c->read_until("\r\n\r\n: connected\n\n")) << c->got;
    return c;
  }

  testing::FakeContext ctx_;
  testing::LoopServer srv_;
};

TEST_F(EventStreamTest, HeadersThenEventsInPublishOrder) {
  start();
  auto c = open_stream();
  const auto h = c->headers();
  EXPECT_EQ(h.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << h;
  EXPECT_NE(h.find("\r\nContent-Type: text/event-stream\r\n"), std::string::npos) << h;
  EXPECT_NE(h.find("\r\nCache-Control: no-cache\r\n"), std::string::npos) << h;
  EXPECT_NE(h.find("\r\nConnection: keep-alive\r\n"), std::string::npos) << h;
  EXPECT_EQ(h.find("Content-Length"), std::string::npos) << h;
  EXPECT_EQ(c->got.substr(h.size()).rfind(": connected\n\n", 0), 0u);  // the first thing after them
  EXPECT_EQ(subscribers(), 1u);

  publish("agent", R"({"code":"7001","state":"ready"})");
  publish("peer", R"({"state":"up"})");
  publish("registration", R"({"aor":"sip:1001@x"})");
  ASSERT_TRUE(c->read_until("id: 3\n")) << c->got;
  ASSERT_TRUE(c->read_until("\n\n", c->got.find("id: 3\n")));
  const auto ev = c->events();
  ASSERT_EQ(ev.size(), 3u) << c->got;
  EXPECT_EQ(ev[0].id, 1u);
  EXPECT_EQ(ev[0].type, "agent");
  EXPECT_EQ(json::parse(ev[0].data)["state"], "ready");
  EXPECT_EQ(ev[1].id, 2u);
  EXPECT_EQ(ev[1].type, "peer");
  EXPECT_EQ(ev[2].id, 3u);
  EXPECT_EQ(ev[2].type, "registration");
  EXPECT_EQ(ev[2].data, R"({"aor":"sip:1001@x"})");
  EXPECT_EQ(on_loop([&] { return srv_.server().stats().event_streams; }), 1u);
}

TEST_F(EventStreamTest, TypeFilter) {
  start();
  auto c = open_stream("?types=agent,peer");
  publish("agent", R"({"n":1})");
  publish("registration", R"({"n":2})");
  publish("peer", R"({"n":3})");
  publish("site", R"({"n":4})");
  publish("reachability", R"({"n":5})");
  publish("agent", R"({"n":6})");  // the last one: everything before it has been sent
  ASSERT_TRUE(c->read_until("data: {\"n\":6}\n\n")) << c->got;
  const auto ev = c->events();
  ASSERT_EQ(ev.size(), 3u) << c->got;
  EXPECT_EQ(ev[0].id, 1u);
  EXPECT_EQ(ev[0].type, "agent");
  EXPECT_EQ(ev[1].id, 3u);
  EXPECT_EQ(ev[1].type, "peer");
  EXPECT_EQ(ev[2].id, 6u);
  EXPECT_EQ(ev[2].type, "agent");
}

TEST_F(EventStreamTest, BadTypeIs400AndNoStream) {
  start();
  auto c = connect_client();
  c->send_all("GET /api/v1/events?types=agent,nope HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(c->read_until("}")) << c->got;
  EXPECT_EQ(c->got.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << c->got;
  EXPECT_NE(c->got.find("Content-Type: application/json"), std::string::npos);
  EXPECT_NE(c->got.find("unknown event type 'nope'"), std::string::npos) << c->got;
  EXPECT_EQ(subscribers(), 0u);
  // An ordinary keep-alive connection still: the next request is served.
  c->got.clear();
  c->send_all("POST /api/v1/events HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(c->read_until("}")) << c->got;
  EXPECT_EQ(c->got.rfind("HTTP/1.1 405", 0), 0u) << c->got;
}

TEST_F(EventStreamTest, TokenIsRequiredWhenSet) {
  ApiOptions o;
  o.token = "t0ken";
  start(o);
  auto c = connect_client();
  c->send_all("GET /api/v1/events HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(c->read_until("}")) << c->got;
  EXPECT_EQ(c->got.rfind("HTTP/1.1 401 Unauthorized\r\n", 0), 0u) << c->got;
  EXPECT_NE(c->got.find("WWW-Authenticate: Bearer"), std::string::npos);
  EXPECT_EQ(subscribers(), 0u);
  auto ok = open_stream("", "Authorization: Bearer t0ken\r\n");
  EXPECT_EQ(ok->got.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << ok->got;
  EXPECT_EQ(subscribers(), 1u);
}

TEST_F(EventStreamTest, NoHubIs503) {
  ctx_.hub.reset();
  start();
  auto c = connect_client();
  c->send_all("GET /api/v1/events HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(c->read_until("}")) << c->got;
  EXPECT_EQ(c->got.rfind("HTTP/1.1 503 Service Unavailable\r\n", 0), 0u) << c->got;
}

TEST_F(EventStreamTest, TwoSubscribersBothReceive) {
  start();
  auto a = open_stream();
  auto b = open_stream("?types=site");
  EXPECT_EQ(subscribers(), 2u);
  publish("site", R"({"site":"b","state":"up"})");
  publish("agent", R"({"code":"1"})");
  publish("site", R"({"site":"b","state":"down"})");
  ASSERT_TRUE(a->read_until("id: 3\n"));
  ASSERT_TRUE(a->read_until("\n\n", a->got.find("id: 3\n")));
  ASSERT_TRUE(b->read_until("\"down\"}\n\n"));
  ASSERT_EQ(a->events().size(), 3u);
  const auto eb = b->events();
  ASSERT_EQ(eb.size(), 2u);
  EXPECT_EQ(eb[0].id, 1u);
  EXPECT_EQ(eb[1].id, 3u);
  EXPECT_EQ(eb[1].data, R"({"site":"b","state":"down"})");
}

TEST_F(EventStreamTest, SubscriberThatNeverReadsIsCutOthersKeepReceiving) {
  constexpr std::size_t kLimit = 64 * 1024;
  ctx_.hub = std::make_unique<EventHub>(kLimit);
  start();
  auto slow = open_stream("", "", /*rcvbuf=*/4096);  // then never reads again
  auto fast = open_stream();
  ASSERT_EQ(subscribers(), 2u);
  // Bursts of 16 events of ~2 KiB (half the limit), each read by the fast client before the next,
  // until the kernel buffers of the slow one are full and its unsent bytes pass the limit.
  const std::string pad(2000, 'p');
  std::uint64_t last = 0;
  std::size_t sent_bytes = 0;
  bool cut = false;
  // (Loopback kernel buffers hold ~3 MiB here at most; give up well beyond that.)
  while (!cut && sent_bytes < (64u << 20)) {
    const auto seen = fast->got.size();
    last = on_loop([&] {
      for (int i = 0; i < 16; ++i) ctx_.hub->publish("agent", R"({"pad":")" + pad + R"("})");
      return ctx_.hub->published();
    });
    sent_bytes += 16 * pad.size();
    ASSERT_TRUE(fast->read_until("id: " + std::to_string(last) + "\n", seen))
        << "fast subscriber stalled at " << last;
    cut = on_loop([&] { return ctx_.hub->dropped_subscribers() == 1; });
  }
  ASSERT_TRUE(cut) << "the slow subscriber was never cut after " << sent_bytes << " bytes";
  EXPECT_EQ(subscribers(), 1u);
  EXPECT_TRUE(slow->read_to_close());  // the server closed it (after what the kernel held)
  EXPECT_TRUE(eventually([&] { return srv_.server().connections() == 1; }));

  // The fast one got every event, in order, and still receives.
  publish("peer", R"({"after":"cut"})");
  ASSERT_TRUE(fast->read_until(R"(data: {"after":"cut"})")) << fast->got.substr(fast->got.size() - 200);
  const auto ev = fast->events();
  ASSERT_EQ(ev.size(), last + 1);
  for (std::size_t i = 0; i < ev.size(); ++i) ASSERT_EQ(ev[i].id, i + 1);
  EXPECT_EQ(ev.back().type, "peer");
  EXPECT_EQ(on_loop([&] { return ctx_.hub->dropped_subscribers(); }), 1u);
}

TEST_F(EventStreamTest, ClosingTheClientUnsubscribes) {
  start();
  auto a = open_stream();
  auto b = open_stream();
  EXPECT_EQ(subscribers(), 2u);
  a.reset();  // closes the socket
  EXPECT_TRUE(eventually([&] { return ctx_.hub->subscribers() == 1; }));
  EXPECT_TRUE(eventually([&] { return srv_.server().connections() == 1; }));
  publish("agent", "{}");  // the remaining one is unaffected
  EXPECT_TRUE(b->read_until("event: agent\n"));
  b.reset();
  EXPECT_TRUE(eventually([&] { return ctx_.hub->subscribers() == 0 && srv_.server().connections() == 0; }));
  EXPECT_EQ(on_loop([&] { return ctx_.hub->dropped_subscribers(); }), 0u);
}

TEST_F(EventStreamTest, StopWithAnOpenStreamIsClean) {
  start();
  auto c = open_stream();
  publish("agent", R"({"n":1})");
  ASSERT_TRUE(c->read_until("event: agent\n"));
  // A backlog still queued in the server when it stops: the writes are cancelled and freed.
  on_loop([&] {
    for (int i = 0; i < 200; ++i) ctx_.hub->publish("agent", std::string(4000, 'z'));
    srv_.server().stop();
  });
  EXPECT_EQ(subscribers(), 0u);
  EXPECT_TRUE(c->read_to_close());
  EXPECT_TRUE(eventually([&] { return srv_.server().connections() == 0; }));
  publish("agent", "{}");  // nobody left to deliver to
  // TearDown: the loop ends (every handle closed) and uv_loop_close succeeds; ASan checks leaks.
}

TEST_F(EventStreamTest, PipelinedRequestsAfterTheStreamAreNotServed) {
  start();
  auto c = connect_client();
  c->send_all(
      "GET /healthz HTTP/1.1\r\n\r\n"
      "GET /api/v1/events HTTP/1.1\r\n\r\n"
      "GET /api/v1/peer HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(c->read_until(": connected\n\n")) << c->got;
  // The request before it is answered first, the one after it never.
  const auto health = c->got.find("\"status\":\"ok\"");
  const auto stream = c->got.find("Content-Type: text/event-stream");
  ASSERT_NE(health, std::string::npos) << c->got;
  ASSERT_NE(stream, std::string::npos) << c->got;
  EXPECT_LT(health, stream);
  // Anything sent on the stream is ignored too (no 400 for garbage).
  c->send_all("garbage\r\n\r\nGET /healthz HTTP/1.1\r\n\r\n");
  publish("peer", R"({"n":1})");
  ASSERT_TRUE(c->read_until("data: {\"n\":1}\n\n")) << c->got;
  const auto after = c->got.substr(c->got.find(": connected\n\n"));
  EXPECT_EQ(after.find("HTTP/1.1"), std::string::npos) << after;
  EXPECT_EQ(after.find("\"state\""), std::string::npos) << after;
  EXPECT_EQ(on_loop([&] { return srv_.server().stats().requests; }), 2u);
  EXPECT_EQ(subscribers(), 1u);
}

TEST_F(EventStreamTest, KeepaliveCommentsAndNoIdleTimeout) {
  ApiOptions o;
  o.idle_timeout_ms = 100;
  o.sse_keepalive_ms = 150;
  start(o);
  auto c = open_stream();
  const auto start_at = c->got.size();
  ASSERT_TRUE(c->read_until(": keepalive\n\n", start_at)) << c->got;
  const auto first = c->got.find(": keepalive\n\n", start_at);
  ASSERT_TRUE(c->read_until(": keepalive\n\n", first + 1)) << c->got;  // it repeats
  // Well past the idle timeout, the stream is still open and delivers.
  EXPECT_EQ(subscribers(), 1u);
  publish("agent", R"({"alive":true})");
  EXPECT_TRUE(c->read_until(R"(data: {"alive":true})")) << c->got;
}

TEST_F(EventStreamTest, NoIdleTimeoutWithoutKeepalives) {
  ApiOptions o;
  o.idle_timeout_ms = 50;
  o.sse_keepalive_ms = 0;  // none
  start(o);
  auto c = open_stream();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(subscribers(), 1u);
  publish("agent", R"({"alive":true})");
  ASSERT_TRUE(c->read_until(R"(data: {"alive":true})")) << c->got;
  EXPECT_EQ(c->got.find(": keepalive"), std::string::npos);
}

TEST_F(EventStreamTest, StreamsCountAgainstMaxConnections) {
  ApiOptions o;
  o.max_connections = 1;
  start(o);
  auto a = open_stream();
  auto b = connect_client();
  b->send_all("GET /api/v1/events HTTP/1.1\r\n\r\n");
  EXPECT_TRUE(b->read_to_close());
  EXPECT_EQ(b->got, "");  // closed without an answer
  EXPECT_EQ(subscribers(), 1u);
  publish("agent", "{}");
  EXPECT_TRUE(a->read_until("event: agent\n"));
}

}  // namespace
}  // namespace duet::api
