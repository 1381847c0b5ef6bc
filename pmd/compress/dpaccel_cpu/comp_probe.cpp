// compress_dpaccel_cpu: vdev probe and remove, driver registration, devargs.
#include <bus_vdev_driver.h>

#include "comp_device.hpp"
#include "vdev_args.hpp"

namespace dpaccel::comp {
namespace {

constexpr uint32_t kDefaultMaxQps = 8;

int probe(rte_vdev_device* vdev) noexcept {
  const char* vname = rte_vdev_device_name(vdev);
  if (!vname) return -EINVAL;
  pmd::VdevArgs args;
  static const std::vector<pmd::VdevArgSpec> no_keys;
  if (int rc = pmd::parse_vdev_args(vname, rte_vdev_device_args(vdev), kDefaultMaxQps, no_keys,
                                    dpaccel_comp_logtype, args);
      rc)
    return rc;
  rte_compressdev_pmd_init_params params{};
  std::snprintf(params.name, sizeof params.name, "%s", args.name.c_str());
  params.socket_id = args.socket_id;
  rte_compressdev* dev =
      rte_compressdev_pmd_create(params.name, &vdev->device, sizeof(Device), &params);
  if (!dev) {
    COMP_LOG(ERR, "%s: rte_compressdev_pmd_create failed", vname);
    return -ENODEV;
  }
  auto* d = new (dev->data->dev_private) Device();
  d->max_nb_queue_pairs = uint16_t(args.max_nb_queue_pairs);
  d->socket_id = args.socket_id;
  dev->dev_ops = &g_dev_ops;
  dev->enqueue_burst = enqueue_burst;
  dev->dequeue_burst = dequeue_burst;
  dev->feature_flags = RTE_COMPDEV_FF_CPU_SSE;
  COMP_LOG(INFO, "%s: %u queue pairs, socket %d, DEFLATE on ISA-L and a small-op encoder",
           params.name, args.max_nb_queue_pairs, args.socket_id);
  return 0;
}

int remove(rte_vdev_device* vdev) noexcept {
  const char* vname = rte_vdev_device_name(vdev);
  if (!vname) return -EINVAL;
  // Created under name= when the devargs give one (probe above), so looked up by that name.
  const std::string created = pmd::created_device_name(vname, rte_vdev_device_args(vdev));
  const char* name = created.c_str();
  rte_compressdev* dev = rte_compressdev_pmd_get_named_dev(name);
  if (!dev) {
    COMP_LOG(ERR, "%s: no compressdev named %s to remove", vname, name);
    return -ENODEV;
  }
  if (dev->data->dev_started) {
    COMP_LOG(ERR, "%s: stop the device before removing it", name);
    return -EBUSY;
  }
  return rte_compressdev_pmd_destroy(dev);
}

}  // namespace
}  // namespace dpaccel::comp

constinit rte_vdev_driver dpaccel_comp_vdev_driver = {
    .next = {},
    .driver = {},
    .probe = dpaccel::comp::probe,
    .remove = dpaccel::comp::remove,
    .dma_map = nullptr,
    .dma_unmap = nullptr,
    .drv_flags = 0,
};
// Referenced by programs that link the driver, so --as-needed keeps it.
int dpaccel_comp_driver_anchor = 1;

RTE_PMD_REGISTER_VDEV(compress_dpaccel_cpu, dpaccel_comp_vdev_driver);
RTE_PMD_REGISTER_PARAM_STRING(compress_dpaccel_cpu,
                              "max_nb_queue_pairs=<int> socket_id=<int> name=<string>");
RTE_LOG_REGISTER(dpaccel_comp_logtype, pmd.compress.dpaccel_cpu, INFO);
