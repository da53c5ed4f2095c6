// An ApiContext for tests: canned bindings and peer status, a real agents model and event hub, and
// optionally an agent board (set board_ptr).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "duet/api/api_context.hpp"

namespace duet::api::testing {

class FakeContext : public ApiContext {
 public:
  FakeContext() : model("site-a") {}

  void registrations(const std::string& aor, std::function<void(std::vector<BindingInfo>)> done) override {
    last_aor = aor;
    std::vector<BindingInfo> out;
    for (const auto& b : bindings) {
      if (aor.empty() || b.aor == aor) out.push_back(b);
    }
    if (defer) {
      pending.push_back([out, done = std::move(done)] { done(out); });
    } else {
      done(std::move(out));
    }
  }
  PeerInfo peer() override { return peer_info; }
  nlohmann::json stats() override { return stats_json; }
  agents::ConfigModel& agents() override { return model; }
  EventHub* events() override { return hub.get(); }
  continuity::AgentBoard* board() override { return board_ptr; }

  agents::ConfigModel model;
  std::vector<BindingInfo> bindings;
  PeerInfo peer_info;
  nlohmann::json stats_json;  // null: "no statistics in this build"
  bool defer = false;         // keep registrations' answers until the test runs them
  std::vector<std::function<void()>> pending;
  std::string last_aor;
  std::unique_ptr<EventHub> hub = std::make_unique<EventHub>();  // reset: no event stream (503)
  continuity::AgentBoard* board_ptr = nullptr;                   // none: the agent routes answer 503
};

}  // namespace duet::api::testing
