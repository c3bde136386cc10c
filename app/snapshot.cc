#include "app/snapshot.h"

#include <cstdint>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "app/state_fingerprint.h"

namespace hotcc::demo {
namespace {

constexpr char kMagic[8] = {'H', 'O', 'T', 'C', 'C', 'S', 'N', '1'};

// What must match for the bytes of a State to mean the same thing in another binary.
constexpr std::uint64_t kLayoutKey = DEMO_STATE_FINGERPRINT ^ sizeof(State);

template <typename T>
void Append(std::string& bytes, const T& value) {
  bytes.append(reinterpret_cast<const char*>(&value), sizeof(value));
}

}  // namespace

std::string EncodeSnapshot(const Snapshot& snapshot) {
  std::string bytes(kMagic, sizeof(kMagic));
  Append(bytes, kLayoutKey);
  Append(bytes, snapshot.state);
  Append(bytes, static_cast<std::uint64_t>(snapshot.rng_state.size()));
  bytes += snapshot.rng_state;
  return bytes;
}

absl::StatusOr<std::optional<Snapshot>> DecodeSnapshot(absl::string_view bytes) {
  constexpr size_t kHeader = sizeof(kMagic) + sizeof(std::uint64_t);
  if (bytes.size() < kHeader || std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) {
    return absl::InvalidArgumentError("the carried state is not a hotcc demo snapshot");
  }
  std::uint64_t key = 0;
  std::memcpy(&key, bytes.data() + sizeof(kMagic), sizeof(key));
  if (key != kLayoutKey) return std::nullopt;
  std::uint64_t rng_size = 0;
  const size_t rng_offset = kHeader + sizeof(State) + sizeof(rng_size);
  if (bytes.size() < rng_offset) {
    return absl::InvalidArgumentError("the carried state is truncated");
  }
  Snapshot snapshot;
  std::memcpy(&snapshot.state, bytes.data() + kHeader, sizeof(State));
  std::memcpy(&rng_size, bytes.data() + kHeader + sizeof(State), sizeof(rng_size));
  if (bytes.size() != rng_offset + rng_size) {
    return absl::InvalidArgumentError("the carried state is truncated");
  }
  snapshot.rng_state = std::string(bytes.substr(rng_offset));
  return snapshot;
}

}  // namespace hotcc::demo
