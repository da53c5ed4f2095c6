// libuv sockets + http_parser (Debian libhttp-parser-dev). Each connection parses requests as
// they arrive, answers them in order (a slot per request, since /registrations answers later)
// and keeps the connection open when HTTP/1.1 keep-alive says so. GET /api/v1/events turns its
// connection into an event stream: an EventHub subscriber that only writes from then on.
#include "duet/api/api_server.hpp"

#include <arpa/inet.h>
#include <http_parser.h>

#include <strings.h>

#include <climits>
#include <cstring>
#include <deque>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace duet::api {

bool is_loopback(const std::string& ip) {
  in_addr a4{};
  if (inet_pton(AF_INET, ip.c_str(), &a4) == 1) return (ntohl(a4.s_addr) >> 24) == 127;
  in6_addr a6{};
  if (inet_pton(AF_INET6, ip.c_str(), &a6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&a6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
  }
  return false;
}

class ApiServer::Connection : public std::enable_shared_from_this<ApiServer::Connection>,
                              public EventHub::Subscriber {
 public:
  explicit Connection(ApiServer& s) : server_(s) {
    http_parser_init(&parser_, HTTP_REQUEST);
    parser_.data = this;
    tcp_.data = this;
    timer_.data = this;
  }
  ~Connection() override { unsubscribe(); }

  uv_tcp_t* tcp() { return &tcp_; }

  void start() {
    uv_timer_init(server_.loop_, &timer_);
    ++open_handles_;
    touch();
    uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), on_alloc, on_read);
  }

  // Closes both handles; the last close callback tells the server to drop us.
  void close() {
    if (closing_) return;
    closing_ = true;
    unsubscribe();
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), on_closed);
    if (open_handles_ == 2) uv_close(reinterpret_cast<uv_handle_t*>(&timer_), on_closed);
  }

  void count_tcp_open() { open_handles_ = 1; }

  // EventHub::Subscriber (an event stream).
  void deliver(const std::shared_ptr<const std::string>& frame) override {
    if (closing_) return;
    write(new Write{{}, {}, frame, shared_from_this(), false});
  }
  std::size_t unsent_bytes() const noexcept override {
    return uv_stream_get_write_queue_size(reinterpret_cast<const uv_stream_t*>(&tcp_));
  }
  void overflow() override {
    sub_id_ = 0;  // the hub has dropped us already
    close();
  }

 private:
  struct Slot {
    bool ready = false;
    bool keep_alive = true;
    std::string bytes;
    bool stream = false;  // GET /api/v1/events: switch to an event stream instead of sending bytes
    std::vector<std::string> stream_types;
    std::vector<std::pair<std::string, std::string>> stream_headers;
  };
  struct Write {
    uv_write_t req;
    std::string bytes;
    std::shared_ptr<const std::string> shared;  // an event frame, shared by its subscribers (else bytes)
    std::shared_ptr<Connection> self;
    bool close_after;
  };

  static http_parser_settings settings() {
    http_parser_settings s{};
    s.on_message_begin = [](http_parser* p) { return self(p).on_begin(); };
    s.on_url = [](http_parser* p, const char* at, size_t n) { return self(p).on_url(at, n); };
    s.on_header_field = [](http_parser* p, const char* at, size_t n) { return self(p).on_field(at, n); };
    s.on_header_value = [](http_parser* p, const char* at, size_t n) { return self(p).on_value(at, n); };
    s.on_headers_complete = [](http_parser* p) { return self(p).on_headers_complete(); };
    s.on_body = [](http_parser* p, const char* at, size_t n) { return self(p).on_body(at, n); };
    s.on_message_complete = [](http_parser* p) { return self(p).on_complete(); };
    return s;
  }
  static Connection& self(http_parser* p) { return *static_cast<Connection*>(p->data); }

  int on_begin() {
    req_ = HttpRequest{};
    url_.clear();
    field_.clear();
    header_bytes_ = 0;
    in_value_ = false;
    return 0;
  }
  bool header_budget(size_t n) {
    header_bytes_ += n;
    if (header_bytes_ <= server_.opts_.max_header_bytes) return true;
    reject_ = 413;
    reject_message_ =
        "request line and headers exceed " + std::to_string(server_.opts_.max_header_bytes) + " bytes";
    return false;
  }
  int on_url(const char* at, size_t n) {
    if (!header_budget(n)) return -1;
    url_.append(at, n);
    return 0;
  }
  int on_field(const char* at, size_t n) {
    if (!header_budget(n)) return -1;
    if (in_value_) field_.clear();
    in_value_ = false;
    field_.append(at, n);
    return 0;
  }
  int on_value(const char* at, size_t n) {
    if (!header_budget(n)) return -1;
    in_value_ = true;
    if (strcasecmp(field_.c_str(), "authorization") == 0) req_.authorization.append(at, n);
    return 0;
  }
  int on_headers_complete() {
    if (parser_.http_major != 1) {
      reject_ = 400;
      reject_message_ = "only HTTP/1.0 and HTTP/1.1 are supported";
      return -1;
    }
    // Content-Length is known now: refuse a big body before reading it.
    if (parser_.content_length != ULLONG_MAX && parser_.content_length > server_.opts_.max_body_bytes) {
      reject_ = 413;
      reject_message_ = "body exceeds " + std::to_string(server_.opts_.max_body_bytes) + " bytes";
      return -1;
    }
    return 0;
  }
  int on_body(const char* at, size_t n) {
    if (req_.body.size() + n > server_.opts_.max_body_bytes) {  // chunked bodies have no length up front
      reject_ = 413;
      reject_message_ = "body exceeds " + std::to_string(server_.opts_.max_body_bytes) + " bytes";
      return -1;
    }
    req_.body.append(at, n);
    return 0;
  }
  int on_complete() {
    req_.method = http_method_str(static_cast<http_method>(parser_.method));
    const auto q = url_.find('?');
    req_.path = url_.substr(0, q);
    if (q != std::string::npos) req_.query = url_.substr(q + 1);
    const bool keep_alive = http_should_keep_alive(&parser_) != 0;
    if (slots_.size() >= server_.opts_.max_pipelined) {
      reject_ = 503;
      reject_message_ = "too many pipelined requests";
      return -1;
    }
    ++server_.stats_.requests;
    slots_.push_back(Slot{false, keep_alive, {}});
    const std::uint64_t id = next_slot_id_++;
    std::weak_ptr<Connection> weak = shared_from_this();
    server_.router_.handle(req_, [weak, id](HttpResponse r) {
      if (auto c = weak.lock()) c->answer(id, r);
    });
    // The connection ends with this request: whatever follows it is not read.
    if (!keep_alive) http_parser_pause(&parser_, 1);
    return 0;
  }

  void answer(std::uint64_t id, const HttpResponse& r) {
    if (closing_) return;
    if (r.status == 401) ++server_.stats_.unauthorized;
    const std::uint64_t first = next_slot_id_ - slots_.size();
    if (id < first) return;
    auto& slot = slots_[id - first];
    if (r.stream) {
      slot.stream = true;
      slot.stream_types = r.stream_types;
      slot.stream_headers = r.headers;
      // Nothing after the events request is served: whatever follows it is not parsed.
      http_parser_pause(&parser_, 1);
    } else {
      slot.bytes = serialize(r, slot.keep_alive);
    }
    slot.ready = true;
    flush();
  }

  static std::string serialize(const HttpResponse& r, bool keep_alive) {
    std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + reason_phrase(r.status) + "\r\n";
    if (r.status != 204)
      out += "Content-Type: application/json\r\nContent-Length: " + std::to_string(r.body.size()) + "\r\n";
    for (const auto& [k, v] : r.headers) out += k + ": " + v + "\r\n";
    out += keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
    out += "\r\n";
    if (r.status != 204) out += r.body;
    return out;
  }

  // Sends the answers that are ready, in request order.
  void flush() {
    while (!slots_.empty() && slots_.front().ready && !closing_) {
      Slot s = std::move(slots_.front());
      slots_.pop_front();
      if (s.stream) {
        slots_.clear();  // requests pipelined after the events request are not served
        return start_stream(std::move(s.stream_types), s.stream_headers);
      }
      send(std::move(s.bytes), !s.keep_alive);
      if (!s.keep_alive) slots_.clear();  // nothing is sent after "Connection: close"
    }
  }

  // The headers, a first comment, then events from the hub until either side closes. The idle
  // timer becomes the keep-alive timer; reads are ignored from now on (but still watched for EOF).
  void start_stream(std::vector<std::string> types,
                    const std::vector<std::pair<std::string, std::string>>& extra) {
    EventHub* hub = server_.ctx_.events();
    if (!hub) return send(serialize(error_response(503, "the event stream is not available"), false), true);
    streaming_ = true;
    ++server_.stats_.event_streams;
    std::string head =
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
        "Connection: keep-alive\r\n";
    for (const auto& [k, v] : extra) head += k + ": " + v + "\r\n";
    head += "\r\n: connected\n\n";
    send(std::move(head), false);
    if (closing_) return;
    hub_ = hub;
    sub_id_ = hub->subscribe(*this, std::move(types));
    const auto every = server_.opts_.sse_keepalive_ms;
    if (every != 0) {
      uv_timer_start(&timer_, on_keepalive, every, every);
    } else {
      uv_timer_stop(&timer_);
    }
  }
  static void on_keepalive(uv_timer_t* t) {
    auto* c = static_cast<Connection*>(t->data);
    // Bytes still queued show the client is behind: the hub will cut it, no need to add more.
    if (!c->closing_ && c->unsent_bytes() == 0) c->send(": keepalive\n\n", false);
  }
  void unsubscribe() noexcept {
    if (sub_id_ != 0) hub_->unsubscribe(sub_id_);
    sub_id_ = 0;
  }

  void send(std::string bytes, bool close_after) {
    write(new Write{{}, std::move(bytes), nullptr, shared_from_this(), close_after});
  }
  void write(Write* w) {
    w->req.data = w;
    std::string& bytes = w->shared ? const_cast<std::string&>(*w->shared) : w->bytes;  // libuv only reads it
    uv_buf_t buf = uv_buf_init(bytes.data(), static_cast<unsigned>(bytes.size()));
    const bool close_after = w->close_after;
    const int rc = uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&tcp_), &buf, 1, on_written);
    if (rc != 0) {
      delete w;
      close();
      return;
    }
    if (close_after) {
      // Nothing after this answer will be read.
      uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
      stop_reading_ = true;
    }
  }

  static void on_written(uv_write_t* req, int status) {
    auto* w = static_cast<Write*>(req->data);
    if (status != 0 || w->close_after) w->self->close();
    delete w;
  }

  // A request we refuse outright (malformed, oversize): answer and close.
  void fail(int status, const std::string& message) {
    if (status == 413) ++server_.stats_.oversize;
    if (status == 400) ++server_.stats_.bad_requests;
    // Answers still pending are abandoned: the stream is out of step after a framing error.
    slots_.clear();
    send(serialize(error_response(status, message), false), true);
  }

  static void on_alloc(uv_handle_t*, size_t suggested, uv_buf_t* buf) {
    buf->base = new char[suggested];
    buf->len = suggested;
  }

  static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
    auto* c = static_cast<Connection*>(stream->data);
    auto keep = c->shared_from_this();  // the router may close us while we parse
    if (nread > 0 && !c->closing_ && !c->stop_reading_ && !c->streaming_)
      c->consume(buf->base, static_cast<size_t>(nread));
    else if (nread < 0)
      c->close();
    delete[] buf->base;
  }

  void consume(const char* data, size_t n) {
    touch();
    static const http_parser_settings kSettings = settings();
    const size_t used = http_parser_execute(&parser_, &kSettings, data, n);
    if (reject_ != 0) return fail(reject_, reject_message_);
    if (parser_.http_errno == HPE_PAUSED) return;
    if (parser_.http_errno != HPE_OK || used != n) {
      return fail(400, std::string("malformed HTTP request: ") +
                           http_errno_description(static_cast<http_errno>(parser_.http_errno)));
    }
    if (parser_.upgrade) return fail(400, "protocol upgrade is not supported");
  }

  void touch() {
    if (closing_ || open_handles_ < 2) return;
    uv_timer_start(&timer_, on_idle, server_.opts_.idle_timeout_ms, 0);
  }
  static void on_idle(uv_timer_t* t) {
    auto* c = static_cast<Connection*>(t->data);
    if (c->slots_.empty()) {
      c->close();
    } else {
      c->touch();  // still waiting for an answer to send
    }
  }

  static void on_closed(uv_handle_t* h) {
    auto* c = static_cast<Connection*>(h->data);
    if (--c->open_handles_ == 0) c->server_.forget(c);
  }

  friend class ApiServer;
  ApiServer& server_;
  uv_tcp_t tcp_{};
  uv_timer_t timer_{};
  int open_handles_ = 0;
  http_parser parser_{};
  HttpRequest req_;
  std::string url_, field_;
  size_t header_bytes_ = 0;
  bool in_value_ = false;
  int reject_ = 0;
  std::string reject_message_;
  std::deque<Slot> slots_;
  std::uint64_t next_slot_id_ = 0;
  bool closing_ = false;
  bool stop_reading_ = false;
  bool streaming_ = false;  // an event stream: reads are ignored, writes come from the hub
  EventHub* hub_ = nullptr;
  EventHub::SubscriptionId sub_id_ = 0;
};

