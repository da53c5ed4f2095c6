// AgentBoard: the desktops' rules (login, Ready / Not Ready, logout), agent state replicated
// between two boards through a small in-memory link that can be cut, the conflict rule, relog when
// the peer dies, drain with handoff, failback, and a 10,000-agent relog.
#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "duet/agents/config_model.hpp"
#include "duet/continuity/agent_board.hpp"
#include "duet/continuity/agent_state.hpp"

namespace duet::continuity {
namespace {

using agents::ApplyResult;
using agents::ConfigModel;
using agents::ConfigRecord;
using agents::ErrorCode;
using agents::Kind;
using agents::Outcome;
using agents::Stamp;
using nlohmann::json;

constexpr std::uint64_t kStartMs = 1'700'000'000'000;

agents::Dn ext(const std::string& n) {
  return agents::Dn{n, agents::DnType::extension, agents::RegistrationMode::single};
}

// DNs 1001..1005 (Extensions), 2001 (Extension, second DN of p1), 7000 (ACD Queue) and 1009; Places
// p1 {1001, 2001}, p2 {1002}, p3 {1003}, p4 {1004}, q {7000, 1009}; 1005 belongs to no Place.
// Agent Logins a1..a4 with their own Place and DN, "free" with neither, "p1any" with Place p1 only.
void seed(ConfigModel& m) {
  for (const char* n : {"1001", "1002", "1003", "1004", "1005", "2001", "1009"})
    ASSERT_FALSE(m.create(ext(n)));
  ASSERT_FALSE(m.create(agents::Dn{"7000", agents::DnType::acd_queue, agents::RegistrationMode::single}));
  ASSERT_FALSE(m.create(agents::Place{"p1", {"1001", "2001"}}));
  ASSERT_FALSE(m.create(agents::Place{"p2", {"1002"}}));
  ASSERT_FALSE(m.create(agents::Place{"p3", {"1003"}}));
  ASSERT_FALSE(m.create(agents::Place{"p4", {"1004"}}));
  ASSERT_FALSE(m.create(agents::Place{"q", {"7000", "1009"}}));
  ASSERT_FALSE(m.create(agents::User{"u1", "Agent"}));
  ASSERT_FALSE(m.create(agents::AgentLogin{"a1", "u1", "p1", "1001", ""}));
  ASSERT_FALSE(m.create(agents::AgentLogin{"a2", "u1", "p2", "1002", ""}));
  ASSERT_FALSE(m.create(agents::AgentLogin{"a3", "u1", "p3", "1003", ""}));
  ASSERT_FALSE(m.create(agents::AgentLogin{"a4", "u1", "p4", "1004", ""}));
  ASSERT_FALSE(m.create(agents::AgentLogin{"free", "u1", "", "", ""}));
  ASSERT_FALSE(m.create(agents::AgentLogin{"p1any", "u1", "p1", "", ""}));
}

ContinuityOptions options(const std::string& site, const std::string& peer,
                          RelogState relog = RelogState::keep, Failback failback = Failback::manual) {
  ContinuityOptions o;
  o.site = site;
  o.peer_site = peer;
  o.relog_state = relog;
  o.failback = failback;
  o.peer_contact = "sip:" + peer + ".example:5060";
  return o;
}

// One site: its configuration model, its board and everything the board reports.
struct Site {
  struct Event {
    std::string type;
    json data;
  };

  explicit Site(ContinuityOptions opt, bool seeded = true) : model(opt.site, [this] { return wall; }) {
    if (seeded) seed(model);
    board = std::make_unique<AgentBoard>(std::move(opt), model, [this] { return wall; });
    board->set_publish([this](const ConfigRecord& r) {
      published.push_back(r);
      if (out) out(r);
      return std::uint64_t{0};
    });
    board->set_event_sink([this](std::string_view type, const json& data) {
      events.push_back({std::string(type), data});
    });
    board->set_live_users([this](std::function<void(std::vector<std::string>)> done) {
      ++live_queries;
      if (defer_live) {
        answers.push_back(std::move(done));
      } else {
        done(live);
      }
    });
    board->set_busy([this](const AgentState& s) { return busy.count(s.login) != 0; });
  }

  AgentState state(const std::string& code) const {
    auto s = board->find(code);
    EXPECT_TRUE(s.has_value()) << code;
    return s.value_or(AgentState{});
  }
  // The "event" field of the agent events, as "login:event".
  std::vector<std::string> agent_events() const {
    std::vector<std::string> out_;
    for (const auto& e : events) {
      if (e.type == "agent") out_.push_back(e.data.value("login", "") + ":" + e.data.value("event", ""));
    }
    return out_;
  }
  std::vector<json> of_type(const std::string& type) const {
    std::vector<json> v;
    for (const auto& e : events) {
      if (e.type == type) v.push_back(e.data);
    }
    return v;
  }

  std::uint64_t wall = kStartMs;
  ConfigModel model;
  std::unique_ptr<AgentBoard> board;
  std::vector<ConfigRecord> published;
  std::function<void(const ConfigRecord&)> out;  // set by a Link
  std::vector<Event> events;
  std::vector<std::string> live;  // what live_users answers
  bool defer_live = false;        // keep the answers in `answers` instead
  std::vector<std::function<void(std::vector<std::string>)>> answers;
  int live_queries = 0;
  std::set<std::string> busy;
};

// The replication link between two sites: records queue up and are applied by flush(); a cut link
// loses them (the peer catches up from a snapshot when the link heals, as the replication layer does).
class Link {
 public:
  Link(Site& a, Site& b) : a_(a), b_(b) {
    a.out = [this](const ConfigRecord& r) { send(to_b_, r); };
    b.out = [this](const ConfigRecord& r) { send(to_a_, r); };
  }

  void cut() { cut_ = true; }
  // Both sides consider the link up (the peer's sync-complete marker arrived).
  void up() {
    a_.board->on_peer_up();
    b_.board->on_peer_up();
    flush();
  }
  // The link is back: each side applies the other's snapshot, then both see the peer up.
  void heal() {
    cut_ = false;
    to_a_.clear();
    to_b_.clear();
    const auto sa = a_.board->snapshot();
    const auto sb = b_.board->snapshot();
    for (const auto& r : sb) a_.board->apply(r);
    for (const auto& r : sa) b_.board->apply(r);
    up();
  }
  // Applies everything in flight, in both directions, until nothing is left.
  void flush() {
    while (!to_a_.empty() || !to_b_.empty()) {
      deliver_to_b();
      deliver_to_a();
    }
  }
  void deliver_to_a() { deliver(to_a_, a_); }
  void deliver_to_b() { deliver(to_b_, b_); }
  std::size_t in_flight() const { return to_a_.size() + to_b_.size(); }
  std::size_t lost() const { return lost_; }

 private:
  void send(std::deque<ConfigRecord>& q, const ConfigRecord& r) {
    if (cut_) {
      ++lost_;
    } else {
      q.push_back(r);
    }
  }
  static void deliver(std::deque<ConfigRecord>& q, Site& to) {
    while (!q.empty()) {
      const auto r = q.front();
      q.pop_front();
      EXPECT_NE(to.board->apply(r), ApplyResult::rejected_invalid) << r.key << " " << r.payload;
    }
  }

