#include <gtest/gtest.h>

#include "duet/registrar/sip_date.hpp"

namespace duet::registrar {
namespace {

TEST(SipDate, FormatsRfc1123Gmt) {
  char buf[kSipDateSize];
  EXPECT_EQ(format_sip_date(0, buf), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(format_sip_date(784111777, buf), "Sun, 06 Nov 1994 08:49:37 GMT");  // RFC 2616's example
  EXPECT_EQ(format_sip_date(951782400, buf), "Tue, 29 Feb 2000 00:00:00 GMT");
  EXPECT_EQ(format_sip_date(1700000000, buf), "Tue, 14 Nov 2023 22:13:20 GMT");
  EXPECT_EQ(format_sip_date(4102444799, buf), "Thu, 31 Dec 2099 23:59:59 GMT");
  EXPECT_EQ(format_sip_date(4107542399, buf), "Sun, 28 Feb 2100 23:59:59 GMT");  // 2100 is not a leap year
  EXPECT_EQ(format_sip_date(-5, buf), "Thu, 01 Jan 1970 00:00:00 GMT");
}

}  // namespace
}  // namespace duet::registrar
