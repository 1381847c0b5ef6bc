// crypto_dpaccel_cpu: the cryptodev enqueue/dequeue path.
//
// Work is done at enqueue (there is nothing to wait for on a CPU); the finished ops wait in the
// queue pair's completion ring, in enqueue order, for dequeue. Enqueue accepts only as many ops as
// the ring has room for, so the application sees back-pressure exactly like a hardware queue.
#include <rte_mbuf.h>

#include <algorithm>
#include <array>

#include "cpu_device.hpp"

namespace dpaccel::cpu {

uint16_t enqueue_burst(void* qp_ptr, rte_crypto_op** ops, uint16_t nb_ops) noexcept {
  auto* qp = static_cast<QueuePair*>(qp_ptr);
  uint32_t n = std::min<uint32_t>(nb_ops, qp->done_ops.free_count());
  uint32_t errors = qp->engine.process_ops(ops, n);
  // Every accepted op, finished or refused, completes in enqueue order.
  for (uint32_t k = 0; k < n; ++k) qp->done_ops.slot(k) = ops[k];
  qp->done_ops.publish(n);
  qp->stats.enqueued_count += n;
  qp->stats.enqueue_err_count += nb_ops - n;
  qp->stats.dequeue_err_count += errors;
  return static_cast<uint16_t>(n);
}
uint16_t dequeue_burst(void* qp_ptr, rte_crypto_op** ops, uint16_t nb_ops) noexcept {
  auto* qp = static_cast<QueuePair*>(qp_ptr);
  uint32_t n = std::min<uint32_t>(nb_ops, qp->done_ops.used_count());
  for (uint32_t i = 0; i < n; ++i) ops[i] = qp->done_ops.peek(i);
  qp->done_ops.consume(n);
  qp->stats.dequeued_count += n;
  return static_cast<uint16_t>(n);
}

}  // namespace dpaccel::cpu
