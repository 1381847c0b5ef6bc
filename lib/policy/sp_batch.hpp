// Policy lookups for a burst: packets of both families are added with the caller's index, one
// rte_acl call per family classifies them, and verdicts come back indexed like the burst, so the
// caller can go on in arrival order. With a flow cache, only the keys it does not hold go to
// rte_acl, and their verdicts are cached.
#pragma once

#include <rte_mbuf.h>

#include "packet/ip_packet.hpp"
#include "policy/sp_flow_cache.hpp"
#include "policy/spd.hpp"

namespace dpaccel {

template <uint16_t kMax>
class SpBatch {
 public:
  void add(const rte_mbuf* m, bool v6, uint16_t at) {
    if (!v6) {
      make_key4(m, k4_[n4_]);
      p4_[n4_] = &k4_[n4_].proto;
      at4_[n4_++] = at;
    } else {
      make_key6(m, k6_[n6_]);
      p6_[n6_] = &k6_[n6_].proto;
      at6_[n6_++] = at;
    }
  }
  // verdict[at] = SpVerdict for every packet added. With the cache disabled every key goes to
  // rte_acl and neither hits nor misses are counted.
  void classify(const Spd& spd, SaDirection dir, uint32_t* verdict, SpFlowCache& cache,
                uint64_t& hits, uint64_t& misses) {
    const bool on = cache.enabled();
    const uint16_t h = uint16_t(
        resolve(spd.get(dir, false), on ? &cache.v4(dir) : nullptr, p4_, at4_, n4_, verdict) +
        resolve(spd.get(dir, true), on ? &cache.v6(dir) : nullptr, p6_, at6_, n6_, verdict));
    if (on) {
      hits += h;
      misses += n4_ + n6_ - h;
    }
  }
  uint16_t size() const { return n4_ + n6_; }

 private:
  // Answers the keys the cache t (null: none) holds, classifies the rest with rte_acl in one
  // call and caches them. The key pointers and indexes of the misses are compacted in place (each
  // points at its key, whose first member is proto). Returns the number of hits.
  template <typename Key>
  static uint16_t resolve(const SpClassifier& acl, SpFlowTable<Key>* t, const uint8_t** p,
                          uint16_t* at, uint16_t n, uint32_t* verdict) {
    uint32_t slot[kMax], r[kMax];
    uint16_t miss = n;
    if (t) {
      miss = 0;
      for (uint16_t k = 0; k < n; ++k) {
        const Key& key = *reinterpret_cast<const Key*>(p[k]);
        uint32_t s = t->slot_of(key), v;
        if (t->find(key, s, v)) {
          verdict[at[k]] = v;
          continue;
        }
        p[miss] = p[k];
        at[miss] = at[k];
        slot[miss++] = s;
      }
    }
    if (miss) {
      acl.classify(p, r, miss);
      for (uint16_t k = 0; k < miss; ++k) {
        verdict[at[k]] = r[k];
        if (t) t->put(*reinterpret_cast<const Key*>(p[k]), slot[k], r[k]);
      }
    }
    return uint16_t(n - miss);
  }

  SpKey4 k4_[kMax];
  SpKey6 k6_[kMax];
  const uint8_t* p4_[kMax];
  const uint8_t* p6_[kMax];
  uint16_t at4_[kMax], at6_[kMax];
  uint16_t n4_ = 0, n6_ = 0;
};

}  // namespace dpaccel
