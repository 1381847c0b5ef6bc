// What every dpaccel cryptodev vdev driver does the same way on removal.
#pragma once

#include <bus_vdev_driver.h>
#include <cryptodev_pmd.h>
#include <rte_log.h>

#include <cerrno>

namespace dpaccel::pmd {

// remove() of a cryptodev vdev: refuses a started device (DPDK's rule: stop it first) before
// touching anything, closes it with the driver's own dev_close, releases what the device object
// owns (DeviceT::release()), and destroys the cryptodev. rte_cryptodev_pmd_destroy() calls
// dev_close again and frees the private data without destructors: release() leaves an object
// that second close can still look at.
template <typename DeviceT>
int remove_cryptodev_vdev(rte_vdev_device* vdev, const rte_cryptodev_ops& ops,
                          int logtype) noexcept {
  const char* name = rte_vdev_device_name(vdev);
  if (name == nullptr) return -EINVAL;
  rte_cryptodev* dev = rte_cryptodev_pmd_get_named_dev(name);
  if (dev == nullptr) return -ENODEV;
  if (dev->data->dev_started) {
    rte_log(RTE_LOG_ERR, logtype, "%s: cannot remove a started device: stop it first\n", name);
    return -EBUSY;
  }
  ops.dev_close(dev);
  static_cast<DeviceT*>(dev->data->dev_private)->release();
  return rte_cryptodev_pmd_destroy(dev);
}

}  // namespace dpaccel::pmd
