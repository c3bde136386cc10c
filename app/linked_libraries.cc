// The static binding: direct calls into the linked libraries. Nothing of reload/ is linked.

#include <poll.h>

#include <algorithm>

#include "app/libraries.h"
#include "libs/update/update.h"
#include "libs/view/view.h"

namespace hotcc::demo {
namespace {

class LinkedLibraries final : public Libraries {
 public:
  absl::Status Update(State& state, Rng& rng) override {
    update_state(state, rng);
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> View(const State& state) override { return view_state(state); }

  Wake WaitUntil(absl::Time deadline, int stop_fd) override {
    while (true) {
      // A late tick still looks at the stop fd once, without waiting.
      const absl::Duration remaining = std::max(deadline - absl::Now(), absl::ZeroDuration());
      pollfd stop = {stop_fd, POLLIN, 0};
      const int timeout_ms =
          static_cast<int>(absl::ToInt64Milliseconds(remaining + absl::Microseconds(999)));
      if (poll(&stop, 1, remaining == absl::ZeroDuration() ? 0 : timeout_ms) > 0) {
        return Wake::kStop;
      }
      if (remaining == absl::ZeroDuration()) return Wake::kNextTick;
    }
  }
};

}  // namespace

absl::StatusOr<std::unique_ptr<Libraries>> CreateLibraries() {
  return std::make_unique<LinkedLibraries>();
}

void AbandonLibraryCalls() {}

}  // namespace hotcc::demo
