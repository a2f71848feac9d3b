#!/usr/bin/env python3
"""The editor schemas of schema/editor/ (docs/cluster-definitions.md and
docs/packages.md, "Editor support"): they are valid JSON Schemas; every
example definition, module and built-in package names the right one on its
first line and validates against it; definitions and packages kix refuses
for a misspelled key, an unknown option type and the like fail them too,
and ones kix builds pass; and every key the loader knows (its key lists in
compiler/*.cc) is in the schemas, no more and no fewer, so a key added to
the loader without the schemas fails here."""
import glob
import json
import os
import re
import tempfile

import jsonschema
import yaml

from e2e_support import SRC, check, finish, kix

EDITOR = os.path.join(SRC, "schema", "editor")
HEADER = "# yaml-language-server: $schema="
SCHEMAS = {}
for _name in ("cluster", "module", "package"):
    with open(os.path.join(EDITOR, _name + ".json")) as _f:
        SCHEMAS[_name] = json.load(_f)


class DefinitionLoader(yaml.SafeLoader):
    """PyYAML's safe loader with the merge tags of cluster definitions:
    the schemas see the tagged value itself, as editors do."""


def _untagged(loader, node):
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


for _tag in ("!default", "!force"):
    DefinitionLoader.add_constructor(_tag, _untagged)


def load_yaml(text):
    return yaml.load(text, Loader=DefinitionLoader)


def errors(schema, document):
    """The messages of `document`'s violations of schema/editor/<schema>.json.
    The schemas are self-contained (editors may not resolve references to
    other files), so jsonschema 4.10 and 4.26 need no registry."""
    found = jsonschema.Draft202012Validator(SCHEMAS[schema]).iter_errors(document)
    return [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}" for e in found]


# --- The schemas themselves.


def described(schema, path, problems):
    """Every property of `schema` has a description, which is what editors
    show on hover (the conditions of if/then/else and not, and the
    `complete` definitions that only tighten, are not properties)."""
    if not isinstance(schema, dict):
        return
    for name, sub in schema.get("properties", {}).items():
        if isinstance(sub, dict) and "description" not in sub:
            problems.append(f"{path}/properties/{name}")
        described(sub, f"{path}/properties/{name}", problems)
    for name, sub in schema.get("$defs", {}).items():
        if not name.startswith("complete"):
            described(sub, f"{path}/$defs/{name}", problems)
    for key in ("items", "additionalProperties", "propertyNames"):
        described(schema.get(key), f"{path}/{key}", problems)
    for key in ("allOf", "anyOf", "oneOf"):
        for i, sub in enumerate(schema.get(key, [])):
            described(sub, f"{path}/{key}/{i}", problems)


def check_schemas():
    for name, schema in SCHEMAS.items():
        try:
            jsonschema.Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError as e:
            check(False, f"schema/editor/{name}.json is not a valid JSON Schema: {e.message}")
        check(schema.get("$schema") == "https://json-schema.org/draft/2020-12/schema",
              f"schema/editor/{name}.json: $schema is draft 2020-12: {schema.get('$schema')}")
        check(schema.get("$id") == f"https://kix.dev/schema/editor/v1/{name}.json",
              f"schema/editor/{name}.json: $id {schema.get('$id')}")
        check(bool(schema.get("title")), f"schema/editor/{name}.json has no title")
        problems = []
        described(schema, "", problems)
        check(not problems, f"schema/editor/{name}.json: properties without a description: {problems}")
        with open(os.path.join(EDITOR, name + ".json")) as f:
            text = f.read()
        check('"$ref": "#' in text and not re.search(r'"\$ref": "(?!#)', text),
              f"schema/editor/{name}.json refers to another file (editors resolve those "
              "inconsistently): keep it self-contained")
    # A module has the fields of a definition; only the whole definition
    # (a cluster.yaml naming no modules) must be complete.
    cluster, module = SCHEMAS["cluster"], SCHEMAS["module"]
    for key in ("properties", "$defs", "additionalProperties", "type"):
        check(cluster[key] == module[key], f"cluster.json and module.json differ in {key}")
    check(set(cluster) - set(module) == {"if", "then"} and set(module) <= set(cluster),
          f"cluster.json and module.json differ beyond if/then: {sorted(set(cluster) ^ set(module))}")


