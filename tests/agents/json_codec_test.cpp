#include <gtest/gtest.h>

#include "duet/agents/json_codec.hpp"

namespace duet::agents {
namespace {

Error err_of(Kind k, const char* text) {
  auto r = from_json(k, nlohmann::json::parse(text));
  EXPECT_TRUE(std::holds_alternative<Error>(r)) << text;
  return std::holds_alternative<Error>(r) ? std::get<Error>(r) : Error{};
}

TEST(JsonCodec, DefaultsAndRoundTrip) {
  auto r = from_json(Kind::dn, nlohmann::json::parse(R"({"number":"1001"})"));
  ASSERT_TRUE(std::holds_alternative<Object>(r));
  const auto& d = std::get<Dn>(std::get<Object>(r));
  EXPECT_EQ(d.type, DnType::extension);
  EXPECT_EQ(d.mode, RegistrationMode::by_profile);  // the phone's User-Agent decides
  const Object l = AgentLogin{"1", "u", "p", "1001", "2001"};
  auto back = from_json(Kind::login, to_json(l));
  ASSERT_TRUE(std::holds_alternative<Object>(back));
  EXPECT_EQ(std::get<Object>(back), l);
  EXPECT_EQ(to_json(Object{Dn{"7", DnType::acd_queue, RegistrationMode::active_backup}}).dump(),
            R"({"mode":"active-backup","number":"7","type":"acd_queue"})");
}

TEST(JsonCodec, ShapeErrorsNameTheField) {
  EXPECT_EQ(err_of(Kind::dn, R"({"number":"1","type":"fax"})").field, "type");
  EXPECT_EQ(err_of(Kind::dn, R"({"number":1001})").field, "number");
  EXPECT_EQ(err_of(Kind::dn, R"({"type":"cpp"})").field, "number");
  EXPECT_EQ(err_of(Kind::dn, R"({"number":"1","colour":"red"})").field, "colour");
  EXPECT_EQ(err_of(Kind::place, R"({"name":"p","dns":["1","1"]})").field, "dns[1]");
  EXPECT_EQ(err_of(Kind::place, R"({"name":"p","dns":"1"})").field, "dns");
  EXPECT_EQ(err_of(Kind::user, R"({"id":"has space"})").field, "id");
  EXPECT_EQ(err_of(Kind::login, R"({"code":"1","user":"u","peer_dn":"2"})").field, "peer_dn");
  EXPECT_EQ(err_of(Kind::login, R"({"code":"1","user":"u","dn":"2","peer_dn":"2"})").field, "peer_dn");
  EXPECT_EQ(err_of(Kind::user, R"([1,2])").code, ErrorCode::invalid);
}

}  // namespace
}  // namespace duet::agents
