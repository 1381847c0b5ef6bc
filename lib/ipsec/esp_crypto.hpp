// Handing ESP jobs to a cryptodev and reading what it did, for both of ipsec-secgw's crypto types:
// synchronous CPU-crypto (one rte_crypto_sym_vec per burst) and lookaside (one rte_crypto_op per
// packet, with the job's context in the op's private area). The gateway's worker and the
// encapsulation/decapsulation known-answer tests use exactly this code. Inline: it runs once per
// burst or packet on the fast path.
#pragma once

#include <rte_crypto.h>
#include <rte_cryptodev.h>

#include <cerrno>
#include <cstring>

#include "ipsec/crypto_device.hpp"
#include "ipsec/esp_job.hpp"
#include "ipsec/sa.hpp"

namespace dpaccel {

inline constexpr uint16_t kEspCryptoMaxBurst = 32;

// CPU-crypto: the device works on the n jobs in place and synchronously; res[i] says how each went.
// Up to kEspCryptoMaxBurst jobs per device call (its vectors live on the stack).
inline void esp_cpu_crypto(uint8_t dev_id, const Sa& sa, const EspJob* jobs, uint16_t n,
                           CryptoResult* res) {
  rte_crypto_vec vec[kEspCryptoMaxBurst];
  rte_crypto_sgl sgl[kEspCryptoMaxBurst];
  rte_crypto_va_iova_ptr iv[kEspCryptoMaxBurst], aad[kEspCryptoMaxBurst],
      digest[kEspCryptoMaxBurst];
  int32_t status[kEspCryptoMaxBurst];
  for (uint16_t base = 0; base < n; base += kEspCryptoMaxBurst) {
    const uint16_t k = n - base < kEspCryptoMaxBurst ? uint16_t(n - base) : kEspCryptoMaxBurst;
    for (uint16_t i = 0; i < k; ++i) {
      const EspJob& j = jobs[base + i];
      uint8_t* esp = rte_pktmbuf_mtod_offset(j.m, uint8_t*, j.c.esp_off);
      vec[i].base = esp;
      vec[i].iova = 0;  // CPU crypto works on virtual addresses: no per-packet IOVA lookups
      vec[i].len = j.c.len;
      sgl[i].vec = &vec[i];
      sgl[i].num = 1;
      iv[i].va = const_cast<uint8_t*>(j.iv);
      aad[i].va = const_cast<uint8_t*>(j.aad);
      digest[i].va = esp + j.c.len;
      digest[i].iova = 0;
    }
    rte_crypto_sym_vec sv{};
    sv.num = k;
    sv.src_sgl = sgl;
    sv.iv = iv;
    sv.aad = aad;
    sv.digest = digest;
    sv.status = status;
    rte_cryptodev_sym_cpu_crypto_process(dev_id, sa.session, sa.ofs, &sv);
    for (uint16_t i = 0; i < k; ++i)
      res[base + i] = status[i] == 0         ? CryptoResult::Ok
                      : status[i] == EBADMSG ? CryptoResult::AuthFailed
                                             : CryptoResult::Error;
  }
}

// Lookaside: fills one op (allocated from CryptoDevice::op_pool, so its private area has the
// kOp* layout) for job j of SA sa, in place on j.m.
inline void esp_fill_op(const Sa& sa, const EspJob& j, rte_crypto_op* op) {
  const uint32_t hdr = kEspHeaderLen + sa.iv_len;
  rte_crypto_sym_op* sym = op->sym;
  rte_crypto_op_attach_sym_session(op, sa.session);
  sym->m_src = j.m;
  sym->m_dst = nullptr;
  const uint32_t off = j.c.esp_off;
  uint8_t* digest = rte_pktmbuf_mtod_offset(j.m, uint8_t*, off + j.c.len);
  const rte_iova_t digest_iova = rte_pktmbuf_iova_offset(j.m, off + j.c.len);
  auto* iv = rte_crypto_op_ctod_offset(op, uint8_t*, kOpIvOffset);
  if (sa.aead) {
    std::memcpy(iv, j.iv, 12);
    auto* aad = rte_crypto_op_ctod_offset(op, uint8_t*, kOpAadOffset);
    std::memcpy(aad, j.aad, sa.aad_len);
    sym->aead.data.offset = off + hdr;
    sym->aead.data.length = j.c.len - hdr;
    sym->aead.digest.data = digest;
    sym->aead.digest.phys_addr = digest_iova;
    sym->aead.aad.data = aad;
    sym->aead.aad.phys_addr = rte_crypto_op_ctophys_offset(op, kOpAadOffset);
  } else {
    if (sa.iv_len) std::memcpy(iv, j.iv, sa.iv_len);
    if (sa.has_cipher) {
      sym->cipher.data.offset = off + hdr;
      sym->cipher.data.length = j.c.len - hdr - sa.sqh_len;
    }
    if (sa.has_auth) {
      sym->auth.data.offset = off;
      sym->auth.data.length = j.c.len;
      sym->auth.digest.data = digest;
      sym->auth.digest.phys_addr = digest_iova;
    }
  }
  std::memcpy(rte_crypto_op_ctod_offset(op, void*, kOpCtxOffset), &j.c, sizeof j.c);
}

// Lookaside, after dequeue: the job the op carried (packet and context; not the IV/AAD pointers,
// which only the device needed) and how the device finished it.
inline CryptoResult esp_job_from_op(const rte_crypto_op* op, EspJob& j) {
  j.m = op->sym->m_src;
  std::memcpy(&j.c, rte_crypto_op_ctod_offset(const_cast<rte_crypto_op*>(op), void*, kOpCtxOffset),
              sizeof j.c);
  return op->status == RTE_CRYPTO_OP_STATUS_SUCCESS       ? CryptoResult::Ok
         : op->status == RTE_CRYPTO_OP_STATUS_AUTH_FAILED ? CryptoResult::AuthFailed
                                                          : CryptoResult::Error;
}

}  // namespace dpaccel
