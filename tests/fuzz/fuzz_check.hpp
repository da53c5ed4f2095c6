// Assertions shared by the fuzz targets. They abort (so libFuzzer saves the input) with a line that
// says which invariant broke; they stay on in every build type because fuzzing is their only use.
#pragma once

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace duet::fuzz {

[[noreturn]] inline void fail(const char* what, const char* file, int line) {
  std::fprintf(stderr, "FUZZ INVARIANT BROKEN: %s at %s:%d\n", what, file, line);
  std::abort();
}

// True if v points into [buf.data(), buf.data() + buf.size()]. An empty view references no memory,
// so any pointer is accepted for it (a default-constructed view is null).
inline bool inside(std::string_view v, std::string_view buf) {
  if (v.empty()) return true;
  const char* b = buf.data();
  const char* e = b + buf.size();
  return v.data() >= b && v.data() <= e && v.size() <= static_cast<std::size_t>(e - v.data());
}

}  // namespace duet::fuzz

#define FUZZ_CHECK(cond)                                        \
  do {                                                          \
    if (!(cond)) ::duet::fuzz::fail(#cond, __FILE__, __LINE__); \
  } while (0)

// Every view handed out must lie inside the buffer it was parsed from.
#define FUZZ_INSIDE(view, buf) FUZZ_CHECK(::duet::fuzz::inside((view), (buf)))
