// Queue-pair objects of our drivers live in DPDK memory on the queue pair's NUMA socket, and are
// C++ objects: these two put one there and take it away again.
#pragma once

#include <rte_common.h>
#include <rte_malloc.h>

#include <new>

namespace dpaccel::pmd {

// A value-initialised QP on socket_id, or nullptr when that socket has no memory left.
template <typename QP>
QP* new_queue_pair(int socket_id) noexcept {
  void* mem = rte_zmalloc_socket("dpaccel_qp", sizeof(QP), RTE_CACHE_LINE_SIZE, socket_id);
  return mem ? new (mem) QP() : nullptr;
}

template <typename QP>
void delete_queue_pair(QP* qp) noexcept {
  if (qp == nullptr) return;
  qp->~QP();
  rte_free(qp);
}

}  // namespace dpaccel::pmd
