// crypto_dpaccel_worker: device and queue-pair state, shared by the files of the driver.
//
// An asynchronous cryptodev whose work runs on helper threads. Each queue pair has a submission
// ring (application -> helper) and a completion ring (helper -> application), both single-producer
// single-consumer; each queue pair is served by exactly one helper, so ops complete in enqueue
// order. The helper runs the same IPsec-MB engine as crypto_dpaccel_cpu, then applies the device
// model (pacing, stalls, injected errors, added latency).
#pragma once

#include <cryptodev_pmd.h>
#include <rte_cryptodev.h>
#include <rte_log.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "completion_ring.hpp"
#include "imb_dev_ops.hpp"
#include "imb_engine.hpp"
#include "imb_manager.hpp"
#include "op_claim.hpp"
#include "worker_model.hpp"

extern int dpaccel_worker_logtype;  // "pmd.crypto.dpaccel_worker"
extern uint8_t dpaccel_worker_driver_id;

namespace dpaccel::worker {

#define WRK_LOG(level, fmt, ...)                                                       \
  rte_log(RTE_LOG_##level, dpaccel_worker_logtype, "crypto_dpaccel_worker: " fmt "\n", \
          ##__VA_ARGS__)

struct Completion {
  rte_crypto_op* op;
  uint64_t ready_tsc;  // not handed to dequeue before this TSC (the modelled latency)
};

struct QueuePair {
  static constexpr uint32_t kBurst = 32;
  // First: crypto_dpaccel_balance finds it here (op_claim.hpp). Once it has set an offset, the
  // helper takes each op's claim before running it and gives revoked ops back untouched.
  pmd::ClaimPort claim;
  // Application side (enqueue/dequeue thread).
  pmd::CompletionRing<rte_crypto_op*> submit;
  pmd::CompletionRing<Completion> done;
  uint64_t enqueued = 0, dequeued = 0;  // in flight = enqueued - dequeued; never reset
  uint64_t enqueue_refused = 0, dequeue_errors = 0;
  // rte_cryptodev_stats_reset() moves these instead of writing the datapath's counters, which
  // the application's threads may be updating meanwhile (and in-flight accounting needs whole).
  rte_cryptodev_stats at_reset{};
  rte_cryptodev_stats totals() const noexcept {
    return {enqueued, dequeued, enqueue_refused, dequeue_errors};
  }
  // What rte_cryptodev_stats_get and telemetry report: counts since the last reset.
  rte_cryptodev_stats since_reset() const noexcept {
    const rte_cryptodev_stats t = totals();
    return {t.enqueued_count - at_reset.enqueued_count, t.dequeued_count - at_reset.dequeued_count,
            t.enqueue_err_count - at_reset.enqueue_err_count,
            t.dequeue_err_count - at_reset.dequeue_err_count};
  }
  uint32_t max_inflight = 0;
  uint16_t id = 0;
  // Helper side, on its own cache lines (no false sharing with the application's counters).
  alignas(64) imb::QpEngine engine;
  uint64_t processed = 0;
  std::atomic<uint64_t> revoked{0};  // ops given back untouched: their submitter took them back
  uint64_t next_stall = 0;           // processed count at which the next stall starts (0: none)
  uint64_t stalled_until = 0;        // TSC: the injected stall in progress ends then (0: none)
  double tokens_ops = 0, tokens_bytes = 0;
  uint64_t last_refill_tsc = 0;
  std::mt19937_64 rng;
};

struct Device {
  DeviceModel model;
  uint16_t max_nb_queue_pairs = 0;
  int socket_id = 0;
  imb::SessionSetup setup;
  std::vector<std::thread> helpers;
  std::atomic<uint32_t> nb_helpers{0};  // helpers.size(), for telemetry's thread
  std::atomic<bool> running{false};
  uint64_t latency_tsc = 0;

  // Frees what the device owns outside DPDK's memory. rte_cryptodev_pmd_destroy() frees the
  // device's private data (this object) without running destructors and calls dev_close first,
  // so remove() releases everything here and leaves an object dev_close may still look at.
  void release() noexcept {
    setup.mgr.reset();
    std::vector<int>().swap(model.cpus);
    std::vector<std::thread>().swap(helpers);
  }
};

inline Device* device_of(rte_cryptodev* dev) {
  return static_cast<Device*>(dev->data->dev_private);
}

extern rte_cryptodev_ops g_dev_ops;
uint16_t enqueue_burst(void* qp, rte_crypto_op** ops, uint16_t nb_ops) noexcept;
uint16_t dequeue_burst(void* qp, rte_crypto_op** ops, uint16_t nb_ops) noexcept;
int start_helpers(rte_cryptodev* dev) noexcept;
void stop_helpers(rte_cryptodev* dev) noexcept;

}  // namespace dpaccel::worker
