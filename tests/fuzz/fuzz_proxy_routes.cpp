// What the proxy reads from a request's Route set, which anyone can forge: the flow tokens in the
// user part of our Record-Route (parse_flow_token), the analysis of leading Route values and the
// edits that remove them (src/proxy/route_set.hpp), and the loop hash.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "duet/sip/message.hpp"
#include "duet/sip/values.hpp"
#include "duet/sip/writer.hpp"
#include "flow_token.hpp"
#include "fuzz_check.hpp"
#include "route_set.hpp"

namespace {

std::size_t route_values(const duet::sip::Message& m) {
  std::size_t n = 0;
  duet::sip::for_each_value(m, duet::sip::HeaderId::route, [&](std::string_view) {
    ++n;
    return true;
  });
  return n;
}

// A token that parses writes back to one that parses to the same flow.
void check_token(std::string_view t) {
  duet::transport::Source s{};
  if (!duet::proxy::parse_flow_token(t, s)) return;
  std::string again;
  duet::proxy::append_flow_token(again, s);
  duet::transport::Source s2{};
  FUZZ_CHECK(duet::proxy::parse_flow_token(again, s2));
  FUZZ_CHECK(duet::proxy::same_flow(s, s2) && s.worker == s2.worker && s.conn_id == s2.conn_id);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace duet;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  check_token(in);
  sip::Message m;
  if (sip::parse(in, m).status != sip::ParseStatus::ok || !m.is_request()) return 0;
  (void)proxy::loop_hash(m);
  // "Ours": Route URIs with lr (deterministic, and both kinds occur in the corpus).
  const auto r = proxy::analyse_routes(m, [](const sip::Uri& u) { return u.lr; });
  if (r.malformed) return 0;
  FUZZ_CHECK(r.ours <= 2);
  if (r.ours > 0) {
    std::string_view signed_part;
    FUZZ_CHECK(!duet::proxy::signed_tokens(r.tokens, "", signed_part) || r.tokens.size() > 16);
    const auto tilde = r.tokens.find('~');
    check_token(r.tokens.substr(0, tilde));
    if (tilde != std::string_view::npos) check_token(r.tokens.substr(tilde + 1));
  }
  const std::size_t before = route_values(m);
  sip::EditList e;
  if (!proxy::remove_routes(e, m, r.ours)) return 0;
  std::string out(e.output_size(m.raw()), '\0');
  FUZZ_CHECK(e.write(m.raw(), out.data(), out.size()) == out.size());
  // The edited request still parses (as a datagram: the body is left as it was), with exactly
  // the removed values gone.
  sip::Message m2;
  if (sip::parse(out, m2).status != sip::ParseStatus::ok) return 0;
  FUZZ_CHECK(route_values(m2) + r.ours == before);

  // Strict routing (§16.4, §16.6 step 6): each rewrite keeps the number of Route values (one
  // out, one in) when its result parses (the proxy drops the rewrite when it does not).
  // (Counted only when every Route value splits: for_each_value stops at the first that does not.)
  const bool all_split = sip::for_each_value(m, sip::HeaderId::route, [](std::string_view) { return true; });
  std::string loose;
  if (before > 0 && all_split && proxy::rewrite_from_strict_router(m, loose)) {
    sip::Message m3;
    if (sip::parse(loose, m3).status == sip::ParseStatus::ok) FUZZ_CHECK(route_values(m3) == before);
  }
  if (all_split && r.has_next && r.next_strict) {
    sip::EditList se;
    std::string line;
    if (proxy::edit_for_strict_router(se, m, r, line)) {
      std::string strict(se.output_size(m.raw()), '\0');
      FUZZ_CHECK(se.write(m.raw(), strict.data(), strict.size()) == strict.size());
      sip::Message m4;
      if (sip::parse(strict, m4).status == sip::ParseStatus::ok)
        FUZZ_CHECK(route_values(m4) + r.ours == before);
    }
  }
  return 0;
}
