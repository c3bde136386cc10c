// File: reload/state_codec.h
//
// A host's state, written in a self-describing, versioned form and read back by a binary built
// from another version of the struct, by field name. This is how a relaunched host (reload/
// relaunch.h carries the bytes) keeps its state when the State struct itself was edited.
//
//   std::string bytes = hotcc::EncodeState(state);
//   ...                                             // the new binary, State edited:
//   State state;                                    // every field at its default
//   absl::StatusOr<hotcc::StateMigration> migration = hotcc::DecodeState(bytes, state);
//   if (migration.ok()) Report(migration->Summary());  // "kept tick, label; added history"
//
// WHAT A STATE MAY HOLD: arithmetic types, enums, std::string, std::vector, std::array,
// std::map, std::unordered_map, std::optional, and aggregate structs of these, at any depth
// (reload/reflect.h: public fields, no constructors or base classes). Anything else is a
// compile error whose "required from" names the field: `CarriedField<"label", std::thread>`.
//
// HOW A VALUE IS READ BACK, field by field (a field of a struct field is named "outer.inner"):
//   same name, same type          kept
//   same name, type that holds    converted: integers to integers of a wider range, integers
//   every old value               of at most 16 (32) bits to float (double), float to double,
//                                 and element by element: vector, array of the same length,
//                                 map and unordered_map (either to either), optional; a struct
//                                 inside a container by field name
//   same name, any other type     reset to its default initializer
//   a new field                   added, at its default initializer
//   a field no longer there       dropped
// A snapshot that cannot be read (truncated, corrupt, trailing bytes, another program's, or a
// future format version) is refused as a whole: DecodeState returns an error and leaves the
// state untouched.
//
// LANGUAGE: C++20 (reload/reflect.h), for the code that includes this header: hot_cc_binary
// compiles a host's sources so; other targets add STATE_CODEC_COPTS (tools/hot_flags.bzl). The
// State type itself must also be valid C++17, the language of hot libraries.
//
// THE FORMAT: "HOTCCST" and a format version byte, a u32 format version, the type of the whole
// state (kinds, widths, field names), then the values; integers little-endian.

#ifndef HOTCC_RELOAD_STATE_CODEC_H_
#define HOTCC_RELOAD_STATE_CODEC_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "reload/reflect.h"

namespace hotcc {

// What DecodeState did with each field, by name.
struct StateMigration {
  std::vector<std::string> kept;
  std::vector<std::string> converted;  // "total (int32 -> int64)"
  std::vector<std::string> reset;      // "label (int64 -> string)"
  std::vector<std::string> added;
  std::vector<std::string> dropped;

  // One line: "kept tick, position; converted total (int32 -> int64); added history".
  std::string Summary() const;
};

namespace state_codec_internal {

// The kinds of value, as the format writes them.
enum class Kind : char {
  kSigned = 'i',
  kUnsigned = 'u',
  kFloat = 'f',
  kBool = 'b',
  kEnum = 'e',
  kString = 's',
  kVector = 'v',
  kArray = 'a',
  kMap = 'm',
  kOptional = 'o',
  kStruct = 'r',
};

// A type as a snapshot describes it.
struct TypeNode {
  Kind kind = Kind::kBool;
  int width = 0;                         // Bytes, for numbers and enums.
  std::uint64_t length = 0;              // For arrays.
  std::vector<TypeNode> arguments;       // Element; key and value; the optional's value.
  std::vector<std::string> field_names;  // For structs, with their types in `arguments`.
  std::string encoded;                   // The description's bytes, to compare types.
};

class Writer {
 public:
  void Byte(char byte) { bytes_.push_back(byte); }
  void Unsigned(std::uint64_t value, int width) {
    for (int i = 0; i < width; ++i) bytes_.push_back(static_cast<char>(value >> (8 * i)));
  }
  void Raw(const void* data, std::size_t size) {
    bytes_.append(static_cast<const char*>(data), size);
  }
  void Text(std::string_view text) {
    Unsigned(text.size(), 8);
    bytes_.append(text.data(), text.size());
  }
  std::string& bytes() { return bytes_; }

