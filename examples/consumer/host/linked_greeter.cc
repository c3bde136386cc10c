// The static binding: direct calls into //greeting; nothing of hotcc's loader is linked in.

#include "absl/time/clock.h"
#include "greeting/greeting.h"
#include "host/greeter.h"

namespace consumer {
namespace {

class LinkedGreeter final : public Greeter {
 public:
  absl::StatusOr<std::string> Greet(const Counter& counter) override { return greet(counter); }

  void SleepUntil(absl::Time deadline) override { absl::SleepFor(deadline - absl::Now()); }
};

}  // namespace

absl::StatusOr<std::unique_ptr<Greeter>> CreateGreeter() {
  return std::make_unique<LinkedGreeter>();
}

}  // namespace consumer
