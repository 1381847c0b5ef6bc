// Anti-replay window (RFC 4303 §3.4.3) and ESN inference (RFC 4303 Appendix A).
#include <gtest/gtest.h>

#include "ipsec/replay_window.hpp"

namespace dpaccel {
namespace {

using V = ReplayWindow::Verdict;

V accept(ReplayWindow& w, uint32_t low) {
  auto c = w.check(low);
  if (c.verdict != V::Ok) return c.verdict;
  return w.update(c.seq);
}

TEST(ReplayWindow, FirstPacketAndDuplicate) {
  ReplayWindow w(64, false);
  EXPECT_EQ(accept(w, 1), V::Ok);
  EXPECT_EQ(w.check(1).verdict, V::Duplicate);
  EXPECT_EQ(accept(w, 2), V::Ok);
  EXPECT_EQ(w.top(), 2u);
}

TEST(ReplayWindow, ZeroIsNeverValid) {
  ReplayWindow w(64, false);
  EXPECT_EQ(w.check(0).verdict, V::Invalid);
  EXPECT_EQ(w.update(0), V::Invalid);
}

TEST(ReplayWindow, FirstPacketMayStartAnywhere) {
  ReplayWindow w(64, false);
  EXPECT_EQ(accept(w, 1000), V::Ok);
  EXPECT_EQ(accept(w, 937), V::Ok);  // 1000 - 64 + 1: the window's left edge
  EXPECT_EQ(w.check(936).verdict, V::TooOld);
  EXPECT_EQ(w.check(1).verdict, V::TooOld);
}

TEST(ReplayWindow, InWindowOutOfOrder) {
  ReplayWindow w(64, false);
  for (uint32_t s = 100; s >= 37; --s) ASSERT_EQ(accept(w, s), V::Ok) << s;
  for (uint32_t s = 37; s <= 100; ++s) ASSERT_EQ(w.check(s).verdict, V::Duplicate) << s;
  EXPECT_EQ(w.check(36).verdict, V::TooOld);
}

TEST(ReplayWindow, CheckDoesNotMoveTheWindow) {
  ReplayWindow w(64, false);
  ASSERT_EQ(accept(w, 10), V::Ok);
  // A packet checked but never updated (its ICV failed) leaves no trace.
  EXPECT_EQ(w.check(5000).verdict, V::Ok);
  EXPECT_EQ(w.top(), 10u);
  EXPECT_EQ(accept(w, 9), V::Ok);
}

TEST(ReplayWindow, SecondUpdateOfOneNumberIsADuplicate) {
  // Two copies in one burst both pass check(); only the first update wins.
  ReplayWindow w(64, false);
  auto a = w.check(7), b = w.check(7);
  ASSERT_EQ(a.verdict, V::Ok);
  ASSERT_EQ(b.verdict, V::Ok);
  EXPECT_EQ(w.update(a.seq), V::Ok);
  EXPECT_EQ(w.update(b.seq), V::Duplicate);
  // And an update that became too old while in flight is refused.
  ASSERT_EQ(accept(w, 500), V::Ok);
  EXPECT_EQ(w.update(8), V::TooOld);
}

TEST(ReplayWindow, ShiftByMoreThanItsSizeClearsStaleBits) {
  ReplayWindow w(64, false);
  for (uint32_t s = 1; s <= 64; ++s) ASSERT_EQ(accept(w, s), V::Ok);
  // The bitmap is a ring: 129..191 share slots with 1..63. None may look seen.
  ASSERT_EQ(accept(w, 192), V::Ok);
  for (uint32_t s = 129; s < 192; ++s) EXPECT_EQ(w.check(s).verdict, V::Ok) << s;
  EXPECT_EQ(w.check(128).verdict, V::TooOld);
  // A huge jump.
  ASSERT_EQ(accept(w, 1u << 30), V::Ok);
  for (uint32_t s = (1u << 30) - 63; s < (1u << 30); ++s) ASSERT_EQ(w.check(s).verdict, V::Ok);
}

class ReplayWindowSizes : public ::testing::TestWithParam<uint32_t> {};

TEST_P(ReplayWindowSizes, EdgesAreExact) {
  const uint32_t size = GetParam();
  ReplayWindow w(size, false);
  const uint32_t top = size * 3 + 17;
  ASSERT_EQ(accept(w, top), V::Ok);
  EXPECT_EQ(w.check(top - size + 1).verdict, V::Ok);
  EXPECT_EQ(w.check(top - size).verdict, V::TooOld);
  // Fill the whole window, then every number in it is a duplicate.
  for (uint32_t s = top - size + 1; s < top; ++s) ASSERT_EQ(accept(w, s), V::Ok) << s;
  for (uint32_t s = top - size + 1; s <= top; ++s) ASSERT_EQ(w.check(s).verdict, V::Duplicate) << s;
  // Slide by half the window: the upper half stays seen, the new numbers are fresh.
  ASSERT_EQ(accept(w, top + size / 2), V::Ok);
  EXPECT_EQ(w.check(top).verdict, V::Duplicate);
  EXPECT_EQ(w.check(top + 1).verdict, V::Ok);
  EXPECT_EQ(w.check(top + size / 2 - size).verdict, V::TooOld);
}

INSTANTIATE_TEST_SUITE_P(Sizes, ReplayWindowSizes,
                         ::testing::Values(64u, 65u, 128u, 1000u, 1024u, 4096u));

TEST(ReplayWindow, DisabledAcceptsRepeats) {
  ReplayWindow w(0, false);
  EXPECT_EQ(accept(w, 5), V::Ok);
  EXPECT_EQ(accept(w, 5), V::Ok);
  EXPECT_EQ(accept(w, 1), V::Ok);
  EXPECT_EQ(w.check(0).verdict, V::Invalid);
  EXPECT_EQ(w.update(0), V::Invalid);
  EXPECT_EQ(w.top(), 5u);  // a repeat or an older number does not move the top
}

// Without a window, the top still moves with every authenticated number: ESN inference needs it.
TEST(ReplayWindowEsn, DisabledWindowStillPlacesTheHighHalf) {
  const uint64_t wrap = uint64_t{1} << 32;
  ReplayWindow w(0, true, wrap - 5);
  auto c = w.check(3);  // just past the wrap
  ASSERT_EQ(c.verdict, V::Ok);
  ASSERT_EQ(c.seq, wrap + 3);
  ASSERT_EQ(w.update(c.seq), V::Ok);
  EXPECT_EQ(w.top(), wrap + 3);
  ASSERT_EQ(w.update(wrap - 7), V::Ok);  // late, from before the wrap: accepted, top stays
  EXPECT_EQ(w.top(), wrap + 3);
  EXPECT_EQ(w.check(10).seq, wrap + 10);
  EXPECT_EQ(w.check(0xFFFFFFF0u).seq, 0xFFFFFFF0u);  // placed before the wrap
}

TEST(ReplayWindowEsn, InfersTheHighHalfAcrossTheWrap) {
  const uint64_t start = (uint64_t{1} << 32) - 10;
  ReplayWindow w(64, true, start);
  // Just after the wrap: low 5 means 2^32 + 5.
  auto c = w.check(5);
  ASSERT_EQ(c.verdict, V::Ok);
  EXPECT_EQ(c.seq, (uint64_t{1} << 32) + 5);
  ASSERT_EQ(w.update(c.seq), V::Ok);
  // Late packets from before the wrap are placed in the old epoch (RFC 4303 A2.2, case 2).
  c = w.check(0xFFFFFFF0u);
  ASSERT_EQ(c.verdict, V::Ok);
  EXPECT_EQ(c.seq, 0xFFFFFFF0u);
  ASSERT_EQ(w.update(c.seq), V::Ok);
  EXPECT_EQ(w.check(0xFFFFFFF0u).verdict, V::Duplicate);
  // Low 0 right after the wrap is 2^32, a valid number.
  c = w.check(0);
  EXPECT_EQ(c.verdict, V::Ok);
  EXPECT_EQ(c.seq, uint64_t{1} << 32);
  // Far below the window: assumed to be ahead (next epoch); its ICV decides.
  c = w.check(0x80000000u);
  EXPECT_EQ(c.seq, (uint64_t{1} << 32) + 0x80000000u);
}

TEST(ReplayWindowEsn, CaseOneWindowInsideAnEpoch) {
  ReplayWindow w(128, true, (uint64_t{7} << 32) + 1000);
  EXPECT_EQ(w.check(999).seq, (uint64_t{7} << 32) + 999);    // in the window
  EXPECT_EQ(w.check(5000).seq, (uint64_t{7} << 32) + 5000);  // ahead, same epoch
  EXPECT_EQ(w.check(10).seq, (uint64_t{8} << 32) + 10);      // left of the window: next epoch
  EXPECT_EQ(w.check(873).seq, (uint64_t{7} << 32) + 873);    // left edge (1000 - 128 + 1)
  EXPECT_EQ(w.check(873).verdict, V::Ok);
}

TEST(ReplayWindowEsn, BeforeTheFirstEpochIsInvalid) {
  ReplayWindow w(64, true, 10);
  // Window straddles 0 with high half 0: numbers "from before the wrap" cannot exist.
  EXPECT_EQ(w.check(0xFFFFFFFFu).verdict, V::Invalid);
  EXPECT_EQ(w.check(3).verdict, V::Ok);
}

}  // namespace
}  // namespace dpaccel
