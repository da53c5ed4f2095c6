// Big-endian integers and length-prefixed strings: the building blocks of the link's frames
// (PROTOCOL.md). The reader never reads past its end: every get reports failure instead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace duet::replication {

class WireWriter {
 public:
  explicit WireWriter(std::string& out) : out_(out) {}
  void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u16(std::uint16_t v) { be(v, 2); }
  void u32(std::uint32_t v) { be(v, 4); }
  void u64(std::uint64_t v) { be(v, 8); }
  void raw(std::string_view s) { out_.append(s); }
  // Length-prefixed strings; the caller keeps them within the prefix's range (checked by encoders).
  void str8(std::string_view s) {
    u8(static_cast<std::uint8_t>(s.size()));
    raw(s);
  }
  void str16(std::string_view s) {
    u16(static_cast<std::uint16_t>(s.size()));
    raw(s);
  }
  void str32(std::string_view s) {
    u32(static_cast<std::uint32_t>(s.size()));
    raw(s);
  }
  std::size_t size() const noexcept { return out_.size(); }
  std::string& out() noexcept { return out_; }

 private:
  void be(std::uint64_t v, int n) {
    char b[8];
    for (int i = n - 1; i >= 0; --i) {
      b[i] = static_cast<char>(v & 0xff);
      v >>= 8;
    }
    out_.append(b, static_cast<std::size_t>(n));
  }
  std::string& out_;
};

class WireReader {
 public:
  explicit WireReader(std::string_view in) : p_(in.data()), end_(in.data() + in.size()) {}
  bool u8(std::uint8_t& v) noexcept { return be(v, 1); }
  bool u16(std::uint16_t& v) noexcept { return be(v, 2); }
  bool u32(std::uint32_t& v) noexcept { return be(v, 4); }
  bool u64(std::uint64_t& v) noexcept { return be(v, 8); }
  bool raw(std::size_t n, std::string_view& out) noexcept {
    if (static_cast<std::size_t>(end_ - p_) < n) return false;
    out = std::string_view(p_, n);
    p_ += n;
    return true;
  }
  bool str8(std::string_view& out) noexcept {
    std::uint8_t n;
    return u8(n) && raw(n, out);
  }
  bool str16(std::string_view& out) noexcept {
    std::uint16_t n;
    return u16(n) && raw(n, out);
  }
  bool str32(std::string_view& out) noexcept {
    std::uint32_t n;
    return u32(n) && raw(n, out);
  }
  std::size_t left() const noexcept { return static_cast<std::size_t>(end_ - p_); }
  bool done() const noexcept { return p_ == end_; }

 private:
  template <class T>
  bool be(T& v, int n) noexcept {
    if (end_ - p_ < n) return false;
    std::uint64_t x = 0;
    for (int i = 0; i < n; ++i) x = (x << 8) | static_cast<unsigned char>(p_[i]);
    p_ += n;
    v = static_cast<T>(x);
    return true;
  }
  const char* p_;
  const char* end_;
};

}  // namespace duet::replication
