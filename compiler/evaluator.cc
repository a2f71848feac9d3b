#include "compiler/evaluator.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <regex>
#include <unordered_map>

#include "manifest/quantity.h"
#include "util/suggest.h"

namespace kix::compiler {

const Value* MapScope::find(const std::string& name) const {
  auto it = vars_.find(name);
  if (it != vars_.end()) return &it->second;
  return parent_ != nullptr ? parent_->find(name) : nullptr;
}

std::vector<std::string> MapScope::names() const {
  std::vector<std::string> out = parent_ != nullptr ? parent_->names() : std::vector<std::string>{};
  for (const auto& [name, value] : vars_) out.push_back(name);
  return out;
}

std::string to_interpolated_string(const Json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_number_float()) {
    double d = j.get<double>();
    if (std::floor(d) == d && std::fabs(d) < 1e15) return std::to_string(static_cast<int64_t>(d));
    return canonical_number(d);
  }
  return j.dump();
}

namespace {

// A pattern of matches(), compiled once per thread: a check in a package is
// evaluated for every instance, and compiling a std::regex costs far more
// than matching it. Throws std::regex_error for an invalid pattern (not
// cached, so every use reports it). Bounded like the expression cache.
const std::regex& compiled_regex(const std::string& pattern) {
  constexpr size_t kMaxCachedPatterns = 1024;
  thread_local std::unordered_map<std::string, std::unique_ptr<const std::regex>> compiled;
  auto found = compiled.find(pattern);
  if (found == compiled.end()) {
    auto regex = std::make_unique<const std::regex>(pattern, std::regex::ECMAScript);
    if (compiled.size() >= kMaxCachedPatterns) compiled.clear();
    found = compiled.emplace(pattern, std::move(regex)).first;
  }
  return *found->second;
}

class Evaluator {
 public:
  Evaluator(const ExprSite& site) : site_(site) {}

  Value eval(const Expr& e, const Scope& scope) {
    switch (e.kind) {
      case Expr::Kind::kLiteral:
        return Value(e.literal);
      case Expr::Kind::kIdent:
        return identifier(e, scope);
      case Expr::Kind::kMember:
        return member_path(e, scope);
      case Expr::Kind::kIndex:
        return index(e, scope);
      case Expr::Kind::kCall:
        return call(e, scope);
      case Expr::Kind::kUnary:
        return unary(e, scope);
      case Expr::Kind::kBinary:
        return binary(e, scope);
      case Expr::Kind::kConditional: {
        Value cond = eval(*e.args[0], scope);
        Value out = eval(*e.args[truthy(cond, site_) ? 1 : 2], scope);
        merge_provenance(out.prov, cond.all());
        return out;
      }
      case Expr::Kind::kList: {
        Value out(Json::array());
        auto tree = std::make_shared<ProvenanceTree>();
        for (size_t i = 0; i < e.args.size(); ++i) {
          Value item = eval(*e.args[i], scope);
          out.json.push_back(item.json);
          tree->children[std::to_string(i)].self = item.all();
        }
        out.parts = std::move(tree);
        return out;
      }
      case Expr::Kind::kMap: {
        Value out(Json::object());
        auto tree = std::make_shared<ProvenanceTree>();
        for (size_t i = 0; i + 1 < e.args.size(); i += 2) {
          Value key = eval(*e.args[i], scope);
          if (!key.json.is_string()) fail("map keys must be strings, not " + a_type(key.json));
          Value item = eval(*e.args[i + 1], scope);
          std::string k = key.json.get<std::string>();
          out.json[k] = item.json;
          tree->children[k].self = item.all();
          merge_provenance(tree->children[k].self, key.all());
        }
        out.parts = std::move(tree);
        return out;
      }
    }
    fail("unsupported expression");
  }

 private:
  [[noreturn]] void fail(const std::string& message, ErrorKind kind = ErrorKind::kInvalidInput,
                         std::string hint = {}) const {
    std::string h = "in: ${" + site_.text + "}";
    if (!hint.empty()) h = hint + "\n" + h;
    throw Error(kind, message, site_.where, h);
  }

  Value identifier(const Expr& e, const Scope& scope) {
    const Value* v = scope.find(e.name);
    if (v == nullptr) {
      fail("unknown name '" + e.name + "'", ErrorKind::kNotFound,
           did_you_mean(e.name, scope.names()));
    }
    return *v;
  }

