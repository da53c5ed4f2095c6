#include "prober.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>

#include "duet/transport/address.hpp"
#include "duet/transport/worker.hpp"
#include "source_flow.hpp"

namespace duet::server {

namespace {

constexpr std::string_view kBranchPrefix = "z9hG4bK-dp.";

}  // namespace

bool Prober::probe_answer(const sip::Message& msg, std::uint16_t& shard, std::uint64_t& seq) noexcept {
  if (msg.is_request() || msg.cseq_method() != "OPTIONS") return false;
  std::string_view b = msg.top_via().branch;
  if (b.size() <= kBranchPrefix.size() || b.substr(0, kBranchPrefix.size()) != kBranchPrefix) return false;
  b.remove_prefix(kBranchPrefix.size());
  const auto dot = b.find('.');
  if (dot == std::string_view::npos) return false;
  const auto s = std::from_chars(b.data(), b.data() + dot, shard);
  const auto q = std::from_chars(b.data() + dot + 1, b.data() + b.size(), seq);
  return s.ec == std::errc() && s.ptr == b.data() + dot && q.ec == std::errc() &&
         q.ptr == b.data() + b.size();
}

registrar::Binding* Prober::find(registrar::BindingStore& store, const Pending& p) const {
  const registrar::AorKey key{p.user, p.domain, p.hash};
  for (registrar::Binding* b = store.find(key); b != nullptr; b = b->next_in_aor) {
    if (b->contact() == p.contact) return b;
  }
  return nullptr;
}

void Prober::probe(transport::Worker& w, registrar::BindingStore& store, registrar::Binding& b,
                   std::uint64_t now_ms) {
  if (!b.path().empty() || (b.family != 4 && b.family != 6)) {
    ++stats_.skipped;
    return;
  }
  Pending p;
  if (!binding_target(b, store.local(b), p.dst)) {
    ++stats_.skipped;
    return;
  }
  char ip[transport::kIpStrLen];
  const std::string_view lip = transport::sockaddr_ip(p.dst.local, ip, sizeof ip);
  std::string via_host = p.dst.local.ss_family == AF_INET6 ? "[" + std::string(lip) + "]" : std::string(lip);
  via_host += ":" + std::to_string(transport::sockaddr_port(p.dst.local));
  p.user = std::string(b.aor_user());
  p.domain = std::string(store.domain(b));
  p.hash = registrar::aor_hash(p.user, p.domain);
  p.contact = std::string(b.contact());
  p.deadline_ms = now_ms + opt_.timeout_ms;
  const std::uint64_t seq = ++seq_;
  const std::string id = std::to_string(shard_) + "." + std::to_string(seq);
  const std::string_view proto = transport::proto_name(p.dst.proto);
  std::string& m = p.bytes;
  m.reserve(320 + 2 * p.contact.size());
  m.append("OPTIONS ").append(p.contact).append(" SIP/2.0\r\nVia: SIP/2.0/");
  for (const char c : proto) m.push_back(static_cast<char>(c - 'a' + 'A'));
  m.append(" ").append(via_host).append(";branch=").append(kBranchPrefix).append(id).append(";rport\r\n");
  m.append("Max-Forwards: 70\r\nFrom: <sip:duet@")
      .append(via_host)
      .append(">;tag=dp")
      .append(std::to_string(shard_));
  m.append("\r\nTo: <").append(p.contact).append(">\r\nCall-ID: dp.").append(id).append("@duet\r\n");
  m.append("CSeq: 1 OPTIONS\r\nAccept: application/sdp\r\nContent-Length: 0\r\n\r\n");
  if (!w.send(p.dst, m)) {
    // The flow is gone (its connection closed): out of service at once (RFC 5626 flow failure).
    ++stats_.flow_failed;
    store.set_out_of_service(&b, true);
    return;
  }
  ++stats_.sent;
  pending_.emplace(seq, std::move(p));
}

void Prober::tick(transport::Worker& w, registrar::BindingStore& store, std::uint64_t now_ms,
                  std::uint32_t tick_ms) {
  if (!enabled()) return;
  // Timeouts first (a binding may be probed again this tick), retransmissions over UDP.
  for (auto it = pending_.begin(); it != pending_.end();) {
    Pending& p = it->second;
    if (now_ms >= p.deadline_ms) {
      ++stats_.timed_out;
      if (auto* b = find(store, p)) store.set_out_of_service(b, true);
      it = pending_.erase(it);
      continue;
    }
    if (p.dst.proto == transport::Proto::udp && w.send(p.dst, p.bytes)) ++stats_.retransmitted;
    ++it;
  }
  // Spread evenly: binding_count probes per interval, a share per tick (thousandths carried).
  owed_ += static_cast<std::uint64_t>(store.binding_count()) * tick_ms * 1000 / opt_.interval_ms;
  std::uint64_t due = owed_ / 1000;
  owed_ %= 1000;
  const std::size_t slots = store.slot_count();
  for (std::size_t walked = 0; due > 0 && walked < slots && pending_.size() < opt_.max_pending; ++walked) {
    if (cursor_ >= slots) cursor_ = 0;
    registrar::Binding* b = store.at_slot(cursor_++);
    // A whole AOR at a time, so the walk never leaves part of one behind.
    for (; b != nullptr; b = b->next_in_aor) {
      probe(w, store, *b, now_ms);
      if (due > 0) --due;
    }
  }
}

void Prober::answered(registrar::BindingStore& store, std::uint64_t seq) {
  const auto it = pending_.find(seq);
  if (it == pending_.end()) return;  // a late or repeated answer
  ++stats_.answered;
  if (auto* b = find(store, it->second)) store.set_out_of_service(b, false);
  pending_.erase(it);
}

}  // namespace duet::server
