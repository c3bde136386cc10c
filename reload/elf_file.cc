#include "reload/elf_file.h"

#include <cxxabi.h>
#include <elf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "reload/names.h"
#include "reload/status_util.h"

namespace hotcc {
namespace {

// Reads exactly `length` bytes at `offset`. The caller has checked the range against the size
// it validated, so a short read means the file shrank under us.
absl::Status ReadExactly(int fd, void* out, size_t length, off_t offset, const std::string& path) {
  auto* cursor = static_cast<char*>(out);
  while (length > 0) {
    const ssize_t n = pread(fd, cursor, length, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return PosixError(errno, "cannot read", path);
    if (n == 0) {
      return absl::FailedPreconditionError(
          absl::StrCat(path, ": file shrank while being read (still being written?)"));
    }
    cursor += n;
    length -= static_cast<size_t>(n);
    offset += n;
  }
  return absl::OkStatus();
}

// Whether [offset, offset + count * entry_size) lies inside a file of `size` bytes, without
// overflowing on hostile header values.
bool TableFits(std::uint64_t offset, std::uint64_t count, std::uint64_t entry_size,
               std::uint64_t size) {
  if (offset > size) return false;
  if (entry_size != 0 && count > (size - offset) / entry_size) return false;
  return true;
}

absl::Status Truncated(const std::string& path, absl::string_view what, off_t size) {
  return absl::FailedPreconditionError(absl::StrCat(path, ": truncated ELF: ", what,
                                                    " lies past the end of the file (", size,
                                                    " bytes); it is probably still being written"));
}

std::string MachineName(std::uint16_t machine) {
  switch (machine) {
    case EM_386:
      return "x86 (32-bit)";
    case EM_ARM:
      return "ARM (32-bit)";
    case EM_AARCH64:
      return "AArch64";
    case EM_RISCV:
      return "RISC-V";
    case EM_PPC64:
      return "PowerPC 64";
    case EM_S390:
      return "s390";
    default:
      return absl::StrCat("machine ", machine);
  }
}

// Reads `count` entries at `offset`; the caller has checked them against the file's size, so
// the allocation is never larger than the file.
template <typename T>
absl::StatusOr<std::vector<T>> ReadTable(int fd, std::uint64_t offset, std::uint64_t count,
                                         const std::string& path) {
  std::vector<T> table(count);
  HOTCC_RETURN_IF_ERROR(ReadExactly(fd, table.data(), count * sizeof(T), offset, path));
  return table;
}

// Reads the ELF header of the `size` bytes in `fd` and checks what both readers below rely on:
// an x86-64 shared object whose program and section header tables lie inside the file. One
// read: the header is at most 64 bytes, and a shorter file still has its magic checked.
absl::StatusOr<Elf64_Ehdr> ReadCheckedHeader(int fd, off_t size, const std::string& path) {
  if (size == 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": empty file (0 bytes)"));
  }
  Elf64_Ehdr header = {};
  const size_t header_length = std::min(sizeof(header), static_cast<size_t>(size));
  HOTCC_RETURN_IF_ERROR(ReadExactly(fd, &header, header_length, 0, path));
  if (header_length < SELFMAG || std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not an ELF file (no ELF magic in the first bytes)"));
  }
  if (header_length < sizeof(header)) return Truncated(path, "the ELF header", size);
  if (header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_ident[EI_DATA] != ELFDATA2LSB) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": wrong architecture: not a 64-bit little-endian ELF file; this is x86-64"));
  }
  if (header.e_machine != EM_X86_64) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": wrong architecture: built for ",
                                                   MachineName(header.e_machine),
                                                   "; this process is x86-64"));
  }
  if (header.e_type != ET_DYN) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a shared object (ELF type ", header.e_type,
                     "); build it with hot_cc_library, which links lib<name>.so with linkshared"));
  }
  const auto file_size = static_cast<std::uint64_t>(size);
  if (header.e_phentsize != sizeof(Elf64_Phdr) || header.e_phnum == 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": no usable program headers"));
  }
  if (!TableFits(header.e_phoff, header.e_phnum, sizeof(Elf64_Phdr), file_size)) {
    return Truncated(path, "the program header table", size);
  }
  if (header.e_shnum != 0 && header.e_shentsize != sizeof(Elf64_Shdr)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": no usable section headers (entries of ",
                                                   header.e_shentsize, " bytes; 64-bit ELF has ",
                                                   sizeof(Elf64_Shdr), ")"));
  }
  // The linker writes the section header table last, so its presence is the best sign that
  // the file is complete.
  if (header.e_shnum == 0 ||
      !TableFits(header.e_shoff, header.e_shnum, sizeof(Elf64_Shdr), file_size)) {
    return Truncated(path, "the section header table", size);
  }
  return header;
}

