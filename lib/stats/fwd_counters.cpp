#include "stats/fwd_counters.hpp"

namespace dpaccel {

FwdTotals sum_counters(const std::vector<LcoreCounters*>& lcores, size_t nb_sa) {
  FwdTotals t;
  t.sa.resize(nb_sa);
  for (const LcoreCounters* c : lcores) {
    for (unsigned r = 0; r < kDropReasonCount; ++r) t.drops[r] += load_relaxed(c->drops[r]);
    for (unsigned p = 0; p < kMaxPorts; ++p) {
      t.rx[p] += load_relaxed(c->rx[p]);
      t.tx[p] += load_relaxed(c->tx[p]);
    }
    t.outbound += load_relaxed(c->outbound);
    t.inbound += load_relaxed(c->inbound);
    t.bypass += load_relaxed(c->bypass);
    t.fragmented += load_relaxed(c->fragmented);
    t.fragments += load_relaxed(c->fragments);
    t.spd_cache_hits += load_relaxed(c->spd_cache_hits);
    t.spd_cache_misses += load_relaxed(c->spd_cache_misses);
    for (size_t i = 0; i < nb_sa && i < c->sa.size(); ++i) {
      t.sa[i].packets += load_relaxed(c->sa[i].packets);
      t.sa[i].bytes += load_relaxed(c->sa[i].bytes);
      t.sa[i].dropped += load_relaxed(c->sa[i].dropped);
#define DPACCEL_IPCOMP_SUM(name, help) t.sa[i].ipcomp.name += load_relaxed(c->sa[i].ipcomp.name);
      DPACCEL_IPCOMP_COUNTERS(DPACCEL_IPCOMP_SUM)
#undef DPACCEL_IPCOMP_SUM
    }
  }
  return t;
}

}  // namespace dpaccel
