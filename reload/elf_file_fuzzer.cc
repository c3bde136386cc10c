// File: reload/elf_file_fuzzer.cc
//
// libFuzzer target for reload/elf_file.h: ValidateSharedObject, ReadUnloadHazards and
// ReadLoadTimeCode, the first code that reads the bytes of a new module, get arbitrary bytes
// through a file descriptor, as the loader passes them. Besides the sanitizers' checks, each input
// must keep the functions' documented contract:
//   - every error names the file, and ValidateSharedObject fails only with the codes it lists;
//   - neither reads outside the `size` bytes it was given: the file is exactly that long, so
//     such a read would come back short ("file shrank"), which here is a bug, not a race.
// Built and run by tools/fuzz.sh (clang, ASan, UBSan, LeakSanitizer); see README.md, "Tests".

#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "reload/elf_file.h"

namespace {

constexpr char kPath[] = "fuzz/libinput.so";

[[noreturn]] void Fail(const char* what, const absl::Status& status) {
  std::fprintf(stderr, "elf_file_fuzzer: %s: %s\n", what, status.ToString().c_str());
  std::abort();
}

// One memfd for the whole run, rewritten for each input: no disk traffic, and reads go through
// pread on a real descriptor, as in the loader.
int InputFd() {
  static const int fd = [] {
    const int created = memfd_create("elf_file_fuzzer", MFD_CLOEXEC);
    if (created < 0) {
      std::perror("elf_file_fuzzer: memfd_create");
      std::abort();
    }
    return created;
  }();
  return fd;
}

void WriteInput(int fd, const std::uint8_t* data, std::size_t size) {
  if (ftruncate(fd, 0) != 0 || ftruncate(fd, static_cast<off_t>(size)) != 0) {
    std::perror("elf_file_fuzzer: ftruncate");
    std::abort();
  }
  std::size_t written = 0;
  while (written < size) {
    const ssize_t n = pwrite(fd, data + written, size - written, static_cast<off_t>(written));
    if (n <= 0) {
      std::perror("elf_file_fuzzer: pwrite");
      std::abort();
    }
    written += static_cast<std::size_t>(n);
  }
}

void CheckError(const char* function, const absl::Status& status) {
  if (status.ok()) return;
  if (!absl::StrContains(status.message(), kPath)) Fail(function, status);
  if (absl::StrContains(status.message(), "shrank")) Fail(function, status);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const int fd = InputFd();
  WriteInput(fd, data, size);
  const auto length = static_cast<off_t>(size);

  const absl::Status valid = hotcc::ValidateSharedObject(fd, length, kPath);
  CheckError("ValidateSharedObject", valid);
  if (!valid.ok() && valid.code() != absl::StatusCode::kInvalidArgument &&
      valid.code() != absl::StatusCode::kFailedPrecondition) {
    Fail("ValidateSharedObject: undocumented code", valid);
  }

  // The loader reads the hazards only from a file that passed validation; the fuzzer feeds it
  // every input, so that it stays safe whatever its caller checked.
  const absl::StatusOr<hotcc::UnloadHazards> hazards = hotcc::ReadUnloadHazards(fd, length, kPath);
  CheckError("ReadUnloadHazards", hazards.status());
  if (hazards.ok()) (void)hazards->Explain();

  // The same for the initializers' reader, which decides whether a load is tried in a helper.
  const absl::StatusOr<hotcc::LoadTimeCode> code = hotcc::ReadLoadTimeCode(fd, length, kPath);
  CheckError("ReadLoadTimeCode", code.status());
  if (code.ok()) (void)code->Explain();
  return 0;
}