 private:
  std::string bytes_;
};

// Reads what Writer wrote; after the first failure every read returns zeros and `ok()` is false.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  std::size_t remaining() const { return bytes_.size() - position_; }
  std::size_t position() const { return position_; }
  std::string_view Slice(std::size_t from, std::size_t to) const {
    return bytes_.substr(from, to - from);
  }
  void Fail(std::string error) {
    if (error_.empty()) error_ = std::move(error);
    position_ = bytes_.size();
  }
  std::string_view Take(std::size_t size) {
    if (size > remaining()) {
      Fail("it ends early (truncated)");
      return {};
    }
    std::string_view taken = bytes_.substr(position_, size);
    position_ += size;
    return taken;
  }
  // 0 to 255: a kind or a width read from it is never negative.
  std::uint8_t Byte() {
    std::string_view byte = Take(1);
    return byte.empty() ? 0 : static_cast<std::uint8_t>(byte[0]);
  }
  std::uint64_t Unsigned(int width) {
    std::string_view data = Take(width);
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < data.size(); ++i) {
      value |= static_cast<std::uint64_t>(static_cast<unsigned char>(data[i])) << (8 * i);
    }
    return value;
  }
  // A count of things that take at least one byte each.
  std::uint64_t Count() {
    const std::uint64_t count = Unsigned(8);
    if (count > remaining()) Fail("a length exceeds what is left (corrupt)");
    return ok() ? count : 0;
  }

 private:
  std::string_view bytes_;
  std::size_t position_ = 0;
  std::string error_;
};

// Reads a type description; fails the reader on anything malformed.
TypeNode ReadType(Reader& reader, int depth = 0);
// Skips one value of `type`.
void SkipValue(const TypeNode& type, Reader& reader);
// "int32", "vector<string>", "struct", ...
std::string TypeName(const TypeNode& type);

template <typename T>
struct IsVector : std::false_type {};
template <typename T, typename A>
struct IsVector<std::vector<T, A>> : std::true_type {};
template <typename T>
struct IsArray : std::false_type {};
template <typename T, std::size_t N>
struct IsArray<std::array<T, N>> : std::true_type {};
template <typename T>
struct IsMap : std::false_type {};
template <typename K, typename V, typename C, typename A>
struct IsMap<std::map<K, V, C, A>> : std::true_type {};
template <typename K, typename V, typename H, typename E, typename A>
struct IsMap<std::unordered_map<K, V, H, E, A>> : std::true_type {};
template <typename T>
struct IsOptional : std::false_type {};
template <typename T>
struct IsOptional<std::optional<T>> : std::true_type {};

// Whether a value of type T can be carried. A struct counts as carriable here: CheckCarriable
// checks its fields one by one, so that an error names the innermost field at fault.
template <typename T>
constexpr bool Carriable() {
  if constexpr (std::is_same_v<T, bool> || std::is_arithmetic_v<T> || std::is_enum_v<T> ||
                std::is_same_v<T, std::string>) {
    return true;
  } else if constexpr (IsVector<T>::value || IsArray<T>::value || IsOptional<T>::value) {
    return Carriable<typename T::value_type>();
  } else if constexpr (IsMap<T>::value) {
    return Carriable<typename T::key_type>() && Carriable<typename T::mapped_type>();
  } else {
    return reflect::kReflectable<T>;
  }
}

// A field's name as a template argument, so that a compile error shows it.
template <std::size_t kSize>
struct NameStorage {
  char chars[kSize + 1] = {};
};

template <typename T, std::size_t kIndex>
constexpr auto FieldNameStorage() {
  constexpr std::string_view name = reflect::kFieldName<T, kIndex>;
  NameStorage<name.size()> storage;
  for (std::size_t i = 0; i < name.size(); ++i) storage.chars[i] = name[i];
  return storage;
}

