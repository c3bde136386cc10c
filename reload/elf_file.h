// File: reload/elf_file.h
//
// Reading a module file before it is loaded: is it a complete ELF shared object for this
// machine, and does it carry anything that would keep glibc from unloading it later?
//
// Both checks read the file; neither runs any of its code. `ValidateSharedObject` reads only the
// headers and is cheap enough to run on every change event: a file that a compiler or Bazel is
// still writing fails it (as "truncated") and is tried again at the next event.

#ifndef HOTCC_RELOAD_ELF_FILE_H_
#define HOTCC_RELOAD_ELF_FILE_H_

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace hotcc {

// Which file a path named at one moment: a rebuilt module is a new inode, size or time. The
// change time counts too, so that a file made readable after a refusal is tried again.
struct FileIdentity {
  dev_t device = 0;
  ino_t inode = 0;
  off_t size = 0;
  std::int64_t mtime_ns = 0;
  std::int64_t ctime_ns = 0;

  friend bool operator==(const FileIdentity& a, const FileIdentity& b) {
    return a.device == b.device && a.inode == b.inode && a.size == b.size &&
           a.mtime_ns == b.mtime_ns && a.ctime_ns == b.ctime_ns;
  }
  friend bool operator!=(const FileIdentity& a, const FileIdentity& b) { return !(a == b); }
};

// Returns the identity of the file `st` describes.
FileIdentity IdentityOf(const struct stat& st);

// Checks that the `size` bytes readable from `fd` are a complete ELF shared object that this
// process can load: ELF magic, 64-bit little-endian, x86-64, ET_DYN, and program and section
// headers that lie inside the file. `path` is used in messages only. Fails with:
//   InvalidArgument      empty file, not ELF (e.g. random bytes), wrong class, wrong
//                        architecture, not a shared object, program or section header
//                        entries of the wrong size;
//   FailedPrecondition   truncated (typically still being written: retry at the next change);
//   the errno's code     when reading fails.
absl::Status ValidateSharedObject(int fd, off_t size, const std::string& path);

// Why glibc would keep a module mapped after dlclose. Read from the module's dynamic symbol
// table and dynamic section.
struct UnloadHazards {
  // STB_GNU_UNIQUE symbols, demangled: g++ makes inline and template statics unique unless the
  // code is built with -fno-gnu-unique, and glibc never unloads a library that defines one.
  std::vector<std::string> unique_symbols;
  // DF_1_NODELETE: linked with -z nodelete, or built so by a dependency.
  bool nodelete = false;
  // The module registers thread_local destructors (__cxa_thread_atexit_impl): glibc keeps it
  // loaded until every thread that constructed one has exited.
  bool thread_local_destructors = false;

  bool any() const { return !unique_symbols.empty() || nodelete || thread_local_destructors; }

  // One sentence per hazard, with how to fix it; empty when there are none.
  std::string Explain() const;
};

// Reads the hazards from the `size` bytes readable from `fd`, which the loader passes only once
// ValidateSharedObject has accepted them (`path` is used in messages only). It does not rely on
// that: whatever the bytes, it reads nothing outside them and allocates no more than their size.
// Fails with the codes ValidateSharedObject lists (on a file whose ELF header or section header
// table that refuses, with the same status), and with InvalidArgument when the dynamic symbol
// table's string table has no bytes in the file (a NOBITS section).
absl::StatusOr<UnloadHazards> ReadUnloadHazards(int fd, off_t size, const std::string& path);

// The code a module runs while dlopen loads it, before any of its functions is called: what
// decides whether the loader tries the load in a helper process first (reload/load_probe.h).
struct LoadTimeCode {
  // Its initializers (.init_array entries, such as a global object's constructor or an
  // __attribute__((constructor)) function), named by the symbol table or by address. The
  // toolchain's own are left out: every module has them and they are safe (crtbegin's
  // frame_dummy, DT_INIT's _init, and priorities below 101, such as a sanitizer's).
  std::vector<std::string> initializers;
  // The libraries it needs (DT_NEEDED), whose initializers run too if the process has not
  // loaded them yet.
  std::vector<std::string> needed;

  // e.g. "initializers _GLOBAL__sub_I_update.cc, crash_on_load".
  std::string Explain() const;
};

// Reads the load-time code from the complete ELF shared object in `fd` (already validated).
absl::StatusOr<LoadTimeCode> ReadLoadTimeCode(int fd, off_t size, const std::string& path);

}  // namespace hotcc

#endif  // HOTCC_RELOAD_ELF_FILE_H_
