// File: reload/hot_module.h
//
// `HotModule<Api>`: a typed handle to one hot module, for calling into it. Made by
// `HotReloader::Add<Api>` (reload/hot_reloader.h, which explains the whole loader).
//
//   absl::Status status = view.Call("view_state", [&](const ViewApi& api) {
//     line = api.view_state(state);
//   });
//   absl::Status status = update.CallRestoring("update_state", state, [&](const UpdateApi& api) {
//     api.update_state(state, rng);   // a crash here puts `state` back as it was
//   });
//   auto pinned = view.Pin();         // a batch of unguarded calls at the cost of a plain
//   for (...) pinned->view_state(s);  // call through a table

#ifndef HOTCC_RELOAD_HOT_MODULE_H_
#define HOTCC_RELOAD_HOT_MODULE_H_

#include <optional>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "reload/host_types.h"
#include "reload/module_slot.h"
#include "reload/reader_registry.h"

namespace hotcc {

// A cheap, copyable handle; the HotReloader that made it must outlive it.
template <typename Api>
class HotModule {
 public:
  static_assert(std::is_trivially_copyable_v<Api>, "Api must be a plain table of pointers");

  explicit HotModule(ModuleSlot* slot) : slot_(slot) {}

  // Calls `fn(const Api&)` with the current version's table, guarded against crashes, aborts
  // and hangs: a fault, or a call that runs past its time limit, rolls the module back to its
  // last good version and returns Aborted naming `function` and what happened (see
  // ModuleSlot::Call). Use for calls that change nothing the caller owns, or whose changes the
  // caller can live with.
  template <typename Fn>
  absl::Status Call(absl::string_view function, Fn&& fn, CallOptions options = {}) {
    return slot_->Call(
        function, [&](const void* api) { fn(*static_cast<const Api*>(api)); }, [] {},
        options.time_limit);
  }

  // Like Call, but copies `state` first and assigns the copy back if the call fails, so the
  // caller's state is exactly as it was before the call: while the version is on probation,
  // its first ModuleSlot::kProbationCalls calls. After that the version has proven itself and
  // no copy is made; should it still fail, the returned status says the state was not
  // restored. New code, where faults happen, is always covered.
  template <typename State, typename Fn>
  absl::Status CallRestoring(absl::string_view function, State& state, Fn&& fn,
                             CallOptions options = {}) {
    std::optional<State> before;
    return slot_->Call(
        function, [&](const void* api) { fn(*static_cast<const Api*>(api)); },
        [&] {
          if (before) state = *std::move(before);
        },
        options.time_limit,
        [&](bool on_probation) {
          if (on_probation) before.emplace(state);
          return on_probation;
        });
  }

  // Calls `fn(const Api&)` without crash protection: the cheapest safe call, for hot loops.
  // Still safe against a concurrent reload. Requires a loaded version (version() > 0).
  template <typename Fn>
  decltype(auto) CallUnguarded(Fn&& fn) const {
    ReadSection section;
    return std::forward<Fn>(fn)(*static_cast<const Api*>(slot_->CurrentApi()));
  }

  // The current table, held for a batch of unguarded calls: each call then costs what any call
  // through a table does. A reload's swap waits until the Pinned is destroyed, so keep it short
  // (a loop over a frame's items, not a whole session). Requires a loaded version.
  //
  //   auto view = module.Pin();
  //   for (const Item& item : items) total += view->score(item);
  class Pinned {
   public:
    explicit Pinned(const ModuleSlot& slot) : api_(static_cast<const Api*>(slot.CurrentApi())) {}
    Pinned(const Pinned&) = delete;
    Pinned& operator=(const Pinned&) = delete;
    const Api& operator*() const { return *api_; }
    const Api* operator->() const { return api_; }

   private:
    ReadSection section_;  // Opened before api_ is read, closed after the last call.
    const Api* api_;
  };
  Pinned Pin() const { return Pinned(*slot_); }

  int version() const { return slot_->version(); }
  ModuleSlot& slot() const { return *slot_; }

 private:
  ModuleSlot* slot_;
};

}  // namespace hotcc

#endif  // HOTCC_RELOAD_HOT_MODULE_H_
