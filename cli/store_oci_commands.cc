// `kix store push` and `kix store pull`: the store through an OCI registry
// (docs/oci.md).
#include <iostream>
#include <memory>

#include "cli/progress.h"
#include "cli/store_cli.h"
#include "cli/store_transfer.h"
#include "store/oci_transport.h"
#include "store/ref.h"
#include "util/error.h"

namespace kix::cli {

namespace {

// "pushing blobs 3/12, 4.2 MiB" on the progress line.
TransferProgress transfer_progress(Progress& progress, const std::string& verb) {
  return [&progress, verb](size_t done, size_t total, uint64_t bytes) {
    progress.update(verb + " blobs " + with_thousands(done) + "/" + with_thousands(total) + ", " +
                    human_bytes(bytes));
  };
}

OciReference registry_reference(const std::string& text) {
  if (text.rfind("oci://", 0) != 0) {
    throw Error(ErrorKind::kInvalidInput, "'" + text + "' is not an oci:// reference", {},
                "name the repository as oci://registry/repository[:tag]");
  }
  return parse_oci_reference(text);
}

struct PushArgs {
  std::string ref;
  std::string target;
  HistoryChoice history;
  std::string source;
  std::string mount_from;
  bool insecure = false;
  bool no_flux = false;
  std::string format = "text";
};

void run_push(const PushArgs& args, Context& ctx) {
  OciReference target = registry_reference(args.target);
  std::unique_ptr<Store> opened = open_store(ctx);
  Store& store = *opened;
  ResolvedRef root = resolve_root_ref(store, args.ref);
  Closure closure = export_closure(store, export_request(store, {args.ref}, args.history));
  ArtifactRequest request{
      root.hash, root.generation,
      args.source.empty()
          ? "kix:" + (root.generation ? root.generation->cluster : root.hash.hex().substr(0, 12))
          : args.source,
      !args.no_flux};
  Artifact artifact = build_artifact(store, closure, request);
  HttpClientOptions http_options;
  http_options.allow_insecure_http = args.insecure;
  CurlHttpClient http(http_options);
  OciClient client(http, ctx.env(), args.insecure);
  Progress progress(ctx);
  TransferStats stats = push_artifact(client, target, artifact, args.mount_from,
                                      transfer_progress(progress, "pushing"));
  progress.clear();
  const size_t blobs = artifact.layers.size() + 1;
  if (args.format == "json") {
    Json out{{"reference", target.str()},
             {"digest", artifact.digest},
             {"root", root.hash.hex()},
             {"roots", closure.roots().size()},
             {"nodes", closure.nodes().size()},
             {"history", history_to_json(closure.history())},
             {"blobs", blobs},
             {"uploaded", {{"blobs", stats.uploaded_blobs}, {"bytes", stats.uploaded_bytes}}},
             {"mounted", {{"blobs", stats.mounted_blobs}, {"bytes", stats.mounted_bytes}}},
             {"skipped", {{"blobs", stats.skipped_blobs}, {"bytes", stats.skipped_bytes}}},
             {"fluxLayer", !args.no_flux},
             {"fluxFiles", artifact.flux_files},
             {"withheldFromFlux", artifact.withheld_secrets}};
    std::cout << pretty_json(out) << "\n";
    return;
  }
  std::cout << "pushed " << args.ref << " (root " << root.hash.hex().substr(0, 12) << ") to "
            << target.str() << "\n";
  std::cout << "  " << closure.roots().size() << " roots, " << closure.nodes().size() << " nodes";
  if (!closure.history().empty()) std::cout << ", " << describe_history(closure.history());
  std::cout << "\n  " << blobs << " blobs: uploaded " << stats.uploaded_blobs << " ("
            << human_bytes(stats.uploaded_bytes) << "), ";
  if (stats.mounted_blobs > 0) {
    std::cout << "mounted " << stats.mounted_blobs << " (" << human_bytes(stats.mounted_bytes)
              << "), ";
  }
  std::cout << "skipped " << stats.skipped_blobs << " the registry had ("
            << human_bytes(stats.skipped_bytes) << ")\n";
  if (args.no_flux) {
    std::cout << "  no Flux layer (--no-flux)";
  } else {
    std::cout << "  Flux layer: " << artifact.flux_files << " manifests";
    if (artifact.withheld_secrets > 0) {
      std::cout << "; " << artifact.withheld_secrets
                << " Secrets and kix.dev resources left out (Flux cannot apply them; "
                   "`kix deploy` does)";
    }
  }
  std::cout << "\n" << artifact.digest << "\n";
}

struct PullArgs {
  std::string source;
  bool pin = false;
  std::optional<std::string> as;
  bool insecure = false;
  std::string format;
};

void run_pull(const PullArgs& args, Context& ctx) {
  OciReference source = registry_reference(args.source);
  HttpClientOptions http_options;
  http_options.allow_insecure_http = args.insecure;
  CurlHttpClient http(http_options);
  OciClient client(http, ctx.env(), args.insecure);
  // Everything is fetched and checked before the store is opened.
  Progress progress(ctx);
  PulledArtifact pulled = pull_artifact(client, source, {}, transfer_progress(progress, "pulling"));
  progress.clear();
  std::unique_ptr<Store> opened = open_store(ctx);
  ImportOptions options;
  options.pin = args.pin;
  options.time = ctx.now();
  options.history_as = args.as;
  ImportResult r = opened->import_closure(pulled.closure, options);
  if (args.format == "json") {
    Json out = import_json(pulled.closure, r, args.pin);
    out["reference"] = source.str();
    out["digest"] = pulled.manifest.digest;
    out["blobs"] = pulled.blobs;
    out["bytes"] = pulled.bytes;
    std::cout << pretty_json(out) << "\n";
    return;
  }
  std::cout << "pulled " << source.str() << " (" << pulled.manifest.digest << "): " << pulled.blobs
            << " blobs, " << human_bytes(pulled.bytes) << "\n";
  print_import(pulled.closure, r, args.pin);
}

}  // namespace

void add_store_oci_commands(CLI::App& store, Context& ctx) {
  auto push = std::make_shared<PushArgs>();
  auto* cmd = store.add_subcommand(
      "push", "Push a root, with its cluster's history, to an OCI registry (Flux can deploy it)");
  cmd->add_option("REF", push->ref, "The root: NAME, NAME@N or a hash (NAME carries its history)")
      ->required();
  cmd->add_option("TARGET", push->target, "oci://registry/repository[:tag] (tag: latest)")
      ->required();
  add_history_options(*cmd, push->history);
  cmd->add_option("--source", push->source,
                  "org.opencontainers.image.source of the artifact (default: kix:NAME)");
  cmd->add_option("--mount-from", push->mount_from,
                  "Another repository of the same registry to mount blobs from before uploading");
  cmd->add_flag("--insecure", push->insecure,
                "Plain HTTP to a registry that is not on this machine");
  cmd->add_flag("--no-flux", push->no_flux,
                "Leave out the Flux layer: history for kix only (a root's manifests are the one "
                "part generations cannot share)");
  add_format_option(cmd, push->format, {"text", "json"});
  cmd->callback([push, &ctx] { run_push(*push, ctx); });

  auto pull = std::make_shared<PullArgs>();
  cmd = store.add_subcommand(
      "pull", "Pull an artifact `kix store push` wrote, and merge its history into this store");
  cmd->add_option("SOURCE", pull->source, "oci://registry/repository[:tag|@digest]")->required();
  cmd->add_flag("--pin", pull->pin, "Pin the pulled roots");
  cmd->add_option("--as", pull->as,
                  "Bring the cluster's history in under this name (when it conflicts with one "
                  "already here)");
  cmd->add_flag("--insecure", pull->insecure,
                "Plain HTTP to a registry that is not on this machine");
  add_format_option(cmd, pull->format, {"text", "json"});
  cmd->callback([pull, &ctx] { run_pull(*pull, ctx); });
}

}  // namespace kix::cli