// Reads section `index` of `sections` as a table of T, after checking that its bytes are in
// the file: the section headers are data like any other, and a NOBITS section (e.g. .bss) may
// claim any size without occupying a byte. `what` names the section's role in messages.
template <typename T>
absl::StatusOr<std::vector<T>> ReadSection(int fd, const std::vector<Elf64_Shdr>& sections,
                                           size_t index, off_t size, const std::string& path,
                                           absl::string_view what) {
  const Elf64_Shdr& section = sections[index];
  if (section.sh_type == SHT_NOBITS) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": malformed ELF: ", what, " (section ",
                                                   index, ") has no bytes in the file (NOBITS)"));
  }
  if (!TableFits(section.sh_offset, 1, section.sh_size, static_cast<std::uint64_t>(size))) {
    return Truncated(path, absl::StrCat(what, " (section ", index, ")"), size);
  }
  return ReadTable<T>(fd, section.sh_offset, section.sh_size / sizeof(T), path);
}

// Initializers that are the toolchain's, not the module's: crtbegin's frame_dummy, and those
// with a priority below 101, which is reserved for the implementation (g++ names them
// _sub_I_000NN_...; the sanitizers' module constructors are among them).
bool IsRuntimeInitializer(const char* name) {
  if (std::strcmp(name, "frame_dummy") == 0) return true;
  int priority = 0;
  return std::sscanf(name, "_sub_I_%5d_", &priority) == 1 && priority <= 100;
}

// The symbol named at `address` in `symbols`, or null.
const char* NameAt(std::uint64_t address, const std::vector<Elf64_Sym>& symbols,
                   const std::vector<char>& strings) {
  for (const Elf64_Sym& symbol : symbols) {
    if (symbol.st_value == address && ELF64_ST_TYPE(symbol.st_info) == STT_FUNC &&
        symbol.st_name < strings.size()) {
      return strings.data() + symbol.st_name;
    }
  }
  return nullptr;
}

}  // namespace

FileIdentity IdentityOf(const struct stat& st) {
  auto nanoseconds = [](const timespec& time) {
    return static_cast<std::int64_t>(time.tv_sec) * 1000000000 + time.tv_nsec;
  };
  return FileIdentity{st.st_dev, st.st_ino, st.st_size, nanoseconds(st.st_mtim),
                      nanoseconds(st.st_ctim)};
}

