#include "dispatch.hpp"

#include <spdlog/spdlog.h>

#include "duet/sip/header_id.hpp"
#include "duet/sip/writer.hpp"
#include "duet/transport/handler.hpp"
#include "duet/transport/reply.hpp"
#include "duet/transport/runtime.hpp"
#include "duet/transport/worker.hpp"
#include "worker_state.hpp"

namespace duet::transport {

namespace {

struct Status {
  int code;
  std::string_view reason;
};

Status status_for(sip::ParseError err) noexcept {
  switch (err) {
    case sip::ParseError::unsupported_version:
      return {505, "Version Not Supported"};
    case sip::ParseError::message_too_large:
      return {513, "Message Too Large"};
    default:
      return {400, sip::reason(err)};
  }
}

bool answerable(const sip::Message& m) noexcept {
  using sip::HeaderId;
  return m.is_request() && m.has(HeaderId::via) && m.has(HeaderId::from) && m.has(HeaderId::to) &&
         m.has(HeaderId::call_id) && m.has(HeaderId::cseq);
}

}  // namespace

bool answer_malformed(Worker& w, const Source& src, const sip::Message& partial, sip::ParseError err) {
  auto& st = w.state();
  // An ACK gets no response (RFC 3261 §17.2.1); a malformed one is simply dropped.
  if (!answerable(partial) || partial.method_id() == sip::Method::ack) {
    st.stats.malformed_dropped.add();
    spdlog::debug("dropped malformed {} from {} ({}): {}", proto_name(src.proto),
                  sockaddr_to_string(src.peer), partial.is_request() ? "request" : "response or garbage",
                  sip::reason(err));
    return false;
  }
  sip::Via via;
  const bool have_via = top_via(partial, via);
  char ip[kIpStrLen];
  const auto fix = have_via ? via_fix(via, src, ip) : sip::ResponseBuilder::ViaFix{};
  char tag[9];
  static constexpr char kHex[] = "0123456789abcdef";
  auto r = st.tag_rng();
  for (char& c : tag) {
    c = kHex[r & 15];
    r >>= 4;
  }
  const auto status = status_for(err);
  sip::ResponseBuilder b(st.reply_buf, sizeof st.reply_buf);
  b.start(partial, status.code, status.reason, std::string_view(tag, 8), fix);
  b.header("Server", "duet");
  const auto bytes = b.finish();
  if (bytes.empty()) {
    st.stats.malformed_dropped.add();
    return false;
  }
  const Source dst = have_via ? response_target(src, via) : src;
  spdlog::debug("answered malformed request from {} with {}: {}", sockaddr_to_string(src.peer), status.code,
                sip::reason(err));
  st.stats.malformed_answered.add();
  return w.send(dst, bytes);
}

void deliver(Worker& w, const Source& src, std::string_view bytes, sip::Framing mode) {
  auto& st = w.state();
  sip::ParseOptions opts;
  opts.mode = mode;
  opts.limits.max_message_size = w.runtime().config().max_message_size;
  st.msg.reset();
  const auto r = sip::parse(bytes, st.msg, opts);
  if (r.status == sip::ParseStatus::ok) {
    st.stats.messages_in.add();
    w.runtime().handler().on_message(w, src, st.msg);
    return;
  }
  // A datagram or a framed stream message is complete by construction: need_more here means the
  // body is shorter than its Content-Length.
  const auto err = r.status == sip::ParseStatus::need_more ? sip::ParseError::body_truncated : r.error;
  answer_malformed(w, src, st.msg, err);
}

}  // namespace duet::transport
