#include "compiler/expression.h"

#include <algorithm>
#include <cctype>

namespace kix::compiler {

namespace {

struct Token {
  enum class Type { kEnd, kNumber, kString, kIdent, kPunct };
  Type type = Type::kEnd;
  std::string text;  // identifier, punctuation, or decoded string
  Json number;
  size_t offset = 0;
};

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  Token next() {
    skip_space();
    Token t;
    t.offset = pos_;
    if (pos_ >= text_.size()) return t;
    char c = text_[pos_];
    if (std::isdigit(static_cast<unsigned char>(c))) return number(t);
    if (c == '\'' || c == '"') return string(t, c);
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t start = pos_;
      while (pos_ < text_.size() &&
             (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_')) {
        ++pos_;
      }
      t.type = Token::Type::kIdent;
      t.text = std::string(text_.substr(start, pos_ - start));
      return t;
    }
    static constexpr std::string_view kTwoChar[] = {"&&", "||", "==", "!=", "<=", ">="};
    for (auto op : kTwoChar) {
      if (text_.substr(pos_, 2) == op) {
        pos_ += 2;
        t.type = Token::Type::kPunct;
        t.text = std::string(op);
        return t;
      }
    }
    if (std::string_view("+-*/%<>!?:.,()[]{}").find(c) != std::string_view::npos) {
      ++pos_;
      t.type = Token::Type::kPunct;
      t.text = std::string(1, c);
      return t;
    }
    throw ExprSyntaxError{std::string("unexpected character '") + c + "'", pos_};
  }

 private:
  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }

