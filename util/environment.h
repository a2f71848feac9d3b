// The process environment as a seam: what kix reads from environment
// variables (KIX_STORE, KIX_KUBECTL, PATH, HOME, ...) goes through an
// Environment, so tests can give each case its own without setenv().
//
// Thread-safety: lookups are const and safe from any thread, provided
// nothing calls setenv() meanwhile (kix never does).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace kix {

class Environment {
 public:
  virtual ~Environment() = default;
  // The variable's value; nullopt when it is unset. An empty value is
  // returned as "" (callers decide whether empty means unset).
  virtual std::optional<std::string> get(std::string_view name) const = 0;
  // get(), with an empty value treated as unset.
  std::optional<std::string> get_nonempty(std::string_view name) const;
};

// The real environment of this process.
class SystemEnvironment : public Environment {
 public:
  std::optional<std::string> get(std::string_view name) const override;
};

// An environment given as a map (tests).
class MapEnvironment : public Environment {
 public:
  MapEnvironment() = default;
  explicit MapEnvironment(std::map<std::string, std::string, std::less<>> values)
      : values_(std::move(values)) {}
  std::optional<std::string> get(std::string_view name) const override;
  void set(std::string name, std::string value) { values_[std::move(name)] = std::move(value); }

 private:
  std::map<std::string, std::string, std::less<>> values_;
};

}  // namespace kix
