// next_frame() as a TCP transport uses it: the input arrives in chunks of pseudo-random sizes (drawn
// from a hash of the input, so a crash reproduces from the file alone), is appended to a receive
// buffer, and complete frames are taken off its front. Checks: frames tile the input, each message
// frame is exactly what parse() in stream mode consumes, and the chunking does not change the frames.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "duet/sip/framer.hpp"
#include "duet/sip/message.hpp"
#include "fuzz_check.hpp"
#include "known_issues.hpp"

namespace {

using namespace duet::sip;

constexpr std::size_t kByteByByteMax = 1024;

struct Seen {
  FrameKind kind;
  std::size_t size;
  ParseError error;
  bool operator==(const Seen&) const = default;
};

std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

bool ends_in_line_error(const std::vector<Seen>& frames) {
  return !frames.empty() && frames.back().kind == FrameKind::error &&
         frames.back().error == ParseError::header_line_too_long;
}

bool only_crlf(std::string_view s) {
  return s.find_first_not_of("\r\n") == std::string_view::npos;
}

// Takes complete frames off the front of buf, appending them to out. Returns false once the stream
// is in error (the transport would close it).
bool drain(std::string& buf, std::vector<Seen>& out, const Limits& limits) {
  const std::size_t max_frames = buf.size() + 1;  // every frame takes at least one byte
  for (std::size_t guard = 0; guard < max_frames; ++guard) {
    const Frame f = next_frame(buf, limits);
    if (f.kind == FrameKind::need_more) return true;
    out.push_back({f.kind, f.size, f.error});
    if (f.kind == FrameKind::error) {
      FUZZ_CHECK(f.error != ParseError::none);
      return false;
    }
    FUZZ_CHECK(f.size > 0 && f.size <= buf.size());
    const std::string frame = buf.substr(0, f.size);  // exact-size copy for ASan
    if (f.kind == FrameKind::ping || f.kind == FrameKind::pong) {
      FUZZ_CHECK(only_crlf(frame));
    } else {
      FUZZ_CHECK(f.kind == FrameKind::message);
      // The framer and the parser agree on where the message ends.
      Message msg;
      const ParseResult r = parse(frame, msg, {.mode = Framing::stream, .limits = limits});
      FUZZ_CHECK(r.status != ParseStatus::need_more);
      if (r.status == ParseStatus::ok) FUZZ_CHECK(r.consumed == f.size);
    }
    buf.erase(0, f.size);
  }
  FUZZ_CHECK(!"next_frame made no progress");
  return false;
}

std::vector<Seen> frame_in_chunks(std::string_view input, std::uint64_t seed, std::size_t max_chunk,
                                  const Limits& limits, std::size_t& left_over) {
  std::vector<Seen> seen;
  std::string buf;
  std::size_t pos = 0;
  bool alive = true;
  while (alive && pos < input.size()) {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    // max_chunk 0: everything in one read.
    const std::size_t n =
        max_chunk == 0 ? input.size() : std::min<std::size_t>(1 + seed % max_chunk, input.size() - pos);
    buf.append(input.substr(pos, n));
    pos += n;
    alive = drain(buf, seen, limits);
  }
  left_over = alive ? buf.size() : 0;
  return seen;
}

void run(std::string_view input, const Limits& limits) {
  const std::uint64_t seed = fnv1a(input) | 1;
  std::size_t rest_whole = 0, rest_chunked = 0, rest_bytes = 0;
  const std::vector<Seen> whole = frame_in_chunks(input, seed, 0, limits, rest_whole);
  const std::vector<Seen> chunked = frame_in_chunks(input, seed, 1 + seed % 97, limits, rest_chunked);
  // One byte at a time costs O(n^2) framing work: only for short inputs.
  const std::vector<Seen> bytes = input.size() <= kByteByByteMax
                                      ? frame_in_chunks(input, seed, 1, limits, rest_bytes)
                                      : std::vector<Seen>{};

  // Frames tile the input: what they cover plus what is still buffered is everything fed.
  std::size_t covered = 0;
  for (const Seen& s : whole) covered += s.size;
  if (whole.empty() || whole.back().kind != FrameKind::error)
    FUZZ_CHECK(covered + rest_whole == input.size());

  // TCP may split the stream anywhere: the frames must not depend on where. Only the size of an
  // error frame may differ (how soon an oversize header block is noticed depends on the chunks).
  const bool whole_ok = whole.empty() || whole.back().kind != FrameKind::error;
  const struct {
    const std::vector<Seen>* frames;
    std::size_t rest;
    bool ran;
  } others[] = {{&chunked, rest_chunked, true}, {&bytes, rest_bytes, input.size() <= kByteByByteMax}};
  for (const auto& o : others) {
    if (!o.ran) continue;
    const std::vector<Seen>& f = *o.frames;
    const bool known = duet::fuzz::kKnownFramerPartialLineLimit &&
                       (ends_in_line_error(f) || ends_in_line_error(whole)) &&
                       (f.size() != whole.size() || f.back().kind != whole.back().kind);
    if (known) continue;
    FUZZ_CHECK(f.size() == whole.size());
    for (std::size_t i = 0; i < whole.size(); ++i) {
      FUZZ_CHECK(f[i].kind == whole[i].kind);
      if (whole[i].kind != FrameKind::error) FUZZ_CHECK(f[i].size == whole[i].size);
    }
    if (whole_ok) FUZZ_CHECK(o.rest == rest_whole);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  run(input, {});
  run(input, {.max_message_size = 700, .max_line_length = 90, .max_headers = 8});
  return 0;
}