absl::Status ValidateSharedObject(int fd, off_t size, const std::string& path) {
  absl::StatusOr<Elf64_Ehdr> header = ReadCheckedHeader(fd, size, path);
  if (!header.ok()) return header.status();
  const auto file_size = static_cast<std::uint64_t>(size);
  absl::StatusOr<std::vector<Elf64_Phdr>> segments =
      ReadTable<Elf64_Phdr>(fd, header->e_phoff, header->e_phnum, path);
  if (!segments.ok()) return segments.status();
  for (const Elf64_Phdr& segment : *segments) {
    if (segment.p_type == PT_LOAD && !TableFits(segment.p_offset, 1, segment.p_filesz, file_size)) {
      return Truncated(path, "a loadable segment", size);
    }
  }
  absl::StatusOr<std::vector<Elf64_Shdr>> sections =
      ReadTable<Elf64_Shdr>(fd, header->e_shoff, header->e_shnum, path);
  if (!sections.ok()) return sections.status();
  for (const Elf64_Shdr& section : *sections) {
    if (section.sh_type != SHT_NOBITS &&
        !TableFits(section.sh_offset, 1, section.sh_size, file_size)) {
      return Truncated(path, "a section", size);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<UnloadHazards> ReadUnloadHazards(int fd, off_t size, const std::string& path) {
  // The loader validates the file first, but this does not rely on it: the header checks cost
  // no extra read, and ReadSection checks each table, so that no input makes this read outside
  // the file or allocate more than its size.
  absl::StatusOr<Elf64_Ehdr> header = ReadCheckedHeader(fd, size, path);
  if (!header.ok()) return header.status();
  absl::StatusOr<std::vector<Elf64_Shdr>> sections =
      ReadTable<Elf64_Shdr>(fd, header->e_shoff, header->e_shnum, path);
  if (!sections.ok()) return sections.status();

  UnloadHazards hazards;
  for (size_t index = 0; index < sections->size(); ++index) {
    const Elf64_Shdr& section = (*sections)[index];
    if (section.sh_type == SHT_DYNAMIC) {
      absl::StatusOr<std::vector<Elf64_Dyn>> entries =
          ReadSection<Elf64_Dyn>(fd, *sections, index, size, path, "the dynamic section");
      if (!entries.ok()) return entries.status();
      for (const Elf64_Dyn& entry : *entries) {
        if (entry.d_tag == DT_FLAGS_1 && (entry.d_un.d_val & DF_1_NODELETE) != 0) {
          hazards.nodelete = true;
        }
      }
    }
    if (section.sh_type != SHT_DYNSYM || section.sh_link >= sections->size()) continue;
    absl::StatusOr<std::vector<Elf64_Sym>> symbols =
        ReadSection<Elf64_Sym>(fd, *sections, index, size, path, "the dynamic symbol table");
    if (!symbols.ok()) return symbols.status();
    absl::StatusOr<std::vector<char>> strings = ReadSection<char>(
        fd, *sections, section.sh_link, size, path, "the dynamic symbol table's string table");
    if (!strings.ok()) return strings.status();
    strings->push_back('\0');  // Terminate the last name even in a malformed table.
    for (const Elf64_Sym& symbol : *symbols) {
      if (symbol.st_name >= strings->size()) continue;
      const char* name = strings->data() + symbol.st_name;
      if (ELF64_ST_BIND(symbol.st_info) == STB_GNU_UNIQUE) {
        hazards.unique_symbols.push_back(DemangledName(name));
      }
      if (symbol.st_shndx == SHN_UNDEF && (std::strcmp(name, "__cxa_thread_atexit_impl") == 0 ||
                                           std::strcmp(name, "__cxa_thread_atexit") == 0)) {
        hazards.thread_local_destructors = true;
      }
    }
  }
  return hazards;
}

std::string UnloadHazards::Explain() const {
  std::vector<std::string> reasons;
  if (!unique_symbols.empty()) {
    reasons.push_back(absl::StrCat(
        "it defines STB_GNU_UNIQUE symbols, which glibc never unloads: ",
        absl::StrJoin(unique_symbols, ", "),
        " (inline or template statics; compile with -fno-gnu-unique, as hot_cc_library does, "
        "or move the state into the app)"));
  }
  if (nodelete) {
    reasons.emplace_back(
        "it is marked NODELETE (DF_1_NODELETE: linked with -z nodelete or opened with "
        "RTLD_NODELETE); remove that flag");
  }
  if (thread_local_destructors) {
    reasons.emplace_back(
        "it registers thread_local destructors (__cxa_thread_atexit_impl), and glibc keeps it "
        "until every thread that used one exits; move thread_local objects into the app");
  }
  return absl::StrJoin(reasons, "; ");
}

absl::StatusOr<LoadTimeCode> ReadLoadTimeCode(int fd, off_t size, const std::string& path) {
  absl::StatusOr<Elf64_Ehdr> header = ReadCheckedHeader(fd, size, path);
  if (!header.ok()) return header.status();
  absl::StatusOr<std::vector<Elf64_Shdr>> sections =
      ReadTable<Elf64_Shdr>(fd, header->e_shoff, header->e_shnum, path);
  if (!sections.ok()) return sections.status();
  auto linked_strings = [&](const Elf64_Shdr& section,
                            absl::string_view what) -> absl::StatusOr<std::vector<char>> {
    if (section.sh_link >= sections->size()) return std::vector<char>(1, '\0');
    absl::StatusOr<std::vector<char>> strings =
        ReadSection<char>(fd, *sections, section.sh_link, size, path, what);
    if (strings.ok()) strings->push_back('\0');  // Terminate the last name, even if malformed.
    return strings;
  };

  LoadTimeCode code;
  // The initializer arrays' addresses and contents; in a shared object each entry is filled in
  // at load time by a dynamic relocation, which says where it points.
  struct Array {
    std::uint64_t address;
    std::uint64_t count;
    std::uint64_t relocated = 0;
  };
  std::vector<Array> arrays;
  std::vector<std::uint64_t> targets;
  std::vector<Elf64_Sym> symbols;
  std::vector<char> symbol_names;
  for (size_t index = 0; index < sections->size(); ++index) {
    const Elf64_Shdr& section = (*sections)[index];
    if (section.sh_type == SHT_INIT_ARRAY || section.sh_type == SHT_PREINIT_ARRAY) {
      // Its size bounds what is counted below: it must be the file's bytes, as ld writes it.
      if (!TableFits(section.sh_offset, 1, section.sh_size, static_cast<std::uint64_t>(size))) {
        return Truncated(path, absl::StrCat("an initializer array (section ", index, ")"), size);
      }
      arrays.push_back({section.sh_addr, section.sh_size / sizeof(std::uint64_t)});
    } else if (section.sh_type == SHT_SYMTAB) {
      absl::StatusOr<std::vector<Elf64_Sym>> table =
          ReadSection<Elf64_Sym>(fd, *sections, index, size, path, "the symbol table");
      if (!table.ok()) return table.status();
      absl::StatusOr<std::vector<char>> names =
          linked_strings(section, "the symbol table's string table");
      if (!names.ok()) return names.status();
      symbols = *std::move(table);
      symbol_names = *std::move(names);
    } else if (section.sh_type == SHT_DYNAMIC) {
      absl::StatusOr<std::vector<Elf64_Dyn>> entries =
          ReadSection<Elf64_Dyn>(fd, *sections, index, size, path, "the dynamic section");
      if (!entries.ok()) return entries.status();
      absl::StatusOr<std::vector<char>> names =
          linked_strings(section, "the dynamic section's string table");
      if (!names.ok()) return names.status();
      for (const Elf64_Dyn& entry : *entries) {
        if (entry.d_tag == DT_NEEDED && entry.d_un.d_val < names->size()) {
          code.needed.emplace_back(names->data() + entry.d_un.d_val);
        }
      }
    }
  }
  for (size_t index = 0; index < sections->size(); ++index) {
    const Elf64_Shdr& section = (*sections)[index];
    if (section.sh_type != SHT_RELA || (section.sh_flags & SHF_ALLOC) == 0) continue;
    absl::StatusOr<std::vector<Elf64_Rela>> relocations =
        ReadSection<Elf64_Rela>(fd, *sections, index, size, path, "a relocation section");
    if (!relocations.ok()) return relocations.status();
    for (const Elf64_Rela& relocation : *relocations) {
      for (Array& array : arrays) {
        if (relocation.r_offset < array.address ||
            relocation.r_offset >= array.address + array.count * sizeof(std::uint64_t)) {
          continue;
        }
        ++array.relocated;
        // R_X86_64_RELATIVE: the entry is the module's own address `r_addend`. Anything else
        // (a symbol's address) is counted, unnamed.
        targets.push_back(ELF64_R_TYPE(relocation.r_info) == R_X86_64_RELATIVE
                              ? static_cast<std::uint64_t>(relocation.r_addend)
                              : 0);
      }
    }
  }
  // An entry no relocation fills in cannot be told apart from a real initializer: count it.
  std::uint64_t unrelocated = 0;
  for (const Array& array : arrays) {
    if (array.relocated < array.count) unrelocated += array.count - array.relocated;
  }
  if (unrelocated > 0) {
    code.initializers.push_back(absl::StrCat(unrelocated, " initializer(s) without a relocation"));
  }
  // Named one by one up to a bound, so that a hostile file's millions of relocations cost a
  // linear pass, not one symbol-table search each.
  constexpr size_t kNamedInitializers = 64;
  if (targets.size() > kNamedInitializers) {
    code.initializers.push_back(
        absl::StrCat(targets.size() - kNamedInitializers, " more initializer(s)"));
    targets.resize(kNamedInitializers);
  }
  for (std::uint64_t target : targets) {
    const char* name = target != 0 ? NameAt(target, symbols, symbol_names) : nullptr;
    if (name != nullptr && IsRuntimeInitializer(name)) continue;
    code.initializers.push_back(name != nullptr ? DemangledName(name)
                                : target != 0
                                    ? absl::StrCat("an initializer at 0x", absl::Hex(target))
                                    : std::string("an initializer from another object"));
  }
  return code;
}

std::string LoadTimeCode::Explain() const {
  if (initializers.empty()) return "no initializers";
  return absl::StrCat(initializers.size() == 1 ? "initializer " : "initializers ",
                      absl::StrJoin(initializers, ", "));
}

}  // namespace hotcc
