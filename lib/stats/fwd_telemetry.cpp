#include "stats/fwd_telemetry.hpp"

#include <rte_telemetry.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "pipeline/gateway.hpp"

namespace dpaccel {

namespace {

std::atomic<Gateway*> g_gateway{nullptr};

int stats_cb(const char*, const char*, rte_tel_data* d) {
  Gateway* gw = g_gateway.load();
  if (!gw) return -ENODEV;
  FwdTotals t = gw->totals();
  rte_tel_data_start_dict(d);
  uint64_t rx = 0, tx = 0;
  for (unsigned p = 0; p < kMaxPorts; ++p) {
    rx += t.rx[p];
    tx += t.tx[p];
  }
  rte_tel_data_add_dict_u64(d, "rx", rx);
  rte_tel_data_add_dict_u64(d, "tx", tx);
  rte_tel_data_add_dict_u64(d, "outbound", t.outbound);
  rte_tel_data_add_dict_u64(d, "inbound", t.inbound);
  rte_tel_data_add_dict_u64(d, "bypass", t.bypass);
  rte_tel_data_add_dict_u64(d, "fragmented", t.fragmented);
  rte_tel_data_add_dict_u64(d, "fragments", t.fragments);
  rte_tel_data_add_dict_u64(d, "spd_cache_hits", t.spd_cache_hits);
  rte_tel_data_add_dict_u64(d, "spd_cache_misses", t.spd_cache_misses);
  rte_tel_data_add_dict_u64(d, "dropped", t.dropped());
  for (unsigned r = 0; r < kDropReasonCount; ++r)
    rte_tel_data_add_dict_u64(d, kDropReasonNames[r], t.drops[r]);
  return 0;
}

int ports_cb(const char*, const char*, rte_tel_data* d) {
  Gateway* gw = g_gateway.load();
  if (!gw) return -ENODEV;
  FwdTotals t = gw->totals();
  rte_tel_data_start_dict(d);
  for (uint16_t p = 0; p < kMaxPorts; ++p) {
    if (!gw->port(p).enabled) continue;
    rte_tel_data* c = rte_tel_data_alloc();
    if (!c) return -ENOMEM;
    rte_tel_data_start_dict(c);
    rte_tel_data_add_dict_string(c, "role", gw->port(p).unprotected ? "unprotected" : "protected");
    rte_tel_data_add_dict_u64(c, "rx", t.rx[p]);
    rte_tel_data_add_dict_u64(c, "tx", t.tx[p]);
    char name[16];
    std::snprintf(name, sizeof name, "port%u", p);
    rte_tel_data_add_dict_container(d, name, c, 0);
  }
  return 0;
}

int sa_cb(const char*, const char* params, rte_tel_data* d) {
  Gateway* gw = g_gateway.load();
  if (!gw) return -ENODEV;
  FwdTotals t = gw->totals();
  SaTable& sas = gw->sas();
  if (!params || !*params) {
    // Without a parameter: the SPIs, in SA index order.
    rte_tel_data_start_array(d, RTE_TEL_U64_VAL);
    for (size_t i = 0; i < sas.size(); ++i) rte_tel_data_add_array_u64(d, sas.at(i).cfg->spi);
    return 0;
  }
  char* end;
  unsigned long i = std::strtoul(params, &end, 10);
  if (*end || i >= sas.size()) return -EINVAL;
  const Sa& sa = sas.at(i);
  rte_tel_data_start_dict(d);
  rte_tel_data_add_dict_u64(d, "spi", sa.cfg->spi);
  rte_tel_data_add_dict_string(d, "dir", sa.dir == SaDirection::Inbound ? "in" : "out");
  rte_tel_data_add_dict_u64(d, "packets", t.sa[i].packets);
  rte_tel_data_add_dict_u64(d, "bytes", t.sa[i].bytes);
  rte_tel_data_add_dict_u64(d, "dropped", t.sa[i].dropped);
  if (sa.dir == SaDirection::Outbound)
    rte_tel_data_add_dict_u64(d, "seq", sa.seq.load(std::memory_order_relaxed));
  if (sa.ipcomp) {
    rte_tel_data_add_dict_u64(d, "ipcomp_cpi", sa.cfg->ipcomp.cpi);
    const IpcompCounters& c = t.sa[i].ipcomp;
#define DPACCEL_IPCOMP_TEL(name, help) rte_tel_data_add_dict_u64(d, "ipcomp_" #name, c.name);
    DPACCEL_IPCOMP_COUNTERS(DPACCEL_IPCOMP_TEL)
#undef DPACCEL_IPCOMP_TEL
    // 22.11's telemetry has no real numbers: the achieved ratio as text, "0" before any data.
    const uint64_t in = sa.dir == SaDirection::Outbound ? c.bytes_in : c.inflated_out;
    const uint64_t out = sa.dir == SaDirection::Outbound ? c.bytes_out : c.inflated_in;
    char ratio[32] = "0";
    if (out) std::snprintf(ratio, sizeof ratio, "%.3f", double(in) / double(out));
    rte_tel_data_add_dict_string(d, "ipcomp_ratio", ratio);
  } else
    rte_tel_data_add_dict_u64(d, "replay_top", sa.replay.top());
  return 0;
}

}  // namespace

void fwd_telemetry_attach(Gateway* gw) {
  static std::once_flag once;
  std::call_once(once, [] {
    // DPDK 22.11 refuses help texts of 128 characters or more without saying so: keep them short.
    rte_telemetry_register_cmd("/dpaccel/fwd/stats", stats_cb,
                               "Forwarder totals and drops by reason. No parameters");
    rte_telemetry_register_cmd("/dpaccel/fwd/ports", ports_cb, "Forwarder rx/tx per port");
    rte_telemetry_register_cmd("/dpaccel/fwd/sa", sa_cb,
                               "SPIs by SA index; with an index: that SA's counters");
  });
  g_gateway.store(gw);
}

}  // namespace dpaccel
