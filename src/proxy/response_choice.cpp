#include "duet/proxy/response_choice.hpp"

namespace duet::proxy {
namespace {

bool actionable_4xx(int s) noexcept {
  return s == 401 || s == 407 || s == 415 || s == 420 || s == 484;
}

}  // namespace

bool better_response(int candidate, int current) noexcept {
  if (current == 0) return true;
  const int cc = candidate / 100, kc = current / 100;
  if (cc == 6 || kc == 6) return cc == 6 && kc != 6;
  if (cc != kc) return cc < kc;
  if (cc == 4) return actionable_4xx(candidate) && !actionable_4xx(current);
  return false;
}

}  // namespace duet::proxy
