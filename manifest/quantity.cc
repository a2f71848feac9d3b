#include "manifest/quantity.h"

#include <cctype>
#include <cmath>
#include <stdexcept>
#include <string>

namespace kix {

namespace {

std::optional<double> suffix_multiplier(std::string_view suffix) {
  struct Entry {
    std::string_view name;
    double factor;
  };
  static constexpr Entry kSuffixes[] = {
      {"", 1},        {"Ki", 0x1p10}, {"Mi", 0x1p20}, {"Gi", 0x1p30},
      {"Ti", 0x1p40}, {"Pi", 0x1p50}, {"Ei", 0x1p60}, {"n", 1e-9},
      {"u", 1e-6},    {"m", 1e-3},    {"k", 1e3},     {"M", 1e6},
      {"G", 1e9},     {"T", 1e12},    {"P", 1e15},    {"E", 1e18},
  };
  for (const auto& e : kSuffixes) {
    if (e.name == suffix) return e.factor;
  }
  // A decimal exponent: e3, E-2. Digits are read by hand (not std::stoi)
  // so that "e+-" or a thousand-digit exponent is "not a quantity" rather
  // than an exception.
  if (suffix.size() >= 2 && (suffix[0] == 'e' || suffix[0] == 'E')) {
    size_t i = 1;
    bool negative = false;
    if (suffix[i] == '+' || suffix[i] == '-') negative = suffix[i++] == '-';
    if (i >= suffix.size()) return std::nullopt;
    int exponent = 0;
    for (; i < suffix.size(); ++i) {
      if (!std::isdigit(static_cast<unsigned char>(suffix[i])) || exponent > 1000)
        return std::nullopt;
      exponent = exponent * 10 + (suffix[i] - '0');
    }
    return std::pow(10.0, negative ? -exponent : exponent);
  }
  return std::nullopt;
}

}  // namespace

std::optional<double> parse_quantity(std::string_view text) {
  size_t i = 0;
  double sign = 1;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) sign = text[i++] == '-' ? -1 : 1;
  size_t digits_start = i;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
    ++i;
  std::string number(text.substr(digits_start, i - digits_start));
  if (number.empty() || number == "." || number.find('.') != number.rfind('.')) return std::nullopt;
  auto factor = suffix_multiplier(text.substr(i));
  if (!factor) return std::nullopt;
  try {
    double value = sign * std::stod(number) * *factor;
    // An infinite amount would compare equal to every other one and cannot
    // be written back as JSON.
    if (!std::isfinite(value)) return std::nullopt;
    return value;
  } catch (const std::out_of_range&) {
    return std::nullopt;
  }
}

}  // namespace kix
