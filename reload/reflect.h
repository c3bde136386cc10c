// File: reload/reflect.h
//
// Compile-time reflection of plain aggregate structs, the kind a host's State is: how many
// fields, each field by reference, and each field's name, with no list of fields to keep in
// step with the struct. reload/state_codec.h builds on it.
//
//   struct State { std::int64_t tick = 0; std::string label; };
//   static_assert(hotcc::reflect::kFieldCount<State> == 2);
//   static_assert(hotcc::reflect::kFieldName<State, 1> == "label");
//   hotcc::reflect::ForEachField(state, [](std::string_view name, auto& field) { ... });
//
// How. The field count is the largest number of arguments that brace-initialize the struct
// (C++20 `requires`). The fields come from a structured binding of that many names. A field's
// name is read from the compiler's spelling of a template argument that points at that field
// of an object that is declared and never defined: GCC writes `&object<S>.S::label`, and the
// name follows the last `::`. Nothing of this runs: every name is a constant.
//
// What qualifies: an aggregate struct (public fields, no constructors, no base classes, no
// C arrays as fields) of at most 32 fields, declared at namespace scope (not inside a function).
// A struct that does not is refused at compile time.

#ifndef HOTCC_RELOAD_REFLECT_H_
#define HOTCC_RELOAD_REFLECT_H_

#include <cstddef>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace hotcc::reflect {
namespace internal {

// Converts to any type, to count how many initializers a struct accepts: the conversion must be
// implicit, as aggregate initialization looks for one per field.
struct AnyField {
  template <typename T>
  operator T() const;  // NOLINT(google-explicit-constructor): only in unevaluated contexts
};

template <typename T, typename... Fields>
constexpr std::size_t CountFields() {
  if constexpr (requires { T{Fields{}..., AnyField{}}; }) {
    return CountFields<T, Fields..., AnyField>();
  } else {
    return sizeof...(Fields);
  }
}

// Declared, never defined: only the address of its fields is taken, in constant expressions.
template <typename T>
extern const T kDeclaredObject;

struct FieldAddress {
  const void* address;
};

template <FieldAddress kAddress>
constexpr std::string_view SpellingOf() {
  return __PRETTY_FUNCTION__;
}

// The field's identifier in a spelling such as "... [with FieldAddress kAddress =
// FieldAddress{((const void*)(& kDeclaredObject<S>.S::label))}; std::string_view = ...]": the
// identifier after the last "::" before the "))}" that closes the argument (a type in an
// anonymous namespace is spelled "{anonymous}::S", braces included).
constexpr std::string_view FieldIdentifier(std::string_view spelling) {
  const std::size_t open = spelling.find("FieldAddress{");
  const std::size_t close = spelling.find("))}", open);
  const std::size_t scope = spelling.rfind("::", close);
  if (open == std::string_view::npos || close == std::string_view::npos ||
      scope == std::string_view::npos || scope < open) {
    return {};
  }
  std::size_t end = scope + 2;
  while (end < close && ((spelling[end] >= 'a' && spelling[end] <= 'z') ||
                         (spelling[end] >= 'A' && spelling[end] <= 'Z') ||
                         (spelling[end] >= '0' && spelling[end] <= '9') || spelling[end] == '_')) {
    ++end;
  }
  return spelling.substr(scope + 2, end - scope - 2);
}

}  // namespace internal

// Whether `T` is a struct that this header can reflect.
template <typename T>
inline constexpr bool kReflectable =
    std::conjunction_v<std::is_class<T>, std::is_aggregate<T>, std::negation<std::is_union<T>>>;

template <typename T>
inline constexpr std::size_t kFieldCount = internal::CountFields<T>();

