// libosip2: osip_message_parse builds the whole message tree (every known header parsed into its
// struct), which is what its users get; we time init + parse + free.
#include <osipparser2/osip_parser.h>

#include <benchmark/benchmark.h>

#include <cstring>
#include <string>

#include "contender.hpp"

namespace duet::bench {
namespace {

void osip_init() {
  // parser_init() builds libosip2's header-name tables; it must run once before any parse.
  parser_init();
}

std::string osip_verify(const CorpusMessage& message) {
  osip_message_t* sip = nullptr;
  if (osip_message_init(&sip) != 0) return "osip_message_init failed";
  std::string why;
  const int rc = osip_message_parse(sip, message.bytes.data(), message.bytes.size());
  if (rc != 0) {
    why = "osip_message_parse returned " + std::to_string(rc);
  } else if (sip->call_id == nullptr || sip->call_id->number == nullptr) {
    why = "no Call-ID in the parsed message";
  } else {
    std::string call_id = sip->call_id->number;
    if (sip->call_id->host != nullptr) call_id += std::string("@") + sip->call_id->host;
    if (call_id != message.call_id) why = "Call-ID is '" + call_id + "', expected '" + message.call_id + "'";
  }
  osip_message_free(sip);
  return why;
}

void osip_parse(std::string_view bytes) {
  osip_message_t* sip = nullptr;
  osip_message_init(&sip);
  int rc = osip_message_parse(sip, bytes.data(), bytes.size());
  benchmark::DoNotOptimize(rc);
  benchmark::DoNotOptimize(sip->call_id);
  osip_message_free(sip);
}

}  // namespace

const Contender kOsip2Contender{"osip2", "libosip2 (osip_message_init + parse + free)", osip_init,
                                osip_verify, osip_parse};

}  // namespace duet::bench
