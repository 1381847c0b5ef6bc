// compress_dpaccel_cpu: the device operations and the burst functions.
#include <rte_cpuflags.h>
#include <rte_malloc.h>

#include <cerrno>
#include <new>

#include "comp_device.hpp"

namespace dpaccel::comp {

namespace {

constexpr uint64_t kCompFeatures =
    RTE_COMP_FF_STATEFUL_COMPRESSION | RTE_COMP_FF_STATEFUL_DECOMPRESSION |
    RTE_COMP_FF_SHAREABLE_PRIV_XFORM | RTE_COMP_FF_HUFFMAN_FIXED | RTE_COMP_FF_HUFFMAN_DYNAMIC |
    RTE_COMP_FF_CRC32_CHECKSUM | RTE_COMP_FF_ADLER32_CHECKSUM | RTE_COMP_FF_CRC32_ADLER32_CHECKSUM |
    RTE_COMP_FF_OOP_SGL_IN_SGL_OUT | RTE_COMP_FF_OOP_SGL_IN_LB_OUT | RTE_COMP_FF_OOP_LB_IN_SGL_OUT;

const rte_compressdev_capabilities kCapabilities[] = {
    {RTE_COMP_ALGO_DEFLATE, kCompFeatures, {8, 15, 1}},
    {RTE_COMP_ALGO_LIST_END, 0, {0, 0, 0}},
};

int dev_configure(rte_compressdev*, rte_compressdev_config* c) {
  // Private xforms and streams are heap objects of ours: their pool sizes need nothing here.
  if (c->nb_queue_pairs == 0) return -EINVAL;
  return 0;
}
int dev_start(rte_compressdev*) {
  return 0;
}
void dev_stop(rte_compressdev*) {}

int qp_release(rte_compressdev* dev, uint16_t id) {
  auto* qp = static_cast<QueuePair*>(dev->data->queue_pairs[id]);
  if (!qp) return 0;
  if (qp->done.used_count())
    COMP_LOG(WARNING, "%s: queue pair %u released with %u ops not dequeued", dev->data->name, id,
             qp->done.used_count());
  rte_free(qp->level_buf);
  qp->~QueuePair();
  rte_free(qp);
  dev->data->queue_pairs[id] = nullptr;
  return 0;
}

int dev_close(rte_compressdev* dev) {
  for (uint16_t i = 0; i < dev->data->nb_queue_pairs; ++i) qp_release(dev, i);
  return 0;
}

void infos_get(rte_compressdev* dev, rte_compressdev_info* info) {
  info->driver_name = kDriverName;
  info->capabilities = kCapabilities;
  info->max_nb_queue_pairs = device_of(dev)->max_nb_queue_pairs;
  uint64_t ff = RTE_COMPDEV_FF_CPU_SSE;
  if (rte_cpu_get_flag_enabled(RTE_CPUFLAG_AVX2)) ff |= RTE_COMPDEV_FF_CPU_AVX2;
  if (rte_cpu_get_flag_enabled(RTE_CPUFLAG_AVX512F)) ff |= RTE_COMPDEV_FF_CPU_AVX512;
  info->feature_flags = ff;
}

void stats_get(rte_compressdev* dev, rte_compressdev_stats* s) {
  *s = {};
  for (uint16_t i = 0; i < dev->data->nb_queue_pairs; ++i) {
    auto* qp = static_cast<QueuePair*>(dev->data->queue_pairs[i]);
    if (!qp) continue;
    s->enqueued_count += qp->stats.enqueued_count;
    s->dequeued_count += qp->stats.dequeued_count;
    s->enqueue_err_count += qp->stats.enqueue_err_count;
    s->dequeue_err_count += qp->stats.dequeue_err_count;
  }
}

void stats_reset(rte_compressdev* dev) {
  for (uint16_t i = 0; i < dev->data->nb_queue_pairs; ++i)
    if (auto* qp = static_cast<QueuePair*>(dev->data->queue_pairs[i])) qp->stats = {};
}

int qp_setup(rte_compressdev* dev, uint16_t id, uint32_t max_inflight, int socket) {
  if (dev->data->queue_pairs[id]) qp_release(dev, id);
  void* mem = rte_zmalloc_socket("comp_dpaccel_qp", sizeof(QueuePair), RTE_CACHE_LINE_SIZE, socket);
  if (!mem) return -ENOMEM;
  auto* qp = new (mem) QueuePair();
  qp->id = id;
  qp->level_buf_size = ISAL_DEF_LVL3_DEFAULT;  // the largest level's buffer serves every level
  qp->level_buf =
      static_cast<uint8_t*>(rte_malloc_socket("comp_dpaccel_lvl", qp->level_buf_size, 64, socket));
  if (!qp->level_buf || !qp->done.init(max_inflight, socket)) {
    rte_free(qp->level_buf);
    qp->~QueuePair();
    rte_free(mem);
    return -ENOMEM;
  }
  isal_deflate_init(&qp->stream);
  isal_inflate_init(&qp->inflate);
  dev->data->queue_pairs[id] = qp;
  return 0;
}

int stream_create(rte_compressdev* dev, const rte_comp_xform* x, void** out) {
  if (!x || !out) return -EINVAL;
  PrivXform px;
  if (int rc = make_priv_xform(*x, px); rc) return rc;
  Stream* st = stream_new(px, dev->data->socket_id);
  if (!st) return -ENOMEM;
  *out = st;
  return 0;
}

int stream_free(rte_compressdev*, void* st) {
  stream_delete(static_cast<Stream*>(st));
  return 0;
}

int xform_create(rte_compressdev* dev, const rte_comp_xform* x, void** out) {
  if (!x || !out) return -EINVAL;
  auto* px = static_cast<PrivXform*>(
      rte_malloc_socket("comp_dpaccel_xform", sizeof(PrivXform), 0, dev->data->socket_id));
  if (!px) return -ENOMEM;
  if (int rc = make_priv_xform(*x, *px); rc) {
    rte_free(px);
    return rc;
  }
  *out = px;
  return 0;
}

int xform_free(rte_compressdev*, void* px) {
  rte_free(px);
  return 0;
}

}  // namespace

uint16_t enqueue_burst(void* qpv, rte_comp_op** ops, uint16_t n) {
  auto* qp = static_cast<QueuePair*>(qpv);
  // The work happens here (a CPU has nothing to wait for); finished ops wait in order in the
  // completion ring, and enqueue accepts only what fits in it, like a hardware queue.
  const uint32_t room = qp->done.free_count();
  if (n > room) {
    qp->stats.enqueue_err_count += n - room;
    n = uint16_t(room);
  }
  for (uint16_t i = 0; i < n; ++i) {
    process_op(*qp, ops[i]);
    qp->done.slot(i) = ops[i];
  }
  qp->done.publish(n);
  qp->stats.enqueued_count += n;
  return n;
}

uint16_t dequeue_burst(void* qpv, rte_comp_op** ops, uint16_t n) {
  auto* qp = static_cast<QueuePair*>(qpv);
  const uint32_t have = qp->done.used_count();
  if (n > have) n = uint16_t(have);
  for (uint16_t i = 0; i < n; ++i) {
    ops[i] = qp->done.peek(i);
    // OUT_OF_SPACE_RECOVERABLE is how a stateful op asks for more room, not a failure.
    const uint8_t s = ops[i]->status;
    if (s != RTE_COMP_OP_STATUS_SUCCESS && s != RTE_COMP_OP_STATUS_OUT_OF_SPACE_RECOVERABLE)
      ++qp->stats.dequeue_err_count;
  }
  qp->done.consume(n);
  qp->stats.dequeued_count += n;
  return n;
}

rte_compressdev_ops g_dev_ops = {
    dev_configure, dev_start,  dev_stop,      dev_close,   infos_get,    stats_get,  stats_reset,
    qp_setup,      qp_release, stream_create, stream_free, xform_create, xform_free,
};

}  // namespace dpaccel::comp