// Instantiated once per field of every struct in a State: a field whose type cannot be carried
// fails here, and the compiler's "required from CarriedField<...>" names it and its type.
template <auto kName, typename Field>
struct CarriedField {
  static_assert(Carriable<Field>(),
                "this field's type cannot be carried across a relaunch: a State holds numbers, "
                "enums, std::string, std::vector, std::array, std::map, std::unordered_map, "
                "std::optional and structs of these (reload/state_codec.h)");
  static constexpr bool kChecked = true;
};

template <typename T>
void WriteType(Writer& writer);
template <typename T>
void WriteValue(Writer& writer, const T& value);

template <typename T>
void WriteType(Writer& writer) {
  if constexpr (std::is_same_v<T, bool>) {
    writer.Byte(static_cast<char>(Kind::kBool));
  } else if constexpr (std::is_enum_v<T>) {
    writer.Byte(static_cast<char>(Kind::kEnum));
    writer.Byte(static_cast<char>(sizeof(T)));
  } else if constexpr (std::is_floating_point_v<T>) {
    static_assert(sizeof(T) == 4 || sizeof(T) == 8, "long double cannot be carried");
    writer.Byte(static_cast<char>(Kind::kFloat));
    writer.Byte(static_cast<char>(sizeof(T)));
  } else if constexpr (std::is_integral_v<T>) {
    writer.Byte(static_cast<char>(std::is_signed_v<T> ? Kind::kSigned : Kind::kUnsigned));
    writer.Byte(static_cast<char>(sizeof(T)));
  } else if constexpr (std::is_same_v<T, std::string>) {
    writer.Byte(static_cast<char>(Kind::kString));
  } else if constexpr (IsVector<T>::value) {
    writer.Byte(static_cast<char>(Kind::kVector));
    WriteType<typename T::value_type>(writer);
  } else if constexpr (IsArray<T>::value) {
    writer.Byte(static_cast<char>(Kind::kArray));
    writer.Unsigned(std::tuple_size_v<T>, 8);
    WriteType<typename T::value_type>(writer);
  } else if constexpr (IsMap<T>::value) {
    writer.Byte(static_cast<char>(Kind::kMap));
    WriteType<typename T::key_type>(writer);
    WriteType<typename T::mapped_type>(writer);
  } else if constexpr (IsOptional<T>::value) {
    writer.Byte(static_cast<char>(Kind::kOptional));
    WriteType<typename T::value_type>(writer);
  } else {
    static_assert(reflect::kReflectable<T>, "a State is a struct of carriable fields");
    writer.Byte(static_cast<char>(Kind::kStruct));
    writer.Unsigned(reflect::kFieldCount<T>, 4);
    [&]<std::size_t... kIndex>(std::index_sequence<kIndex...>) {
      ((writer.Text(reflect::kFieldName<T, kIndex>),
        WriteType<reflect::FieldType<T, kIndex>>(writer)),
       ...);
    }
    (std::make_index_sequence<reflect::kFieldCount<T>>());
  }
}

template <typename T>
void WriteValue(Writer& writer, const T& value) {
  if constexpr (std::is_same_v<T, bool>) {
    writer.Byte(value ? 1 : 0);
  } else if constexpr (std::is_enum_v<T> || std::is_integral_v<T>) {
    writer.Unsigned(static_cast<std::uint64_t>(value), sizeof(T));
  } else if constexpr (std::is_floating_point_v<T>) {
    writer.Raw(&value, sizeof(T));
  } else if constexpr (std::is_same_v<T, std::string>) {
    writer.Text(value);
  } else if constexpr (IsVector<T>::value || IsMap<T>::value) {
    writer.Unsigned(value.size(), 8);
    for (const auto& element : value) {
      if constexpr (IsMap<T>::value) {
        WriteValue(writer, element.first);
        WriteValue(writer, element.second);
      } else {
        WriteValue(writer, static_cast<const typename T::value_type&>(element));
      }
    }
  } else if constexpr (IsArray<T>::value) {
    for (const auto& element : value) WriteValue(writer, element);
  } else if constexpr (IsOptional<T>::value) {
    writer.Byte(value.has_value() ? 1 : 0);
    if (value.has_value()) WriteValue(writer, *value);
  } else {
    reflect::ForEachField(value,
                          [&](std::string_view, const auto& field) { WriteValue(writer, field); });
  }
}

