#include "reload/reader_registry.h"

#include <linux/membarrier.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cassert>
#include <utility>
#include <vector>

#include "absl/base/const_init.h"
#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace hotcc {
namespace reader_internal {

thread_local ThreadReader this_thread = {nullptr, 0};

namespace {

int Membarrier(int command) { return static_cast<int>(syscall(__NR_membarrier, command, 0, 0)); }

// Registers the process for private expedited membarrier, if the kernel has it.
bool RegisterMembarrier() {
#if defined(__SANITIZE_THREAD__)
  return false;  // ThreadSanitizer cannot see the barrier: readers use seq_cst stores.
#else
  const int supported = Membarrier(MEMBARRIER_CMD_QUERY);
  if (supported < 0 || (supported & MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0) return false;
  return Membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0;
#endif
}

absl::Mutex registry_mutex(absl::kConstInit);
std::vector<Slot*>& AllSlots() ABSL_EXCLUSIVE_LOCKS_REQUIRED(registry_mutex) {
  static auto* slots = new std::vector<Slot*>();
  return *slots;
}

// Slots are never freed: a thread that exits returns its slot for the next new thread to reuse.
// Its sequence is even then, since no section is open.
struct SlotReturner {
  ~SlotReturner() {
    Slot* slot = std::exchange(this_thread.slot, nullptr);
    if (slot == nullptr) return;
    absl::MutexLock lock(&registry_mutex);
    slot->in_use = false;
  }
};

}  // namespace

bool loader_fences_readers = RegisterMembarrier();

Slot* AcquireSlot() {
  thread_local SlotReturner returner;  // Constructed here, so destroyed at this thread's exit.
  (void)returner;
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

}  // namespace reader_internal

void ReadSection::RestoreDepth(int depth) {
  reader_internal::ThreadReader& reader = reader_internal::this_thread;
  assert(depth <= reader.depth);
  if (reader.depth > depth && depth == 0) {
    // The outermost section was abandoned too: close it as its destructor would have.
    const std::uint64_t sequence = reader.slot->sequence.load(std::memory_order_relaxed);
    reader.slot->sequence.store(sequence + 1, std::memory_order_release);
  }
  reader.depth = depth;
}

void ReaderRegistry::WaitForReadersToLeave() {
  using reader_internal::Slot;
  assert(reader_internal::this_thread.depth == 0 &&
         "WaitForReadersToLeave inside a ReadSection would deadlock");
  if (reader_internal::loader_fences_readers) {
    // Every running thread executes a full barrier: a reader's store to its slot is now
    // visible, or that reader's next table load comes after the caller's exchange.
    reader_internal::Membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED);
  }
  std::vector<std::pair<Slot*, std::uint64_t>> inside;
  {
    absl::MutexLock lock(&reader_internal::registry_mutex);
    for (Slot* slot : reader_internal::AllSlots()) {
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
