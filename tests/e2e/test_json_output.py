#!/usr/bin/env python3
"""Every command's --format json output (docs/json-output.md) validates
against its JSON Schema in schema/output/, in the modes that change its
shape: a first and a repeated build, a rollback, a deploy (dry run, real
run with a scripted kubectl, and a failed one), a preview and its destroy,
a canary and its promotion, push and pull through the real registry, and
the store's commands over what they made. Also: every command that takes
--format offers json (the exceptions are listed), each has a schema, and
this test exercises each one, so a new command cannot ship without.

With KIX_JSON_OUTPUT_SAMPLES=DIR, each output is also written to
DIR/<schema>-<n>.json, to start a new schema from."""
import json
import os
import shutil
import subprocess
import tempfile

import jsonschema

from e2e_support import (KIX, SRC, OciRegistry, check, finish, immich_copy, kix, scripted_kubectl,
                         set_image)

SCHEMAS = os.path.join(SRC, "schema", "output")
# Commands whose output is a format of its own, not a report: canon prints
# RFC 8785 JSON already (one document per line), completion a shell script.
NO_JSON = {"canon", "completion"}
# One command under two names shares its schema.
ALIASES = {"store rollback": "rollback"}
SEEN = {}


def schema_name(command):
    return ALIASES.get(command, command).replace(" ", "-")


def validate(command, text, name=None):
    """Parses `text` as the JSON output of `command` ("store log") and
    validates it against schema/output/<command>.json (or <name>.json);
    returns it."""
    name = name or schema_name(command)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as e:
        check(False, f"{command}: not JSON ({e}):\n{text[:2000]}")
        return None
    samples = os.environ.get("KIX_JSON_OUTPUT_SAMPLES")
    if samples:
        os.makedirs(samples, exist_ok=True)
        with open(os.path.join(samples, f"{name}-{len(SEEN.get(name, []))}.json"), "w") as f:
            json.dump(document, f, indent=2)
    SEEN.setdefault(name, []).append(document)
    path = os.path.join(SCHEMAS, name + ".json")
    if not os.path.exists(path):
        check(False, f"{command}: no schema {path}")
        return document
    with open(path) as f:
        schema = json.load(f)
    errors = sorted(validator(schema).iter_errors(document), key=lambda e: list(e.absolute_path))
    for e in errors[:5]:
        check(False, f"{command}: {'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}")
    return document


def validator(schema):
    """A Draft 2020-12 validator for `schema` that resolves references to
    the other schemas of schema/output (common.json) by their $id."""
    schemas = []
    for name in os.listdir(SCHEMAS):
        with open(os.path.join(SCHEMAS, name)) as f:
            schemas.append(json.load(f))
    try:  # jsonschema 4.18 and later
        from referencing import Registry, Resource
        registry = Registry().with_resources(
            [(s["$id"], Resource.from_contents(s)) for s in schemas])
        return jsonschema.Draft202012Validator(schema, registry=registry)
    except ImportError:  # Debian 12's jsonschema 4.10
        resolver = jsonschema.RefResolver.from_schema(schema, store={s["$id"]: s for s in schemas})
        return jsonschema.Draft202012Validator(schema, resolver=resolver)


def run_json(command, *args, env, expect=0, schema=None):
    """kix COMMAND ARGS --format json; validates and returns the output."""
    proc = kix(*command.split(), *args, "--format", "json", env=env, expect=expect)
    return validate(command, proc.stdout, schema)


def authoring(tmp, env):
    """package new, lint and test: clean, with findings, failed, accepted."""
    demo = os.path.join(tmp, "pkgs", "demo")
    os.makedirs(os.path.dirname(demo))
    made = run_json("package new", demo, env=env)
    check(made and "test/expected/root" in made["files"], f"{made}")
    clean = run_json("package lint", demo, "--strict", env=env)
    check(clean and clean["findings"] == [], f"{clean}")
    passed = run_json("package test", demo, env=env)
    check(passed and [c["outcome"] for c in passed["cases"]] == ["passed", "passed"] and
          [c["expects"] for c in passed["cases"]] == ["result", "errors"], f"{passed}")
    manifest = os.path.join(demo, "package.yaml")
    with open(manifest) as f:
        text = f.read()
    with open(manifest, "w") as f:
        f.write(text.replace("options:\n", "options:\n  spare: { type: string }\n", 1)
                .replace("periodSeconds: 5", "periodSeconds: 6"))
    found = run_json("package lint", demo, env=env, expect=1)
    check(found and {f["rule"] for f in found["findings"]} ==
          {"unused-option", "undocumented-option", "readme-outdated"} and
          any(f["line"] is None for f in found["findings"]), f"{found}")
    failed = run_json("package test", demo, env=env, expect=1)
    check(failed and failed["cases"][0]["outcome"] == "failed" and
          failed["cases"][0]["changed"], f"{failed}")
    errors = os.path.join(demo, "test", "privileged-port", "expected-errors.txt")
    with open(errors, "a") as f:
        f.write("not said\n")
    failed = run_json("package test", demo, env=env, expect=1)
    check(failed and failed["cases"][1]["errorsNotFound"] == ["not said"], f"{failed}")
    accepted = run_json("package test", demo, "--accept", env=env)
    check(accepted and accepted["accepted"] == 2, f"{accepted}")
    broken = os.path.join(demo, "test", "broken", "cluster.yaml")
    os.makedirs(os.path.dirname(broken))
    with open(broken, "w") as f:
        f.write("cluster: b\ninstances:\n  b:\n    b: { package: demo, config: { port: 1 } }\n")
    error = run_json("package test", demo, env=env, expect=1)
    check(error and error["cases"][1]["outcome"] == "error" and
          error["cases"][1]["resources"] is None and error["cases"][1]["errors"], f"{error}")


