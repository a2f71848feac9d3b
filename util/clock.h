// The clock as a seam: library code that records or compares times takes a
// Clock, so tests can fix "now" instead of sleeping or racing the second.
//
// Thread-safety: both implementations may be used from any thread.
#pragma once

#include <cstdint>
#include <string>

namespace kix {

// RFC 3339 in UTC, to the second: "2026-12-01T10:00:00Z". The same instant
// always gives the same text (no time zone, no locale).
std::string format_utc_time(int64_t unix_seconds);

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