  Site& a_;
  Site& b_;
  std::deque<ConfigRecord> to_a_, to_b_;
  bool cut_ = false;
  std::size_t lost_ = 0;
};

// Both boards hold the same state for every agent, each agent is logged in at one site at most,
// each board's counters and DN index agree with its states, and no DN carries two agents.
void expect_converged(const Site& a, const Site& b) {
  const auto sa = a.board->all();
  const auto sb = b.board->all();
  ASSERT_EQ(sa.size(), sb.size());
  std::size_t at_a = 0, at_b = 0;
  std::set<std::string> dns;
  for (std::size_t i = 0; i < sa.size(); ++i) {
    EXPECT_EQ(sa[i], sb[i]) << sa[i].login << ": " << encode(sa[i]) << " vs " << encode(sb[i]);
    const auto& s = sa[i];
    if (!s.logged_in) continue;
    EXPECT_TRUE(s.site == a.board->options().site || s.site == b.board->options().site) << s.login;
    at_a += s.site == a.board->options().site ? 1 : 0;
    at_b += s.site == b.board->options().site ? 1 : 0;
    EXPECT_TRUE(dns.insert(s.dn).second) << "DN " << s.dn << " carries two agents";
    for (const Site* site : {&a, &b}) {
      const auto* owner = site->board->on_dn(s.dn);
      ASSERT_NE(owner, nullptr) << s.dn;
      EXPECT_EQ(owner->login, s.login);
    }
  }
  EXPECT_EQ(a.board->logged_in_here(), at_a);
  EXPECT_EQ(b.board->logged_in_here(), at_b);
}

ErrorCode code_of(const Outcome& o) {
  return o ? o->code : static_cast<ErrorCode>(99);
}

// A refusal with its code, field and a fragment of its message.
void expect_refused(const Outcome& e, ErrorCode code, const std::string& field, const std::string& fragment) {
  ASSERT_TRUE(e) << "expected a refusal containing: " << fragment;
  EXPECT_EQ(e->code, code) << e->message;
  EXPECT_EQ(e->field, field) << e->message;
  EXPECT_NE(e->message.find(fragment), std::string::npos) << e->message;
}

// A record from the peer, as apply() receives it.
ConfigRecord record(const AgentState& s, std::uint64_t hlc, const std::string& origin,
                    std::uint64_t version = 1) {
  return ConfigRecord{agent_key(s.login), Stamp{hlc, origin, version}, false, encode(s)};
}

AgentState logged_in_at(const std::string& code, const std::string& site, const std::string& place,
                        const std::string& dn, bool ready = false) {
  AgentState s;
  s.login = code;
  s.logged_in = true;
  s.site = site;
  s.place = place;
  s.dn = dn;
  s.ready = ready;
  s.home_site = site;
  return s;
}

// ================================================================ agent state records

TEST(AgentStateRecord, KeyAndPayloadRoundTrip) {
  EXPECT_EQ(agent_key("a1"), "agent/a1");
  EXPECT_EQ(login_of_key("agent/a1"), "a1");
  EXPECT_FALSE(login_of_key("agent/"));
  EXPECT_FALSE(login_of_key("login/a1"));
  AgentState s = logged_in_at("a1", "b", "p1", "1001", true);
  s.since_ms = 42;
  const auto back = decode("a1", encode(s));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, s);  // the stamp is not in the payload: both default
  EXPECT_FALSE(decode("a2", encode(s))) << "a payload of another login";
  EXPECT_EQ(to_json(s)["state"], "ready");
  s.ready = false;
  EXPECT_EQ(to_json(s)["state"], "not_ready");
  EXPECT_EQ(to_json(AgentState{"a1"})["state"], "logged_out");
}

TEST(AgentStateRecord, MalformedPayloadsAreRefused) {
  EXPECT_FALSE(decode("a1", "not json"));
  EXPECT_FALSE(decode("a1", "[]"));
  EXPECT_FALSE(decode("a1", R"({"login":"a1","logged_in":"yes"})"));
  EXPECT_FALSE(decode("a1", R"({"login":"a1","since_ms":-5})"));
  EXPECT_FALSE(decode("a1", R"({"login":"a1","logged_in":true,"dn":"1001"})")) << "logged in without a site";
  EXPECT_FALSE(decode("a1", R"({"login":"a1","logged_in":true,"site":"a"})")) << "logged in without a DN";
  EXPECT_FALSE(decode("a1", R"({"login":"a1","logged_in":false,"ready":true})")) << "Ready while logged out";
  EXPECT_TRUE(decode("a1", R"({"login":"a1"})"));
}

// ================================================================ desktops on one board

class OneBoard : public ::testing::Test {
 protected:
  OneBoard() : a(options("a", "b")) { a.board->on_peer_up(); }

  AgentBoard& board() { return *a.board; }
  // Logs `code` in at the peer through a replicated record.
  void at_peer(const std::string& code, const std::string& place, const std::string& dn, bool ready = false) {
    ASSERT_EQ(
        board().apply(record(logged_in_at(code, "b", place, dn, ready), ++peer_hlc, "b", ++peer_version)),
        ApplyResult::accepted);
  }

  Site a;
  std::uint64_t peer_hlc = agents::HybridClock::pack(kStartMs, 0);
  std::uint64_t peer_version = 0;
};

TEST_F(OneBoard, LoginWithTheAgentLoginsOwnPlaceAndDn) {
  ASSERT_FALSE(board().login("a1", "", ""));
  const auto s = a.state("a1");
  EXPECT_TRUE(s.logged_in);
  EXPECT_EQ(s.site, "a");
  EXPECT_EQ(s.place, "p1");
  EXPECT_EQ(s.dn, "1001");
  EXPECT_FALSE(s.ready) << "a fresh login starts Not Ready";
  EXPECT_EQ(s.home_site, "a");
  EXPECT_FALSE(s.relogged);
  EXPECT_EQ(s.since_ms, kStartMs);
  EXPECT_EQ(board().logged_in_here(), 1u);
  ASSERT_NE(board().on_dn("1001"), nullptr);
  EXPECT_EQ(board().on_dn("1001")->login, "a1");
  EXPECT_EQ(board().stats().logins, 1u);
  // Replicated as agent/a1, stamped by this site.
  ASSERT_EQ(a.published.size(), 1u);
  EXPECT_EQ(a.published[0].key, "agent/a1");
  EXPECT_EQ(a.published[0].stamp.origin, "a");
  EXPECT_EQ(a.published[0].stamp.version, 1u);
  EXPECT_FALSE(a.published[0].deleted);
  auto unstamped = s;
  unstamped.stamp = {};
  EXPECT_EQ(decode("a1", a.published[0].payload), std::optional<AgentState>(unstamped));
  EXPECT_EQ(a.published[0].stamp, s.stamp);
  // And an event for the desktops.
  ASSERT_EQ(a.agent_events(), std::vector<std::string>{"a1:login"});
  EXPECT_EQ(a.of_type("agent")[0]["at_site"], "a");
  EXPECT_EQ(a.of_type("agent")[0]["state"], "not_ready");
}

TEST_F(OneBoard, UnknownLoginIsNotFound) {
  expect_refused(board().login("nobody", "p1", "1001"), ErrorCode::not_found, "", "'nobody' does not exist");
  EXPECT_EQ(code_of(board().ready("nobody")), ErrorCode::not_found);
  EXPECT_EQ(code_of(board().not_ready("nobody", "x")), ErrorCode::not_found);
  EXPECT_EQ(code_of(board().logout("nobody", "")), ErrorCode::not_found);
  EXPECT_FALSE(board().find("nobody"));
  EXPECT_EQ(board().stats().refused, 4u);
  EXPECT_TRUE(a.published.empty());
}

TEST_F(OneBoard, PlaceAndDnAreRequiredWhenTheLoginNamesNone) {
  auto e = board().login("free", "", "");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, ErrorCode::invalid);
  EXPECT_EQ(e->field, "place");
  e = board().login("free", "p1", "");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, ErrorCode::invalid);
  EXPECT_EQ(e->field, "dn");
  e = board().login("p1any", "", "");  // the Place is the login's, the DN is not named
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, ErrorCode::invalid);
  EXPECT_EQ(e->field, "dn");
  EXPECT_FALSE(board().login("free", "p1", "2001"));
  EXPECT_EQ(a.state("free").dn, "2001");
}

TEST_F(OneBoard, LoginMustUseItsOwnPlace) {
  expect_refused(board().login("a1", "p2", "1002"), ErrorCode::conflict, "place",
                 "belongs to Place 'p1', not 'p2'");
  // The login's own Place, named explicitly, is fine; so is another DN of it.
  EXPECT_FALSE(board().login("a1", "p1", "2001"));
}

