#!/usr/bin/env python3
"""kix package docs: every built-in package's README holds the reference
part (signature, options table, out contract) exactly as its package.yaml
generates it; a copy whose package.yaml gains an option fails --check with
a diff naming the option, and --update brings the README back in line
without touching the author's text around the part; a package without a
README gets one; a README without the markers is refused."""
import os
import shutil
import tempfile

from e2e_support import SRC, check, finish, kix

PACKAGES = os.path.join(SRC, "packages")
BEGIN = "<!-- Generated from package.yaml by `kix package docs`"


def main():
    for name in sorted(os.listdir(PACKAGES)):
        proc = kix("package", "docs", "--check", os.path.join(PACKAGES, name))
        check(proc.returncode == 0,
              f"packages/{name}/README.md is out of date: run `kix package docs --update "
              f"packages/{name}`\n{proc.stdout}{proc.stderr}")

    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "valkey")
        shutil.copytree(os.path.join(PACKAGES, "valkey"), copy)
        readme = os.path.join(copy, "README.md")
        with open(readme) as f:
            before = f.read()
        with open(os.path.join(copy, "package.yaml")) as f:
            manifest = f.read()
        with open(os.path.join(copy, "package.yaml"), "w") as f:
            f.write(manifest.replace("options:\n", "options:\n  maxMemory: { type: string, "
                                     "description: \"Memory limit | as <size>\" }\n", 1))
        proc = kix("package", "docs", "--check", copy, expect=1)
        check("+| `maxMemory` | string | — | Memory limit \\| as \\<size\\> |" in proc.stdout,
              f"--check shows the new row:\n{proc.stdout}")
        check("out of date" in proc.stderr, proc.stderr)
        out = kix("package", "docs", "--update", copy, expect=0).stdout
        check(out.startswith("updated "), out)
        with open(readme) as f:
            after = f.read()
        check(after.split(BEGIN)[0] == before.split(BEGIN)[0] and
              after.split("<!-- End of the generated part. -->")[1] ==
              before.split("<!-- End of the generated part. -->")[1],
              "the author's text around the part is kept")
        kix("package", "docs", "--check", copy, expect=0)
        check(kix("package", "docs", "--update", copy, expect=0).stdout.endswith("is up to date\n"),
              "a second --update changes nothing")

        # Without a README: --check says so, --update writes one.
        os.remove(readme)
        kix("package", "docs", "--check", copy, expect=2)
        kix("package", "docs", "--update", copy, expect=0)
        with open(readme) as f:
            fresh = f.read()
        check(fresh.startswith("# valkey\n\nValkey, the Redis-compatible") and BEGIN in fresh,
              f"a new README: title, description, the part:\n{fresh[:300]}")

        # A README without the markers is the author's: refused, untouched.
        with open(readme, "w") as f:
            f.write("# valkey\n\nHand-written.\n")
        proc = kix("package", "docs", "--update", copy, expect=2)
        check("has no generated part" in proc.stderr, proc.stderr)
        with open(readme) as f:
            check(f.read() == "# valkey\n\nHand-written.\n", "the README is left as it was")

        # The part printed alone, from inside the package directory.
        printed = kix("package", "docs", cwd=copy, expect=0).stdout
        check(printed.startswith(BEGIN) and "## Out (what dependents read)" in printed
              and "`external: true`" in printed, printed)
        kix("package", "docs", os.path.join(tmp, "nowhere"), expect=2)
    return finish()


if __name__ == "__main__":
    raise SystemExit(main())