// What reading a value of type `from` into a T can do.
enum class Fit { kSame, kConverted, kNone };

template <typename T>
const TypeNode& TypeOf() {
  static const TypeNode* const type = [] {
    Writer writer;
    WriteType<T>(writer);
    Reader reader(writer.bytes());
    return new TypeNode(ReadType(reader));
  }();
  return *type;
}

inline bool IntegerFits(const TypeNode& from, bool to_signed, int to_width) {
  if (from.kind == Kind::kSigned) return to_signed && to_width >= from.width;
  // Unsigned: into unsigned of at least its width, or signed of a greater width.
  return to_signed ? to_width > from.width : to_width >= from.width;
}

template <typename T>
Fit FitOf(const TypeNode& from) {
  if (from.encoded == TypeOf<T>().encoded) return Fit::kSame;
  if constexpr (std::is_same_v<T, bool> || std::is_enum_v<T> || std::is_same_v<T, std::string>) {
    return Fit::kNone;
  } else if constexpr (std::is_floating_point_v<T>) {
    if (from.kind == Kind::kFloat) {
      return from.width <= int{sizeof(T)} ? Fit::kConverted : Fit::kNone;
    }
    if (from.kind == Kind::kSigned || from.kind == Kind::kUnsigned) {
      // Every integer of that width is exact in T's significand.
      const int exact_bytes = sizeof(T) == 4 ? 2 : 4;
      return from.width <= exact_bytes ? Fit::kConverted : Fit::kNone;
    }
    return Fit::kNone;
  } else if constexpr (std::is_integral_v<T>) {
    if (from.kind != Kind::kSigned && from.kind != Kind::kUnsigned) return Fit::kNone;
    return IntegerFits(from, std::is_signed_v<T>, sizeof(T)) ? Fit::kConverted : Fit::kNone;
  } else if constexpr (IsVector<T>::value || IsOptional<T>::value) {
    const Kind kind = IsVector<T>::value ? Kind::kVector : Kind::kOptional;
    if (from.kind != kind) return Fit::kNone;
    return FitOf<typename T::value_type>(from.arguments[0]) == Fit::kNone ? Fit::kNone
                                                                          : Fit::kConverted;
  } else if constexpr (IsArray<T>::value) {
    if (from.kind != Kind::kArray || from.length != std::tuple_size_v<T>) return Fit::kNone;
    return FitOf<typename T::value_type>(from.arguments[0]) == Fit::kNone ? Fit::kNone
                                                                          : Fit::kConverted;
  } else if constexpr (IsMap<T>::value) {
    if (from.kind != Kind::kMap) return Fit::kNone;
    return FitOf<typename T::key_type>(from.arguments[0]) == Fit::kNone ||
                   FitOf<typename T::mapped_type>(from.arguments[1]) == Fit::kNone
               ? Fit::kNone
               : Fit::kConverted;
  } else {
    return from.kind == Kind::kStruct ? Fit::kConverted : Fit::kNone;
  }
}

// Where ReadStruct reports what it did; null inside containers, where only the container's
// own outcome is reported.
struct Report {
  StateMigration* migration;
  std::string prefix;  // "" or "outer."
};

template <typename T>
void ReadValue(const TypeNode& from, Reader& reader, T& out);

template <typename T>
void ReadStruct(const TypeNode& from, Reader& reader, T& out, const Report* report);

