// SPD verdicts by exact selector key, kept per worker lcore in front of rte_acl (the idea of
// VPP's IPsec SPD flow cache): a packet of a flow seen before costs one CRC32 hash and one key
// compare instead of a walk of the ACL trie. Direct-mapped: a colliding flow overwrites the
// slot, so the cache never grows and a miss only costs the hash. The SPD does not change while
// the gateway runs, so an entry never goes stale; a cache is per lcore, so no locks.
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
  // entries: 0 (off) or a power of two.
  void init(uint32_t entries) {
    slots_.assign(entries, Slot{});
    mask_ = entries ? entries - 1 : 0;
  }
  bool enabled() const { return !slots_.empty(); }
  uint32_t slot_of(const Key& k) const { return rte_hash_crc(&k, sizeof(Key), 0) & mask_; }
  bool find(const Key& k, uint32_t slot, uint32_t& verdict) const {
    const Slot& s = slots_[slot];
    if (s.verdict == kEmpty || std::memcmp(&s.key, &k, sizeof(Key)) != 0) return false;
    verdict = s.verdict;
    return true;
  }
  void put(const Key& k, uint32_t slot, uint32_t verdict) {
    slots_[slot].key = k;
    slots_[slot].verdict = verdict;
  }

 private:
  static constexpr uint32_t kEmpty = UINT32_MAX;  // never a verdict (SpVerdict values are small)
  struct Slot {
    Key key{};
    uint32_t verdict = kEmpty;
  };
  std::vector<Slot> slots_;
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
