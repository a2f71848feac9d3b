// The clock as a seam: library code that records or compares times takes a
// Clock, so tests can fix "now" instead of sleeping or racing the second;
// code that polls takes a Ticker (elapsed time and sleeping), so tests run
// a wait of minutes without sleeping at all.
//
// Thread-safety: the system implementations may be used from any thread;
// the test ones from one thread at a time.
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

// Elapsed time and sleeping, for waits with a deadline.
class Ticker {
 public:
  virtual ~Ticker() = default;
  // Milliseconds since an arbitrary start; never goes back.
  virtual int64_t now_milliseconds() = 0;
  // Returns after `milliseconds` (at once for 0 or less).
  virtual void sleep_milliseconds(int64_t milliseconds) = 0;
};

// std::chrono::steady_clock and a real sleep.
class SystemTicker : public Ticker {
 public:
  int64_t now_milliseconds() override;
  void sleep_milliseconds(int64_t milliseconds) override;
};

// Time that passes only when slept (tests): starts at 0.
class FakeTicker : public Ticker {
 public:
  int64_t now_milliseconds() override { return now_; }
  void sleep_milliseconds(int64_t milliseconds) override {
    if (milliseconds > 0) now_ += milliseconds;
    ++sleeps_;
  }
  int sleeps() const { return sleeps_; }

 private:
  int64_t now_ = 0;
  int sleeps_ = 0;
};

}  // namespace kix
