#!/usr/bin/env python3
"""The benchmark generator is deterministic and realistic.

Runs bench/generate.py as a user would (a subprocess, into temporary
directories) and checks: the same seed gives byte-identical trees, another
seed gives different ones, every promised kind is present, the average
resource is about 1.6 KB, some ConfigMaps are 2-20 KB, each generation
changes exactly the requested share of files, Services select workloads that
exist, and the cluster definition generator is deterministic too.
"""

import os
import re
import subprocess
import sys
import tempfile
import unittest

SOURCE_DIR = os.environ.get(
    "KIX_SOURCE_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
GENERATE = os.path.join(SOURCE_DIR, "bench", "generate.py")
KINDS = ["Deployment", "StatefulSet", "Service", "ConfigMap", "ServiceAccount",
         "PersistentVolumeClaim", "Ingress", "Role", "RoleBinding"]


def generate(*args):
    subprocess.run([sys.executable, GENERATE, *args], check=True)


def read_tree(root):
    files = {}
    for directory, _, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            with open(path, "rb") as f:
                files[os.path.relpath(path, root)] = f.read()
    return files


class BenchGenerator(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="kix-bench-gen-")
        cls.a = os.path.join(cls.tmp.name, "a")
        cls.b = os.path.join(cls.tmp.name, "b")
        cls.other = os.path.join(cls.tmp.name, "other")
        common = ["--resources", "2000", "--generations", "3", "--churn", "1"]
        generate("resources", cls.a, "--seed", "5", *common)
        generate("resources", cls.b, "--seed", "5", *common)
        generate("resources", cls.other, "--seed", "6", *common)
        cls.gen1 = read_tree(os.path.join(cls.a, "gen-001"))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_same_seed_gives_byte_identical_trees(self):
        for gen in ("gen-001", "gen-002", "gen-003"):
            self.assertEqual(read_tree(os.path.join(self.a, gen)),
                             read_tree(os.path.join(self.b, gen)), gen)

    def test_other_seed_gives_other_content(self):
        self.assertNotEqual(self.gen1, read_tree(os.path.join(self.other, "gen-001")))

    def test_writes_the_requested_number_of_resources(self):
        self.assertEqual(len(self.gen1), 2000)

    def test_every_promised_kind_is_present(self):
        kinds = {re.search(rb"^kind: (\w+)$", data, re.M).group(1).decode()
                 for data in self.gen1.values()}
        for kind in KINDS:
            self.assertIn(kind, kinds)

    def test_average_resource_is_about_1_6_kb(self):
        average = sum(len(d) for d in self.gen1.values()) / len(self.gen1)
        self.assertGreater(average, 1300)
        self.assertLess(average, 2000)

    def test_some_configmaps_are_2_to_20_kb(self):
        sizes = [len(d) for d in self.gen1.values() if b"\nkind: ConfigMap\n" in d]
        large = [s for s in sizes if 2000 <= s <= 20500]
        self.assertGreater(len(large), len(sizes) // 10)
        self.assertLess(max(sizes), 20500)

    def test_each_generation_changes_one_percent_of_files(self):
        previous = self.gen1
        for gen in ("gen-002", "gen-003"):
            current = read_tree(os.path.join(self.a, gen))
            self.assertEqual(set(current), set(previous))
            changed = [p for p in current if current[p] != previous[p]]
            self.assertEqual(len(changed), 20, gen)
            previous = current

    def test_delta_layout_holds_only_changed_files(self):
        delta = os.path.join(self.tmp.name, "delta")
        generate("resources", delta, "--seed", "5", "--resources", "2000",
                 "--generations", "2", "--layout", "delta")
        changes = read_tree(os.path.join(delta, "gen-002"))
        full = read_tree(os.path.join(self.a, "gen-002"))
        self.assertEqual(len(changes), 20)
        for path, data in changes.items():
            self.assertEqual(full[path], data)

    def test_services_select_workloads_of_their_namespace(self):
        workloads = set()
        selectors = []
        for path, data in self.gen1.items():
            namespace = os.path.dirname(path)
            text = data.decode()
            match = re.search(r"^  selector:\n    matchLabels:\n      "
                              r"app.kubernetes.io/name: (\S+)$", text, re.M)
            if match and re.search(r"^kind: (Deployment|StatefulSet)$", text, re.M):
                workloads.add((namespace, match.group(1)))
            if re.search(r"^kind: Service$", text, re.M):
                name = re.search(r"^  selector:\n    app.kubernetes.io/name: (\S+)$",
                                 text, re.M).group(1)
                selectors.append((namespace, name))
        self.assertTrue(selectors)
        for selector in selectors:
            self.assertIn(selector, workloads)

    def test_definitions_are_deterministic(self):
        one = os.path.join(self.tmp.name, "one.yaml")
        two = os.path.join(self.tmp.name, "two.yaml")
        generate("definitions", one, "--instances", "50", "--namespaces", "5")
        generate("definitions", two, "--instances", "50", "--namespaces", "5")
        with open(one, "rb") as f1, open(two, "rb") as f2:
            text = f1.read()
            self.assertEqual(text, f2.read())
        # 50 instances plus the infrastructure's StorageClass.
        self.assertEqual(text.count(b"package: "), 51)
        self.assertEqual(text.count(b"package: immich\n"), 5)


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=1).result
    failed = len(result.failures) + len(result.errors)
    print("%d passed, %d failed" % (result.testsRun - failed, failed))
    sys.exit(1 if failed else 0)
