#include "reload/fault_guard.h"

#include <cxxabi.h>
#include <dlfcn.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <limits>
#include <mutex>
#include <string>
#include <thread>
#include <typeinfo>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "reload/names.h"

namespace hotcc {
namespace {

constexpr int kFaultSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};

// The signal the watchdog interrupts a call with: from the top of the real-time range, which
// glibc (the bottom two) and applications rarely use.
int AbandonSignal() { return SIGRTMAX - 1; }

// How often the watchdog tries to catch a call that ran out of time inside the module's code,
// and how many times before it abandons the call wherever it is.
constexpr absl::Duration kRetryInterval = absl::Milliseconds(1);
constexpr int kAttemptsInModuleCode = 500;

constexpr std::int64_t kNoLimit = std::numeric_limits<std::int64_t>::max();

struct sigaction previous_actions[NSIG];
std::terminate_handler previous_terminate = nullptr;

// glibc's record of the last fatal message it printed (assert, abort with a message, malloc's
// checks): `struct abort_msg_s` behind the GLIBC_PRIVATE `__abort_msg`, which glibc keeps for a
// program that handles SIGABRT to read. Null where it is not found.
struct GlibcAbortMessage {
  unsigned int size;
  char text[1];
};
GlibcAbortMessage** glibc_abort_message = nullptr;
// The record already reported (or there before the first guarded call), so that a plain
// abort() is not described with an older message. glibc maps a new record for every message.
const GlibcAbortMessage* abort_message_seen = nullptr;

enum class Outcome : int { kReturned, kSignal, kTimeLimit, kAbandoned };

// Where a fault on this thread jumps to, or null outside RunGuarded, and what happened.
struct GuardFrame {
  sigjmp_buf jump;
  absl::Span<const CodeRange> code;
  Outcome outcome = Outcome::kReturned;
  int signal_number = 0;
  void* fault_address = nullptr;
  std::uintptr_t interrupted_at = 0;  // Where a time limit or abandonment caught the call.
  bool outside_code = false;          // ... and whether that was outside `code`.
  // What glibc or libstdc++ said, for SIGABRT. Only message[0] is set on entry: clearing all of
  // it would cost more than the rest of the guard.
  char message[1024];
};
thread_local GuardFrame* current_frame = nullptr;

// What the watchdog knows of one thread that makes guarded calls. Shared with the watchdog
// through atomics; the thread itself only stores to `calls` and `limit_ns` on the call path.
struct GuardedThread {
  pthread_t thread;
  // Odd while the thread is inside a guarded call; every entry and exit adds one.
  std::atomic<std::uint64_t> calls{0};
  std::atomic<std::int64_t> limit_ns{kNoLimit};
  // Set by the watchdog before it signals: which call (a `calls` value) to abandon, why, and
  // whether to do it even outside the call's own code.
  std::atomic<std::uint64_t> abandon_call{0};
  std::atomic<int> abandon_reason{0};
  std::atomic<bool> abandon_anywhere{false};
  std::atomic<std::int64_t> ran_ns{0};
  // The watchdog's own bookkeeping, under registry_mutex.
  bool in_use = false;
  std::uint64_t watched_call = 0;
  absl::Time watched_since;
  std::uint64_t stop_call = 0;
  int attempts = 0;
};

std::mutex registry_mutex;
std::vector<GuardedThread*>& Registry() {
  static auto* registry = new std::vector<GuardedThread*>();  // Never freed: threads outlive it.
  return *registry;
}
thread_local GuardedThread* this_thread_record = nullptr;

// Moves this thread's `calls` on by one: in or out of a call. Only the thread itself writes it,
// so a plain store does (a locked add would cost more than the rest of the guard).
void StepCalls(GuardedThread& record) {
  record.calls.store(record.calls.load(std::memory_order_relaxed) + 1, std::memory_order_release);
}

// The watchdog's wake-up: written when the smallest time limit shrinks or a stop is requested.
int watchdog_wake_fd = -1;
std::atomic<bool> stop_requested{false};
std::atomic<std::int64_t> smallest_limit_ns{kNoLimit};

void WakeWatchdog() {
  if (watchdog_wake_fd < 0) return;
  const std::uint64_t one = 1;
  ssize_t ignored = write(watchdog_wake_fd, &one, sizeof(one));
  (void)ignored;
}

// How often the watchdog looks at the calls in progress: an eighth of the smallest limit, so a
// call is abandoned at most 12.5% past its limit; never more often than the retry interval and
// never less than 4 times a second. -1 (sleep until woken) while no call has a limit.
int SamplingPeriodMs() {
  const std::int64_t smallest = smallest_limit_ns.load(std::memory_order_relaxed);
  if (smallest == kNoLimit) return -1;
  const absl::Duration period =
      std::clamp(absl::Nanoseconds(smallest) / 8, kRetryInterval, absl::Milliseconds(250));
  return static_cast<int>(absl::ToInt64Milliseconds(period));
}

// One look at every thread's call in progress; interrupts those that are due. Returns how long
// to sleep before the next look, for poll(2).
int WatchCalls(bool stopping) {
  const absl::Time now = absl::Now();
  int next_ms = SamplingPeriodMs();
  std::lock_guard<std::mutex> lock(registry_mutex);
  for (GuardedThread* record : Registry()) {
    if (!record->in_use) continue;
    const std::uint64_t call = record->calls.load(std::memory_order_acquire);
    if (call % 2 == 0) continue;
    if (call != record->watched_call) {
      record->watched_call = call;
      record->watched_since = now;
      record->attempts = 0;
    }
    if (stopping) record->stop_call = call;
    const std::int64_t limit_ns = record->limit_ns.load(std::memory_order_relaxed);
    Outcome reason = Outcome::kReturned;
    if (record->stop_call == call) {
      reason = Outcome::kAbandoned;
    } else if (limit_ns != kNoLimit && now - record->watched_since >= absl::Nanoseconds(limit_ns)) {
      reason = Outcome::kTimeLimit;
    }
    if (reason == Outcome::kReturned) continue;
    record->abandon_reason.store(static_cast<int>(reason), std::memory_order_relaxed);
    record->abandon_anywhere.store(record->attempts >= kAttemptsInModuleCode,
                                   std::memory_order_relaxed);
    record->ran_ns.store(absl::ToInt64Nanoseconds(now - record->watched_since),
                         std::memory_order_relaxed);
    record->abandon_call.store(call, std::memory_order_release);
    ++record->attempts;
    pthread_kill(record->thread, AbandonSignal());
    next_ms = static_cast<int>(absl::ToInt64Milliseconds(kRetryInterval));
  }
  return next_ms;
}

void RunWatchdog() {
  pollfd wake = {watchdog_wake_fd, POLLIN, 0};
  int timeout_ms = -1;
  while (true) {
    wake.revents = 0;
    const int ready = poll(&wake, 1, timeout_ms);
    if (ready > 0) {
      std::uint64_t count;
      ssize_t ignored = read(watchdog_wake_fd, &count, sizeof(count));
      (void)ignored;
    }
    timeout_ms = WatchCalls(stop_requested.exchange(false));
  }
}

// Started once, with every signal blocked, so that signals meant for the process (SIGINT) never
// land on it.
void StartWatchdog() {
  watchdog_wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (watchdog_wake_fd < 0) return;  // No time limits then; the calls still run guarded.
  sigset_t all;
  sigfillset(&all);
  sigset_t previous;
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  std::thread(&RunWatchdog).detach();
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

// Puts back the signal mask the interrupted code ran with, which the kernel saved in the
// handler's context: a jump leaves the handler without returning through the kernel, which would
// have restored it. Not just the handled signal: ThreadSanitizer blocks every signal while a
// handler runs, and a fault that arrives blocked kills the process.
void RestoreInterruptedMask(void* context) {
  pthread_sigmask(SIG_SETMASK, &static_cast<const ucontext_t*>(context)->uc_sigmask, nullptr);
}

// Copies glibc's latest fatal message into `frame`, unless it was reported already.
void TakeGlibcAbortMessage(GuardFrame& frame) {
  if (glibc_abort_message == nullptr || frame.message[0] != '\0') return;
  const GlibcAbortMessage* record = __atomic_load_n(glibc_abort_message, __ATOMIC_ACQUIRE);
  if (record == nullptr || record == abort_message_seen) return;
  abort_message_seen = record;
  strncpy(frame.message, record->text, sizeof(frame.message) - 1);
}

void OnFault(int signal_number, siginfo_t* info, void* context) {
  GuardFrame* frame = current_frame;
  if (frame != nullptr) {
    current_frame = nullptr;
    frame->outcome = Outcome::kSignal;
    frame->signal_number = signal_number;
    frame->fault_address = info != nullptr ? info->si_addr : nullptr;
    if (signal_number == SIGABRT) TakeGlibcAbortMessage(*frame);
    RestoreInterruptedMask(context);
    siglongjmp(frame->jump, 1);
  }
  // Not ours: hand the fault to whoever handled it before, or die as the process would have.
  const struct sigaction& previous = previous_actions[signal_number];
  if ((previous.sa_flags & SA_SIGINFO) != 0 && previous.sa_sigaction != nullptr) {
    previous.sa_sigaction(signal_number, info, context);
    return;
  }
  if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN &&
      previous.sa_handler != nullptr) {
    previous.sa_handler(signal_number);
    return;
  }
  signal(signal_number, SIG_DFL);
  raise(signal_number);
}

bool InCode(std::uintptr_t address, absl::Span<const CodeRange> code) {
  return std::any_of(code.begin(), code.end(),
                     [address](const CodeRange& range) { return range.Contains(address); });
}

void OnAbandonSignal(int /*signal_number*/, siginfo_t* /*info*/, void* context) {
  GuardFrame* frame = current_frame;
  GuardedThread* record = this_thread_record;
  if (frame == nullptr || record == nullptr) return;
  // A late signal for a call that has returned since.
  const std::uint64_t call = record->calls.load(std::memory_order_relaxed);
  if (record->abandon_call.load(std::memory_order_acquire) != call) return;
  const auto* machine = static_cast<const ucontext_t*>(context);
  const auto pc = static_cast<std::uintptr_t>(machine->uc_mcontext.gregs[REG_RIP]);
  const bool outside_code = !frame->code.empty() && !InCode(pc, frame->code);
  if (outside_code && !record->abandon_anywhere.load(std::memory_order_relaxed)) {
    return;  // Perhaps inside malloc, holding its lock: the watchdog tries again.
  }
  current_frame = nullptr;
  frame->outcome = static_cast<Outcome>(record->abandon_reason.load(std::memory_order_relaxed));
  frame->interrupted_at = pc;
  frame->outside_code = outside_code;
  RestoreInterruptedMask(context);
  siglongjmp(frame->jump, 1);
}

// std::terminate inside a guarded call: say why (libstdc++'s own handler would print it), then
// abort, which OnFault turns into the jump back. Everything it allocates is freed before the
// abort: the jump skips this frame's destructors.
[[noreturn]] void OnTerminate() {
  GuardFrame* frame = current_frame;
  if (frame == nullptr) {
    if (previous_terminate != nullptr) previous_terminate();
    std::abort();
  }
  const std::type_info* type = abi::__cxa_current_exception_type();
  if (type == nullptr) {
    strncpy(frame->message, "std::terminate called without an active exception",
            sizeof(frame->message) - 1);
    std::abort();
  }
  {
    std::string reason =
        absl::StrCat("std::terminate called after throwing ", DemangledName(type->name()));
    try {
      throw;
    } catch (const std::exception& exception) {
      absl::StrAppend(&reason, ": ", exception.what());
    } catch (...) {
    }
    strncpy(frame->message, reason.c_str(), sizeof(frame->message) - 1);
  }
  std::abort();
}

void InstallHandlers() {
  glibc_abort_message =
      static_cast<GlibcAbortMessage**>(dlvsym(RTLD_DEFAULT, "__abort_msg", "GLIBC_PRIVATE"));
  if (glibc_abort_message != nullptr) {
    abort_message_seen = __atomic_load_n(glibc_abort_message, __ATOMIC_ACQUIRE);
  }
  struct sigaction action = {};
  action.sa_sigaction = &OnFault;
  // SA_ONSTACK: a stack overflow leaves no stack to run the handler on.
  action.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&action.sa_mask);
  for (int signal_number : kFaultSignals) {
    sigaction(signal_number, &action, &previous_actions[signal_number]);
  }
  // SA_RESTART: a signal that finds the call outside its module's code returns to it, and
  // whatever system call it interrupted carries on.
  action.sa_sigaction = &OnAbandonSignal;
  action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
  sigaction(AbandonSignal(), &action, nullptr);
  previous_terminate = std::set_terminate(&OnTerminate);
  StartWatchdog();
}