def all_commands(env):
    """Every visible command and subcommand, as kix's completion lists them,
    with whether --format offers json. Without a store, so that only
    subcommands complete where a command takes no cluster name."""
    env = dict(env, KIX_STORE=os.path.join(env["KIX_STORE"], "none"))

    def complete(*words):
        out = subprocess.run([KIX, "__complete", *words], capture_output=True, text=True, env=env)
        return [w for w in out.stdout.splitlines() if w]

    commands = {}
    pending = [[]]
    while pending:
        path = pending.pop()
        subs = [w for w in complete(*path, "") if not w.startswith("-")] if len(path) < 3 else []
        if path and not subs:
            formats = complete(*path, "--format=")
            commands[" ".join(path)] = "--format=json" in formats
        for sub in subs:
            pending.append(path + [sub])
    return commands


def check_schemas_are_schemas():
    for name in sorted(os.listdir(SCHEMAS)):
        with open(os.path.join(SCHEMAS, name)) as f:
            schema = json.load(f)
        try:
            jsonschema.Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError as e:
            check(False, f"schema/output/{name} is not a valid JSON Schema: {e.message}")
        check(schema.get("$id", "").endswith(f"/output/v1/{name}"),
              f"schema/output/{name}: $id names the version and the file: {schema.get('$id')}")


def compiler_and_store(tmp, env):
    definition = immich_copy(tmp)
    result = os.path.join(tmp, "result")
    first = run_json("build", definition, "-o", result, "-m", "first", env=env)
    again = run_json("build", definition, "-o", result, env=env)
    check(first and again and first["root"] == again["root"] and again["newNodes"] == 0,
          "a second build of the same definition adds nothing")
    check(first and first["generation"] == {"cluster": "my-homelab", "number": 1}, f"{first}")
    run_json("explain", definition, "Deployment/immich-server", env=env)
    run_json("explain", definition, "Namespace/immich", env=env)
    run_json("graph", definition, env=env)
    run_json("plan", result, env=env)
    run_json("hash", result, env=env)
    run_json("package docs", os.path.join(SRC, "packages", "immich"), env=env)
    run_json("package docs", os.path.join(SRC, "packages", "valkey"), env=env)
    authoring(tmp, env)
    run_json("lock", definition, env=env)
    run_json("lock", definition, env=env)  # up to date
    run_json("lock", definition, "--check", env=env)

    added = run_json("store add", result, "--cluster", "copy", env=env)
    run_json("store add", os.path.join(SRC, "tests", "e2e", "fixtures", "diff", "desired"),
             "--pin", env=env)
    root = added["root"] if added else ""
    run_json("store clusters", env=env)
    run_json("store log", "my-homelab", env=env)
    run_json("store show", "my-homelab", env=env)
    nodes = run_json("store ls", "my-homelab", env=env) or []
    server = next((n["node"] for n in nodes if n["name"] == "immich-server"
                   and n["kind"] == "Deployment"), "")
    namespace = next((n["node"] for n in nodes if n["kind"] == "Namespace"), "")
    run_json("store show", server, env=env)
    run_json("store cat", server, env=env)
    run_json("store closure", server, env=env)
    run_json("store why-depends", "my-homelab", server, env=env)
    run_json("store why-depends", server, namespace, env=env)
    run_json("store why-depends", namespace, server, env=env, expect=1)
    run_json("store pin", root, env=env)
    run_json("store pin", root, env=env)
    run_json("store unpin", root, env=env)

    set_image(definition, "ghcr.io/immich-app/immich-server:v1.132.0")
    run_json("build", definition, "-o", result, env=env)
    run_json("store diff", "my-homelab@1", "my-homelab@3", env=env, expect=1)
    run_json("diff", result, "--against", "my-homelab@1", env=env, expect=1)
    run_json("rollback", "my-homelab@1", "-o", os.path.join(tmp, "back"), env=env)
    run_json("store rollback", "my-homelab@3", "-o", os.path.join(tmp, "forth"), env=env)
    run_json("store gc", "--keep-generations", "1", "--dry-run", env=env)
    run_json("store gc", "--keep-generations", "1", env=env)
    run_json("store verify", env=env)

    archive = os.path.join(tmp, "store.kix")
    run_json("store export", "my-homelab", "-o", archive, env=env)
    other = dict(env, KIX_STORE=os.path.join(tmp, "other"))
    run_json("store import", archive, env=other)
    run_json("store import", archive, "--pin", env=other)
    return definition, result


