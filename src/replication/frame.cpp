#include "duet/replication/frame.hpp"

#include "duet/replication/wire.hpp"

namespace duet::replication {
namespace {

// Reserves the length field, writes the type; finish_frame() patches the length.
std::size_t begin_frame(std::string& out, FrameType t) {
  const std::size_t start = out.size();
  out.append(4, '\0');
  out.push_back(static_cast<char>(t));
  return start;
}

void put_u32_at(std::string& out, std::size_t at, std::uint32_t v) {
  out[at] = static_cast<char>(v >> 24);
  out[at + 1] = static_cast<char>(v >> 16);
  out[at + 2] = static_cast<char>(v >> 8);
  out[at + 3] = static_cast<char>(v);
}

void finish_frame(std::string& out, std::size_t start) {
  put_u32_at(out, start, static_cast<std::uint32_t>(out.size() - start - 4));
}

bool fail(std::string* why, const char* what) {
  if (why) *why = what;
  return false;
}

bool read_mark(WireReader& r, OriginMark& m) {
  return r.str8(m.origin) && r.u64(m.node_id) && r.u64(m.version);
}

bool decode_hello(WireReader& r, Hello& h, std::string* why) {
  std::uint8_t n;
  if (!r.u16(h.protocol)) return fail(why, "hello: truncated");
  if (h.protocol != kProtocolVersion) return fail(why, "hello: unsupported protocol version");
  if (!r.str8(h.site) || !r.u64(h.node_id) || !r.u32(h.credit) || !r.u8(n))
    return fail(why, "hello: truncated");
  if (h.site.empty()) return fail(why, "hello: empty site name");
  if (n > kMaxOrigins) return fail(why, "hello: too many origins");
  h.held.resize(n);
  for (auto& m : h.held) {
    if (!read_mark(r, m)) return fail(why, "hello: truncated origin list");
  }
  return true;
}

bool decode_records(WireReader& r, Frame& f, std::string* why) {
  std::uint8_t phase;
  std::uint32_t n;
  if (!r.u8(phase) || !r.u32(n)) return fail(why, "records: truncated");
  if (phase > 1) return fail(why, "records: bad phase");
  if (n > kMaxRecordsPerFrame) return fail(why, "records: too many records");
  // Each record takes at least 24 bytes: refuse a count the frame cannot hold before allocating.
  if (static_cast<std::size_t>(n) * 24 > r.left()) return fail(why, "records: count exceeds frame");
  f.snapshot = phase == 0;
  f.records.resize(n);
  for (auto& rec : f.records) {
    std::uint8_t kind, flags;
    if (!r.u8(kind) || !r.u8(flags) || !r.str8(rec.origin) || !r.u64(rec.version) || !r.u64(rec.hlc) ||
        !r.str16(rec.key) || !r.str32(rec.payload)) {
      return fail(why, "records: truncated record");
    }
    if (!valid_kind(kind)) return fail(why, "records: unknown record kind");
    if (flags > 1) return fail(why, "records: unknown flags");
    if (rec.origin.empty()) return fail(why, "records: empty origin");
    if (rec.version == 0) return fail(why, "records: version 0");
    if (rec.payload.size() > kMaxPayload) return fail(why, "records: payload too large");
    rec.kind = static_cast<RecordKind>(kind);
    rec.deleted = flags & 1;
  }
  return true;
}

}  // namespace

DecodeStatus decode_frame(std::string_view buf, Frame& f, std::size_t& consumed, std::string* why) {
  if (buf.size() < 4) return DecodeStatus::need_more;
  WireReader head(buf.substr(0, 4));
  std::uint32_t len = 0;
  head.u32(len);
  if (len == 0) return fail(why, "empty frame"), DecodeStatus::error;
  if (len > kMaxFrame) return fail(why, "frame larger than the maximum"), DecodeStatus::error;
  if (buf.size() - 4 < len) return DecodeStatus::need_more;
  WireReader r(buf.substr(4, len));
  std::uint8_t type;
  r.u8(type);
  bool ok = false;
  switch (static_cast<FrameType>(type)) {
    case FrameType::hello:
      ok = decode_hello(r, f.hello, why);
      break;
    case FrameType::snapshot_begin:
    case FrameType::sync_complete:
    case FrameType::ack:
      ok = read_mark(r, f.mark) || fail(why, "mark: truncated");
      if (ok && f.mark.origin.empty()) ok = fail(why, "mark: empty origin");
      break;
    case FrameType::records:
      ok = decode_records(r, f, why);
      break;
    case FrameType::credit:
      ok = r.u32(f.credit) || fail(why, "credit: truncated");
      break;
    case FrameType::heartbeat:
      ok = (r.u64(f.sent_ms) && r.u64(f.newest_version)) || fail(why, "heartbeat: truncated");
      break;
    default:
      ok = fail(why, "unknown frame type");
  }
  if (!ok) return DecodeStatus::error;
  if (!r.done()) return fail(why, "trailing bytes in frame"), DecodeStatus::error;
  f.type = static_cast<FrameType>(type);
  consumed = 4 + len;
  return DecodeStatus::ok;
}

void encode_hello(std::string& out, const Hello& h) {
  const auto start = begin_frame(out, FrameType::hello);
  WireWriter w(out);
  w.u16(h.protocol);
  w.str8(h.site.substr(0, 255));
  w.u64(h.node_id);
  w.u32(h.credit);
  const std::size_t n = h.held.size() < kMaxOrigins ? h.held.size() : kMaxOrigins;
  w.u8(static_cast<std::uint8_t>(n));
  for (std::size_t i = 0; i < n; ++i) {
    w.str8(h.held[i].origin.substr(0, 255));
    w.u64(h.held[i].node_id);
    w.u64(h.held[i].version);
  }
  finish_frame(out, start);
}

void encode_mark(std::string& out, FrameType type, const OriginMark& m) {
  const auto start = begin_frame(out, type);
  WireWriter w(out);
  w.str8(m.origin.substr(0, 255));
  w.u64(m.node_id);
  w.u64(m.version);
  finish_frame(out, start);
}

void encode_credit(std::string& out, std::uint32_t batches) {
  const auto start = begin_frame(out, FrameType::credit);
  WireWriter(out).u32(batches);
  finish_frame(out, start);
}

void encode_heartbeat(std::string& out, std::uint64_t sent_ms, std::uint64_t newest_version) {
  const auto start = begin_frame(out, FrameType::heartbeat);
  WireWriter w(out);
  w.u64(sent_ms);
  w.u64(newest_version);
  finish_frame(out, start);
}

RecordsEncoder::RecordsEncoder(std::string& out, bool snapshot) : out_(out), start_(out.size()) {
  begin_frame(out_, FrameType::records);
  WireWriter w(out_);
  w.u8(snapshot ? 0 : 1);
  w.u32(0);  // count, patched by finish()
}

bool RecordsEncoder::add(const RecordView& r, std::size_t max_bytes) {
  if (count_ >= kMaxRecordsPerFrame || r.origin.empty() || r.origin.size() > 255 || r.key.size() > 65535 ||
      r.payload.size() > kMaxPayload || r.version == 0) {
    return false;
  }
  const std::size_t need = 2 + 1 + r.origin.size() + 16 + 2 + r.key.size() + 4 + r.payload.size();
  const std::size_t limit = max_bytes < kMaxFrame ? max_bytes : kMaxFrame;
  if (bytes() - 4 + need > limit) return false;
  WireWriter w(out_);
  w.u8(static_cast<std::uint8_t>(r.kind));
  w.u8(r.deleted ? 1 : 0);
  w.str8(r.origin);
  w.u64(r.version);
  w.u64(r.hlc);
  w.str16(r.key);
  w.str32(r.payload);
  ++count_;
  return true;
}

void RecordsEncoder::finish() {
  put_u32_at(out_, start_ + 6, count_);
  finish_frame(out_, start_);
}

}  // namespace duet::replication
