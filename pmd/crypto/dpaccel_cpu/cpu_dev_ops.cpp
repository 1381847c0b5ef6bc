// crypto_dpaccel_cpu: control-path operations (configure, queue pairs, stats, sessions).
#include <rte_malloc.h>

#include <new>

#include "cryptodev_vdev.hpp"
#include "queue_pair_memory.hpp"

#include "cpu_device.hpp"

namespace dpaccel::cpu {
namespace {

int dev_configure(rte_cryptodev*, rte_cryptodev_config*) noexcept {
  return 0;
}
int dev_start(rte_cryptodev*) noexcept {
  return 0;
}
void dev_stop(rte_cryptodev*) noexcept {}

int qp_release(rte_cryptodev* dev, uint16_t qp_id) noexcept {
  auto* qp = static_cast<QueuePair*>(dev->data->queue_pairs[qp_id]);
  if (qp == nullptr) return 0;
  // Ops still waiting in the completion ring belong to the application, which must dequeue them
  // before releasing the queue pair (DPDK's rule); they are not freed here.
  if (uint32_t left = qp->done_ops.used_count() + qp->done_raw.used_count())
    CPU_LOG(WARNING, "%s qp %u released with %u completed ops not dequeued", dev->data->name, qp_id,
            left);
  pmd::delete_queue_pair(qp);
  dev->data->queue_pairs[qp_id] = nullptr;
  return 0;
}

int dev_close(rte_cryptodev* dev) noexcept {
  for (uint16_t q = 0; q < dev->data->nb_queue_pairs; ++q) qp_release(dev, q);
  return 0;
}

void dev_info(rte_cryptodev* dev, rte_cryptodev_info* info) noexcept {
  if (info != nullptr)
    imb::fill_info(dev, dpaccel_cpu_driver_id, device_of(dev)->max_nb_queue_pairs, info);
}

void stats_get(rte_cryptodev* dev, rte_cryptodev_stats* out) noexcept {
  pmd::sum_queue_pair_stats<QueuePair>(dev, out, [](QueuePair& qp) { return qp.stats; });
}

void stats_reset(rte_cryptodev* dev) noexcept {
  pmd::for_each_queue_pair<QueuePair>(dev, [](QueuePair& qp) { qp.stats = {}; });
}

int qp_setup(rte_cryptodev* dev, uint16_t qp_id, const rte_cryptodev_qp_conf* conf,
             int socket_id) noexcept {
  if (dev->data->queue_pairs[qp_id] != nullptr) qp_release(dev, qp_id);
  if (socket_id == SOCKET_ID_ANY) socket_id = device_of(dev)->socket_id;
  auto* qp = pmd::new_queue_pair<QueuePair>(socket_id);
  if (qp == nullptr) {
    CPU_LOG(ERR, "%s qp %u: out of memory on socket %d", dev->data->name, qp_id, socket_id);
    return -ENOMEM;
  }
  qp->id = qp_id;
  uint32_t depth = conf->nb_descriptors ? conf->nb_descriptors : 2048;
  if (!qp->engine.init(dpaccel_cpu_logtype) || !qp->done_ops.init(depth, socket_id) ||
      !qp->done_raw.init(depth, socket_id)) {
    CPU_LOG(ERR, "%s qp %u: cannot set up (depth %u)", dev->data->name, qp_id, depth);
    pmd::delete_queue_pair(qp);
    return -ENOMEM;
  }
  dev->data->queue_pairs[qp_id] = qp;
  return 0;
}

rte_cryptodev_ops make_ops(bool raw_dp) noexcept {
  rte_cryptodev_ops ops{};
  ops.dev_configure = dev_configure;
  ops.dev_start = dev_start;
  ops.dev_stop = dev_stop;
  ops.dev_close = dev_close;
  ops.dev_infos_get = dev_info;
  ops.stats_get = stats_get;
  ops.stats_reset = stats_reset;
  ops.queue_pair_setup = qp_setup;
  ops.queue_pair_release = qp_release;
  ops.sym_session_get_size = imb::session_size;
  ops.sym_session_configure = imb::session_configure<Device>;
  ops.sym_session_clear = imb::session_clear;
  if (raw_dp) {
    ops.sym_get_raw_dp_ctx_size = raw_dp_ctx_size;
    ops.sym_configure_raw_dp_ctx = raw_dp_ctx_configure;
  } else {
    ops.sym_cpu_process = cpu_crypto_process;
  }
  return ops;
}

}  // namespace

// Filled before any device is probed (probing happens after all constructors have run).
rte_cryptodev_ops g_dev_ops[2] = {make_ops(false), make_ops(true)};

}  // namespace dpaccel::cpu
