// File: reload/reader_registry.h
//
// How a module is swapped while other threads call into it, without a lock on the call path.
//
// Each thread that calls into modules owns a slot with a sequence number: odd while the thread is
// inside a call, even otherwise. Entering a call is one store to the thread's own slot (plus
// one load of the module's table pointer), so callers never contend with each other or with
// the loader. The loader publishes a new table with one atomic exchange and then waits, in
// `WaitForReadersToLeave`, until every slot that was odd at that moment has moved on. Only then
// can no thread still be running the old code, and only then is the old module unloaded.
//
// Why this is correct: the reader's store to its slot and its load of the table pointer, and
// the loader's exchange of the pointer and its loads of the slots, are all sequentially
// consistent. So either the reader loaded the new pointer, or the loader saw the reader's odd
// slot and waits for it.
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

namespace hotcc {

// Marks this thread as inside a call into a module for the section's lifetime. Sections nest;
// only the outermost one touches the slot.
class ReadSection {
 public:
  ReadSection();
  ~ReadSection();
  ReadSection(const ReadSection&) = delete;
  ReadSection& operator=(const ReadSection&) = delete;

  // The nesting depth of sections on this thread. RunGuarded abandons frames on a fault, and
  // with them the destructors of sections inside the call: the caller restores the depth it
  // saw before the call with RestoreDepth.
  static int Depth();
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
