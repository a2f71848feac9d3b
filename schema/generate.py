#!/usr/bin/env python3
"""Derives kix's compact validation schemas from the upstream API specs.

Usage: schema/generate.py [--swagger PATH] [--cnpg PATH] [--out DIR]

Reads the Kubernetes OpenAPI v2 spec (swagger.json) and the CloudNativePG
CRDs (a multi-document YAML file) and writes, under --out (default: the
directory of this script):

  kubernetes.json     every definition of the spec, stripped, plus the
                      apiVersion/kind -> definition table
  cloudnative-pg.json the openAPIV3Schema of every served CNPG version

The format is documented in schema/README.md. The output is deterministic
(sorted keys, no timestamps) so regenerating from the same inputs changes
no bytes.
"""

import argparse
import json
import os
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SWAGGER = "/work/shared/k8s-api/swagger.json"
DEFAULT_CNPG = "/work/shared/k8s-api/crds/cloudnative-pg.yaml"

OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"

# The keywords the validator reads. Everything else (descriptions, patch
# strategies, list types, CEL rules, defaults) does not decide validity of a
# manifest file and is dropped.
KEPT_KEYWORDS = {
    "type", "properties", "additionalProperties", "items", "required", "enum",
    "$ref", "anyOf", "oneOf", "allOf", "not", "pattern", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength",
    "minItems", "maxItems", "minProperties", "maxProperties", "nullable",
    "x-kubernetes-preserve-unknown-fields", "x-kubernetes-int-or-string",
    "x-kubernetes-embedded-resource", "format",
}
# Formats the validator checks; the integer widths are implied by "integer".
KEPT_FORMATS = {"byte"}


def strip(schema):
    """A copy of `schema` with only the keywords the validator reads."""
    if isinstance(schema, list):
        return [strip(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if key not in KEPT_KEYWORDS:
            continue
        if key == "format" and value not in KEPT_FORMATS:
            continue
        if key == "properties":
            out[key] = {name: strip(sub) for name, sub in value.items()}
        elif key in ("enum", "required"):
            out[key] = value
        elif key == "$ref":
            out[key] = value.rsplit("/", 1)[-1]
        else:
            out[key] = strip(value)
    if out.get("x-kubernetes-int-or-string"):
        # The anyOf [integer, string] that controller-gen writes beside the
        # marker says the same thing; the validator handles the marker.
        out.pop("anyOf", None)
        out.pop("type", None)
    return out


def api_version(group, version):
    return f"{group}/{version}" if group else version


def kubernetes(swagger_path):
    with open(swagger_path, encoding="utf-8") as f:
        spec = json.load(f)
    definitions = {}
    kinds = {}
    for name, schema in spec["definitions"].items():
        for gvk in schema.get("x-kubernetes-group-version-kind", []):
            key = f'{api_version(gvk["group"], gvk["version"])}/{gvk["kind"]}'
            # A few meta types (DeleteOptions, WatchEvent) are listed under
            # every group; they are not resources anyone writes in a file.
            if name.startswith("io.k8s.apimachinery.pkg.apis.meta.v1."):
                continue
            kinds[key] = name
        definitions[name] = strip(schema)
    # Types whose wire form is not what the spec's "type" says.
    definitions["io.k8s.apimachinery.pkg.util.intstr.IntOrString"] = {
        "x-kubernetes-int-or-string": True}
    definitions["io.k8s.apimachinery.pkg.api.resource.Quantity"] = {
        "type": ["string", "number"]}
    # Free-form JSON values: anything goes.
    definitions["io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON"] = {}
    definitions["io.k8s.apimachinery.pkg.runtime.RawExtension"] = {
        "type": "object", "x-kubernetes-preserve-unknown-fields": True}
    definitions["io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1"] = {
        "type": "object", "x-kubernetes-preserve-unknown-fields": True}
    return {"format": "kix-schema/v1", "source": "kubernetes swagger.json (release-1.36)",
            "kinds": kinds, "definitions": definitions}


def crds(path, source):
    with open(path, encoding="utf-8") as f:
        documents = [d for d in yaml.safe_load_all(f) if d]
    kinds = {}
    definitions = {}
    for crd in documents:
        if crd.get("kind") != "CustomResourceDefinition":
            continue
        group = crd["spec"]["group"]
        kind = crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            if not version.get("served", True):
                continue
            schema = strip(version["schema"]["openAPIV3Schema"])
            properties = schema.setdefault("properties", {})
            # CRD schemas say only "metadata: {type: object}"; the server
            # validates it as ObjectMeta, and so does kix.
            properties["metadata"] = {"$ref": OBJECT_META}
            properties.setdefault("apiVersion", {"type": "string"})
            properties.setdefault("kind", {"type": "string"})
            name = f'{group}.{version["name"]}.{kind}'
            definitions[name] = schema
            kinds[f'{group}/{version["name"]}/{kind}'] = name
    return {"format": "kix-schema/v1", "source": source, "kinds": kinds,
            "definitions": definitions}


def write(data, path):
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text + "\n")
    print(f"wrote {path}: {len(data['kinds'])} kinds, {len(text)} bytes")


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--swagger", default=DEFAULT_SWAGGER)
    parser.add_argument("--cnpg", default=DEFAULT_CNPG)
    parser.add_argument("--out", default=HERE)
    args = parser.parse_args(argv)
    write(kubernetes(args.swagger), os.path.join(args.out, "kubernetes.json"))
    write(crds(args.cnpg, "cloudnative-pg chart 0.29.0 CRDs (operator 1.30.0)"),
          os.path.join(args.out, "cloudnative-pg.json"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
