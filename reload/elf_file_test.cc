#include "reload/elf_file.h"

#include <elf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "reload/testing/fixtures.h"

namespace hotcc {
namespace {

using ::hotcc::testing::FixturePath;
using ::hotcc::testing::ReadFile;

constexpr char kPath[] = "test/libcounter.so";

// `bytes` in a memfd, as the loader passes a module: a descriptor and the size it saw.
class MemoryFile {
 public:
  explicit MemoryFile(const std::string& bytes)
      : fd_(memfd_create("elf_file_test", MFD_CLOEXEC)), size_(static_cast<off_t>(bytes.size())) {
    EXPECT_GE(fd_, 0);
    EXPECT_EQ(write(fd_, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }
  ~MemoryFile() { close(fd_); }
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;

  absl::Status Validate() const { return ValidateSharedObject(fd_, size_, kPath); }
  absl::StatusOr<UnloadHazards> Hazards() const { return ReadUnloadHazards(fd_, size_, kPath); }

 private:
  int fd_;
  off_t size_;
};

// Header accessors that copy, so that a test can corrupt a module's bytes without aliasing them.
Elf64_Ehdr HeaderOf(const std::string& bytes) {
  Elf64_Ehdr header;
  std::memcpy(&header, bytes.data(), sizeof(header));
  return header;
}

Elf64_Shdr SectionOf(const std::string& bytes, size_t index) {
  Elf64_Shdr section;
  std::memcpy(&section, bytes.data() + HeaderOf(bytes).e_shoff + index * sizeof(section),
              sizeof(section));
  return section;
}

void SetSection(std::string& bytes, size_t index, const Elf64_Shdr& section) {
  std::memcpy(&bytes[HeaderOf(bytes).e_shoff + index * sizeof(section)], &section, sizeof(section));
}

TEST(ElfFileTest, ReadsTheHazardsOfRealModules) {
  struct Case {
    const char* fixture;
    bool unique, nodelete, thread_local_destructors;
  };
  for (const Case& c :
       {Case{"v1", false, false, false}, Case{"unique", true, false, false},
        Case{"nodelete", false, true, false}, Case{"thread_local", false, false, true}}) {
    SCOPED_TRACE(c.fixture);
    const MemoryFile file(ReadFile(FixturePath(c.fixture)));
    EXPECT_TRUE(file.Validate().ok()) << file.Validate();
    absl::StatusOr<UnloadHazards> hazards = file.Hazards();
    ASSERT_TRUE(hazards.ok()) << hazards.status();
    EXPECT_EQ(!hazards->unique_symbols.empty(), c.unique);
    EXPECT_EQ(hazards->nodelete, c.nodelete);
    EXPECT_EQ(hazards->thread_local_destructors, c.thread_local_destructors);
  }
}

// ReadUnloadHazards checks the headers again: a file whose headers validation refuses fails it
// the same way, and never with a read past the end ("file shrank").
TEST(ElfFileTest, HazardsOfAnIncompleteFileFailAsValidationDoes) {
  const std::string module = ReadFile(FixturePath("v1"));
  for (const std::string& bytes : {std::string(), std::string("not an ELF file"),
                                   module.substr(0, 40), module.substr(0, module.size() / 2)}) {
    SCOPED_TRACE(bytes.size());
    const MemoryFile file(bytes);
    const absl::Status valid = file.Validate();
    ASSERT_FALSE(valid.ok());
    absl::StatusOr<UnloadHazards> hazards = file.Hazards();
    EXPECT_EQ(hazards.status(), valid);
    EXPECT_FALSE(absl::StrContains(hazards.status().message(), "shrank")) << hazards.status();
  }
}

// Found by reload/elf_file_fuzzer.cc: a NOBITS section occupies no bytes of the file whatever
// size it claims, so validation lets it be; as the symbols' string table it made the reader
// allocate that size (std::bad_alloc in the host, or a misleading "file shrank").
TEST(ElfFileTest, RefusesAStringTableWithNoBytesInTheFile) {
  std::string bytes = ReadFile(FixturePath("v1"));
  const Elf64_Ehdr header = HeaderOf(bytes);
  size_t strings_index = 0;
  for (size_t index = 0; index < header.e_shnum; ++index) {
    if (SectionOf(bytes, index).sh_type == SHT_DYNSYM) {
      strings_index = SectionOf(bytes, index).sh_link;
    }
  }
  ASSERT_NE(strings_index, 0u) << "the fixture has no .dynsym";
  Elf64_Shdr strings = SectionOf(bytes, strings_index);
  strings.sh_type = SHT_NOBITS;
  strings.sh_size = std::uint64_t{1} << 44;
  SetSection(bytes, strings_index, strings);

  const MemoryFile file(bytes);
  EXPECT_TRUE(file.Validate().ok()) << file.Validate();
  absl::StatusOr<UnloadHazards> hazards = file.Hazards();
  EXPECT_EQ(hazards.status().code(), absl::StatusCode::kInvalidArgument) << hazards.status();
  EXPECT_TRUE(absl::StrContains(hazards.status().message(), kPath)) << hazards.status();
  EXPECT_TRUE(absl::StrContains(hazards.status().message(), "string table")) << hazards.status();
  EXPECT_TRUE(absl::StrContains(hazards.status().message(), "NOBITS")) << hazards.status();
}

TEST(ElfFileTest, RefusesSectionHeadersOfTheWrongSize) {
  std::string bytes = ReadFile(FixturePath("v1"));
  Elf64_Ehdr header = HeaderOf(bytes);
  header.e_shentsize = 40;  // Elf32_Shdr's size
  std::memcpy(bytes.data(), &header, sizeof(header));

  const MemoryFile file(bytes);
  const absl::Status valid = file.Validate();
  EXPECT_EQ(valid.code(), absl::StatusCode::kInvalidArgument) << valid;
  EXPECT_TRUE(absl::StrContains(valid.message(), "no usable section headers")) << valid;
  EXPECT_EQ(file.Hazards().status(), valid);
}

}  // namespace
}  // namespace hotcc
