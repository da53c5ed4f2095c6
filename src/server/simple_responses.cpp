#include "simple_responses.hpp"

#include "duet/registrar/register_request.hpp"
#include "duet/sip/header_id.hpp"

namespace duet::server {
namespace {

// Stable per transaction so a retransmission gets an identical answer.
std::string_view to_tag(const sip::Message& req, char (&out)[12]) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : req.call_id()) h = (h ^ c) * 0x100000001b3ULL;
  h ^= req.cseq_number();
  h *= 0x9E3779B97F4A7C15ULL;
  out[0] = 'd';
  out[1] = 's';
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 2; i < 12; ++i) out[i] = kHex[(h >> (i * 4)) & 0xF];
  return {out, sizeof out};
}

}  // namespace

std::string_view write_options_answer(const sip::Message& req, const sip::ResponseBuilder::ViaFix& via,
                                      char* out, std::size_t cap) noexcept {
  char tag[12];
  char tags[256];
  std::string_view unsupported;
  sip::ResponseBuilder rb(out, cap);
  if (registrar::unsupported_requires(req, tags, sizeof tags, unsupported)) {
    rb.start(req, 420, "Bad Extension", to_tag(req, tag), via);
    rb.header("Unsupported", unsupported);
    return rb.finish();
  }
  rb.start(req, 200, "OK", to_tag(req, tag), via);
  rb.header("Allow", kAllow);
  rb.header("Accept", kAccept);
  rb.header("Supported", kSupported);
  return rb.finish();
}

std::string_view write_status(const sip::Message& req, int status, std::string_view reason,
                              const sip::ResponseBuilder::ViaFix& via, char* out, std::size_t cap) noexcept {
  char tag[12];
  sip::ResponseBuilder rb(out, cap);
  rb.start(req, status, reason, to_tag(req, tag), via);
  if (status == 405) rb.header("Allow", kAllow);
  return rb.finish();
}

}  // namespace duet::server
