#!/usr/bin/env python3
"""The dev loop's fast path: builds the hot modules that a save touches, before Bazel does.

    tools/fast_path.py --out_dir=DIR [--target=//app] [--workspace=.] [--verbose]

(tools/dev.sh starts it beside ibazel and tells the app where DIR is, in HOTCC_FAST_DIR.)

On a save, Bazel spends about 100 ms of its own (checking the tree, the action cache, the
sandbox) around a module's 200 ms compile and link, and ibazel adds its debounce and its
notification. This tool runs Bazel's own command lines for the module at once instead:

  1. At start, it reads the dev build's action graph of --target from `bazel aquery
     --config=hot`: every hot module's link (a `lib<name>.so` linked with hotcc's version
     script, tools/hot_module.lds), and every compile whose object goes into one.
  2. It watches the workspace directories of those compiles' sources and of the headers that
     Bazel's dependency files (`.d`) say they include.
  3. On a save of such a file, it recompiles the objects that include it, with Bazel's exact
     command line in Bazel's execution root (the object goes to DIR), relinks each module that
     contains one of them (in DIR, under the same relative output path, so that the result is
     byte-identical to Bazel's), and moves the module to DIR/lib<name>.so, where the app's loader
     picks it up (reload/hot_reloader.h, "fast path"). DIR/lib<name>.so.started holds when the
     build started, for the loader's report line.

Bazel stays the authority: ibazel builds as before, and the loader compares Bazel's module with
the one it loaded from here. The same bytes are only confirmed; different ones replace it; a
failed Bazel build puts Bazel's last good module back. So this tool only ever saves time, and
it does nothing it cannot prove it handles: a file that anything but a hot module's compile
reads (a shared header, which the interface fingerprint covers; the app's own code), a BUILD,
.bzl or WORKSPACE file, or a file the graph does not know is left to Bazel. After a BUILD or
.bzl edit, the graph is read again at the next save.

A compile error is reported in one line; Bazel's build shows the error itself.
"""

import argparse
import ctypes
import json
import os
import re
import struct
import subprocess
import sys
import time

# Bazel runs every C++ action with this environment (--incompatible_strict_action_env), and
# with PWD=/proc/self/cwd, which GCC writes into the debug information as the compile
# directory: the same value keeps the fast object byte-identical to Bazel's.
ACTION_ENV = {"PATH": "/bin:/usr/bin:/usr/local/bin", "PWD": "/proc/self/cwd"}
# hot_cc_library links each module with this version script (HOT_MODULE_VERSION_SCRIPT): it
# tells a hot module's link from every other.
MODULE_VERSION_SCRIPT = re.compile(r"^-Wl,--version-script=(.*/)?hot_module\.lds$")
# Files whose edit can change the action graph itself.
GRAPH_FILES = re.compile(r"(^|/)(BUILD|BUILD\.bazel|WORKSPACE|WORKSPACE\.bazel|[^/]*\.bzl)$")

IN_CLOSE_WRITE = 0x00000008
IN_MOVED_TO = 0x00000080
IN_CREATE = 0x00000100
IN_Q_OVERFLOW = 0x00004000
EVENT_HEADER = struct.Struct("iIII")


def say(message):
    sys.stderr.write(f"hotcc: fast path: {message}\n")
    sys.stderr.flush()


class Compile:
    """One CppCompile action: its source, object, dependency file and command line."""

    def __init__(self, argv):
        self.argv = argv
        self.source = argv[argv.index("-c") + 1]
        self.object = argv[argv.index("-o") + 1]
        self.dep_file = argv[argv.index("-MF") + 1] if "-MF" in argv else None


class ModuleLink:
    """One hot module's CppLink action."""

    def __init__(self, argv):
        self.argv = argv
        self.output = argv[argv.index("-o") + 1]
        self.name = re.sub(r"^lib|\.so$", "", os.path.basename(self.output))


def link_argv(action):
    """The link's full command line: Bazel runs `gcc @params`, and aquery (with
    --include_param_files) spells them out."""
    argv = action["arguments"]
    params = action.get("paramFiles", [])
    if not params:
        return [argv[0]] + [a for a in argv[1:] if not a.startswith("@")]
    return [argv[0]] + params[0]["arguments"]


