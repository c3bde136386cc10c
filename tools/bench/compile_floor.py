#!/usr/bin/env python3
"""What a hot library's compile costs, and what would make it cheaper (edit-to-effect issue).

    tools/bench/compile_floor.py [--samples=15] [--json_out=FILE]

Bazel's own compile command line for libs/view/view.cc in the dev build (from `bazel aquery`,
as benchmark 1's floor takes it) is replayed in Bazel's execution root, outside Bazel, writing
to a scratch directory, in variants that take turns sample by sample:

    as built          the command line as Bazel runs it (fastbuild: -O0, and -g for hot libraries)
    without -g        the same without debug information (the stateless check needs it: kept)
    -O2               what an optimizing dev build would pay
    -std=c++20        the language of hosts (tools/hot_flags.bzl), were hot libraries built in it
    -fsyntax-only     parsing and checking only: the front end's share
    -E                preprocessing only: reading and expanding the included headers
    with a PCH        the headers of libs/view/view.h precompiled once (GCC .gch), used with
                      -include; the cost of building the PCH is reported separately

Prints a Markdown table (milliseconds, p50 and p95) and the preprocessed size, and writes JSON.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import edit_latency  # noqa: E402  (the floor's command line, and the statistics)

SOURCE_ROOT = edit_latency.SOURCE_ROOT


def timed(argv, cwd, env):
    start = time.monotonic_ns()
    subprocess.run(argv, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
    return (time.monotonic_ns() - start) / 1e6


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=15)
    parser.add_argument("--json_out", default="")
    args = parser.parse_args()
    scratch = tempfile.mkdtemp(prefix="hotcc-compile-floor-")
    subprocess.run(["bazel", "build", "--config=hot", "--noshow_progress",
                    "//libs/view:libview.so"], cwd=SOURCE_ROOT, check=True,
                   stderr=subprocess.DEVNULL)
    execroot = subprocess.run(["bazel", "info", "execution_root"], cwd=SOURCE_ROOT, check=True,
                              capture_output=True, text=True).stdout.strip()
    floor = edit_latency.Floor(SOURCE_ROOT, execroot, scratch)
    base = floor.compile_argv
    output = base[base.index("-o") + 1]
    without_output = [a for i, a in enumerate(base)
                      if a != "-o" and (i == 0 or base[i - 1] != "-o")]

    # The precompiled header: view.h's includes, with the very same flags, beside its .gch.
    pch = os.path.join(scratch, "pch.h")
    with open(pch, "w") as header:
        header.write('#include "libs/view/view.h"\n')
    source = next(a for a in base if a.endswith(edit_latency.VIEW_SOURCE))
    pch_argv = [a for a in without_output if a != source and a != "-c"] + [
        "-x", "c++-header", pch, "-o", pch + ".gch"]
    pch_argv = [a for a in pch_argv if not a.startswith("-MD") and not a.endswith(".pic.d")
                and a != "-MF"]
    pch_build_ms = timed(pch_argv, execroot, floor.env)

    variants = {
        "as built": base,
        "without -g": [a for a in base if a != "-g"],
        "-O2": base + ["-O2"],
        "-std=c++20": base + ["-std=c++20"],
        "-fsyntax-only": without_output + ["-fsyntax-only"],
        "-E": without_output + ["-E", "-o", os.path.join(scratch, "view.ii")],
        "with a PCH": base[:1] + ["-include", pch, "-Winvalid-pch"] + base[1:],
    }
    samples = {name: [] for name in variants}
    for name, argv in variants.items():  # One unmeasured run each: the page cache.
        timed(argv, execroot, floor.env)
    for _ in range(args.samples):
        for name, argv in variants.items():
            samples[name].append(timed(argv, execroot, floor.env))
    preprocessed = os.path.getsize(os.path.join(scratch, "view.ii"))
    with open(os.path.join(scratch, "view.ii"), "rb") as expanded:
        lines = expanded.read().count(b"\n")
    result = {
        "source": edit_latency.VIEW_SOURCE,
        "compile_argv": base,
        "pch_build_ms": pch_build_ms,
        "preprocessed_bytes": preprocessed,
        "preprocessed_lines": lines,
        "variants": {name: edit_latency.summary(values) for name, values in samples.items()},
    }
    as_built = result["variants"]["as built"]["p50"]
    print(f"### Compile of {edit_latency.VIEW_SOURCE}: ms, p50 (p95), {args.samples} samples each\n")
    print("| variant | compile | / as built (p50) |\n|---|---:|---:|")
    for name, stats in result["variants"].items():
        print(f"| {name} | {stats['p50']:.0f} ({stats['p95']:.0f}) | "
              f"{stats['p50'] / as_built:.2f} |")
    print(f"\nPreprocessed: {lines} lines, {preprocessed // 1024} KiB. "
          f"Building the PCH once: {pch_build_ms:.0f} ms.")
    if args.json_out:
        with open(args.json_out, "w") as out:
            json.dump(result, out, indent=2)
    subprocess.run(["rm", "-rf", scratch], check=False)


if __name__ == "__main__":
    main()
