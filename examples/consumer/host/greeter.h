// File: host/greeter.h
//
// The host's view of its hot library, bound at build time by hot_cc_binary (host/BUILD.bazel):
//   host/linked_greeter.cc  -c opt: calls //greeting directly; the binary is fully static and
//                           holds no loader.
//   host/hot_greeter.cc     the dev build: loads libgreeting.so through hotcc's reload/, and
//                           loads each new build of it while the host sleeps between lines.

#ifndef CONSUMER_HOST_GREETER_H_
#define CONSUMER_HOST_GREETER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "shared/counter.h"

namespace consumer {

class Greeter {
 public:
  virtual ~Greeter() = default;

  // Returns the greeting library's line for `counter`. Fails (hot build) if the call crashed:
  // the loader then rolled the module back to its previous version.
  virtual absl::StatusOr<std::string> Greet(const Counter& counter) = 0;

  // Returns at `deadline`; the hot binding loads new builds of the module meanwhile.
  virtual void SleepUntil(absl::Time deadline) = 0;
};

// Binds the library.
absl::StatusOr<std::unique_ptr<Greeter>> CreateGreeter();

}  // namespace consumer

#endif  // CONSUMER_HOST_GREETER_H_