class ActionGraph:
    """What the dev build of the target compiles and links, from `bazel aquery`."""

    def __init__(self, query):
        fragments = {f["id"]: f for f in query.get("pathFragments", [])}

        def path_of(fragment_id):
            parts = []
            while fragment_id:
                fragment = fragments[fragment_id]
                parts.append(fragment["label"])
                fragment_id = fragment.get("parentId")
            return "/".join(reversed(parts))

        artifacts = {a["id"]: path_of(a["pathFragmentId"]) for a in query.get("artifacts", [])}
        depsets = {d["id"]: d for d in query.get("depSetOfFiles", [])}

        def inputs_of(action):
            seen, stack, paths = set(), list(action.get("inputDepSetIds", [])), set()
            while stack:
                depset_id = stack.pop()
                if depset_id in seen:
                    continue
                seen.add(depset_id)
                depset = depsets[depset_id]
                paths.update(artifacts[i] for i in depset.get("directArtifactIds", []))
                stack.extend(depset.get("transitiveDepSetIds", []))
            return paths

        self.modules = {}  # output path -> ModuleLink
        compiles = {}  # object path -> Compile
        self.object_users = {}  # object path -> the outputs of the links that read it
        # Inputs of actions that are neither C++ compiles nor links (the interface fingerprint,
        # runfiles trees, ...): a file any of them reads is not the fast path's to build.
        self.other_inputs = set()
        for action in query.get("actions", []):
            mnemonic = action["mnemonic"]
            if mnemonic == "CppCompile":
                compile_ = Compile(action["arguments"])
                compiles[compile_.object] = compile_
            elif mnemonic == "CppLink":  # In Bazel 4, archiving (`ar`) is a CppLink too.
                argv = link_argv(action)
                output = next(artifacts[i] for i in action["outputIds"]
                              if not artifacts[i].endswith(".params"))
                if any(MODULE_VERSION_SCRIPT.match(a) for a in argv):
                    self.modules[output] = ModuleLink(argv)
                for arg in argv:
                    if arg.endswith((".o", ".a", ".lo")) and arg != output:
                        self.object_users.setdefault(arg, set()).add(output)
            elif mnemonic != "Middleman":  # A middleman only groups other actions' inputs.
                self.other_inputs |= inputs_of(action)
        # A module compile's object goes into hot modules and nothing else (an archive of it
        # that nothing else links, such as hot_cc_library's alwayslink .lo, does not count).
        def only_modules(output):
            if output in self.modules:
                return True
            users = self.object_users.get(output, set())
            return output.endswith((".a", ".lo")) and all(only_modules(u) for u in users)

        self.module_compiles = []
        self.other_compiles = []
        for obj, compile_ in compiles.items():
            users = self.object_users.get(obj, set())
            if users & self.modules.keys() and all(only_modules(u) for u in users):
                self.module_compiles.append(compile_)
            elif users:
                self.other_compiles.append(compile_)


class DepFiles:
    """The files each compile read, from the newest of Bazel's `.d` file and the fast path's."""

    def __init__(self, execroot, out_dir):
        self.execroot = execroot
        self.out_dir = out_dir
        self._parsed = {}  # path -> (mtime_ns, set of files)

    def fast_path_of(self, bazel_path):
        return os.path.join(self.out_dir, "objects", bazel_path)

    def read(self, compile_):
        candidates = []
        if compile_.dep_file:
            candidates = [os.path.join(self.execroot, compile_.dep_file),
                          self.fast_path_of(compile_.dep_file)]
        newest, newest_mtime = None, -1
        for path in candidates:
            try:
                mtime = os.stat(path).st_mtime_ns
            except FileNotFoundError:
                continue
            if mtime > newest_mtime:
                newest, newest_mtime = path, mtime
        files = {compile_.source}
        if newest is None:
            return files
        cached = self._parsed.get(newest)
        if cached is None or cached[0] != newest_mtime:
            with open(newest) as dep_file:
                text = dep_file.read().replace("\\\n", " ")
            # "object: source header header ..."; GCC escapes a space in a name with a backslash.
            _, _, rest = text.partition(": ")
            names = {n.replace("\\ ", " ") for n in re.split(r"(?<!\\)\s+", rest) if n}
            cached = (newest_mtime, names)
            self._parsed[newest] = cached
        return files | cached[1]