// What each thread that makes guarded calls owns: an alternate signal stack and its record in
// the watchdog's registry, both given back when the thread exits.
class ThreadGuardState {
 public:
  ThreadGuardState() {
    stack_t existing = {};
    if (sigaltstack(nullptr, &existing) != 0 || (existing.ss_flags & SS_DISABLE) != 0) {
      stack_memory_.resize(std::max<size_t>(SIGSTKSZ, size_t{64} * 1024));
      stack_t stack = {};
      stack.ss_sp = stack_memory_.data();
      stack.ss_size = stack_memory_.size();
      sigaltstack(&stack, nullptr);
    }  // Otherwise the thread already has one: keep it.
    std::lock_guard<std::mutex> lock(registry_mutex);
    for (GuardedThread* free_record : Registry()) {
      if (!free_record->in_use) {
        record_ = free_record;
        break;
      }
    }
    if (record_ == nullptr) record_ = Registry().emplace_back(new GuardedThread());
    record_->in_use = true;
    record_->thread = pthread_self();
    record_->watched_call = 0;
    record_->stop_call = 0;
    this_thread_record = record_;
  }

  ~ThreadGuardState() {
    {
      std::lock_guard<std::mutex> lock(registry_mutex);
      record_->in_use = false;
    }
    this_thread_record = nullptr;
    if (stack_memory_.empty()) return;
    stack_t disable = {};
    disable.ss_flags = SS_DISABLE;
    sigaltstack(&disable, nullptr);
  }

