// File: app/snapshot.h
//
// Carrying the app's state across a relaunch. When the dev loop rebuilds the app itself (an
// edit under app/ or libs/shared/), the running app writes a snapshot, execs the new binary in
// its place (same process, same stdin from ibazel), and the new binary resumes from it, so the
// numbers go on instead of starting over.
//
// A snapshot is only as good as the layout it was written with: it records the fingerprint of
// libs/shared/state.h, and a binary built from a different state.h refuses it and starts fresh.
// The file lives in a private mkdtemp directory and is removed as soon as it is read.

#ifndef HOTCC_APP_SNAPSHOT_H_
#define HOTCC_APP_SNAPSHOT_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/shared/state.h"

namespace hotcc::demo {

struct Snapshot {
  State state;
  // The random engine's state, as RandomEngine::SaveState returns it.
  std::string rng_state;
};

// Writes `snapshot` to a new private file and returns its path.
absl::StatusOr<std::string> WriteSnapshot(const Snapshot& snapshot);

// Reads the snapshot at `path` and removes it (and its directory). Returns nullopt when it was
// written by a binary with a different State layout; an error when it cannot be read.
absl::StatusOr<std::optional<Snapshot>> TakeSnapshot(const std::string& path);

}  // namespace hotcc::demo

#endif  // HOTCC_APP_SNAPSHOT_H_
