// Every route with a fake context: status codes, JSON bodies, token enforcement.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>

#include "api_test_support.hpp"
#include "duet/api/router.hpp"
#include "fake_context.hpp"

namespace duet::api {
namespace {

using nlohmann::json;

class RouterTest : public ::testing::Test {
 protected:
  HttpResponse call(const std::string& method, const std::string& target, const std::string& body = "",
                    const std::string& auth = "") {
    return testing::call_router(router, method, target, body, auth);
  }
  static json body(const HttpResponse& r) { return json::parse(r.body); }
  static std::string error(const HttpResponse& r) { return body(r).value("error", std::string()); }

  testing::FakeContext ctx;
  Router router{ctx, ""};
};

TEST_F(RouterTest, Healthz) {
  const auto r = call("GET", "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(body(r)["status"], "ok");
  EXPECT_EQ(body(r)["site"], "site-a");
  EXPECT_EQ(call("POST", "/healthz").status, 405);
}

TEST_F(RouterTest, UnknownPathsAre404WithJsonError) {
  auto r = call("GET", "/nope");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(error(r), "no such resource: /nope");
  EXPECT_EQ(call("GET", "/api/v1/config/cars").status, 404);
  EXPECT_EQ(call("GET", "/api/v1/config/dns/1/extra").status, 404);
}

TEST_F(RouterTest, RegistrationsWithAndWithoutFilter) {
  ctx.bindings = {{"site-a", "sip:1001@x", "sip:1001@10.0.0.1:5060", 3500, "10.0.0.1:5060", "udp", "Phone/1"},
                  {"site-b", "sip:1002@x", "sip:1002@10.0.0.2:5060", 120, "10.0.0.2:40000", "tcp", ""}};
  auto r = call("GET", "/api/v1/registrations");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(body(r)["count"], 2);
  EXPECT_EQ(body(r)["registrations"][1]["site"], "site-b");
  EXPECT_EQ(body(r)["registrations"][0]["user_agent"], "Phone/1");
  EXPECT_EQ(body(r)["registrations"][0]["expires"], 3500);
  r = call("GET", "/api/v1/registrations?aor=sip%3A1002%40x");
  EXPECT_EQ(ctx.last_aor, "sip:1002@x");
  ASSERT_EQ(body(r)["count"], 1);
  EXPECT_EQ(body(r)["registrations"][0]["received"], "10.0.0.2:40000");
  EXPECT_EQ(call("GET", "/api/v1/registrations?aor=%zz").status, 400);
  EXPECT_EQ(call("DELETE", "/api/v1/registrations").status, 405);
}

TEST_F(RouterTest, RegistrationsAnswerLater) {
  ctx.defer = true;
  ctx.bindings = {{"site-a", "sip:1@x", "sip:1@h", 1, "h:1", "udp", ""}};
  HttpRequest req{"GET", "/api/v1/registrations", "", "", ""};
  std::optional<HttpResponse> out;
  router.handle(req, [&](HttpResponse r) { out = std::move(r); });
  EXPECT_FALSE(out);
  ASSERT_EQ(ctx.pending.size(), 1u);
  ctx.pending[0]();
  ASSERT_TRUE(out);
  EXPECT_EQ(json::parse(out->body)["count"], 1);
}

TEST_F(RouterTest, Peer) {
  ctx.peer_info = PeerInfo{"up", "site-b", 1700000000000, true, 3, 12, 5, 1};
  const auto r = call("GET", "/api/v1/peer");
  ASSERT_EQ(r.status, 200);
  const auto j = body(r);
  EXPECT_EQ(j["state"], "up");
  EXPECT_EQ(j["peer_site"], "site-b");
  EXPECT_EQ(j["whole"], true);
  EXPECT_EQ(j["lag_versions"], 3);
  EXPECT_EQ(j["lag_ms"], 12);
  EXPECT_EQ(j["queue_depth"], 5);
  EXPECT_EQ(j["queue_full"], 1);
  EXPECT_EQ(j["last_sync_unix_ms"], 1700000000000);
}

TEST_F(RouterTest, StatsAreTheServicesCountersOr503) {
  EXPECT_EQ(call("GET", "/api/v1/stats").status, 503);  // a build without the SIP service
  ctx.stats_json = {{"proxy", {{"requests", 7}}}, {"transactions", {{"live", 2}}}};
  const auto r = call("GET", "/api/v1/stats");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(body(r)["proxy"]["requests"], 7);
  EXPECT_EQ(body(r)["transactions"]["live"], 2);
  EXPECT_EQ(call("POST", "/api/v1/stats").status, 405);
}

TEST_F(RouterTest, ConfigLifecycle) {
  EXPECT_EQ(call("POST", "/api/v1/config/dns", R"({"number":"1001"})").status, 201);
  EXPECT_EQ(call("POST", "/api/v1/config/dns", R"({"number":"2001","mode":"dual"})").status, 201);
  auto r = call("POST", "/api/v1/config/places", R"({"name":"p1","dns":["1001","2001"]})");
  ASSERT_EQ(r.status, 201);
  EXPECT_EQ(r.headers.at(0), (std::pair<std::string, std::string>{"Location", "/api/v1/config/places/p1"}));
  EXPECT_EQ(call("POST", "/api/v1/config/users", R"({"id":"u1","name":"One"})").status, 201);
  r = call("POST", "/api/v1/config/agent-logins",
           R"({"code":"1001","user":"u1","place":"p1","dn":"1001","peer_dn":"2001"})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(body(r)["peer_dn"], "2001");

  r = call("GET", "/api/v1/config/dns");
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(body(r)["dns"].size(), 2u);
  EXPECT_EQ(body(r)["dns"][1]["mode"], "dual");
  r = call("GET", "/api/v1/config/agent-logins/1001");
  EXPECT_EQ(body(r)["user"], "u1");

  r = call("PUT", "/api/v1/config/users/u1", R"({"name":"Renamed"})");  // id taken from the path
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body(r)["name"], "Renamed");
  EXPECT_EQ(std::get<agents::User>(ctx.model.find(agents::Kind::user, "u1")->object).name, "Renamed");

  EXPECT_EQ(call("DELETE", "/api/v1/config/agent-logins/1001").status, 204);
  EXPECT_EQ(call("GET", "/api/v1/config/agent-logins/1001").status, 404);
  EXPECT_EQ(call("DELETE", "/api/v1/config/users/u1").status, 204);
}

TEST_F(RouterTest, ConfigErrors) {
  ASSERT_EQ(call("POST", "/api/v1/config/dns", R"({"number":"7000","type":"acd_queue"})").status, 201);
  ASSERT_EQ(call("POST", "/api/v1/config/places", R"({"name":"q","dns":["7000"]})").status, 201);
  ASSERT_EQ(call("POST", "/api/v1/config/users", R"({"id":"u1"})").status, 201);
  // Seed rule: only Extension DNs can be agent DNs -> 409 with the field.
  auto r = call("POST", "/api/v1/config/agent-logins", R"({"code":"1","user":"u1","place":"q","dn":"7000"})");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(body(r)["field"], "dn");
  EXPECT_NE(error(r).find("only Extension DNs can be agent DNs"), std::string::npos);
  // Duplicates -> 409; malformed JSON, wrong types, unknown fields -> 400.
  EXPECT_EQ(call("POST", "/api/v1/config/users", R"({"id":"u1"})").status, 409);
  r = call("POST", "/api/v1/config/users", R"({"id":"u2")");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(error(r), "the body is not valid JSON");
  EXPECT_EQ(call("POST", "/api/v1/config/dns", R"({"number":"1","type":"fax"})").status, 400);
  EXPECT_EQ(call("POST", "/api/v1/config/users", R"({"id":"u3","nmae":"x"})").status, 400);
  EXPECT_EQ(call("POST", "/api/v1/config/users", "").status, 400);
  // Missing objects -> 404; referenced ones cannot go -> 409.
  EXPECT_EQ(call("PUT", "/api/v1/config/users/nobody", R"({"name":"x"})").status, 404);
  EXPECT_EQ(call("DELETE", "/api/v1/config/places/none").status, 404);
  EXPECT_EQ(call("DELETE", "/api/v1/config/dns/7000").status, 409);
  // The body may not rename the object.
  r = call("PUT", "/api/v1/config/users/u1", R"({"id":"u9"})");
  EXPECT_EQ(r.status, 400);
  // Methods.
  r = call("DELETE", "/api/v1/config/dns");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers.at(0).first, "Allow");
  EXPECT_EQ(call("POST", "/api/v1/config/dns/7000", "{}").status, 405);
  EXPECT_EQ(call("PATCH", "/api/v1/config/dns/7000", "{}").status, 405);
}

TEST_F(RouterTest, IdsArePercentDecoded) {
  ASSERT_EQ(call("POST", "/api/v1/config/dns", R"({"number":"*99#"})").status, 201);
  EXPECT_EQ(call("GET", "/api/v1/config/dns/%2A99%23").status, 200);
  EXPECT_EQ(call("GET", "/api/v1/config/dns/%2").status, 400);
}

TEST_F(RouterTest, ChangesReachTheChangeHook) {
  std::vector<agents::ConfigRecord> recs;
  ctx.model.set_change_hook([&](const agents::ConfigRecord& r) {
    recs.push_back(r);
    return std::uint64_t{0};
  });
  ASSERT_EQ(call("POST", "/api/v1/config/users", R"({"id":"u1"})").status, 201);
  ASSERT_EQ(call("DELETE", "/api/v1/config/users/u1").status, 204);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].key, "user/u1");
  EXPECT_TRUE(recs[1].deleted);
  // A refused change sends nothing.
  EXPECT_EQ(call("POST", "/api/v1/config/agent-logins", R"({"code":"1","user":"ghost"})").status, 409);
  EXPECT_EQ(recs.size(), 2u);
}

TEST(RouterToken, RequiredEverywhereButHealthz) {
  testing::FakeContext ctx;
  Router router(ctx, "s3cret");
  const auto status = [&](const std::string& path, const std::string& auth) {
    int s = 0;
    router.handle(HttpRequest{"GET", path, "", auth, ""}, [&](HttpResponse r) { s = r.status; });
    return s;
  };
  EXPECT_EQ(status("/healthz", ""), 200);
  EXPECT_EQ(status("/api/v1/peer", ""), 401);
  EXPECT_EQ(status("/api/v1/peer", "Bearer wrong"), 401);
  EXPECT_EQ(status("/api/v1/peer", "Bearer s3cre"), 401);
  EXPECT_EQ(status("/api/v1/peer", "Basic s3cret"), 401);
  EXPECT_EQ(status("/api/v1/config/dns", "Bearer s3cret"), 200);
  EXPECT_EQ(status("/api/v1/peer", "bearer s3cret"), 200);  // the scheme is case-insensitive
  EXPECT_EQ(status("/nope", ""), 401);                      // no probing of paths without the token
}

TEST(QueryParam, DecodesAndFlagsBadEscapes) {
  EXPECT_EQ(query_param("a=1&aor=sip%3Ax%40y&b=2", "aor"), "sip:x@y");
  EXPECT_EQ(query_param("aor=a+b", "aor"), "a b");
  EXPECT_EQ(query_param("x=1", "aor"), "");
  bool bad = false;
  query_param("aor=%4", "aor", &bad);
  EXPECT_TRUE(bad);
}

}  // namespace
}  // namespace duet::api
