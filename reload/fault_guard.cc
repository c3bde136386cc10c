#include "reload/fault_guard.h"

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace hotcc {
namespace {

constexpr int kGuardedSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL};

struct sigaction previous_actions[NSIG];

// Where a fault on this thread jumps to, or null outside RunGuarded. The handler also records
// what happened, for the message.
struct GuardFrame {
  sigjmp_buf jump;
  int signal_number = 0;
  void* fault_address = nullptr;
};
thread_local GuardFrame* current_frame = nullptr;

void OnFault(int signal_number, siginfo_t* info, void* context) {
  GuardFrame* frame = current_frame;
  if (frame != nullptr) {
    current_frame = nullptr;
    frame->signal_number = signal_number;
    frame->fault_address = info != nullptr ? info->si_addr : nullptr;
    // The kernel blocked `signal_number` for the handler, and the jump leaves the handler
    // without returning through the kernel: unblock it here, so that the thread's mask is the
    // one it had before the fault (a blocked fault signal could not have been delivered).
    sigset_t handled;
    sigemptyset(&handled);
    sigaddset(&handled, signal_number);
    pthread_sigmask(SIG_UNBLOCK, &handled, nullptr);
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

void InstallHandlers() {
  struct sigaction action = {};
  action.sa_sigaction = &OnFault;
  // SA_ONSTACK: a stack overflow leaves no stack to run the handler on.
  action.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&action.sa_mask);
  for (int signal_number : kGuardedSignals) {
    sigaction(signal_number, &action, &previous_actions[signal_number]);
  }
}

// Gives this thread an alternate signal stack once; it is freed when the thread exits.
void EnsureAlternateStack() {
  struct AlternateStack {
    std::vector<char> memory;
    AlternateStack() : memory(std::max<size_t>(SIGSTKSZ, 64 * 1024)) {
      stack_t existing = {};
      if (sigaltstack(nullptr, &existing) == 0 && (existing.ss_flags & SS_DISABLE) == 0) {
        memory.clear();  // The thread already has one: keep it.
        return;
      }
      stack_t stack = {};
      stack.ss_sp = memory.data();
      stack.ss_size = memory.size();
      sigaltstack(&stack, nullptr);
    }
    ~AlternateStack() {
      if (memory.empty()) return;
      stack_t disable = {};
      disable.ss_flags = SS_DISABLE;
      sigaltstack(&disable, nullptr);
    }
  };
  thread_local AlternateStack alternate_stack;
}

std::string SignalName(int signal_number) {
  switch (signal_number) {
    case SIGSEGV:
      return "SIGSEGV (segmentation fault)";
    case SIGBUS:
      return "SIGBUS (bus error)";
    case SIGFPE:
      return "SIGFPE (arithmetic error)";
    case SIGILL:
      return "SIGILL (illegal instruction)";
    default:
      return absl::StrCat("signal ", signal_number);
  }
}

}  // namespace

absl::Status RunGuarded(absl::FunctionRef<void()> call) {
  static std::once_flag installed;
  std::call_once(installed, InstallHandlers);
  EnsureAlternateStack();

  GuardFrame frame;
  // savemask = 0: saving the mask costs a sigprocmask system call on every guarded call (about
  // 300 ns, far more than a typical call); OnFault restores the mask itself, on the rare fault.
  if (sigsetjmp(frame.jump, 0) != 0) {
    return absl::AbortedError(
        absl::StrFormat("%s at address %p", SignalName(frame.signal_number), frame.fault_address));
  }
  current_frame = &frame;
  try {
    call();
  } catch (const std::exception& exception) {
    current_frame = nullptr;
    return absl::AbortedError(absl::StrCat("exception escaped: ", exception.what()));
  } catch (...) {
    current_frame = nullptr;
    return absl::AbortedError("exception escaped: not a std::exception");
  }
  current_frame = nullptr;
  return absl::OkStatus();
}

}  // namespace hotcc
