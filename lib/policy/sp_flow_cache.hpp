// SPD verdicts by exact selector key, kept per worker lcore in front of rte_acl (the idea of
// VPP's IPsec SPD flow cache): a packet of a flow seen before costs one CRC32 hash and at most two
// key compares instead of a walk of the ACL trie. Two-way set associative: a bucket holds two
// flows, so two flows whose hashes collide both stay cached (direct-mapped, one pair of 64 test
// flows kept evicting each other: 1.6 % of inbound packets went to rte_acl); a third flow in a
// full bucket replaces the older entry. Bounded memory, no eviction work beyond one copy. The SPD
// does not change while the gateway runs, so an entry never goes stale; a cache is per lcore, so
// no locks.
#pragma once

#include <rte_hash_crc.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "ipsec/sa_config.hpp"
#include "policy/spd.hpp"

namespace dpaccel {

template <typename Key>
class SpFlowTable {
 public:
  // entries: 0 (off) or a power of two; the table has entries / 2 buckets of two (at least one).
  void init(uint32_t entries) {
    const uint32_t buckets = entries ? (entries > 1 ? entries / 2 : 1) : 0;
    buckets_.assign(buckets, Bucket{});
    mask_ = buckets ? buckets - 1 : 0;
  }
  bool enabled() const { return !buckets_.empty(); }
  uint32_t slot_of(const Key& k) const { return rte_hash_crc(&k, sizeof(Key), 0) & mask_; }
  bool find(const Key& k, uint32_t slot, uint32_t& verdict) const {
    const Bucket& b = buckets_[slot];
    for (int w = 0; w < 2; ++w) {
      if (b.verdict[w] != kEmpty && std::memcmp(&b.key[w], &k, sizeof(Key)) == 0) {
        verdict = b.verdict[w];
        return true;
      }
    }
    return false;
  }
  // Way 0 holds the newer entry: a new key moves way 0 to way 1 (dropping what way 1 held). Two
  // packets of one new flow in a burst both miss and are both put: the second only rewrites way 0.
  void put(const Key& k, uint32_t slot, uint32_t verdict) {
    Bucket& b = buckets_[slot];
    if (b.verdict[0] != kEmpty && std::memcmp(&b.key[0], &k, sizeof(Key)) != 0) {
      b.key[1] = b.key[0];
      b.verdict[1] = b.verdict[0];
    }
    b.key[0] = k;
    b.verdict[0] = verdict;
  }

 private:
  static constexpr uint32_t kEmpty = UINT32_MAX;  // never a verdict (SpVerdict values are small)
  // One cache line for IPv4 keys (2 x 16 + 8 bytes), two for IPv6 (2 x 40 + 8).
  struct alignas(64) Bucket {
    Key key[2]{};
    uint32_t verdict[2] = {kEmpty, kEmpty};
  };
  std::vector<Bucket> buckets_;
  uint32_t mask_ = 0;
};

// One worker's caches: per direction and IP family, with hit and miss counts.
class SpFlowCache {
 public:
  explicit SpFlowCache(uint32_t entries) {
    for (auto& t : v4_) t.init(entries);
    for (auto& t : v6_) t.init(entries);
  }
  bool enabled() const { return v4_[0].enabled(); }
  SpFlowTable<SpKey4>& v4(SaDirection d) { return v4_[d == SaDirection::Inbound]; }
  SpFlowTable<SpKey6>& v6(SaDirection d) { return v6_[d == SaDirection::Inbound]; }

 private:
  SpFlowTable<SpKey4> v4_[2];
  SpFlowTable<SpKey6> v6_[2];
};

}  // namespace dpaccel
