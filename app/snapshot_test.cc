#include "app/snapshot.h"

#include "app/random_engine.h"
#include "gtest/gtest.h"

namespace hotcc::demo {
namespace {

TEST(SnapshotTest, CarriesTheStateAndTheRandomSequence) {
  RandomEngine rng(7);
  rng.Uniform(0, 100);
  const State state{.tick = 12, .position = -3, .total = 40, .peak = 9};
  absl::StatusOr<std::optional<Snapshot>> decoded =
      DecodeSnapshot(EncodeSnapshot(Snapshot{state, rng.SaveState()}));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ASSERT_TRUE(decoded->has_value());
  EXPECT_EQ((*decoded)->state.tick, 12);
  EXPECT_EQ((*decoded)->state.position, -3);
  EXPECT_EQ((*decoded)->state.total, 40);
  EXPECT_EQ((*decoded)->state.peak, 9);
  RandomEngine resumed(999);
  ASSERT_TRUE(resumed.RestoreState((*decoded)->rng_state));
  EXPECT_EQ(resumed.Uniform(0, 1 << 30), rng.Uniform(0, 1 << 30));
}

TEST(SnapshotTest, RejectsBytesThatAreNotASnapshot) {
  EXPECT_EQ(DecodeSnapshot("garbage").status().code(), absl::StatusCode::kInvalidArgument);
  const std::string encoded = EncodeSnapshot(Snapshot{State{}, "rng"});
  EXPECT_EQ(DecodeSnapshot(encoded.substr(0, encoded.size() - 1)).status().code(),
            absl::StatusCode::kInvalidArgument)
      << "a truncated snapshot";
}

}  // namespace
}  // namespace hotcc::demo
