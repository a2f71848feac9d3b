#include "cli/diff_markdown.h"

#include <algorithm>
#include <functional>

#include "util/line_diff.h"
#include "util/markdown.h"

namespace kix::cli {

namespace {

// `text` as a code span inside a table cell: fenced with more backticks
// than it holds (so a backtick in a value shows as itself), pipes escaped
// (GitHub splits cells at them even inside code), line breaks as spaces.
std::string md_code(const std::string& text) {
  std::string body;
  for (char ch : text) {
    if (ch == '|') {
      body += "\\|";
    } else if (ch == '\n' || ch == '\r') {
      body += ' ';
    } else {
      body += ch;
    }
  }
  return markdown_code(body);
}

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
  return md_code(f.path) + ":\n\n" + fence + "diff\n" + hunks + fence + "\n";
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
    table += "| " + md_code(f.path) + " | " +
             (f.secret ? "*(secret, differs)*" : md_code(value_text(f.before))) + " | " +
             (f.secret ? "*(secret, differs)*" : md_code(value_text(f.after))) + " |\n";
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
  std::string out = "- " + md_code(r.id.display());
  if (!r.dependencies.empty()) {
    std::string deps;
    for (const auto& d : r.dependencies) deps += (deps.empty() ? "" : ", ") + d;
    out += " (changed: " + deps + ")";
  }
  if (!r.orphaned.empty()) out += " (orphaned by kix, " + md_code(r.orphaned) + ")";
  return out + "\n";
}

// Appends blocks in order while they fit below the limit, keeping room for
// the last line. A section's heading goes in with its first block, so no
// heading stands alone; once a block does not fit, nothing more is added
// (or even made: blocks are made by `make` only when they can still go in),
// and the resources and other lines left out are counted.
struct Budget {
  std::string out;
  size_t limit = 0;
  bool closed = false;
  std::string heading;        // goes in with the next block
  size_t left_out = 0;        // resources
  size_t left_out_other = 0;  // also-present elements, unverified Secrets
  static constexpr size_t kLastLineRoom = 300;

  void add(const std::function<std::string()>& make, bool resource) {
    if (!closed) {
      std::string text = heading + make();
      if (out.size() + text.size() + kLastLineRoom <= limit) {
        out += text;
        heading.clear();
        return;
      }
      closed = true;
    }
    ++(resource ? left_out : left_out_other);
  }
};

}  // namespace

std::string diff_markdown(const DiffReport& report, const std::string& left,
                          const std::string& right, const Vocabulary& words, size_t limit) {
  Budget b;
  b.limit = limit;
  std::string head = "### kix diff: " + md_code(left) + " vs " + md_code(right) + "\n\n";
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
          return "- " + md_code(e.id.display()) + " " + md_code(e.path) + " (" +
                 md_code(key_text(e.key)) + "), owned by " + md_code(managers_text(e.managers)) +
                 "\n";
        },
        false);
  }
  b.heading = "\n#### Secrets compared without their values (their secret key is not here)\n\n";
  for (const ResourceId& id : report.unverified_secrets) {
    b.add([&] { return "- " + md_code(id.display()) + "\n"; }, false);
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
