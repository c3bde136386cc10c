#include "app/snapshot.h"

#include <unistd.h>

#include "app/random_engine.h"
#include "gtest/gtest.h"

namespace hotcc::demo {
namespace {

TEST(SnapshotTest, CarriesTheStateAndTheRandomSequence) {
  RandomEngine rng(7);
  rng.Uniform(0, 100);
  const State state{.tick = 12, .position = -3, .total = 40, .peak = 9};
  absl::StatusOr<std::string> path = WriteSnapshot(Snapshot{state, rng.SaveState()});
  ASSERT_TRUE(path.ok()) << path.status();

  absl::StatusOr<std::optional<Snapshot>> taken = TakeSnapshot(*path);
  ASSERT_TRUE(taken.ok()) << taken.status();
  ASSERT_TRUE(taken->has_value());
  EXPECT_EQ((*taken)->state.tick, 12);
  EXPECT_EQ((*taken)->state.position, -3);
  EXPECT_EQ((*taken)->state.total, 40);
  EXPECT_EQ((*taken)->state.peak, 9);
  RandomEngine resumed(999);
  ASSERT_TRUE(resumed.RestoreState((*taken)->rng_state));
  EXPECT_EQ(resumed.Uniform(0, 1 << 30), rng.Uniform(0, 1 << 30));
  EXPECT_NE(access(path->c_str(), F_OK), 0) << "the snapshot is removed once read";
}

TEST(SnapshotTest, RejectsFilesThatAreNotSnapshots) {
  char path[] = "/tmp/not-a-snapshot-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "garbage", 7), 7);
  close(fd);
  EXPECT_EQ(TakeSnapshot(path).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hotcc::demo
