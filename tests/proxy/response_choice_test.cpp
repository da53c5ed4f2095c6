// better_response() / upstream_status(): the final response a forking proxy sends upstream
// (RFC 3261 §16.7 step 6).
#include "duet/proxy/response_choice.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace duet::proxy {
namespace {

// The status better_response() keeps out of a sequence of branch finals (in arrival order).
int chosen(const std::vector<int>& finals) {
  int best = 0;
  for (const int s : finals) {
    if (better_response(s, best)) best = s;
  }
  return best;
}

TEST(ProxyResponseChoice, AnythingBeatsNothing) {
  for (const int s : {300, 404, 486, 500, 503, 600, 603}) EXPECT_TRUE(better_response(s, 0)) << s;
}

TEST(ProxyResponseChoice, SixHundredsWinOverEverything) {
  for (const int other : {302, 401, 404, 486, 500, 503}) {
    EXPECT_TRUE(better_response(603, other)) << other;
    EXPECT_FALSE(better_response(other, 603)) << other;
    EXPECT_TRUE(better_response(600, other)) << other;
  }
  // Between two 6xx the first stays.
  EXPECT_FALSE(better_response(600, 603));
  EXPECT_FALSE(better_response(603, 600));
  EXPECT_EQ(chosen({486, 603, 302, 401}), 603);
  EXPECT_EQ(chosen({302, 500, 600}), 600);
}

TEST(ProxyResponseChoice, LowestClassWins) {
  EXPECT_TRUE(better_response(302, 404));
  EXPECT_TRUE(better_response(302, 503));
  EXPECT_TRUE(better_response(404, 503));
  EXPECT_FALSE(better_response(503, 404));
  EXPECT_FALSE(better_response(486, 301));
  EXPECT_FALSE(better_response(500, 302));
  EXPECT_EQ(chosen({503, 486, 302}), 302);
  EXPECT_EQ(chosen({500, 408}), 408);
}

TEST(ProxyResponseChoice, ActionableFourHundredsArePreferredWithin4xx) {
  for (const int actionable : {401, 407, 415, 420, 484}) {
    for (const int plain : {400, 403, 404, 408, 480, 486, 487, 488}) {
      EXPECT_TRUE(better_response(actionable, plain)) << actionable << " over " << plain;
      EXPECT_FALSE(better_response(plain, actionable)) << plain << " over " << actionable;
    }
  }
  // Between two actionable ones, or two plain ones, the first stays.
  EXPECT_FALSE(better_response(407, 401));
  EXPECT_FALSE(better_response(401, 407));
  EXPECT_FALSE(better_response(486, 404));
  EXPECT_FALSE(better_response(404, 486));
  EXPECT_EQ(chosen({486, 480, 407, 401, 404}), 407);
  // The preference is within 4xx only: a 3xx still beats a 401.
  EXPECT_TRUE(better_response(302, 401));
  EXPECT_FALSE(better_response(401, 302));
}

TEST(ProxyResponseChoice, FirstKeptWithinAClass) {
  EXPECT_FALSE(better_response(301, 302));
  EXPECT_FALSE(better_response(302, 301));
  EXPECT_FALSE(better_response(503, 500));
  EXPECT_FALSE(better_response(500, 503));
  EXPECT_FALSE(better_response(486, 486));
  EXPECT_EQ(chosen({486, 404, 480}), 486);
  EXPECT_EQ(chosen({503, 500}), 503);
}

TEST(ProxyResponseChoice, UpstreamStatusTurns503Into500Only) {
  EXPECT_EQ(upstream_status(503), 500);
  for (const int s : {200, 302, 404, 486, 500, 502, 504, 603}) EXPECT_EQ(upstream_status(s), s) << s;
}

}  // namespace
}  // namespace duet::proxy