  // `a.b.c` where `a` is a name in scope: walked by reference, so that only
  // the part at the end is copied. Evaluating `a` first copied all of it (a
  // package's whole config, or every resource of the instance) for every
  // attribute read. The result, provenance included, is what member() of
  // the evaluated object gives, and so is every error (member() reports it).
  Value member_path(const Expr& e, const Scope& scope) {
    std::vector<const Expr*> steps;  // outermost first
    const Expr* base = &e;
    while (base->kind == Expr::Kind::kMember) {
      steps.push_back(base);
      base = base->args[0].get();
    }
    if (base->kind != Expr::Kind::kIdent || scope.find(base->name) == nullptr) {
      return member(e, eval(*e.args[0], scope));
    }
    const Value& root = *scope.find(base->name);
    const Json* json = &root.json;
    Provenance prov = root.prov;
    const ProvenanceTree* parts = root.parts.get();
    for (auto step = steps.rbegin(); step != steps.rend(); ++step) {
      const Json::const_iterator found =
          json->is_object() ? json->find((*step)->name) : json->cend();
      if (!json->is_object() || found == json->cend()) {
        Value object(*json, prov);
        if (parts != nullptr)
          object.parts = std::shared_ptr<const ProvenanceTree>(root.parts, parts);
        return member(**step, object);  // throws: the attribute is missing
      }
      json = &*found;
      if (parts != nullptr) {
        auto child = parts->children.find((*step)->name);
        if (child == parts->children.end()) {
          parts = nullptr;
        } else {
          merge_provenance(prov, child->second.self);
          parts = child->second.children.empty() ? nullptr : &child->second;
        }
      }
    }
    Value out(*json, std::move(prov));
    // Aliasing constructor: the part's tree lives as long as the root's.
    if (parts != nullptr) out.parts = std::shared_ptr<const ProvenanceTree>(root.parts, parts);
    return out;
  }

  Value member(const Expr& e, const Value& object) {
    if (object.json.is_object()) {
      auto it = object.json.find(e.name);
      if (it != object.json.end()) return object.child(e.name, *it);
      std::vector<std::string> keys;
      for (const auto& [k, unused] : object.json.items()) keys.push_back(k);
      std::string hint = did_you_mean(e.name, keys);
      if (hint.empty())
        hint = keys.empty() ? "it has no attributes" : "it has: " + join_names(keys);
      // The location is part of the message: this is the one error users
      // see most when packages and their consumers disagree on `out`.
      throw Error(ErrorKind::kNotFound,
                  "attribute '" + e.name + "' missing at " + site_.where.file + ":" +
                      std::to_string(site_.where.line) + " in: " + to_source(e),
                  {}, hint);
    }
    if (object.json.is_null()) {
      fail("cannot read attribute '" + e.name + "' of null in: " + to_source(e),
           ErrorKind::kNotFound,
           "an optional need that was not resolved is null; test it first, e.g. `x != null ? "
           "x.out.y : ...`");
    }
    fail("cannot read attribute '" + e.name + "' of " + a_type(object.json) +
         " in: " + to_source(e));
  }

  Value index(const Expr& e, const Scope& scope) {
    Value object = eval(*e.args[0], scope);
    Value key = eval(*e.args[1], scope);
    Value out;
    if (object.json.is_array() && key.json.is_number_integer()) {
      int64_t i = key.json.get<int64_t>();
      int64_t n = static_cast<int64_t>(object.json.size());
      if (i < 0) i += n;
      if (i < 0 || i >= n)
        fail("index " + key.json.dump() + " out of range for a list of " + std::to_string(n) +
             " in: " + to_source(e));
      out = object.child(std::to_string(i), object.json[static_cast<size_t>(i)]);
    } else if (object.json.is_object() && key.json.is_string()) {
      std::string k = key.json.get<std::string>();
      auto it = object.json.find(k);
      if (it == object.json.end()) {
        throw Error(ErrorKind::kNotFound, "attribute '" + k + "' missing at " + site_.where.file +
                                              ":" + std::to_string(site_.where.line) +
                                              " in: " + to_source(e));
      }
      out = object.child(k, *it);
    } else {
      fail("cannot index " + a_type(object.json) + " with " + a_type(key.json) +
           " in: " + to_source(e));
    }
    merge_provenance(out.prov, key.all());
    return out;
  }

