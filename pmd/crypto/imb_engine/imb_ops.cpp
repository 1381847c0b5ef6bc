// The rte_crypto_op front end of the engine, shared by every driver that runs ops on the CPU
// (crypto_dpaccel_cpu at enqueue, crypto_dpaccel_worker on its helper threads).
#include <rte_mbuf.h>

#include <algorithm>
#include <array>

#include <cryptodev_pmd.h>

#include "imb_engine.hpp"

namespace dpaccel::imb {
namespace {

// Describes an mbuf's data as segments: the mbuf itself when it is one segment, else segments
// taken from the pool. Returns the number of segments, 0 if the pool cannot hold the chain (then
// nothing is taken).
uint32_t describe(rte_mbuf* m, rte_crypto_vec* single, rte_crypto_vec* pool, uint32_t pool_size,
                  uint32_t& pool_used, const rte_crypto_vec*& out) noexcept {
  if (m->nb_segs == 1) [[likely]] {
    *single = {rte_pktmbuf_mtod(m, void*), rte_pktmbuf_iova(m), m->data_len, m->data_len};
    out = single;
    return 1;
  }
  if (m->nb_segs > pool_size - pool_used) return 0;
  rte_crypto_vec* v = pool + pool_used;
  uint32_t n = 0;
  for (rte_mbuf* s = m; s != nullptr; s = s->next, ++n)
    v[n] = {rte_pktmbuf_mtod(s, void*), rte_pktmbuf_iova(s), s->data_len, m->pkt_len};
  pool_used += n;
  out = v;
  return n;
}

// Whether op (of GCM session s, single-segment and in place: checked by the caller for the
// first op, by pairs_with() for the second) can go into a pair of small GCM ops: 32..64 bytes
// inside its buffer, and the digest and AAD pointers the call needs (the IV is in the op). Anything
// else takes the single-op path, whose checks then report what is wrong.
bool small_gcm_op(const rte_crypto_op* op, const Session& s) noexcept {
  const rte_crypto_sym_op* sym = op->sym;
  const rte_mbuf* m = sym->m_src;
  const uint32_t len = sym->aead.data.length;
  return len >= kVaesGcmMinLen && len <= kVaesGcmPairMaxLen &&
         uint64_t{sym->aead.data.offset} + len <= m->data_len && sym->aead.digest.data != nullptr &&
         (s.aad_len == 0 || sym->aead.aad.data != nullptr);
}

// The op after a small GCM op, when it is one of the same session to pair it with.
bool pairs_with(const rte_crypto_op* op, const rte_crypto_op* next, const Session& s) noexcept {
  const rte_crypto_sym_op* sym = next->sym;
  return next->type == RTE_CRYPTO_OP_TYPE_SYMMETRIC &&
         next->sess_type == RTE_CRYPTO_OP_WITH_SESSION && sym->session == op->sym->session &&
         sym->m_src != nullptr && sym->m_src->nb_segs == 1 &&
         (sym->m_dst == nullptr || sym->m_dst == sym->m_src) && small_gcm_op(next, s);
}

}  // namespace

uint32_t QpEngine::process_ops(rte_crypto_op* const* ops, uint32_t n) noexcept {
  std::array<Request, kMaxBatch> req;
  std::array<const Session*, kMaxBatch> sess;
  std::array<Status, kMaxBatch> st;
  std::array<rte_crypto_vec, kMaxBatch> src_single, dst_single;
  std::array<rte_crypto_op*, kMaxBatch> batch_ops;

  uint32_t errors = 0, i = 0;
  while (i < n) {
    uint32_t b = 0, pool_used = 0;
    for (; i < n && b < kMaxBatch; ++i) {
      rte_crypto_op* op = ops[i];
      rte_crypto_sym_op* sym = op->sym;
      if (op->type != RTE_CRYPTO_OP_TYPE_SYMMETRIC || op->sess_type != RTE_CRYPTO_OP_WITH_SESSION ||
          sym->session == nullptr) [[unlikely]] {
        op->status = RTE_CRYPTO_OP_STATUS_INVALID_SESSION;
        ++errors;
        continue;
      }
      const auto* s = static_cast<const Session*>(CRYPTODEV_GET_SYM_SESS_PRIV(sym->session));
      rte_mbuf* m = sym->m_src;
      if (m == nullptr) [[unlikely]] {
        op->status = RTE_CRYPTO_OP_STATUS_INVALID_ARGS;
        ++errors;
        continue;
      }
      if (s->path == Path::Gcm && m->nb_segs == 1 && (sym->m_dst == nullptr || sym->m_dst == m))
          [[likely]] {
        // ESP's common case: one call, no batching; two consecutive small ops of one session
        // in one call where the session pairs them (see process_vec).
        if (s->vaes_gcm && s->aad_len <= 16 && i + 1 < n && small_gcm_op(op, *s) &&
            pairs_with(op, ops[i + 1], *s)) {
          rte_crypto_op* op2 = ops[i + 1];
          rte_crypto_sym_op* sym2 = op2->sym;
          Status two[2];
          gcm_pair(
              GcmCall(*s), rte_pktmbuf_mtod_offset(m, uint8_t*, sym->aead.data.offset),
              sym->aead.data.length, rte_crypto_op_ctod_offset(op, const uint8_t*, s->iv_offset),
              sym->aead.aad.data, sym->aead.digest.data,
              rte_pktmbuf_mtod_offset(sym2->m_src, uint8_t*, sym2->aead.data.offset),
              sym2->aead.data.length, rte_crypto_op_ctod_offset(op2, const uint8_t*, s->iv_offset),
              sym2->aead.aad.data, sym2->aead.digest.data, two);
          op->status = to_op_status(two[0]);
          op2->status = to_op_status(two[1]);
          errors += (two[0] != Status::Ok) + (two[1] != Status::Ok);
          ++i;  // op2 is done too
          continue;
        }
        uint8_t* d = rte_pktmbuf_mtod_offset(m, uint8_t*, sym->aead.data.offset);
        Status r = gcm_contiguous(*s, d, d, uint64_t{sym->aead.data.offset} + sym->aead.data.length,
                                  m->data_len, sym->aead.data.length,
                                  rte_crypto_op_ctod_offset(op, const uint8_t*, s->iv_offset),
                                  sym->aead.aad.data, sym->aead.digest.data);
        op->status = to_op_status(r);
        errors += r != Status::Ok;
        continue;
      }
      Request& r = req[b];
      uint32_t seg_mark = pool_used;
      r.src_n = describe(sym->m_src, &src_single[b], seg_pool_, kSegPool, pool_used, r.src);
      r.dst = nullptr;
      r.dst_n = 0;
      if (sym->m_dst != nullptr && sym->m_dst != sym->m_src && r.src_n != 0)
        r.dst_n = describe(sym->m_dst, &dst_single[b], seg_pool_, kSegPool, pool_used, r.dst);
      if (r.src_n == 0 || (sym->m_dst != nullptr && sym->m_dst != sym->m_src && r.dst_n == 0)) {
        pool_used = seg_mark;
        if (b == 0) {  // a chain longer than the whole pool: refuse it
          op->status = RTE_CRYPTO_OP_STATUS_INVALID_ARGS;
          ++errors;
          continue;
        }
        break;  // process what we have; this op starts the next batch
      }
      r.iv = rte_crypto_op_ctod_offset(op, const uint8_t*, s->iv_offset);
      if (s->path != Path::Job) {
        r.cipher_off = sym->aead.data.offset;
        r.cipher_len = sym->aead.data.length;
        r.auth_off = 0;
        r.auth_len = 0;
        r.aad = sym->aead.aad.data;
        r.digest = sym->aead.digest.data;
      } else {
        r.cipher_off = sym->cipher.data.offset;
        r.cipher_len = sym->cipher.data.length;
        r.auth_off = sym->auth.data.offset;
        r.auth_len = sym->auth.data.length;
        r.aad = nullptr;
        r.digest = sym->auth.digest.data;
      }
      sess[b] = s;
      batch_ops[b] = op;
      ++b;
    }
    if (b == 0) continue;
    process(sess.data(), req.data(), st.data(), b);
    for (uint32_t k = 0; k < b; ++k) {
      batch_ops[k]->status = to_op_status(st[k]);
      errors += st[k] != Status::Ok;
    }
  }
  return errors;
}

}  // namespace dpaccel::imb
