// "Did you mean" suggestions for misspelled names, and the lists of allowed
// names that hints show when no name is close.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kix {

// Edit distance (insertions, deletions, substitutions, transpositions).
size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `name` when it is close enough to be a likely
// typo (distance at most a third of the name's length, at least 1), else "".
std::string closest_name(std::string_view name, const std::vector<std::string>& candidates);

// " (did you mean 'x'?)"-style hint text: "did you mean 'x'?" or "".
std::string did_you_mean(std::string_view name, const std::vector<std::string>& candidates);

// The names separated by ", " ("package, aliases, config"); "" for none.
std::string join_names(const std::vector<std::string>& names);

}  // namespace kix
