// crypto_dpaccel_cpu: the device and queue-pair state, shared by the files of the driver.
#pragma once

#include <cryptodev_pmd.h>
#include <rte_cryptodev.h>
#include <rte_log.h>

#include <cstdint>
#include <mutex>

#include "completion_ring.hpp"
#include "imb_dev_ops.hpp"
#include "imb_engine.hpp"
#include "imb_manager.hpp"

extern int dpaccel_cpu_logtype;  // "pmd.crypto.dpaccel_cpu"
extern uint8_t dpaccel_cpu_driver_id;

namespace dpaccel::cpu {

#define CPU_LOG(level, fmt, ...) \
  rte_log(RTE_LOG_##level, dpaccel_cpu_logtype, "crypto_dpaccel_cpu: " fmt "\n", ##__VA_ARGS__)

inline constexpr char kDriverName[] = "crypto_dpaccel_cpu";

// Which synchronous API the device offers. DPDK 22.11 keeps sym_cpu_process and
// sym_get_raw_dp_ctx_size in one union of rte_cryptodev_ops, so one device can offer only one of
// them; the devarg sync_api= chooses (default cpu_crypto, which ipsec-secgw's cpu-crypto SAs use).
enum class SyncApi : uint8_t { CpuCrypto, RawDp };

struct Device {
  SyncApi sync_api = SyncApi::CpuCrypto;
  uint16_t max_nb_queue_pairs = 0;
  int socket_id = 0;
  imb::SessionSetup setup;

  // Frees what the device owns outside DPDK's memory. rte_cryptodev_pmd_destroy() frees the
  // device's private data (this object) without running destructors and calls dev_close first,
  // so remove() releases everything here and leaves an object dev_close may still look at.
  void release() noexcept { setup.mgr.reset(); }
};

struct RawCompletion {
  void* user_data;
  rte_crypto_op_status status;
};

struct QueuePair {
  imb::QpEngine engine;
  pmd::CompletionRing<rte_crypto_op*> done_ops;
  pmd::CompletionRing<RawCompletion> done_raw;
  rte_cryptodev_stats stats = {};
  uint16_t id = 0;
};

inline Device* device_of(rte_cryptodev* dev) {
  return static_cast<Device*>(dev->data->dev_private);
}

using imb::to_op_status;

// Defined in the driver's files.
extern rte_cryptodev_ops g_dev_ops[2];  // [0]: CPU crypto, [1]: raw data-path
uint16_t enqueue_burst(void* qp, rte_crypto_op** ops, uint16_t nb_ops) noexcept;
uint16_t dequeue_burst(void* qp, rte_crypto_op** ops, uint16_t nb_ops) noexcept;
uint32_t cpu_crypto_process(rte_cryptodev* dev, rte_cryptodev_sym_session* sess,
                            union rte_crypto_sym_ofs ofs, rte_crypto_sym_vec* vec) noexcept;
int raw_dp_ctx_size(rte_cryptodev* dev) noexcept;
int raw_dp_ctx_configure(rte_cryptodev* dev, uint16_t qp_id, rte_crypto_raw_dp_ctx* ctx,
                         enum rte_crypto_op_sess_type sess_type,
                         union rte_cryptodev_session_ctx session_ctx, uint8_t is_update) noexcept;

}  // namespace dpaccel::cpu
