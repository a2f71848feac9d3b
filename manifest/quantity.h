// Kubernetes resource quantities ("10Gi", "500m", "1.5e3") as numbers. Used
// by package checks (quantity('10Gi') < quantity('50Gi')) and by the live
// diff, where the API server rewrites "1000m" as "1".
#pragma once

#include <optional>
#include <string_view>

namespace kix {

// The value of a quantity in base units (bytes, cores): "1Ki" -> 1024,
// "500m" -> 0.5, "2G" -> 2e9. Accepts an optional sign, a decimal number
// with optional fraction, and either a binary suffix (Ki Mi Gi Ti Pi Ei), a
// decimal suffix (n u m k M G T P E) or a decimal exponent (e3, E-2).
// nullopt when `text` is not a quantity or its value is not a finite double
// ("1e999", 400 nines).
std::optional<double> parse_quantity(std::string_view text);

}  // namespace kix
