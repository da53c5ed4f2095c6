// The business-continuity routes (/api/v1/agents, /api/v1/site) through the Router, with a real
// AgentBoard on the fake context's model: success bodies, the board's rules as 404/409/400, body
// validation, methods, 503 without a board, and the token.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "api_test_support.hpp"
#include "duet/api/router.hpp"
#include "duet/continuity/agent_board.hpp"
#include "duet/continuity/agent_state.hpp"
#include "fake_context.hpp"

namespace duet::api {
namespace {

using nlohmann::json;

constexpr std::uint64_t kNowMs = 1'700'000'000'000;

continuity::ContinuityOptions site_options() {
  continuity::ContinuityOptions o;
  o.site = "site-a";
  o.peer_site = "site-b";
  o.peer_contact = "sip:10.0.0.2:5060";
  return o;
}

class ContinuityRoutes : public ::testing::Test {
 protected:
  void SetUp() override {
    auto& m = ctx.model;
    for (const char* n : {"1001", "1002", "2001"}) {
      ASSERT_FALSE(m.create(agents::Dn{n, agents::DnType::extension, agents::RegistrationMode::single}));
    }
    ASSERT_FALSE(m.create(agents::Place{"p1", {"1001", "2001"}}));
    ASSERT_FALSE(m.create(agents::Place{"p2", {"1002"}}));
    ASSERT_FALSE(m.create(agents::User{"u1", "Agent"}));
    ASSERT_FALSE(m.create(agents::AgentLogin{"a1", "u1", "p1", "1001", ""}));
    ASSERT_FALSE(m.create(agents::AgentLogin{"ag#2", "u1", "p2", "1002", ""}));
    ASSERT_FALSE(m.create(agents::AgentLogin{"free", "u1", "", "", ""}));
    ctx.board_ptr = &board;
    board.on_peer_up();
  }

  HttpResponse call(const std::string& method, const std::string& path, const std::string& body = "",
                    const std::string& auth = "") {
    return call_with(router, method, path, body, auth);
  }
  static HttpResponse call_with(Router& r, const std::string& method, const std::string& path,
                                const std::string& body, const std::string& auth) {
    return testing::call_router(r, method, path, body, auth);
  }
  static json body(const HttpResponse& r) { return json::parse(r.body); }
  static std::string error(const HttpResponse& r) { return body(r).value("error", std::string()); }
  static std::string header(const HttpResponse& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return {};
  }
  // The agent logged in at the peer, as a replicated record would say.
  void at_peer(const std::string& code, const std::string& place, const std::string& dn) {
    continuity::AgentState s;
    s.login = code;
    s.logged_in = true;
    s.site = "site-b";
    s.place = place;
    s.dn = dn;
    s.home_site = "site-b";
    ASSERT_EQ(board.apply({continuity::agent_key(code), agents::Stamp{++peer_hlc, "site-b", 1}, false,
                           continuity::encode(s)}),
              agents::ApplyResult::accepted);
  }

  testing::FakeContext ctx;
  continuity::AgentBoard board{site_options(), ctx.model, [] { return kNowMs; }};
  Router router{ctx, ""};
  std::uint64_t peer_hlc = 1000;
};

// ---------------------------------------------------------------- GET

TEST_F(ContinuityRoutes, ListEveryAgentLoginWithItsState) {
  auto r = call("GET", "/api/v1/agents");
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = body(r);
  EXPECT_EQ(j["site"], "site-a");
  EXPECT_EQ(j["count"], 3);
  EXPECT_EQ(j["logged_in_here"], 0);
  ASSERT_EQ(j["agents"].size(), 3u);
  EXPECT_EQ(j["agents"][0]["login"], "a1");
  EXPECT_EQ(j["agents"][0]["state"], "logged_out");
  EXPECT_EQ(j["agents"][0]["logged_in"], false);
  EXPECT_EQ(j["agents"][1]["login"], "ag#2");
  EXPECT_EQ(j["agents"][2]["login"], "free");

  ASSERT_FALSE(board.login("a1", "", ""));
  at_peer("ag#2", "p2", "1002");
  j = body(call("GET", "/api/v1/agents/"));  // a trailing slash is the same collection
  EXPECT_EQ(j["logged_in_here"], 1);
  EXPECT_EQ(j["agents"][0]["state"], "not_ready");
  EXPECT_EQ(j["agents"][0]["site"], "site-a");
  EXPECT_EQ(j["agents"][1]["site"], "site-b");

  r = call("POST", "/api/v1/agents");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(header(r, "Allow"), "GET");
}

TEST_F(ContinuityRoutes, GetOneAgent) {
  auto r = call("GET", "/api/v1/agents/a1");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body(r), (json{{"login", "a1"},
                           {"logged_in", false},
                           {"ready", false},
                           {"since_ms", 0},
                           {"state", "logged_out"}}));
  ASSERT_FALSE(board.login("a1", "", ""));
  ASSERT_FALSE(board.ready("a1"));
  r = call("GET", "/api/v1/agents/a1/");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body(r), (json{{"login", "a1"},
                           {"logged_in", true},
                           {"ready", true},
                           {"since_ms", kNowMs},
                           {"site", "site-a"},
                           {"place", "p1"},
                           {"dn", "1001"},
                           {"home_site", "site-a"},
                           {"state", "ready"}}));
  // Percent-encoded login codes.
  r = call("GET", "/api/v1/agents/ag%232");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body(r)["login"], "ag#2");
  EXPECT_EQ(call("GET", "/api/v1/agents/a%2").status, 400);
  r = call("GET", "/api/v1/agents/nobody");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(error(r), "Agent Login 'nobody' does not exist");
  for (const char* m : {"POST", "PUT", "DELETE"}) {
    r = call(m, "/api/v1/agents/a1");
    EXPECT_EQ(r.status, 405) << m;
    EXPECT_EQ(header(r, "Allow"), "GET");
  }
}

