// File: reload/reader_registry.h
//
// How a module is swapped while other threads call into it, without a lock on the call path.
//
// Each thread that calls into modules owns a slot with a sequence number: odd while the thread is
// inside a call, even otherwise. Entering a call is a store to the thread's own slot, so callers
// never contend with each other or with the loader. The loader publishes a new table with one
// atomic exchange and then waits, in `WaitForReadersToLeave`, until every slot that was odd at
// that moment has moved on. Only then can no thread still be running the old code, and only
// then is the old module unloaded.
//
// Why this is correct: a reader stores to its slot and then loads the table pointer; the loader
// exchanges the pointer and then loads the slots. Either the reader loaded the new pointer, or
// the loader sees the reader's odd slot and waits for it, provided neither side's store can be
// overtaken by its following load. The loader's exchange is a full barrier. The reader's side
// is where the cost would be (an `xchg` on x86, about 3.5 ns per call), so it is moved to the
// loader: readers put only a compiler barrier there, and the loader, before it reads the slots,
// runs membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED), which makes every running thread of the
// process execute a full barrier. Where the kernel does not offer that command (before Linux
// 4.14, or filtered by seccomp), and under ThreadSanitizer, which does not model membarrier,
// readers use a sequentially consistent store instead.
//
//   {
//     ReadSection section;                    // slot odd
//     const Api* api = table.load(std::memory_order_seq_cst);
//     api->function(...);
//   }                                         // slot even
//   // Loader: old = table.exchange(new_table); ReaderRegistry::WaitForReadersToLeave();
//   //         now unload `old`.

#ifndef HOTCC_RELOAD_READER_REGISTRY_H_
#define HOTCC_RELOAD_READER_REGISTRY_H_

#include <atomic>
#include <cstdint>

#include "absl/base/optimization.h"

namespace hotcc {
namespace reader_internal {

// One per thread that ever entered a section, on its own cache line.
struct alignas(64) Slot {
  std::atomic<std::uint64_t> sequence{0};
  bool in_use = false;  // Guarded by the registry's mutex.
};

// The calling thread's slot and section depth. Plain data, constant-initialized, so that the
// inline fast path reaches it without a TLS wrapper call.
struct ThreadReader {
  Slot* slot;
  int depth;
};
extern thread_local ThreadReader this_thread;

// Gives the calling thread a slot, and returns it to the registry when the thread exits.
Slot* AcquireSlot();

// Whether the loader runs membarrier(2) before reading the slots, so that readers need only a
// compiler barrier. Set once, before main.
extern bool loader_fences_readers;

}  // namespace reader_internal

// Marks this thread as inside a call into a module for the section's lifetime. Sections nest;
// only the outermost one touches the slot.
class ReadSection {
 public:
  ReadSection() {
    reader_internal::ThreadReader& reader = reader_internal::this_thread;
    if (reader.depth++ > 0) return;
    if (ABSL_PREDICT_FALSE(reader.slot == nullptr)) reader.slot = reader_internal::AcquireSlot();
    const std::uint64_t sequence = reader.slot->sequence.load(std::memory_order_relaxed);
#if !defined(__SANITIZE_THREAD__)
    if (ABSL_PREDICT_TRUE(reader_internal::loader_fences_readers)) {
      reader.slot->sequence.store(sequence + 1, std::memory_order_relaxed);
      // Keeps the compiler from moving the table load above the store; the CPU is kept from it
      // by the loader's membarrier.
      std::atomic_signal_fence(std::memory_order_seq_cst);
      return;
    }
#endif
    reader.slot->sequence.store(sequence + 1, std::memory_order_seq_cst);
  }

  ~ReadSection() {
    reader_internal::ThreadReader& reader = reader_internal::this_thread;
    if (--reader.depth > 0) return;
    const std::uint64_t sequence = reader.slot->sequence.load(std::memory_order_relaxed);
    reader.slot->sequence.store(sequence + 1, std::memory_order_release);
  }

  ReadSection(const ReadSection&) = delete;
  ReadSection& operator=(const ReadSection&) = delete;

  // The nesting depth of sections on this thread. RunGuarded abandons frames on a fault, and
  // with them the destructors of sections inside the call: the caller restores the depth it
  // saw before the call with RestoreDepth.
  static int Depth() { return reader_internal::this_thread.depth; }
  static void RestoreDepth(int depth);
};

class ReaderRegistry {
 public:
  // Returns once every thread that was inside a ReadSection when this was called has left it.
  // Threads that enter afterwards are not waited for. Must not be called inside a ReadSection.
  static void WaitForReadersToLeave();
};

}  // namespace hotcc

#endif  // HOTCC_RELOAD_READER_REGISTRY_H_
