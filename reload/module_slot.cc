#include "reload/module_slot.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "absl/algorithm/container.h"
#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "reload/fault_guard.h"
#include "reload/file_copy.h"
#include "reload/load_probe.h"
#include "reload/module_abi.h"
#include "reload/reader_registry.h"
#include "reload/status_util.h"

namespace hotcc {

namespace {

// Closes a file descriptor when it goes out of scope.
class ScopedFd {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ~ScopedFd() {
    if (fd_ >= 0) close(fd_);
  }
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

absl::Status OpenError(int error_number, const std::string& path) {
  if (error_number == ENOENT) {
    return absl::NotFoundError(absl::StrCat(path, ": missing file (", ErrnoText(error_number),
                                            "); build it, e.g. `bazel build //libs/...`"));
  }
  return PosixError(error_number, "cannot open", path);
}

// Whether two identities name the same inode with the same size and modification time: the
// same bytes, whatever happened to its metadata since.
bool SameContents(const FileIdentity& a, const FileIdentity& b) {
  return a.device == b.device && a.inode == b.inode && a.size == b.size && a.mtime_ns == b.mtime_ns;
}

// The name of version `number`'s copy in the private directory. Unique: glibc identifies loaded
// objects by path, and must see each version as a new one.
std::string CopyName(absl::string_view module, int number) {
  return absl::StrCat("lib", module, ".v", number, ".so");
}

std::string Micros(absl::Duration duration) {
  return absl::StrCat(absl::ToInt64Microseconds(duration), "us");
}

}  // namespace

void LogToStderr(absl::string_view line) {
  const std::string text = absl::StrCat("hotcc: ", line, "\n");
  // One write: a line never interleaves with another thread's.
  ssize_t ignored = write(STDERR_FILENO, text.data(), text.size());
  (void)ignored;
}

ModuleSlot::ModuleSlot(ModuleSpec spec, const PrivateDir* private_dir, LogSink log,
                       EventSink on_event)
    : spec_(std::move(spec)),
      private_dir_(private_dir),
      log_(log ? std::move(log) : LogSink(&LogToStderr)),
      on_event_(std::move(on_event)) {}

ModuleSlot::~ModuleSlot() {
  absl::MutexLock lock(&mu_);
  Publish(nullptr);
  if (rollback_) Unload(std::move(rollback_));
  if (current_) Unload(std::move(current_));
}

absl::StatusOr<std::unique_ptr<ModuleSlot::Version>> ModuleSlot::LoadVersion(
    const ReloadRequest& request, const std::string& path, LoadTimings& timings) {
  const absl::Time start = absl::Now();
  const ScopedFd source(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (source.get() < 0) return OpenError(errno, path);
  struct stat st;
  if (fstat(source.get(), &st) != 0) return PosixError(errno, "cannot stat", path);
  auto version = std::make_unique<Version>();
  version->source = IdentityOf(st);
  if (request.change_seen != absl::InfinitePast()) {
    timings.seen = std::max(absl::ZeroDuration(),
                            request.change_seen - absl::FromUnixNanos(version->source.mtime_ns));
  }

  HOTCC_RETURN_IF_ERROR(ValidateSharedObject(source.get(), st.st_size, path));
  absl::StatusOr<std::uint64_t> digest = DigestFileContents(source.get(), st.st_size, path);
  if (!digest.ok()) return digest.status();
  version->digest = *digest;
  if (current_ && KnownBuild(request, version->source, version->digest)) return nullptr;
  if (faulty_digest_ == version->digest) return faulty_refusal_;
  absl::StatusOr<UnloadHazards> hazards = ReadUnloadHazards(source.get(), st.st_size, path);
  if (!hazards.ok()) return hazards.status();
  version->hazards = *std::move(hazards);
  const absl::Time validated = absl::Now();
  timings.validated = validated - start;

  version->number = next_version_;
  const std::string copy_name = CopyName(spec_.name, version->number);
  const std::string copy_path = private_dir_->PathOf(copy_name);
  {
    absl::StatusOr<int> copy_fd = private_dir_->CreateFile(copy_name);
    if (!copy_fd.ok()) return copy_fd.status();
    const ScopedFd copy(*copy_fd);
    absl::Status copied = CopyFileContents(source.get(), copy.get(), st.st_size, path, copy_path);
    if (!copied.ok()) {
      private_dir_->RemoveFile(copy_name).IgnoreError();
      return copied;
    }
  }
  const absl::Time copied = absl::Now();
  timings.copied = copied - validated;

  const absl::StatusOr<bool> probed = ProbeIfItRunsCodeAtLoad(source.get(), st.st_size, copy_path);
  const absl::Time probe_done = absl::Now();
  if (!probed.ok()) {
    private_dir_->RemoveFile(copy_name).IgnoreError();
    return Annotate(probed.status(), path);
  }
  if (*probed) timings.probed = probe_done - copied;

  absl::StatusOr<SharedLibrary> library = SharedLibrary::Open(copy_path);
  // The mapping alone would keep the inode alive, but the name stays until Unload: a debugger
  // reads a loaded object's symbols and lines from the path in the link map. A refusal from here
  // on removes it.
  absl::Cleanup remove_copy = [&] { private_dir_->RemoveFile(copy_name).IgnoreError(); };
  if (!library.ok()) return Annotate(library.status(), path);
  version->library = *std::move(library);
  version->code = version->library.CodeRanges();
  const absl::Time opened = absl::Now();
  timings.opened = opened - probe_done;

  const std::string entry_name = absl::StrCat(kModuleEntryPrefix, spec_.name);
  absl::StatusOr<void*> entry = version->library.FindSymbol(entry_name.c_str());
  if (!entry.ok()) {
    return absl::NotFoundError(absl::StrCat(path, ": no entry point ", entry_name,
                                            "; define it with HOTCC_DEFINE_MODULE(", spec_.name,
                                            ", ...) (", entry.status().message(), ")"));
  }
  const ModuleHeader* header = nullptr;
  GuardOptions guard;
  guard.time_limit = spec_.time_limit;
  guard.code = version->code;
  absl::Status entered =
      RunGuarded([&] { header = reinterpret_cast<ModuleEntryFn>(*entry)(); }, guard);
  if (!entered.ok()) return Annotate(entered, absl::StrCat(path, ": ", entry_name, " crashed"));
  if (header == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", entry_name, " returned null"));
  }
  if (header->abi_version != kModuleAbiVersion) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": module ABI version ", header->abi_version, ", the app expects ",
                     kModuleAbiVersion, ": rebuild the module and the app from the same reload/"));
  }
  if (header->interface_fingerprint != spec_.interface_fingerprint) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: interface fingerprint %016x, the app has %016x: the shared types (libs/shared) "
        "changed since the app was built: restart the app",
        path, header->interface_fingerprint, spec_.interface_fingerprint));
  }
  if (header->api_size != spec_.api_size || header->api == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": function table of ", header->api_size, " bytes, the app expects ",
                     spec_.api_size, ": the module and the app disagree on its type"));
  }
  version->api = header->api;
  timings.verified = absl::Now() - opened;
  std::move(remove_copy).Cancel();
  return version;
}