struct ApiServer::Connections {
  std::map<Connection*, std::shared_ptr<Connection>> all;
};

ApiServer::ApiServer(uv_loop_t* loop, const ApiOptions& opts, ApiContext& ctx)
    : loop_(loop),
      opts_(opts),
      ctx_(ctx),
      router_(ctx, opts.token),
      conns_(std::make_unique<Connections>()) {}

ApiServer::~ApiServer() = default;

std::size_t ApiServer::connections() const noexcept {
  return conns_->all.size();
}

void ApiServer::start() {
  if (listening_) return;
  if (!is_loopback(opts_.ip) && opts_.token.empty()) {
    throw std::runtime_error("API on " + opts_.ip + " listens beyond loopback: set [api] token");
  }
  sockaddr_storage addr{};
  if (uv_ip4_addr(opts_.ip.c_str(), opts_.port, reinterpret_cast<sockaddr_in*>(&addr)) != 0 &&
      uv_ip6_addr(opts_.ip.c_str(), opts_.port, reinterpret_cast<sockaddr_in6*>(&addr)) != 0) {
    throw std::runtime_error("API: '" + opts_.ip + "' is not a numeric IP address");
  }
  uv_tcp_init(loop_, &listener_);
  listener_.data = this;
  listening_ = true;
  int rc = uv_tcp_bind(&listener_, reinterpret_cast<const sockaddr*>(&addr), 0);
  if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(&listener_), 128, on_connection);
  if (rc != 0) {
    stop();
    throw std::runtime_error("API: cannot listen on " + opts_.ip + ":" + std::to_string(opts_.port) + ": " +
                             uv_strerror(rc));
  }
  sockaddr_storage bound{};
  int len = sizeof bound;
  uv_tcp_getsockname(&listener_, reinterpret_cast<sockaddr*>(&bound), &len);
  bound_port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                                  : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
}

void ApiServer::stop() {
  if (listening_) {
    listening_ = false;
    uv_close(reinterpret_cast<uv_handle_t*>(&listener_), nullptr);
  }
  // close() may call forget() only from a later close callback, so iterating is safe.
  for (auto& [p, c] : conns_->all) c->close();
}

void ApiServer::on_connection(uv_stream_t* listener, int status) {
  auto* s = static_cast<ApiServer*>(listener->data);
  if (status != 0) return;
  auto c = std::make_shared<Connection>(*s);
  uv_tcp_init(s->loop_, c->tcp());
  c->count_tcp_open();
  s->conns_->all.emplace(c.get(), c);
  if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(c->tcp())) != 0 ||
      s->conns_->all.size() > s->opts_.max_connections) {
    ++s->stats_.refused_connections;
    c->close();
    return;
  }
  uv_tcp_nodelay(c->tcp(), 1);
  c->start();
}

void ApiServer::forget(Connection* c) {
  conns_->all.erase(c);
}

}  // namespace duet::api
