// The burst processor of the IPsec-MB engine, one per queue pair (it owns an IMB_MGR, whose job
// queue is not thread-safe).
//
// Every front end (cryptodev enqueue, synchronous CPU crypto, raw data-path) turns its ops into
// Requests: data as segment lists plus regions, IV, AAD and digest pointers. process() then
//  - runs AES-GCM and ChaCha20-Poly1305 on contiguous data with one direct IPsec-MB call,
//  - feeds cipher/hash work to the multi-buffer job API for the whole burst and flushes once,
//  - walks segment lists chunk by chunk for AEAD (no copy), and linearises cipher+hash work
//    through a per-queue-pair bounce buffer (IPsec-MB 1.3 has no segmented HMAC),
//  - runs out-of-place AEAD directly into the destination; out-of-place cipher/hash copies the
//    op's region to the destination first and then works in place there.
// Nothing allocates, locks or logs per op; every request gets a Status.
#pragma once

#include <rte_crypto.h>
#include <rte_crypto_sym.h>

#include <cstdint>

#include "constant_time.hpp"
#include "imb_manager.hpp"
#include "imb_session.hpp"

namespace dpaccel::imb {

enum class Status : uint8_t {
  Ok,
  AuthFailed,   // tag mismatch
  InvalidArgs,  // a region outside the data, a CBC length not a multiple of 16, a missing pointer
  Error,        // IPsec-MB refused the job
};

inline rte_crypto_op_status to_op_status(Status s) noexcept {
  switch (s) {
    case Status::Ok: return RTE_CRYPTO_OP_STATUS_SUCCESS;
    case Status::AuthFailed: return RTE_CRYPTO_OP_STATUS_AUTH_FAILED;
    case Status::InvalidArgs: return RTE_CRYPTO_OP_STATUS_INVALID_ARGS;
    default: return RTE_CRYPTO_OP_STATUS_ERROR;
  }
}

struct Request {
  const rte_crypto_vec* src;
  const rte_crypto_vec* dst;  // nullptr: in place
  uint32_t src_n;
  uint32_t dst_n;
  uint32_t cipher_off, cipher_len;  // AEAD: the data to encrypt/decrypt
  uint32_t auth_off, auth_len;      // hash input; unused by AEAD
  const uint8_t* iv;
  const uint8_t* aad;
  uint8_t* digest;
};

// Sum of the segment lengths.
inline uint64_t total_len(const rte_crypto_vec* v, uint32_t n) noexcept {
  uint64_t t = 0;
  for (uint32_t i = 0; i < n; ++i) t += v[i].len;
  return t;
}

// Regions from head/tail offsets (CPU-crypto and raw data-path APIs). A head+tail longer than the
// data yields a region that process() rejects as InvalidArgs.
inline void set_regions_from_ofs(Request& r, union rte_crypto_sym_ofs ofs) noexcept {
  uint64_t total = total_len(r.src, r.src_n);
  auto region = [total](uint16_t head, uint16_t tail, uint32_t& off, uint32_t& len) {
    if (uint64_t{head} + tail > total || total > UINT32_MAX) {
      off = UINT32_MAX;
      len = 1;
    } else {
      off = head;
      len = static_cast<uint32_t>(total - head - tail);
    }
  };
  region(ofs.ofs.cipher.head, ofs.ofs.cipher.tail, r.cipher_off, r.cipher_len);
  region(ofs.ofs.auth.head, ofs.ofs.auth.tail, r.auth_off, r.auth_len);
}

class QpEngine {
 public:
  static constexpr uint32_t kMaxBatch = 64;           // requests per process() call
  static constexpr uint32_t kBounceSize = 64 * 1024;  // largest segmented cipher+hash op

  QpEngine() = default;
  QpEngine(const QpEngine&) = delete;
  QpEngine& operator=(const QpEngine&) = delete;
  ~QpEngine();

  // Returns false (after logging) when memory or a manager cannot be had.
  [[nodiscard]] bool init(int logtype) noexcept;
  IMB_MGR* manager() const noexcept { return mgr_.get(); }

  // What one IPsec-MB GCM call needs of a session. A loop takes a local copy once: read through
  // the session, the compiler would load it again after every (opaque) IPsec-MB call.
  struct GcmCall {
    aes_gcm_enc_dec_t oneshot;
    const gcm_key_data* key;
    const VaesGcmKey* vaes;  // nullptr: IPsec-MB for every op
    bool vaes_single;        // vaes also for single ops (else pairs only)
    uint64_t aad_len;
    uint64_t digest_len;
    bool encrypt;
    bool pairs;  // small ops may go two at a time (vaes_gcm, AAD of at most 16 bytes)
    explicit GcmCall(const Session& s) noexcept
        : oneshot(s.gcm_oneshot),
          key(&s.gcm_key),
          vaes(s.vaes_gcm ? &s.vaes_key : nullptr),
          vaes_single(s.vaes_single),
          aad_len(s.aad_len),
          digest_len(s.digest_len),
          encrypt(s.aead_encrypt),
          pairs(s.vaes_gcm && s.aad_len <= 16) {}
  };