TEST_F(OneBoard, PlaceMustExist) {
  expect_refused(board().login("free", "nowhere", "1001"), ErrorCode::conflict, "place",
                 "Place 'nowhere' does not exist");
}

TEST_F(OneBoard, DnMustExist) {
  expect_refused(board().login("free", "p1", "9999"), ErrorCode::conflict, "dn", "DN '9999' does not exist");
}

TEST_F(OneBoard, OnlyExtensionDnsCanBeAgentDns) {
  expect_refused(board().login("free", "q", "7000"), ErrorCode::conflict, "dn",
                 "only Extension DNs can be agent DNs");
  EXPECT_FALSE(board().login("free", "q", "1009")) << "the Extension of the same Place is fine";
}

TEST_F(OneBoard, DnMustBelongToThePlace) {
  for (const char* dn : {"1002", "1005"}) {  // another Place's, and no Place's
    SCOPED_TRACE(dn);
    expect_refused(board().login("free", "p1", dn), ErrorCode::conflict, "dn",
                   "is not an Extension of Place 'p1'");
  }
  const auto e = board().login("p1any", "", "1002");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->field, "dn");
}

TEST_F(OneBoard, DnTakenByAnotherAgentHereOrAtThePeer) {
  ASSERT_FALSE(board().login("a1", "", ""));
  auto e = board().login("p1any", "", "1001");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, ErrorCode::conflict);
  EXPECT_EQ(e->field, "dn");
  EXPECT_NE(e->message.find("DN '1001' is taken by agent 'a1' at site 'a'"), std::string::npos) << e->message;
  at_peer("free", "p1", "2001");
  e = board().login("p1any", "", "2001");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->field, "dn");
  EXPECT_NE(e->message.find("taken by agent 'free' at site 'b'"), std::string::npos) << e->message;
  EXPECT_EQ(board().stats().refused, 2u);
  // Once a1 logs out its DN is free again.
  ASSERT_FALSE(board().logout("a1", "end of shift"));
  EXPECT_EQ(board().on_dn("1001"), nullptr);
  EXPECT_FALSE(board().login("p1any", "", "1001"));
}

TEST_F(OneBoard, LoggedInAtThePeerWhileItIsUpIsRefused) {
  at_peer("a1", "p1", "1001", true);
  EXPECT_EQ(board().logged_in_here(), 0u);
  expect_refused(board().login("a1", "", ""), ErrorCode::conflict, "",
                 "is logged in at site 'b'; log out there first");
  // Nor can this site change it.
  for (const auto& o : {board().ready("a1"), board().not_ready("a1", "x"), board().logout("a1", "")}) {
    ASSERT_TRUE(o);
    EXPECT_EQ(o->code, ErrorCode::conflict);
    EXPECT_NE(o->message.find("logged in at site 'b', not here"), std::string::npos) << o->message;
  }
  EXPECT_TRUE(a.published.empty());
}

TEST_F(OneBoard, TakeoverLoginOnlyWhileThePeerIsDown) {
  at_peer("a1", "p1", "1001", true);
  at_peer("a2", "p2", "1002");
  ASSERT_TRUE(board().login("a1", "", ""));
  board().on_peer_down();  // no live-users answer here: both wait for their phones
  EXPECT_EQ(board().pending_relogs(), 2u);
  ASSERT_FALSE(board().login("a1", "", ""));
  const auto s = a.state("a1");
  EXPECT_EQ(s.site, "a");
  EXPECT_FALSE(s.ready) << "a desktop's login starts Not Ready";
  EXPECT_FALSE(s.relogged);
  EXPECT_EQ(s.home_site, "a");
  EXPECT_EQ(board().pending_relogs(), 1u) << "the desktop's login replaces the relog";
  EXPECT_EQ(board().logged_in_here(), 1u);
  // Its phone registering now changes nothing.
  board().on_local_binding("1001", false);
  EXPECT_EQ(board().stats().relogged, 0u);
  // The peer back: no takeover any more.
  board().on_peer_up();
  EXPECT_EQ(board().pending_relogs(), 0u);
  const auto e = board().login("a2", "", "");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, ErrorCode::conflict);
}

TEST_F(OneBoard, LoginAgainIsIdempotentButAnotherDnIsRefused) {
  ASSERT_FALSE(board().login("p1any", "", "1001"));
  ASSERT_FALSE(board().ready("p1any"));
  const auto published = a.published.size();
  const auto before = a.state("p1any");
  EXPECT_FALSE(board().login("p1any", "p1", "1001"));
  EXPECT_EQ(a.published.size(), published) << "nothing to replicate";
  EXPECT_EQ(a.state("p1any"), before) << "still Ready, same stamp";
  EXPECT_EQ(board().stats().logins, 1u);
  expect_refused(board().login("p1any", "", "2001"), ErrorCode::conflict, "",
                 "already logged in here on DN '1001'");
}

TEST_F(OneBoard, ReadyNotReadyLogoutOnlyWhereLoggedIn) {
  // Never logged in (no state held) and logged out are both refused with conflict.
  for (const auto& o : {board().ready("a1"), board().not_ready("a1", ""), board().logout("a1", "")}) {
    ASSERT_TRUE(o);
    EXPECT_EQ(o->code, ErrorCode::conflict);
    EXPECT_NE(o->message.find("is not logged in"), std::string::npos) << o->message;
  }
  ASSERT_FALSE(board().login("a1", "", ""));
  ASSERT_FALSE(board().ready("a1"));
  EXPECT_TRUE(a.state("a1").ready);
  ASSERT_FALSE(board().not_ready("a1", "break"));
  EXPECT_FALSE(a.state("a1").ready);
  EXPECT_EQ(a.state("a1").reason, "break");
  ASSERT_FALSE(board().ready("a1"));
  EXPECT_EQ(a.state("a1").reason, "") << "Ready clears the reason";
  ASSERT_FALSE(board().logout("a1", "end of shift"));
  auto s = a.state("a1");
  EXPECT_FALSE(s.logged_in);
  EXPECT_FALSE(s.ready);
  EXPECT_EQ(s.site, "");
  EXPECT_EQ(s.reason, "end of shift");
  EXPECT_EQ(s.home_site, "a") << "kept: the preferred site";
  EXPECT_EQ(board().logged_in_here(), 0u);
  EXPECT_EQ(board().stats().logouts, 1u);
  for (const auto& o : {board().ready("a1"), board().not_ready("a1", ""), board().logout("a1", "")}) {
    ASSERT_TRUE(o);
    EXPECT_EQ(o->code, ErrorCode::conflict);
  }
  EXPECT_EQ(a.agent_events(),
            (std::vector<std::string>{"a1:login", "a1:ready", "a1:not_ready", "a1:ready", "a1:logout"}));
  // Logged in again after a logout: Not Ready, no reason.
  ASSERT_FALSE(board().login("a1", "", ""));
  s = a.state("a1");
  EXPECT_TRUE(s.logged_in);
  EXPECT_FALSE(s.ready);
  EXPECT_EQ(s.reason, "");
}

TEST_F(OneBoard, RepeatedReadyAndSameNotReadyReplicateNothing) {
  ASSERT_FALSE(board().login("a1", "", ""));
  ASSERT_FALSE(board().ready("a1"));
  auto n = a.published.size();
  ASSERT_FALSE(board().ready("a1"));
  EXPECT_EQ(a.published.size(), n);
  ASSERT_FALSE(board().not_ready("a1", "lunch"));
  n = a.published.size();
  ASSERT_FALSE(board().not_ready("a1", "lunch"));
  EXPECT_EQ(a.published.size(), n);
  ASSERT_FALSE(board().not_ready("a1", "meeting"));
  EXPECT_EQ(a.published.size(), n + 1);
  EXPECT_EQ(a.state("a1").reason, "meeting");
  // Versions keep increasing.
  for (std::size_t i = 1; i < a.published.size(); ++i) {
    EXPECT_GT(a.published[i].stamp.version, a.published[i - 1].stamp.version);
    EXPECT_GT(a.published[i].stamp.hlc, a.published[i - 1].stamp.hlc);
  }
}