  Token number(Token& t) {
    size_t start = pos_;
    bool is_float = false;
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (std::isdigit(static_cast<unsigned char>(c))) {
        ++pos_;
      } else if (c == '.' && pos_ + 1 < text_.size() &&
                 std::isdigit(static_cast<unsigned char>(text_[pos_ + 1]))) {
        is_float = true;
        ++pos_;
      } else if ((c == 'e' || c == 'E') && pos_ + 1 < text_.size()) {
        is_float = true;
        ++pos_;
        if (text_[pos_] == '+' || text_[pos_] == '-') ++pos_;
      } else {
        break;
      }
    }
    std::string digits(text_.substr(start, pos_ - start));
    t.type = Token::Type::kNumber;
    try {
      if (is_float) {
        t.number = std::stod(digits);
      } else {
        t.number = std::stoll(digits);
      }
    } catch (const std::exception&) {
      throw ExprSyntaxError{"number out of range: " + digits, start};
    }
    return t;
  }

  Token string(Token& t, char quote) {
    size_t start = pos_++;
    std::string out;
    while (true) {
      if (pos_ >= text_.size()) throw ExprSyntaxError{"unterminated string", start};
      char c = text_[pos_++];
      if (c == quote) break;
      if (c == '\\') {
        if (pos_ >= text_.size()) throw ExprSyntaxError{"unterminated string", start};
        char e = text_[pos_++];
        switch (e) {
          case 'n':
            out += '\n';
            break;
          case 't':
            out += '\t';
            break;
          case '\\':
            out += '\\';
            break;
          case '\'':
            out += '\'';
            break;
          case '"':
            out += '"';
            break;
          case '$':
            out += '$';
            break;
          default:
            throw ExprSyntaxError{std::string("unknown escape '\\") + e + "'", pos_ - 2};
        }
        continue;
      }
      out += c;
    }
    t.type = Token::Type::kString;
    t.text = std::move(out);
    return t;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

class Parser {
 public:
  explicit Parser(std::string_view text) : lexer_(text) { advance(); }

  std::unique_ptr<Expr> parse_all() {
    auto e = conditional();
    if (tok_.type != Token::Type::kEnd) fail("unexpected '" + tok_.text + "' after expression");
    return e;
  }

 private:
  using Ptr = std::unique_ptr<Expr>;

  [[noreturn]] void fail(const std::string& message) {
    throw ExprSyntaxError{message, tok_.offset};
  }

  void advance() { tok_ = lexer_.next(); }
  bool is(std::string_view punct) const {
    return tok_.type == Token::Type::kPunct && tok_.text == punct;
  }
  bool accept(std::string_view punct) {
    if (!is(punct)) return false;
    advance();
    return true;
  }
  void expect(std::string_view punct) {
    if (!accept(punct)) {
      fail(std::string("expected '") + std::string(punct) + "'" +
           (tok_.type == Token::Type::kEnd ? " before the end of the expression"
                                           : " but found '" + tok_.text + "'"));
    }
  }

  static Ptr node(Expr::Kind kind, size_t offset, std::string name = {}) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->offset = offset;
    e->name = std::move(name);
    return e;
  }
  static Ptr binary(std::string op, Ptr lhs, Ptr rhs, size_t offset) {
    auto e = node(Expr::Kind::kBinary, offset, std::move(op));
    e->args.push_back(std::move(lhs));
    e->args.push_back(std::move(rhs));
    return e;
  }

  // Nesting guard: every recursion through parentheses, lists, maps,
  // arguments or unary operators passes through here.
  struct DepthGuard {
    Parser& p;
    explicit DepthGuard(Parser& parser) : p(parser) {
      if (++p.depth_ > kMaxDepth) p.fail("expression nested too deeply (more than 64 levels)");
    }
    ~DepthGuard() { --p.depth_; }
  };
  static constexpr int kMaxDepth = 64;

  Ptr conditional() {
    DepthGuard guard(*this);
    auto cond = logical_or();
    if (!is("?")) return cond;
    size_t at = tok_.offset;
    advance();
    auto yes = conditional();
    expect(":");
    auto no = conditional();
    auto e = node(Expr::Kind::kConditional, at);
    e->args.push_back(std::move(cond));
    e->args.push_back(std::move(yes));
    e->args.push_back(std::move(no));
    return e;
  }

  Ptr logical_or() {
    auto lhs = logical_and();
    while (is("||")) {
      size_t at = tok_.offset;
      advance();
      lhs = binary("||", std::move(lhs), logical_and(), at);
    }
    return lhs;
  }

  Ptr logical_and() {
    auto lhs = relation();
    while (is("&&")) {
      size_t at = tok_.offset;
      advance();
      lhs = binary("&&", std::move(lhs), relation(), at);
    }
    return lhs;
  }

  Ptr relation() {
    auto lhs = additive();
    while (true) {
      bool is_in = tok_.type == Token::Type::kIdent && tok_.text == "in";
      if (!is_in && !is("==") && !is("!=") && !is("<") && !is("<=") && !is(">") && !is(">=")) {
        return lhs;
      }
      std::string op = tok_.text;
      size_t at = tok_.offset;
      advance();
      lhs = binary(op, std::move(lhs), additive(), at);
    }
  }

  Ptr additive() {
    auto lhs = multiplicative();
    while (is("+") || is("-")) {
      std::string op = tok_.text;
      size_t at = tok_.offset;
      advance();
      lhs = binary(op, std::move(lhs), multiplicative(), at);
    }
    return lhs;
  }

  Ptr multiplicative() {
    auto lhs = unary();
    while (is("*") || is("/") || is("%")) {
      std::string op = tok_.text;
      size_t at = tok_.offset;
      advance();
      lhs = binary(op, std::move(lhs), unary(), at);
    }
    return lhs;
  }

  Ptr unary() {
    if (is("!") || is("-")) {
      DepthGuard guard(*this);
      std::string op = tok_.text;
      size_t at = tok_.offset;
      advance();
      auto e = node(Expr::Kind::kUnary, at, op);
      e->args.push_back(unary());
      return e;
    }
    return postfix(primary());
  }

  Ptr postfix(Ptr e) {
    while (true) {
      size_t at = tok_.offset;
      if (accept(".")) {
        if (tok_.type != Token::Type::kIdent) fail("expected a field name after '.'");
        std::string name = tok_.text;
        advance();
        if (is("(")) {
          auto call = node(Expr::Kind::kCall, at, name);
          call->method = true;
          call->args.push_back(std::move(e));
          arguments(*call);
          e = std::move(call);
        } else {
          auto member = node(Expr::Kind::kMember, at, name);
          member->args.push_back(std::move(e));
          e = std::move(member);
        }
      } else if (accept("[")) {
        auto index = node(Expr::Kind::kIndex, at);
        index->args.push_back(std::move(e));
        index->args.push_back(conditional());
        expect("]");
        e = std::move(index);
      } else {
        return e;
      }
    }
  }

  void arguments(Expr& call) {
    expect("(");
    if (accept(")")) return;
    do {
      call.args.push_back(conditional());
    } while (accept(","));
    expect(")");
  }

  Ptr primary() {
    size_t at = tok_.offset;
    switch (tok_.type) {
      case Token::Type::kNumber: {
        auto e = node(Expr::Kind::kLiteral, at);
        e->literal = tok_.number;
        advance();
        return e;
      }
      case Token::Type::kString: {
        auto e = node(Expr::Kind::kLiteral, at);
        e->literal = tok_.text;
        advance();
        return e;
      }
      case Token::Type::kIdent:
        return identifier(at);
      case Token::Type::kEnd:
        fail("expected a value before the end of the expression");
      case Token::Type::kPunct:
        break;
    }
    if (accept("(")) {
      auto e = conditional();
      expect(")");
      return e;
    }
    if (accept("[")) {
      auto e = node(Expr::Kind::kList, at);
      if (!accept("]")) {
        do {
          if (is("]")) break;  // trailing comma
          e->args.push_back(conditional());
        } while (accept(","));
        expect("]");
      }
      return e;
    }
    if (accept("{")) {
      auto e = node(Expr::Kind::kMap, at);
      if (!accept("}")) {
        do {
          if (is("}")) break;
          e->args.push_back(conditional());
          expect(":");
          e->args.push_back(conditional());
        } while (accept(","));
        expect("}");
      }
      return e;
    }
    fail("unexpected '" + tok_.text + "'");
  }

  Ptr identifier(size_t at) {
    std::string name = tok_.text;
    advance();
    if (name == "true" || name == "false" || name == "null") {
      auto e = node(Expr::Kind::kLiteral, at);
      e->literal = name == "null" ? Json(nullptr) : Json(name == "true");
      return e;
    }
    if (is("(")) {
      auto call = node(Expr::Kind::kCall, at, name);
      arguments(*call);
      return call;
    }
    return node(Expr::Kind::kIdent, at, name);
  }

  Lexer lexer_;
  Token tok_;
  int depth_ = 0;
};