# --- The files that name a schema.


def modules_of(path):
    """The module files `path` names (relative to it; a directory means its
    cluster.yaml), depth first."""
    with open(path) as f:
        doc = load_yaml(f)
    out = []
    for module in (doc or {}).get("modules", []):
        target = os.path.normpath(os.path.join(os.path.dirname(path), module))
        if os.path.isdir(target):
            target = os.path.join(target, "cluster.yaml")
        out.append(target)
        out.extend(modules_of(target))
    return out


def annotated_files():
    """Every file that must name a schema, with the schema it must name."""
    files = []
    for path in sorted(glob.glob(os.path.join(SRC, "examples", "**", "cluster.yaml"), recursive=True)):
        files.append((path, "cluster"))
        files.extend((m, "module") for m in modules_of(path))
    for path in sorted(glob.glob(os.path.join(SRC, "packages", "*", "package.yaml"))):
        files.append((path, "package"))
        test = os.path.join(os.path.dirname(path), "test", "cluster.yaml")
        if os.path.exists(test):
            files.append((test, "cluster"))
            files.extend((m, "module") for m in modules_of(test))
    return files


def check_files():
    files = annotated_files()
    check(len([f for f in files if f[1] == "package"]) >= 15, f"the built-in packages: {files}")
    check(len([f for f in files if f[1] == "module"]) >= 2, f"the example modules: {files}")
    for path, schema in files:
        shown = os.path.relpath(path, SRC)
        with open(path) as f:
            text = f.read()
        first = text.split("\n", 1)[0]
        if not first.startswith(HEADER):
            check(False, f"{shown}: the first line is not `{HEADER}...`: {first}")
            continue
        named = os.path.normpath(os.path.join(os.path.dirname(path), first[len(HEADER):].strip()))
        if not os.path.isfile(named):
            check(False, f"{shown}: {first} names no file")
            continue
        check(os.path.samefile(named, os.path.join(EDITOR, schema + ".json")),
              f"{shown} names {os.path.relpath(named, SRC)}, not schema/editor/{schema}.json")
        for problem in errors(schema, load_yaml(text))[:5]:
            check(False, f"{shown} does not validate against {schema}.json: {problem}")


# --- The schemas and kix agree.

PACKAGE_DB = """\
package: db
description: a database, with what derived NetworkPolicies need in its out
options:
  image: { type: string, default: postgres:16 }
resources:
  deployment:
    manifest:
      apiVersion: apps/v1
      kind: Deployment
      spec:
        template:
          spec:
            containers: [{ name: db, image: "${config.image}", ports: [{ containerPort: 5432 }] }]
  service:
    selects: deployment
    manifest: { apiVersion: v1, kind: Service, spec: { ports: [{ port: 5432 }] } }
out:
  host: ${resources.service.metadata.name}
  podSelector: ${resources.deployment.spec.selector.matchLabels}
  ports: [5432]
"""

# Every part of the package format kix accepts.
PACKAGE_WEB = """\
package: web
description: every part of a package manifest
needs: [db]
optionalNeeds: [cache]
provides: [frontend]
options:
  name: { type: string, default: web, title: Name, examples: [web], $comment: shown nowhere, description: the name }
  replicas: { type: integer, default: 1, minimum: 0, maximum: 5 }
  ratio: { type: number, default: 0.5 }
  enabled: { type: boolean, default: true }
  mode: { enum: [a, b], default: a }
  nothing: { type: "null", default: null }
  host: { type: string, required: true, description: the public host name }
  optional: { type: string, required: false }
  files: { type: object, default: {}, additionalProperties: { type: string } }
  extra: { type: object, additionalProperties: true }
  apps:
    type: array
    default: []
    items:
      type: object
      required: [name]
      properties: { name: { type: string }, image: { type: string, default: nginx } }
  backup:
    type: object
    required: [bucket]
    properties:
      bucket: { type: string, required: true }
      schedule: { type: string, default: "0 3 * * *" }
let:
  fullName: ${self.name}-${config.name}
  ports: [8080, 8443]
checks:
  - error: "the name ${fullName} is too long"
    when: ${size(fullName) > 60}
  - warn: "never printed"
    unless: ${true}
resources:
  config:
    manifest:
      apiVersion: v1
      kind: ConfigMap
      data: { NAME: "${fullName}", DB: "${db.out.host}", PORTS: "${join(ports, ',')}" }
  file:
    forEach: ${config.files}
    manifest: { apiVersion: v1, kind: ConfigMap, data: { "${each.key}": "${each.value}" } }
  app:
    forEach: ${config.apps}
    key: ${each.value.name}
    manifest:
      apiVersion: apps/v1
      kind: Deployment
      metadata: { name: "${self.name}-${each.key}" }
      spec:
        template:
          spec:
            containers: [{ name: app, image: "${each.value.image}" }]
  service:
    forEach: ${config.apps}
    key: ${each.value.name}
    selects: app
    manifest:
      apiVersion: v1
      kind: Service
      metadata: { name: "${self.name}-${each.key}" }
      spec: { ports: [{ port: 80 }] }
  never:
    when: ${false}
    manifest: { apiVersion: v1, kind: ConfigMap }
out:
  name: ${fullName}
tests:
  - name: ping
    http: { url: "http://${self.name}-one.${self.namespace}/", body: ok }
  - name: listens
    tcp: { host: "${self.name}-one", port: 80 }
"""