TEST_F(OneBoard, ReasonsAreShortAndPrintable) {
  ASSERT_FALSE(board().login("a1", "", ""));
  const std::string longest(64, 'r');
  const std::vector<std::string> bad = {std::string(65, 'r'),     "tab\there", "new\nline", "caf\xc3\xa9",
                                        std::string("nul\0x", 5), "del\x7f"};
  for (const auto& r : bad) {
    auto e = board().not_ready("a1", r);
    ASSERT_TRUE(e) << r;
    EXPECT_EQ(e->code, ErrorCode::invalid);
    EXPECT_EQ(e->field, "reason");
    e = board().logout("a1", r);
    ASSERT_TRUE(e) << r;
    EXPECT_EQ(e->code, ErrorCode::invalid);
    EXPECT_EQ(e->field, "reason");
  }
  EXPECT_TRUE(a.state("a1").logged_in);
  EXPECT_FALSE(board().not_ready("a1", longest));
  EXPECT_EQ(a.state("a1").reason, longest);
  EXPECT_FALSE(board().not_ready("a1", " ~!{}\"'")) << "printable ASCII with spaces";
  EXPECT_FALSE(board().not_ready("a1", "")) << "no reason at all is fine";
  EXPECT_FALSE(board().logout("a1", longest));
  EXPECT_EQ(board().stats().refused, 2 * bad.size());
}

TEST_F(OneBoard, FindAndAllCoverEveryLoginInOrder) {
  EXPECT_EQ(a.state("a1"), AgentState{"a1"}) << "a login without a state is logged out";
  ASSERT_FALSE(board().login("a2", "", ""));
  at_peer("a3", "p3", "1003");
  const auto all = board().all();
  std::vector<std::string> codes;
  for (const auto& s : all) codes.push_back(s.login);
  EXPECT_EQ(codes, (std::vector<std::string>{"a1", "a2", "a3", "a4", "free", "p1any"}));
  EXPECT_TRUE(all[1].logged_in);
  EXPECT_EQ(all[2].site, "b");
  EXPECT_FALSE(all[0].logged_in);
  // A deleted Agent Login still shows while it has a state; one without a state disappears.
  ASSERT_FALSE(a.model.remove(Kind::login, "a2"));
  ASSERT_FALSE(a.model.remove(Kind::login, "a4"));
  codes.clear();
  for (const auto& s : board().all()) codes.push_back(s.login);
  EXPECT_EQ(codes, (std::vector<std::string>{"a1", "a2", "a3", "free", "p1any"}));
  EXPECT_TRUE(board().find("a2"));
  EXPECT_FALSE(board().find("a4"));
}

// ================================================================ records from the peer

TEST_F(OneBoard, ApplyTakesNewerRecordsOnlyAndRejectsDuplicates) {
  const auto s = logged_in_at("a1", "b", "p1", "1001", true);
  const auto rec = record(s, 1000, "b", 7);
  EXPECT_EQ(board().apply(rec), ApplyResult::accepted);
  auto held = a.state("a1");
  EXPECT_EQ(held.site, "b");
  EXPECT_EQ(held.stamp, rec.stamp);
  EXPECT_EQ(a.agent_events(), std::vector<std::string>{"a1:replicated"});
  EXPECT_EQ(a.of_type("agent")[0]["at_site"], "b");
  EXPECT_EQ(board().apply(rec), ApplyResult::rejected_older) << "duplicate";
  auto older = logged_in_at("a1", "b", "p1", "1001", false);
  EXPECT_EQ(board().apply(record(older, 999, "b", 6)), ApplyResult::rejected_older);
  EXPECT_EQ(board().apply(record(older, 1000, "a", 6)), ApplyResult::rejected_older) << "tie: 'b' > 'a'";
  EXPECT_TRUE(a.state("a1").ready);
  EXPECT_EQ(board().stats().remote_stale, 3u);
  EXPECT_EQ(board().stats().remote_applied, 1u);
  EXPECT_EQ(a.agent_events().size(), 1u) << "no event for a rejected record";
  // The HLC observed the record: a local change afterwards orders after it.
  EXPECT_GT(a.model.clock().last(), 1000u);
  EXPECT_EQ(board().apply(record(older, 1001, "b", 8)), ApplyResult::accepted);
  EXPECT_FALSE(a.state("a1").ready);
}

TEST_F(OneBoard, InvalidRecordsChangeNothing) {
  const auto good = logged_in_at("a1", "b", "p1", "1001");
  std::vector<ConfigRecord> bad = {
      {"login/a1", Stamp{5, "b", 1}, false, encode(good)},  // not an agent key
      {"agent/", Stamp{5, "b", 1}, false, encode(good)},
      {"agent/a1", Stamp{5, "b", 1}, true, ""},             // agent state has no tombstones
      {"agent/a2", Stamp{5, "b", 1}, false, encode(good)},  // another login's payload
      {"agent/a1", Stamp{5, "b", 1}, false, "{"},
      {"agent/a1", Stamp{5, "b", 1}, false, R"({"login":"a1","logged_in":true,"dn":"1001"})"},
  };
  a.events.clear();
  for (const auto& r : bad)
    EXPECT_EQ(board().apply(r), ApplyResult::rejected_invalid) << r.key << " " << r.payload;
  EXPECT_EQ(board().stats().remote_invalid, bad.size());
  EXPECT_EQ(a.state("a1"), AgentState{"a1"});
  EXPECT_EQ(board().on_dn("1001"), nullptr);
  EXPECT_TRUE(a.events.empty());
}

// Concurrent records with the same HLC: the larger site name wins whatever the arrival order.
TEST(ConflictRule, EqualHlcsGoToTheLargerSiteNameInEitherOrder) {
  const auto from_a = record(logged_in_at("a1", "a", "p1", "1001"), 5000, "a");
  const auto from_b = record(logged_in_at("a1", "b", "p1", "2001", true), 5000, "b");
  for (const bool a_first : {true, false}) {
    Site c(options("c", "b"));
    if (a_first) {
      EXPECT_EQ(c.board->apply(from_a), ApplyResult::accepted);
      EXPECT_EQ(c.board->apply(from_b), ApplyResult::accepted);
    } else {
      EXPECT_EQ(c.board->apply(from_b), ApplyResult::accepted);
      EXPECT_EQ(c.board->apply(from_a), ApplyResult::rejected_older);
    }
    const auto s = c.state("a1");
    EXPECT_EQ(s.site, "b");
    EXPECT_EQ(s.dn, "2001");
    EXPECT_EQ(c.board->on_dn("1001"), nullptr) << "the loser's DN is free";
    ASSERT_NE(c.board->on_dn("2001"), nullptr);
  }
}

// ================================================================ two boards

class TwoSites : public ::testing::Test {
 protected:
  explicit TwoSites(RelogState relog = RelogState::keep, Failback failback = Failback::manual)
      : a(options("a", "b", relog, failback)), b(options("b", "a", relog, failback)), link(a, b) {
    link.up();
  }

  void clear_events() {
    a.events.clear();
    b.events.clear();
  }

  Site a, b;
  Link link;
};

