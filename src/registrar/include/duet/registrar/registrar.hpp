// The registrar of one shard: applies REGISTER requests to its BindingStore (RFC 3261 §10.3,
// RFC 3327 Path, RFC 5626 outbound flows) and writes the complete response. One instance per
// event loop; it is only ever called from that loop.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "duet/registrar/binding_store.hpp"
#include "duet/registrar/flow.hpp"
#include "duet/registrar/options.hpp"
#include "duet/registrar/register_request.hpp"
#include "duet/sip/message.hpp"
#include "duet/sip/writer.hpp"

namespace duet::registrar {

struct RequestContext {
  Flow flow;                     // where the REGISTER came from
  std::uint64_t now_ms = 0;      // monotonic clock driving expiry
  std::int64_t wall_time_s = 0;  // Unix time for the Date header
  sip::ResponseBuilder::ViaFix via{};
  // The AOR key of the request's To, when the caller already extracted it (e.g. to pick the shard).
  const AorKey* aor = nullptr;
};

struct RegistrarStats {
  std::uint64_t requests = 0;
  std::uint64_t ok = 0;
  std::uint64_t rejected = 0;
  std::uint64_t stale_ignored = 0;  // contacts skipped for an old or repeated CSeq (§10.3 step 7)
  std::uint64_t refused_full = 0;   // REGISTERs refused because the site holds max_bindings
};

class Registrar {
 public:
  // policy must outlive the registrar (it is shared by every shard).
  Registrar(const Policy& policy, std::uint16_t shard, std::uint64_t now_ms);

  // Processes a REGISTER and writes the response into out. Returns the response, or an empty
  // view if even a 500 did not fit in cap.
  std::string_view handle(const sip::Message& req, const RequestContext& ctx, char* out, std::size_t cap);

  // Expires due bindings, at most budget per call; call from the loop's timer, and again soon
  // while expiry_backlog() (handle() also expires first, within kHandleExpiryBudget).
  std::size_t expire(std::uint64_t now_ms, std::size_t budget = static_cast<std::size_t>(-1)) {
    return store_.expire(now_ms, budget);
  }
  bool expiry_backlog() const noexcept { return store_.expiry_backlog(); }
  static constexpr std::size_t kHandleExpiryBudget = 64;
  // Retry-After of a 503 for a full registrar: long enough that refused phones do not hammer it.
  static constexpr std::uint32_t kFullRetryAfterS = 60;

  BindingStore& store() noexcept { return store_; }
  const BindingStore& store() const noexcept { return store_; }
  const Policy& policy() const noexcept { return policy_; }
  const RegistrarStats& stats() const noexcept { return stats_; }

 private:
  enum class Act : std::uint8_t { skip, add, update, remove };

  bool apply_contacts(const RequestContext& ctx, Verdict& v);
  void apply_star(const RequestContext& ctx);
  Binding* match(const ContactEntry& c) const noexcept;
  BindingData data_for(const ContactEntry& c, const RequestContext& ctx) const noexcept;
  std::string_view write_ok(const sip::Message& req, const RequestContext& ctx, char* out, std::size_t cap);
  std::string_view write_error(const sip::Message& req, const RequestContext& ctx, const Verdict& v,
                               char* out, std::size_t cap);

  const Policy& policy_;
  BindingStore store_;
  RegistrarStats stats_;
  RegisterRequest req_;  // scratch, reused: it is large and per-request
};

// Writes the contact's q in the SIP form ("0.5", "1", "0.125").
std::size_t format_q(std::uint16_t q, char (&out)[6]) noexcept;

}  // namespace duet::registrar
