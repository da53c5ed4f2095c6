// Invariants of the typed views, shared by the per-view targets and the whole-message target: every
// view lies inside the text it was parsed from, and the derived fields agree with each other.
#pragma once

#include <cstdint>
#include <string_view>

#include "duet/sip/auth.hpp"
#include "duet/sip/name_addr.hpp"
#include "duet/sip/params.hpp"
#include "duet/sip/uri.hpp"
#include "duet/sip/values.hpp"
#include "duet/sip/via.hpp"
#include "fuzz_check.hpp"
#include "known_issues.hpp"

namespace duet::fuzz {

// Walks a ;param list, bounded by its length (each step must consume at least one byte).
inline void check_params(std::string_view list, std::string_view buf, char sep = ';') {
  sip::ParamIterator it(list, sep);
  sip::Param p;
  std::size_t steps = 0;
  while (it.next(p)) {
    FUZZ_CHECK(++steps <= list.size());
    FUZZ_INSIDE(p.name, list);
    FUZZ_INSIDE(p.value, list);
    FUZZ_INSIDE(p.name, buf);
    FUZZ_CHECK(p.has_value || p.value.empty());
    FUZZ_CHECK(!p.quoted || p.has_value);
  }
}

// True if a ;param list names some parameter twice (case-insensitively).
inline bool has_duplicate_param(std::string_view list) {
  sip::ParamIterator outer(list);
  sip::Param p;
  for (std::size_t i = 0; outer.next(p); ++i) {
    sip::ParamIterator inner(list);
    sip::Param q;
    for (std::size_t j = 0; j < i && inner.next(q); ++j) {
      if (sip::iequals(p.name, q.name)) return true;
    }
  }
  return false;
}

// uri_equal() can be checked on this URI (see known_issues.hpp).
inline bool equality_checkable(const sip::Uri& u) {
  return !(kKnownUriDuplicateParams && has_duplicate_param(u.params));
}

// Checks a URI that parse_uri() accepted from `text` (which lies inside buf).
inline void check_uri(const sip::Uri& u, std::string_view text, std::string_view buf) {
  FUZZ_CHECK(u.text.data() == text.data() && u.text.size() == text.size());
  for (std::string_view v : {u.scheme_text, u.user, u.password, u.host, u.params, u.headers, u.transport,
                             u.maddr, u.user_param, u.method, u.ttl, u.opaque}) {
    FUZZ_INSIDE(v, text);
    FUZZ_INSIDE(v, buf);
  }
  FUZZ_CHECK(!u.scheme_text.empty());
  if (u.scheme == sip::UriScheme::sip || u.scheme == sip::UriScheme::sips) {
    // A sip/sips URI always has a host, and it is one the shared host validator accepts.
    FUZZ_CHECK(!u.host.empty());
    FUZZ_CHECK(u.host_kind != sip::HostKind::none);
    FUZZ_CHECK(sip::classify_host(u.host) == u.host_kind);
    FUZZ_CHECK(u.has_user || u.user.empty());
  }
  FUZZ_INSIDE(u.host_unbracketed(), u.host);
  FUZZ_CHECK(!u.has_port || u.port_or_default() == u.port);
  if (equality_checkable(u)) FUZZ_CHECK(sip::uri_equal(u, u));  // reflexive
  FUZZ_CHECK(sip::unescaped_equal(u.user, u.user, false));
  FUZZ_CHECK(sip::unescaped_equal(u.host, u.host, true));
  check_params(u.params, buf);
  check_params(u.headers, buf, '&');
}

inline void check_via(const sip::Via& v, std::string_view text, std::string_view buf) {
  for (std::string_view s : {v.protocol_name, v.protocol_version, v.transport, v.host, v.params, v.branch,
                             v.received, v.maddr, v.ttl, v.text}) {
    FUZZ_INSIDE(s, text);
    FUZZ_INSIDE(s, buf);
  }
  FUZZ_CHECK(!v.transport.empty());
  FUZZ_CHECK(!v.host.empty());
  FUZZ_CHECK(sip::classify_host(v.host) != sip::HostKind::none);
  FUZZ_CHECK(v.has_port || v.port == 0);
  FUZZ_CHECK(v.has_branch || v.branch.empty());
  FUZZ_CHECK(!v.rfc3261_branch() || v.has_branch);
  FUZZ_CHECK(v.transport_is(v.transport));
  check_params(v.params, buf);
}

inline void check_name_addr(const sip::NameAddr& na, std::string_view text, std::string_view buf) {
  for (std::string_view s : {na.display_name, na.uri_text, na.params, na.tag, na.expires, na.q, na.instance,
                             na.reg_id, na.methods, na.received}) {
    FUZZ_INSIDE(s, text);
    FUZZ_INSIDE(s, buf);
  }
  FUZZ_INSIDE(na.display_name_unquoted(), na.display_name);
  const int q = na.q_value();
  FUZZ_CHECK(q >= -1 && q <= 1000);
  if (!na.has_q) FUZZ_CHECK(q == 1000);
  if (na.uri_parsed) check_uri(na.uri, na.uri_text, buf);
  check_params(na.params, buf);
}

inline void check_auth_params(std::string_view params, std::string_view buf) {
  sip::AuthParamIterator it(params);
  std::string_view name, value;
  bool quoted = false;
  std::size_t steps = 0;
  while (it.next(name, value, quoted)) {
    FUZZ_CHECK(++steps <= params.size());
    FUZZ_INSIDE(name, params);
    FUZZ_INSIDE(value, params);
    FUZZ_INSIDE(name, buf);
    FUZZ_CHECK(!name.empty());
  }
}

inline void check_credentials(const sip::DigestCredentials& c, std::string_view text, std::string_view buf) {
  for (std::string_view s : {c.scheme, c.username, c.realm, c.nonce, c.uri, c.response, c.algorithm, c.cnonce,
                             c.opaque, c.qop, c.nc, c.params}) {
    FUZZ_INSIDE(s, text);
    FUZZ_INSIDE(s, buf);
  }
  FUZZ_CHECK(!c.scheme.empty());
  check_auth_params(c.params, buf);
}

inline void check_challenge(const sip::DigestChallenge& c, std::string_view text, std::string_view buf) {
  for (std::string_view s :
       {c.scheme, c.realm, c.domain, c.nonce, c.opaque, c.stale, c.algorithm, c.qop, c.params}) {
    FUZZ_INSIDE(s, text);
    FUZZ_INSIDE(s, buf);
  }
  FUZZ_CHECK(!c.scheme.empty());
  check_auth_params(c.params, buf);
}

// Splits a header value and checks the elements: inside the value, non-empty, trimmed, in order and
// not overlapping. Returns the number of elements.
template <class F>
std::size_t split_and_check(std::string_view value, std::string_view buf, F&& each) {
  sip::ValueSplitter s(value);
  std::string_view e;
  std::size_t n = 0;
  const char* prev_end = value.data();
  while (s.next(e)) {
    FUZZ_CHECK(++n <= value.size());
    FUZZ_CHECK(!e.empty());
    FUZZ_INSIDE(e, value);
    FUZZ_INSIDE(e, buf);
    FUZZ_CHECK(e.data() >= prev_end);
    FUZZ_CHECK(!sip::is_lws(e.front()) && !sip::is_lws(e.back()));
    prev_end = e.data() + e.size();
    each(e);
  }
  return n;
}

}  // namespace duet::fuzz