TEST_F(TwoSites, ChangesConvergeAndThePeerEnforcesThem) {
  ASSERT_FALSE(a.board->login("a1", "", ""));
  ASSERT_FALSE(a.board->ready("a1"));
  ASSERT_FALSE(b.board->login("a2", "", ""));
  ASSERT_FALSE(b.board->not_ready("a2", "break"));
  link.flush();
  expect_converged(a, b);
  EXPECT_EQ(b.state("a1").site, "a");
  EXPECT_TRUE(b.state("a1").ready);
  EXPECT_EQ(a.state("a2").reason, "break");
  EXPECT_EQ(a.board->logged_in_here(), 1u);
  EXPECT_EQ(b.board->logged_in_here(), 1u);
  // b knows a1 is at a: no login there, no Ready there, and its DN is taken.
  EXPECT_EQ(code_of(b.board->login("a1", "", "")), ErrorCode::conflict);
  EXPECT_EQ(code_of(b.board->ready("a1")), ErrorCode::conflict);
  auto e = b.board->login("p1any", "", "1001");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->field, "dn");
  // A logout at a frees it at b.
  ASSERT_FALSE(a.board->logout("a1", ""));
  link.flush();
  expect_converged(a, b);
  EXPECT_FALSE(b.board->login("a1", "", ""));
  link.flush();
  expect_converged(a, b);
  EXPECT_EQ(a.state("a1").site, "b");
  EXPECT_EQ(a.state("a1").home_site, "b");
  EXPECT_EQ(b.board->stats().remote_applied, 3u);  // a1 login, ready, logout
  EXPECT_EQ(b.board->stats().remote_stale, 0u);
}

TEST_F(TwoSites, SnapshotAppliedToAFreshBoardGivesTheSameState) {
  ASSERT_FALSE(a.board->login("a1", "", ""));
  ASSERT_FALSE(a.board->ready("a1"));
  ASSERT_FALSE(a.board->login("a2", "", ""));
  ASSERT_FALSE(a.board->not_ready("a2", "lunch"));
  ASSERT_FALSE(a.board->login("a3", "", ""));
  ASSERT_FALSE(a.board->logout("a3", "gone"));
  ASSERT_FALSE(b.board->login("p1any", "", "2001"));
  link.flush();
  const auto snap = a.board->snapshot();
  EXPECT_EQ(snap.size(), 4u) << "one record per agent with a state";
  Site fresh(options("b", "a"));
  for (const auto& r : snap) EXPECT_EQ(fresh.board->apply(r), ApplyResult::accepted) << r.key;
  EXPECT_EQ(fresh.board->all(), a.board->all());
  EXPECT_EQ(fresh.board->logged_in_here(), 1u) << "p1any is logged in at b";
  for (const char* dn : {"1001", "1002", "2001"}) {
    ASSERT_NE(fresh.board->on_dn(dn), nullptr) << dn;
    EXPECT_EQ(fresh.board->on_dn(dn)->login, a.board->on_dn(dn)->login);
  }
  EXPECT_EQ(fresh.board->on_dn("1003"), nullptr);
  // Applying it again changes nothing.
  for (const auto& r : snap) EXPECT_EQ(fresh.board->apply(r), ApplyResult::rejected_older) << r.key;
  EXPECT_EQ(fresh.board->snapshot(), snap);
}

// Both sites log the same agent in before either hears of the other: the later change wins at both
// sites, whichever record each receives first.
TEST(TwoSitesConcurrent, ConcurrentLoginsConvergeOnTheNewerInEitherOrder) {
  for (const bool to_b_first : {true, false}) {
    SCOPED_TRACE(to_b_first ? "a's record delivered first" : "b's record delivered first");
    Site a(options("a", "b")), b(options("b", "a"));
    Link link(a, b);
    link.up();
    b.wall = a.wall + 10;  // b's change is the later one
    ASSERT_FALSE(a.board->login("a2", "", ""));
    ASSERT_FALSE(b.board->login("a2", "", ""));
    ASSERT_EQ(link.in_flight(), 2u);
    if (to_b_first) {
      link.deliver_to_b();
      link.deliver_to_a();
    } else {
      link.deliver_to_a();
      link.deliver_to_b();
    }
    link.flush();
    expect_converged(a, b);
    EXPECT_EQ(a.state("a2").site, "b");
    EXPECT_EQ(a.board->logged_in_here(), 0u) << "a's login lost: not counted here any more";
    EXPECT_EQ(b.board->stats().remote_stale, 1u);
    EXPECT_EQ(a.board->stats().remote_applied, 1u);
  }
}

// Concurrent changes of different kinds to one agent: Ready at a while b takes it over during a
// partition. Whichever stamp is newer wins at both sites, in both delivery orders.
TEST(TwoSitesConcurrent, ReadyAgainstTakeoverDuringAPartition) {
  for (const bool a_later : {true, false}) {
    for (const bool to_b_first : {true, false}) {
      SCOPED_TRACE(std::string(a_later ? "a later" : "b later") +
                   (to_b_first ? ", to b first" : ", to a first"));
      Site a(options("a", "b")), b(options("b", "a"));
      Link link(a, b);
      link.up();
      ASSERT_FALSE(a.board->login("a1", "", ""));
      link.flush();
      // b believes a is down (a partition) while a still runs.
      b.board->on_peer_down();
      (a_later ? a.wall : b.wall) += 50;
      ASSERT_FALSE(a.board->ready("a1"));
      ASSERT_FALSE(b.board->login("a1", "", ""));
      b.board->on_peer_up();
      if (to_b_first) {
        link.deliver_to_b();
        link.deliver_to_a();
      } else {
        link.deliver_to_a();
        link.deliver_to_b();
      }
      link.flush();
      expect_converged(a, b);
      const auto s = a.state("a1");
      EXPECT_EQ(s.site, a_later ? "a" : "b");
      EXPECT_EQ(s.ready, a_later);
    }
  }
}

// ================================================================ the peer dies

class PeerDown : public TwoSites {
 protected:
  explicit PeerDown(RelogState relog = RelogState::keep) : TwoSites(relog) {}

  // a1 Ready, a2 Not Ready (break), a3 Ready, all logged in at b; then b dies.
  void SetUp() override {
    ASSERT_FALSE(b.board->login("a1", "", ""));
    ASSERT_FALSE(b.board->ready("a1"));
    ASSERT_FALSE(b.board->login("a2", "", ""));
    ASSERT_FALSE(b.board->not_ready("a2", "break"));
    ASSERT_FALSE(b.board->login("a3", "", ""));
    ASSERT_FALSE(b.board->ready("a3"));
    link.flush();
    expect_converged(a, b);
    link.cut();
    clear_events();
  }
};

TEST_F(PeerDown, PhonesAlreadyRegisteredHereAreReloggedAtOnceTheOthersWhenTheyRegister) {
  a.live = {"1001", "5555"};  // a1's phone is registered here (dual); 5555 is no agent's
  a.board->on_peer_down();
  EXPECT_FALSE(a.board->peer_up());
  EXPECT_EQ(a.live_queries, 1);
  const auto peer = a.of_type("peer");
  ASSERT_EQ(peer.size(), 1u);
  EXPECT_EQ(peer[0]["state"], "down");
  EXPECT_EQ(peer[0]["peer"], "b");
  EXPECT_EQ(peer[0]["agents_to_relog"], 3);
  auto s = a.state("a1");
  EXPECT_TRUE(s.logged_in);
  EXPECT_EQ(s.site, "a");
  EXPECT_EQ(s.place, "p1");
  EXPECT_EQ(s.dn, "1001");
  EXPECT_TRUE(s.ready) << "relog_state keep";
  EXPECT_TRUE(s.relogged);
  EXPECT_EQ(s.home_site, "b");
  EXPECT_EQ(a.agent_events(), std::vector<std::string>{"a1:relogged"});
  EXPECT_EQ(a.of_type("agent")[0]["at_site"], "a");
  EXPECT_EQ(a.of_type("agent")[0]["relogged"], true);
  EXPECT_EQ(a.board->pending_relogs(), 2u);
  EXPECT_EQ(a.board->logged_in_here(), 1u);
  EXPECT_EQ(a.board->site_json()["pending_relogs"], 2);
  EXPECT_EQ(a.board->site_json()["peer_up"], false);

  // A removed binding is no reason to relog; an unrelated one neither.
  a.board->on_local_binding("1002", true);
  a.board->on_local_binding("7777", false);
  EXPECT_EQ(a.board->pending_relogs(), 2u);
  EXPECT_EQ(a.state("a2").site, "b");

  a.board->on_local_binding("1002", false);
  s = a.state("a2");
  EXPECT_EQ(s.site, "a");
  EXPECT_FALSE(s.ready);
  EXPECT_EQ(s.reason, "break") << "its Not Ready reason is kept";
  EXPECT_TRUE(s.relogged);
  a.board->on_local_binding("1002", false);  // a refresh: nothing more
  a.board->on_local_binding("1003", false);
  EXPECT_TRUE(a.state("a3").ready);
  EXPECT_EQ(a.board->pending_relogs(), 0u);
  EXPECT_EQ(a.board->logged_in_here(), 3u);
  EXPECT_EQ(a.board->stats().relogged, 3u);
  EXPECT_EQ(a.agent_events(), (std::vector<std::string>{"a1:relogged", "a2:relogged", "a3:relogged"}));
  // Relogged agents are this site's now: the desktops can work with them.
  EXPECT_FALSE(a.board->not_ready("a1", "after-failover"));

  // b comes back (from a snapshot): both converge on the relogged state.
  link.heal();
  expect_converged(a, b);
  EXPECT_EQ(b.board->logged_in_here(), 0u);
  EXPECT_EQ(b.state("a3").site, "a");
}

