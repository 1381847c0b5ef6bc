// Hand-built AES-GCM ops (RFC 4106 shape: 12-byte IV, 8-byte AAD, 16-byte tag) on one session, for
// driver tests that need what the harness's jobs do not give: ops enqueued in chosen bursts, an op
// made invalid on purpose, a transform region smaller than its buffer. Owns the ops and their
// mbufs and gives them back to their pools.
#pragma once

#include <rte_cryptodev.h>
#include <rte_mbuf.h>

#include <chrono>
#include <cstring>
#include <vector>

#include "crypto_harness.hpp"
#include "crypto_spec.hpp"

namespace dpaccel::test {

// An ESP AES-128-GCM encrypt session on a device, with random key, IV and AAD from a seeded
// generator (which the test goes on using for its data); freed with the object.
struct GcmSession {
  GcmSession(uint8_t device, uint64_t seed)
      : dev(device),
        rng(seed),
        spec(esp_gcm128_spec()),
        m(random_material(spec, rng)),
        sess(make_session(dev, spec, m, true)) {}
  ~GcmSession() {
    if (sess) rte_cryptodev_sym_session_free(dev, sess);
  }
  GcmSession(const GcmSession&) = delete;
  GcmSession& operator=(const GcmSession&) = delete;

  uint8_t dev;
  std::mt19937_64 rng;
  Spec spec;
  Material m;
  void* sess;
};

class GcmOps {
 public:
  // One op per buffer in data, on gs's session and AAD (gs must outlive the ops); the transform
  // covers [offset, offset + length) of each (length 0: to the end); a buffer is `room` bytes long
  // when larger than its data (0: its data's size).
  GcmOps(const GcmSession& gs, const std::vector<Bytes>& data, uint32_t offset = 0,
         uint32_t length = 0, uint16_t room = 0)
      : ops_(data.size()), digests_(16 * data.size()) {
    void* sess = gs.sess;
    const Material& m = gs.m;
    ok_ = rte_crypto_op_bulk_alloc(pools().ops, RTE_CRYPTO_OP_TYPE_SYMMETRIC, ops_.data(),
                                   static_cast<uint16_t>(ops_.size())) == ops_.size();
    if (!ok_) {
      ops_.clear();
      return;
    }
    for (size_t i = 0; i < data.size(); ++i) {
      rte_crypto_op* op = ops_[i];
      rte_mbuf* mb = rte_pktmbuf_alloc(pools().mbufs);
      op->sym->m_src = mb;
      auto size = static_cast<uint16_t>(std::max<size_t>(data[i].size(), room));
      char* p = mb ? rte_pktmbuf_append(mb, size) : nullptr;
      if (p == nullptr) {
        ok_ = false;
        continue;
      }
      std::memcpy(p, data[i].data(), data[i].size());
      rte_crypto_op_attach_sym_session(op, sess);
      std::memcpy(rte_crypto_op_ctod_offset(op, uint8_t*, kIvOffset), m.iv.data(), 12);
      op->sym->aead.data = {offset, length ? length : static_cast<uint32_t>(size - offset)};
      op->sym->aead.digest.data = digests_.data() + 16 * i;
      op->sym->aead.aad.data = const_cast<uint8_t*>(m.aad.data());  // the session's, kept alive
    }
  }
  ~GcmOps() {
    for (auto* op : ops_) {
      rte_pktmbuf_free(op->sym->m_src);
      rte_crypto_op_free(op);
    }
  }
  GcmOps(const GcmOps&) = delete;
  GcmOps& operator=(const GcmOps&) = delete;

  bool ok() const { return ok_; }
  size_t size() const { return ops_.size(); }
  rte_crypto_op** data() { return ops_.data(); }
  rte_crypto_op* operator[](size_t i) const { return ops_[i]; }
  const uint8_t* digest(size_t i) const { return digests_.data() + 16 * i; }

 private:
  std::vector<rte_crypto_op*> ops_;
  Bytes digests_;
  bool ok_ = true;
};

// Dequeues from dev's queue pair `qp`, `step` at a time, until n ops came back or `patience`
// passed; returns them in the order they came.
inline std::vector<rte_crypto_op*> dequeue_n(uint8_t dev, uint16_t qp, size_t n,
                                             std::chrono::seconds patience, uint16_t step = 64) {
  std::vector<rte_crypto_op*> back;
  std::vector<rte_crypto_op*> buf(step);
  auto deadline = std::chrono::steady_clock::now() + patience;
  while (back.size() < n && std::chrono::steady_clock::now() < deadline) {
    uint16_t k = rte_cryptodev_dequeue_burst(dev, qp, buf.data(), step);
    back.insert(back.end(), buf.begin(), buf.begin() + k);
  }
  return back;
}

}  // namespace dpaccel::test
