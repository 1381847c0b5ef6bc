// crypto_dpaccel_worker: rte_telemetry command, readable with dpdk-telemetry.py:
//   /dpaccel/crypto_worker/stats            -> dev_ids of the driver's devices
//   /dpaccel/crypto_worker/stats,<dev_id>   -> the device model and per-queue-pair counters,
//                                              including ops in flight (for a balancer or operator)
#include <rte_telemetry.h>

#include "telemetry_table.hpp"
#include "worker_device.hpp"

namespace dpaccel::worker {
namespace {

int stats_cmd(const char*, const char* params, rte_tel_data* d) noexcept {
  if (params == nullptr || *params == '\0') return pmd::telemetry_list(d, dpaccel_worker_driver_id);
  rte_cryptodev* dev = pmd::telemetry_device(params, dpaccel_worker_driver_id);
  if (dev == nullptr) return -EINVAL;
  const DeviceModel& m = device_of(dev)->model;
  rte_tel_data_start_dict(d);
  rte_tel_data_add_dict_string(d, "name", dev->data->name);
  rte_tel_data_add_dict_int(d, "started", dev->data->dev_started);
  rte_tel_data_add_dict_int(
      d, "helpers", static_cast<int>(device_of(dev)->nb_helpers.load(std::memory_order_relaxed)));
  rte_tel_data_add_dict_u64(d, "max_inflight", m.max_inflight);
  rte_tel_data_add_dict_u64(d, "latency_us", m.latency_us);
  rte_tel_data_add_dict_u64(d, "rate_ops", m.rate_ops);
  rte_tel_data_add_dict_u64(d, "rate_mbps", static_cast<uint64_t>(m.rate_gbps * 1000));
  rte_tel_data_add_dict_u64(d, "stall_ms", m.stall_ms);
  rte_tel_data_add_dict_u64(d, "error_rate_ppm", static_cast<uint64_t>(m.error_rate * 1e6));
  using Q = QueuePair;
  pmd::add_qp_column<Q>(d, dev, "enqueued", [](Q& q) { return q.since_reset().enqueued_count; });
  pmd::add_qp_column<Q>(d, dev, "dequeued", [](Q& q) { return q.since_reset().dequeued_count; });
  pmd::add_qp_column<Q>(d, dev, "in_flight", [](Q& q) { return q.enqueued - q.dequeued; });
  pmd::add_qp_column<Q>(d, dev, "enqueue_refused",
                        [](Q& q) { return q.since_reset().enqueue_err_count; });
  pmd::add_qp_column<Q>(d, dev, "failed_ops",
                        [](Q& q) { return q.since_reset().dequeue_err_count; });
  pmd::add_qp_column<Q>(d, dev, "processed", [](Q& q) { return q.processed; });
  pmd::add_qp_column<Q>(d, dev, "revoked",
                        [](Q& q) { return q.revoked.load(std::memory_order_relaxed); });
  return 0;
}

}  // namespace
}  // namespace dpaccel::worker

RTE_INIT(dpaccel_worker_telemetry) {
  rte_telemetry_register_cmd("/dpaccel/crypto_worker/stats", dpaccel::worker::stats_cmd,
                             // DPDK 22.11 refuses help texts of 128 characters or more.
                             "Returns crypto_dpaccel_worker dev_ids, or a device's model and "
                             "queue-pair counters. Params: dev_id");
}
