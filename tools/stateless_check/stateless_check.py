"""Fails when a hot library, or what it links into lib<name>.so, holds state.

reload/ replaces a module by closing the old lib<name>.so and opening the new one, so a module
must hold nothing worth keeping and must let glibc unload it. This checker reads what the
library compiled to and what the module linked to, with binutils (readelf, nm, c++filt), and
reports:

  * writable data defined by the code: mutable globals and statics, function-local statics and
    their guard variables, anything in a writable section except RELRO (`.data.rel.ro*`, where
    HOTCC_DEFINE_MODULE's constant table lives);
  * thread-local storage;
  * STB_GNU_UNIQUE symbols, which make glibc refuse to unload the module;
  * DF_1_NODELETE on the module, which has the same effect;
  * dynamic symbols other than the module's entry point `hotcc_module_<name>`.

The library's own archive is checked in full: its state is in the static app too. A
dependency's archive is checked only for what the module's link pulled in (its symbols are in
the module's symbol table), and its state is reported against the dependency's label.

Usage (tools/stateless_check/stateless_check.bzl writes this command line):

  stateless_check --module=libfoo.so --module-name=foo --library=//libs/foo:foo \
      --archive //libs/foo:foo libs/foo/libfoo.lo --archive //dep:dep dep/libdep.a \
      [--allow=SYMBOL ...]

Exits 0 when nothing but excused state is found (each excuse is printed), 1 otherwise.
"""

import argparse
import collections
import re
import subprocess
import sys

# Every kind of finding, with the advice printed under it. Keys are what the report shows.
ADVICE = {
    "mutable data": (
        "Move it into the app-owned State (libs/shared/state.h) and take it as a parameter; a "
        "value that never changes belongs in a constexpr (or const) variable, which is read-only."),
    "function-local static": (
        "A function-local static survives only until the next reload and its guard variable is "
        "state too: make it constexpr, compute it on each call, or pass it in from the app."),
    "thread_local": (
        "Thread-local storage dies with the module: keep the per-thread data in the app and pass "
        "it in."),
    "GNU unique": (
        "glibc never unloads a library with an STB_GNU_UNIQUE symbol, so every reload leaks the "
        "old copy, constant or not. Hot libraries are compiled with -fno-gnu-unique (tools/"
        "hot_flags.bzl): drop -fgnu-unique from the library's copts."),
    "NODELETE": (
        "DF_1_NODELETE keeps every old copy of the module mapped: remove -Wl,-z,nodelete from "
        "linkopts."),
    "exported symbol": (
        "A module exports only its entry point: give the symbol hidden visibility (drop "
        "__attribute__((visibility(\"default\")))) and do not name it hotcc_module_*, a prefix "
        "tools/hot_module.lds reserves for entry points."),
}
DEPENDENCY_ADVICE = (
    "State from a dependency: move that dependency into the app and reach it through an "
    "interface in libs/shared (as libs/shared/rng.h does for the random engine).")
OPT_OUT = (
    "A deliberate exception can be excused with hot_cc_library(allowed_state = [\"<symbol>\"]), "
    "mangled or as shown above, with a comment that says why it is safe to lose on reload.")

# Writable, allocated sections whose symbols are not state: RELRO data is read-only once the
# module is relocated, and init/fini arrays are pointer tables the loader runs once.
NOT_STATE_SECTIONS = re.compile(
    r"^\.(data\.rel\.ro|init_array|fini_array|preinit_array|ctors|dtors)")
# `DW.ref.__gxx_personality_v0` is a pointer that g++ emits for exception handling in PIC code,
# written once by relocation: state in form, not in fact.
NOT_STATE_SYMBOLS = re.compile(r"^DW\.ref\.")
# Bazel's gcc toolchain compiles in the sandbox's /proc/self/cwd: strip it from debug paths.
CWD_PREFIX = "/proc/self/cwd/"

# `table` is ".symtab" or ".dynsym"; `flags` are the section's, as readelf prints them ("WA").
Symbol = collections.namedtuple("Symbol", "name type bind section flags table")
# One piece of state. `origin` is a Bazel label, or the module for link-time findings; `where`
# is "file:line" or a best guess at the file; `obj` is the archive member.
Finding = collections.namedtuple("Finding", "kinds name origin obj where section")