// Reads a value of type `from` into `out`, which FitOf found it fits.
template <typename T>
void ReadValue(const TypeNode& from, Reader& reader, T& out) {
  if constexpr (std::is_same_v<T, bool>) {
    out = reader.Byte() != 0;
  } else if constexpr (std::is_enum_v<T>) {
    out = static_cast<T>(reader.Unsigned(sizeof(T)));
  } else if constexpr (std::is_arithmetic_v<T>) {
    const std::uint64_t bits = reader.Unsigned(from.width);
    if (from.kind == Kind::kFloat) {
      if (from.width == 4) {
        float value;
        const auto narrow = static_cast<std::uint32_t>(bits);
        std::memcpy(&value, &narrow, sizeof(value));
        out = static_cast<T>(value);
      } else {
        double value;
        std::memcpy(&value, &bits, sizeof(value));
        out = static_cast<T>(value);
      }
    } else if (from.kind == Kind::kSigned) {
      // Sign-extend from the written width.
      const int shift = 64 - 8 * from.width;
      out = static_cast<T>(static_cast<std::int64_t>(bits << shift) >> shift);
    } else {
      out = static_cast<T>(bits);
    }
  } else if constexpr (std::is_same_v<T, std::string>) {
    const std::uint64_t size = reader.Count();
    out = std::string(reader.Take(size));
  } else if constexpr (IsVector<T>::value) {
    const std::uint64_t count = reader.Count();
    out.clear();
    out.reserve(count);
    for (std::uint64_t i = 0; i < count && reader.ok(); ++i) {
      typename T::value_type element{};
      ReadValue(from.arguments[0], reader, element);
      out.push_back(std::move(element));
    }
  } else if constexpr (IsArray<T>::value) {
    for (auto& element : out) ReadValue(from.arguments[0], reader, element);
  } else if constexpr (IsMap<T>::value) {
    const std::uint64_t count = reader.Count();
    out.clear();
    for (std::uint64_t i = 0; i < count && reader.ok(); ++i) {
      typename T::key_type key{};
      typename T::mapped_type value{};
      ReadValue(from.arguments[0], reader, key);
      ReadValue(from.arguments[1], reader, value);
      out.insert_or_assign(std::move(key), std::move(value));
    }
  } else if constexpr (IsOptional<T>::value) {
    if (reader.Byte() != 0) {
      typename T::value_type value{};
      ReadValue(from.arguments[0], reader, value);
      out = std::move(value);
    } else {
      out.reset();
    }
  } else {
    ReadStruct(from, reader, out, nullptr);
  }
}

// Reads a struct by field name: each of T's fields from the snapshot's field of that name.
template <typename T>
void ReadStruct(const TypeNode& from, Reader& reader, T& out, const Report* report) {
  std::vector<bool> matched(from.field_names.size(), false);
  // The snapshot's values are in its own field order: read each, into the field of that name.
  for (std::size_t index = 0; index < from.field_names.size() && reader.ok(); ++index) {
    const std::string& name = from.field_names[index];
    const TypeNode& type = from.arguments[index];
    bool read = false;
    reflect::ForEachField(out, [&](std::string_view field_name, auto& field) {
      using Field = std::remove_cvref_t<decltype(field)>;
      if (read || field_name != name) return;
      read = true;
      matched[index] = true;
      const Fit fit = FitOf<Field>(type);
      const std::string path = report == nullptr ? "" : report->prefix + name;
      if constexpr (reflect::kReflectable<Field> && !IsArray<Field>::value) {
        if (report != nullptr && fit != Fit::kNone) {
          const Report inner{report->migration, path + "."};
          ReadStruct(type, reader, field, &inner);
          return;
        }
      }
      if (fit == Fit::kNone) {
        SkipValue(type, reader);
        if (report != nullptr) {
          report->migration->reset.push_back(path + " (" + TypeName(type) + " -> " +
                                             TypeName(TypeOf<Field>()) + ")");
        }
        return;
      }
      ReadValue(type, reader, field);
      if (report == nullptr) return;
      if (fit == Fit::kSame) {
        report->migration->kept.push_back(path);
      } else {
        report->migration->converted.push_back(path + " (" + TypeName(type) + " -> " +
                                               TypeName(TypeOf<Field>()) + ")");
      }
    });
    if (!read) {
      SkipValue(type, reader);
      if (report != nullptr) report->migration->dropped.push_back(report->prefix + name);
    }
  }
  if (report == nullptr) return;
  reflect::ForEachField(out, [&](std::string_view field_name, auto&) {
    for (const std::string& name : from.field_names) {
      if (name == field_name) return;
    }
    report->migration->added.push_back(report->prefix + std::string(field_name));
  });
}

