// crypto_dpaccel_worker: vdev probe and remove, driver registration, devargs.
#include <bus_vdev_driver.h>

#include "cryptodev_vdev.hpp"

#include <cstdio>
#include <new>
#include <string>

#include "vdev_args.hpp"
#include "worker_device.hpp"

namespace dpaccel::worker {
namespace {

constexpr uint32_t kDefaultMaxQps = 8;

void describe_model(const char* name, const DeviceModel& m) {
  std::string cpus;
  for (int c : m.cpus) {
    if (!cpus.empty()) cpus += ':';
    cpus += std::to_string(c);
  }
  WRK_LOG(INFO,
          "%s: helpers on CPUs %s; model: max_inflight %u, latency %u us, rate %lu ops/s %.3f "
          "Gbit/s, stall %u ms after %lu every %lu ops, error rate %.4f",
          name, cpus.empty() ? "(one, unpinned)" : cpus.c_str(), m.max_inflight, m.latency_us,
          static_cast<unsigned long>(m.rate_ops), m.rate_gbps, m.stall_ms,
          static_cast<unsigned long>(m.stall_after), static_cast<unsigned long>(m.stall_every),
          m.error_rate);
}

int probe(rte_vdev_device* vdev) noexcept {
  const char* vname = rte_vdev_device_name(vdev);
  if (vname == nullptr) return -EINVAL;
  pmd::VdevArgs args;
  if (int rc = pmd::parse_vdev_args(vname, rte_vdev_device_args(vdev), kDefaultMaxQps, model_keys(),
                                    dpaccel_worker_logtype, args);
      rc)
    return rc;
  DeviceModel model;
  if (int rc = parse_model(vname, args, dpaccel_worker_logtype, model); rc) return rc;
  imb::MgrPtr setup_mgr = imb::make_manager(dpaccel_worker_logtype);
  if (!setup_mgr) return -ENOMEM;

  rte_cryptodev* dev = nullptr;
  Device* d =
      pmd::create_cryptodev_vdev<Device>(vdev, args,
                                         {&g_dev_ops, enqueue_burst, dequeue_burst,
                                          imb::common_feature_flags(), dpaccel_worker_driver_id},
                                         dpaccel_worker_logtype, &dev);
  if (d == nullptr) return -ENODEV;
  d->model = std::move(model);
  d->max_nb_queue_pairs = static_cast<uint16_t>(args.max_nb_queue_pairs);
  d->socket_id = args.socket_id;
  d->setup.mgr = std::move(setup_mgr);
  d->setup.logtype = dpaccel_worker_logtype;
  rte_cryptodev_pmd_probing_finish(dev);
  describe_model(args.name.c_str(), d->model);
  return 0;
}

int remove(rte_vdev_device* vdev) noexcept {
  return pmd::remove_cryptodev_vdev<Device>(vdev, g_dev_ops, dpaccel_worker_logtype);
}

}  // namespace
}  // namespace dpaccel::worker

// Registration, at global scope: DPDK's macros paste these names into identifiers. RTE_INIT
// constructors may run before dynamic initialisation, hence constinit.
uint8_t dpaccel_worker_driver_id;
constinit cryptodev_driver dpaccel_worker_crypto_driver{};
constinit rte_vdev_driver dpaccel_worker_vdev_driver = {
    .next = {},
    .driver = {},
    .probe = dpaccel::worker::probe,
    .remove = dpaccel::worker::remove,
    .dma_map = nullptr,
    .dma_unmap = nullptr,
    .drv_flags = 0,
};

RTE_PMD_REGISTER_VDEV(crypto_dpaccel_worker, dpaccel_worker_vdev_driver);
RTE_PMD_REGISTER_PARAM_STRING(crypto_dpaccel_worker,
                              "max_nb_queue_pairs=<int> socket_id=<int> name=<string> "
                              "corelist=<cpu[:cpu|a-b]...> max_inflight=<int> latency_us=<int> "
                              "rate_ops=<int> rate_gbps=<float> stall_ms=<int> stall_after=<int> "
                              "stall_every=<int> error_rate=<0..1> seed=<int>");
RTE_PMD_REGISTER_CRYPTO_DRIVER(dpaccel_worker_crypto_driver, dpaccel_worker_vdev_driver.driver,
                               dpaccel_worker_driver_id);
RTE_LOG_REGISTER(dpaccel_worker_logtype, pmd.crypto.dpaccel_worker, INFO);
