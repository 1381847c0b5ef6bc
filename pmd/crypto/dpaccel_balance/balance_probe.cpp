// crypto_dpaccel_balance: vdev probe and remove, driver registration, devargs.
#include <bus_vdev_driver.h>

#include "cryptodev_vdev.hpp"

#include <cstdio>
#include <new>
#include <string>

#include "balance_device.hpp"
#include "vdev_args.hpp"

namespace dpaccel::balance {
namespace {

constexpr uint32_t kDefaultMaxQps = 8;

const std::vector<pmd::VdevArgSpec>& driver_keys() {
  static const std::vector<pmd::VdevArgSpec> keys{
      {"cpu", "name of the CPU device (must offer synchronous CPU crypto)"},
      {"accel", "names of the accelerators, ':'-separated (up to 4)"},
      {"mode", "adaptive (default), cpu or accel: everything one way, for baselines"},
      {"stall_us",
       "an accelerator op older than this is run on the CPU (0: 50 x latency, >= 10 ms)"},
      {"accel_max_bytes", "larger ops always run on the CPU (default 2048)"},
      {"max_sessions", "sessions the balancer can hold (default 4096)"},
      {"ordering",
       "enable (default): ops come back in enqueue order per queue pair; disable: as they "
       "finish (an op at an accelerator then holds back no other)"},
      {"zero_copy",
       "1 (default): accelerators that take revocable ops get the application's data as it is; "
       "0: private copies for every accelerator"},
  };
  return keys;
}

int parse(const char* vname, const pmd::VdevArgs& args, Device& d) {
  uint64_t n = 0;
  for (const auto& [k, v] : args.extra) {
    bool ok = true;
    if (k == "cpu") {
      d.cpu_name = v;
      ok = !v.empty();
    } else if (k == "accel") {
      size_t start = 0;
      while (start <= v.size()) {
        size_t colon = v.find(':', start);
        std::string name =
            v.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
        ok &= !name.empty();
        d.accel_names.push_back(name);
        if (colon == std::string::npos) break;
        start = colon + 1;
      }
      ok &= d.accel_names.size() <= kMaxAccel;
    } else if (k == "mode") {
      if (v == "adaptive")
        d.mode = Mode::Adaptive;
      else if (v == "cpu")
        d.mode = Mode::Cpu;
      else if (v == "accel")
        d.mode = Mode::Accel;
      else
        ok = false;
    } else if (k == "stall_us") {
      ok = pmd::parse_uint(v, 60'000'000, n);
      d.stall_us = static_cast<uint32_t>(n);
    } else if (k == "max_sessions") {
      ok = pmd::parse_uint(v, 1u << 20, n) && n > 0;
      d.max_sessions = static_cast<uint32_t>(n);
    } else if (k == "ordering") {
      ok = v == "enable" || v == "disable";
      d.ordered = v != "disable";
    } else if (k == "zero_copy") {
      ok = v == "0" || v == "1";
      d.zero_copy = v == "1";
    } else if (k == "accel_max_bytes") {
      ok = pmd::parse_uint(v, 65535 - RTE_PKTMBUF_HEADROOM, n) && n >= 64;
      d.accel_max_bytes = static_cast<uint32_t>(n);
    }
    if (!ok) {
      const char* help = "";
      for (const auto& spec : driver_keys())
        if (spec.key == k) help = spec.help.data();
      BAL_LOG(ERR, "%s: %s=%s is not valid: %s", vname, k.c_str(), v.c_str(), help);
      return -EINVAL;
    }
  }
  if (d.cpu_name.empty()) {
    BAL_LOG(ERR, "%s: cpu=<device> is required (a device offering synchronous CPU crypto)", vname);
    return -EINVAL;
  }
  return 0;
}

int probe(rte_vdev_device* vdev) noexcept {
  const char* vname = rte_vdev_device_name(vdev);
  if (vname == nullptr) return -EINVAL;
  pmd::VdevArgs args;
  if (int rc = pmd::parse_vdev_args(vname, rte_vdev_device_args(vdev), kDefaultMaxQps,
                                    driver_keys(), dpaccel_balance_logtype, args);
      rc)
    return rc;
  Device parsed;
  parsed.accel_max_bytes = 2048;
  if (int rc = parse(vname, args, parsed); rc) return rc;

  // The CPU path handles every data layout; the accelerator path is used only where it can.
  constexpr uint64_t kFlags =
      RTE_CRYPTODEV_FF_SYMMETRIC_CRYPTO | RTE_CRYPTODEV_FF_SYM_OPERATION_CHAINING |
      RTE_CRYPTODEV_FF_IN_PLACE_SGL | RTE_CRYPTODEV_FF_OOP_SGL_IN_SGL_OUT |
      RTE_CRYPTODEV_FF_OOP_SGL_IN_LB_OUT | RTE_CRYPTODEV_FF_OOP_LB_IN_SGL_OUT |
      RTE_CRYPTODEV_FF_OOP_LB_IN_LB_OUT;
  rte_cryptodev* dev = nullptr;
  Device* d = pmd::create_cryptodev_vdev<Device>(
      vdev, args, {&g_dev_ops, enqueue_burst, dequeue_burst, kFlags, dpaccel_balance_driver_id},
      dpaccel_balance_logtype, &dev);
  if (d == nullptr) return -ENODEV;
  *d = std::move(parsed);
  d->max_nb_queue_pairs = static_cast<uint16_t>(args.max_nb_queue_pairs);
  d->socket_id = args.socket_id;
  rte_cryptodev_pmd_probing_finish(dev);
  return 0;
}

int remove(rte_vdev_device* vdev) noexcept {
  return pmd::remove_cryptodev_vdev<Device>(vdev, g_dev_ops, dpaccel_balance_logtype);
}

}  // namespace
}  // namespace dpaccel::balance

uint8_t dpaccel_balance_driver_id;
constinit cryptodev_driver dpaccel_balance_crypto_driver{};
constinit rte_vdev_driver dpaccel_balance_vdev_driver = {
    .next = {},
    .driver = {},
    .probe = dpaccel::balance::probe,
    .remove = dpaccel::balance::remove,
    .dma_map = nullptr,
    .dma_unmap = nullptr,
    .drv_flags = 0,
};

RTE_PMD_REGISTER_VDEV(crypto_dpaccel_balance, dpaccel_balance_vdev_driver);
RTE_PMD_REGISTER_PARAM_STRING(
    crypto_dpaccel_balance,
    "cpu=<cryptodev> accel=<cryptodev[:cryptodev...]> "
    "mode=adaptive|cpu|accel stall_us=<int> accel_max_bytes=<int> zero_copy=0|1 "
    "ordering=enable|disable "
    "max_sessions=<int> max_nb_queue_pairs=<int> socket_id=<int> "
    "name=<string>");
RTE_PMD_REGISTER_CRYPTO_DRIVER(dpaccel_balance_crypto_driver, dpaccel_balance_vdev_driver.driver,
                               dpaccel_balance_driver_id);
RTE_LOG_REGISTER(dpaccel_balance_logtype, pmd.crypto.dpaccel_balance, INFO);
