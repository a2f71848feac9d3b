// The YAML 1.2 core schema's resolution of plain scalars, plus the YAML 1.1
// readings (yes/no booleans, leading-zero octals) that deserve a warning
// because kubectl and Helm still apply them.
#pragma once

#include <cstdint>
#include <string_view>

namespace kix {

enum class ScalarKind { kString, kNull, kBool, kInt, kFloat, kIntTooLarge, kNonFinite };

struct ScalarResolution {
  ScalarKind kind = ScalarKind::kString;
  bool bool_value = false;
  int64_t int_value = 0;
  double float_value = 0;
  // A string that YAML 1.1 reads as a boolean (yes, No, ON, y, ...).
  bool yaml11_bool = false;
  bool yaml11_bool_value = false;
  // A decimal integer with a leading zero that YAML 1.1 reads as octal.
  bool yaml11_octal = false;
  int64_t octal_value = 0;
};

// Resolves an untagged plain scalar. Integers beyond ±2^53 are kIntTooLarge
// (canonical JSON cannot hold them exactly); .inf/.nan and float overflow
// are kNonFinite.
ScalarResolution resolve_core_scalar(std::string_view text);

}  // namespace kix
