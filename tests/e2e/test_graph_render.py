#!/usr/bin/env python3
"""kix graph as a reader sees it: the DOT labels use DOT's own line break,
Graphviz (`dot`) renders them as two lines of text per resource, and the SVG
renders to a PNG with a real renderer (rsvg-convert). Both come from
scripts/setup.sh; a missing one is a failure, not a skip."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

from e2e_support import SRC, check, finish, kix

SVG = "{http://www.w3.org/2000/svg}"


def main():
    example = os.path.join(SRC, "examples", "immich")
    for tool in ("dot", "rsvg-convert"):
        check(shutil.which(tool) is not None, f"{tool} is missing: run scripts/setup.sh sanitize")
    graph = json.loads(kix("graph", example, "--format", "json", expect=0).stdout)
    nodes = {n["node"][:12]: n for n in graph["nodes"]}
    check(len(nodes) > 5, f"the example has resources: {len(nodes)}")

    dot = kix("graph", example, "--format", "dot", expect=0).stdout
    for short, n in nodes.items():
        want = f'"{short}" [label="{n["kind"]}\\n{n["name"]}"];'
        check(want in dot, f"DOT labels {n['kind']}/{n['name']} as {want!r}:\n{dot[:600]}")
    check("\\\\n" not in dot, "no escaped backslash before n in the DOT text")

    svg = kix("graph", example, "--format", "svg", expect=0).stdout
    root = ET.fromstring(svg)
    texts = [t.text or "" for t in root.iter(SVG + "text")]
    check(texts and not any("\\" in t for t in texts), f"no backslash in any drawn text: {texts}")
    drawn = {}
    for group in root.iter(SVG + "g"):
        if group.get("class") != "node":
            continue
        title = group.find(SVG + "title")
        drawn[title.text if title is not None else ""] = [t.text for t in group.iter(SVG + "text")]
    for short, n in nodes.items():
        check(drawn.get(short) == [n["kind"], n["name"]],
              f"{short} is drawn as {drawn.get(short)}, want {[n['kind'], n['name']]}")

    with tempfile.TemporaryDirectory() as tmp:
        svg_file = os.path.join(tmp, "graph.svg")
        png_file = os.path.join(tmp, "graph.png")
        with open(svg_file, "w") as f:
            f.write(svg)
        proc = subprocess.run(["rsvg-convert", svg_file, "-o", png_file], capture_output=True,
                              text=True)
        check(proc.returncode == 0, f"rsvg-convert renders the SVG: {proc.stderr}")
        if proc.returncode == 0:
            with open(png_file, "rb") as f:
                head = f.read(24)
            check(head[:8] == b"\x89PNG\r\n\x1a\n", "the rendering is a PNG")
            width = int.from_bytes(head[16:20], "big")
            height = int.from_bytes(head[20:24], "big")
            check(width > 100 and height > 100, f"the PNG has a size: {width}x{height}")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
