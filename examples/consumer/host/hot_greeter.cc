// The hot binding: libgreeting.so loaded through hotcc's loader from the runfiles path that
// hot_cc_binary computed (host/host_module_paths.h), and reloaded as it is rebuilt.

#include <string>

#include "host/greeter.h"
#include "host/host_module_paths.h"
#include "reload/hot_reloader.h"
#include "reload/module_file.h"

namespace consumer {
namespace {

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

absl::StatusOr<std::unique_ptr<Greeter>> CreateGreeter() {
  absl::StatusOr<std::unique_ptr<hotcc::HotReloader>> reloader = hotcc::HotReloader::Create();
  if (!reloader.ok()) return reloader.status();
  absl::StatusOr<std::string> path =
      hotcc::FindModuleFile("greeting", host_module_paths::RunfilesPath("greeting"));
  if (!path.ok()) return path.status();
  absl::StatusOr<hotcc::HotModule<GreetingApi>> greeting =
      (*reloader)->Add<GreetingApi>("greeting", *path, HOTCC_INTERFACE_FINGERPRINT);
  if (!greeting.ok()) return greeting.status();
  return std::make_unique<HotGreeter>(*std::move(reloader), *greeting);
}

}  // namespace consumer