  // The fast path every front end takes for the ESP common case: AES-GCM over one contiguous
  // buffer (in == out for in place). One IPsec-MB call, no Request built. len bytes at in and
  // out must be valid; data_len is what the op's buffer holds from in (for the bounds check).
  static Status gcm_contiguous(const GcmCall& g, const uint8_t* in, uint8_t* out, uint64_t end,
                               uint64_t data_len, uint32_t len, const uint8_t* iv,
                               const uint8_t* aad, uint8_t* digest) noexcept {
    if (end > data_len || digest == nullptr || iv == nullptr || (g.aad_len && aad == nullptr))
        [[unlikely]]
      return Status::InvalidArgs;
    alignas(16) uint8_t tag[16];
    if (g.vaes_single && len >= kVaesGcmMinLen) {
      if (g.encrypt) {
        vaes_gcm_encrypt(*g.vaes, out, in, len, iv, aad, g.aad_len, digest, g.digest_len);
        return Status::Ok;
      }
      vaes_gcm_decrypt(*g.vaes, out, in, len, iv, aad, g.aad_len, tag, g.digest_len);
    } else {
      struct gcm_context_data ctx;
      g.oneshot(g.key, &ctx, out, in, len, iv, aad, g.aad_len, g.encrypt ? digest : tag,
                g.digest_len);
    }
    if (g.encrypt) return Status::Ok;
    return pmd::tags_equal(tag, digest, g.digest_len) ? Status::Ok : Status::AuthFailed;
  }
  static Status gcm_contiguous(const Session& s, const uint8_t* in, uint8_t* out, uint64_t end,
                               uint64_t data_len, uint32_t len, const uint8_t* iv,
                               const uint8_t* aad, uint8_t* digest) noexcept {
    return gcm_contiguous(GcmCall(s), in, out, end, data_len, len, iv, aad, digest);
  }

  // One contiguous in-place GCM op as the pair path takes it: data..data + len inside its buffer
  // (checked by the front end that built it), its IV, AAD and digest.
  struct SmallGcm {
    uint8_t* data;
    uint64_t len;
    const void* iv;
    const void* aad;
    void* digest;
  };
  // Whether o can go through gcm_pair (g.pairs checked by the caller): kVaesGcmMinLen..
  // kVaesGcmPairMaxLen bytes and the pointers the call needs. The front ends (process_vec,
  // process_ops) share this one test; what fails it takes the single-op path, which reports
  // what is wrong.
  static bool pairable(const GcmCall& g, const SmallGcm& o) noexcept {
    return o.len >= kVaesGcmMinLen && o.len <= kVaesGcmPairMaxLen && o.iv != nullptr &&
           o.digest != nullptr && (g.aad_len == 0 || o.aad != nullptr);
  }
  // Two pairable ops of one session at once. st[0], st[1] receive their statuses.
  static void gcm_pair(const GcmCall& g, const SmallGcm& a, const SmallGcm& b,
                       Status* st) noexcept {
    alignas(16) uint8_t tags[2][16];
    auto* dg0 = static_cast<uint8_t*>(a.digest);
    auto* dg1 = static_cast<uint8_t*>(b.digest);
    const VaesGcmOp op[2] = {{a.data, a.data, a.len, static_cast<const uint8_t*>(a.iv),
                              static_cast<const uint8_t*>(a.aad), g.encrypt ? dg0 : tags[0]},
                             {b.data, b.data, b.len, static_cast<const uint8_t*>(b.iv),
                              static_cast<const uint8_t*>(b.aad), g.encrypt ? dg1 : tags[1]}};
    if (g.encrypt) {
      vaes_gcm_encrypt_pair(*g.vaes, op, g.aad_len, g.digest_len);
      st[0] = st[1] = Status::Ok;
      return;
    }
    vaes_gcm_decrypt_pair(*g.vaes, op, g.aad_len, g.digest_len);
    st[0] = pmd::tags_equal(tags[0], dg0, g.digest_len) ? Status::Ok : Status::AuthFailed;
    st[1] = pmd::tags_equal(tags[1], dg1, g.digest_len) ? Status::Ok : Status::AuthFailed;
  }

  // Processes n rte_crypto_ops of this driver's sessions in place, setting each op's status
  // (INVALID_SESSION for an op without one). Returns how many did not succeed. Any n.
  uint32_t process_ops(rte_crypto_op* const* ops, uint32_t n) noexcept;

  // Entries first..first+n of a rte_crypto_sym_vec (CPU-crypto and raw data-path APIs), all of
  // one session, any n. st receives n statuses.
  void process_vec(const Session& s, union rte_crypto_sym_ofs ofs, const rte_crypto_sym_vec& vec,
                   uint32_t first, uint32_t n, Status* st) noexcept;

  // n <= kMaxBatch. sess[i] belongs to req[i].
  void process(const Session* const* sess, const Request* req, Status* st, uint32_t n) noexcept;
  // Every request of one session (CPU crypto, raw data-path).
  void process(const Session& sess, const Request* req, Status* st, uint32_t n) noexcept;

 private:
  // process_vec for what its GCM loop does not take: other paths, SGL, out of place.
  void process_vec_general(const Session& s, union rte_crypto_sym_ofs ofs,
                           const rte_crypto_sym_vec& vec, uint32_t first, uint32_t n,
                           Status* st) noexcept;
  template <typename SessionOf>
  void run(SessionOf session_of, const Request* req, Status* st, uint32_t n) noexcept;
  Status aead_contiguous(const Session& s, const Request& r) noexcept;
  Status aead_segmented(const Session& s, const Request& r) noexcept;
  IMB_JOB* submit_job(const Session& s, const Request& r, uint8_t* base, uint32_t idx) noexcept;
  void drain(IMB_JOB* job, const Request* req, Status* st, bool flush) noexcept;
  Status job_segmented(const Session& s, const Request& r, const Request* req, Status* st,
                       uint32_t idx) noexcept;

  static constexpr uint32_t kSegPool = 512;  // segments of all SGL ops in one batch

  MgrPtr mgr_;
  uint8_t* bounce_ = nullptr;
  alignas(64) rte_crypto_vec seg_pool_[kSegPool];
  alignas(64) uint8_t digest_scratch_[kMaxBatch][64] = {};
};

}  // namespace dpaccel::imb
