// EditList: a forwarded message is the original bytes plus a short list of byte-range edits.
#include <algorithm>
#include <cstring>

#include "duet/sip/values.hpp"
#include "duet/sip/writer.hpp"

namespace duet::sip {

bool EditList::add(std::uint32_t offset, std::uint32_t remove, std::string_view insert) noexcept {
  if (n_ == kMaxEdits) return false;
  for (std::size_t i = 0; i < n_; ++i) {
    const Edit& e = edits_[i];
    // Two removals may not overlap, and nothing may be inserted strictly inside a removed range.
    const std::uint64_t a0 = e.offset, a1 = std::uint64_t{e.offset} + e.remove;
    const std::uint64_t b0 = offset, b1 = std::uint64_t{offset} + remove;
    if (e.remove && remove && a0 < b1 && b0 < a1) return false;
    if (!remove && e.remove && a0 < b0 && b0 < a1) return false;
    if (remove && !e.remove && b0 < a0 && a0 < b1) return false;
  }
  edits_[n_++] = Edit{offset, remove, insert};
  sorted_ = false;
  return true;
}

void EditList::sort() const noexcept {
  if (sorted_) return;
  // Stable: inserts at one offset keep the order they were added in. An insertion sort: a list
  // holds a handful of edits, mostly added in order, and std::stable_sort allocated a buffer.
  for (std::size_t i = 1; i < n_; ++i) {
    const Edit e = edits_[i];
    std::size_t j = i;
    for (; j > 0 && edits_[j - 1].offset > e.offset; --j) edits_[j] = edits_[j - 1];
    edits_[j] = e;
  }
  sorted_ = true;
}

std::size_t EditList::output_size(std::string_view original) const noexcept {
  std::size_t size = original.size();
  for (std::size_t i = 0; i < n_; ++i) size = size - edits_[i].remove + edits_[i].insert.size();
  return size;
}

std::size_t EditList::slices(std::string_view original, Slice* out, std::size_t max) const noexcept {
  sort();
  std::size_t k = 0;
  std::size_t pos = 0;
  auto emit = [&](const char* d, std::size_t s) {
    if (s == 0) return true;
    if (k == max) return false;
    out[k++] = Slice{d, s};
    return true;
  };
  for (std::size_t i = 0; i < n_; ++i) {
    const Edit& e = edits_[i];
    const std::size_t off = std::min<std::size_t>(e.offset, original.size());
    if (off > pos && !emit(original.data() + pos, off - pos)) return 0;
    if (!emit(e.insert.data(), e.insert.size())) return 0;
    pos = std::max(pos, std::min<std::size_t>(off + e.remove, original.size()));
  }
  if (pos < original.size() && !emit(original.data() + pos, original.size() - pos)) return 0;
  return k;
}

std::size_t EditList::write(std::string_view original, char* buf, std::size_t cap) const noexcept {
  Slice s[2 * kMaxEdits + 1];
  const std::size_t n = slices(original, s, std::size(s));
  std::size_t total = 0;
  for (std::size_t i = 0; i < n; ++i) total += s[i].size;
  if (total > cap) return 0;
  char* p = buf;
  for (std::size_t i = 0; i < n; ++i) {
    std::memcpy(p, s[i].data, s[i].size);
    p += s[i].size;
  }
  return total;
}

namespace {

std::uint32_t offset_in(const Message& m, std::string_view part) noexcept {
  return static_cast<std::uint32_t>(part.data() - m.raw().data());
}

// Removes the first comma-separated value of a field, or the whole line when it is the only one.
bool remove_first_value(EditList& e, const Message& m, const HeaderField* f) noexcept {
  if (!f) return false;
  ValueSplitter split(f->value);
  std::string_view first, second;
  if (!split.next(first)) return e.add(f->line_begin, f->line_end - f->line_begin, {});
  if (!split.next(second)) return e.add(f->line_begin, f->line_end - f->line_begin, {});
  const auto from = offset_in(m, first);
  return e.add(from, offset_in(m, second) - from, {});
}

}  // namespace

bool edit_prepend_via(EditList& e, const Message& m, std::string_view via_line) noexcept {
  const HeaderField* f = m.find(HeaderId::via);
  return e.add(f ? f->line_begin : m.header_end(), 0, via_line);
}

bool edit_set_max_forwards(EditList& e, const Message& m, std::string_view new_value,
                           std::string_view line_if_absent) noexcept {
  const HeaderField* f = m.find(HeaderId::max_forwards);
  if (!f) return e.add(m.header_end(), 0, line_if_absent);
  return e.add(offset_in(m, f->value), static_cast<std::uint32_t>(f->value.size()), new_value);
}

bool edit_remove_first_route(EditList& e, const Message& m) noexcept {
  return remove_first_value(e, m, m.find(HeaderId::route));
}

bool edit_insert_first_header(EditList& e, const Message& m, std::string_view line) noexcept {
  return e.add(m.header_count() ? m.field(0).line_begin : m.header_end(), 0, line);
}

bool edit_remove_top_via(EditList& e, const Message& m) noexcept {
  return remove_first_value(e, m, m.find(HeaderId::via));
}

bool edit_append_header(EditList& e, const Message& m, std::string_view line) noexcept {
  return e.add(m.header_end(), 0, line);
}

}  // namespace duet::sip
