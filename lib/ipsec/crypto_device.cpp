#include "ipsec/crypto_device.hpp"

#include <rte_errno.h>

#include <atomic>

#include "common/log.hpp"

namespace dpaccel {

Result<std::unique_ptr<CryptoDevice>> CryptoDevice::open(uint8_t dev_id, const Params& p) {
  if (!rte_cryptodev_is_valid_dev(dev_id)) return errorf("crypto device %u does not exist", dev_id);
  std::unique_ptr<CryptoDevice> d(new CryptoDevice);
  d->dev_id_ = dev_id;
  d->name_ = rte_cryptodev_name_get(dev_id);
  rte_cryptodev_info info;
  rte_cryptodev_info_get(dev_id, &info);
  d->cpu_crypto_ = info.feature_flags & RTE_CRYPTODEV_FF_SYM_CPU_CRYPTO;
  if (info.max_nb_queue_pairs < p.nb_queue_pairs)
    return errorf("crypto device %s has %u queue pairs; %u worker lcores need one each",
                  d->name_.c_str(), info.max_nb_queue_pairs, p.nb_queue_pairs);
  int socket = p.socket == SOCKET_ID_ANY ? rte_cryptodev_socket_id(dev_id) : p.socket;
  if (socket < 0) socket = 0;
  rte_cryptodev_config conf{};
  conf.socket_id = socket;
  conf.nb_queue_pairs = p.nb_queue_pairs;
  if (int rc = rte_cryptodev_configure(dev_id, &conf); rc < 0)
    return errorf("crypto device %s: configure failed (%d)", d->name_.c_str(), rc);
  d->nb_qp_ = p.nb_queue_pairs;

  static std::atomic<unsigned> serial{0};
  unsigned n = serial++;
  std::string sp = "dpa_sess_" + std::to_string(n), op = "dpa_ops_" + std::to_string(n);
  d->sess_pool_ = rte_cryptodev_sym_session_pool_create(
      sp.c_str(), p.nb_sessions, rte_cryptodev_sym_get_private_session_size(dev_id), 0, 0, socket);
  if (!d->sess_pool_)
    return errorf("session pool for %s: %s", d->name_.c_str(), rte_strerror(rte_errno));
  d->op_pool_ = rte_crypto_op_pool_create(op.c_str(), RTE_CRYPTO_OP_TYPE_SYMMETRIC, p.nb_ops, 128,
                                          kOpPrivSize, socket);
  if (!d->op_pool_) return errorf("op pool for %s: %s", d->name_.c_str(), rte_strerror(rte_errno));
  const uint32_t depth = p.qp_descriptors;
  for (uint16_t q = 0; q < p.nb_queue_pairs; ++q) {
    rte_cryptodev_qp_conf qc{};
    qc.nb_descriptors = depth;
    qc.mp_session = d->sess_pool_;
    if (int rc = rte_cryptodev_queue_pair_setup(dev_id, q, &qc, socket); rc < 0)
      return errorf("crypto device %s: queue pair %u setup (%u descriptors) failed (%d)",
                    d->name_.c_str(), q, depth, rc);
  }
  if (int rc = rte_cryptodev_start(dev_id); rc < 0)
    return errorf("crypto device %s: start failed (%d)", d->name_.c_str(), rc);
  d->started_ = true;
  DPACCEL_LOG(INFO, ipsec, "crypto device %s: %u queue pairs, cpu-crypto %s", d->name_.c_str(),
              p.nb_queue_pairs, d->cpu_crypto_ ? "yes" : "no");
  return d;
}

CryptoDevice::~CryptoDevice() {
  stop();
  rte_mempool_free(op_pool_);
  rte_mempool_free(sess_pool_);
}

Result<void*> CryptoDevice::create_session(rte_crypto_sym_xform* xform) {
  void* s = rte_cryptodev_sym_session_create(dev_id_, xform, sess_pool_);
  if (!s) return errorf("%s", rte_strerror(rte_errno));
  return s;
}

void CryptoDevice::stop() {
  if (started_) rte_cryptodev_stop(dev_id_);
  started_ = false;
}

void CryptoDevice::free_session(void* sess) {
  if (sess) rte_cryptodev_sym_session_free(dev_id_, sess);
}

}  // namespace dpaccel