# Every part of the definition format kix accepts, across a module:
# `cluster` and an instance's package come from the module.
DEFINITION = """\
modules: [./more.yaml]
packagePaths: [./pkgs]
availablePackages: []
networkPolicies: { derive: [app], egress: true }
instances:
  app:
    web:
      aliases: [front]
      deps: { db: database }
      config:
        host: example.org
        files: { a: x }
        apps: [{ name: one }]
        backup: { bucket: b }
      patches:
        - resource: config
          merge: { metadata: { annotations: { note: "${self.name}" } } }
        - resource: app
          kind: Deployment
          name: web-one
          jsonPatch:
            - { op: test, path: /spec/template/spec/containers/0/name, value: app }
            - { op: add, path: /spec/template/spec/nodeSelector, value: { gpu: "true", zone: a } }
            - { op: copy, from: /spec/template/spec/nodeSelector, path: /metadata/annotations }
            - { op: move, from: /spec/template/spec/nodeSelector/zone, path: /spec/template/spec/nodeSelector/region }
            - { op: remove, path: /spec/template/spec/nodeSelector/region }
            - { op: replace, path: /spec/template/spec/containers/0/image, value: "nginx:1" }
    database:
      package: db
infrastructure:
  operator:
    external: true
    namespace: ops
    aliases: [op]
    out: { ready: ops/Deployment/operator }
"""
MODULE = """\
cluster: everything
instances:
  app:
    web:
      package: web
      config: { replicas: !force 2 }
    database:
      config: !default {}
"""
COMPLETE = """\
cluster: small
packagePaths: [./pkgs]
instances:
  app:
    database:
      package: db
"""


def write(root, files):
    for name, text in files.items():
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)


def build(root, env):
    return kix("build", root, "-o", os.path.join(root, "result"), env=env)


def replaced(text, old, new):
    check(old in text, f"test setup: {old!r} is not in the text it replaces")
    return text.replace(old, new, 1)


def definition(old=None, new=None, append=""):
    """COMPLETE (and its package), changed: `old` replaced by `new`, then
    `append` added."""
    text = replaced(COMPLETE, old, new) if old else COMPLETE
    return {"cluster.yaml": text + append, "pkgs/db/package.yaml": PACKAGE_DB}


def instance(line):
    """COMPLETE with one more line in its instance."""
    return definition("package: db", "package: db\n      " + line)


def package(old=None, new=None, append=""):
    """PACKAGE_DB changed, with COMPLETE to build it."""
    text = replaced(PACKAGE_DB, old, new) if old else PACKAGE_DB
    return {"cluster.yaml": COMPLETE, "pkgs/db/package.yaml": text + append}


def with_module(old, new):
    """DEFINITION with MODULE changed."""
    return {"cluster.yaml": DEFINITION, "more.yaml": replaced(MODULE, old, new),
            "pkgs/db/package.yaml": PACKAGE_DB, "pkgs/web/package.yaml": PACKAGE_WEB}


