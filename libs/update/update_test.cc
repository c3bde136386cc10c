#include "libs/update/update.h"

#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace hotcc::demo {
namespace {

// Plays back a fixed list of draws and records the ranges it was asked for.
class ScriptedRng : public Rng {
 public:
  explicit ScriptedRng(std::vector<std::int64_t> draws) : draws_(std::move(draws)) {}

  std::int64_t Uniform(std::int64_t lo, std::int64_t hi) override {
    EXPECT_LT(next_, draws_.size()) << "update_state drew more numbers than scripted";
    EXPECT_GE(draws_[next_], lo);
    EXPECT_LE(draws_[next_], hi);
    return draws_[next_++];
  }

  size_t draws_taken() const { return next_; }

 private:
  std::vector<std::int64_t> draws_;
  size_t next_ = 0;
};

TEST(UpdateStateTest, AdvancesTickAndWalksByTheDrawnStep) {
  State state;
  ScriptedRng rng({2, 3, -3});

  update_state(state, rng);
  EXPECT_EQ(state.tick, 1);
  EXPECT_EQ(state.position, 2);
  EXPECT_EQ(state.total, 2);
  EXPECT_EQ(state.peak, 2);

  update_state(state, rng);
  update_state(state, rng);
  EXPECT_EQ(state.tick, 3);
  EXPECT_EQ(state.position, 2);  // 2 + 3 - 3
  EXPECT_EQ(state.total, 9);     // 2 + 5 + 2
  EXPECT_EQ(state.peak, 5);
  EXPECT_EQ(rng.draws_taken(), 3u);
  EXPECT_EQ(state.recent, (std::vector<std::int64_t>{2, 5, 2}));
  EXPECT_EQ(state.label, "north");
}

TEST(UpdateStateTest, KeepsTheLastThreePositionsAndNamesWhereTheWalkIs) {
  State state;
  ScriptedRng rng({-1, -1, 1, 1, 1});
  for (int i = 0; i < 5; ++i) update_state(state, rng);
  EXPECT_EQ(state.recent, (std::vector<std::int64_t>{-1, 0, 1}));
  EXPECT_EQ(state.label, "north");
  ScriptedRng back({-1});
  update_state(state, back);
  EXPECT_EQ(state.label, "home");
}

TEST(UpdateStateTest, ContinuesFromTheStateItIsGiven) {
  State state{.tick = 41, .position = -10, .total = 100, .peak = 7};
  ScriptedRng rng({-1});

  update_state(state, rng);
  EXPECT_EQ(state.tick, 42);
  EXPECT_EQ(state.position, -11);
  EXPECT_EQ(state.total, 89);
  EXPECT_EQ(state.peak, 7);
  EXPECT_EQ(state.label, "south");
}

}  // namespace
}  // namespace hotcc::demo
