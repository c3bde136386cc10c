// Every migration rule of reload/state_codec.h, with structs that stand for two versions of one
// State, and snapshots that cannot be read.

#include "reload/state_codec.h"

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hotcc {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

enum class Mode : std::int32_t { kIdle, kBusy };

struct Point {
  std::int32_t x = 0;
  std::int32_t y = 0;
};

struct Old {
  std::int64_t tick = 0;
  std::string label = "old";
  std::int32_t total = 0;
  float speed = 0;
  std::vector<std::int32_t> history;
  std::int64_t dropped_field = 0;
  std::uint32_t count = 0;
  Point where;
  std::map<std::string, std::int32_t> scores;
  std::optional<std::int16_t> best;
  std::array<std::int32_t, 3> last_three = {};
  Mode mode = Mode::kIdle;
  std::int64_t retyped = 0;
  std::vector<Point> path;
};

struct New {
  std::int64_t tick = 0;              // kept
  std::string label = "new";          // kept
  std::int64_t total = 0;             // int32 -> int64: converted
  double speed = 0;                   // float -> double: converted
  std::vector<std::int64_t> history;  // vector<int32> -> vector<int64>: converted
  std::int64_t count = 0;             // uint32 -> int64: converted
  Point where;                        // nested: where.x, where.y kept
  std::unordered_map<std::string, std::int64_t> scores;  // map -> unordered_map: converted
  std::optional<std::int32_t> best;                      // optional<int16> -> <int32>
  std::array<std::int64_t, 3> last_three = {};           // converted
  Mode mode = Mode::kIdle;                               // kept
  std::string retyped = "default";                       // int64 -> string: reset
  std::vector<Point> path;                               // kept
  std::int32_t added_field = 7;                          // added, at its default
};

Old SampleOld() {
  Old old;
  old.tick = 42;
  old.label = "walker";
  old.total = -123456;
  old.speed = 1.5f;
  old.history = {1, -2, 3};
  old.dropped_field = 9;
  old.count = 4000000000u;
  old.where = {5, -6};
  old.scores = {{"a", 1}, {"b", -2}};
  old.best = 300;
  old.last_three = {7, 8, 9};
  old.mode = Mode::kBusy;
  old.retyped = 77;
  old.path = {{1, 2}, {3, 4}};
  return old;
}

TEST(StateCodecTest, SameStructRoundTripsAndKeepsEveryField) {
  const Old old = SampleOld();
  Old back;
  absl::StatusOr<StateMigration> migration = DecodeState(EncodeState(old), back);
  ASSERT_TRUE(migration.ok()) << migration.status();
  EXPECT_EQ(back.tick, 42);
  EXPECT_EQ(back.label, "walker");
  EXPECT_EQ(back.history, old.history);
  EXPECT_EQ(back.scores, old.scores);
  EXPECT_EQ(back.best, old.best);
  EXPECT_EQ(back.last_three, old.last_three);
  EXPECT_EQ(back.mode, Mode::kBusy);
  ASSERT_EQ(back.path.size(), 2u);
  EXPECT_EQ(back.path[1].y, 4);
  EXPECT_THAT(migration->converted, IsEmpty());
  EXPECT_THAT(migration->reset, IsEmpty());
  EXPECT_THAT(migration->added, IsEmpty());
  EXPECT_THAT(migration->dropped, IsEmpty());
  EXPECT_EQ(migration->kept.size(), 15u);  // 14 fields, where counted as where.x and where.y
}

TEST(StateCodecTest, EachRuleOfAnEditedStruct) {
  New now;
  absl::StatusOr<StateMigration> migration = DecodeState(EncodeState(SampleOld()), now);
  ASSERT_TRUE(migration.ok()) << migration.status();
  EXPECT_EQ(now.tick, 42);
  EXPECT_EQ(now.label, "walker");
  EXPECT_EQ(now.total, -123456);
  EXPECT_EQ(now.speed, 1.5);
  EXPECT_THAT(now.history, ElementsAre(1, -2, 3));
  EXPECT_EQ(now.count, 4000000000);
  EXPECT_EQ(now.where.x, 5);
  EXPECT_EQ(now.where.y, -6);
  EXPECT_EQ(now.scores.at("b"), -2);
  EXPECT_EQ(now.best, 300);
  EXPECT_THAT(now.last_three, ElementsAre(7, 8, 9));
  EXPECT_EQ(now.mode, Mode::kBusy);
  EXPECT_EQ(now.retyped, "default");
  EXPECT_EQ(now.added_field, 7);
  EXPECT_THAT(migration->kept,
              UnorderedElementsAre("tick", "label", "where.x", "where.y", "mode", "path"));
  EXPECT_THAT(
      migration->converted,
      UnorderedElementsAre("total (int32 -> int64)", "speed (float -> double)",
                           "history (vector<int32> -> vector<int64>)", "count (uint32 -> int64)",
                           "scores (map<string, int32> -> map<string, int64>)",
                           "best (optional<int16> -> optional<int32>)",
                           "last_three (array<int32, 3> -> array<int64, 3>)"));
  EXPECT_THAT(migration->reset, ElementsAre("retyped (int64 -> string)"));
  EXPECT_THAT(migration->added, ElementsAre("added_field"));
  EXPECT_THAT(migration->dropped, ElementsAre("dropped_field"));
  EXPECT_THAT(migration->Summary(), HasSubstr("; reset retyped (int64 -> string); added "
                                              "added_field; dropped dropped_field"));
}

// Narrowing, a sign that could be lost, and a longer array lose values: each is reset.
struct Wide {
  std::int64_t narrowed = 1LL << 40;
  std::int32_t sign = -1;
  double precise = 0.1;
  std::int64_t to_double = 1LL << 60;
  std::array<std::int32_t, 2> resized = {1, 2};
  std::int32_t to_float = 1 << 20;
};

struct Narrow {
  std::int32_t narrowed = 3;
  std::uint64_t sign = 4;
  float precise = 5;
  double to_double = 6;
  std::array<std::int32_t, 3> resized = {7, 7, 7};
  float to_float = 8;
};

TEST(StateCodecTest, ATypeThatWouldLoseValuesIsReset) {
  Narrow narrow;
  absl::StatusOr<StateMigration> migration = DecodeState(EncodeState(Wide()), narrow);
  ASSERT_TRUE(migration.ok()) << migration.status();
  EXPECT_EQ(narrow.narrowed, 3);
  EXPECT_EQ(narrow.sign, 4u);
  EXPECT_EQ(narrow.precise, 5);
  EXPECT_EQ(narrow.to_double, 6);
  EXPECT_THAT(narrow.resized, ElementsAre(7, 7, 7));
  EXPECT_EQ(narrow.to_float, 8);
  EXPECT_EQ(migration->reset.size(), 6u);
  EXPECT_THAT(migration->kept, IsEmpty());
}

struct SmallIntegers {
  std::int16_t small = -300;
  std::int32_t medium = 1 << 30;
};

struct FloatingPoint {
  float small = 0;
  double medium = 0;
};

TEST(StateCodecTest, SmallIntegersBecomeFloatingPoint) {
  FloatingPoint to;
  ASSERT_TRUE(DecodeState(EncodeState(SmallIntegers()), to).ok());
  EXPECT_EQ(to.small, -300.0f);
  EXPECT_EQ(to.medium, double{1 << 30});
}

TEST(StateCodecTest, BadSnapshotsAreRefusedAndChangeNothing) {
  const std::string good = EncodeState(SampleOld());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "not a hotcc state snapshot"},
      {"#!/bin/sh\necho another program\n", "not a hotcc state snapshot"},
      {good.substr(0, good.size() / 2), "truncated"},
      {good.substr(0, 12), "truncated"},
      {good + "x", "bytes after its end"},
  };
  for (const auto& [bytes, why] : cases) {
    New now;
    now.tick = -1;
    absl::StatusOr<StateMigration> migration = DecodeState(bytes, now);
    ASSERT_FALSE(migration.ok()) << why;
    EXPECT_EQ(migration.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(migration.status().message()), HasSubstr(why));
    EXPECT_EQ(now.tick, -1) << "a refused snapshot changed the state";
  }
  std::string future = good;
  future[8] = 2;  // The format version.
  New now;
  absl::StatusOr<StateMigration> migration = DecodeState(future, now);
  ASSERT_FALSE(migration.ok());
  EXPECT_THAT(std::string(migration.status().message()), HasSubstr("format version 2"));
}

TEST(StateCodecTest, CorruptBytesNeverCrash) {
  const std::string good = EncodeState(SampleOld());
  // Every single-byte corruption of a real snapshot either decodes or is refused.
  for (std::size_t i = 0; i < good.size(); ++i) {
    for (const unsigned char value : {0x00, 0x7f, 0xff}) {
      std::string bad = good;
      bad[i] = static_cast<char>(value);
      New now;
      (void)DecodeState(bad, now);
    }
  }
}

}  // namespace
}  // namespace hotcc