DEF, PKG = ("cluster.yaml", "cluster"), ("pkgs/db/package.yaml", "package")
# What kix refuses, with the file a schema must refuse and what kix says.
REFUSED = [
    ("a misspelled top-level key", definition("instances:", "instnces:"), DEF,
     "unknown field 'instnces' in a cluster definition"),
    ("a misspelled instance key", definition("package: db", "pakage: db"), DEF,
     "unknown field 'pakage' in instance 'database'"),
    ("an option of an unknown type", package("type: string", "type: strng"), PKG,
     "option 'image' has an unknown type \"strng\""),
    ("an unknown key in a package", package("description:", "descripton:"), PKG,
     "unknown field 'descripton' in a package manifest"),
    ("a misspelled key in a module", with_module("instances:", "instance:"), ("more.yaml", "module"),
     "unknown field 'instance' in a cluster definition"),
    ("no cluster name", definition("cluster: small\n", ""), DEF,
     "a cluster definition needs 'cluster: <name>'"),
    ("a cluster name that reads as a hash", definition("small", "deadbeef"), DEF,
     "invalid cluster name 'deadbeef'"),
    ("an instance without a package", definition("package: db", "config: {}"), DEF,
     "instance 'database' needs 'package: <name>'"),
    ("a namespace that is not a Kubernetes name", definition("  app:", "  App:"), DEF,
     "'App' is not a valid namespace name"),
    ("namespace on an instance of a namespace", instance("namespace: other"), DEF,
     "unknown field 'namespace' in instance 'database'\n"
     "  only an instance under `infrastructure` names its namespace; this one is in namespace"),
    ("an option description that is not a string",
     package("image: { type: string, default: postgres:16 }",
             "image: { type: string, default: postgres:16, description: [a, b] }"), PKG,
     "'description' of option 'image' must be a string"),
    ("out on an instance kix deploys", instance("out: { a: b }"), DEF,
     "'out' is given by hand only for external instances"),
    ("an unknown networkPolicies word", definition(append="networkPolicies: everywhere\n"), DEF,
     "networkPolicies is 'everywhere'"),
    ("a misspelled networkPolicies key",
     definition(append="networkPolicies: { derive: all, egres: true }\n"), DEF,
     "unknown field 'egres' in networkPolicies"),
    ("a patch with merge and jsonPatch",
     instance("patches: [{ resource: service, merge: {}, jsonPatch: [] }]"), DEF,
     "has both 'merge' and 'jsonPatch'"),
    ("a misspelled field of a JSON patch operation",
     instance("patches: [{ resource: service, jsonPatch: [{ op: add, path: /x, vaule: 1 }] }]"), DEF,
     "unknown field 'vaule' in operation 0"),
    ("an unknown JSON patch op",
     instance("patches: [{ resource: service, jsonPatch: [{ op: append, path: /x, value: 1 }] }]"), DEF,
     "unknown op 'append'"),
    ("a move without from", instance("patches: [{ resource: service, jsonPatch: [{ op: move, path: /x }] }]"),
     DEF, "needs 'from'"),
    ("a path that is not a JSON Pointer",
     instance("patches: [{ resource: service, jsonPatch: [{ op: remove, path: spec }] }]"), DEF,
     "is not a JSON Pointer"),
    ("a misspelled option keyword", package("default: postgres:16", "defualt: postgres:16"), PKG,
     "unknown keyword 'defualt' in the schema of option 'image'"),
    ("a default of the wrong type", package("default: postgres:16", "default: 16"), PKG,
     "in the default of option 'image'"),
    ("a required option with a default", package("type: string,", "type: string, required: true,"), PKG,
     "is required and has a default"),
    ("required: true on the items of an array",
     package("options:\n", "options:\n  tags: { type: array, items: { type: string, required: true } }\n"),
     PKG, "applies to a named option"),
    ("a check with when and unless",
     package("resources:", "checks:\n  - { error: bad, when: '${false}', unless: '${true}' }\nresources:"), PKG,
     "exactly one of 'when'"),
    ("key without forEach", package("    selects: deployment", "    key: ${self.name}"), PKG,
     "'key' of resource 'service' needs a 'forEach'"),
    ("a misspelled resource key", package("    selects: deployment", "    selcts: deployment"), PKG,
     "unknown field 'selcts' in resource 'service'"),
    ("a chart version that interpolates",
     package(append="chart: { repository: ./c.tgz, name: c, version: '${config.image}' }\n"), PKG,
     "'version' cannot interpolate"),
    ("a test with http and tcp",
     package(append="tests: [{ name: t, http: { url: u }, tcp: { host: h, port: 1 } }]\n"), PKG,
     "needs exactly one of http and tcp"),
    ("a let binding named like the scope", package("resources:", "let: { self: x }\nresources:"), PKG,
     "'self' cannot be a let name"),
    ("a need named like the scope", package("options:", "optionalNeeds: [config]\noptions:"), PKG,
     "'config' cannot be a need"),
]


