// Policy lookups for a burst: packets of both families are added with the caller's index, one
// rte_acl call per family classifies them, and verdicts come back indexed like the burst, so the
// caller can go on in arrival order.
#pragma once

#include <rte_mbuf.h>

#include "packet/ip_packet.hpp"
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
  // verdict[at] = SpVerdict for every packet added.
  void classify(const Spd& spd, SaDirection dir, uint32_t* verdict) {
    uint32_t r[kMax];
    if (n4_) {
      spd.get(dir, false).classify(p4_, r, n4_);
      for (uint16_t k = 0; k < n4_; ++k) verdict[at4_[k]] = r[k];
    }
    if (n6_) {
      spd.get(dir, true).classify(p6_, r, n6_);
      for (uint16_t k = 0; k < n6_; ++k) verdict[at6_[k]] = r[k];
    }
  }
  uint16_t size() const { return n4_ + n6_; }

 private:
  SpKey4 k4_[kMax];
  SpKey6 k6_[kMax];
  const uint8_t* p4_[kMax];
  const uint8_t* p6_[kMax];
  uint16_t at4_[kMax], at6_[kMax];
  uint16_t n4_ = 0, n6_ = 0;
};

}  // namespace dpaccel
