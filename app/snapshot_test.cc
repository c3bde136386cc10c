#include "app/snapshot.h"

#include "app/random_engine.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reload/state_codec.h"

namespace hotcc::demo {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(SnapshotTest, CarriesTheStateAndTheRandomSequence) {
  RandomEngine rng(7);
  rng.Uniform(0, 100);
  const State state{
      .tick = 12, .position = -3, .total = 40, .peak = 9, .recent = {-1, -2, -3}, .label = "south"};
  Snapshot decoded;
  absl::StatusOr<StateMigration> migration =
      DecodeState(EncodeState(Snapshot{state, rng.SaveState()}), decoded);
  ASSERT_TRUE(migration.ok()) << migration.status();
  EXPECT_EQ(decoded.state.tick, 12);
  EXPECT_EQ(decoded.state.position, -3);
  EXPECT_EQ(decoded.state.total, 40);
  EXPECT_EQ(decoded.state.peak, 9);
  EXPECT_THAT(decoded.state.recent, ElementsAre(-1, -2, -3));
  EXPECT_EQ(decoded.state.label, "south");
  EXPECT_THAT(migration->Summary(), HasSubstr("kept state.tick, state.position"));
  RandomEngine resumed(999);
  ASSERT_TRUE(resumed.RestoreState(decoded.rng_state));
  EXPECT_EQ(resumed.Uniform(0, 1 << 30), rng.Uniform(0, 1 << 30));
}

TEST(SnapshotTest, RefusesBytesThatAreNotASnapshot) {
  Snapshot decoded;
  decoded.state.tick = 5;
  EXPECT_EQ(DecodeState("garbage", decoded).status().code(), absl::StatusCode::kInvalidArgument);
  const std::string encoded = EncodeState(Snapshot{State{}, "rng"});
  EXPECT_EQ(DecodeState(encoded.substr(0, encoded.size() - 1), decoded).status().code(),
            absl::StatusCode::kInvalidArgument)
      << "a truncated snapshot";
  EXPECT_EQ(decoded.state.tick, 5);
}

}  // namespace
}  // namespace hotcc::demo