def check_agreement(tmp, env):
    # What kix builds, the schemas accept.
    root = os.path.join(tmp, "everything")
    write(root, {"cluster.yaml": DEFINITION, "more.yaml": MODULE,
                 "pkgs/db/package.yaml": PACKAGE_DB, "pkgs/web/package.yaml": PACKAGE_WEB})
    p = build(root, env)
    check(p.returncode == 0, f"kix builds the definition that uses every field:\n{p.stderr}")
    for name, schema in [("cluster.yaml", "cluster"), ("more.yaml", "module"),
                         ("pkgs/db/package.yaml", "package"), ("pkgs/web/package.yaml", "package")]:
        with open(os.path.join(root, name)) as f:
            problems = errors(schema, load_yaml(f.read()))
        check(not problems, f"{name} of a definition kix builds fails {schema}.json: {problems}")
    # A module is partial: on its own, as a whole definition, it is not.
    check(errors("cluster", load_yaml(MODULE)), "cluster.json takes a partial file naming no modules")
    check(errors("cluster", load_yaml(replaced(DEFINITION, "modules: [./more.yaml]\n", ""))),
          "cluster.json takes a file naming no modules without cluster and packages")
    # What kix refuses, the schemas refuse.
    for i, (what, files, (target, schema), message) in enumerate(REFUSED):
        root = os.path.join(tmp, f"refused-{i}")
        write(root, files)
        with open(os.path.join(root, target)) as f:
            check(errors(schema, load_yaml(f.read())), f"{what}: {target} passes {schema}.json")
        p = build(root, env)
        check(p.returncode == 2 and message in p.stderr,
              f"{what}: kix build exits {p.returncode}, not 2 with {message!r}:\n{p.stderr}")


# --- Every key of the loader is in the schemas.


def cxx_lists(path):
    """The string lists a C++ file initializes: `std::vector<std::string> kName = {...};`."""
    with open(os.path.join(SRC, path)) as f:
        text = f.read()
    lists = {m.group(1): re.findall(r'"([^"]*)"', m.group(2)) for m in re.finditer(
        r"std::vector<std::string>\s+(k\w+)\s*=\s*\{(.*?)\};", text, re.S)}
    return text, lists


def at(schema, pointer):
    node = SCHEMAS[schema]
    for step in pointer.strip("/").split("/"):
        node = node[int(step)] if isinstance(node, list) else node[step]
    return node


# (C++ file, list, schema, where its names are; "keys" of a map or the list itself)
KEY_LISTS = [
    ("compiler/cluster_definition.cc", "kTopLevelKeys", "cluster", "/properties"),
    ("compiler/cluster_definition.cc", "kTopLevelKeys", "module", "/properties"),
    ("compiler/cluster_definition.cc", "kInstanceKeys", "cluster", "/$defs/infrastructureInstance/properties"),
    ("compiler/instance_patch.h", "kPatchKeys", "cluster", "/$defs/patch/properties"),
    ("compiler/instance_patch.cc", "kOpKeys", "cluster", "/$defs/jsonPatchOperation/properties"),
    ("compiler/instance_patch.cc", "kOps", "cluster", "/$defs/jsonPatchOperation/properties/op/enum"),
    ("compiler/package.cc", "kTopLevelKeys", "package", "/properties"),
    ("compiler/package.cc", "kTestKeys", "package", "/$defs/test/properties"),
    ("compiler/package.cc", "kChartKeys", "package", "/$defs/chart/properties"),
    ("compiler/package.cc", "kResourceKeys", "package", "/$defs/resource/properties"),
    ("compiler/package.cc", "kCheckKeys", "package", "/$defs/check/properties"),
    ("compiler/package.cc", "kScopeNames", "package", "/properties/let/propertyNames/pattern"),
    ("compiler/package.cc", "kScopeNames", "package", "/properties/needs/items/pattern"),
    ("compiler/package.cc", "kScopeNames", "package", "/properties/optionalNeeds/items/pattern"),
    ("compiler/options.cc", "kSchemaKeywords", "package", "/$defs/optionKeywords/properties"),
    ("compiler/options.cc", "kTypes", "package", "/$defs/optionKeywords/properties/type/enum"),
]


