#include "report.hpp"

#include <cinttypes>

namespace dpaccel::fwd {

namespace {
uint64_t sum(const std::array<uint64_t, kMaxPorts>& a) {
  uint64_t s = 0;
  for (auto v : a) s += v;
  return s;
}
}  // namespace

void print_stats_line(FILE* out, const FwdTotals& now, const FwdTotals& before, double seconds) {
  const uint64_t rx = sum(now.rx), tx = sum(now.tx);
  const double mpps_rx = double(rx - sum(before.rx)) / seconds / 1e6;
  const double mpps_tx = double(tx - sum(before.tx)) / seconds / 1e6;
  std::fprintf(out,
               "stats: rx %" PRIu64 " (%.3f Mpps) tx %" PRIu64 " (%.3f Mpps) outbound %" PRIu64
               " inbound %" PRIu64 " bypass %" PRIu64 " dropped %" PRIu64 "\n",
               rx, mpps_rx, tx, mpps_tx, now.outbound, now.inbound, now.bypass, now.dropped());
  std::fflush(out);
}

void print_final_report(FILE* out, Gateway& gw, const FwdTotals& t) {
  std::fprintf(out, "=== dpaccel-fwd final statistics ===\n");
  std::fprintf(out, "packets: rx %" PRIu64 " tx %" PRIu64 " dropped %" PRIu64 "\n", sum(t.rx),
               sum(t.tx), t.dropped());
  std::fprintf(out, "paths: outbound %" PRIu64 " inbound %" PRIu64 " bypass %" PRIu64 "\n",
               t.outbound, t.inbound, t.bypass);
  if (t.fragmented)
    std::fprintf(out,
                 "fragmented before encryption: %" PRIu64 " packets into %" PRIu64 " fragments\n",
                 t.fragmented, t.fragments);
  std::fprintf(out, "policy lookups: flow cache hits %" PRIu64 " misses (rte_acl) %" PRIu64 "\n",
               t.spd_cache_hits, t.spd_cache_misses);
  for (uint16_t p = 0; p < kMaxPorts; ++p)
    if (gw.port(p).enabled)
      std::fprintf(out, "port %u (%s): rx %" PRIu64 " tx %" PRIu64 "\n", p,
                   gw.port(p).unprotected ? "unprotected" : "protected", t.rx[p], t.tx[p]);
  std::fprintf(out, "drops by reason:\n");
  for (unsigned r = 0; r < kDropReasonCount; ++r)
    if (t.drops[r])
      std::fprintf(out, "  %-20s %" PRIu64 "  (%s)\n", kDropReasonNames[r], t.drops[r],
                   kDropReasonHelp[r]);
  if (!t.dropped()) std::fprintf(out, "  none\n");
  std::fprintf(out, "security associations:\n");
  for (size_t i = 0; i < gw.sas().size(); ++i) {
    const Sa& sa = gw.sas().at(i);
    std::fprintf(out,
                 "  sa %-3s spi %-10u packets %" PRIu64 " bytes %" PRIu64 " dropped %" PRIu64 "\n",
                 sa.dir == SaDirection::Inbound ? "in" : "out", sa.cfg->spi, t.sa[i].packets,
                 t.sa[i].bytes, t.sa[i].dropped);
    if (!sa.ipcomp) continue;
    const IpcompCounters& c = t.sa[i].ipcomp;
    if (sa.dir == SaDirection::Outbound)
      std::fprintf(out,
                   "    ipcomp cpi %u: compressed %" PRIu64 " too_small %" PRIu64
                   " not_smaller %" PRIu64 " probed %" PRIu64 " skipped %" PRIu64 " failed %" PRIu64
                   " bytes_in %" PRIu64 " bytes_out %" PRIu64 " ratio %.3f\n",
                   sa.cfg->ipcomp.cpi, c.compressed, c.too_small, c.not_smaller, c.probed,
                   c.skipped, c.failed, c.bytes_in, c.bytes_out,
                   c.bytes_out ? double(c.bytes_in) / double(c.bytes_out) : 0.0);
    else
      std::fprintf(out,
                   "    ipcomp cpi %u: decompressed %" PRIu64 " arrived_plain %" PRIu64
                   " bytes_in %" PRIu64 " bytes_out %" PRIu64 " ratio %.3f\n",
                   sa.cfg->ipcomp.cpi, c.decompressed, c.arrived_plain, c.inflated_in,
                   c.inflated_out,
                   c.inflated_in ? double(c.inflated_out) / double(c.inflated_in) : 0.0);
  }
  std::fflush(out);
}

}  // namespace dpaccel::fwd