class Inotify:
    """The few calls of inotify(7) this tool needs, through libc."""

    def __init__(self, workspace):
        self.workspace = workspace
        self._libc = ctypes.CDLL(None, use_errno=True)
        self.fd = self._libc.inotify_init1(os.O_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        self.directories = {}  # watch descriptor -> directory (workspace-relative)

    def watch(self, directory):
        if directory in self.directories.values():
            return
        path = os.path.join(self.workspace, directory).encode()
        descriptor = self._libc.inotify_add_watch(self.fd, path,
                                                  IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE)
        if descriptor >= 0:
            self.directories[descriptor] = directory

    def read(self):
        """Blocks for events; returns the workspace-relative paths they name (None: overflow)."""
        data = os.read(self.fd, 65536)
        paths = set()
        offset = 0
        while offset < len(data):
            descriptor, mask, _, length = EVENT_HEADER.unpack_from(data, offset)
            name = data[offset + EVENT_HEADER.size:offset + EVENT_HEADER.size + length]
            offset += EVENT_HEADER.size + length
            if mask & IN_Q_OVERFLOW:
                return None
            directory = self.directories.get(descriptor)
            if directory is not None and name:
                paths.add(os.path.normpath(os.path.join(directory, name.rstrip(b"\0").decode())))
        return paths


def in_workspace(path):
    return not (os.path.isabs(path) or path.startswith(("bazel-out/", "external/")))


class FastPath:
    def __init__(self, workspace, target, out_dir, verbose):
        self.workspace = workspace
        self.target = target
        self.out_dir = out_dir
        self.verbose = verbose
        self.execroot = None
        self.graph = None
        self.graph_stale = True
        self.inotify = Inotify(workspace)
        self.dep_files = None

    def note(self, message):
        if self.verbose:
            say(message)

    def load_graph(self):
        """Reads the action graph (waits while Bazel runs a build: it holds Bazel's lock)."""
        started = time.monotonic()
        if self.execroot is None:
            self.execroot = subprocess.run(
                ["bazel", "info", "--config=hot", "execution_root"], cwd=self.workspace, check=True,
                capture_output=True, text=True).stdout.strip()
            self.dep_files = DepFiles(self.execroot, self.out_dir)
        query = subprocess.run(
            ["bazel", "aquery", "--config=hot", "--include_param_files", "--output=jsonproto",
             f"deps({self.target})"],
            cwd=self.workspace, capture_output=True, text=True)
        if query.returncode != 0:
            say(f"cannot read the action graph of {self.target} (bazel aquery failed); "
                "Bazel builds every change meanwhile")
            return False
        self.graph = ActionGraph(json.loads(query.stdout))
        self.graph_stale = False
        self.watch_graph()
        self.note(f"{len(self.graph.modules)} hot modules, "
                  f"{len(self.graph.module_compiles)} sources, read in "
                  f"{(time.monotonic() - started) * 1000:.0f} ms")
        return True

    def watch_graph(self):
        directories = set()
        for compile_ in self.graph.module_compiles + self.graph.other_compiles:
            for path in self.dep_files.read(compile_):
                if in_workspace(path):
                    directories.add(os.path.dirname(path) or ".")
        for directory in sorted(directories):
            self.inotify.watch(directory)

    def plan(self, path):
        """The compiles a save of `path` needs, or why the fast path leaves it to Bazel."""
        if GRAPH_FILES.search(path):
            self.graph_stale = True
            return None, "a BUILD, .bzl or WORKSPACE file"
        if path in self.graph.other_inputs:
            return None, "read by a build step other than a hot module's compile"
        for compile_ in self.graph.other_compiles:
            if path in self.dep_files.read(compile_):
                return None, f"also compiled into a non-module output ({compile_.object})"
        return [c for c in self.graph.module_compiles if path in self.dep_files.read(c)], None

    def compile(self, compile_):
        """Runs Bazel's compile with its object and dependency file in out_dir."""
        moved = {compile_.object: self.dep_files.fast_path_of(compile_.object)}
        if compile_.dep_file:
            moved[compile_.dep_file] = self.dep_files.fast_path_of(compile_.dep_file)
        for path in moved.values():
            os.makedirs(os.path.dirname(path), exist_ok=True)
        argv = [moved.get(a, a) for a in compile_.argv]
        return subprocess.Popen(argv, cwd=self.execroot, env=ACTION_ENV, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)

    def newest_object(self, obj):
        """The fast path's object if it is newer than Bazel's, else Bazel's (absolute)."""
        bazel_object = os.path.join(self.execroot, obj)
        fast_object = self.dep_files.fast_path_of(obj)
        try:
            if os.stat(fast_object).st_mtime_ns > os.stat(bazel_object).st_mtime_ns:
                return fast_object
        except FileNotFoundError:
            if os.path.exists(fast_object):
                return fast_object
        return bazel_object

    def link(self, module, started_ns):
        """Relinks `module` in out_dir/link, then moves it to out_dir/lib<name>.so."""
        root = os.path.join(self.out_dir, "link")
        output = os.path.join(root, module.output)
        os.makedirs(os.path.dirname(output), exist_ok=True)
        argv = []
        for arg in module.argv:
            if arg == module.output:
                argv.append(arg)  # Relative: the linker names the module's base version by it.
            elif arg in self.graph.object_users:
                argv.append(self.newest_object(arg))
            else:
                argv.append(self.absolute(arg))
        linked = subprocess.run(argv, cwd=root, env=ACTION_ENV, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        if linked.returncode != 0:
            say(f"lib{module.name}.so does not link; Bazel's build reports why")
            self.note(linked.stdout.strip())
            return False
        published = os.path.join(self.out_dir, f"lib{module.name}.so")
        with open(published + ".started.tmp", "w") as started:
            started.write(f"{started_ns}\n")
        os.replace(published + ".started.tmp", published + ".started")
        os.replace(output, published)
        return True

    def absolute(self, arg):
        """`arg` with a relative path of the execution root in it made absolute."""
        for prefix in ("-Wl,--version-script=", "-L", ""):
            if arg.startswith(prefix):
                value = arg[len(prefix):]
                if value and not os.path.isabs(value) and \
                        os.path.exists(os.path.join(self.execroot, value)):
                    return prefix + os.path.join(self.execroot, value)
        return arg

    def build(self, paths, started_ns):
        if self.graph_stale and not self.load_graph():
            return
        compiles = {}
        for path in sorted(paths):
            planned, why_not = self.plan(path)
            if planned is None:
                self.note(f"{path}: {why_not}; Bazel builds it")
                return  # Bazel builds the whole save; a part of it here could run stale code.
            for compile_ in planned:
                compiles[compile_.object] = compile_
        if not compiles:
            return
        running = [(c, self.compile(c)) for c in compiles.values()]
        failed = False
        for compile_, process in running:
            output = process.communicate()[0].decode(errors="replace")
            if process.returncode != 0:
                failed = True
                say(f"{compile_.source} does not compile; Bazel's build reports why")
                self.note(output.strip())
        if failed:
            return
        compiled_ns = time.time_ns()
        modules = {self.graph.modules[user] for obj in compiles
                   for user in self.graph.object_users.get(obj, ()) if user in self.graph.modules}
        for module in sorted(modules, key=lambda m: m.name):
            if self.link(module, started_ns):
                self.note(f"lib{module.name}.so: compiled in "
                          f"{(compiled_ns - started_ns) / 1e6:.0f} ms, linked in "
                          f"{(time.time_ns() - compiled_ns) / 1e6:.0f} ms")

    def run(self):
        self.load_graph()
        while True:
            paths = self.inotify.read()
            started_ns = time.time_ns()
            if paths is None:  # Events were lost: Bazel's build covers them.
                continue
            # Only files that exist and are regular (an editor's rename of its swap file, the
            # creation of a directory are not saves).
            saved = {p for p in paths if os.path.isfile(os.path.join(self.workspace, p))}
            if saved:
                self.build(saved, started_ns)
                # A build (this one, or Bazel's first) may have named headers in new directories.
                if not self.graph_stale:
                    self.watch_graph()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out_dir", required=True,
                        help="a private directory for the objects and modules it builds")
    parser.add_argument("--target", default="//app", help="the hot app that ibazel runs")
    parser.add_argument("--workspace", default=os.getcwd(),
                        help="the workspace root (default: the current directory)")
    parser.add_argument("--verbose", action="store_true",
                        help="say what it builds and what it leaves to Bazel, and why")
    args = parser.parse_args()
    try:
        FastPath(os.path.abspath(args.workspace), args.target, os.path.abspath(args.out_dir),
                 args.verbose).run()
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