def cluster_commands(tmp, env, definition, result):
    run_json("deploy", definition, "--dry-run", "--context", "lab", env=env)
    run_json("deploy", definition, "--context", "lab", env=env)
    run_json("store deployments", "my-homelab", env=env)
    run_json("diff", definition, "--context", "lab", env=env, expect=1)
    run_json("test", definition, "--dry-run", "--context", "lab", env=env)
    run_json("health", os.path.join(SRC, "tests", "e2e", "fixtures", "health", "workloads.yaml"),
             env=env, expect=1)

    preview = os.path.join(tmp, "preview")
    shutil.copytree(definition, preview)
    set_image(preview, "ghcr.io/immich-app/immich-server:v1.133.0")
    run_json("preview", preview, "--base", "my-homelab", "--name", "pr-1", "-o",
             os.path.join(tmp, "result-pr-1"), env=env)
    run_json("deploy", "my-homelab.preview.pr-1", "--context", "lab", env=env)
    nothing = run_json("preview", definition, "--base", "my-homelab", "--name", "pr-2", env=env)
    check(nothing is None or nothing["root"] is None, f"nothing to preview: {nothing}")
    destroy = "preview-destroy"
    run_json("preview", "--destroy", "pr-1", preview, "--context", "lab", "--dry-run", env=env,
             schema=destroy)
    run_json("preview", "--destroy", "pr-1", preview, "--context", "lab", env=env, schema=destroy)
    run_json("preview", "--destroy", "pr-1", preview, "--context", "lab", env=env, schema=destroy)

    run_json("canary", preview, "--base", "my-homelab", "--replicas", "1", "-o",
             os.path.join(tmp, "canary"), env=env)
    run_json("canary", preview, "--promote", env=env)

    # A deploy that fails part-way still reports, and says what ran.
    failing = dict(env, FAKE_KUBECTL_FAIL_ON="immich-server")
    report = run_json("deploy", definition, "--context", "lab", env=failing, expect=2)
    check(report is None or report["outcome"] == "failed", f"a failed deploy: {report}")
    # ... and the history shows the partial deploy.
    log = run_json("store log", "my-homelab", env=env) or []
    check(any("partial" in g for g in log), f"store log marks the partial deploy: {log}")
    run_json("store deployments", env=env)

    # A definition without checks: an empty list, for test and deploy --test.
    mini = os.path.join(tmp, "mini")
    os.makedirs(mini)
    shutil.copy(os.path.join(SRC, "packages", "storage-class", "test", "cluster.yaml"), mini)
    check(run_json("test", mini, "--context", "lab", env=env) == [], "no checks: []")
    run_json("deploy", mini, "--dry-run", "--test", "--context", "lab", env=env)

    # Live diffs with elements another manager owns.
    fixture = os.path.join(SRC, "tests", "e2e", "fixtures", "diff-live", "deployment-other-managers")
    live = os.path.join(tmp, "live-dump")
    os.makedirs(live)
    shutil.copy(os.path.join(fixture, "live.json"), live)
    report = run_json("diff", os.path.join(fixture, "desired.yaml"), "--live", live, env=env,
                      expect=None)
    check(report is None or report["alsoPresent"], f"elements also present: {report}")


def registry_commands(tmp, env):
    with OciRegistry(tmp) as registry:
        target = f"oci://{registry.host}/kix/homelab:v1"
        run_json("store push", "my-homelab", target, env=env)
        run_json("store pull", target, env=dict(env, KIX_STORE=os.path.join(tmp, "pulled")))


def main():
    check_schemas_are_schemas()
    with tempfile.TemporaryDirectory() as tmp:
        kubectl = scripted_kubectl(tmp)
        env = dict(os.environ, KIX_STORE=os.path.join(tmp, "store"), KIX_KUBECTL=kubectl,
                   FAKE_KUBECTL_LOG=os.path.join(tmp, "kubectl.log"))
        cwd = os.getcwd()
        os.chdir(tmp)
        try:
            definition, result = compiler_and_store(tmp, env)
            cluster_commands(tmp, env, definition, result)
            registry_commands(tmp, env)
        finally:
            os.chdir(cwd)

        commands = all_commands(env)
        check(len(commands) > 30, f"the command list is complete: {sorted(commands)}")
        for command, offers_json in sorted(commands.items()):
            if command in NO_JSON:
                check(not offers_json, f"{command}: listed as without JSON, but offers it")
                continue
            check(offers_json, f"{command}: --format does not offer json")
            check(schema_name(command) in SEEN, f"{command}: its JSON output is not tested here")
        for name in sorted(os.listdir(SCHEMAS)):
            check(name == "common.json" or name[:-len(".json")] in SEEN,
                  f"schema/output/{name}: no command printed it")
    return finish()


if __name__ == "__main__":
    raise SystemExit(main())
