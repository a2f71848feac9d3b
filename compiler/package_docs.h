// The reference part of a package's README, generated from its package.yaml
// (`kix package docs`, docs/packages.md "Package documentation"): the
// signature (needs, optional needs, the names it is auto-instantiated for),
// the options table, and the `out` contract, which is also what an external
// instance standing in for the package must give by hand.
//
// In a README the part sits between kPackageDocsBegin and kPackageDocsEnd;
// what is around it is the author's. Pure functions.
#pragma once

#include <optional>
#include <string>

#include "compiler/package.h"

namespace kix::compiler {

inline constexpr const char* kPackageDocsBegin =
    "<!-- Generated from package.yaml by `kix package docs`; edit package.yaml and run "
    "`kix package docs --update` instead of this part. -->";
inline constexpr const char* kPackageDocsEnd = "<!-- End of the generated part. -->";

// The part, markers included, ending in a line break.
std::string package_docs(const Package& package);

// The same facts for machines (schema/output/package-docs.json): package,
// description, needs, optionalNeeds, autoInstantiatedFor, options (each
// option's schema as written), out (each field's expression as written).
Json package_docs_json(const Package& package);

// A new README: the package's name as the title, its description, the part.
std::string new_package_readme(const Package& package);

// `readme` with its part replaced by `docs` (package_docs); nullopt when
// it has no begin marker followed by an end marker.
std::optional<std::string> replace_package_docs(const std::string& readme, const std::string& docs);

// `value` as JSON with a space after each ':' and ',' ({"a": [1, 2]}), keys
// sorted, as the option defaults are shown.
std::string readable_json(const Json& value);

}  // namespace kix::compiler
