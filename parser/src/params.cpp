#include "duet/sip/params.hpp"

#include "chars.hpp"
#include "duet/sip/values.hpp"

namespace duet::sip {

bool ParamIterator::next(Param& p) noexcept {
  if (!ok_) return false;
  std::size_t i = 0;
  const auto n = rest_.size();
  while (i < n && chars::lws(rest_[i])) ++i;
  if (i >= n) {
    rest_ = {};
    return false;
  }
  if (stop_at_comma_ && rest_[i] == ',') {
    rest_ = rest_.substr(i);
    return false;
  }
  // ';' lists start with their separator; '&' lists (URI headers after '?') do not.
  if (rest_[i] == sep_) {
    ++i;
  } else if (!(first_ && sep_ != ';')) {
    ok_ = false;
    return false;
  }
  first_ = false;
  while (i < n && chars::lws(rest_[i])) ++i;
  const std::size_t name_begin = i;
  while (i < n && !chars::is(rest_[i], chars::kNameStop) && rest_[i] != sep_) ++i;
  if (i == name_begin) {
    ok_ = false;
    return false;
  }
  p = Param{};
  p.name = rest_.substr(name_begin, i - name_begin);
  std::size_t j = i;
  while (j < n && chars::lws(rest_[j])) ++j;
  if (j < n && rest_[j] == '=') {
    ++j;
    while (j < n && chars::lws(rest_[j])) ++j;
    if (j < n && rest_[j] == '"') {
      const std::size_t vb = ++j;
      while (j < n && rest_[j] != '"') {
        if (rest_[j] == '\\') ++j;
        ++j;
      }
      if (j >= n) {
        ok_ = false;
        return false;
      }
      p.value = rest_.substr(vb, j - vb);
      p.quoted = true;
      ++j;
    } else {
      const std::size_t vb = j;
      while (j < n && !chars::is(rest_[j], chars::kValueStop) && rest_[j] != sep_) ++j;
      if (j == vb) {
        ok_ = false;
        return false;
      }
      p.value = rest_.substr(vb, j - vb);
    }
    p.has_value = true;
    i = j;
  }
  rest_ = rest_.substr(i);
  return true;
}

bool param_name_equal(std::string_view a, std::string_view b) noexcept {
  if (iequals(a, b)) return true;
  // Only a name with an escape can equal another of a different spelling.
  if (a.find('%') == std::string_view::npos && b.find('%') == std::string_view::npos) return false;
  return unescaped_equal(a, b, true);
}

bool find_param(std::string_view list, std::string_view name, Param& out, char sep) noexcept {
  ParamIterator it(list, sep);
  Param p;
  while (it.next(p)) {
    if (param_name_equal(p.name, name)) {
      out = p;
      return true;
    }
  }
  return false;
}

}  // namespace duet::sip
