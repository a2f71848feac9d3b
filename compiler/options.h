// Package options: a JSON-Schema subset (type, default, enum, minimum,
// maximum, items, properties, required, additionalProperties, description)
// checked against an instance's `config`, with defaults filled in.
#pragma once

#include <functional>
#include <string>

#include "store/canonical_json.h"
#include "store/error.h"

namespace kix::compiler {

// Maps a JSON Pointer inside the config to where it was written.
using ConfigLocator = std::function<SourceLocation(const std::string& pointer)>;

// Returns `config` with defaults applied. `options` maps option names to
// their schemas; unknown options are errors (with "did you mean"). A type
// error reads "The option 'replicas' is of type integer but a string was
// provided" and points at the value. Throws kix::Error(kInvalidInput).
Json apply_options(const Json& options, const Json& config, const ConfigLocator& locate);

}  // namespace kix::compiler
