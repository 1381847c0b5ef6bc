// What every dpaccel cryptodev vdev driver does the same way: creation from parsed devargs,
// removal, and walking its queue pairs (statistics, release).
#pragma once

#include <bus_vdev_driver.h>
#include <cryptodev_pmd.h>
#include <rte_log.h>

#include <cerrno>
#include <cstdio>
#include <new>
#include <string>

#include "vdev_args.hpp"

namespace dpaccel::pmd {

// The burst functions, operations, feature flags and driver id a new device gets.
struct CryptodevEntryPoints {
  const rte_cryptodev_ops* ops;
  enqueue_pkt_burst_t enqueue;
  dequeue_pkt_burst_t dequeue;
  uint64_t feature_flags;
  uint8_t driver_id;
};

// Creates the cryptodev of vdev as args say (name, socket, queue pairs), with a default DeviceT as
// its private data and e installed. Returns the DeviceT (the cryptodev in *out), or nullptr after
// logging. The caller fills its DeviceT, then calls rte_cryptodev_pmd_probing_finish(*out).
template <typename DeviceT>
DeviceT* create_cryptodev_vdev(rte_vdev_device* vdev, const VdevArgs& args,
                               const CryptodevEntryPoints& e, int logtype,
                               rte_cryptodev** out) noexcept {
  rte_cryptodev_pmd_init_params params{};
  std::snprintf(params.name, sizeof params.name, "%s", args.name.c_str());
  params.private_data_size = sizeof(DeviceT);
  params.socket_id = args.socket_id;
  params.max_nb_queue_pairs = args.max_nb_queue_pairs;
  rte_cryptodev* dev = rte_cryptodev_pmd_create(args.name.c_str(), &vdev->device, &params);
  if (dev == nullptr) {
    rte_log(RTE_LOG_ERR, logtype, "%s: cannot create the cryptodev\n", args.name.c_str());
    return nullptr;
  }
  auto* d = new (dev->data->dev_private) DeviceT();
  dev->driver_id = e.driver_id;
  dev->dev_ops = const_cast<rte_cryptodev_ops*>(e.ops);
  dev->enqueue_burst = e.enqueue;
  dev->dequeue_burst = e.dequeue;
  dev->feature_flags = e.feature_flags;
  *out = dev;
  return d;
}

// Calls f(qp) for every set-up queue pair of dev (QP: the driver's queue-pair type).
template <typename QP, typename F>
void for_each_queue_pair(rte_cryptodev* dev, F&& f) noexcept {
  for (uint16_t q = 0; q < dev->data->nb_queue_pairs; ++q)
    if (auto* qp = static_cast<QP*>(dev->data->queue_pairs[q])) f(*qp);
}

// rte_cryptodev_stats of dev: the sum of stats_of(qp) over its queue pairs.
template <typename QP, typename F>
void sum_queue_pair_stats(rte_cryptodev* dev, rte_cryptodev_stats* out, F&& stats_of) noexcept {
  *out = {};
  for_each_queue_pair<QP>(dev, [&](QP& qp) {
    rte_cryptodev_stats s = stats_of(qp);
    out->enqueued_count += s.enqueued_count;
    out->dequeued_count += s.dequeued_count;
    out->enqueue_err_count += s.enqueue_err_count;
    out->dequeue_err_count += s.dequeue_err_count;
  });
}

// remove() of a cryptodev vdev: refuses a started device (DPDK's rule: stop it first) before
// touching anything, closes it with the driver's own dev_close, releases what the device object
// owns (DeviceT::release()), and destroys the cryptodev. rte_cryptodev_pmd_destroy() calls
// dev_close again and frees the private data without destructors: release() leaves an object
// that second close can still look at.
template <typename DeviceT>
int remove_cryptodev_vdev(rte_vdev_device* vdev, const rte_cryptodev_ops& ops,
                          int logtype) noexcept {
  const char* vname = rte_vdev_device_name(vdev);
  if (vname == nullptr) return -EINVAL;
  const std::string created = created_device_name(vname, rte_vdev_device_args(vdev));
  const char* name = created.c_str();
  rte_cryptodev* dev = rte_cryptodev_pmd_get_named_dev(name);
  if (dev == nullptr) {
    rte_log(RTE_LOG_ERR, logtype, "%s: no cryptodev named %s to remove\n", vname, name);
    return -ENODEV;
  }
  if (dev->data->dev_started) {
    rte_log(RTE_LOG_ERR, logtype, "%s: cannot remove a started device: stop it first\n", name);
    return -EBUSY;
  }
  ops.dev_close(dev);
  static_cast<DeviceT*>(dev->data->dev_private)->release();
  return rte_cryptodev_pmd_destroy(dev);
}

}  // namespace dpaccel::pmd
