// What the API tests share: a request through the Router without sockets, and an ApiServer on
// its own loop thread with a way to run code there (where the server, the hub and the context live).
#pragma once

#include <gtest/gtest.h>
#include <uv.h>

#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "duet/api/api_server.hpp"
#include "duet/api/router.hpp"

namespace duet::api::testing {

// One request through router; target may carry "?query". Exactly one answer is expected, now.
inline HttpResponse call_router(Router& router, const std::string& method, const std::string& target,
                                const std::string& body = "", const std::string& auth = "") {
  HttpRequest req;
  req.method = method;
  const auto q = target.find('?');
  req.path = target.substr(0, q);
  if (q != std::string::npos) req.query = target.substr(q + 1);
  req.body = body;
  req.authorization = auth;
  std::optional<HttpResponse> out;
  router.handle(req, [&](HttpResponse r) { out = std::move(r); });
  EXPECT_TRUE(out.has_value()) << method << " " << target;
  return out.value_or(HttpResponse{});
}

// An ApiServer on 127.0.0.1 (any port) served by a loop on its own thread until stop().
class LoopServer {
 public:
  void start(ApiOptions opts, ApiContext& ctx) {
    opts.ip = "127.0.0.1";
    opts.port = 0;
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    server_ = std::make_unique<ApiServer>(&loop_, opts, ctx);
    server_->start();
    port_ = server_->bound_port();
    uv_async_init(&loop_, &stop_, [](uv_async_t* a) {
      auto* self = static_cast<LoopServer*>(a->data);
      self->server_->stop();
      uv_close(reinterpret_cast<uv_handle_t*>(a), nullptr);
      uv_close(reinterpret_cast<uv_handle_t*>(&self->hop_), nullptr);
    });
    stop_.data = this;
    uv_async_init(&loop_, &hop_, [](uv_async_t* a) {
      auto* self = static_cast<LoopServer*>(a->data);
      std::vector<std::function<void()>> tasks;
      {
        std::lock_guard<std::mutex> lock(self->mu_);
        tasks.swap(self->tasks_);
      }
      for (auto& t : tasks) t();
    });
    hop_.data = this;
    thread_ = std::thread([this] { uv_run(&loop_, UV_RUN_DEFAULT); });
  }
  // Stops the server, lets the loop close every handle and joins (the fixture's TearDown).
  void stop() {
    if (!thread_.joinable()) return;
    uv_async_send(&stop_);
    thread_.join();  // the loop ends once every handle has closed
    server_.reset();
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }

  // Runs f on the loop thread soon, without waiting.
  void post(std::function<void()> f) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      tasks_.push_back(std::move(f));
    }
    uv_async_send(&hop_);
  }
  // Runs f on the loop thread and returns its result.
  template <class F>
  auto on_loop(F f) -> decltype(f()) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    post([&task] { task(); });
    return result.get();
  }

  ApiServer& server() { return *server_; }
  std::uint16_t port() const { return port_; }

 private:
  uv_loop_t loop_{};
  uv_async_t stop_{};
  uv_async_t hop_{};
  std::mutex mu_;
  std::vector<std::function<void()>> tasks_;
  std::thread thread_;
  std::unique_ptr<ApiServer> server_;
  std::uint16_t port_ = 0;
};

}  // namespace duet::api::testing
