// File: reload/shared_library.h
//
// A move-only handle to a shared object opened with dlopen, and the check that closing it
// really unmapped it.
//
//   absl::StatusOr<SharedLibrary> library = SharedLibrary::Open("/path/libview.so");
//   absl::StatusOr<void*> entry = library->FindSymbol("hotcc_module_view");
//   ...
//   absl::Status gone = library->Close();  // OK only once the image is no longer mapped
//
// dlclose only drops a reference: glibc keeps the image mapped while anything pins it (see
// UnloadHazards in reload/elf_file.h). `Close` therefore asks the dynamic linker afterwards
// whether an object of that path is still loaded, so a leak is reported instead of assumed away.

#ifndef HOTCC_RELOAD_SHARED_LIBRARY_H_
#define HOTCC_RELOAD_SHARED_LIBRARY_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "reload/fault_guard.h"

namespace hotcc {

class SharedLibrary {
 public:
  // dlopens `path` with RTLD_NOW | RTLD_LOCAL (see the .cc for why). Fails with
  // FailedPrecondition and dlerror()'s text: unresolved symbols, missing dependencies,
  // permission denied, a file that is not loadable.
  static absl::StatusOr<SharedLibrary> Open(const std::string& path);

  // A handle that holds no library (is_open() is false).
  SharedLibrary() = default;
  SharedLibrary(SharedLibrary&& other) noexcept;
  SharedLibrary& operator=(SharedLibrary&& other) noexcept;
  SharedLibrary(const SharedLibrary&) = delete;
  SharedLibrary& operator=(const SharedLibrary&) = delete;
  // Closes the library if it is still open, ignoring whether it stayed mapped.
  ~SharedLibrary();

  // The address of the symbol `name`, looked up in this library only. Fails with NotFound.
  absl::StatusOr<void*> FindSymbol(const char* name) const;

  // dlcloses the library. Returns OK when its image is no longer mapped, FailedPrecondition
  // when dlclose failed or the image stayed mapped.
  absl::Status Close();

  // Where the library's machine code is mapped: its executable segments. Empty if not open.
  std::vector<CodeRange> CodeRanges() const;

  bool is_open() const { return handle_ != nullptr; }
  const std::string& path() const { return path_; }

 private:
  SharedLibrary(void* handle, std::string path) : handle_(handle), path_(std::move(path)) {}

  void* handle_ = nullptr;
  std::string path_;
};

// Whether an object loaded from `path` is mapped in this process (asks dl_iterate_phdr).
bool IsMapped(const std::string& path);

}  // namespace hotcc

#endif  // HOTCC_RELOAD_SHARED_LIBRARY_H_
