#!/usr/bin/env python3
"""Grows a copy of the workspace into a large one, for benchmarks at scale.

    tools/bench/generated_workspace.py --libraries=50 --files=20 COPY

Adds `--libraries` hot libraries under COPY/libs/generated/ (g00, g01, ...), each of `--files`
source files plus the one that defines its module, all behind one shared interface
(libs/generated/api.h), and adds every one to the demo app's `modules`, so that they are part of
the hot app's build graph: ibazel watches their files, Bazel checks them on every build, the
fast path (tools/fast_path.py) reads their actions and dependency files. The app does not call
them; libs/view stays the module the benchmarks edit. Never run it on the workspace itself:
tools/bench/edit_latency.py runs it on its temporary copy (--generated_libraries).
"""

import argparse
import os
import re
import sys

APP_BUILD = "app/BUILD.bazel"
ROOT = "libs/generated"

API_BUILD = '''load("//tools:hot_cc_library.bzl", "hot_cc_interface")

hot_cc_interface(
    name = "api",
    hdrs = ["api.h"],
    visibility = ["//visibility:public"],
    deps = ["//reload:module_abi"],
)
'''

API_HEADER = '''#ifndef HOTCC_LIBS_GENERATED_API_H_
#define HOTCC_LIBS_GENERATED_API_H_

#include <cstdint>

#include "libs/generated/api_fingerprint.h"
#include "reload/module_abi.h"

namespace hotcc::generated {

struct GeneratedApi {
  std::int64_t (*compute)(std::int64_t input);
};

}  // namespace hotcc::generated

#endif  // HOTCC_LIBS_GENERATED_API_H_
'''

LIBRARY_BUILD = '''load("//tools:hot_cc_library.bzl", "hot_cc_library")

hot_cc_library(
    name = "{name}",
    srcs = [{srcs}],
    hdrs = ["{name}.h"],
    visibility = ["//visibility:public"],
    deps = ["//libs/generated:api"],
)
'''

LIBRARY_HEADER = '''#ifndef HOTCC_LIBS_GENERATED_{upper}_H_
#define HOTCC_LIBS_GENERATED_{upper}_H_

#include <cstdint>

namespace hotcc::generated::{name} {{

{declarations}
std::int64_t compute(std::int64_t input);

}}  // namespace hotcc::generated::{name}

#endif  // HOTCC_LIBS_GENERATED_{upper}_H_
'''

# Each file a little arithmetic and a standard header, so that it costs a compile like a small
# real one.
SOURCE = '''#include <algorithm>
#include <array>
#include <cstdint>

#include "libs/generated/{name}/{name}.h"

namespace hotcc::generated::{name} {{

std::int64_t step{index}(std::int64_t input) {{
  std::array<std::int64_t, 8> values{{}};
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = input * {index} + i;
  return *std::max_element(values.begin(), values.end()) % 1000003;
}}

}}  // namespace hotcc::generated::{name}
'''

MODULE = '''#include "libs/generated/api.h"
#include "libs/generated/{name}/{name}.h"

namespace hotcc::generated::{name} {{

std::int64_t compute(std::int64_t input) {{
  std::int64_t value = input;
{calls}
  return value;
}}

}}  // namespace hotcc::generated::{name}

HOTCC_DEFINE_MODULE({name}, hotcc::generated::GeneratedApi, {{&hotcc::generated::{name}::compute}})
'''


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as out:
        out.write(text)


def generate(copy, libraries, files):
    """Writes the libraries into `copy` and adds them to the app; returns the source count."""
    write(os.path.join(copy, ROOT, "BUILD.bazel"), API_BUILD)
    write(os.path.join(copy, ROOT, "api.h"), API_HEADER)
    labels = []
    for number in range(libraries):
        name = f"g{number:02d}"
        directory = os.path.join(copy, ROOT, name)
        sources = [f"{name}_{index:02d}.cc" for index in range(files)] + [f"{name}_module.cc"]
        write(os.path.join(directory, "BUILD.bazel"), LIBRARY_BUILD.format(
            name=name, srcs=", ".join(f'"{s}"' for s in sources)))
        write(os.path.join(directory, f"{name}.h"), LIBRARY_HEADER.format(
            name=name, upper=name.upper(),
            declarations="".join(f"std::int64_t step{i}(std::int64_t input);\n"
                                 for i in range(files))))
        for index in range(files):
            write(os.path.join(directory, sources[index]), SOURCE.format(name=name, index=index))
        write(os.path.join(directory, sources[-1]), MODULE.format(
            name=name, calls="\n".join(f"  value = step{i}(value);" for i in range(files))))
        labels.append(f"//{ROOT}/{name}")
    app_build = os.path.join(copy, APP_BUILD)
    with open(app_build) as build:
        text = build.read()
    anchor = re.search(r'modules = \[\n(\s*)"//libs/update",\n', text)
    if not anchor:
        raise SystemExit(f"{APP_BUILD} has no modules list starting with //libs/update")
    indent = anchor.group(1)
    added = "".join(f'{indent}"{label}",\n' for label in labels)
    with open(app_build, "w") as build:
        build.write(text[:anchor.end()] + added + text[anchor.end():])
    return libraries * (files + 1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--libraries", type=int, default=50)
    parser.add_argument("--files", type=int, default=20, help="source files per library, "
                        "besides the one that defines its module")
    parser.add_argument("copy", help="a copy of the workspace (never the workspace itself)")
    args = parser.parse_args()
    if os.path.exists(os.path.join(args.copy, ".git")):
        raise SystemExit(f"{args.copy} is a git checkout; give a copy of the workspace")
    count = generate(args.copy, args.libraries, args.files)
    print(f"generated_workspace: {args.libraries} hot libraries, {count} source files",
          file=sys.stderr)


if __name__ == "__main__":
    main()