def names_at(schema, pointer):
    """The keys of a map, the items of a list, or the names a pattern
    refuses up front: `^(?!(?:a|b)$)...`."""
    node = at(schema, pointer)
    if isinstance(node, str):
        m = re.match(r"\^\(\?!\(\?:([^)]*)\)\$\)", node)
        return set(m.group(1).split("|")) if m else set()
    return set(node) if isinstance(node, (dict, list)) else set()


def check_key_lists():
    seen = set()
    for path, name, schema, pointer in KEY_LISTS:
        _, lists = cxx_lists(path)
        seen.add((path, name))
        if not lists.get(name):
            check(False, f"{path}: no list {name} (renamed? update this test)")
            continue
        want = set(lists[name])
        got = names_at(schema, pointer)
        check(want == got, f"{name} of {path} is not what {schema}.json has at {pointer}: "
                           f"missing {sorted(want - got)}, not in the loader {sorted(got - want)}")
    # `namespace` is an instance key for infrastructure instances only.
    _, lists = cxx_lists("compiler/cluster_definition.cc")
    got = names_at("cluster", "/$defs/instance/properties")
    check(set(lists.get("kInstanceKeys", [])) - {"namespace"} == got,
          f"kInstanceKeys but namespace are not the keys of an instance: {sorted(got)}")
    # Tags are no JSON: the schemas name them where editors show them.
    for tag in lists.get("kMergeTags", []):
        for schema in ("cluster", "module"):
            check(tag in SCHEMAS[schema]["description"], f"{schema}.json does not mention the tag {tag}")
    seen.add(("compiler/cluster_definition.cc", "kMergeTags"))
    # Lists written inline: networkPolicies' keys and a test's http and tcp.
    text, _ = cxx_lists("compiler/cluster_definition.cc")
    m = re.search(r'did_you_mean\(key, \{([^}]*)\}\)', text)
    check(m and set(re.findall(r'"([^"]*)"', m.group(1))) ==
          names_at("cluster", "/$defs/networkPolicies/anyOf/1/properties"),
          "the keys of networkPolicies in the loader and in cluster.json differ")
    check(re.search(r'v == "derive"', text) and re.search(r'v != "none"', text) and
          names_at("cluster", "/$defs/networkPolicies/anyOf/0/enum") == {"derive", "none"} and
          re.search(r'value == "all"', text) and
          at("cluster", "/$defs/networkPolicies/anyOf/1/properties/derive/anyOf/0/const") == "all",
          "the words of networkPolicies in the loader and in cluster.json differ")
    text, _ = cxx_lists("compiler/package.cc")
    inline = [re.findall(r'"([^"]*)"', g) for g in re.findall(r"std::vector<std::string>\{([^}]*)\}", text)]
    check([set(keys) for keys in inline] ==
          [names_at("package", "/$defs/test/properties/http/properties"),
           names_at("package", "/$defs/test/properties/tcp/properties")],
          f"the keys of a test's http and tcp in the loader ({inline}) and in package.json differ")
    # A key list this test does not know about fails it until it does.
    for path in ("compiler/cluster_definition.cc", "compiler/instance_patch.h", "compiler/instance_patch.cc",
                 "compiler/package.cc", "compiler/options.cc", "compiler/module_merge.cc"):
        _, lists = cxx_lists(path)
        for name in lists:
            if re.search(r"(Keys|Keywords|Tags|Ops|Types|Names)$", name):
                check((path, name) in seen, f"{path}: the list {name} is not compared with the schemas here")


def main():
    check_schemas()
    check_files()
    check_key_lists()
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, KIX_STORE=os.path.join(tmp, "store"))
        check_agreement(tmp, env)
    return finish()


if __name__ == "__main__":
    raise SystemExit(main())