  Value unary(const Expr& e, const Scope& scope) {
    Value v = eval(*e.args[0], scope);
    Provenance p = v.all();
    if (e.name == "!") return Value(!truthy(v, site_), p);
    if (v.json.is_number_integer()) {
      // INT64_MIN and unsigned values above INT64_MAX have no int64 negation.
      bool overflow = v.json.is_number_unsigned() ? v.json.get<uint64_t>() > uint64_t{INT64_MAX}
                                                  : v.json.get<int64_t>() == INT64_MIN;
      if (overflow) fail("integer overflow in '-'");
      return Value(-v.json.get<int64_t>(), p);
    }
    if (v.json.is_number()) return Value(-v.json.get<double>(), p);
    fail("cannot negate " + a_type(v.json));
  }

  static Provenance both(const Value& a, const Value& b) {
    Provenance p = a.all();
    merge_provenance(p, b.all());
    return p;
  }

  Value binary(const Expr& e, const Scope& scope) {
    const std::string& op = e.name;
    Value lhs = eval(*e.args[0], scope);
    if (op == "&&" || op == "||") {
      bool l = truthy(lhs, site_);
      // Short circuit: the right side is not evaluated (and may be invalid).
      if (op == "&&" ? !l : l) return Value(l, lhs.all());
      Value rhs = eval(*e.args[1], scope);
      return Value(truthy(rhs, site_), both(lhs, rhs));
    }
    Value rhs = eval(*e.args[1], scope);
    Provenance p = both(lhs, rhs);
    if (op == "==") return Value(lhs.json == rhs.json, p);
    if (op == "!=") return Value(lhs.json != rhs.json, p);
    if (op == "in") return Value(contains(rhs.json, lhs.json), p);
    if (op == "<" || op == "<=" || op == ">" || op == ">=")
      return Value(compare(op, lhs.json, rhs.json), p);
    return Value(arithmetic(op, lhs.json, rhs.json), p);
  }

  bool contains(const Json& container, const Json& item) {
    if (container.is_array())
      return std::find(container.begin(), container.end(), item) != container.end();
    if (container.is_object()) {
      if (!item.is_string()) fail("'in' on a map needs a string key, not " + a_type(item));
      return container.contains(item.get<std::string>());
    }
    if (container.is_string() && item.is_string()) {
      return container.get<std::string>().find(item.get<std::string>()) != std::string::npos;
    }
    fail("'in' needs a list, map or string on its right, not " + a_type(container));
  }

  bool compare(const std::string& op, const Json& a, const Json& b) {
    int c = 0;
    if (a.is_number() && b.is_number()) {
      double x = a.get<double>(), y = b.get<double>();
      c = x < y ? -1 : (x > y ? 1 : 0);
    } else if (a.is_string() && b.is_string()) {
      c = a.get<std::string>().compare(b.get<std::string>());
    } else {
      fail("operator '" + op + "' cannot compare " + a_type(a) + " with " + a_type(b),
           ErrorKind::kInvalidInput,
           a.is_string() || b.is_string()
               ? "to compare sizes such as 10Gi, use quantity(x) < quantity('50Gi')"
               : "");
    }
    if (op == "<") return c < 0;
    if (op == "<=") return c <= 0;
    if (op == ">") return c > 0;
    return c >= 0;
  }

