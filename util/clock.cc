#include "util/clock.h"

#include <ctime>

namespace kix {

int64_t SystemClock::now_unix_seconds() const {
  return static_cast<int64_t>(std::time(nullptr));
}

}  // namespace kix
