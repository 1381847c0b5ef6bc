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

// The op after one on the contiguous GCM fast path, when it can go with it into a pair: one of
// the same session, one segment, in place (pairable() checks the rest).
bool pairs_with(const rte_crypto_op* op, const rte_crypto_op* next) noexcept {
  const rte_crypto_sym_op* sym = next->sym;
  return next->type == RTE_CRYPTO_OP_TYPE_SYMMETRIC &&
         next->sess_type == RTE_CRYPTO_OP_WITH_SESSION && sym->session == op->sym->session &&
         sym->m_src != nullptr && sym->m_src->nb_segs == 1 &&
         (sym->m_dst == nullptr || sym->m_dst == sym->m_src);
}

// An op's AEAD region as the pair path takes it, when the region lies inside its (one-segment)
// source buffer.
bool as_small(rte_crypto_op* op, const Session& s, QpEngine::SmallGcm& o) noexcept {
  rte_crypto_sym_op* sym = op->sym;
  if (uint64_t{sym->aead.data.offset} + sym->aead.data.length > sym->m_src->data_len) return false;
  o = {rte_pktmbuf_mtod_offset(sym->m_src, uint8_t*, sym->aead.data.offset), sym->aead.data.length,
       rte_crypto_op_ctod_offset(op, const uint8_t*, s.iv_offset), sym->aead.aad.data,
       sym->aead.digest.data};
  return true;
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
        // in one call where the session pairs them (as process_vec does).
        const GcmCall g(*s);
        SmallGcm a, b;
        if (g.pairs && i + 1 < n && pairs_with(op, ops[i + 1]) && as_small(op, *s, a) &&
            pairable(g, a) && as_small(ops[i + 1], *s, b) && pairable(g, b)) {
          Status two[2];
          gcm_pair(g, a, b, two);
          op->status = to_op_status(two[0]);
          ops[i + 1]->status = to_op_status(two[1]);
          errors += (two[0] != Status::Ok) + (two[1] != Status::Ok);
          ++i;  // the second op is done too
          continue;
        }
        uint8_t* d = rte_pktmbuf_mtod_offset(m, uint8_t*, sym->aead.data.offset);
        Status r = gcm_contiguous(g, d, d, uint64_t{sym->aead.data.offset} + sym->aead.data.length,
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
