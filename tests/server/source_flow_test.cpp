#include "source_flow.hpp"

#include <gtest/gtest.h>

#include "duet/transport/address.hpp"

namespace duet::server {
namespace {

TEST(SourceFlow, CopiesPeerFlowAndNamesTheLocalSocket) {
  transport::Source src;
  src.proto = transport::Proto::tcp;
  ASSERT_TRUE(transport::make_sockaddr("203.0.113.7", 40001, src.peer));
  ASSERT_TRUE(transport::make_sockaddr("192.0.2.1", 5060, src.local));
  src.conn_id = 99;
  src.worker = 1;
  char buf[kLocalKeySize];
  registrar::Flow f;
  flow_from_source(src, buf, f);
  EXPECT_EQ(f.transport, registrar::Transport::tcp);
  EXPECT_EQ(f.family, 4);
  EXPECT_EQ(f.port, 40001);
  EXPECT_EQ(f.addr[0], 203);
  EXPECT_EQ(f.addr[3], 7);
  EXPECT_EQ(f.conn_id, 99u);
  EXPECT_EQ(f.worker, 1);
  EXPECT_EQ(f.local.size(), 8u);

  // Another local socket gives another name; IPv6 peers keep all 16 bytes.
  transport::Source v6 = src;
  ASSERT_TRUE(transport::make_sockaddr("2001:db8::5", 5062, v6.peer));
  ASSERT_TRUE(transport::make_sockaddr("::1", 5060, v6.local));
  char buf6[kLocalKeySize];
  registrar::Flow f6;
  flow_from_source(v6, buf6, f6);
  EXPECT_EQ(f6.family, 6);
  EXPECT_EQ(f6.port, 5062);
  EXPECT_EQ(f6.addr[0], 0x20);
  EXPECT_EQ(f6.addr[15], 5);
  EXPECT_EQ(f6.local.size(), 20u);
  EXPECT_NE(f6.local, f.local);
}

}  // namespace
}  // namespace duet::server
