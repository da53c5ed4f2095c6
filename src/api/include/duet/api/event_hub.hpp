// Server-Sent Events fan-out for GET /api/v1/events. Code on the control loop publishes one-line
// JSON events; every subscriber (an API connection in streaming mode) whose type filter accepts
// the event gets it as one SSE frame:
//
//   id: 42\nevent: agent\ndata: {"code":"7001","state":"ready"}\n\n
//
//   duet::api::EventHub hub;                       // owned by the daemon, outlives the ApiServer
//   hub.publish("agent", R"({"code":"7001"})");    // returns at once when nobody listens
//
// Used only on the control-loop thread: no locks. A subscriber that does not read falls behind;
// once its unsent bytes exceed max_backlog_bytes it is cut (overflow(), counted in
// dropped_subscribers()) so it neither blocks the others nor grows memory without bound.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace duet::api {

class EventHub {
 public:
  // The event types a client may name in ?types= (publish() accepts any name; a new type is
  // added here so that clients can filter on it).
  static constexpr std::array<std::string_view, 5> kTypes = {"agent", "registration", "reachability", "peer",
                                                             "site"};
  static bool known_type(std::string_view type) noexcept;

  // The receiving end of a subscription (the API server's streaming connection; tests fake it).
  // The hub calls these on the loop thread, from publish().
  class Subscriber {
   public:
    virtual ~Subscriber() = default;
    // Queue one complete SSE frame for sending. May call EventHub::unsubscribe() (a failed write).
    virtual void deliver(const std::shared_ptr<const std::string>& frame) = 0;
    // Bytes handed to deliver() (or written otherwise) that the peer has not taken yet.
    virtual std::size_t unsent_bytes() const noexcept = 0;
    // The backlog limit was exceeded: the hub has already dropped the subscription; close.
    virtual void overflow() = 0;
  };
  using SubscriptionId = std::uint64_t;  // never 0

  explicit EventHub(std::size_t max_backlog_bytes = 4u << 20);  // per subscriber
  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;

  // One event to every subscriber whose filter accepts `type` ("agent", "registration",
  // "reachability", "peer", "site", ...). data: one line of JSON (a newline inside would be sent
  // as several data: lines, which SSE clients join again). Cheap when nobody listens (returns
  // before formatting). Each event gets an increasing id (1, 2, ...; ids count every publish, so
  // a filtered subscriber sees gaps).
  void publish(std::string_view type, std::string_view json_data);

  // types empty: every type. `s` must stay valid until unsubscribe() or overflow().
  SubscriptionId subscribe(Subscriber& s, std::vector<std::string> types = {});
  // Idempotent; unknown ids are ignored. Safe from inside deliver()/overflow().
  void unsubscribe(SubscriptionId id) noexcept;

  bool has_subscribers() const noexcept { return live_ != 0; }
  std::size_t subscribers() const noexcept { return live_; }
  std::uint64_t published() const noexcept { return published_; }          // events published
  std::uint64_t dropped_subscribers() const noexcept { return dropped_; }  // cut for the backlog
  std::size_t max_backlog_bytes() const noexcept { return max_backlog_bytes_; }

 private:
  struct Entry {
    SubscriptionId id = 0;
    Subscriber* sub = nullptr;  // nullptr: unsubscribed while publishing, erased afterwards
    std::vector<std::string> types;
    bool accepts(std::string_view type) const noexcept;
  };
  void compact();

  std::size_t max_backlog_bytes_;
  std::vector<Entry> entries_;
  std::size_t live_ = 0;
  int publishing_ = 0;  // > 0 while publish() walks entries_ (unsubscribe only marks then)
  SubscriptionId next_id_ = 1;
  std::uint64_t published_ = 0;
  std::uint64_t dropped_ = 0;
};

}  // namespace duet::api
