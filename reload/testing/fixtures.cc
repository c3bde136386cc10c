#include "reload/testing/fixtures.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "tools/cpp/runfiles/runfiles.h"

namespace hotcc::testing {

using bazel::tools::cpp::runfiles::Runfiles;

std::string FixturePath(absl::string_view fixture) {
  static Runfiles* runfiles = [] {
    std::string error;
    Runfiles* created = Runfiles::CreateForTest(&error);
    if (created == nullptr) {
      ADD_FAILURE() << "no runfiles: " << error;
      std::abort();
    }
    return created;
  }();
  return runfiles->Rlocation(absl::StrCat("hotcc/reload/testdata/", fixture, "/libcounter.so"));
}

void InstallFile(const std::string& from, const std::string& to) {
  const std::string temporary = absl::StrCat(to, ".installing");
  WriteFile(temporary, ReadFile(from));
  ASSERT_EQ(rename(temporary.c_str(), to.c_str()), 0) << "rename to " << to;
}

void WriteFile(const std::string& path, absl::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream contents;
  contents << in.rdbuf();
  EXPECT_TRUE(in.good() || in.eof()) << "cannot read " << path;
  return contents.str();
}

std::vector<std::string> ListDirectory(const std::string& dir) {
  std::vector<std::string> names;
  DIR* stream = opendir(dir.c_str());
  if (stream == nullptr) return names;
  while (const dirent* entry = readdir(stream)) {
    const absl::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  closedir(stream);
  std::sort(names.begin(), names.end());
  return names;
}

LogSink LogCapture::sink() {
  return [this](absl::string_view line) {
    absl::MutexLock lock(&mu_);
    lines_.emplace_back(line);
  };
}

std::vector<std::string> LogCapture::lines() const {
  absl::MutexLock lock(&mu_);
  return lines_;
}

int LogCapture::Count(absl::string_view text) const {
  absl::MutexLock lock(&mu_);
  int count = 0;
  for (const std::string& line : lines_) count += absl::StrContains(line, text) ? 1 : 0;
  return count;
}

std::string LogCapture::Dump() const {
  absl::MutexLock lock(&mu_);
  return absl::StrJoin(lines_, "\n");
}

void LogCapture::Clear() {
  absl::MutexLock lock(&mu_);
  lines_.clear();
}

}  // namespace hotcc::testing
