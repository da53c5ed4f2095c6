#include "duet/registrar/sip_date.hpp"

namespace duet::registrar {
namespace {

void two(char* p, unsigned v) noexcept {
  p[0] = static_cast<char>('0' + v / 10 % 10);
  p[1] = static_cast<char>('0' + v % 10);
}

}  // namespace

std::string_view format_sip_date(std::int64_t t, char (&out)[kSipDateSize]) noexcept {
  static constexpr char kDays[] = "ThuFriSatSunMonTueWed";  // 1970-01-01 was a Thursday
  static constexpr char kMonths[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  constexpr std::int64_t kMax = 253402300799;  // 9999-12-31T23:59:59Z
  if (t < 0) t = 0;
  if (t > kMax) t = kMax;
  const std::int64_t days = t / 86400;
  const auto secs = static_cast<unsigned>(t % 86400);
  // Civil date from days since the epoch (H. Hinnant's algorithm).
  const std::int64_t z = days + 719468;
  const std::int64_t era = z / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned day = doy - (153 * mp + 2) / 5 + 1;
  const unsigned month = mp < 10 ? mp + 3 : mp - 9;
  const auto year = static_cast<unsigned>(static_cast<std::int64_t>(yoe) + era * 400 + (month <= 2 ? 1 : 0));
  char* p = out;
  const auto wd = static_cast<unsigned>(days % 7);
  for (int i = 0; i < 3; ++i) *p++ = kDays[wd * 3 + i];
  *p++ = ',';
  *p++ = ' ';
  two(p, day);
  p += 2;
  *p++ = ' ';
  for (int i = 0; i < 3; ++i) *p++ = kMonths[(month - 1) * 3 + i];
  *p++ = ' ';
  two(p, year / 100);
  two(p + 2, year % 100);
  p += 4;
  *p++ = ' ';
  two(p, secs / 3600);
  p[2] = ':';
  two(p + 3, secs / 60 % 60);
  p[5] = ':';
  two(p + 6, secs % 60);
  p += 8;
  *p++ = ' ';
  *p++ = 'G';
  *p++ = 'M';
  *p++ = 'T';
  return {out, static_cast<std::size_t>(p - out)};
}

}  // namespace duet::registrar