class PeerDownNotReady : public PeerDown {
 protected:
  PeerDownNotReady() : PeerDown(RelogState::not_ready) {}
};

TEST_F(PeerDownNotReady, ReadyAgentsComeBackNotReady) {
  a.live = {"1001", "1002"};
  a.board->on_peer_down();
  auto s = a.state("a1");
  EXPECT_EQ(s.site, "a");
  EXPECT_FALSE(s.ready);
  EXPECT_EQ(s.reason, "relogged");
  s = a.state("a2");
  EXPECT_FALSE(s.ready);
  EXPECT_EQ(s.reason, "break") << "an agent already Not Ready keeps its reason";
  a.board->on_local_binding("1003", false);
  EXPECT_FALSE(a.state("a3").ready);
  EXPECT_EQ(a.agent_events(), (std::vector<std::string>{"a1:relogged", "a2:relogged", "a3:relogged"}));
  for (const auto& e : a.of_type("agent")) EXPECT_EQ(e["state"], "not_ready");
}

TEST_F(PeerDown, PeerUpCancelsPendingRelogsAndLateAnswersAreIgnored) {
  a.defer_live = true;
  a.board->on_peer_down();
  ASSERT_EQ(a.answers.size(), 1u);
  EXPECT_EQ(a.board->pending_relogs(), 3u);
  a.board->on_peer_up();
  EXPECT_TRUE(a.board->peer_up());
  EXPECT_EQ(a.board->pending_relogs(), 0u);
  const auto up = a.of_type("peer");
  ASSERT_EQ(up.size(), 2u);
  EXPECT_EQ(up[1]["state"], "up");
  EXPECT_EQ(up[1]["relogs_cancelled"], 3);
  // The workers' answer arrives after the peer came back: ignored.
  a.answers[0]({"1001", "1002", "1003"});
  a.board->on_local_binding("1003", false);
  EXPECT_EQ(a.board->stats().relogged, 0u);
  EXPECT_EQ(a.board->logged_in_here(), 0u);
  EXPECT_EQ(a.state("a1").site, "b");
  EXPECT_TRUE(a.agent_events().empty());
  EXPECT_TRUE(a.published.empty());
}

TEST_F(PeerDown, AnAnswerFromAnEarlierOutageIsIgnored) {
  a.defer_live = true;
  a.board->on_peer_down();
  a.board->on_peer_up();
  a.board->on_peer_down();  // down again: a second question
  ASSERT_EQ(a.answers.size(), 2u);
  EXPECT_EQ(a.board->pending_relogs(), 3u);
  a.answers[0]({"1001"});  // the first outage's answer
  EXPECT_EQ(a.state("a1").site, "b");
  EXPECT_EQ(a.board->pending_relogs(), 3u);
  a.answers[1]({"1002"});
  EXPECT_EQ(a.state("a2").site, "a");
  EXPECT_EQ(a.board->pending_relogs(), 2u);
}

TEST_F(PeerDown, NoLiveUsersHookMeansWaitingForEveryPhone) {
  a.board->set_live_users({});
  a.board->on_peer_down();
  EXPECT_EQ(a.board->pending_relogs(), 3u);
  EXPECT_EQ(a.board->logged_in_here(), 0u);
  for (const char* dn : {"1003", "1001", "1002"}) a.board->on_local_binding(dn, false);
  EXPECT_EQ(a.board->logged_in_here(), 3u);
}

TEST_F(PeerDown, AgentsLoggedOutAtThePeerAreNotRelogged) {
  link.heal();
  ASSERT_FALSE(b.board->logout("a2", "home"));
  link.flush();
  link.cut();
  a.live = {"1001", "1002", "1003"};
  a.board->on_peer_down();
  EXPECT_EQ(a.board->logged_in_here(), 2u);
  EXPECT_FALSE(a.state("a2").logged_in);
}

TEST(SingleSite, NoPeerNoRelog) {
  Site a(options("a", ""));
  a.board->apply(record(logged_in_at("a1", "x", "p1", "1001"), 10, "x"));
  a.live = {"1001"};
  a.board->on_peer_down();
  EXPECT_EQ(a.board->pending_relogs(), 0u);
  EXPECT_EQ(a.live_queries, 0);
  EXPECT_EQ(a.board->logged_in_here(), 0u);
  const auto j = a.board->site_json();
  EXPECT_FALSE(j.contains("peer_site"));
  EXPECT_FALSE(j.contains("peer_up"));
}

// ================================================================ drain and handoff

TEST_F(TwoSites, DrainHandsAgentsToThePeerAndWaitsForCalls) {
  ASSERT_FALSE(a.board->login("a1", "", ""));
  ASSERT_FALSE(a.board->ready("a1"));
  ASSERT_FALSE(a.board->login("a2", "", ""));
  ASSERT_FALSE(a.board->not_ready("a2", "break"));
  ASSERT_FALSE(a.board->login("a3", "", ""));
  ASSERT_FALSE(a.board->ready("a3"));
  link.flush();
  clear_events();
  a.busy = {"a3"};  // on a call

  ASSERT_FALSE(a.board->drain());
  EXPECT_EQ(a.board->mode(), SiteMode::draining);
  // Not Ready first (a1), then logged out with a handoff to b; a3 stays until its call ends.
  EXPECT_EQ(a.agent_events(),
            (std::vector<std::string>{"a1:not_ready", "a1:logout", "a2:logout", "a3:not_ready"}));
  auto s = a.state("a1");
  EXPECT_FALSE(s.logged_in);
  EXPECT_EQ(s.handoff_to, "b");
  EXPECT_TRUE(s.handoff_ready);
  EXPECT_EQ(s.reason, "site-drain");
  s = a.state("a2");
  EXPECT_EQ(s.handoff_to, "b");
  EXPECT_FALSE(s.handoff_ready);
  s = a.state("a3");
  EXPECT_TRUE(s.logged_in);
  EXPECT_FALSE(s.ready);
  EXPECT_EQ(s.reason, "site-drain");
  EXPECT_EQ(a.board->logged_in_here(), 1u);
  EXPECT_EQ(a.board->stats().handoffs_sent, 2u);
  auto site = a.of_type("site");
  ASSERT_EQ(site.size(), 1u);
  EXPECT_EQ(site[0]["mode"], "draining");

  // b takes them: a1 Ready again (relog_state keep), a2 Not Ready.
  link.flush();
  s = b.state("a1");
  EXPECT_TRUE(s.logged_in);
  EXPECT_EQ(s.site, "b");
  EXPECT_TRUE(s.ready);
  EXPECT_TRUE(s.relogged);
  EXPECT_EQ(s.handoff_to, "");
  EXPECT_EQ(s.dn, "1001");
  s = b.state("a2");
  EXPECT_EQ(s.site, "b");
  EXPECT_FALSE(s.ready);
  EXPECT_EQ(s.reason, "migrated");
  EXPECT_EQ(b.board->stats().handoffs_taken, 2u);
  EXPECT_EQ(b.agent_events(), (std::vector<std::string>{"a1:replicated", "a1:replicated", "a1:handoff",
                                                        "a2:replicated", "a2:handoff", "a3:replicated"}));
  expect_converged(a, b);

  // While draining: no login, no Ready; Not Ready and logout still work.
  auto e = a.board->login("a4", "", "");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, ErrorCode::conflict);
  EXPECT_NE(e->message.find("site 'a' is draining: log in at 'b'"), std::string::npos) << e->message;
  e = a.board->ready("a3");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, ErrorCode::conflict);
  EXPECT_EQ(code_of(a.board->drain()), ErrorCode::conflict);

  // a3's call ends: logged out and handed over Ready (it was Ready before the drain).
  a.board->call_ended("a1");  // not here any more: nothing
  a.busy.clear();
  a.board->call_ended("a3");
  EXPECT_FALSE(a.state("a3").logged_in);
  EXPECT_EQ(a.board->mode(), SiteMode::drained);
  site = a.of_type("site");
  ASSERT_EQ(site.size(), 2u);
  EXPECT_EQ(site[1]["mode"], "drained");
  EXPECT_EQ(site[1]["agents_here"], 0);
  link.flush();
  EXPECT_EQ(b.state("a3").site, "b");
  EXPECT_TRUE(b.state("a3").ready);
  expect_converged(a, b);
  EXPECT_EQ(b.board->logged_in_here(), 3u);

  e = a.board->drain();
  ASSERT_TRUE(e);
  EXPECT_NE(e->message.find("already drained"), std::string::npos) << e->message;
  EXPECT_EQ(code_of(a.board->login("a4", "", "")), ErrorCode::conflict);

  ASSERT_FALSE(a.board->resume());
  EXPECT_EQ(a.board->mode(), SiteMode::active);
  EXPECT_EQ(a.of_type("site").back()["mode"], "active");
  e = a.board->resume();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, ErrorCode::conflict);
  EXPECT_FALSE(a.board->login("a4", "", ""));
  EXPECT_FALSE(a.board->ready("a4"));
  link.flush();
  expect_converged(a, b);
}

