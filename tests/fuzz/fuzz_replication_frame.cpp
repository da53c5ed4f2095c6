// The replication link's frame decoder (src/replication/frame.cpp) on arbitrary bytes, as a peer
// or anything that reaches the replication port could send them. Invariants: decoding never reads
// outside the input, a decoded frame re-encodes to the same bytes, need_more only for inputs
// shorter than the declared frame, and the binding payload decoder never fails loudly.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "duet/replication/frame.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace duet::replication;

std::string reencode(const Frame& f) {
  std::string out;
  switch (f.type) {
    case FrameType::hello:
      encode_hello(out, f.hello);
      break;
    case FrameType::snapshot_begin:
    case FrameType::sync_complete:
    case FrameType::ack:
      encode_mark(out, f.type, f.mark);
      break;
    case FrameType::credit:
      encode_credit(out, f.credit);
      break;
    case FrameType::heartbeat:
      encode_heartbeat(out, f.sent_ms, f.newest_version);
      break;
    case FrameType::records: {
      RecordsEncoder enc(out, f.snapshot);
      for (const auto& r : f.records) FUZZ_CHECK(enc.add(r));
      enc.finish();
      break;
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string_view rest = in;
  // A stream of frames, as the session decodes it.
  for (int i = 0; i < 64 && !rest.empty(); ++i) {
    Frame f;
    std::size_t used = 0;
    std::string why;
    const auto st = decode_frame(rest, f, used, &why);
    if (st == DecodeStatus::need_more) {
      FUZZ_CHECK(rest.size() < 4 ||
                 rest.size() < 4 + (static_cast<std::size_t>(static_cast<unsigned char>(rest[0])) << 24 |
                                    static_cast<std::size_t>(static_cast<unsigned char>(rest[1])) << 16 |
                                    static_cast<std::size_t>(static_cast<unsigned char>(rest[2])) << 8 |
                                    static_cast<unsigned char>(rest[3])));
      break;
    }
    if (st == DecodeStatus::error) {
      FUZZ_CHECK(!why.empty());
      break;
    }
    FUZZ_CHECK(used >= 5 && used <= rest.size());
    const std::string_view whole = rest.substr(0, used);
    if (f.type == FrameType::hello) FUZZ_CHECK(duet::fuzz::inside(f.hello.site, whole));
    for (const auto& r : f.records) {
      FUZZ_CHECK(duet::fuzz::inside(r.origin, whole));
      FUZZ_CHECK(duet::fuzz::inside(r.key, whole));
      FUZZ_CHECK(duet::fuzz::inside(r.payload, whole));
      FUZZ_CHECK(r.version != 0 && !r.origin.empty());
    }
    FUZZ_CHECK(reencode(f) == whole);
    rest.remove_prefix(used);
  }
  return 0;
}