absl::StatusOr<bool> ModuleSlot::ProbeIfItRunsCodeAtLoad(int fd, off_t size,
                                                         const std::string& copy_path) {
  absl::StatusOr<LoadTimeCode> code = ReadLoadTimeCode(fd, size, spec_.path);
  if (!code.ok()) return code.status();
  std::vector<std::string> not_loaded;
  for (const std::string& needed : code->needed) {
    // RTLD_NOLOAD: only asks whether the process has it (and then takes a reference).
    void* loaded = dlopen(needed.c_str(), RTLD_LAZY | RTLD_NOLOAD);
    if (loaded == nullptr) {
      not_loaded.push_back(needed);
    } else {
      dlclose(loaded);
    }
  }
  if (code->initializers.empty() && not_loaded.empty()) return false;
  const absl::Status tried =
      ProbeLoad(copy_path, absl::StrCat(kModuleEntryPrefix, spec_.name), spec_.time_limit);
  if (tried.ok()) return true;
  std::string runs = code->Explain();
  if (!not_loaded.empty()) {
    absl::StrAppend(&runs, " and those of ", absl::StrJoin(not_loaded, ", "),
                    ", which the app has not loaded");
  }
  return absl::Status(tried.code(), absl::StrCat(tried.message(), " (it runs ", runs,
                                                 " when it loads); it never ran in the app"));
}

absl::Status ModuleSlot::Reload(absl::Time change_seen, absl::Time build_started) {
  return ReloadUnderLock({Origin::kBazel, change_seen, build_started});
}

absl::Status ModuleSlot::ReloadFast(absl::Time change_seen, absl::Time build_started) {
  return ReloadUnderLock({Origin::kFastPath, change_seen, build_started});
}

