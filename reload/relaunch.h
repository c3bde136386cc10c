// File: reload/relaunch.h
//
// Relaunching a host in place when the dev loop rebuilt the host itself (an edit of its own code
// or of the shared types), carrying its state: the process execs its new build (same PID, same
// stdin, so ibazel's notifications keep coming), and the new build picks up the state the old
// one left. How the state is encoded is the host's business: this moves bytes.
//
//   int main(int argc, char** argv) {
//     hotcc::Relauncher relauncher(std::vector<std::string>(argv, argv + argc));
//     absl::StatusOr<std::optional<std::string>> carried = hotcc::Relauncher::TakeCarriedState();
//     if (carried.ok() && carried->has_value()) Decode(**carried, state);  // the host's codec
//     ...
//     // After a successful build (HotReloader::WaitOutcome::kBuildSucceeded):
//     if (relauncher.Rebuilt()) {
//       reloader.reset();                                  // unload the modules first
//       absl::Status failed = relauncher.Relaunch(Encode(state));
//       // Only returns if the exec failed; carry on with this binary.
//     }
//   }
//
// The state travels in a file of its own (a mkdtemp directory, mode 0600, created O_EXCL) whose
// path the new process finds in its environment (HOTCC_CARRIED_STATE), so the host's command
// line and flags are untouched. The new process removes the file as it reads it; a relaunch
// that fails removes it too.

#ifndef HOTCC_RELOAD_RELAUNCH_H_
#define HOTCC_RELOAD_RELAUNCH_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hotcc {

class Relauncher {
 public:
  // `args` are the host's command line as main received it: the relaunch passes them on. Notes
  // which executable file this process runs, for Rebuilt().
  explicit Relauncher(std::vector<std::string> args);

  // Whether the file this process was started from has been replaced (Bazel puts a rebuilt
  // output at the same path as a new file).
  bool Rebuilt() const;

  // The state the binary before this one left for it, if this process is a relaunch; nullopt
  // if it is not. The file is removed whatever happens. Fails when the file cannot be read (the
  // message names it). Call it once, early in main, before starting threads: it unsets an
  // environment variable.
  static absl::StatusOr<std::optional<std::string>> TakeCarriedState();

  // Writes `state` to a new private file and replaces this process with the rebuilt executable,
  // with the same arguments. Returns only when that fails (the file is removed again): the host
  // carries on as it was. The host must have released what the new image must not inherit
  // (unloaded its modules, so that their private directory is gone).
  absl::Status Relaunch(absl::string_view state);

  // The executable's path, as it was when the process started.
  const std::string& executable() const { return executable_; }

 private:
  std::vector<std::string> args_;
  std::string executable_;
  dev_t device_ = 0;
  ino_t inode_ = 0;
};

}  // namespace hotcc

#endif  // HOTCC_RELOAD_RELAUNCH_H_
