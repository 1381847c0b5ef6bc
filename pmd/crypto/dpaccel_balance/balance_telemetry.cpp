// crypto_dpaccel_balance: rte_telemetry command, readable with dpdk-telemetry.py:
//   /dpaccel/crypto_balance/stats            -> dev_ids of the driver's devices
//   /dpaccel/crypto_balance/stats,<dev_id>   -> children, and per queue pair: ops and bytes per
//        path, spills, re-runs, late returns, and why it chose what it chose: the smallest size
//        (bytes) sent to the accelerator per kind of transform, and per accelerator (accelN_*)
//        its ops and bytes, measured rate, latency and the in-flight bound derived from them.
#include <rte_cycles.h>
#include <rte_telemetry.h>

#include <string>

#include "balance_device.hpp"
#include "telemetry_table.hpp"

namespace dpaccel::balance {
namespace {

uint64_t threshold_bytes(const QueuePair& q, Kind k) noexcept {
  int c = q.model.accel_threshold_class(k);
  return c >= kSizeClasses ? UINT64_MAX : (c == 0 ? 1 : (uint64_t{32} << c) + 1);
}

int stats_cmd(const char*, const char* params, rte_tel_data* d) noexcept {
  if (params == nullptr || *params == '\0')
    return pmd::telemetry_list(d, dpaccel_balance_driver_id);
  rte_cryptodev* dev = pmd::telemetry_device(params, dpaccel_balance_driver_id);
  if (dev == nullptr) return -EINVAL;
  const Device& dv = *device_of(dev);
  rte_tel_data_start_dict(d);
  rte_tel_data_add_dict_string(d, "name", dev->data->name);
  rte_tel_data_add_dict_string(d, "cpu", dv.cpu_name.c_str());
  std::string accels;
  for (const auto& n : dv.accel_names) accels += (accels.empty() ? "" : ":") + n;
  rte_tel_data_add_dict_string(d, "accel", accels.c_str());
  rte_tel_data_add_dict_string(d, "mode",
                               dv.mode == Mode::Cpu     ? "cpu"
                               : dv.mode == Mode::Accel ? "accel"
                                                        : "adaptive");
  using Q = QueuePair;
  uint64_t hz = rte_get_tsc_hz();
  pmd::add_qp_column<Q>(d, dev, "enqueued", [](Q& q) { return q.c.enqueued; });
  pmd::add_qp_column<Q>(d, dev, "dequeued", [](Q& q) { return q.c.dequeued; });
  pmd::add_qp_column<Q>(d, dev, "cpu_ops", [](Q& q) { return q.c.cpu_ops; });
  pmd::add_qp_column<Q>(d, dev, "cpu_bytes", [](Q& q) { return q.c.cpu_bytes; });
  pmd::add_qp_column<Q>(d, dev, "accel_ops", [](Q& q) {
    uint64_t s = 0;
    for (auto v : q.c.accel_ops) s += v;
    return s;
  });
  pmd::add_qp_column<Q>(d, dev, "accel_bytes", [](Q& q) {
    uint64_t s = 0;
    for (auto v : q.c.accel_bytes) s += v;
    return s;
  });
  pmd::add_qp_column<Q>(d, dev, "spills", [](Q& q) { return q.c.spills; });
  pmd::add_qp_column<Q>(d, dev, "reruns_error", [](Q& q) { return q.c.reruns_error; });
  pmd::add_qp_column<Q>(d, dev, "reruns_stall", [](Q& q) { return q.c.reruns_stall; });
  pmd::add_qp_column<Q>(d, dev, "late_returns", [](Q& q) { return q.c.late_returns; });
  pmd::add_qp_column<Q>(d, dev, "accel_zero_copy", [](Q& q) { return q.c.zero_copy; });
  // The regime guard (cost_model.hpp): the regime in force (regime_cpu_only: 1 while the CPU
  // alone is, regime_fill: 1 while every op the accelerators admit goes there), the op rates it
  // measured under each regime, and how often it changed its mind.
  using R = RegimeGuard::Regime;
  pmd::add_qp_column<Q>(d, dev, "regime_cpu_only",
                        [](Q& q) { return uint64_t{q.guard.main_regime() == R::Cpu}; });
  pmd::add_qp_column<Q>(d, dev, "regime_fill",
                        [](Q& q) { return uint64_t{q.guard.main_regime() == R::Fill}; });
  pmd::add_qp_column<Q>(d, dev, "regime_fill_ops_per_s",
                        [](Q& q) { return static_cast<uint64_t>(q.guard.rate(R::Fill)); });
  pmd::add_qp_column<Q>(d, dev, "regime_model_ops_per_s",
                        [](Q& q) { return static_cast<uint64_t>(q.guard.rate(R::Model)); });
  pmd::add_qp_column<Q>(d, dev, "regime_cpu_ops_per_s",
                        [](Q& q) { return static_cast<uint64_t>(q.guard.rate(R::Cpu)); });
  pmd::add_qp_column<Q>(d, dev, "regime_switches", [](Q& q) { return q.guard.switches(); });
  pmd::add_qp_column<Q>(d, dev, "accel_from_bytes_gcm",
                        [](Q& q) { return threshold_bytes(q, Kind::Gcm); });
  pmd::add_qp_column<Q>(d, dev, "accel_from_bytes_chacha",
                        [](Q& q) { return threshold_bytes(q, Kind::Chacha); });
  pmd::add_qp_column<Q>(d, dev, "accel_from_bytes_chained",
                        [](Q& q) { return threshold_bytes(q, Kind::Chained); });
  // Per accelerator, in `accel` order: what went there and what the model measured of it.
  for (size_t i = 0; i < dv.accel_names.size(); ++i) {
    const std::string a = "accel" + std::to_string(i);
    pmd::add_qp_column<Q>(d, dev, (a + "_ops").c_str(), [i](Q& q) { return q.c.accel_ops[i]; });
    pmd::add_qp_column<Q>(d, dev, (a + "_bytes").c_str(), [i](Q& q) { return q.c.accel_bytes[i]; });
    pmd::add_qp_column<Q>(d, dev, (a + "_rate_ops").c_str(),
                          [i](Q& q) { return uint64_t(q.gauge[i].rate_ops()); });
    pmd::add_qp_column<Q>(d, dev, (a + "_latency_ns").c_str(), [i, hz](Q& q) {
      return uint64_t(q.gauge[i].latency_cycles() * 1e9 / double(hz));
    });
    pmd::add_qp_column<Q>(d, dev, (a + "_inflight_bound").c_str(),
                          [i](Q& q) { return uint64_t(q.gauge[i].inflight_cap(kInflightFloor)); });
  }
  return 0;
}

}  // namespace
}  // namespace dpaccel::balance

RTE_INIT(dpaccel_balance_telemetry) {
  // DPDK 22.11 refuses help texts of 128 characters or more.
  rte_telemetry_register_cmd("/dpaccel/crypto_balance/stats", dpaccel::balance::stats_cmd,
                             "Returns crypto_dpaccel_balance dev_ids, or a device's split, "
                             "re-runs and model. Params: dev_id");
}