absl::Status ModuleSlot::RevertUnconfirmed() {
  {
    absl::MutexLock lock(&mu_);
    if (!current_ || current_->origin != Origin::kFastPath) return absl::OkStatus();
    log_(absl::StrCat(spec_.name, ": Bazel's build failed, so v", current_->number,
                      " from the fast path is not confirmed: back to Bazel's last good build"));
  }
  ReloadRequest request;
  request.revert = true;
  return ReloadUnderLock(request);
}

absl::Status ModuleSlot::ReloadUnderLock(const ReloadRequest& request) {
  std::optional<ModuleEvent> event;
  absl::Status status;
  {
    absl::MutexLock lock(&mu_);
    status = ReloadLocked(request, event);
  }
  if (event && on_event_) on_event_(*event);
  return status;
}

bool ModuleSlot::KnownBuild(const ReloadRequest& request, const FileIdentity& identity,
                            std::uint64_t digest) {
  const bool fast = request.origin == Origin::kFastPath;
  if (digest == current_->digest) {
    // Not loaded again: a second copy of the same build would be a version of its own, and the
    // rollback target of itself.
    current_->source = identity;
    if (!fast && current_->origin == Origin::kFastPath) {
      current_->origin = Origin::kBazel;
      superseded_digests_.clear();
      log_(absl::StrCat(spec_.name, ": Bazel's build is byte for byte v", current_->number,
                        " from the fast path: confirmed"));
    }
    return true;
  }
  if (!fast && !request.revert && current_->origin == Origin::kFastPath &&
      absl::c_linear_search(superseded_digests_, digest)) {
    last_compared_ = identity;
    log_(absl::StrCat(spec_.name, ": Bazel's build is of an earlier save; v", current_->number,
                      " from the fast path stays until Bazel's next build"));
    return true;
  }
  return false;
}

