// Frame codec: every frame round-trips, and every malformed or truncated input is refused with a
// reason instead of being read past its end.
#include <gtest/gtest.h>

#include <string>

#include "duet/replication/frame.hpp"
#include "duet/replication/wire.hpp"

namespace duet::replication {
namespace {

Frame decode_one(const std::string& bytes) {
  Frame f;
  std::size_t used = 0;
  std::string why;
  EXPECT_EQ(decode_frame(bytes, f, used, &why), DecodeStatus::ok) << why;
  EXPECT_EQ(used, bytes.size());
  return f;
}

TEST(FrameCodec, HelloRoundTrip) {
  Hello h;
  h.site = "a";
  h.node_id = 0x0102030405060708ull;
  h.credit = 16;
  h.held.push_back({"b", 99, 12345});
  std::string out;
  encode_hello(out, h);
  const Frame f = decode_one(out);
  ASSERT_EQ(f.type, FrameType::hello);
  EXPECT_EQ(f.hello.protocol, kProtocolVersion);
  EXPECT_EQ(f.hello.site, "a");
  EXPECT_EQ(f.hello.node_id, 0x0102030405060708ull);
  EXPECT_EQ(f.hello.credit, 16u);
  ASSERT_EQ(f.hello.held.size(), 1u);
  EXPECT_EQ(f.hello.held[0].origin, "b");
  EXPECT_EQ(f.hello.held[0].node_id, 99u);
  EXPECT_EQ(f.hello.held[0].version, 12345u);
}

TEST(FrameCodec, MarksCreditHeartbeat) {
  std::string out;
  encode_mark(out, FrameType::sync_complete, {"siteA", 7, 1000});
  encode_credit(out, 3);
  encode_heartbeat(out, 1700000000000ull, 42);
  std::string_view rest = out;
  Frame f;
  std::size_t used;
  ASSERT_EQ(decode_frame(rest, f, used, nullptr), DecodeStatus::ok);
  EXPECT_EQ(f.type, FrameType::sync_complete);
  EXPECT_EQ(f.mark.origin, "siteA");
  EXPECT_EQ(f.mark.node_id, 7u);
  EXPECT_EQ(f.mark.version, 1000u);
  rest.remove_prefix(used);
  ASSERT_EQ(decode_frame(rest, f, used, nullptr), DecodeStatus::ok);
  EXPECT_EQ(f.type, FrameType::credit);
  EXPECT_EQ(f.credit, 3u);
  rest.remove_prefix(used);
  ASSERT_EQ(decode_frame(rest, f, used, nullptr), DecodeStatus::ok);
  EXPECT_EQ(f.type, FrameType::heartbeat);
  EXPECT_EQ(f.sent_ms, 1700000000000ull);
  EXPECT_EQ(f.newest_version, 42u);
  rest.remove_prefix(used);
  EXPECT_TRUE(rest.empty());
}

TEST(FrameCodec, RecordsRoundTripWithTombstone) {
  std::string out;
  RecordsEncoder enc(out, true);
  ASSERT_TRUE(enc.add({RecordKind::binding, false, "a", 5, 77, "key1", "payload"}));
  ASSERT_TRUE(enc.add({RecordKind::config, true, "b", 6, 78, "dns/1001", ""}));
  enc.finish();
  const Frame f = decode_one(out);
  ASSERT_EQ(f.type, FrameType::records);
  EXPECT_TRUE(f.snapshot);
  ASSERT_EQ(f.records.size(), 2u);
  EXPECT_EQ(f.records[0].kind, RecordKind::binding);
  EXPECT_FALSE(f.records[0].deleted);
  EXPECT_EQ(f.records[0].origin, "a");
  EXPECT_EQ(f.records[0].version, 5u);
  EXPECT_EQ(f.records[0].hlc, 77u);
  EXPECT_EQ(f.records[0].key, "key1");
  EXPECT_EQ(f.records[0].payload, "payload");
  EXPECT_EQ(f.records[1].kind, RecordKind::config);
  EXPECT_TRUE(f.records[1].deleted);
  EXPECT_EQ(f.records[1].key, "dns/1001");
}

TEST(FrameCodec, EncoderRespectsByteBudgetAndRefusesBadRecords) {
  std::string out;
  RecordsEncoder enc(out, false);
  const std::string big(1000, 'x');
  ASSERT_TRUE(enc.add({RecordKind::binding, false, "a", 1, 1, "k", big}, 1500));
  EXPECT_FALSE(enc.add({RecordKind::binding, false, "a", 2, 1, "k2", big}, 1500));
  EXPECT_FALSE(enc.add({RecordKind::binding, false, "", 3, 1, "k3", ""}));   // no origin
  EXPECT_FALSE(enc.add({RecordKind::binding, false, "a", 0, 1, "k3", ""}));  // version 0
  enc.finish();
  EXPECT_EQ(decode_one(out).records.size(), 1u);
}

TEST(FrameCodec, EveryPrefixNeedsMoreNeverOk) {
  std::string out;
  RecordsEncoder enc(out, false);
  enc.add({RecordKind::binding, false, "a", 5, 77, "key1", "payload"});
  enc.finish();
  for (std::size_t n = 0; n < out.size(); ++n) {
    Frame f;
    std::size_t used;
    EXPECT_EQ(decode_frame(std::string_view(out).substr(0, n), f, used, nullptr), DecodeStatus::need_more)
        << n;
  }
}

std::string frame(std::uint8_t type, const std::string& payload) {
  std::string out;
  WireWriter w(out);
  w.u32(static_cast<std::uint32_t>(payload.size() + 1));
  w.u8(type);
  w.raw(payload);
  return out;
}

DecodeStatus status_of(const std::string& bytes, std::string* why = nullptr) {
  Frame f;
  std::size_t used;
  return decode_frame(bytes, f, used, why);
}

TEST(FrameCodec, RefusesMalformedFrames) {
  std::string why;
  EXPECT_EQ(status_of(std::string("\0\0\0\0", 4), &why), DecodeStatus::error);
  EXPECT_EQ(why, "empty frame");
  EXPECT_EQ(status_of(std::string("\x7f\xff\xff\xff", 4), &why), DecodeStatus::error);
  EXPECT_EQ(why, "frame larger than the maximum");
  EXPECT_EQ(status_of(frame(99, ""), &why), DecodeStatus::error);
  EXPECT_EQ(why, "unknown frame type");
  EXPECT_EQ(status_of(frame(4, std::string("\0\0\0\1\0", 5)), &why), DecodeStatus::error);  // trailing byte
  EXPECT_EQ(why, "trailing bytes in frame");
  EXPECT_EQ(status_of(frame(4, std::string("\0\0", 2)), &why), DecodeStatus::error);
  // Hello with another protocol version.
  std::string hello;
  WireWriter(hello).u16(kProtocolVersion + 1);
  EXPECT_EQ(status_of(frame(1, hello), &why), DecodeStatus::error);
  EXPECT_EQ(why, "hello: unsupported protocol version");
  // Records claiming more records than the frame can hold.
  std::string recs;
  WireWriter rw(recs);
  rw.u8(1);
  rw.u32(1000);
  EXPECT_EQ(status_of(frame(3, recs), &why), DecodeStatus::error);
  EXPECT_EQ(why, "records: count exceeds frame");
  // A record whose key length runs past the frame.
  std::string one;
  WireWriter ow(one);
  ow.u8(1);
  ow.u32(1);
  ow.u8(1);
  ow.u8(0);
  ow.str8("a");
  ow.u64(1);
  ow.u64(1);
  ow.u16(500);
  ow.raw(std::string(20, 'k'));
  EXPECT_EQ(status_of(frame(3, one), &why), DecodeStatus::error);
  EXPECT_EQ(why, "records: truncated record");
}

TEST(FrameCodec, RefusesUnknownKindAndFlags) {
  std::string out;
  RecordsEncoder enc(out, false);
  enc.add({RecordKind::binding, false, "a", 5, 77, "k", "p"});
  enc.finish();
  std::string bad_kind = out;
  bad_kind[4 + 1 + 1 + 4] = 9;  // header, type, phase, count, then the kind
  std::string why;
  EXPECT_EQ(status_of(bad_kind, &why), DecodeStatus::error);
  EXPECT_EQ(why, "records: unknown record kind");
  std::string bad_flags = out;
  bad_flags[4 + 1 + 1 + 4 + 1] = 2;
  EXPECT_EQ(status_of(bad_flags, &why), DecodeStatus::error);
  EXPECT_EQ(why, "records: unknown flags");
}

}  // namespace
}  // namespace duet::replication

#include "duet/replication/binding_record.hpp"

namespace duet::replication {
namespace {

TEST(BindingPayload, OutOfServiceRoundTripsAndOlderPayloadsAreReachable) {
  BindingInfo b;
  b.user = "1001";
  b.domain = "example.com";
  b.contact = "sip:1001@192.0.2.1:5060";
  b.family = 4;
  b.port = 5060;
  b.out_of_service = true;
  std::string p;
  encode_binding(p, b);
  BindingInfo back;
  ASSERT_TRUE(decode_binding(p, back));
  EXPECT_TRUE(back.out_of_service);
  EXPECT_EQ(back.contact, b.contact);
  // A peer that predates the state byte sends the payload without it: reachable.
  ASSERT_TRUE(decode_binding(std::string_view(p).substr(0, p.size() - 1), back));
  EXPECT_FALSE(back.out_of_service);
  // Unknown state bits and trailing bytes are refused.
  std::string bad = p;
  bad.back() = 2;
  EXPECT_FALSE(decode_binding(bad, back));
  EXPECT_FALSE(decode_binding(p + "x", back));
}

}  // namespace
}  // namespace duet::replication
