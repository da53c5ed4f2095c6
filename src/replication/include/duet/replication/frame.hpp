// The link's frames (PROTOCOL.md): u32 length (big endian, counting the type byte and payload),
// u8 type, payload. decode_frame() is the one entry point for untrusted bytes: it checks every
// length against what is left and against the limits, and says why it refuses.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "duet/replication/record.hpp"

namespace duet::replication {

inline constexpr std::uint16_t kProtocolVersion = 1;
inline constexpr std::size_t kMaxFrame = 4u << 20;  // type + payload bytes
inline constexpr std::size_t kMaxRecordsPerFrame = 65535;
inline constexpr std::size_t kMaxPayload = 1u << 20;
inline constexpr std::size_t kMaxOrigins = 16;

enum class FrameType : std::uint8_t {
  hello = 1,
  snapshot_begin = 2,
  records = 3,
  credit = 4,
  sync_complete = 5,
  ack = 6,
  heartbeat = 7,
};

// What a site holds from one origin: that origin's node id (changes at each start) and the
// highest version of it applied in order.
struct OriginMark {
  std::string_view origin;
  std::uint64_t node_id = 0;
  std::uint64_t version = 0;
};

struct Hello {
  std::uint16_t protocol = kProtocolVersion;
  std::string_view site;
  std::uint64_t node_id = 0;
  std::uint32_t credit = 0;  // RECORDS frames the sender of HELLO accepts before it grants more
  std::vector<OriginMark> held;
};

struct Frame {
  FrameType type = FrameType::heartbeat;
  Hello hello;                       // hello
  OriginMark mark;                   // snapshot_begin (version = snapshot upper bound), sync_complete, ack
  bool snapshot = false;             // records: part of a snapshot (else deltas)
  std::vector<RecordView> records;   // records
  std::uint32_t credit = 0;          // credit
  std::uint64_t sent_ms = 0;         // heartbeat: sender's wall clock
  std::uint64_t newest_version = 0;  // heartbeat: sender's newest own version (lag)
};

enum class DecodeStatus : std::uint8_t { ok, need_more, error };

// Decodes the frame at the start of buf. ok: f filled (views into buf), consumed set. need_more:
// buf holds a prefix of a valid frame. error: *why says what is wrong; the link must be closed.
DecodeStatus decode_frame(std::string_view buf, Frame& f, std::size_t& consumed, std::string* why);

void encode_hello(std::string& out, const Hello& h);
void encode_mark(std::string& out, FrameType type,
                 const OriginMark& m);  // snapshot_begin, sync_complete, ack
void encode_credit(std::string& out, std::uint32_t batches);
void encode_heartbeat(std::string& out, std::uint64_t sent_ms, std::uint64_t newest_version);

// Appends one RECORDS frame record by record, then patches its length and count.
class RecordsEncoder {
 public:
  RecordsEncoder(std::string& out, bool snapshot);
  // False (nothing written) if the record breaks a limit or the frame would exceed max_bytes.
  bool add(const RecordView& r, std::size_t max_bytes = kMaxFrame);
  std::size_t count() const noexcept { return count_; }
  std::size_t bytes() const noexcept { return out_.size() - start_; }
  void finish();

 private:
  std::string& out_;
  std::size_t start_;
  std::uint32_t count_ = 0;
};

}  // namespace duet::replication
