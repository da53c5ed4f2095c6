#include "dispatch.hpp"

#include <spdlog/spdlog.h>

#include "duet/sip/header_id.hpp"
#include "duet/sip/writer.hpp"
#include "duet/transport/handler.hpp"
#include "duet/transport/reply.hpp"
#include "duet/transport/runtime.hpp"
#include "duet/transport/worker.hpp"
#include "malformed_reply.hpp"
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

}  // namespace

bool answer_malformed(Worker& w, const Source& src, std::string_view raw, sip::ParseError err) {
  auto& st = w.state();
  char tag[8];
  static constexpr char kHex[] = "0123456789abcdef";
  auto r = st.tag_rng();
  for (char& c : tag) {
    c = kHex[r & 15];
    r >>= 4;
  }
  const auto status = status_for(err);
  const auto reply =
      build_malformed_reply(raw, status.code, status.reason, src, std::string_view(tag, sizeof tag),
                            st.reply_buf, sizeof st.reply_buf);
  if (reply.bytes.empty()) {
    st.stats.malformed_dropped.add();
    spdlog::debug("dropped malformed {} message from {}: {}", proto_name(src.proto),
                  sockaddr_to_string(src.peer), sip::reason(err));
    return false;
  }
  spdlog::debug("answered malformed request from {} with {}: {}", sockaddr_to_string(src.peer), status.code,
                sip::reason(err));
  st.stats.malformed_answered.add();
  return w.send(response_target(src, reply.top_via), reply.bytes);
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
  answer_malformed(w, src, bytes, err);
}

}  // namespace duet::transport
