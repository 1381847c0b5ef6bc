// SPD flow cache (lib/policy/sp_flow_cache.hpp): two-way buckets, eviction of the older entry,
// exact key match, and the off and one-bucket sizes.
#include <gtest/gtest.h>

#include <vector>

#include "policy/sp_flow_cache.hpp"

namespace dpaccel {
namespace {

SpKey4 key4(uint32_t src, uint16_t sport) {
  SpKey4 k{};
  k.proto = 17;
  k.src = src;
  k.dst = 0x0a000201;
  k.sport = sport;
  k.dport = 2000;
  return k;
}

// n distinct keys that all land in the bucket of the first one.
std::vector<SpKey4> colliding(const SpFlowTable<SpKey4>& t, size_t n) {
  std::vector<SpKey4> out{key4(1, 1)};
  const uint32_t slot = t.slot_of(out[0]);
  for (uint16_t p = 2; out.size() < n; ++p) {
    SpKey4 k = key4(1, p);
    if (t.slot_of(k) == slot) out.push_back(k);
  }
  return out;
}

bool lookup(const SpFlowTable<SpKey4>& t, const SpKey4& k, uint32_t& v) {
  return t.find(k, t.slot_of(k), v);
}

TEST(SpFlowCache, OffHasNoBuckets) {
  SpFlowTable<SpKey4> t;
  t.init(0);
  EXPECT_FALSE(t.enabled());
}

TEST(SpFlowCache, TwoCollidingFlowsBothStayCached) {
  SpFlowTable<SpKey4> t;
  t.init(64);
  auto k = colliding(t, 2);
  t.put(k[0], t.slot_of(k[0]), 7);
  t.put(k[1], t.slot_of(k[1]), 9);
  uint32_t v = 0;
  ASSERT_TRUE(lookup(t, k[0], v));
  EXPECT_EQ(v, 7u);
  ASSERT_TRUE(lookup(t, k[1], v));
  EXPECT_EQ(v, 9u);
}

TEST(SpFlowCache, ThirdFlowEvictsTheOlder) {
  SpFlowTable<SpKey4> t;
  t.init(64);
  auto k = colliding(t, 3);
  for (uint32_t i = 0; i < 3; ++i) t.put(k[i], t.slot_of(k[i]), 10 + i);
  uint32_t v = 0;
  EXPECT_FALSE(lookup(t, k[0], v));
  ASSERT_TRUE(lookup(t, k[1], v));
  EXPECT_EQ(v, 11u);
  ASSERT_TRUE(lookup(t, k[2], v));
  EXPECT_EQ(v, 12u);
}

TEST(SpFlowCache, PuttingAKeyTwiceKeepsTheOtherWay) {
  // Two packets of one new flow in a burst both miss and are both put.
  SpFlowTable<SpKey4> t;
  t.init(64);
  auto k = colliding(t, 2);
  t.put(k[0], t.slot_of(k[0]), 5);
  t.put(k[1], t.slot_of(k[1]), 6);
  t.put(k[1], t.slot_of(k[1]), 6);
  uint32_t v = 0;
  ASSERT_TRUE(lookup(t, k[0], v));
  EXPECT_EQ(v, 5u);
  ASSERT_TRUE(lookup(t, k[1], v));
  EXPECT_EQ(v, 6u);
}

TEST(SpFlowCache, OnlyTheExactKeyHits) {
  SpFlowTable<SpKey4> t;
  t.init(4096);
  SpKey4 k = key4(0x0a000101, 1000);
  t.put(k, t.slot_of(k), 3);
  uint32_t v = 0;
  EXPECT_TRUE(lookup(t, k, v));
  SpKey4 other = k;
  other.dport = 2001;
  // Same bucket or not, a different key must miss: look it up in k's bucket too.
  EXPECT_FALSE(t.find(other, t.slot_of(k), v));
  EXPECT_FALSE(lookup(t, other, v));
}

TEST(SpFlowCache, OneEntryIsOneBucketOfTwo) {
  SpFlowTable<SpKey4> t;
  t.init(1);
  SpKey4 a = key4(1, 1), b = key4(2, 2), c = key4(3, 3);
  EXPECT_EQ(t.slot_of(a), 0u);
  EXPECT_EQ(t.slot_of(c), 0u);
  t.put(a, 0, 1);
  t.put(b, 0, 2);
  uint32_t v = 0;
  EXPECT_TRUE(lookup(t, a, v));
  EXPECT_TRUE(lookup(t, b, v));
  t.put(c, 0, 3);
  EXPECT_FALSE(lookup(t, a, v));
  EXPECT_TRUE(lookup(t, c, v));
  EXPECT_EQ(v, 3u);
}

}  // namespace
}  // namespace dpaccel
