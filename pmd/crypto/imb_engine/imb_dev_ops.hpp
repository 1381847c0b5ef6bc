// Control-path pieces every IPsec-MB-backed driver has in common: session set-up through a
// process-wide-architecture manager, session size and clear, device info. A driver's device
// struct holds a SessionSetup named `setup`; the templates below are its rte_cryptodev_ops entries.
#pragma once

#include <cryptodev_pmd.h>

#include <mutex>

#include "imb_capabilities.hpp"
#include "imb_manager.hpp"
#include "imb_session.hpp"

namespace dpaccel::imb {

struct SessionSetup {
  std::mutex
      lock;    // session creation may come from several threads; the manager is not shared-safe
  MgrPtr mgr;  // key expansion and precomputation only
  int logtype = 0;
};

inline Session* session_of(rte_cryptodev_sym_session* sess) noexcept {
  return static_cast<Session*>(CRYPTODEV_GET_SYM_SESS_PRIV(sess));
}

inline unsigned session_size(rte_cryptodev*) noexcept {
  return sizeof(Session);
}

template <typename DeviceT>
int session_configure(rte_cryptodev* dev, rte_crypto_sym_xform* xform,
                      rte_cryptodev_sym_session* sess) noexcept {
  auto& setup = static_cast<DeviceT*>(dev->data->dev_private)->setup;
  std::lock_guard lock(setup.lock);
  return configure_session(*session_of(sess), setup.mgr.get(), xform, setup.logtype);
}

inline void session_clear(rte_cryptodev*, rte_cryptodev_sym_session* sess) noexcept {
  clear_session(*session_of(sess));
}

// rte_cryptodev_info for a device of this engine.
inline void fill_info(rte_cryptodev* dev, uint8_t driver_id, uint16_t max_qps,
                      rte_cryptodev_info* info) noexcept {
  info->driver_id = driver_id;
  info->feature_flags = dev->feature_flags;
  info->capabilities = capabilities();
  info->max_nb_queue_pairs = max_qps;
  info->sym.max_nb_sessions = 0;  // no limit but memory
  info->min_mbuf_headroom_req = 0;
  info->min_mbuf_tailroom_req = 0;
}

// Feature flags every device of this engine has (plus the CPU's SIMD level).
uint64_t common_feature_flags() noexcept;

}  // namespace dpaccel::imb