  ThreadGuardState(const ThreadGuardState&) = delete;
  ThreadGuardState& operator=(const ThreadGuardState&) = delete;

  GuardedThread& record() { return *record_; }

  // The exceptions this thread is handling: the Itanium C++ ABI's per-thread __cxa_eh_globals
  // starts with the stack of caught exceptions, and lives as long as the thread, so its address
  // is looked up once. A jump out of a catch block, or out of std::terminate after a throw
  // through noexcept, leaves entries there that nothing would ever end.
  void* CaughtExceptions() const { return *caught_exceptions_; }
  void EndAbandonedCatches(void* caught_at_entry) const {
    while (CaughtExceptions() != nullptr && CaughtExceptions() != caught_at_entry) {
      abi::__cxa_end_catch();
    }
  }

 private:
  std::vector<char> stack_memory_;
  GuardedThread* record_ = nullptr;
  void* const* caught_exceptions_ = reinterpret_cast<void* const*>(abi::__cxa_get_globals());
};

// Where the watchdog caught a call: "libfoo.so (spin)" or the bare address.
std::string DescribeAddress(std::uintptr_t address) {
  Dl_info info = {};
  // A program counter read from the signal's machine context, only looked up, never followed.
  void* const pointer = reinterpret_cast<void*>(address);  // NOLINT(performance-no-int-to-ptr)
  if (dladdr(pointer, &info) == 0 || info.dli_fname == nullptr) {
    return absl::StrFormat("%#x", address);
  }
  std::string where = info.dli_fname;
  const size_t slash = where.rfind('/');
  if (slash != std::string::npos) where.erase(0, slash + 1);
  if (info.dli_sname != nullptr) absl::StrAppend(&where, " (", DemangledName(info.dli_sname), ")");
  return where;
}

