#include "compiler/template.h"

#include <algorithm>

namespace kix::compiler {

SourceLocation TemplateSource::locate(const std::string& relative_pointer) const {
  if (doc == nullptr) return {};
  return doc->locate(pointer + relative_pointer);
}

namespace {

// One piece of a string: literal text or an expression.
struct Piece {
  bool expression = false;
  std::string text;
};

// Finds the '}' that closes the expression starting at `start` (just after
// "${"), skipping braces inside string literals and nested map literals.
size_t closing_brace(const std::string& s, size_t start) {
  int depth = 0;
  char quote = 0;
  for (size_t i = start; i < s.size(); ++i) {
    char c = s[i];
    if (quote != 0) {
      if (c == '\\') {
        ++i;
      } else if (c == quote) {
        quote = 0;
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '{') {
      ++depth;
    } else if (c == '}') {
      if (depth == 0) return i;
      --depth;
    }
  }
  return std::string::npos;
}

// Splits a string into literal text and expressions. Sets *unterminated
// (and returns what came before) when a `${` has no closing brace.
std::vector<Piece> split_pieces(const std::string& s, bool* unterminated) {
  std::vector<Piece> pieces;
  std::string literal;
  size_t i = 0;
  *unterminated = false;
  while (i < s.size()) {
    if (s.compare(i, 3, "$${") == 0) {
      literal += "${";
      i += 3;
    } else if (s.compare(i, 2, "${") == 0) {
      size_t end = closing_brace(s, i + 2);
      if (end == std::string::npos) {
        *unterminated = true;
        return pieces;
      }
      if (!literal.empty()) pieces.push_back({false, std::move(literal)});
      literal.clear();
      pieces.push_back({true, s.substr(i + 2, end - i - 2)});
      i = end + 1;
    } else {
      literal += s[i++];
    }
  }
  if (!literal.empty()) pieces.push_back({false, std::move(literal)});
  return pieces;
}

class Renderer {
 public:
  Renderer(const TemplateSource& source, const Scope& scope, std::vector<Interpolation>* records)
      : source_(source), scope_(scope), records_(records) {}

  // Renders the node at `pointer` (relative to the template root) into
  // `out`, filling `tree` with the provenance of what it interpolated.
  void render(const Json& node, const std::string& pointer, Json& out, ProvenanceTree& tree) {
    if (node.is_string()) {
      Value v = string(node.get<std::string>(), pointer);
      out = std::move(v.json);
      tree.self = v.all();
      return;
    }
    if (node.is_object()) {
      out = Json::object();
      for (const auto& [key, child] : node.items()) {
        std::string child_pointer = pointer + "/" + json_pointer_escape(key);
        std::string rendered_key = key;
        Provenance key_prov;
        if (has_expression(key)) {
          Value k = string(key, child_pointer);
          if (!k.json.is_string()) {
            throw Error(ErrorKind::kInvalidInput,
                        "a map key must render to a string, not " + a_type(k.json),
                        source_.locate(child_pointer));
          }
          rendered_key = k.json.get<std::string>();
          key_prov = k.all();
        }
        ProvenanceTree child_tree;
        Json rendered;
        render(child, child_pointer, rendered, child_tree);
        // A field whose whole expression is null is left out, so templates
        // can make a field optional.
        if (child.is_string() && rendered.is_null()) continue;
        if (out.contains(rendered_key)) {
          // Silently keeping one of the two would lose a value the author wrote.
          throw Error(ErrorKind::kInvalidInput,
                      "two keys of this map render to '" + rendered_key + "'",
                      source_.locate(child_pointer),
                      "make the keys distinct (an interpolated key must not repeat another key)");
        }
        // A key taken from a dependency makes the entry depend on it too.
        merge_provenance(child_tree.self, key_prov);
        out[rendered_key] = std::move(rendered);
        if (!child_tree.empty()) tree.children[rendered_key] = std::move(child_tree);
      }
      return;
    }
    if (node.is_array()) {
      out = Json::array();
      for (size_t i = 0; i < node.size(); ++i) {
        ProvenanceTree child_tree;
        Json rendered;
        render(node[i], pointer + "/" + std::to_string(i), rendered, child_tree);
        // Likewise a list item whose whole expression is null.
        if (node[i].is_string() && rendered.is_null()) continue;
        if (!child_tree.empty()) tree.children[std::to_string(out.size())] = std::move(child_tree);
        out.push_back(std::move(rendered));
      }
      return;
    }
    out = node;
  }

 private:
  Value string(const std::string& text, const std::string& pointer) {
    bool unterminated = false;
    std::vector<Piece> pieces = split_pieces(text, &unterminated);
    ExprSite site{source_.locate(pointer), {}};
    if (unterminated) {
      throw Error(ErrorKind::kInvalidInput, "unterminated '${' in template string", site.where,
                  "close the expression with '}', or write '$${' for a literal '${'");
    }
    if (pieces.size() == 1 && pieces[0].expression) {
      site.text = pieces[0].text;
      Value v = evaluate_text(site.text, scope_, site);
      record(pointer, site.text, v.all());
      return v;
    }
    Value out(std::string{});
    std::string s;
    for (const auto& piece : pieces) {
      if (!piece.expression) {
        s += piece.text;
        continue;
      }
      site.text = piece.text;
      Value v = evaluate_text(site.text, scope_, site);
      record(pointer, site.text, v.all());
      s += to_interpolated_string(v.json);
      merge_provenance(out.prov, v.all());
    }
    out.json = std::move(s);
    return out;
  }

  void record(const std::string& pointer, const std::string& expression, const Provenance& prov) {
    if (records_ != nullptr) records_->push_back({pointer, expression, prov});
  }

  const TemplateSource& source_;
  const Scope& scope_;
  std::vector<Interpolation>* records_;
};

}  // namespace

Value render_template(const Json& tmpl, const TemplateSource& source, const Scope& scope,
                      std::vector<Interpolation>* records) {
  Value out;
  auto tree = std::make_shared<ProvenanceTree>();
  Renderer(source, scope, records).render(tmpl, "", out.json, *tree);
  out.prov = std::move(tree->self);
  tree->self.clear();
  if (!tree->empty()) out.parts = std::move(tree);
  return out;
}

bool has_expression(const std::string& text) {
  for (size_t i = text.find("${"); i != std::string::npos; i = text.find("${", i + 2)) {
    if (i == 0 || text[i - 1] != '$') return true;
  }
  return false;
}

namespace {

// A byte of an identifier: ASCII letters, digits and '_' (regex's \w).
bool is_word_byte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

}  // namespace

bool is_identifier(std::string_view text) {
  return !text.empty() && !(text[0] >= '0' && text[0] <= '9') &&
         std::all_of(text.begin(), text.end(), is_word_byte);
}

// Scanned by hand: std::regex took longer to compile than the whole of a
// small build's package loading.
void collect_resource_uses(std::string_view expr, std::set<std::string>& uses) {
  static constexpr std::string_view kPrefix = "resources.";
  size_t at = expr.find(kPrefix);
  while (at != std::string_view::npos) {
    const size_t begin = at + kPrefix.size();
    size_t end = begin;
    const bool starts_word = at == 0 || !is_word_byte(expr[at - 1]);
    if (starts_word && end < expr.size() && is_word_byte(expr[end]) &&
        !(expr[end] >= '0' && expr[end] <= '9')) {
      while (end < expr.size() && is_word_byte(expr[end])) ++end;
      uses.emplace(expr.substr(begin, end - begin));
      at = expr.find(kPrefix, end);  // matches do not overlap
    } else {
      at = expr.find(kPrefix, at + 1);
    }
  }
}

std::vector<std::string> expressions_in(const std::string& text, bool* unterminated) {
  bool open = false;
  std::vector<std::string> out;
  for (auto& piece : split_pieces(text, &open)) {
    if (piece.expression) out.push_back(std::move(piece.text));
  }
  if (unterminated != nullptr) *unterminated = open;
  return out;
}

std::string condition_text(const std::string& raw) {
  auto exprs = expressions_in(raw);
  if (exprs.size() == 1 && raw.size() == exprs[0].size() + 3) return exprs[0];
  return raw;
}

}  // namespace kix::compiler