TEST_F(TwoSites, DrainWhileTheLastAgentLogsOutByItself) {
  ASSERT_FALSE(a.board->login("a1", "", ""));
  a.busy = {"a1"};
  ASSERT_FALSE(a.board->drain());
  EXPECT_EQ(a.board->mode(), SiteMode::draining);
  EXPECT_FALSE(a.board->not_ready("a1", "wrap-up")) << "Not Ready is allowed while draining";
  ASSERT_FALSE(a.board->logout("a1", "bye"));
  EXPECT_EQ(a.board->mode(), SiteMode::drained);
  link.flush();
  EXPECT_FALSE(b.state("a1").logged_in) << "a desktop's own logout is no handoff";
  expect_converged(a, b);
}

TEST_F(TwoSites, DrainOfAnEmptySiteIsDrainedAtOnce) {
  ASSERT_FALSE(a.board->drain());
  EXPECT_EQ(a.board->mode(), SiteMode::drained);
  const auto j = a.board->site_json();
  EXPECT_EQ(j["site"], "a");
  EXPECT_EQ(j["mode"], "drained");
  EXPECT_EQ(j["agents_here"], 0);
  EXPECT_EQ(j["shutdown_code"], 603);
  EXPECT_EQ(j["peer_site"], "b");
  EXPECT_EQ(j["peer_up"], true);
  EXPECT_EQ(j["peer_contact"], "sip:b.example:5060");
  EXPECT_EQ(j["since_ms"], kStartMs);
}

TEST_F(TwoSites, DrainWithThePeerDownLogsOutWithoutHandoff) {
  ASSERT_FALSE(a.board->login("a1", "", ""));
  ASSERT_FALSE(a.board->ready("a1"));
  link.flush();
  link.cut();
  a.board->on_peer_down();
  ASSERT_FALSE(a.board->drain());
  EXPECT_EQ(a.board->mode(), SiteMode::drained);
  const auto s = a.state("a1");
  EXPECT_FALSE(s.logged_in);
  EXPECT_EQ(s.handoff_to, "");
  EXPECT_EQ(a.board->stats().handoffs_sent, 0u);
}

TEST_F(TwoSites, CallEndedOutsideADrainChangesNothing) {
  ASSERT_FALSE(a.board->login("a1", "", ""));
  ASSERT_FALSE(a.board->ready("a1"));
  const auto before = a.state("a1");
  a.board->call_ended("a1");
  a.board->call_ended("nobody");
  EXPECT_EQ(a.state("a1"), before);
}

// ================================================================ failback

class Failback_ : public TwoSites {
 protected:
  explicit Failback_(Failback f = Failback::when_idle) : TwoSites(RelogState::keep, f) {}

  // a1, a2, a3 work at b (Ready); b dies and a relogs them; a4 logs in at a by itself.
  void SetUp() override {
    for (const char* code : {"a1", "a2", "a3"}) {
      ASSERT_FALSE(b.board->login(code, "", ""));
      ASSERT_FALSE(b.board->ready(code));
    }
    link.flush();
    link.cut();
    a.live = {"1001", "1002", "1003"};
    a.board->on_peer_down();
    ASSERT_EQ(a.board->logged_in_here(), 3u);
    ASSERT_FALSE(a.board->login("a4", "", ""));
    clear_events();
  }
};

TEST_F(Failback_, WhenIdleRelogsAgentsBackToTheirHomeSite) {
  a.busy = {"a2"};
  link.heal();
  for (const char* code : {"a1", "a3"}) {
    const auto s = b.state(code);
    EXPECT_EQ(s.site, "b") << code;
    EXPECT_TRUE(s.ready) << code;
  }
  EXPECT_EQ(a.state("a4").site, "a") << "its home is a";
  auto s = a.state("a2");
  EXPECT_EQ(s.site, "a") << "on a call: stays until it ends";
  EXPECT_FALSE(s.ready);
  expect_converged(a, b);
  // The call ends: it goes home too, Ready as it was.
  a.busy.clear();
  a.board->call_ended("a2");
  link.flush();
  s = b.state("a2");
  EXPECT_EQ(s.site, "b");
  EXPECT_TRUE(s.ready);
  expect_converged(a, b);
  EXPECT_EQ(a.board->logged_in_here(), 1u);
  EXPECT_EQ(b.board->logged_in_here(), 3u);
  EXPECT_EQ(a.board->mode(), SiteMode::active);
}

TEST_F(Failback_, ABusyAgentStaysWhenThePeerDiesAgainBeforeItsCallEnds) {
  a.busy = {"a1", "a2", "a3"};
  link.heal();
  EXPECT_EQ(a.board->logged_in_here(), 4u);
  link.cut();
  a.board->on_peer_down();
  a.busy.clear();
  for (const char* code : {"a1", "a2", "a3"}) a.board->call_ended(code);
  EXPECT_EQ(a.board->logged_in_here(), 4u) << "no failback towards a dead peer";
  EXPECT_EQ(a.board->stats().handoffs_sent, 0u);
  // The desktop may make it Ready again meanwhile.
  EXPECT_FALSE(a.board->ready("a1"));
}

class ManualFailback : public Failback_ {
 protected:
  ManualFailback() : Failback_(Failback::manual) {}
};

TEST_F(ManualFailback, AgentsStayWhereTheyWereRelogged) {
  link.heal();
  expect_converged(a, b);
  EXPECT_EQ(a.board->logged_in_here(), 4u);
  EXPECT_EQ(b.board->logged_in_here(), 0u);
  EXPECT_TRUE(a.state("a1").ready);
}

// ================================================================ many agents

