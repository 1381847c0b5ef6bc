// crypto_dpaccel_cpu: rte_telemetry command, readable with dpdk-telemetry.py:
//   /dpaccel/crypto_cpu/stats            -> dev_ids of the driver's devices
//   /dpaccel/crypto_cpu/stats,<dev_id>   -> device settings and per-queue-pair counters
#include <rte_telemetry.h>

#include "cpu_device.hpp"
#include "telemetry_table.hpp"

namespace dpaccel::cpu {
namespace {

int stats_cmd(const char*, const char* params, rte_tel_data* d) noexcept {
  if (params == nullptr || *params == '\0') return pmd::telemetry_list(d, dpaccel_cpu_driver_id);
  rte_cryptodev* dev = pmd::telemetry_device(params, dpaccel_cpu_driver_id);
  if (dev == nullptr) return -EINVAL;
  Device* dv = device_of(dev);
  rte_tel_data_start_dict(d);
  rte_tel_data_add_dict_string(d, "name", dev->data->name);
  rte_tel_data_add_dict_string(d, "sync_api",
                               dv->sync_api == SyncApi::RawDp ? "raw_dp" : "cpu_crypto");
  rte_tel_data_add_dict_string(d, "ipsec_mb_path", imb::arch_name(imb::process_arch()));
  rte_tel_data_add_dict_string(d, "aes_gcm", imb::vaes_gcm_use_name());
  rte_tel_data_add_dict_int(d, "started", dev->data->dev_started);
  using Q = QueuePair;
  pmd::add_qp_column<Q>(d, dev, "enqueued", [](Q& q) { return q.stats.enqueued_count; });
  pmd::add_qp_column<Q>(d, dev, "dequeued", [](Q& q) { return q.stats.dequeued_count; });
  pmd::add_qp_column<Q>(d, dev, "enqueue_refused", [](Q& q) { return q.stats.enqueue_err_count; });
  pmd::add_qp_column<Q>(d, dev, "failed_ops", [](Q& q) { return q.stats.dequeue_err_count; });
  pmd::add_qp_column<Q>(d, dev, "waiting", [](Q& q) {
    return uint64_t{q.done_ops.used_count()} + q.done_raw.used_count();
  });
  return 0;
}

}  // namespace
}  // namespace dpaccel::cpu

RTE_INIT(dpaccel_cpu_telemetry) {
  rte_telemetry_register_cmd("/dpaccel/crypto_cpu/stats", dpaccel::cpu::stats_cmd,
                             // DPDK 22.11 refuses help texts of 128 characters or more.
                             "Returns crypto_dpaccel_cpu dev_ids, or a device's settings and "
                             "queue-pair counters. Params: dev_id");
}
