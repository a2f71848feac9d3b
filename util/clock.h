// The clock as a seam: library code that records or compares times takes a
// Clock, so tests can fix "now" instead of sleeping or racing the second.
//
// Thread-safety: both implementations may be used from any thread.
#pragma once

#include <cstdint>

namespace kix {

class Clock {
 public:
  virtual ~Clock() = default;
  // Seconds since the Unix epoch.
  virtual int64_t now_unix_seconds() const = 0;
};

// The system's wall clock.
class SystemClock : public Clock {
 public:
  int64_t now_unix_seconds() const override;
};

// A clock that says what it was told (tests).
class FixedClock : public Clock {
 public:
  explicit FixedClock(int64_t now) : now_(now) {}
  int64_t now_unix_seconds() const override { return now_; }
  void set(int64_t now) { now_ = now; }

 private:
  int64_t now_;
};

}  // namespace kix
