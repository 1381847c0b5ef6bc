// crypto_dpaccel_cpu: vdev probe and remove, driver registration, devargs.
#include <bus_vdev_driver.h>

#include "cryptodev_vdev.hpp"
#include <rte_cpuflags.h>

#include <new>
#include <string>

#include "cpu_device.hpp"
#include "vdev_args.hpp"

namespace dpaccel::cpu {
namespace {

constexpr uint32_t kDefaultMaxQps = 8;

const std::vector<pmd::VdevArgSpec>& driver_keys() {
  static const std::vector<pmd::VdevArgSpec> keys{
      {"sync_api", "cpu_crypto (default) or raw_dp: which synchronous API the device offers"}};
  return keys;
}

uint64_t feature_flags(SyncApi api) noexcept {
  return imb::common_feature_flags() | (api == SyncApi::CpuCrypto ? RTE_CRYPTODEV_FF_SYM_CPU_CRYPTO
                                                                  : RTE_CRYPTODEV_FF_SYM_RAW_DP);
}

int probe(rte_vdev_device* vdev) noexcept {
  const char* vname = rte_vdev_device_name(vdev);
  if (vname == nullptr) return -EINVAL;
  pmd::VdevArgs args;
  if (int rc = pmd::parse_vdev_args(vname, rte_vdev_device_args(vdev), kDefaultMaxQps,
                                    driver_keys(), dpaccel_cpu_logtype, args);
      rc)
    return rc;
  SyncApi api = SyncApi::CpuCrypto;
  std::string_view sync = args.get("sync_api", "cpu_crypto");
  if (sync == "raw_dp") {
    api = SyncApi::RawDp;
  } else if (sync != "cpu_crypto") {
    CPU_LOG(ERR, "%s: sync_api=%.*s: expected cpu_crypto or raw_dp", vname,
            static_cast<int>(sync.size()), sync.data());
    return -EINVAL;
  }

  imb::MgrPtr setup_mgr = imb::make_manager(dpaccel_cpu_logtype);
  if (!setup_mgr) return -ENOMEM;

  rte_cryptodev* dev = nullptr;
  Device* d =
      pmd::create_cryptodev_vdev<Device>(vdev, args,
                                         {&g_dev_ops[api == SyncApi::RawDp], enqueue_burst,
                                          dequeue_burst, feature_flags(api), dpaccel_cpu_driver_id},
                                         dpaccel_cpu_logtype, &dev);
  if (d == nullptr) return -ENODEV;
  d->sync_api = api;
  d->max_nb_queue_pairs = static_cast<uint16_t>(args.max_nb_queue_pairs);
  d->socket_id = args.socket_id;
  d->setup.mgr = std::move(setup_mgr);
  d->setup.logtype = dpaccel_cpu_logtype;
  rte_cryptodev_pmd_probing_finish(dev);
  CPU_LOG(INFO, "%s: %u queue pairs, socket %d, IPsec-MB %s path, sync API %s", args.name.c_str(),
          args.max_nb_queue_pairs, args.socket_id, imb::arch_name(imb::process_arch()),
          api == SyncApi::RawDp ? "raw_dp" : "cpu_crypto");
  return 0;
}

int remove(rte_vdev_device* vdev) noexcept {
  return pmd::remove_cryptodev_vdev<Device>(vdev, g_dev_ops[0], dpaccel_cpu_logtype);
}

}  // namespace
}  // namespace dpaccel::cpu

// Registration, at global scope: DPDK's macros paste these names into identifiers. RTE_INIT
// constructors may run before dynamic initialisation, hence constinit.
uint8_t dpaccel_cpu_driver_id;
constinit cryptodev_driver dpaccel_cpu_crypto_driver{};
constinit rte_vdev_driver dpaccel_cpu_vdev_driver = {
    .next = {},
    .driver = {},
    .probe = dpaccel::cpu::probe,
    .remove = dpaccel::cpu::remove,
    .dma_map = nullptr,
    .dma_unmap = nullptr,
    .drv_flags = 0,
};

RTE_PMD_REGISTER_VDEV(crypto_dpaccel_cpu, dpaccel_cpu_vdev_driver);
RTE_PMD_REGISTER_PARAM_STRING(crypto_dpaccel_cpu,
                              "max_nb_queue_pairs=<int> socket_id=<int> name=<string> "
                              "sync_api=cpu_crypto|raw_dp");
RTE_PMD_REGISTER_CRYPTO_DRIVER(dpaccel_cpu_crypto_driver, dpaccel_cpu_vdev_driver.driver,
                               dpaccel_cpu_driver_id);
RTE_LOG_REGISTER(dpaccel_cpu_logtype, pmd.crypto.dpaccel_cpu, INFO);