// A tuple of references to the fields of `object`, in declaration order.
template <typename T>
constexpr auto TieFields(T& object) {
  using Plain = std::remove_cv_t<T>;
  static_assert(kReflectable<Plain>, "only aggregate structs can be reflected");
  constexpr std::size_t kCount = kFieldCount<Plain>;
  static_assert(kCount <= 32, "a reflected struct has at most 32 fields: nest a struct");
  if constexpr (kCount == 0) {
    return std::tie();
  } else if constexpr (kCount == 1) {
    auto& [f0] = object;
    return std::tie(f0);
  } else if constexpr (kCount == 2) {
    auto& [f0, f1] = object;
    return std::tie(f0, f1);
  } else if constexpr (kCount == 3) {
    auto& [f0, f1, f2] = object;
    return std::tie(f0, f1, f2);
  } else if constexpr (kCount == 4) {
    auto& [f0, f1, f2, f3] = object;
    return std::tie(f0, f1, f2, f3);
  } else if constexpr (kCount == 5) {
    auto& [f0, f1, f2, f3, f4] = object;
    return std::tie(f0, f1, f2, f3, f4);
  } else if constexpr (kCount == 6) {
    auto& [f0, f1, f2, f3, f4, f5] = object;
    return std::tie(f0, f1, f2, f3, f4, f5);
  } else if constexpr (kCount == 7) {
    auto& [f0, f1, f2, f3, f4, f5, f6] = object;
    return std::tie(f0, f1, f2, f3, f4, f5, f6);
  } else if constexpr (kCount == 8) {
    auto& [f0, f1, f2, f3, f4, f5, f6, f7] = object;
    return std::tie(f0, f1, f2, f3, f4, f5, f6, f7);
  } else if constexpr (kCount == 9) {
    auto& [f0, f1, f2, f3, f4, f5, f6, f7, f8] = object;
    return std::tie(f0, f1, f2, f3, f4, f5, f6, f7, f8);
  } else if constexpr (kCount == 10) {
    auto& [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9] = object;
    return std::tie(f0, f1, f2, f3, f4, f5, f6, f7, f8, f9);
  } else if constexpr (kCount == 11) {
    auto& [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10] = object;
    return std::tie(f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10);
  } else if constexpr (kCount == 12) {
    auto& [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11] = object;
    return std::tie(f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11);
  } else if constexpr (kCount == 13) {
    auto& [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12] = object;
    return std::tie(f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12);
  } else if constexpr (kCount == 14) {
    auto& [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13] = object;
    return std::tie(f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13);
  } else if constexpr (kCount == 15) {
    auto& [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14] = object;
    return std::tie(f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14);
  } else if constexpr (kCount == 16) {
    auto& [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15] = object;
    return std::tie(f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15);
  } else if constexpr (kCount == 17) {
    auto& [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15, f16] = object;
    return std::tie(f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15, f16);
  } else if constexpr (kCount == 18) {
    auto& [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15, f16, f17] = object;
    return std::tie(f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15, f16, f17);
  } else if constexpr (kCount == 19) {
    auto& [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15, f16, f17, f18] =
        object;
    return std::tie(f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15, f16, f17,
                    f18);
  } else if constexpr (kCount == 20) {
    auto& [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15, f16, f17, f18,
           f19] = object;
    return std::tie(f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15, f16, f17,
                    f18, f19);
  } else if constexpr (kCount == 21) {
    auto& [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15, f16, f17, f18, f19,
           f20] = object;
    return std::tie(f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15, f16, f17,
                    f18, f19, f20);
  } else if constexpr (kCount == 22) {
    auto& [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15, f16, f17, f18, f19,
           f20, f21] = object;
    return std::tie(f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15, f16, f17,
                    f18, f19, f20, f21);
  } else if constexpr (kCount == 23) {
    auto& [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15, f16, f17, f18, f19,
           f20, f21, f22] = object;
    return std::tie(f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15, f16, f17,
                    f18, f19, f20, f21, f22);
  } else if constexpr (kCount == 24) {
    auto& [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15, f16, f17, f18, f19,
           f20, f21, f22, f23] = object;
    return std::tie(f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15, f16, f17,
                    f18, f19, f20, f21, f22, f23);
  } else if constexpr (kCount == 25) {
    auto& [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15, f16, f17, f18, f19,
           f20, f21, f22, f23, f24] = object;
    return std::tie(f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15, f16, f17,
                    f18, f19, f20, f21, f22, f23, f24);
  } else if constexpr (kCount == 26) {
    auto& [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15, f16, f17, f18, f19,
           f20, f21, f22, f23, f24, f25] = object;
    return std::tie(f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15, f16, f17,
                    f18, f19, f20, f21, f22, f23, f24, f25);
  } else if constexpr (kCount == 27) {
    auto& [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15, f16, f17, f18, f19,
           f20, f21, f22, f23, f24, f25, f26] = object;
    return std::tie(f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15, f16, f17,
                    f18, f19, f20, f21, f22, f23, f24, f25, f26);
  } else if constexpr (kCount == 28) {
    auto& [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15, f16, f17, f18, f19,
           f20, f21, f22, f23, f24, f25, f26, f27] = object;
    return std::tie(f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15, f16, f17,
                    f18, f19, f20, f21, f22, f23, f24, f25, f26, f27);
  } else if constexpr (kCount == 29) {
    auto& [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15, f16, f17, f18, f19,
           f20, f21, f22, f23, f24, f25, f26, f27, f28] = object;
    return std::tie(f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15, f16, f17,
                    f18, f19, f20, f21, f22, f23, f24, f25, f26, f27, f28);
  } else if constexpr (kCount == 30) {
    auto& [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15, f16, f17, f18, f19,
           f20, f21, f22, f23, f24, f25, f26, f27, f28, f29] = object;
    return std::tie(f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15, f16, f17,
                    f18, f19, f20, f21, f22, f23, f24, f25, f26, f27, f28, f29);
  } else if constexpr (kCount == 31) {
    auto& [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15, f16, f17, f18, f19,
           f20, f21, f22, f23, f24, f25, f26, f27, f28, f29, f30] = object;
    return std::tie(f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15, f16, f17,
                    f18, f19, f20, f21, f22, f23, f24, f25, f26, f27, f28, f29, f30);
  } else if constexpr (kCount == 32) {
    auto& [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15, f16, f17, f18, f19,
           f20, f21, f22, f23, f24, f25, f26, f27, f28, f29, f30, f31] = object;
    return std::tie(f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15, f16, f17,
                    f18, f19, f20, f21, f22, f23, f24, f25, f26, f27, f28, f29, f30, f31);
  }
}

// The type of field `kIndex` of `T`, without reference or const.
template <typename T, std::size_t kIndex>
using FieldType = std::remove_cvref_t<decltype(std::get<kIndex>(TieFields(std::declval<T&>())))>;

template <typename T, std::size_t kIndex>
inline constexpr std::string_view kFieldName =
    internal::FieldIdentifier(internal::SpellingOf<internal::FieldAddress{
                                  &std::get<kIndex>(TieFields(internal::kDeclaredObject<T>))}>());

// Calls `visit(name, field)` for each field of `object`, in declaration order.
template <typename T, typename Visit>
constexpr void ForEachField(T& object, Visit&& visit) {
  using Plain = std::remove_cv_t<T>;
  auto fields = TieFields(object);
  [&]<std::size_t... kIndex>(std::index_sequence<kIndex...>) {
    (visit(kFieldName<Plain, kIndex>, std::get<kIndex>(fields)), ...);
  }
  (std::make_index_sequence<kFieldCount<Plain>>());
}

}  // namespace hotcc::reflect

#endif  // HOTCC_RELOAD_REFLECT_H_