// Concurrent logins of two agents on one DN at the two sites both survive the merge (the rule is
// per agent): the DN stays taken, at both sites, until the last of them logs out.
TEST(TwoSitesConcurrent, TwoAgentsOnOneDnKeepItTakenUntilBothLeave) {
  Site a(options("a", "b")), b(options("b", "a"));
  Link link(a, b);
  link.up();
  ASSERT_FALSE(a.board->login("p1any", "p1", "1001"));
  ASSERT_FALSE(b.board->login("a1", "", ""));  // also DN 1001, at b, before a's record arrives
  link.flush();
  ASSERT_EQ(a.state("p1any").site, "a");
  ASSERT_EQ(a.state("a1").site, "b");
  ASSERT_FALSE(a.board->logout("p1any", ""));
  link.flush();
  for (Site* site : {&a, &b}) {
    const auto* owner = site->board->on_dn("1001");
    ASSERT_NE(owner, nullptr) << site->board->options().site;
    EXPECT_EQ(owner->login, "a1");
  }
  EXPECT_EQ(code_of(a.board->login("free", "p1", "1001")), ErrorCode::conflict);
  EXPECT_EQ(code_of(b.board->login("free", "p1", "1001")), ErrorCode::conflict);
}

// A handoff that reaches a site which is draining too waits, logged out, and is taken on resume.
TEST_F(TwoSites, HandoffToADrainingSiteIsTakenWhenItResumes) {
  ASSERT_FALSE(a.board->login("a1", "", ""));
  ASSERT_FALSE(a.board->ready("a1"));
  link.flush();
  ASSERT_FALSE(b.board->drain());
  ASSERT_FALSE(a.board->drain());
  link.flush();
  EXPECT_FALSE(b.state("a1").logged_in);
  EXPECT_EQ(b.state("a1").handoff_to, "b");
  ASSERT_FALSE(b.board->resume());
  link.flush();
  const auto s = a.state("a1");
  EXPECT_TRUE(s.logged_in);
  EXPECT_EQ(s.site, "b");
  EXPECT_TRUE(s.ready);
  expect_converged(a, b);
}

// A drain moves agents for good: when-idle failback does not send them back to the drained site.
TEST_F(Failback_, AgentsHandedOverByADrainAreNotFailedBack) {
  link.heal();
  link.flush();
  ASSERT_FALSE(a.board->drain());  // a4 (home a) is handed to b
  link.flush();
  ASSERT_EQ(b.state("a4").site, "b");
  EXPECT_EQ(b.state("a4").home_site, "b");
  link.cut();
  a.board->on_peer_down();
  b.board->on_peer_down();
  link.heal();
  link.flush();
  EXPECT_EQ(a.state("a4").site, "b") << "not bounced back to the drained site";
  expect_converged(a, b);
}

TEST(Scale, TenThousandAgentsAreReloggedInOnePeerDown) {
  constexpr int kAgents = 10'000;
  Site a(options("a", "b"), /*seeded=*/false);
  ASSERT_FALSE(a.model.insert_loaded(agents::User{"u", "Agent"}));
  std::vector<std::string> dns;
  for (int i = 0; i < kAgents; ++i) {
    const std::string n = std::to_string(100000 + i);
    dns.push_back(n);
    ASSERT_FALSE(a.model.insert_loaded(ext(n)));
    ASSERT_FALSE(a.model.insert_loaded(agents::Place{"p" + n, {n}}));
    ASSERT_FALSE(a.model.insert_loaded(agents::AgentLogin{"ag" + n, "u", "p" + n, n, ""}));
  }
  a.board->on_peer_up();
  std::uint64_t hlc = agents::HybridClock::pack(kStartMs, 0);
  for (int i = 0; i < kAgents; ++i) {
    const auto& n = dns[i];
    ASSERT_EQ(a.board->apply(record(logged_in_at("ag" + n, "b", "p" + n, n, i % 2 == 0), ++hlc, "b", i + 1)),
              ApplyResult::accepted);
  }
  a.live = dns;
  const auto t0 = std::chrono::steady_clock::now();
  a.board->on_peer_down();
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  std::printf("[ timing ] %d agents relogged in one on_peer_down: %.1f ms\n", kAgents,
              std::chrono::duration<double, std::milli>(elapsed).count());
  EXPECT_EQ(a.board->logged_in_here(), static_cast<std::size_t>(kAgents));
  EXPECT_EQ(a.board->stats().relogged, static_cast<std::uint64_t>(kAgents));
  EXPECT_EQ(a.board->pending_relogs(), 0u);
  EXPECT_EQ(a.published.size(), static_cast<std::size_t>(kAgents));
  std::size_t ready = 0;
  for (const auto& s : a.board->all()) {
    EXPECT_EQ(s.site, "a");
    ready += s.ready ? 1 : 0;
  }
  EXPECT_EQ(ready, static_cast<std::size_t>(kAgents / 2));
}

// ================================================================ a random walk

// Random desktop actions at both sites, records delayed, partitions (each side relogging what the
// other held), drains, calls: after every heal both sites hold the same state and no agent is
// logged in at two sites.
TEST(RandomWalk, BothSitesAlwaysConvergeOnOneStatePerAgent) {
  std::mt19937 rng(20240611);
  const std::vector<std::string> codes = {"a1", "a2", "a3", "a4"};
  const std::vector<std::string> dns = {"1001", "1002", "1003", "1004"};
  Site a(options("a", "b", RelogState::keep, Failback::when_idle));
  Site b(options("b", "a", RelogState::not_ready, Failback::manual));
  Link link(a, b);
  link.up();
  bool partitioned = false;
  int heals = 0;
  const auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  for (int step = 0; step < 20'000; ++step) {
    Site& s = pick(2) == 0 ? a : b;
    const std::string& code = codes[pick(codes.size())];
    s.wall += pick(3);
    switch (pick(14)) {
      case 0:
      case 1:
        s.board->login(code, "", "");
        break;
      case 2:
      case 3:
        s.board->ready(code);
        break;
      case 4:
        s.board->not_ready(code, "break");
        break;
      case 5:
        s.board->logout(code, "");
        break;
      case 6:
        if (s.busy.count(code) != 0) {
          s.busy.erase(code);
          s.board->call_ended(code);
        } else {
          s.busy.insert(code);
        }
        break;
      case 7:
        if (pick(8) == 0)
          s.board->mode() == SiteMode::active ? (void)s.board->drain() : (void)s.board->resume();
        break;
      case 8:
        s.board->on_local_binding(dns[pick(dns.size())], pick(4) == 0);
        break;
      case 9:
        if (!partitioned && pick(10) == 0) {
          link.flush();
          link.cut();
          partitioned = true;
          a.live = {dns[pick(dns.size())]};
          b.live = {dns[pick(dns.size())]};
          a.board->on_peer_down();
          b.board->on_peer_down();
        }
        break;
      case 10:
        if (partitioned && pick(4) == 0) {
          link.heal();
          partitioned = false;
          ++heals;
          expect_converged(a, b);
          ASSERT_FALSE(::testing::Test::HasFailure()) << "step " << step;
          EXPECT_EQ(a.board->pending_relogs(), 0u);
          EXPECT_EQ(b.board->pending_relogs(), 0u);
        }
        break;
      default:
        if (!partitioned && pick(3) == 0) {
          link.flush();
          expect_converged(a, b);
          ASSERT_FALSE(::testing::Test::HasFailure()) << "step " << step;
        }
        break;
    }
  }
  if (partitioned) link.heal();
  link.flush();
  expect_converged(a, b);
  EXPECT_GT(heals, 10);
  std::printf("[ walk   ] %d heals; a: %llu relogged, %llu handoffs taken; b: %llu relogged, %llu taken\n",
              heals, static_cast<unsigned long long>(a.board->stats().relogged),
              static_cast<unsigned long long>(a.board->stats().handoffs_taken),
              static_cast<unsigned long long>(b.board->stats().relogged),
              static_cast<unsigned long long>(b.board->stats().handoffs_taken));
}

}  // namespace
}  // namespace duet::continuity
