#include "reload/shared_library.h"

#include <dlfcn.h>
#include <link.h>

#include <cstring>

#include "absl/strings/str_cat.h"

namespace hotcc {
namespace {

std::string DlError() {
  const char* message = dlerror();
  return message != nullptr ? message : "unknown dlerror";
}

}  // namespace

absl::StatusOr<SharedLibrary> SharedLibrary::Open(const std::string& path) {
  // RTLD_NOW: resolve every symbol now, so a module with an unresolved symbol is refused here,
  //   while the old version still runs, instead of crashing at its first call.
  // RTLD_LOCAL: keep the module's symbols out of the global scope, so that two versions of a
  //   module can be loaded at once (the new one is verified before the old one is dropped)
  //   without one binding to the other's functions.
  // Not RTLD_DEEPBIND: it would let a module bind its own copy of operator new and friends, and
  //   breaks the sanitizers' interceptors.
  dlerror();
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat("dlopen failed: ", DlError()));
  }
  return SharedLibrary(handle, path);
}

SharedLibrary::SharedLibrary(SharedLibrary&& other) noexcept
    : handle_(other.handle_), path_(std::move(other.path_)) {
  other.handle_ = nullptr;
}

SharedLibrary& SharedLibrary::operator=(SharedLibrary&& other) noexcept {
  if (this != &other) {
    if (handle_ != nullptr) dlclose(handle_);
    handle_ = other.handle_;
    path_ = std::move(other.path_);
    other.handle_ = nullptr;
  }
  return *this;
}

SharedLibrary::~SharedLibrary() {
  if (handle_ != nullptr) dlclose(handle_);
}

absl::StatusOr<void*> SharedLibrary::FindSymbol(const char* name) const {
  dlerror();
  void* address = dlsym(handle_, name);
  if (address == nullptr) {
    return absl::NotFoundError(absl::StrCat("no symbol ", name, " (", DlError(), ")"));
  }
  return address;
}

absl::Status SharedLibrary::Close() {
  if (handle_ == nullptr) return absl::OkStatus();
  void* handle = handle_;
  handle_ = nullptr;
  if (dlclose(handle) != 0) {
    return absl::FailedPreconditionError(absl::StrCat("dlclose ", path_, ": ", DlError()));
  }
  if (IsMapped(path_)) {
    return absl::FailedPreconditionError(absl::StrCat(path_, " is still mapped after dlclose"));
  }
  return absl::OkStatus();
}

bool IsMapped(const std::string& path) {
  struct Search {
    const std::string* path;
    bool found;
  } search{&path, false};
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* data) {
        auto* search = static_cast<Search*>(data);
        if (info->dlpi_name != nullptr && *search->path == info->dlpi_name) {
          search->found = true;
          return 1;
        }
        return 0;
      },
      &search);
  return search.found;
}

}  // namespace hotcc
