#include "duet/api/event_hub.hpp"

#include <algorithm>
#include <utility>

namespace duet::api {

namespace {

// "id: N\nevent: TYPE\ndata: LINE\n...\n": a line break inside the data (none is expected) starts
// another data: line rather than breaking the framing.
std::string format_frame(std::uint64_t id, std::string_view type, std::string_view data) {
  std::string out;
  out.reserve(32 + type.size() + data.size());
  out += "id: ";
  out += std::to_string(id);
  out += "\nevent: ";
  out += type;
  out += '\n';
  std::size_t pos = 0;
  while (true) {
    const auto brk = data.find_first_of("\r\n", pos);
    out += "data: ";
    out += data.substr(pos, brk == std::string_view::npos ? std::string_view::npos : brk - pos);
    out += '\n';
    if (brk == std::string_view::npos) break;
    pos = brk + 1;
    if (data[brk] == '\r' && pos < data.size() && data[pos] == '\n') ++pos;
  }
  out += '\n';
  return out;
}

}  // namespace

bool EventHub::known_type(std::string_view type) noexcept {
  return std::find(kTypes.begin(), kTypes.end(), type) != kTypes.end();
}

bool EventHub::Entry::accepts(std::string_view type) const noexcept {
  if (types.empty()) return true;
  for (const auto& t : types) {
    if (t == type) return true;
  }
  return false;
}

EventHub::EventHub(std::size_t max_backlog_bytes) : max_backlog_bytes_(max_backlog_bytes) {}

void EventHub::publish(std::string_view type, std::string_view json_data) {
  const std::uint64_t id = ++published_;
  if (live_ == 0) return;
  struct Walk {  // erasing waits until the outermost publish() is done with entries_
    EventHub& hub;
    explicit Walk(EventHub& h) : hub(h) { ++hub.publishing_; }
    ~Walk() {
      if (--hub.publishing_ == 0) hub.compact();
    }
  } walk(*this);
  std::shared_ptr<const std::string> frame;  // formatted once, shared by every subscriber
  // By index and up to the current size: a callback may subscribe (entries_ grows, the newcomer
  // starts with the next event) or unsubscribe (the entry is only marked).
  const std::size_t n = entries_.size();
  for (std::size_t i = 0; i < n; ++i) {
    Subscriber* const s = entries_[i].sub;
    if (!s || !entries_[i].accepts(type)) continue;
    if (!frame) frame = std::make_shared<const std::string>(format_frame(id, type, json_data));
    s->deliver(frame);
    if (entries_[i].sub != s) continue;  // unsubscribed itself (a failed write)
    if (s->unsent_bytes() > max_backlog_bytes_) {
      entries_[i].sub = nullptr;
      --live_;
      ++dropped_;
      s->overflow();
    }
  }
}

EventHub::SubscriptionId EventHub::subscribe(Subscriber& s, std::vector<std::string> types) {
  const SubscriptionId id = next_id_++;
  entries_.push_back(Entry{id, &s, std::move(types)});
  ++live_;
  return id;
}

void EventHub::unsubscribe(SubscriptionId id) noexcept {
  for (auto& e : entries_) {
    if (e.id != id || !e.sub) continue;
    e.sub = nullptr;
    --live_;
    break;
  }
  if (publishing_ == 0) compact();
}

void EventHub::compact() {
  std::erase_if(entries_, [](const Entry& e) { return e.sub == nullptr; });
}

}  // namespace duet::api