  Json arithmetic(const std::string& op, const Json& a, const Json& b) {
    if (op == "+") {
      if (a.is_string() && b.is_string()) return a.get<std::string>() + b.get<std::string>();
      if (a.is_object() && b.is_object()) {
        Json out = a;
        out.update(b);  // shallow merge: the right side wins
        return out;
      }
      if (a.is_array() && b.is_array()) {
        Json out = a;
        for (const auto& x : b) out.push_back(x);
        return out;
      }
    }
    if (!a.is_number() || !b.is_number()) {
      fail("operator '" + op + "' cannot combine " + a_type(a) + " with " + a_type(b),
           ErrorKind::kInvalidInput,
           op == "+" ? "to build a string from a number, use string(x)" : "");
    }
    if (a.is_number_integer() && b.is_number_integer()) {
      int64_t x = a.get<int64_t>(), y = b.get<int64_t>();
      if ((op == "/" || op == "%") && y == 0) fail("division by zero");
      int64_t r = 0;
      bool overflow = false;
      if (op == "+") overflow = __builtin_add_overflow(x, y, &r);
      if (op == "-") overflow = __builtin_sub_overflow(x, y, &r);
      if (op == "*") overflow = __builtin_mul_overflow(x, y, &r);
      if (op == "/" || op == "%") {
        if (x == INT64_MIN && y == -1)
          overflow = true;
        else
          r = op == "/" ? x / y : x % y;
      }
      if (overflow) fail("integer overflow in '" + op + "'");
      return r;
    }
    double x = a.get<double>(), y = b.get<double>();
    if (op == "%") fail("operator '%' needs integers");
    if (op == "/" && y == 0) fail("division by zero");
    double r = op == "+" ? x + y : op == "-" ? x - y : op == "*" ? x * y : x / y;
    // An infinity has no JSON form: it would fail later, far from here.
    if (!std::isfinite(r)) fail("number overflow in '" + op + "'");
    return r;
  }

  // ---- functions and methods ----

  void arity(const Expr& e, size_t n) {
    size_t given = e.args.size() - (e.method ? 1 : 0);
    if (given != n) {
      fail(e.name + "() takes " + std::to_string(n) + " argument" + (n == 1 ? "" : "s") + ", " +
           std::to_string(given) + " given");
    }
  }

  const Json& want_string(const Value& v, const Expr& e) {
    if (!v.json.is_string()) fail(e.name + "() needs a string, not " + a_type(v.json));
    return v.json;
  }

  Value call(const Expr& e, const Scope& scope) {
    if (e.name == "has" && !e.method) return has(e, scope);
    if (e.method && (e.name == "exists" || e.name == "all" || e.name == "map" ||
                     e.name == "filter" || e.name == "exists_one")) {
      return macro(e, scope);
    }
    std::vector<Value> args;
    for (const auto& a : e.args) args.push_back(eval(*a, scope));
    Provenance p;
    for (const auto& a : args) merge_provenance(p, a.all());
    return Value(function(e, args), p);
  }

  Value has(const Expr& e, const Scope& scope) {
    arity(e, 1);
    const Expr& arg = *e.args[0];
    if (arg.kind != Expr::Kind::kMember) fail("has() needs a field selection such as has(x.y)");
    Value object = eval(*arg.args[0], scope);
    bool present = object.json.is_object() && object.json.contains(arg.name);
    return Value(present, object.prov);
  }

  Value macro(const Expr& e, const Scope& scope) {
    size_t n = e.args.size() - 1;
    if (n != 2)
      fail(e.name + "() takes a variable name and an expression, e.g. list." + e.name +
           "(x, x > 1)");
    if (e.args[1]->kind != Expr::Kind::kIdent)
      fail("the first argument of " + e.name + "() must be a variable name");
    Value range = eval(*e.args[0], scope);
    std::vector<Value> items;
    if (range.json.is_array()) {
      for (size_t i = 0; i < range.json.size(); ++i)
        items.push_back(range.child(std::to_string(i), range.json[i]));
    } else if (range.json.is_object()) {
      for (const auto& [k, unused] : range.json.items()) items.push_back(Value(k, range.prov));
    } else {
      fail(e.name + "() needs a list or map, not " + a_type(range.json));
    }
    const std::string& var = e.args[1]->name;
    Value out(e.name == "map" || e.name == "filter" ? Json::array() : Json(e.name == "all"),
              range.all());
    size_t matches = 0;
    for (const auto& item : items) {
      MapScope inner(&scope);
      inner.set(var, item);
      Value r = eval(*e.args[2], inner);
      merge_provenance(out.prov, r.all());
      if (e.name == "map") {
        out.json.push_back(r.json);
      } else if (e.name == "filter") {
        if (truthy(r, site_)) out.json.push_back(item.json);
      } else if (truthy(r, site_)) {
        ++matches;
      }
    }
    if (e.name == "exists") out.json = matches > 0;
    if (e.name == "exists_one") out.json = matches == 1;
    if (e.name == "all") out.json = matches == items.size();
    return out;
  }

