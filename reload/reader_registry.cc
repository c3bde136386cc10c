#include "reload/reader_registry.h"

#include <sched.h>

#include <cassert>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace hotcc {
namespace {

// One per thread that ever entered a section, on its own cache line. Slots are never freed: a
// thread that exits returns its slot for the next new thread to reuse.
struct alignas(64) Slot {
  std::atomic<std::uint64_t> sequence{0};
  bool in_use = false;  // Guarded by registry_mutex.
};

absl::Mutex registry_mutex(absl::kConstInit);
std::vector<Slot*>& AllSlots() ABSL_EXCLUSIVE_LOCKS_REQUIRED(registry_mutex) {
  static auto* slots = new std::vector<Slot*>();
  return *slots;
}

Slot* AcquireSlot() {
  absl::MutexLock lock(&registry_mutex);
  for (Slot* slot : AllSlots()) {
    if (!slot->in_use) {
      slot->in_use = true;
      return slot;
    }
  }
  Slot* slot = new Slot();
  slot->in_use = true;
  AllSlots().push_back(slot);
  return slot;
}

// This thread's slot and section depth. The slot is taken on the thread's first section and
// handed back when the thread exits (its sequence is even then: no section is open).
struct ThreadState {
  Slot* slot = nullptr;
  int depth = 0;
  ~ThreadState() {
    if (slot == nullptr) return;
    absl::MutexLock lock(&registry_mutex);
    slot->in_use = false;
  }
};
thread_local ThreadState this_thread;

}  // namespace

ReadSection::ReadSection() {
  ThreadState& state = this_thread;
  if (state.depth++ > 0) return;
  if (state.slot == nullptr) state.slot = AcquireSlot();
  const std::uint64_t sequence = state.slot->sequence.load(std::memory_order_relaxed);
  state.slot->sequence.store(sequence + 1, std::memory_order_seq_cst);
}

ReadSection::~ReadSection() {
  ThreadState& state = this_thread;
  if (--state.depth > 0) return;
  const std::uint64_t sequence = state.slot->sequence.load(std::memory_order_relaxed);
  state.slot->sequence.store(sequence + 1, std::memory_order_release);
}

int ReadSection::Depth() { return this_thread.depth; }

void ReadSection::RestoreDepth(int depth) {
  ThreadState& state = this_thread;
  assert(depth <= state.depth);
  if (state.depth > depth && depth == 0) {
    // The outermost section was abandoned too: close it as its destructor would have.
    const std::uint64_t sequence = state.slot->sequence.load(std::memory_order_relaxed);
    state.slot->sequence.store(sequence + 1, std::memory_order_release);
  }
  state.depth = depth;
}

void ReaderRegistry::WaitForReadersToLeave() {
  assert(this_thread.depth == 0 && "WaitForReadersToLeave inside a ReadSection would deadlock");
  std::vector<std::pair<Slot*, std::uint64_t>> inside;
  {
    absl::MutexLock lock(&registry_mutex);
    for (Slot* slot : AllSlots()) {
      const std::uint64_t sequence = slot->sequence.load(std::memory_order_seq_cst);
      if (sequence % 2 == 1) inside.emplace_back(slot, sequence);
    }
  }
  for (const auto& [slot, sequence] : inside) {
    // Calls into modules are short (a tick's work); yielding keeps a waiting loader cheap.
    while (slot->sequence.load(std::memory_order_acquire) == sequence) sched_yield();
  }
}

}  // namespace hotcc
