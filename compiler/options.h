// Package options: a JSON-Schema subset (type, default, enum, minimum,
// maximum, items, properties, required (`true` on an option, or a list of
// keys on an object), additionalProperties, and the
// annotations description, title, examples, $comment)
// checked against an instance's `config`, with defaults filled in.
#pragma once

#include <functional>
#include <string>

#include "manifest/canonical_json.h"
#include "util/error.h"

namespace kix::compiler {

// Maps a JSON Pointer inside the config to where it was written.
using ConfigLocator = std::function<SourceLocation(const std::string& pointer)>;

// Returns `config` with defaults applied. `options` maps option names to
// their schemas; unknown options are errors (with "did you mean"). An
// option without a `default` is absent unless given, an object one too
// (its properties' defaults and `required` list apply only when it is
// given); one with `required: true` left out is an error at the map that
// lacks it. A type error reads "The option 'replicas' is of type integer
// but a string was provided" and points at the value. Throws
// kix::Error(kInvalidInput).
Json apply_options(const Json& options, const Json& config, const ConfigLocator& locate);

// Checks a package's `options` map once, when the package is loaded: every
// schema is a map of known keywords (a misspelled one is an error, with
// "did you mean"), `type` is a JSON-Schema type name, minimum/maximum are
// numbers, enum/required/properties/items/additionalProperties have their
// shapes (`required: true` only on a named option or property, and never
// with a default), and a `default` passes its own schema. `locate` maps a JSON
// Pointer inside `options` to its source. Throws kix::Error(kInvalidInput)
// at the offending keyword. apply_options assumes schemas that pass this.
void validate_option_schemas(const Json& options, const ConfigLocator& locate);

}  // namespace kix::compiler
