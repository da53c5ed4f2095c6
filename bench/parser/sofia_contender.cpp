// sofia-sip: msg_make() parses the header block with the SIP message class, where every known
// header is decoded into its struct at extraction; we time make + destroy.
#include <sofia-sip/msg.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>

#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>

#include "contender.hpp"

namespace duet::bench {
namespace {

std::string sofia_verify(const CorpusMessage& message) {
  msg_t* msg =
      msg_make(sip_default_mclass(), 0, message.bytes.data(), static_cast<ssize_t>(message.bytes.size()));
  if (msg == nullptr) return "msg_make returned null";
  std::string why;
  const auto* sip = reinterpret_cast<const sip_t*>(msg_object(msg));
  if (sip == nullptr) {
    why = "msg_object is null";
  } else if (msg_has_error(msg) || (sip->sip_flags & MSG_FLG_ERROR) != 0 || msg_extract_errors(msg) != 0) {
    char flags[16];
    std::snprintf(flags, sizeof flags, "%#x", static_cast<unsigned>(sip->sip_flags));
    why = std::string("parse error flags set (sip_flags ") + flags + ")";
  } else if (sip->sip_error != nullptr) {
    why = "an erroneous header was kept in sip_error";
  } else if (sip->sip_call_id == nullptr || sip->sip_call_id->i_id == nullptr) {
    why = "no Call-ID in the parsed message";
  } else if (message.call_id != sip->sip_call_id->i_id) {
    why = std::string("Call-ID is '") + sip->sip_call_id->i_id + "', expected '" + message.call_id + "'";
  } else if (sip->sip_request == nullptr && sip->sip_status == nullptr) {
    why = "no start line";
  }
  msg_destroy(msg);
  return why;
}

void sofia_parse(std::string_view bytes) {
  msg_t* msg = msg_make(sip_default_mclass(), 0, bytes.data(), static_cast<ssize_t>(bytes.size()));
  benchmark::DoNotOptimize(msg_object(msg));
  msg_destroy(msg);
}

}  // namespace

const Contender kSofiaContender{"sofia", "sofia-sip (msg_make + msg_destroy)", nullptr, sofia_verify,
                                sofia_parse};

}  // namespace duet::bench
