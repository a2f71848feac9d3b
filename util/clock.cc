#include "util/clock.h"

#include <ctime>

namespace kix {

std::string format_utc_time(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::string(buf, n);
}

int64_t SystemClock::now_unix_seconds() const {
  return static_cast<int64_t>(std::time(nullptr));
}

}  // namespace kix