int precedence(const Expr& e) {
  switch (e.kind) {
    case Expr::Kind::kConditional:
      return 1;
    case Expr::Kind::kBinary:
      if (e.name == "||") return 2;
      if (e.name == "&&") return 3;
      if (e.name == "+" || e.name == "-") return 5;
      if (e.name == "*" || e.name == "/" || e.name == "%") return 6;
      return 4;  // relations
    case Expr::Kind::kUnary:
      return 7;
    default:
      return 8;
  }
}

std::string wrapped(const Expr& e, int min_precedence) {
  std::string s = to_source(e);
  return precedence(e) < min_precedence ? "(" + s + ")" : s;
}

}  // namespace

std::unique_ptr<Expr> parse_expression(std::string_view text) {
  return Parser(text).parse_all();
}

namespace {

bool is_macro(const Expr& e) {
  return e.kind == Expr::Kind::kCall && e.method &&
         (e.name == "exists" || e.name == "all" || e.name == "map" || e.name == "filter" ||
          e.name == "exists_one") &&
         e.args.size() == 3 && e.args[1]->kind == Expr::Kind::kIdent;
}

void collect_free_names(const Expr& e, std::vector<std::string>& bound,
                        std::vector<std::string>& out) {
  if (e.kind == Expr::Kind::kIdent) {
    if (std::find(bound.begin(), bound.end(), e.name) == bound.end()) out.push_back(e.name);
    return;
  }
  if (is_macro(e)) {
    collect_free_names(*e.args[0], bound, out);
    bound.push_back(e.args[1]->name);
    collect_free_names(*e.args[2], bound, out);
    bound.pop_back();
    return;
  }
  for (const auto& a : e.args) collect_free_names(*a, bound, out);
}

}  // namespace

std::vector<std::string> free_names(const Expr& expr) {
  std::vector<std::string> bound;
  std::vector<std::string> out;
  collect_free_names(expr, bound, out);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string to_source(const Expr& e) {
  switch (e.kind) {
    case Expr::Kind::kLiteral:
      if (!e.literal.is_string()) return e.literal.dump();
      {
        // Escaped as the parser reads them, so the text parses back to
        // the same string (the expression fuzzer checks it).
        std::string quoted(1, '\'');
        for (char c : e.literal.get_ref<const std::string&>()) {
          switch (c) {
            case '\\':
              quoted += "\\\\";
              break;
            case '\'':
              quoted += "\\'";
              break;
            case '\n':
              quoted += "\\n";
              break;
            case '\t':
              quoted += "\\t";
              break;
            default:
              quoted += c;
          }
        }
        quoted += '\'';
        return quoted;
      }
    case Expr::Kind::kIdent:
      return e.name;
    case Expr::Kind::kMember:
      return wrapped(*e.args[0], 8) + "." + e.name;
    case Expr::Kind::kIndex:
      return wrapped(*e.args[0], 8) + "[" + to_source(*e.args[1]) + "]";
    case Expr::Kind::kCall: {
      std::string s;
      size_t first = 0;
      if (e.method) {
        s = wrapped(*e.args[0], 8) + ".";
        first = 1;
      }
      s += e.name + "(";
      for (size_t i = first; i < e.args.size(); ++i) {
        if (i > first) s += ", ";
        s += to_source(*e.args[i]);
      }
      return s + ")";
    }
    case Expr::Kind::kUnary:
      return e.name + wrapped(*e.args[0], 7);
    case Expr::Kind::kBinary: {
      int p = precedence(e);
      return wrapped(*e.args[0], p) + " " + e.name + " " + wrapped(*e.args[1], p + 1);
    }
    case Expr::Kind::kConditional:
      return wrapped(*e.args[0], 2) + " ? " + to_source(*e.args[1]) + " : " + to_source(*e.args[2]);
    case Expr::Kind::kList: {
      std::string s = "[";
      for (size_t i = 0; i < e.args.size(); ++i) s += (i ? ", " : "") + to_source(*e.args[i]);
      return s + "]";
    }
    case Expr::Kind::kMap: {
      std::string s = "{";
      for (size_t i = 0; i + 1 < e.args.size(); i += 2) {
        s += (i ? ", " : "") + to_source(*e.args[i]) + ": " + to_source(*e.args[i + 1]);
      }
      return s + "}";
    }
  }
  return {};
}

}  // namespace kix::compiler
