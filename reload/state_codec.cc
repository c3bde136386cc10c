#include "reload/state_codec.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace hotcc {
namespace state_codec_internal {
namespace {

constexpr int kMaxDepth = 64;
constexpr std::uint64_t kMaxArrayLength = std::uint64_t{1} << 24;

bool IsWidth(int width) { return width == 1 || width == 2 || width == 4 || width == 8; }

}  // namespace

TypeNode ReadType(Reader& reader, int depth) {
  TypeNode type;
  const std::size_t start = reader.position();
  if (depth > kMaxDepth) {
    reader.Fail("its types nest too deeply (corrupt)");
    return type;
  }
  type.kind = static_cast<Kind>(reader.Byte());
  switch (type.kind) {
    case Kind::kSigned:
    case Kind::kUnsigned:
    case Kind::kEnum:
      type.width = reader.Byte();
      if (!IsWidth(type.width)) reader.Fail("an integer has a width of no known type (corrupt)");
      break;
    case Kind::kFloat:
      type.width = reader.Byte();
      if (type.width != 4 && type.width != 8) reader.Fail("a float has no known width (corrupt)");
      break;
    case Kind::kBool:
    case Kind::kString:
      break;
    case Kind::kArray:
      type.length = reader.Unsigned(8);
      // Bounds the loops over an array of empty structs, which read no bytes to run out of.
      if (type.length > kMaxArrayLength) reader.Fail("an array's length is too large (corrupt)");
      type.arguments.push_back(ReadType(reader, depth + 1));
      break;
    case Kind::kVector:
    case Kind::kOptional:
      type.arguments.push_back(ReadType(reader, depth + 1));
      break;
    case Kind::kMap:
      type.arguments.push_back(ReadType(reader, depth + 1));
      type.arguments.push_back(ReadType(reader, depth + 1));
      break;
    case Kind::kStruct: {
      const std::uint64_t fields = reader.Unsigned(4);
      if (fields > reader.remaining()) reader.Fail("a struct has too many fields (corrupt)");
      for (std::uint64_t i = 0; i < fields && reader.ok(); ++i) {
        type.field_names.emplace_back(reader.Take(reader.Count()));
        type.arguments.push_back(ReadType(reader, depth + 1));
      }
      break;
    }
    default:
      reader.Fail("it names a kind of value that does not exist (corrupt)");
  }
  type.encoded = std::string(reader.Slice(start, reader.position()));
  return type;
}

void SkipValue(const TypeNode& type, Reader& reader) {
  switch (type.kind) {
    case Kind::kSigned:
    case Kind::kUnsigned:
    case Kind::kEnum:
    case Kind::kFloat:
      reader.Take(type.width);
      return;
    case Kind::kBool:
      reader.Take(1);
      return;
    case Kind::kString:
      reader.Take(reader.Count());
      return;
    case Kind::kVector: {
      const std::uint64_t count = reader.Count();
      for (std::uint64_t i = 0; i < count && reader.ok(); ++i) SkipValue(type.arguments[0], reader);
      return;
    }
    case Kind::kArray:
      for (std::uint64_t i = 0; i < type.length && reader.ok(); ++i) {
        SkipValue(type.arguments[0], reader);
      }
      return;
    case Kind::kMap: {
      const std::uint64_t count = reader.Count();
      for (std::uint64_t i = 0; i < count && reader.ok(); ++i) {
        SkipValue(type.arguments[0], reader);
        SkipValue(type.arguments[1], reader);
      }
      return;
    }
    case Kind::kOptional:
      if (reader.Byte() != 0) SkipValue(type.arguments[0], reader);
      return;
    case Kind::kStruct:
      for (const TypeNode& field : type.arguments) SkipValue(field, reader);
      return;
  }
}

std::string TypeName(const TypeNode& type) {
  switch (type.kind) {
    case Kind::kSigned:
      return absl::StrCat("int", 8 * type.width);
    case Kind::kUnsigned:
      return absl::StrCat("uint", 8 * type.width);
    case Kind::kEnum:
      return absl::StrCat("enum", 8 * type.width);
    case Kind::kFloat:
      return type.width == 4 ? "float" : "double";
    case Kind::kBool:
      return "bool";
    case Kind::kString:
      return "string";
    case Kind::kVector:
      return absl::StrCat("vector<", TypeName(type.arguments[0]), ">");
    case Kind::kArray:
      return absl::StrCat("array<", TypeName(type.arguments[0]), ", ", type.length, ">");
    case Kind::kMap:
      return absl::StrCat("map<", TypeName(type.arguments[0]), ", ", TypeName(type.arguments[1]),
                          ">");
    case Kind::kOptional:
      return absl::StrCat("optional<", TypeName(type.arguments[0]), ">");
    case Kind::kStruct:
      return "struct";
  }
  return "?";
}

TypeNode ReadEnvelope(Reader& reader) {
  const std::string_view magic = reader.Take(std::min(sizeof(kMagic), reader.remaining()));
  if (magic.size() != sizeof(kMagic) ||
      magic.substr(0, sizeof(kMagic) - 1) != std::string_view(kMagic, sizeof(kMagic) - 1)) {
    reader.Fail("it is not a hotcc state snapshot");
    return TypeNode();
  }
  const auto version = static_cast<std::uint32_t>(reader.Unsigned(4));
  if (reader.ok() && (magic.back() != kMagic[sizeof(kMagic) - 1] || version != kFormatVersion)) {
    reader.Fail(
        absl::StrCat("it has format version ", version, ", and this build reads ", kFormatVersion));
    return TypeNode();
  }
  return ReadType(reader);
}

}  // namespace state_codec_internal

std::string StateMigration::Summary() const {
  std::vector<std::string> parts;
  const auto add = [&](const char* verb, const std::vector<std::string>& fields) {
    if (!fields.empty()) parts.push_back(absl::StrCat(verb, " ", absl::StrJoin(fields, ", ")));
  };
  add("kept", kept);
  add("converted", converted);
  add("reset", reset);
  add("added", added);
  add("dropped", dropped);
  if (parts.empty()) return "no fields";
  return absl::StrJoin(parts, "; ");
}

}  // namespace hotcc