// ---------------------------------------------------------------- login

TEST_F(ContinuityRoutes, LoginWithTheLoginsOwnPlaceAndDn) {
  const auto r = call("POST", "/api/v1/agents/a1/login");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto j = body(r);
  EXPECT_EQ(j["login"], "a1");
  EXPECT_EQ(j["state"], "not_ready");
  EXPECT_EQ(j["logged_in"], true);
  EXPECT_EQ(j["site"], "site-a");
  EXPECT_EQ(j["place"], "p1");
  EXPECT_EQ(j["dn"], "1001");
  EXPECT_EQ(j["home_site"], "site-a");
  EXPECT_EQ(board.logged_in_here(), 1u);
  // Again with the same Place and DN, explicitly: nothing changes, still 200.
  const auto again = call("POST", "/api/v1/agents/a1/login", R"({"place":"p1","dn":"1001"})");
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(body(again), j);
}

TEST_F(ContinuityRoutes, LoginWithAPlaceAndDnFromTheBody) {
  const auto r = call("POST", "/api/v1/agents/free/login", R"({"place":"p1","dn":"2001"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body(r)["place"], "p1");
  EXPECT_EQ(body(r)["dn"], "2001");
  const auto e = call("POST", "/api/v1/agents/ag%232/login", "{}");
  ASSERT_EQ(e.status, 200) << e.body;
  EXPECT_EQ(body(e)["login"], "ag#2");
}

TEST_F(ContinuityRoutes, LoginRulesAnswer409WithTheField) {
  auto r = call("POST", "/api/v1/agents/a1/login", R"({"place":"p2"})");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(body(r)["field"], "place");
  EXPECT_EQ(error(r), "Agent Login 'a1' belongs to Place 'p1', not 'p2'");
  r = call("POST", "/api/v1/agents/free/login", R"({"place":"p1","dn":"1002"})");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(body(r)["field"], "dn");
  r = call("POST", "/api/v1/agents/free/login", R"({"place":"p1","dn":"9999"})");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(body(r)["field"], "dn");
  // DN taken.
  ASSERT_EQ(call("POST", "/api/v1/agents/a1/login").status, 200);
  r = call("POST", "/api/v1/agents/free/login", R"({"place":"p1","dn":"1001"})");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(body(r)["field"], "dn");
  EXPECT_NE(error(r).find("taken by agent 'a1'"), std::string::npos) << r.body;
  // Logged in at the other site: 409 without a field.
  at_peer("ag#2", "p2", "1002");
  r = call("POST", "/api/v1/agents/ag%232/login");
  EXPECT_EQ(r.status, 409);
  EXPECT_FALSE(body(r).contains("field"));
  EXPECT_NE(error(r).find("logged in at site 'site-b'"), std::string::npos) << r.body;
  // Missing Place: 400 with the field.
  r = call("POST", "/api/v1/agents/free/login");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(body(r)["field"], "place");
  // Unknown login: 404.
  r = call("POST", "/api/v1/agents/nobody/login");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(error(r), "Agent Login 'nobody' does not exist");
}

TEST_F(ContinuityRoutes, MalformedBodiesAre400) {
  struct Case {
    const char* action;
    const char* body;
    const char* error;
  };
  const Case cases[] = {
      {"login", "{", "the body is not a JSON object"},
      {"login", "[]", "the body is not a JSON object"},
      {"login", "\"p1\"", "the body is not a JSON object"},
      {"login", R"({"dn":1001})", "'dn' must be a string"},
      {"login", R"({"place":null})", "'place' must be a string"},
      {"login", R"({"place":"p1","site":"site-b"})", "unknown field 'site'"},
      {"ready", R"({"reason":"x"})", "unknown field 'reason'"},
      {"not-ready", R"({"reason":5})", "'reason' must be a string"},
      {"not-ready", R"({"code":"x"})", "unknown field 'code'"},
      {"logout", R"({"reason":["x"]})", "'reason' must be a string"},
      {"logout", R"({"dn":"1001"})", "unknown field 'dn'"},
  };
  ASSERT_FALSE(board.login("a1", "", ""));
  const auto before = board.find("a1");
  for (const auto& c : cases) {
    const auto r = call("POST", std::string("/api/v1/agents/a1/") + c.action, c.body);
    EXPECT_EQ(r.status, 400) << c.action << " " << c.body;
    EXPECT_EQ(error(r), c.error) << c.action << " " << c.body;
  }
  EXPECT_EQ(board.find("a1"), before);
}

// ---------------------------------------------------------------- ready, not ready, logout

TEST_F(ContinuityRoutes, ReadyNotReadyAndLogout) {
  ASSERT_EQ(call("POST", "/api/v1/agents/a1/login").status, 200);
  auto r = call("POST", "/api/v1/agents/a1/ready");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body(r)["state"], "ready");
  EXPECT_EQ(body(r)["ready"], true);
  r = call("POST", "/api/v1/agents/a1/ready", "{}");
  EXPECT_EQ(r.status, 200) << "an empty object is an empty body";
  r = call("POST", "/api/v1/agents/a1/not-ready", R"({"reason":"break"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body(r)["state"], "not_ready");
  EXPECT_EQ(body(r)["reason"], "break");
  r = call("POST", "/api/v1/agents/a1/not-ready");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(body(r).contains("reason")) << "no reason";
  r = call("POST", "/api/v1/agents/a1/not-ready", json{{"reason", std::string(65, 'x')}}.dump());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(body(r)["field"], "reason");
  r = call("POST", "/api/v1/agents/a1/not-ready", R"({"reason":"caf\u00e9"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(body(r)["field"], "reason");
  r = call("POST", "/api/v1/agents/a1/logout", R"({"reason":"end of shift"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body(r)["state"], "logged_out");
  EXPECT_EQ(body(r)["reason"], "end of shift");
  EXPECT_FALSE(body(r).contains("site"));
  EXPECT_EQ(board.logged_in_here(), 0u);
  // Logged out now: every action but login is 409.
  for (const char* action : {"ready", "not-ready", "logout"}) {
    r = call("POST", std::string("/api/v1/agents/a1/") + action);
    EXPECT_EQ(r.status, 409) << action;
    EXPECT_EQ(error(r), "agent 'a1' is not logged in") << action;
  }
  // An agent logged in at the peer: 409 here.
  at_peer("ag#2", "p2", "1002");
  r = call("POST", "/api/v1/agents/ag%232/ready");
  EXPECT_EQ(r.status, 409);
  EXPECT_NE(error(r).find("not here"), std::string::npos) << r.body;
  // Unknown login: 404 for every action.
  for (const char* action : {"ready", "not-ready", "logout"}) {
    EXPECT_EQ(call("POST", std::string("/api/v1/agents/nobody/") + action).status, 404) << action;
  }
}

TEST_F(ContinuityRoutes, ActionsArePostOnlyAndUnknownActionsAre404) {
  for (const char* action : {"login", "ready", "not-ready", "logout"}) {
    const auto r = call("GET", std::string("/api/v1/agents/a1/") + action);
    EXPECT_EQ(r.status, 405) << action;
    EXPECT_EQ(header(r, "Allow"), "POST") << action;
  }
  auto r = call("POST", "/api/v1/agents/a1/dance");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(error(r), "no such agent action: dance");
  EXPECT_EQ(call("POST", "/api/v1/agents/a1/login/again").status, 404);
  EXPECT_EQ(call("GET", "/api/v1/agentsx").status, 404) << "not under /api/v1/agents";
  EXPECT_EQ(call("GET", "/api/v1/sites").status, 404);
}

// ---------------------------------------------------------------- the site

TEST_F(ContinuityRoutes, SiteDrainAndResume) {
  auto r = call("GET", "/api/v1/site");
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = body(r);
  EXPECT_EQ(j["site"], "site-a");
  EXPECT_EQ(j["mode"], "active");
  EXPECT_EQ(j["agents_here"], 0);
  EXPECT_EQ(j["shutdown_code"], 603);
  EXPECT_EQ(j["pending_relogs"], 0);
  EXPECT_EQ(j["peer_site"], "site-b");
  EXPECT_EQ(j["peer_up"], true);
  EXPECT_EQ(j["peer_contact"], "sip:10.0.0.2:5060");
  EXPECT_EQ(j["since_ms"], kNowMs);
  r = call("POST", "/api/v1/site");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(header(r, "Allow"), "GET");

  ASSERT_EQ(call("POST", "/api/v1/agents/a1/login").status, 200);
  ASSERT_EQ(call("POST", "/api/v1/agents/a1/ready").status, 200);
  r = call("POST", "/api/v1/site/drain");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body(r)["mode"], "drained") << "no call in progress: logged out at once";
  EXPECT_EQ(body(r)["agents_here"], 0);
  j = body(call("GET", "/api/v1/agents/a1"));
  EXPECT_EQ(j["state"], "logged_out");
  EXPECT_EQ(j["handoff_to"], "site-b");
  EXPECT_EQ(j["handoff_ready"], true);
  EXPECT_EQ(j["reason"], "site-drain");

  r = call("POST", "/api/v1/site/drain");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(error(r), "site 'site-a' is already drained");
  r = call("POST", "/api/v1/agents/a1/login");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(error(r), "site 'site-a' is drained: log in at 'site-b'");
  r = call("GET", "/api/v1/site/drain");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(header(r, "Allow"), "POST");

  r = call("POST", "/api/v1/site/resume");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body(r)["mode"], "active");
  r = call("POST", "/api/v1/site/resume");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(error(r), "site 'site-a' is not draining");
  EXPECT_EQ(call("POST", "/api/v1/agents/a1/login").status, 200);

  EXPECT_EQ(call("POST", "/api/v1/site/reboot").status, 404);
  EXPECT_EQ(call("GET", "/api/v1/site/").status, 404);
}

TEST_F(ContinuityRoutes, DrainingWhileAnAgentIsOnACall) {
  board.set_busy([](const continuity::AgentState& s) { return s.login == "a1"; });
  ASSERT_EQ(call("POST", "/api/v1/agents/a1/login").status, 200);
  ASSERT_EQ(call("POST", "/api/v1/agents/a1/ready").status, 200);
  auto r = call("POST", "/api/v1/site/drain");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body(r)["mode"], "draining");
  EXPECT_EQ(body(r)["agents_here"], 1);
  r = call("POST", "/api/v1/agents/a1/ready");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(error(r), "site 'site-a' is draining: agents stay Not Ready");
  EXPECT_EQ(body(call("GET", "/api/v1/agents/a1"))["reason"], "site-drain");
  EXPECT_EQ(call("POST", "/api/v1/agents/a1/logout").status, 200);
  EXPECT_EQ(body(call("GET", "/api/v1/site"))["mode"], "drained");
}

