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

std::vector<CodeRange> SharedLibrary::CodeRanges() const {
  struct Search {
    std::uintptr_t base;
    std::vector<CodeRange> ranges;
  } search{0, {}};
  link_map* map = nullptr;
  if (handle_ == nullptr || dlinfo(handle_, RTLD_DI_LINKMAP, &map) != 0 || map == nullptr) {
    return {};
  }
  search.base = map->l_addr;
  // The link map has the load address; the segments come from the program headers, found by
  // that address (two versions of a module share no address, whatever their names).
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* data) {
        auto* search = static_cast<Search*>(data);
        if (info->dlpi_addr != search->base) return 0;
        for (int i = 0; i < info->dlpi_phnum; ++i) {
          const ElfW(Phdr)& segment = info->dlpi_phdr[i];
          if (segment.p_type != PT_LOAD || (segment.p_flags & PF_X) == 0) continue;
          const std::uintptr_t begin = info->dlpi_addr + segment.p_vaddr;
          search->ranges.push_back({begin, begin + segment.p_memsz});
        }
        return 1;
      },
      &search);
  return search.ranges;
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
