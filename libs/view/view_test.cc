#include "libs/view/view.h"

#include "gtest/gtest.h"

namespace hotcc::demo {
namespace {

TEST(ViewStateTest, RendersEveryFieldOnOneLine) {
  State state{
      .tick = 3, .position = -2, .total = 9, .peak = 5, .recent = {1, 0, -2}, .label = "south"};
  EXPECT_EQ(view_state(state), "tick 3 | position -2 | total 9 | peak 5 | recent 1,0,-2 | south");
}

TEST(ViewStateTest, RendersTheInitialState) {
  EXPECT_EQ(view_state(State{}), "tick 0 | position 0 | total 0 | peak 0 | recent - | home");
}

}  // namespace
}  // namespace hotcc::demo
