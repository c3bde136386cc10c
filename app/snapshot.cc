#include "app/snapshot.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "app/state_fingerprint.h"

namespace hotcc::demo {
namespace {

constexpr char kMagic[8] = {'H', 'O', 'T', 'C', 'C', 'S', 'N', '1'};

// What must match for the bytes of a State to mean the same thing in another binary.
constexpr std::uint64_t kLayoutKey = DEMO_STATE_FINGERPRINT ^ sizeof(State);

std::string DirectoryOf(const std::string& path) { return path.substr(0, path.rfind('/')); }

}  // namespace

absl::StatusOr<std::string> WriteSnapshot(const Snapshot& snapshot) {
  const char* tmpdir = getenv("TMPDIR");
  std::string dir =
      absl::StrCat(tmpdir != nullptr && *tmpdir ? tmpdir : "/tmp", "/hotcc-snapshot-XXXXXX");
  if (mkdtemp(dir.data()) == nullptr) {
    return absl::ErrnoToStatus(errno, absl::StrCat("mkdtemp ", dir));
  }
  const std::string path = dir + "/state";
  std::ostringstream bytes;
  const std::uint64_t key = kLayoutKey;
  const std::uint64_t rng_size = snapshot.rng_state.size();
  bytes.write(kMagic, sizeof(kMagic));
  bytes.write(reinterpret_cast<const char*>(&key), sizeof(key));
  bytes.write(reinterpret_cast<const char*>(&snapshot.state), sizeof(State));
  bytes.write(reinterpret_cast<const char*>(&rng_size), sizeof(rng_size));
  bytes << snapshot.rng_state;
  const std::string data = bytes.str();

  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 || write(fd, data.data(), data.size()) != static_cast<ssize_t>(data.size())) {
    const int error = errno;
    if (fd >= 0) close(fd);
    unlink(path.c_str());
    rmdir(dir.c_str());
    return absl::ErrnoToStatus(error, absl::StrCat("cannot write the snapshot ", path));
  }
  close(fd);
  return path;
}

absl::StatusOr<std::optional<Snapshot>> TakeSnapshot(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const bool readable = in.good() || in.eof();
  unlink(path.c_str());
  rmdir(DirectoryOf(path).c_str());
  if (!readable) return absl::NotFoundError(absl::StrCat("cannot read the snapshot ", path));

  constexpr size_t kHeader = sizeof(kMagic) + sizeof(std::uint64_t);
  std::uint64_t key = 0;
  if (data.size() < kHeader || std::memcmp(data.data(), kMagic, sizeof(kMagic)) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, " is not a hotcc snapshot"));
  }
  std::memcpy(&key, data.data() + sizeof(kMagic), sizeof(key));
  if (key != kLayoutKey) return std::nullopt;
  std::uint64_t rng_size = 0;
  if (data.size() < kHeader + sizeof(State) + sizeof(rng_size)) {
    return absl::InvalidArgumentError(absl::StrCat(path, " is truncated"));
  }
  Snapshot snapshot;
  std::memcpy(&snapshot.state, data.data() + kHeader, sizeof(State));
  std::memcpy(&rng_size, data.data() + kHeader + sizeof(State), sizeof(rng_size));
  const size_t rng_offset = kHeader + sizeof(State) + sizeof(rng_size);
  if (data.size() != rng_offset + rng_size) {
    return absl::InvalidArgumentError(absl::StrCat(path, " is truncated"));
  }
  snapshot.rng_state = data.substr(rng_offset);
  return snapshot;
}

}  // namespace hotcc::demo
