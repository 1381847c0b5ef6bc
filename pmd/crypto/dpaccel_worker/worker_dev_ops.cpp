// crypto_dpaccel_worker: control path. Helper threads run between dev_start and dev_stop.
//
// Stop and close with ops in flight (documented behaviour): dev_stop waits until the helpers have
// processed every op already enqueued; those ops stay in the completion ring and are dequeued after
// the next dev_start. Releasing a queue pair (reconfigure, close) with ops not dequeued logs a
// warning and leaves those ops to the application, which owns them.
#include <rte_malloc.h>

#include <new>

#include "cryptodev_vdev.hpp"
#include "queue_pair_memory.hpp"

#include "worker_device.hpp"

namespace dpaccel::worker {
namespace {

int dev_configure(rte_cryptodev*, rte_cryptodev_config*) noexcept {
  return 0;
}
int dev_start(rte_cryptodev* dev) noexcept {
  return start_helpers(dev);
}
void dev_stop(rte_cryptodev* dev) noexcept {
  stop_helpers(dev);
}

int qp_release(rte_cryptodev* dev, uint16_t qp_id) noexcept {
  auto* qp = static_cast<QueuePair*>(dev->data->queue_pairs[qp_id]);
  if (qp == nullptr) return 0;
  if (!device_of(dev)->helpers.empty()) stop_helpers(dev);  // never pull a queue pair from a helper
  if (uint64_t left = qp->enqueued - qp->dequeued)
    WRK_LOG(WARNING, "%s qp %u released with %lu ops not dequeued", dev->data->name, qp_id,
            static_cast<unsigned long>(left));
  pmd::delete_queue_pair(qp);
  dev->data->queue_pairs[qp_id] = nullptr;
  return 0;
}

int dev_close(rte_cryptodev* dev) noexcept {
  stop_helpers(dev);
  for (uint16_t q = 0; q < dev->data->nb_queue_pairs; ++q) qp_release(dev, q);
  return 0;
}

void dev_info(rte_cryptodev* dev, rte_cryptodev_info* info) noexcept {
  if (info != nullptr)
    imb::fill_info(dev, dpaccel_worker_driver_id, device_of(dev)->max_nb_queue_pairs, info);
}

void stats_get(rte_cryptodev* dev, rte_cryptodev_stats* out) noexcept {
  pmd::sum_queue_pair_stats<QueuePair>(dev, out, [](QueuePair& qp) { return qp.since_reset(); });
}

void stats_reset(rte_cryptodev* dev) noexcept {
  pmd::for_each_queue_pair<QueuePair>(dev, [](QueuePair& qp) { qp.at_reset = qp.totals(); });
}

int qp_setup(rte_cryptodev* dev, uint16_t qp_id, const rte_cryptodev_qp_conf* conf,
             int socket_id) noexcept {
  Device* d = device_of(dev);
  if (dev->data->queue_pairs[qp_id] != nullptr) qp_release(dev, qp_id);
  if (socket_id == SOCKET_ID_ANY) socket_id = d->socket_id;
  auto* qp = pmd::new_queue_pair<QueuePair>(socket_id);
  if (qp == nullptr) {
    WRK_LOG(ERR, "%s qp %u: out of memory on socket %d", dev->data->name, qp_id, socket_id);
    return -ENOMEM;
  }
  qp->id = qp_id;
  uint32_t depth = conf->nb_descriptors ? conf->nb_descriptors : 2048;
  if (!qp->engine.init(dpaccel_worker_logtype) || !qp->submit.init(depth, socket_id) ||
      !qp->done.init(depth, socket_id)) {
    WRK_LOG(ERR, "%s qp %u: cannot set up (depth %u)", dev->data->name, qp_id, depth);
    pmd::delete_queue_pair(qp);
    return -ENOMEM;
  }
  // In flight never exceeds the completion ring, so a helper can always finish what it took.
  qp->max_inflight = d->model.max_inflight ? std::min(d->model.max_inflight, qp->done.capacity())
                                           : qp->done.capacity();
  qp->rng.seed(d->model.seed + qp_id);
  qp->next_stall = d->model.stall_ms ? d->model.stall_after : UINT64_MAX;
  dev->data->queue_pairs[qp_id] = qp;
  return 0;
}

rte_cryptodev_ops make_ops() noexcept {
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
  return ops;
}

}  // namespace

rte_cryptodev_ops g_dev_ops = make_ops();

}  // namespace dpaccel::worker
