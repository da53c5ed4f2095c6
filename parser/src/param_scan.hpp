// The fast path of ParamIterator for header parameters (Via, name-addr): one forward pass over a
// list written without whitespace, which is how nearly every UA writes it. Whitespace is legal
// (LWS around ';' and '=') but rare, so rather than duplicate ParamIterator's LWS rules this scanner
// stops and tells the caller to run ParamIterator over the whole list instead.
#pragma once

#include <string_view>

#include "chars.hpp"
#include "duet/sip/params.hpp"

namespace duet::sip {

enum class ParamScan : unsigned char { ok, malformed, has_whitespace };

// Calls on_param(const Param&) for each ";name[=value]" of list; on_param returns false to reject
// the list (malformed). With stop_at_comma a ',' where a ';' is expected ends the list and rest
// starts there; otherwise rest is empty. Results match ParamIterator(list, ';', stop_at_comma)
// exactly whenever the answer is not has_whitespace, so on_param may be called again by the slow
// path and must only record what it is given. lo <= list.data() is the lowest address known to be
// readable (e.g. the start of the whole header value), which lets short names and values near the
// end be searched with one SIMD step. Always inlined: each caller has one call site, and only
// inlined does on_param's Param stay in registers.
template <class F>
[[gnu::always_inline]] inline ParamScan scan_params(std::string_view list, bool stop_at_comma,
                                                    std::string_view& rest, F&& on_param,
                                                    const char* lo) noexcept {
  const char* p = list.data();
  const char* const e = p + list.size();
  while (p < e) {
    if (*p != ';') {
      if (chars::lws(*p)) return ParamScan::has_whitespace;
      if (stop_at_comma && *p == ',') {
        rest = std::string_view(p, static_cast<std::size_t>(e - p));
        return ParamScan::ok;
      }
      return ParamScan::malformed;
    }
    ++p;
    const char* const name_begin = p;
    p = chars::find_name_stop(p, e, lo);
    if (p < e && chars::lws(*p)) return ParamScan::has_whitespace;
    if (p == name_begin) return ParamScan::malformed;
    Param prm;
    prm.name = std::string_view(name_begin, static_cast<std::size_t>(p - name_begin));
    if (p < e && *p == '=') {
      ++p;
      if (p < e && *p == '"') {
        const char* const vb = ++p;
        for (;;) {
          p = chars::find_any<0, '"', '\\'>(p, e, lo);
          if (p >= e || *p == '"') break;
          if (e - p < 2) return ParamScan::malformed;  // escape runs off the end
          p += 2;
        }
        if (p >= e) return ParamScan::malformed;
        prm.value = std::string_view(vb, static_cast<std::size_t>(p - vb));
        prm.quoted = true;
        ++p;
      } else {
        const char* const vb = p;
        p = chars::find_value_stop(p, e, lo);
        if (p == vb) return (p < e && chars::lws(*p)) ? ParamScan::has_whitespace : ParamScan::malformed;
        prm.value = std::string_view(vb, static_cast<std::size_t>(p - vb));
      }
      prm.has_value = true;
    }
    if (!on_param(prm)) return ParamScan::malformed;
  }
  rest = {};
  return ParamScan::ok;
}

}  // namespace duet::sip
