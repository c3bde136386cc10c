// A module with a thread_local that has a destructor: once a thread has touched it, glibc keeps
// the module loaded until that thread exits (the destructor is pending), so dlclose leaves it
// mapped.
#include <string>

#include "reload/testdata/counter_api.h"

namespace {

struct Tracker {
  std::string name = "tracked";
  ~Tracker() { name.clear(); }
};
thread_local Tracker tracker;

void Step(hotcc::testing::Counter& counter) {
  counter.value += static_cast<std::int64_t>(tracker.name.size());
}
int Version() { return 6; }
void Misbehave(hotcc::testing::Counter&, hotcc::testing::Fault) {}

}  // namespace

HOTCC_DEFINE_MODULE(counter, hotcc::testing::CounterApi, {&Step, &Version, &Misbehave})