template <typename T, std::size_t... kIndex>
constexpr bool CheckFields(std::index_sequence<kIndex...> /*indices*/);

// Instantiates CarriedField for every field of T and of the structs inside it.
template <typename T>
constexpr bool CheckCarriable() {
  if constexpr (IsVector<T>::value || IsArray<T>::value || IsOptional<T>::value) {
    return CheckCarriable<typename T::value_type>();
  } else if constexpr (IsMap<T>::value) {
    return CheckCarriable<typename T::key_type>() && CheckCarriable<typename T::mapped_type>();
  } else if constexpr (reflect::kReflectable<T>) {
    return CheckFields<T>(std::make_index_sequence<reflect::kFieldCount<T>>());
  } else {
    return true;
  }
}

template <typename T, std::size_t... kIndex>
constexpr bool CheckFields(std::index_sequence<kIndex...> /*indices*/) {
  return ((CarriedField<FieldNameStorage<T, kIndex>(), reflect::FieldType<T, kIndex>>::kChecked &&
           CheckCarriable<reflect::FieldType<T, kIndex>>()) &&
          ...);
}

inline constexpr char kMagic[8] = {'H', 'O', 'T', 'C', 'C', 'S', 'T', '\1'};
inline constexpr std::uint32_t kFormatVersion = 1;

// Checks the envelope and reads the description of the whole state; the reader is then at the
// values.
TypeNode ReadEnvelope(Reader& reader);

}  // namespace state_codec_internal

// Writes `state` with its own description: field names, kinds and widths.
template <typename State>
std::string EncodeState(const State& state) {
  namespace internal = state_codec_internal;
  static_assert(internal::CheckCarriable<State>());
  static_assert(reflect::kReflectable<State>, "a State is an aggregate struct");
  internal::Writer writer;
  writer.Raw(internal::kMagic, sizeof(internal::kMagic));
  writer.Unsigned(internal::kFormatVersion, 4);
  internal::WriteType<State>(writer);
  internal::WriteValue(writer, state);
  return std::move(writer.bytes());
}

// Reads what EncodeState wrote, perhaps by a binary with another version of `State`, into
// `state` by field name (see the top of this file). On error (InvalidArgument, naming what is
// wrong) `state` is unchanged.
template <typename State>
absl::StatusOr<StateMigration> DecodeState(absl::string_view bytes, State& state) {
  namespace internal = state_codec_internal;
  static_assert(internal::CheckCarriable<State>());
  internal::Reader reader(std::string_view(bytes.data(), bytes.size()));
  const internal::TypeNode type = internal::ReadEnvelope(reader);
  StateMigration migration;
  State decoded{};
  if (reader.ok() && type.kind != internal::Kind::kStruct) {
    reader.Fail("it does not describe a struct");
  }
  if (reader.ok()) {
    const internal::Report report{&migration, ""};
    internal::ReadStruct(type, reader, decoded, &report);
  }
  if (reader.ok() && reader.remaining() != 0) reader.Fail("it has bytes after its end (corrupt)");
  if (!reader.ok()) {
    return absl::InvalidArgumentError("the carried state cannot be read: " + reader.error());
  }
  state = std::move(decoded);
  return migration;
}

}  // namespace hotcc

#endif  // HOTCC_RELOAD_STATE_CODEC_H_