absl::Status ModuleSlot::ReloadLocked(const ReloadRequest& request,
                                      std::optional<ModuleEvent>& event) {
  const bool fast = request.origin == Origin::kFastPath;
  const std::string& path = fast ? spec_.fast_path : spec_.path;
  // What is at the path now; a missing file counts as one identity of its own.
  auto identity_now = [&] {
    struct stat st;
    return stat(path.c_str(), &st) == 0 ? IdentityOf(st) : FileIdentity{};
  };
  const FileIdentity identity = identity_now();
  if (current_ && identity == current_->source) return absl::OkStatus();
  // The same file with only its change time moved: Bazel makes an output read-only a few
  // milliseconds after it lands, and that chmod is not a new build. Loading it again would
  // give one build two versions, and make a copy of a bad build the rollback target of itself.
  if (current_ && SameContents(identity, current_->source)) {
    current_->source = identity;
    return absl::OkStatus();
  }
  if (identity == last_refused_) return last_refusal_;
  // Compared once (KnownBuild): Bazel's build of an earlier save is not read again.
  if (!request.revert && identity == last_compared_) return absl::OkStatus();

  LoadTimings timings;
  absl::StatusOr<std::unique_ptr<Version>> loaded = LoadVersion(request, path, timings);
  if (!loaded.ok()) {
    last_refused_ = identity_now();
    last_refusal_ = loaded.status();
    const std::string kept =
        current_ ? absl::StrCat("kept v", current_->number) : std::string("nothing loaded");
    log_(absl::StrCat(spec_.name, ": ", kept,
                      ", refused the new file: ", loaded.status().ToString()));
    const int running = current_ ? current_->number : 0;
    event = ModuleEvent{ModuleEvent::Kind::kRefused, spec_.name, running, running, loaded.status()};
    return loaded.status();
  }
  if (*loaded == nullptr) return absl::OkStatus();  // A build already known: see KnownBuild.
  std::unique_ptr<Version> next = *std::move(loaded);
  ++next_version_;
  const int previous = current_ ? current_->number : 0;
  const Origin previous_origin = current_ ? current_->origin : Origin::kBazel;
  const std::optional<std::uint64_t> previous_digest =
      current_ ? std::optional<std::uint64_t>(current_->digest) : std::nullopt;

  const absl::Time swap_start = absl::Now();
  Publish(next.get());
  timings.swapped = absl::Now() - swap_start;

  // The previous version stays as the rollback target if it ever completed a call; the one it
  // replaces, or the previous version itself if it never ran, is unloaded.
  std::unique_ptr<Version> retired;
  if (current_ && current_->completed_calls.load(std::memory_order_relaxed) > 0) {
    retired = std::exchange(rollback_, std::move(current_));
  } else {
    retired = std::move(current_);
  }
  const bool first = next->number == 1;
  next->origin = request.origin;
  std::string replaced;
  if (fast) {
    // Bazel's build of the save this one replaces may still arrive: it is not loaded then.
    if (previous_digest) superseded_digests_.push_back(*previous_digest);
    if (superseded_digests_.size() > kSupersededDigests) {
      superseded_digests_.erase(superseded_digests_.begin());
    }
  } else {
    superseded_digests_.clear();
    if (previous_origin == Origin::kFastPath) {
      replaced = request.revert
                     ? absl::StrCat(" in place of v", previous, " from the fast path")
                     : absl::StrCat(", which differs from v", previous, " from the fast path");
    }
  }
  current_ = std::move(next);
  last_timings_ = timings;
  const std::string unloaded = retired ? absl::StrCat("; ", Unload(std::move(retired))) : "";
  // A load that no change prompted (the first) has no "seen" time.
  const std::string probed = timings.probed > absl::ZeroDuration()
                                 ? absl::StrCat(", probed in a helper ", Micros(timings.probed))
                                 : std::string();
  const std::string seen = request.change_seen == absl::InfinitePast()
                               ? std::string()
                               : absl::StrCat("seen ", Micros(timings.seen), ", ");
  std::string live;
  if (request.build_started != absl::InfinitePast()) {
    const absl::Time written = absl::FromUnixNanos(current_->source.mtime_ns);
    const absl::Duration load = timings.validated + timings.copied + timings.probed +
                                timings.opened + timings.verified + timings.swapped;
    const auto millis = [](absl::Duration d) {
      return absl::StrFormat("%.*fms", d < absl::Milliseconds(10) ? 1 : 0,
                             absl::ToDoubleMilliseconds(std::max(d, absl::ZeroDuration())));
    };
    live = absl::StrCat("; live ", millis(absl::Now() - request.build_started),
                        " after its build started (build ", millis(written - request.build_started),
                        ", notify ", millis(timings.seen), ", load ", millis(load), ")");
  }
  log_(absl::StrCat(spec_.name, ": ", first ? "loaded" : "reloaded", " v", current_->number,
                    " from ", path, fast ? " (fast path)" : "", replaced, " (", seen, "validated ",
                    Micros(timings.validated), ", copied ", Micros(timings.copied), probed,
                    ", opened ", Micros(timings.opened), ", verified ", Micros(timings.verified),
                    ", swapped ", Micros(timings.swapped), ")", unloaded, live));
  if (current_->hazards.any()) {
    log_(absl::StrCat(spec_.name, ": warning: v", current_->number,
                      " will not unload: ", current_->hazards.Explain()));
  }
  event = ModuleEvent{first ? ModuleEvent::Kind::kLoaded : ModuleEvent::Kind::kReloaded, spec_.name,
                      current_->number, previous, absl::OkStatus()};
  return absl::OkStatus();
}

void ModuleSlot::Publish(Version* next) {
  published_.exchange(next, std::memory_order_seq_cst);
  ReaderRegistry::WaitForReadersToLeave();
}

std::string ModuleSlot::Unload(std::unique_ptr<Version> version) {
  const int number = version->number;
  const absl::Status closed = version->library.Close();
  // Its copy goes with it, even if glibc kept the image mapped (then reported below).
  private_dir_->RemoveFile(CopyName(spec_.name, number)).IgnoreError();
  if (closed.ok()) return absl::StrCat("v", number, " unloaded and unmapped");
  ++unload_failures_;
  std::string why = version->hazards.Explain();
  if (why.empty()) why = "no hazard found in the module itself: a library it depends on may pin it";
  return absl::StrCat("v", number, " NOT unloaded: ", closed.message(), ": ", why);
}