def run(*command):
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def read_elf(path):
    """Returns {member: [Symbol]} for an archive or a single ELF file (member "")."""
    members = collections.OrderedDict()
    member, sections, table = "", {}, ""
    symbols = members.setdefault(member, [])
    for line in run("readelf", "-W", "--sections", "--symbols", path).splitlines():
        match = re.match(r"^File: .*\((.*)\)$", line)
        if match:
            member, sections = match.group(1), {}
            symbols = members.setdefault(member, [])
            continue
        match = re.match(r"^Symbol table '(\S+)'", line)
        if match:
            table = match.group(1)
            continue
        # "  [ 3] .data  PROGBITS  <address> <offset> <size> <entsize> WA 0 0 1": the name
        # follows "] " (section 0 has none); the flags column is blank for some sections.
        match = re.match(r"^\s*\[\s*(\d+)\] (\S*)\s+(.*)$", line)
        if match:
            columns = match.group(3).split()
            flags = columns[5] if len(columns) == 9 else ""
            sections[match.group(1)] = (match.group(2), flags)
            continue
        # "    12: <value> <size> OBJECT GLOBAL HIDDEN 5 name"
        fields = line.split(None, 7)
        if len(fields) == 8 and re.match(r"^\d+:$", fields[0]):
            _, _, _, sym_type, bind, _, ndx, name = fields
            if ndx == "COM":
                section, flags = "COMMON", "WA"
            else:
                section, flags = sections.get(ndx, (ndx, ""))
            symbols.append(Symbol(name.split("@")[0], sym_type, bind, section, flags, table))
    return {m: symbols for m, symbols in members.items() if symbols or not m}


def state_kinds(symbol):
    """The kinds of state a defined symbol is, or [] for none."""
    if symbol.section == "UND" or symbol.type not in ("OBJECT", "TLS"):
        return []
    kinds = []
    if symbol.type == "TLS" or "T" in symbol.flags:
        kinds.append("thread_local")
    elif ("W" in symbol.flags and "A" in symbol.flags and
          not NOT_STATE_SECTIONS.match(symbol.section) and
          not NOT_STATE_SYMBOLS.match(symbol.name)):
        local_static = symbol.name.startswith(("_ZZ", "_ZGV"))
        kinds.append("function-local static" if local_static else "mutable data")
    if symbol.bind == "UNIQUE":
        kinds.append("GNU unique")
    return kinds


def source_lines(archive):
    """Returns {(member, symbol): "file:line"} from the archive's debug info, where it has any."""
    lines, member = {}, ""
    output = run("nm", "--line-numbers", "--defined-only", archive)
    for line in output.splitlines():
        if line.endswith(":") and " " not in line:
            member = line[:-1]
        elif "\t" in line:
            symbol_part, where = line.split("\t", 1)
            lines[(member, symbol_part.split()[-1])] = where.replace(CWD_PREFIX, "")
    return lines


def declared_at(archive):
    """Returns {(member, symbol): "file:line"} from the DW_AT_decl_* of the debug info.

    `nm -l` finds no line for thread-local and COMDAT variables, but the DWARF entry that
    declares them, found by its DW_AT_linkage_name, has one.
    """
    declared = {}  # (member, symbol) -> (file index, line)
    files = {}  # member -> {file index: name}
    unit_names = {}  # member -> the compile unit's source path
    member, die, in_file_table = "", {}, False

    def flush(die):
        if "DW_AT_linkage_name" in die and "DW_AT_decl_line" in die:
            declared[(member, die["DW_AT_linkage_name"])] = (
                die.get("DW_AT_decl_file", ""), die["DW_AT_decl_line"])

    for line in run("readelf", "-W", "--debug-dump=info,rawline", archive).splitlines():
        match = re.match(r"^File: .*\((.*)\)$", line)
        if match:
            flush(die)
            member, die = match.group(1), {}
            continue
        match = re.match(r"^\s*<\d+><\w+>: Abbrev Number: \d+ \((\w+)\)", line)
        if match:
            flush(die)
            die = {"tag": match.group(1)}
            continue
        match = re.match(r"^\s*<\w+>\s+(DW_AT_\w+)\s*:.*?([^ :]+)$", line)
        if match:
            die[match.group(1)] = match.group(2)
            if die["tag"] == "DW_TAG_compile_unit" and match.group(1) == "DW_AT_name":
                unit_names.setdefault(member, match.group(2))
            continue
        if "The File Name Table" in line:
            in_file_table = True
        elif in_file_table and re.match(r"^\s+\d+\s", line):
            files.setdefault(member, {})[line.split()[0]] = line.split()[-1].split(": ")[-1]
        elif in_file_table and not line.strip():
            in_file_table = False
    flush(die)

    result = {}
    for (member, symbol), (file_index, decl_line) in declared.items():
        unit = unit_names.get(member, "")
        name = files.get(member, {}).get(file_index, unit)
        # The table holds base names; the compile unit's own file is worth its full path.
        if unit.endswith("/" + name):
            name = unit
        result[(member, symbol)] = "%s:%s" % (name, decl_line)
    return result


def demangle(names):
    """Returns {mangled: demangled} for `names`, with c++filt."""
    names = sorted(set(names))
    if not names:
        return {}
    output = subprocess.run(["c++filt"], input="\n".join(names) + "\n", check=True,
                            capture_output=True, text=True).stdout
    return dict(zip(names, output.splitlines()))


