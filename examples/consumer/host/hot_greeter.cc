// The hot binding: libgreeting.so loaded through hotcc's loader from the runfiles path that
// hot_cc_binary computed (host/host_module_paths.h), and reloaded as it is rebuilt.

#include <stdlib.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "host/greeter.h"
#include "host/host_module_paths.h"
#include "reload/hot_reloader.h"
#include "tools/cpp/runfiles/runfiles.h"

namespace consumer {
namespace {

using bazel::tools::cpp::runfiles::Runfiles;

// Returns the real path of lib<name>.so's runfile. The runfile is a symlink into bazel-out; the
// loader must watch the directory there, where each build writes a new file.
absl::StatusOr<std::string> FindModule(const char* argv0, const std::string& name) {
  std::string error;
  std::unique_ptr<Runfiles> runfiles(Runfiles::Create(argv0, &error));
  if (runfiles == nullptr) return absl::NotFoundError(error);
  const std::string link = runfiles->Rlocation(std::string(host_module_paths::RunfilesPath(name)));
  char* real = realpath(link.c_str(), nullptr);
  if (real == nullptr) return absl::NotFoundError(absl::StrCat("no lib", name, ".so at ", link));
  std::string path = real;
  free(real);
  return path;
}

class HotGreeter final : public Greeter {
 public:
  HotGreeter(std::unique_ptr<hotcc::HotReloader> reloader, hotcc::HotModule<GreetingApi> greeting)
      : reloader_(std::move(reloader)), greeting_(greeting) {}

  absl::StatusOr<std::string> Greet(const Counter& counter) override {
    std::string line;
    absl::Status status =
        greeting_.Call("greet", [&](const GreetingApi& api) { line = api.greet(counter); });
    if (!status.ok()) return status;
    return line;
  }

  void SleepUntil(absl::Time deadline) override {
    // Under `ibazel run`, a completed build ends the wait early, its modules already reloaded.
    while (reloader_->WaitUntil(deadline) == hotcc::HotReloader::WaitOutcome::kBuildSucceeded) {
    }
  }

 private:
  std::unique_ptr<hotcc::HotReloader> reloader_;
  hotcc::HotModule<GreetingApi> greeting_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Greeter>> CreateGreeter(const char* argv0) {
  absl::StatusOr<std::unique_ptr<hotcc::HotReloader>> reloader = hotcc::HotReloader::Create();
  if (!reloader.ok()) return reloader.status();
  absl::StatusOr<std::string> path = FindModule(argv0, "greeting");
  if (!path.ok()) return path.status();
  absl::StatusOr<hotcc::HotModule<GreetingApi>> greeting =
      (*reloader)->Add<GreetingApi>("greeting", *path, HOTCC_INTERFACE_FINGERPRINT);
  if (!greeting.ok()) return greeting.status();
  return std::make_unique<HotGreeter>(*std::move(reloader), *greeting);
}

}  // namespace consumer
