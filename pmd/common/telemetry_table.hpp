// Helpers for the drivers' rte_telemetry commands ("/dpaccel/<driver>/stats,<dev_id>"): find the
// device a command names, and emit per-queue-pair counters as one array per counter (DPDK 22.11's
// telemetry nests only arrays inside a dict).
#pragma once

#include <cryptodev_pmd.h>
#include <rte_telemetry.h>

#include <cstdint>
#include <cstdlib>

namespace dpaccel::pmd {

// The cryptodev of driver_id named by params (a decimal dev_id); nullptr when there is none.
inline rte_cryptodev* telemetry_device(const char* params, uint8_t driver_id) noexcept {
  if (params == nullptr || *params == '\0') return nullptr;
  char* end = nullptr;
  unsigned long id = std::strtoul(params, &end, 10);
  if (*end != '\0' || id >= RTE_CRYPTO_MAX_DEVS) return nullptr;
  rte_cryptodev* dev = rte_cryptodev_pmd_get_dev(static_cast<uint8_t>(id));
  if (dev == nullptr || !dev->attached || dev->driver_id != driver_id) return nullptr;
  return dev;
}

// Without params: the dev_ids of every device of driver_id, as an array.
inline int telemetry_list(rte_tel_data* d, uint8_t driver_id) noexcept {
  rte_tel_data_start_array(d, RTE_TEL_INT_VAL);
  for (uint8_t id = 0; id < rte_cryptodev_count(); ++id) {
    rte_cryptodev* dev = rte_cryptodev_pmd_get_dev(id);
    if (dev != nullptr && dev->attached && dev->driver_id == driver_id)
      rte_tel_data_add_array_int(d, id);
  }
  return 0;
}

// Adds to dict d the array `name` = value(qp) for every set-up queue pair of dev, in qp order.
template <typename QueuePairT, typename Value>
int add_qp_column(rte_tel_data* d, rte_cryptodev* dev, const char* name, Value value) noexcept {
  rte_tel_data* col = rte_tel_data_alloc();
  if (col == nullptr) return -ENOMEM;
  rte_tel_data_start_array(col, RTE_TEL_U64_VAL);
  for (uint16_t q = 0; q < dev->data->nb_queue_pairs; ++q)
    if (auto* qp = static_cast<QueuePairT*>(dev->data->queue_pairs[q]))
      rte_tel_data_add_array_u64(col, value(*qp));
  return rte_tel_data_add_dict_container(d, name, col, 0);
}

}  // namespace dpaccel::pmd
