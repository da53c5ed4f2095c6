// Reference-counted string interning: strings that thousands of bindings share (User-Agent, domain,
// site, local socket) are stored once and named by a 32-bit id. Id 0 is the empty string.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace duet::registrar {

class Interner {
 public:
  static constexpr std::uint32_t kEmpty = 0;
  static constexpr std::uint32_t kAbsent = 0xFFFFFFFFu;

  Interner();
  // Returns the id of s and takes a reference on it (none for the empty string).
  std::uint32_t acquire(std::string_view s);
  // Takes one more reference on an id already held.
  void retain(std::uint32_t id) noexcept;
  void release(std::uint32_t id) noexcept;
  // The id of s without taking a reference, or kAbsent.
  std::uint32_t find(std::string_view s) const noexcept;
  std::string_view text(std::uint32_t id) const noexcept;
  std::size_t live() const noexcept { return live_; }
  std::uint32_t refs(std::uint32_t id) const noexcept { return id < entries_.size() ? entries_[id].refs : 0; }

 private:
  struct Entry {
    std::unique_ptr<char[]> bytes;  // stable address: the map's keys point into it
    std::uint32_t size = 0;
    std::uint32_t refs = 0;
  };
  std::vector<Entry> entries_;
  std::vector<std::uint32_t> free_ids_;
  std::unordered_map<std::string_view, std::uint32_t> ids_;
  std::size_t live_ = 0;
};

}  // namespace duet::registrar