// ---------------------------------------------------------------- no board, token

TEST_F(ContinuityRoutes, WithoutABoardEveryRouteIs503) {
  ctx.board_ptr = nullptr;
  for (const auto& [method, path] :
       std::vector<std::pair<std::string, std::string>>{{"GET", "/api/v1/agents"},
                                                        {"GET", "/api/v1/agents/a1"},
                                                        {"POST", "/api/v1/agents/a1/login"},
                                                        {"POST", "/api/v1/agents/a1/ready"},
                                                        {"GET", "/api/v1/site"},
                                                        {"POST", "/api/v1/site/drain"},
                                                        {"POST", "/api/v1/site/resume"}}) {
    const auto r = call(method, path);
    EXPECT_EQ(r.status, 503) << method << " " << path;
    EXPECT_EQ(error(r), "agent state is not available in this build");
  }
  EXPECT_EQ(board.logged_in_here(), 0u);
}

TEST_F(ContinuityRoutes, TokenIsRequired) {
  Router guarded{ctx, "s3cret"};
  for (const auto& [method, path] :
       std::vector<std::pair<std::string, std::string>>{{"GET", "/api/v1/agents"},
                                                        {"POST", "/api/v1/agents/a1/login"},
                                                        {"GET", "/api/v1/site"},
                                                        {"POST", "/api/v1/site/drain"}}) {
    for (const char* auth : {"", "Bearer wrong", "Basic s3cret"}) {
      const auto r = call_with(guarded, method, path, "", auth);
      EXPECT_EQ(r.status, 401) << method << " " << path << " [" << auth << "]";
      EXPECT_EQ(header(r, "WWW-Authenticate"), "Bearer");
    }
  }
  EXPECT_EQ(board.logged_in_here(), 0u);
  EXPECT_EQ(board.mode(), continuity::SiteMode::active);
  EXPECT_EQ(call_with(guarded, "POST", "/api/v1/agents/a1/login", "", "Bearer s3cret").status, 200);
  EXPECT_EQ(call_with(guarded, "GET", "/api/v1/site", "", "bearer s3cret").status, 200);
  EXPECT_EQ(board.logged_in_here(), 1u);
}

}  // namespace
}  // namespace duet::api