absl::Status ModuleSlot::Call(absl::string_view function,
                              absl::FunctionRef<void(const void* api)> call,
                              absl::FunctionRef<void()> restore,
                              std::optional<absl::Duration> time_limit,
                              absl::FunctionRef<bool(bool on_probation)> prepare) {
  int number = 0;
  bool restorable = true;
  absl::Status fault;
  const int depth = ReadSection::Depth();
  {
    // The version may only be touched inside the section: once it closes, a reload may free it.
    ReadSection section;
    Version* version = published_.load(std::memory_order_seq_cst);
    if (version == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat(spec_.name, ": no working version is loaded; waiting for a rebuild"));
    }
    number = version->number;
    restorable =
        prepare(version->completed_calls.load(std::memory_order_relaxed) < kProbationCalls);
    GuardOptions guard;
    guard.time_limit = time_limit.value_or(spec_.time_limit);
    guard.code = version->code;
    fault = RunGuarded([&] { call(version->api); }, guard);
    if (fault.ok()) {
      // Racing increments may undercount by a few (probation then lasts a few calls longer),
      // but never leave a completed version at zero.
      const int completed = version->completed_calls.load(std::memory_order_relaxed);
      if (completed < kProbationCalls) {
        version->completed_calls.store(completed + 1, std::memory_order_relaxed);
      }
      return absl::OkStatus();
    }
    // A fault abandons the frames of any sections nested inside the call.
    ReadSection::RestoreDepth(depth + 1);
  }
  restore();
  if (absl::IsCancelled(fault)) {
    // The host is stopping: not the module's fault, so nothing is rolled back.
    const std::string what =
        absl::StrCat(spec_.name, ": ", function, " in v", number, " ", fault.message(), "; ",
                     RestoreOutcome(restorable, number));
    log_(what);
    return absl::CancelledError(what);
  }
  return RollBack(number, function, fault, restorable);
}

std::string ModuleSlot::RestoreOutcome(bool restored, int version) {
  if (restored) return "state restored";
  return absl::StrCat("state not restored: v", version, " had completed ", kProbationCalls,
                      " calls, after which CallRestoring no longer copies the state");
}

absl::Status ModuleSlot::RollBack(int faulty_number, absl::string_view function,
                                  const absl::Status& fault, bool restored) {
  std::optional<ModuleEvent> event;
  absl::Status status;
  {
    absl::MutexLock lock(&mu_);
    status = RollBackLocked(faulty_number, function, fault, restored, event);
  }
  if (event && on_event_) on_event_(*event);
  return status;
}

absl::Status ModuleSlot::RollBackLocked(int faulty_number, absl::string_view function,
                                        const absl::Status& fault, bool restored,
                                        std::optional<ModuleEvent>& event) {
  const std::string state = RestoreOutcome(restored, faulty_number);
  // "crashed: SIGSEGV ...", or, for a time limit, "did not return within 3s; ...".
  const std::string what =
      absl::StrCat(spec_.name, ": ", function, " in v", faulty_number,
                   absl::IsDeadlineExceeded(fault) ? " " : " crashed: ", fault.message());
  if (!current_ || current_->number != faulty_number) {
    // Another thread rolled back already; this call's state was restored all the same.
    return absl::AbortedError(absl::StrCat(what, "; ", state));
  }
  // The faulty file is not loaded again until it changes.
  last_refused_ = current_->source;
  last_refusal_ = absl::AbortedError(what);
  faulty_digest_ = current_->digest;
  faulty_refusal_ =
      absl::AbortedError(absl::StrCat("the same bytes as v", faulty_number, ": ", what));
  std::unique_ptr<Version> bad = std::move(current_);
  current_ = std::move(rollback_);
  Publish(current_.get());
  const std::string unloaded = Unload(std::move(bad));
  const std::string outcome =
      current_ ? absl::StrCat("rolled back to v", current_->number)
               : std::string("no earlier version to roll back to; calls fail until a rebuild");
  log_(absl::StrCat(what, "; ", state, "; ", outcome, "; ", unloaded));
  absl::Status result = absl::AbortedError(absl::StrCat(what, "; ", state, "; ", outcome));
  event = ModuleEvent{ModuleEvent::Kind::kRolledBack, spec_.name, current_ ? current_->number : 0,
                      faulty_number, result};
  return result;
}

int ModuleSlot::version() const {
  absl::MutexLock lock(&mu_);
  return current_ ? current_->number : 0;
}

int ModuleSlot::loaded_versions() const {
  absl::MutexLock lock(&mu_);
  return (current_ ? 1 : 0) + (rollback_ ? 1 : 0);
}

int ModuleSlot::unload_failures() const {
  absl::MutexLock lock(&mu_);
  return unload_failures_;
}

LoadTimings ModuleSlot::last_timings() const {
  absl::MutexLock lock(&mu_);
  return last_timings_;
}

}  // namespace hotcc
