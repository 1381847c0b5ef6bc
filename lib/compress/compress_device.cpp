#include "compress/compress_device.hpp"

#include <rte_errno.h>

#include <atomic>

#include "common/log.hpp"

namespace dpaccel {

namespace {
constexpr uint8_t kWindowLog = 15;  // 32 KiB: decodes any DEFLATE stream
}

Result<std::unique_ptr<CompressDevice>> CompressDevice::open(uint8_t dev_id, const Params& p) {
  if (dev_id >= rte_compressdev_count()) return errorf("compress device %u does not exist", dev_id);
  std::unique_ptr<CompressDevice> d(new CompressDevice);
  d->dev_id_ = dev_id;
  d->name_ = rte_compressdev_name_get(dev_id);
  const char* name = d->name_.c_str();
  const rte_compressdev_capabilities* cap =
      rte_compressdev_capability_get(dev_id, RTE_COMP_ALGO_DEFLATE);
  if (!cap) return errorf("compress device %s does not do DEFLATE", name);
  // One xform serves every op of a worker's burst: the device must allow that.
  if (!(cap->comp_feature_flags & RTE_COMP_FF_SHAREABLE_PRIV_XFORM))
    return errorf(
        "compress device %s does not offer shareable private xforms "
        "(RTE_COMP_FF_SHAREABLE_PRIV_XFORM), which the forwarder's IPComp needs",
        name);
  if (cap->window_size.min > kWindowLog || cap->window_size.max < kWindowLog)
    return errorf("compress device %s: window sizes 2^%u..2^%u exclude the 32 KiB IPComp needs",
                  name, cap->window_size.min, cap->window_size.max);
  rte_compressdev_info info;
  rte_compressdev_info_get(dev_id, &info);
  if (info.max_nb_queue_pairs && info.max_nb_queue_pairs < p.nb_queue_pairs)
    return errorf("compress device %s has %u queue pairs; %u worker lcores need one each", name,
                  info.max_nb_queue_pairs, p.nb_queue_pairs);
  int socket = p.socket == SOCKET_ID_ANY ? rte_compressdev_socket_id(dev_id) : p.socket;
  if (socket < 0) socket = 0;
  rte_compressdev_config conf{};
  conf.socket_id = socket;
  conf.nb_queue_pairs = p.nb_queue_pairs;
  conf.max_nb_priv_xforms = p.nb_xforms;
  conf.max_nb_streams = 0;
  if (int rc = rte_compressdev_configure(dev_id, &conf); rc < 0)
    return errorf("compress device %s: configure failed (%d)", name, rc);
  d->nb_qp_ = p.nb_queue_pairs;
  for (uint16_t q = 0; q < p.nb_queue_pairs; ++q)
    if (int rc = rte_compressdev_queue_pair_setup(dev_id, q, p.qp_descriptors, socket); rc < 0)
      return errorf("compress device %s: queue pair %u setup failed (%d)", name, q, rc);
  static std::atomic<unsigned> serial{0};
  const std::string pool = "dpa_cops_" + std::to_string(serial++);
  d->op_pool_ = rte_comp_op_pool_create(pool.c_str(), p.nb_ops, 64, 0, socket);
  if (!d->op_pool_) return errorf("op pool for %s: %s", name, rte_strerror(rte_errno));
  if (int rc = rte_compressdev_start(dev_id); rc < 0)
    return errorf("compress device %s: start failed (%d)", name, rc);
  d->started_ = true;
  DPACCEL_LOG(INFO, ipsec, "compress device %s: %u queue pairs", name, p.nb_queue_pairs);
  return d;
}

CompressDevice::~CompressDevice() {
  stop();
  for (void* x : xforms_) rte_compressdev_private_xform_free(dev_id_, x);
  rte_mempool_free(op_pool_);
}

void CompressDevice::stop() {
  if (started_) rte_compressdev_stop(dev_id_);
  started_ = false;
}

Result<void*> CompressDevice::make_xform(const rte_comp_xform& x, const char* what) {
  void* priv = nullptr;
  if (int rc = rte_compressdev_private_xform_create(dev_id_, &x, &priv); rc < 0 || !priv)
    return errorf("compress device %s cannot create a %s xform (%d)", name_.c_str(), what, rc);
  xforms_.push_back(priv);
  return priv;
}

Result<void*> CompressDevice::deflate_xform(uint8_t level, rte_comp_huffman huffman) {
  rte_comp_xform x{};
  x.type = RTE_COMP_COMPRESS;
  x.compress.algo = RTE_COMP_ALGO_DEFLATE;
  x.compress.deflate.huffman = huffman;
  x.compress.level = level;
  x.compress.window_size = kWindowLog;
  x.compress.chksum = RTE_COMP_CHECKSUM_NONE;
  x.compress.hash_algo = RTE_COMP_HASH_ALGO_NONE;
  return make_xform(x, "DEFLATE compression");
}

Result<void*> CompressDevice::inflate_xform() {
  rte_comp_xform x{};
  x.type = RTE_COMP_DECOMPRESS;
  x.decompress.algo = RTE_COMP_ALGO_DEFLATE;
  x.decompress.window_size = kWindowLog;
  x.decompress.chksum = RTE_COMP_CHECKSUM_NONE;
  x.decompress.hash_algo = RTE_COMP_HASH_ALGO_NONE;
  return make_xform(x, "DEFLATE decompression");
}

}  // namespace dpaccel