absl::Status Describe(const GuardFrame& frame, absl::Duration limit, absl::Duration ran) {
  switch (frame.outcome) {
    case Outcome::kReturned:
      return absl::OkStatus();
    case Outcome::kSignal: {
      if (frame.signal_number != SIGABRT) {
        return absl::AbortedError(absl::StrFormat(
            "%s at address %p", SignalName(frame.signal_number), frame.fault_address));
      }
      absl::string_view said = absl::StripTrailingAsciiWhitespace(frame.message);
      return absl::AbortedError(
          absl::StrCat(SignalName(SIGABRT), ": ", said.empty() ? "abort() called" : said));
    }
    case Outcome::kTimeLimit: {
      std::string message =
          absl::StrCat("did not return within ", absl::FormatDuration(limit), "; abandoned after ",
                       absl::FormatDuration(absl::Trunc(ran, absl::Milliseconds(1))));
      if (frame.outside_code) {
        absl::StrAppend(&message, ", outside the module's code, in ",
                        DescribeAddress(frame.interrupted_at), ": a lock held there may stay held");
      }
      return absl::DeadlineExceededError(message);
    }
    case Outcome::kAbandoned:
      return absl::CancelledError("abandoned: the process is stopping");
  }
  return absl::UnknownError("unknown outcome");
}

}  // namespace

