#include "cli/diff_markdown.h"

#include <algorithm>
#include <functional>

#include "util/line_diff.h"
#include "util/markdown.h"

namespace kix::cli {

namespace {

// `text` inside HTML (<summary>): the characters HTML gives meaning to.
std::string html_escape(const std::string& text) {
  std::string out;
  for (char ch : text) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

// A multi-line string on either side: shown as a line diff, not in a cell.
bool multi_line(const FieldChange& f) {
  auto lines = [](const std::optional<Json>& v) {
    return v && v->is_string() && v->get_ref<const std::string&>().find('\n') != std::string::npos;
  };
  return !f.secret && (lines(f.before) || lines(f.after)) && (!f.before || f.before->is_string()) &&
         (!f.after || f.after->is_string());
}

// From the right side's value to the left's (base to new; the cluster's
// to kix's, as kubectl diff shows live to desired).
std::string fenced_diff(const FieldChange& f, const Vocabulary& words) {
  auto text = [](const std::optional<Json>& v) {
    return v ? v->get<std::string>() : std::string();
  };
  const std::string hunks = "--- " + words.right_value + "\n+++ " + words.left_value + "\n" +
                            unified_diff(text(f.after), text(f.before));
  const std::string fence = markdown_fence(hunks);
  return markdown_cell_code(f.path) + ":\n\n" + fence + "diff\n" + hunks + fence + "\n";
}

std::string modified_block(const ResourceDiff& r, const Vocabulary& words, bool open) {
  std::string table, diffs;
  for (const FieldChange& f : r.changes) {
    if (multi_line(f)) {
      diffs += (diffs.empty() ? "" : "\n") + fenced_diff(f, words);
      continue;
    }
    if (table.empty()) {
      table = "| path | " + words.left_value + " | " + words.right_value + " |\n|---|---|---|\n";
    }
    table += "| " + markdown_cell_code(f.path) + " | " +
             (f.secret ? "*(secret, differs)*" : markdown_cell_code(value_text(f.before))) + " | " +
             (f.secret ? "*(secret, differs)*" : markdown_cell_code(value_text(f.after))) + " |\n";
  }
  const size_t n = r.changes.size();
  std::string out = std::string("\n<details") + (open ? " open" : "") + "><summary>~ <code>" +
                    html_escape(r.id.display()) + "</code>: " + std::to_string(n) +
                    (n == 1 ? " change" : " changes") +
                    (r.requires_replace.empty() ? "" : " — requires replace (immutable field)") +
                    "</summary>\n\n";
  out += table + (table.empty() || diffs.empty() ? "" : "\n") + diffs + "\n</details>\n";
  return out;
}

std::string list_item(const ResourceDiff& r) {
  std::string out = "- " + markdown_cell_code(r.id.display());
  if (!r.dependencies.empty()) {
    std::string deps;
    for (const auto& d : r.dependencies) deps += (deps.empty() ? "" : ", ") + d;
    out += " (changed: " + deps + ")";
  }
  if (!r.orphaned.empty()) out += " (orphaned by kix, " + markdown_cell_code(r.orphaned) + ")";
  return out + "\n";
}

}  // namespace

std::string diff_markdown(const DiffReport& report, const std::string& left,
                          const std::string& right, const Vocabulary& words, size_t limit) {
  MarkdownBudget b;
  b.limit = limit;
  std::string head =
      "### kix diff: " + markdown_cell_code(left) + " vs " + markdown_cell_code(right) + "\n\n";
  head += "| | resources |\n|---|---:|\n";
  head += "| identical | " + std::to_string(report.count(DiffStatus::kIdentical)) + " |\n";
  head += "| modified | " + std::to_string(report.count(DiffStatus::kModified)) + " |\n";
  if (words.mode == "builds") {
    head += "| dependency changed | " +
            std::to_string(report.count(DiffStatus::kDependencyChanged)) + " |\n";
  }
  head += "| " + words.left_only + " (" + words.left_only_note + ") | " +
          std::to_string(report.count(DiffStatus::kLeftOnly)) + " |\n";
  head += "| " + words.right_only + " (" + words.right_only_note + ") | " +
          std::to_string(report.count(DiffStatus::kRightOnly)) + " |\n";
  if (!report.foreign_elements.empty()) {
    head += "| also present (owned by another manager; not drift) | " +
            std::to_string(report.foreign_elements.size()) + " |\n";
  }
  b.out = head;

  const size_t modified = report.count(DiffStatus::kModified);
  b.heading = "\n#### ~ modified\n";
  for (const ResourceDiff& r : report.resources) {
    if (r.status != DiffStatus::kModified) continue;
    b.add([&] { return modified_block(r, words, modified <= 3); }, true);
  }
  auto list = [&](DiffStatus status, const std::string& title) {
    b.heading = "\n#### " + title + "\n\n";
    for (const ResourceDiff& r : report.resources) {
      if (r.status == status) b.add([&] { return list_item(r); }, true);
    }
  };
  list(DiffStatus::kDependencyChanged, "* only a dependency changed");
  list(DiffStatus::kLeftOnly, "+ " + words.left_only + " (" + words.left_only_note + ")");
  list(DiffStatus::kRightOnly, "- " + words.right_only + " (" + words.right_only_note + ")");
  b.heading =
      "\n#### Also present, owned by another manager (kix deploy leaves them; not drift)\n\n";
  for (const ForeignElement& e : report.foreign_elements) {
    b.add(
        [&] {
          return "- " + markdown_cell_code(e.id.display()) + " " + markdown_cell_code(e.path) +
                 " (" + markdown_cell_code(key_text(e.key)) + "), owned by " +
                 markdown_cell_code(managers_text(e.managers)) + "\n";
        },
        false);
  }
  b.heading = "\n#### Secrets compared without their values (their secret key is not here)\n\n";
  for (const ResourceId& id : report.unverified_secrets) {
    b.add([&] { return "- " + markdown_cell_code(id.display()) + "\n"; }, false);
  }
  if (b.closed) {
    b.out += "\n**" + std::to_string(b.left_out) +
             (b.left_out == 1 ? " more resource" : " more resources") +
             " — see the JSON artifact**";
    if (b.left_out_other > 0) {
      b.out += " (and " + std::to_string(b.left_out_other) +
               " more lines on elements also present or Secrets compared without values)";
    }
    b.out +=
        " `--format json` lists every change; this comment stops below GitHub's "
        "65,536-character limit.\n";
  }
  if (!report.has_differences()) b.out += "\nNo differences.\n";
  return b.out;
}

}  // namespace kix::cli
