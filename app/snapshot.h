// File: app/snapshot.h
//
// The demo's encoding of its state for a relaunch (reload/relaunch.h carries the bytes): when the
// dev loop rebuilds the app itself (an edit under app/ or libs/shared/), the running app encodes
// its state, execs the new binary in its place, and the new binary decodes it and goes on.
//
// An encoding is only as good as the layout it was written with: it records the fingerprint of
// libs/shared/state.h, and a binary built from a different state.h refuses it and starts fresh.

#ifndef HOTCC_APP_SNAPSHOT_H_
#define HOTCC_APP_SNAPSHOT_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "libs/shared/state.h"

namespace hotcc::demo {

struct Snapshot {
  State state;
  // The random engine's state, as RandomEngine::SaveState returns it.
  std::string rng_state;
};

// The bytes that carry `snapshot` to the next build.
std::string EncodeSnapshot(const Snapshot& snapshot);

// Decodes what EncodeSnapshot wrote. Returns nullopt when it was written by a binary with a
// different State layout; InvalidArgument when the bytes are not a snapshot or are truncated.
absl::StatusOr<std::optional<Snapshot>> DecodeSnapshot(absl::string_view bytes);

}  // namespace hotcc::demo

#endif  // HOTCC_APP_SNAPSHOT_H_
