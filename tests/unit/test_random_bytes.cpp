// The kernel-backed random source behind CBC IVs and AEAD IV offsets (lib/common/random_bytes).
#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <set>
#include <thread>
#include <vector>

#include "common/random_bytes.hpp"

namespace dpaccel {
namespace {

TEST(RandomBytes, FillsLargeRequestsCompletely) {
  // getrandom(2) may return short above 256 bytes: every byte of a 64 KiB request is written.
  // (A byte left at its canary value 0x5a has a 1/256 chance per position; count them.)
  std::vector<uint8_t> buf(65536, 0x5a);
  ASSERT_TRUE(fill_random(buf.data(), buf.size()));
  size_t canaries = 0;
  for (uint8_t b : buf) canaries += b == 0x5a;
  EXPECT_LT(canaries, 65536u / 256 * 2) << "a part of the buffer looks unwritten";
  EXPECT_GT(canaries, 0u);
}

TEST(RandomBytes, PoolGivesDistinctIvsAcrossRefills) {
  // 1000 CBC-sized takes cross the 4 KiB pool's refill four times: all distinct, none zero.
  RandomPool& pool = RandomPool::for_this_thread();
  std::set<std::array<uint8_t, 16>> seen;
  for (int i = 0; i < 1000; ++i) {
    std::array<uint8_t, 16> iv{};
    ASSERT_TRUE(pool.take(iv.data(), iv.size()));
    EXPECT_NE(iv, (std::array<uint8_t, 16>{}));
    EXPECT_TRUE(seen.insert(iv).second) << "IV repeated at take " << i;
  }
}

TEST(RandomBytes, APoolTheKernelRefusesSaysSoAndWritesNothing) {
  // What the forwarder turns into a `no_entropy` drop: no IV rather than a weak or stale one.
  static int calls;
  calls = 0;
  RandomPool pool([](void* out, size_t n) noexcept {
    if (calls++ > 0) return false;  // one refill, then the kernel refuses
    std::memset(out, 0x5c, n);
    return true;
  });
  std::array<uint8_t, 16> iv{};
  for (size_t i = 0; i < RandomPool::kSize / iv.size(); ++i) ASSERT_TRUE(pool.take(iv.data(), 16));
  iv.fill(0xaa);
  EXPECT_FALSE(pool.take(iv.data(), 16));
  EXPECT_EQ(iv, (std::array<uint8_t, 16>{0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
                                         0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa}));
  EXPECT_EQ(calls, 2);
}

TEST(RandomBytes, EachThreadHasItsOwnPool) {
  RandomPool* here = &RandomPool::for_this_thread();
  RandomPool* there = nullptr;
  std::thread([&] { there = &RandomPool::for_this_thread(); }).join();
  EXPECT_NE(here, there);
}

}  // namespace
}  // namespace dpaccel
