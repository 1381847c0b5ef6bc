// CompletionRing: capacity rounding, FIFO order, and a two-thread producer/consumer stress run
// (the shape crypto_dpaccel_worker uses between the application and a helper thread).
#include <gtest/gtest.h>

#include <thread>

#include "completion_ring.hpp"

namespace dpaccel::pmd {
namespace {

TEST(CompletionRing, RoundsCapacityUpAndKeepsFifoOrder) {
  CompletionRing<uint64_t, HeapAlloc> r;
  ASSERT_TRUE(r.init(100, 0));
  EXPECT_EQ(r.capacity(), 128u);
  EXPECT_EQ(r.free_count(), 128u);
  for (uint64_t round = 0; round < 5; ++round) {  // wraps the indices several times
    for (uint32_t i = 0; i < 100; ++i) r.slot(i) = round * 1000 + i;
    r.publish(100);
    EXPECT_EQ(r.used_count(), 100u);
    EXPECT_EQ(r.free_count(), 28u);
    for (uint32_t i = 0; i < 100; ++i) EXPECT_EQ(r.peek(i), round * 1000 + i);
    r.consume(60);
    EXPECT_EQ(r.peek(0), round * 1000 + 60);
    r.consume(40);
    EXPECT_EQ(r.used_count(), 0u);
  }
}

TEST(CompletionRing, TwoThreadsLoseNothingAndKeepOrder) {
  CompletionRing<uint64_t, HeapAlloc> r;
  ASSERT_TRUE(r.init(64, 0));
  constexpr uint64_t kItems = 2'000'000;
  std::thread producer([&] {
    uint64_t next = 0;
    while (next < kItems) {
      uint32_t n = std::min<uint64_t>(r.free_count(), std::min<uint64_t>(kItems - next, 7));
      for (uint32_t i = 0; i < n; ++i) r.slot(i) = next + i;
      r.publish(n);
      next += n;
    }
  });
  uint64_t expect = 0;
  bool in_order = true;
  while (expect < kItems) {
    uint32_t n = r.used_count();
    for (uint32_t i = 0; i < n; ++i) in_order &= r.peek(i) == expect + i;
    r.consume(n);
    expect += n;
  }
  producer.join();
  EXPECT_TRUE(in_order);
  EXPECT_EQ(expect, kItems);
}

}  // namespace
}  // namespace dpaccel::pmd
