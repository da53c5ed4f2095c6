// Drives a Registrar with REGISTER text through sip::parse and parses what it answers, so tests
// assert on responses as a phone would see them.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "duet/registrar/registrar.hpp"
#include "duet/sip/header_id.hpp"
#include "duet/sip/message.hpp"
#include "duet/sip/name_addr.hpp"
#include "duet/sip/values.hpp"

namespace duet::registrar::test {

struct RegisterText {
  std::string ruri = "sip:example.com";
  std::string to = "<sip:alice@example.com>";
  std::string call_id = "a84b4c76e66710@pc33.example.com";
  std::uint32_t cseq = 1;
  std::vector<std::string> contacts;  // one Contact header line per entry (value only)
  std::optional<std::string> expires;
  std::vector<std::string> extra;  // whole header lines without CRLF
  std::string user_agent = "TestPhone/1.0";

  std::string build() const {
    std::string s = "REGISTER " + ruri + " SIP/2.0\r\n";
    s += "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKnashds7;rport\r\n";
    s += "Max-Forwards: 70\r\n";
    s += "To: " + to + "\r\n";
    s += "From: " + to + ";tag=456248\r\n";
    s += "Call-ID: " + call_id + "\r\n";
    s += "CSeq: " + std::to_string(cseq) + " REGISTER\r\n";
    for (const auto& c : contacts) s += "Contact: " + c + "\r\n";
    if (expires) s += "Expires: " + *expires + "\r\n";
    if (!user_agent.empty()) s += "User-Agent: " + user_agent + "\r\n";
    for (const auto& e : extra) s += e + "\r\n";
    s += "Content-Length: 0\r\n\r\n";
    return s;
  }
};

struct ContactView {
  std::string uri;
  long expires = -1;
  int q = 1000;
  std::string instance;
  std::string reg_id;
};

struct Response {
  std::string text;
  sip::Message msg;
  std::vector<ContactView> contacts;

  int status() const { return msg.status_code(); }
  std::string header(sip::HeaderId id) const { return std::string(msg.header(id)); }
  std::string other(std::string_view name) const {
    const auto* f = msg.find_other(name);
    return f ? std::string(f->value) : std::string();
  }
};

class Harness {
 public:
  explicit Harness(Options opts = {}, std::uint64_t start_ms = 1'000'000)
      : policy_(std::move(opts)), reg_(policy_, 0, start_ms), now_ms(start_ms) {
    flow.transport = Transport::udp;
    flow.family = 4;
    flow.port = 40000;
    flow.addr = {198, 51, 100, 7};
    flow.local = "udp:127.0.0.1:5060";
  }

  std::unique_ptr<Response> send(const std::string& request) {
    sip::Message req;
    const auto pr = sip::parse(request, req, {});
    EXPECT_EQ(pr.status, sip::ParseStatus::ok) << "test request did not parse:\n" << request;
    if (pr.status != sip::ParseStatus::ok) return nullptr;
    RequestContext ctx;
    ctx.flow = flow;
    ctx.now_ms = now_ms;
    ctx.wall_time_s = wall_s;
    char buf[16384];
    const std::string_view out = reg_.handle(req, ctx, buf, sizeof buf);
    EXPECT_FALSE(out.empty());
    auto r = std::make_unique<Response>();
    r->text.assign(out);
    const auto rr = sip::parse(r->text, r->msg, {});
    EXPECT_EQ(rr.status, sip::ParseStatus::ok) << "response did not parse:\n" << r->text;
    EXPECT_TRUE(r->msg.is_response());
    sip::for_each_value(r->msg, sip::HeaderId::contact, [&](std::string_view v) {
      sip::NameAddr na;
      EXPECT_TRUE(sip::parse_name_addr(v, na, true)) << v;
      ContactView c;
      c.uri = std::string(na.uri_text);
      if (na.has_expires) c.expires = std::stol(std::string(na.expires));
      c.q = na.q_value();
      c.instance = std::string(na.instance);
      if (c.instance.size() >= 2 && c.instance.front() == '"')
        c.instance = c.instance.substr(1, c.instance.size() - 2);
      c.reg_id = std::string(na.reg_id);
      r->contacts.push_back(c);
      return true;
    });
    return r;
  }
  std::unique_ptr<Response> send(const RegisterText& t) { return send(t.build()); }

  void advance_s(std::uint64_t s) {
    now_ms += s * 1000;
    wall_s += static_cast<std::int64_t>(s);
    reg_.expire(now_ms);
  }

  Registrar& registrar() { return reg_; }
  BindingStore& store() { return reg_.store(); }

 private:
  Policy policy_;
  Registrar reg_;

 public:
  std::uint64_t now_ms;
  std::int64_t wall_s = 1'700'000'000;  // Tue, 14 Nov 2023 22:13:20 GMT
  Flow flow;
};

inline RegisterText alice(std::string contact, std::uint32_t cseq = 1) {
  RegisterText t;
  t.contacts = {std::move(contact)};
  t.cseq = cseq;
  return t;
}

}  // namespace duet::registrar::test
