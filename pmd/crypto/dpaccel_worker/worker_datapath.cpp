// crypto_dpaccel_worker: enqueue hands ops to the queue pair's helper; dequeue returns finished
// ops in enqueue order, holding back those whose modelled latency has not passed yet.
#include <algorithm>

#include <rte_cycles.h>

#include "worker_device.hpp"

namespace dpaccel::worker {

uint16_t enqueue_burst(void* qp_ptr, rte_crypto_op** ops, uint16_t nb_ops) noexcept {
  auto* qp = static_cast<QueuePair*>(qp_ptr);
  uint64_t inflight = qp->enqueued - qp->dequeued;
  uint64_t room = std::min<uint64_t>(qp->submit.free_count(), qp->max_inflight - inflight);
  auto n = static_cast<uint32_t>(std::min<uint64_t>(nb_ops, room));
  // An op in flight says so until a helper has run it, as DPDK's software drivers do (zuc,
  // kasumi): whoever looks at it before it is done (crypto_scheduler's ordering mode drains its
  // order ring up to the first op NOT_PROCESSED) must not see the status an application's reused
  // op kept from its last run.
  for (uint32_t k = 0; k < n; ++k) {
    ops[k]->status = RTE_CRYPTO_OP_STATUS_NOT_PROCESSED;
    qp->submit.slot(k) = ops[k];
  }
  qp->submit.publish(n);
  qp->enqueued += n;
  qp->enqueue_refused += nb_ops - n;
  return static_cast<uint16_t>(n);
}

uint16_t dequeue_burst(void* qp_ptr, rte_crypto_op** ops, uint16_t nb_ops) noexcept {
  auto* qp = static_cast<QueuePair*>(qp_ptr);
  uint32_t avail = std::min<uint32_t>(nb_ops, qp->done.used_count());
  if (avail == 0) return 0;
  uint64_t now = qp->done.peek(0).ready_tsc ? rte_rdtsc() : 0;
  uint32_t n = 0;
  for (; n < avail; ++n) {
    const Completion& c = qp->done.peek(n);
    if (c.ready_tsc > now) break;  // in order: later ops are not ready either
    ops[n] = c.op;
    qp->dequeue_errors += c.op->status != RTE_CRYPTO_OP_STATUS_SUCCESS;
  }
  qp->done.consume(n);
  qp->dequeued += n;
  return static_cast<uint16_t>(n);
}

}  // namespace dpaccel::worker
