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

// Puts keys[i] with verdicts[i] in that order, then expects each listed key cached with its
// verdict.
void put_all(SpFlowTable<SpKey4>& t, const std::vector<SpKey4>& keys,
             const std::vector<uint32_t>& verdicts) {
  for (size_t i = 0; i < keys.size(); ++i) t.put(keys[i], t.slot_of(keys[i]), verdicts[i]);
}
void expect_cached(const SpFlowTable<SpKey4>& t, const SpKey4& k, uint32_t want) {
  uint32_t v = 0;
  EXPECT_TRUE(lookup(t, k, v));
  EXPECT_EQ(v, want);
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
  put_all(t, k, {7, 9});
  expect_cached(t, k[0], 7);
  expect_cached(t, k[1], 9);
}

TEST(SpFlowCache, ThirdFlowEvictsTheOlder) {
  SpFlowTable<SpKey4> t;
  t.init(64);
  auto k = colliding(t, 3);
  put_all(t, k, {10, 11, 12});
  uint32_t v = 0;
  EXPECT_FALSE(lookup(t, k[0], v));
  expect_cached(t, k[1], 11);
  expect_cached(t, k[2], 12);
}

TEST(SpFlowCache, PuttingAKeyTwiceKeepsTheOtherWay) {
  // Two packets of one new flow in a burst both miss and are both put.
  SpFlowTable<SpKey4> t;
  t.init(64);
  auto k = colliding(t, 2);
  put_all(t, {k[0], k[1], k[1]}, {5, 6, 6});
  expect_cached(t, k[0], 5);
  expect_cached(t, k[1], 6);
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
