// crypto_dpaccel_cpu: the raw data-path API (rte_cryptodev_raw_*), for devices probed with
// sync_api=raw_dp. Like the op path, work is done at enqueue and the results (the caller's
// user_data and a status) wait in the queue pair's raw completion ring, in enqueue order.
#include <algorithm>
#include <array>

#include "cpu_device.hpp"

namespace dpaccel::cpu {
namespace {

struct RawCtx {
  const imb::Session* session;
};

RawCtx* ctx_of(uint8_t* drv_ctx) noexcept {
  return reinterpret_cast<RawCtx*>(drv_ctx);
}

uint32_t raw_enqueue_burst(void* qp_ptr, uint8_t* drv_ctx, rte_crypto_sym_vec* vec,
                           union rte_crypto_sym_ofs ofs, void* user_data[],
                           int* enqueue_status) noexcept {
  auto* qp = static_cast<QueuePair*>(qp_ptr);
  const imb::Session& s = *ctx_of(drv_ctx)->session;
  uint32_t n = std::min(vec->num, qp->done_raw.free_count());
  std::array<imb::Status, imb::QpEngine::kMaxBatch> st;
  uint32_t errors = 0;
  for (uint32_t base = 0; base < n; base += imb::QpEngine::kMaxBatch) {
    uint32_t b = std::min<uint32_t>(n - base, imb::QpEngine::kMaxBatch);
    qp->engine.process_vec(s, ofs, *vec, base, b, st.data());
    for (uint32_t k = 0; k < b; ++k) {
      qp->done_raw.slot(base + k) = {user_data[base + k], to_op_status(st[k])};
      vec->status[base + k] = 0;  // accepted; the op's own result comes with dequeue
      errors += st[k] != imb::Status::Ok;
    }
  }
  for (uint32_t i = n; i < vec->num; ++i) vec->status[i] = -ENOSPC;
  qp->done_raw.publish(n);
  qp->stats.enqueued_count += n;
  qp->stats.enqueue_err_count += vec->num - n;
  qp->stats.dequeue_err_count += errors;
  *enqueue_status = 1;  // done: no enqueue_done needed
  return n;
}

int raw_enqueue(void* qp_ptr, uint8_t* drv_ctx, rte_crypto_vec* data_vec, uint16_t n_data_vecs,
                union rte_crypto_sym_ofs ofs, rte_crypto_va_iova_ptr* iv,
                rte_crypto_va_iova_ptr* digest, rte_crypto_va_iova_ptr* aad_or_auth_iv,
                void* user_data) noexcept {
  rte_crypto_sgl sgl{data_vec, n_data_vecs};
  int32_t status = 0;
  rte_crypto_sym_vec vec{};
  vec.num = 1;
  vec.src_sgl = &sgl;
  vec.iv = iv;
  vec.digest = digest;
  vec.aad = aad_or_auth_iv;
  vec.status = &status;
  int enq_status = 0;
  uint32_t n = raw_enqueue_burst(qp_ptr, drv_ctx, &vec, ofs, &user_data, &enq_status);
  return n == 1 ? 1 : -ENOSPC;
}

int raw_done(void*, uint8_t*, uint32_t) noexcept {
  return 0;
}

uint32_t raw_dequeue_burst(void* qp_ptr, uint8_t*, rte_cryptodev_raw_get_dequeue_count_t get_count,
                           uint32_t max_nb_to_dequeue,
                           rte_cryptodev_raw_post_dequeue_t post_dequeue, void** out_user_data,
                           uint8_t is_user_data_array, uint32_t* n_success,
                           int* dequeue_status) noexcept {
  auto* qp = static_cast<QueuePair*>(qp_ptr);
  uint32_t avail = qp->done_raw.used_count();
  *n_success = 0;
  *dequeue_status = 1;  // done: no dequeue_done needed
  if (avail == 0) return 0;
  uint32_t want = get_count ? get_count(qp->done_raw.peek(0).user_data) : max_nb_to_dequeue;
  uint32_t n = std::min(avail, want);
  uint32_t ok = 0;
  for (uint32_t i = 0; i < n; ++i) {
    const RawCompletion& c = qp->done_raw.peek(i);
    bool success = c.status == RTE_CRYPTO_OP_STATUS_SUCCESS;
    if (is_user_data_array) out_user_data[i] = c.user_data;
    if (post_dequeue) post_dequeue(c.user_data, i, success);
    ok += success;
  }
  if (!is_user_data_array && n) out_user_data[0] = qp->done_raw.peek(0).user_data;
  qp->done_raw.consume(n);
  qp->stats.dequeued_count += n;
  *n_success = ok;
  return n;
}

void* raw_dequeue(void* qp_ptr, uint8_t*, int* dequeue_status,
                  enum rte_crypto_op_status* op_status) noexcept {
  auto* qp = static_cast<QueuePair*>(qp_ptr);
  if (qp->done_raw.used_count() == 0) {
    *dequeue_status = 0;
    return nullptr;
  }
  RawCompletion c = qp->done_raw.peek(0);
  qp->done_raw.consume(1);
  qp->stats.dequeued_count += 1;
  *op_status = c.status;
  *dequeue_status = 1;
  return c.user_data;
}

}  // namespace

int raw_dp_ctx_size(rte_cryptodev*) noexcept {
  return sizeof(RawCtx);
}

int raw_dp_ctx_configure(rte_cryptodev* dev, uint16_t qp_id, rte_crypto_raw_dp_ctx* ctx,
                         enum rte_crypto_op_sess_type sess_type,
                         union rte_cryptodev_session_ctx session_ctx, uint8_t is_update) noexcept {
  if (sess_type != RTE_CRYPTO_OP_WITH_SESSION || session_ctx.crypto_sess == nullptr) {
    CPU_LOG(ERR, "%s: raw data-path needs a symmetric crypto session", dev->data->name);
    return -ENOTSUP;
  }
  auto* qp = static_cast<QueuePair*>(dev->data->queue_pairs[qp_id]);
  if (qp == nullptr) {
    CPU_LOG(ERR, "%s: raw data-path on queue pair %u, which is not set up", dev->data->name, qp_id);
    return -EINVAL;
  }
  ctx_of(ctx->drv_ctx_data)->session =
      static_cast<const imb::Session*>(CRYPTODEV_GET_SYM_SESS_PRIV(session_ctx.crypto_sess));
  if (is_update) return 0;
  ctx->qp_data = qp;
  ctx->enqueue = raw_enqueue;
  ctx->enqueue_burst = raw_enqueue_burst;
  ctx->enqueue_done = raw_done;
  ctx->dequeue = raw_dequeue;
  ctx->dequeue_burst = raw_dequeue_burst;
  ctx->dequeue_done = raw_done;
  return 0;
}

}  // namespace dpaccel::cpu