def check_archives(archives, library, module_symbols):
    """Findings in the archives linked into the module, each attributed to its owner."""
    findings = []
    for owner, archive in archives:
        own = owner == library
        lines = None
        for member, symbols in read_elf(archive).items():
            source = next((s.name for s in symbols if s.type == "FILE"), member)
            for symbol in symbols:
                kinds = state_kinds(symbol)
                # Without a symbol table in the module every dependency's state is reported,
                # linked or not: better a false alarm than a missed one.
                if not kinds or (not own and module_symbols and symbol.name not in module_symbols):
                    continue
                if lines is None:
                    lines = declared_at(archive)
                    lines.update(source_lines(archive))
                # A guard variable _ZGV<x> has no debug info of its own; its variable _Z<x> has.
                where = (lines.get((member, symbol.name)) or
                         lines.get((member, re.sub(r"^_ZGV", "_Z", symbol.name))) or
                         source + " (no line information)")
                findings.append(Finding(kinds, symbol.name, owner, "%s(%s)" % (archive, member),
                                        where, symbol.section))
    return findings


def check_module(module, module_name, module_symbols, found_names):
    """Findings that only the linked module shows."""
    findings = []
    entry_point = "hotcc_module_" + module_name

    def add(kinds, name, section):
        findings.append(Finding(kinds, name, module, module, "the link of " + module, section))

    dynamic = run("readelf", "-W", "--dynamic", module)
    if re.search(r"\(FLAGS_1\).*\bNODELETE\b", dynamic):
        add(["NODELETE"], "NODELETE", "FLAGS_1")
    for symbol in read_elf(module)[""]:
        if (symbol.table == ".dynsym" and symbol.bind != "LOCAL" and symbol.section != "UND" and
                symbol.name != entry_point):
            add(["exported symbol"] + state_kinds(symbol), symbol.name, symbol.section)
    # TLS and GNU-unique symbols from inputs that no Bazel dependency accounts for (linkopts,
    # the toolchain). Plain writable data is not checked here: crtbeginS.o and friends have some.
    for name, symbol in module_symbols.items():
        kinds = [k for k in state_kinds(symbol) if k in ("thread_local", "GNU unique")]
        if kinds and name not in found_names:
            add(kinds, name, symbol.section)
    return findings


def module_symbol_table(module):
    """{name: Symbol} of the module's defined .symtab symbols; {} when it has no .symtab."""
    return {s.name: s for s in read_elf(module)[""]
            if s.table == ".symtab" and s.section != "UND" and s.name}


def report(findings, allowed, module, library):
    """Prints the findings; returns the exit status."""
    names = demangle([f.name for f in findings])
    allowed = set(allowed)
    excused = [f for f in findings if {f.name, names[f.name]} & allowed]
    failing = [f for f in findings if f not in excused]
    for finding in excused:
        print("stateless_check: excused by allowed_state: %s [%s] at %s" % (
            names[finding.name], ", ".join(finding.kinds), finding.where))
    unused = allowed - {n for f in excused for n in (f.name, names[f.name])}
    for name in sorted(unused):
        print("stateless_check: warning: allowed_state lists %r, which has no state here: "
              "remove it" % name)
    if not failing:
        print("stateless_check: OK: %s (%s) holds no state%s." % (
            module, library, " but what allowed_state excuses" if excused else ""))
        return 0

    print("stateless_check: FAILED: %s (%s) is not stateless, so reloading it would lose state "
          "or leak the old module:" % (module, library))
    by_origin = collections.OrderedDict()
    for finding in failing:
        by_origin.setdefault(finding.origin, []).append(finding)
    for origin, group in by_origin.items():
        whose = "this library" if origin == library else (
            "the link itself" if origin == module else "dependency " + origin)
        print("\nFrom %s:" % whose)
        for finding in group:
            print("  %s  [%s]" % (names[finding.name], ", ".join(finding.kinds)))
            print("      defined at %s" % finding.where)
            print("      symbol %s in %s of %s" % (finding.name, finding.section, finding.obj))
        if origin not in (library, module):
            print("  Fix: " + DEPENDENCY_ADVICE)
    print("\nHow to fix:")
    for kind in ADVICE:
        if any(kind in f.kinds for f in failing):
            print("  %s: %s" % (kind, ADVICE[kind]))
    print("  " + OPT_OUT)
    return 1


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--module", required=True, help="lib<name>.so")
    parser.add_argument("--module-name", required=True, help="<name> of hotcc_module_<name>")
    parser.add_argument("--library", required=True, help="the hot library's label")
    parser.add_argument("--archive", action="append", default=[], nargs=2,
                        metavar=("LABEL", "PATH"),
                        help="an archive linked into the module, and the target that owns it")
    parser.add_argument("--allow", action="append", default=[], metavar="SYMBOL",
                        help="a symbol excused from the check (hot_cc_library's allowed_state)")
    args = parser.parse_args(argv)

    archives = [tuple(a) for a in args.archive]
    module_symbols = module_symbol_table(args.module)
    findings = check_archives(archives, args.library, module_symbols)
    findings += check_module(args.module, args.module_name, module_symbols,
                             {f.name for f in findings})
    return report(findings, args.allow, args.module, args.library)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