  Json function(const Expr& e, const std::vector<Value>& args) {
    const std::string& f = e.name;
    if (f == "size") {
      arity(e, e.method ? 0 : 1);
      const Json& j = args[0].json;
      if (j.is_string()) return j.get<std::string>().size();
      if (j.is_array() || j.is_object()) return j.size();
      fail("size() needs a string, list or map, not " + a_type(j));
    }
    if (f == "quantity") {
      arity(e, 1);
      const Json& j = args[0].json;
      if (j.is_number()) return j;
      auto q = j.is_string() ? parse_quantity(j.get<std::string>()) : std::nullopt;
      if (!q)
        fail("quantity() cannot read " + j.dump() +
             " as a Kubernetes quantity (such as 10Gi or 500m)");
      return *q;
    }
    if (f == "join") return join(e, args);
    if (f == "string") {
      arity(e, e.method ? 0 : 1);
      return to_interpolated_string(args[0].json);
    }
    if (f == "int") {
      arity(e, e.method ? 0 : 1);
      return to_int(args[0].json);
    }
    if (f == "keys") {
      arity(e, e.method ? 0 : 1);
      if (!args[0].json.is_object()) fail("keys() needs a map, not " + a_type(args[0].json));
      Json out = Json::array();
      for (const auto& [k, unused] : args[0].json.items()) out.push_back(k);
      return out;
    }
    if (f == "type") {
      arity(e, e.method ? 0 : 1);
      return type_name(args[0].json);
    }
    if (f == "default") {
      arity(e, e.method ? 1 : 2);
      return args[0].json.is_null() ? args[1].json : args[0].json;
    }
    if (f == "semver") {
      arity(e, e.method ? 0 : 1);
      if (!args[0].json.is_string()) fail("semver() needs a string, not " + a_type(args[0].json));
      return semver(args[0].json.get<std::string>());
    }
    if (e.method) return string_method(e, args);
    fail("unknown function '" + f + "'", ErrorKind::kNotFound,
         did_you_mean(f, {"size", "has", "quantity", "join", "string", "int", "keys", "type",
                          "default", "semver"}));
  }

  // "v1.133.0", "1.133", "1.2.3-rc.1" as major * 10^6 + minor * 10^3 +
  // patch, so versions compare as numbers; null for anything else (a tag
  // such as "release", a minor or patch of 1000 or more).
  static Json semver(std::string s) {
    if (!s.empty() && (s[0] == 'v' || s[0] == 'V')) s.erase(0, 1);
    if (auto cut = s.find_first_of("-+"); cut != std::string::npos) s.resize(cut);
    int64_t parts[3] = {0, 0, 0};
    size_t n = 0, pos = 0;
    for (bool more = true; more;) {
      if (n == 3) return nullptr;  // a fourth part
      size_t end = s.find('.', pos);
      std::string part = s.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
      if (part.empty() || part.size() > 6 ||
          !std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return nullptr;
      }
      parts[n++] = std::stoll(part);
      more = end != std::string::npos;
      pos = end + 1;
    }
    if (n < 2) return nullptr;
    if (parts[1] >= 1000 || parts[2] >= 1000) return nullptr;
    return parts[0] * 1000000 + parts[1] * 1000 + parts[2];
  }

  Json join(const Expr& e, const std::vector<Value>& args) {
    size_t given = args.size();
    if (given != 1 && given != 2) fail("join() takes a list and an optional separator");
    const Json& list = args[0].json;
    if (!list.is_array()) fail("join() needs a list, not " + a_type(list));
    std::string sep = given == 2 ? want_string(args[1], e).get<std::string>() : "";
    std::string out;
    for (size_t i = 0; i < list.size(); ++i)
      out += (i ? sep : "") + to_interpolated_string(list[i]);
    return out;
  }

  Json to_int(const Json& j) {
    if (j.is_number_integer()) return j;
    if (j.is_number()) {
      double d = j.get<double>();
      if (!(d > -9.2e18 && d < 9.2e18)) fail("int() cannot convert " + j.dump() + ": out of range");
      return static_cast<int64_t>(d);
    }
    if (j.is_string()) {
      try {
        size_t used = 0;
        int64_t v = std::stoll(j.get<std::string>(), &used);
        if (used == j.get<std::string>().size()) return v;
      } catch (const std::exception&) {
      }
    }
    fail("int() cannot convert " + j.dump());
  }

