// Plumbing: `kix canon` and `kix hash`, the public hash contract made
// visible (docs/hashing.md).
#include <iostream>

#include "cli/context.h"
#include "manifest/document.h"
#include "manifest/manifest.h"
#include "manifest/secret_seal.h"
#include "manifest/secrets.h"

namespace kix::cli {

namespace {

std::vector<std::string> inputs_or_stdin(const std::vector<std::string>& files) {
  return files.empty() ? std::vector<std::string>{"-"} : files;
}

void run_canon(const std::vector<std::string>& files, Context& ctx) {
  Diagnostics diags;
  std::string out;
  for (const auto& f : inputs_or_stdin(files)) {
    std::vector<std::string> paths;
    if (f == "-") {
      paths.push_back(f);
    } else {
      for (auto& p : manifest_files(f)) paths.push_back(std::move(p));
    }
    for (const auto& p : paths) {
      for (const auto& doc : parse_input(p, diags)) {
        if (doc.value.is_null()) continue;  // empty documents (Helm's "---" between sources)
        try {
          // A Secret's canonical form is its hash form (docs/secrets.md): its
          // values never reach the output, and the bytes hash to its blob.
          if (is_secret(doc.value) && has_secret_values(doc.value)) {
            append_canonical_json(out, secret_hash_form(doc.value, ctx.keys().key_for_sealing()));
          } else {
            append_canonical_json(out, doc.value);
          }
        } catch (Error& e) {
          throw Error(e.kind(), e.message(), doc.location, e.hint());
        }
        out += '\n';
      }
    }
  }
  ctx.print_diagnostics(diags);
  // RFC 8785 bytes, exactly: `kix canon | sha256sum` is the blob hash.
  std::ostream& os = ctx.raw_stdout != nullptr ? *ctx.raw_stdout : std::cout;
  os << out << std::flush;
}

void run_hash(const std::vector<std::string>& files, const std::string& format, Context& ctx) {
  Diagnostics diags;
  auto manifests = load_manifests(inputs_or_stdin(files), diags);
  ctx.print_diagnostics(diags);
  seal_manifests(manifests, ctx.keys());
  if (format == "json") {
    Json out = Json::array();
    for (const auto& m : manifests) {
      out.push_back(Json{{"blob", m.blob.hex()},
                         {"apiVersion", m.id.api_version},
                         {"kind", m.id.kind},
                         {"namespace", m.id.ns},
                         {"name", m.id.name}});
    }
    std::cout << pretty_json(out) << "\n";
    return;
  }
  std::string out;
  for (const auto& m : manifests) {
    out += m.blob.hex();
    out += "  ";
    out += m.id.api_version + " " + m.id.kind + " " + (m.id.ns.empty() ? "-" : m.id.ns) + " " +
           m.id.name + "\n";
  }
  std::cout << out << std::flush;
}

}  // namespace

void add_plumbing_commands(CLI::App& app, Context& ctx) {
  auto files = std::make_shared<std::vector<std::string>>();
  auto* canon = app.add_subcommand(
      "canon", "Print the RFC 8785 canonical JSON of each YAML or JSON document, one per line");
  canon->add_option("FILE", *files, "Files or directories to read; - or nothing reads stdin");
  canon->callback([files, &ctx] { run_canon(*files, ctx); });

  auto hfiles = std::make_shared<std::vector<std::string>>();
  auto* hash = app.add_subcommand(
      "hash",
      "Print '<blob>  <apiVersion> <kind> <namespace> <name>' for each manifest\n"
      "(namespace '-' when it has none; kind: List is flattened)");
  hash->add_option("FILE", *hfiles, "Files or directories to read; - or nothing reads stdin");
  auto hformat = std::make_shared<std::string>();
  add_format_option(hash, *hformat, {"text", "json"});
  hash->callback([hfiles, hformat, &ctx] { run_hash(*hfiles, *hformat, ctx); });
}

}  // namespace kix::cli