absl::Status RunGuarded(absl::FunctionRef<void()> call, const GuardOptions& options) {
  static std::once_flag installed;
  std::call_once(installed, InstallHandlers);
  thread_local ThreadGuardState thread_state;
  GuardedThread& record = thread_state.record();

  const std::int64_t limit_ns = options.time_limit == absl::InfiniteDuration()
                                    ? kNoLimit
                                    : absl::ToInt64Nanoseconds(options.time_limit);
  if (limit_ns < smallest_limit_ns.load(std::memory_order_relaxed)) {
    smallest_limit_ns.store(limit_ns, std::memory_order_relaxed);
    WakeWatchdog();  // It samples faster from now on.
  }
  void* const caught_at_entry = thread_state.CaughtExceptions();

  GuardFrame frame;
  frame.message[0] = '\0';
  frame.code = options.code;
  // savemask = 0: saving the mask costs a sigprocmask system call on every guarded call (about
  // 300 ns, far more than a typical call); the handlers restore the mask themselves.
  if (sigsetjmp(frame.jump, 0) != 0) {
    StepCalls(record);
    thread_state.EndAbandonedCatches(caught_at_entry);
    return Describe(frame, options.time_limit,
                    absl::Nanoseconds(record.ran_ns.load(std::memory_order_relaxed)));
  }
  record.limit_ns.store(limit_ns, std::memory_order_relaxed);
  StepCalls(record);  // Odd: inside.
  current_frame = &frame;
  absl::Status status;
  try {
    call();
  } catch (const std::exception& exception) {
    status = absl::AbortedError(absl::StrCat("exception escaped: ", exception.what()));
  } catch (...) {
    status = absl::AbortedError("exception escaped: not a std::exception");
  }
  current_frame = nullptr;
  StepCalls(record);  // Even: outside.
  return status;
}

void AbandonGuardedCalls() {
  stop_requested.store(true, std::memory_order_relaxed);
  WakeWatchdog();
}

}  // namespace hotcc