  Json string_method(const Expr& e, const std::vector<Value>& args) {
    const std::string& f = e.name;
    const std::string s = want_string(args[0], e).get<std::string>();
    auto arg = [&](size_t i) { return want_string(args[i], e).get<std::string>(); };
    if (f == "startsWith") return arity(e, 1), s.rfind(arg(1), 0) == 0;
    if (f == "endsWith") {
      arity(e, 1);
      std::string x = arg(1);
      return s.size() >= x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0;
    }
    if (f == "contains") return arity(e, 1), s.find(arg(1)) != std::string::npos;
    if (f == "lowerAscii" || f == "upperAscii") {
      arity(e, 0);
      std::string out = s;
      for (char& c : out)
        c = static_cast<char>(f == "lowerAscii" ? std::tolower(static_cast<unsigned char>(c))
                                                : std::toupper(static_cast<unsigned char>(c)));
      return out;
    }
    if (f == "trim") {
      arity(e, 0);
      size_t b = s.find_first_not_of(" \t\r\n"), end = s.find_last_not_of(" \t\r\n");
      return b == std::string::npos ? std::string() : s.substr(b, end - b + 1);
    }
    if (f == "replace") {
      arity(e, 2);
      std::string from = arg(1), to = arg(2), out;
      if (from.empty()) return s;
      size_t pos = 0;
      for (size_t hit; (hit = s.find(from, pos)) != std::string::npos; pos = hit + from.size()) {
        out += s.substr(pos, hit - pos) + to;
      }
      return out + s.substr(pos);
    }
    if (f == "split") {
      arity(e, 1);
      std::string sep = arg(1);
      Json out = Json::array();
      if (sep.empty()) fail("split() needs a non-empty separator");
      size_t pos = 0;
      for (size_t hit; (hit = s.find(sep, pos)) != std::string::npos; pos = hit + sep.size()) {
        out.push_back(s.substr(pos, hit - pos));
      }
      out.push_back(s.substr(pos));
      return out;
    }
    if (f == "matches") {
      arity(e, 1);
      try {
        return std::regex_search(s, compiled_regex(arg(1)));
      } catch (const std::regex_error& err) {
        fail("matches() got an invalid regular expression: " + std::string(err.what()));
      }
    }
    fail("unknown method '" + f + "'", ErrorKind::kNotFound,
         did_you_mean(
             f, {"startsWith", "endsWith", "contains", "lowerAscii", "upperAscii", "trim",
                 "replace", "split", "matches", "exists", "all", "map", "filter", "join", "size"}));
  }

  const ExprSite& site_;
};

}  // namespace

bool truthy(const Value& v, const ExprSite& site) {
  if (v.json.is_boolean()) return v.json.get<bool>();
  if (v.json.is_null()) return false;
  throw Error(ErrorKind::kInvalidInput, "expected a boolean but got " + a_type(v.json), site.where,
              "in: ${" + site.text + "}");
}

Value evaluate(const Expr& expr, const Scope& scope, const ExprSite& site) {
  return Evaluator(site).eval(expr, scope);
}

Value evaluate_text(const std::string& text, const Scope& scope, const ExprSite& site) {
  // A package's templates and checks are evaluated once per instance: a
  // cluster of 1,000 instances parsed the same few hundred texts a thousand
  // times each. Parsing is a pure function of the text, so the trees are
  // kept by text, per thread, up to a bound that only a generated input
  // could reach (then the cache starts over).
  constexpr size_t kMaxCachedExpressions = 16384;
  thread_local std::unordered_map<std::string, std::unique_ptr<const Expr>> parsed;
  auto found = parsed.find(text);
  if (found == parsed.end()) {
    std::unique_ptr<Expr> expr;
    try {
      expr = parse_expression(text);
    } catch (const ExprSyntaxError& err) {
      SourceLocation where = site.where;
      throw Error(ErrorKind::kInvalidInput, "syntax error in expression: " + err.message, where,
                  "in: ${" + text + "}\n" + std::string(err.offset + 6, ' ') + "^");
    }
    if (parsed.size() >= kMaxCachedExpressions) parsed.clear();
    found = parsed.emplace(text, std::move(expr)).first;
  }
  return evaluate(*found->second, scope, site);
}

}  // namespace kix::compiler
