#!/usr/bin/env python3
"""Writes compile_commands.json at the workspace root from Bazel's own compile actions.

    tools/compile_commands.sh            (builds the dev configuration first, then runs this)

Every CppCompile action of //... in the dev build (`--config=hot`, the options the dev loop
uses, so that its analysis cache stays) becomes one entry, with Bazel's own arguments, run in
Bazel's execution root: external repositories (external/...) and generated headers (bazel-out/
..., such as the interface fingerprint) resolve there. The entry's "file" is the source in the
workspace, the path an editor opens. GCC options that clang does not know are left out, so
that clangd reports the code's errors and not the command line's.
"""

import json
import os
import subprocess
import sys

WORKSPACE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# GCC-only options in Bazel's or hotcc's compile lines; clang would call each an error.
GCC_ONLY = {
    "-fno-canonical-system-headers",
    "-fno-gnu-unique",
    "-fgnu-unique",
    "-Wunused-but-set-parameter",
    "-Wno-free-nonheap-object",
    "-fno-free-nonheap-object",
}
# Outputs and dependency files: an IDE compiles nothing to disk.
WITH_VALUE = {"-o", "-MF"}


def bazel(*args):
    return subprocess.run(["bazel", *args], cwd=WORKSPACE, check=True, capture_output=True,
                          text=True).stdout


def entry(action, execroot):
    argv = action["arguments"]
    source = next((a for a in argv if a.endswith((".cc", ".cpp", ".c"))
                   and not a.startswith("-")), None)
    if source is None:
        return None
    arguments = []
    skip = False
    for index, arg in enumerate(argv):
        if skip:
            skip = False
            continue
        if arg in WITH_VALUE:
            skip = True
            continue
        if arg in GCC_ONLY or arg == "-MD":
            continue
        if arg == source:
            arg = os.path.join(WORKSPACE, source)
        arguments.append(arg if index else "clang++")
    return {"directory": execroot, "arguments": arguments,
            "file": os.path.join(WORKSPACE, source)}


def main():
    execroot = bazel("info", "--config=hot", "execution_root").strip()
    query = bazel("aquery", "--config=hot", "--output=jsonproto", "mnemonic(CppCompile, //...)")
    entries = {}
    for action in json.loads(query).get("actions", []):
        item = entry(action, execroot)
        # External repositories' own files are not the workspace's to edit.
        if item and not os.path.relpath(item["file"], WORKSPACE).startswith("external"):
            entries.setdefault(item["file"], item)  # One configuration's line per file.
    out = os.path.join(WORKSPACE, "compile_commands.json")
    with open(out, "w") as json_file:
        json.dump(sorted(entries.values(), key=lambda e: e["file"]), json_file, indent=1)
    print(f"compile_commands: {len(entries)} files in {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
