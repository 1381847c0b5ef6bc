#include "imb_engine.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include <cstdlib>

#include <rte_log.h>

#include "constant_time.hpp"

namespace dpaccel::imb {
namespace {

// A position in a segment list, handing out contiguous chunks.
struct SegCursor {
  const rte_crypto_vec* v;
  uint32_t n;
  uint32_t i = 0;
  uint32_t off = 0;

  SegCursor(const rte_crypto_vec* vec, uint32_t count, uint64_t pos) noexcept : v(vec), n(count) {
    while (i < n && pos >= v[i].len) {
      pos -= v[i].len;
      ++i;
    }
    off = static_cast<uint32_t>(pos);
  }
  // Bytes available contiguously at the cursor; 0 at the end.
  uint32_t avail() noexcept {
    while (i < n && off == v[i].len) {
      ++i;
      off = 0;
    }
    return i < n ? v[i].len - off : 0;
  }
  uint8_t* ptr() const noexcept { return static_cast<uint8_t*>(v[i].base) + off; }
  void advance(uint32_t c) noexcept { off += c; }
};

// Copies len bytes starting at pos of a segment list into / out of a flat buffer.
void gather(const rte_crypto_vec* v, uint32_t n, uint64_t pos, uint8_t* out,
            uint32_t len) noexcept {
  SegCursor c(v, n, pos);
  while (len) {
    uint32_t k = std::min(c.avail(), len);
    std::memcpy(out, c.ptr(), k);
    c.advance(k);
    out += k;
    len -= k;
  }
}
void scatter(const rte_crypto_vec* v, uint32_t n, uint64_t pos, const uint8_t* in,
             uint32_t len) noexcept {
  SegCursor c(v, n, pos);
  while (len) {
    uint32_t k = std::min(c.avail(), len);
    std::memcpy(c.ptr(), in, k);
    c.advance(k);
    in += k;
    len -= k;
  }
}

struct Span {
  uint64_t begin, end;
};

// The bytes a request reads or writes in its data, given its session.
Span touched(const Session& s, const Request& r) noexcept {
  uint64_t b = UINT64_MAX, e = 0;
  if (s.has_cipher || s.path != Path::Job) {
    b = r.cipher_off;
    e = uint64_t{r.cipher_off} + r.cipher_len;
  }
  if (s.has_auth) {
    b = std::min<uint64_t>(b, r.auth_off);
    e = std::max<uint64_t>(e, uint64_t{r.auth_off} + r.auth_len);
  }
  if (b == UINT64_MAX) b = 0;
  return {b, e};
}

bool valid(const Session& s, const Request& r, const Span& t) noexcept {
  if (r.src == nullptr || r.src_n == 0) return false;
  uint64_t src_total = r.src_n == 1 ? r.src[0].len : total_len(r.src, r.src_n);
  if (t.end > src_total) return false;
  if ((s.has_cipher || s.path != Path::Job) && r.cipher_len % s.cipher_block != 0) return false;
  if (s.has_cipher && s.iv_len && r.iv == nullptr) return false;
  if (s.digest_len && (s.has_auth || s.path != Path::Job) && r.digest == nullptr) return false;
  if (s.aad_len && r.aad == nullptr) return false;
  // IPsec-MB 1.3 refuses HMAC over an empty message (an ESP packet is never empty).
  if ((s.hash_alg == IMB_AUTH_HMAC_SHA_1 || s.hash_alg == IMB_AUTH_HMAC_SHA_256) && r.auth_len == 0)
    return false;
  if (r.dst != nullptr) {
    if (r.dst_n == 0) return false;
    uint64_t dst_total = r.dst_n == 1 ? r.dst[0].len : total_len(r.dst, r.dst_n);
    if (t.end > dst_total) return false;
  }
  return true;
}

}  // namespace

QpEngine::~QpEngine() {
  std::free(bounce_);
}

bool QpEngine::init(int logtype) noexcept {
  mgr_ = make_manager(logtype);
  if (!mgr_) return false;
  // Plain heap, not rte_malloc: per-thread engines (CPU crypto) may outlive the EAL.
  bounce_ = static_cast<uint8_t*>(std::aligned_alloc(64, kBounceSize));
  if (bounce_ == nullptr) {
    rte_log(RTE_LOG_ERR, logtype, "cannot allocate the %u-byte bounce buffer\n", kBounceSize);
    return false;
  }
  return true;
}

Status QpEngine::aead_contiguous(const Session& s, const Request& r) noexcept {
  // AES-GCM only (contiguous ChaCha20-Poly1305 takes the job API); valid() checked the bounds.
  const uint8_t* in = static_cast<const uint8_t*>(r.src[0].base) + r.cipher_off;
  uint8_t* out = static_cast<uint8_t*>(r.dst ? r.dst[0].base : r.src[0].base) + r.cipher_off;
  return gcm_contiguous(s, in, out, 0, 0, r.cipher_len, r.iv, r.aad, r.digest);
}

Status QpEngine::aead_segmented(const Session& s, const Request& r) noexcept {
  IMB_MGR* m = mgr_.get();
  alignas(16) uint8_t tag[16];
  uint8_t* tag_out = s.aead_encrypt ? r.digest : tag;
  struct gcm_context_data gctx;
  struct chacha20_poly1305_context_data cctx;
  if (s.path == Path::Gcm)
    s.gcm_init(&s.gcm_key, &gctx, r.iv, r.aad, s.aad_len);
  else
    IMB_CHACHA20_POLY1305_INIT(m, s.chacha_key, &cctx, r.iv, r.aad, s.aad_len);

  SegCursor in(r.src, r.src_n, r.cipher_off);
  SegCursor out = r.dst ? SegCursor(r.dst, r.dst_n, r.cipher_off) : in;
  uint32_t left = r.cipher_len;
  while (left) {
    uint32_t k = std::min({in.avail(), out.avail(), left});
    if (s.path == Path::Gcm)
      s.gcm_update(&s.gcm_key, &gctx, out.ptr(), in.ptr(), k);
    else if (s.aead_encrypt)
      IMB_CHACHA20_POLY1305_ENC_UPDATE(m, s.chacha_key, &cctx, out.ptr(), in.ptr(), k);
    else
      IMB_CHACHA20_POLY1305_DEC_UPDATE(m, s.chacha_key, &cctx, out.ptr(), in.ptr(), k);
    in.advance(k);
    out.advance(k);
    left -= k;
  }
  if (s.path == Path::Gcm)
    s.gcm_finalize(&s.gcm_key, &gctx, tag_out, s.digest_len);
  else
    IMB_CHACHA20_POLY1305_ENC_FINALIZE(m, &cctx, tag_out, s.digest_len);
  if (s.aead_encrypt) return Status::Ok;
  return pmd::tags_equal(tag, r.digest, s.digest_len) ? Status::Ok : Status::AuthFailed;
}

IMB_JOB* QpEngine::submit_job(const Session& s, const Request& r, uint8_t* base,
                              uint32_t idx) noexcept {
  IMB_MGR* m = mgr_.get();
  IMB_JOB* job = IMB_GET_NEXT_JOB(m);
  job->cipher_direction = s.cipher_dir;
  job->chain_order = s.chain_order;
  job->hash_alg = s.hash_alg;
  job->src = base;
  job->iv = r.iv;
  job->iv_len_in_bytes = s.iv_len;
  job->user_data = const_cast<Session*>(&s);
  job->user_data2 = reinterpret_cast<void*>(uintptr_t{idx});
  if (s.path == Path::Chacha) {
    job->cipher_mode = IMB_CIPHER_CHACHA20_POLY1305;
    job->enc_keys = s.chacha_key;
    job->dec_keys = s.chacha_key;
    job->key_len_in_bytes = 32;
    job->dst = base + r.cipher_off;
    job->cipher_start_src_offset_in_bytes = r.cipher_off;
    job->msg_len_to_cipher_in_bytes = r.cipher_len;
    job->hash_start_src_offset_in_bytes = r.cipher_off;
    job->msg_len_to_hash_in_bytes = r.cipher_len;
    job->u.CHACHA20_POLY1305.aad = r.aad;
    job->u.CHACHA20_POLY1305.aad_len_in_bytes = s.aad_len;
    job->auth_tag_output = s.aead_encrypt ? r.digest : digest_scratch_[idx];
    job->auth_tag_output_len_in_bytes = s.digest_len;
  } else {
    bool cipher = s.cipher_mode != IMB_CIPHER_NULL && r.cipher_len != 0;
    job->cipher_mode = cipher ? s.cipher_mode : IMB_CIPHER_NULL;
    job->enc_keys = s.enc_keys;
    job->dec_keys = s.dec_keys;
    job->key_len_in_bytes = cipher ? s.key_len : 0;
    job->dst = base + (cipher ? r.cipher_off : 0);
    job->cipher_start_src_offset_in_bytes = cipher ? r.cipher_off : 0;
    job->msg_len_to_cipher_in_bytes = cipher ? r.cipher_len : 0;
    job->hash_start_src_offset_in_bytes = s.has_auth ? r.auth_off : 0;
    job->msg_len_to_hash_in_bytes = s.has_auth ? r.auth_len : 0;
    job->u.HMAC._hashed_auth_key_xor_ipad = s.ipad_state;
    job->u.HMAC._hashed_auth_key_xor_opad = s.opad_state;
    job->auth_tag_output = s.auth_verify ? digest_scratch_[idx] : r.digest;
    job->auth_tag_output_len_in_bytes = s.has_auth ? s.digest_len : 0;
  }
  // valid() has checked everything IPsec-MB's own checks would (regions, CBC block multiple,
  // non-empty HMAC input, pointers; sizes at session creation), as aesni_mb relies on too.
  return IMB_SUBMIT_JOB_NOCHECK(m);
}

// Records finished jobs, starting with `job` (the one a submit returned, if any) and then every
// other finished one (all of them when flush). Jobs finish in submission order.
void QpEngine::drain(IMB_JOB* job, const Request* req, Status* st, bool flush) noexcept {
  IMB_MGR* m = mgr_.get();
  for (;;) {
    if (job == nullptr) job = IMB_GET_COMPLETED_JOB(m);
    if (job == nullptr && flush) job = IMB_FLUSH_JOB(m);
    if (job == nullptr) return;
    const auto& s = *static_cast<const Session*>(job->user_data);
    auto idx = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(job->user_data2));
    if (job->status != IMB_STATUS_COMPLETED)
      st[idx] = Status::Error;
    else if (s.auth_verify || (s.path == Path::Chacha && !s.aead_encrypt))
      st[idx] = pmd::tags_equal(digest_scratch_[idx], req[idx].digest, s.digest_len)
                    ? Status::Ok
                    : Status::AuthFailed;
    else
      st[idx] = Status::Ok;
    job = nullptr;
  }
}

Status QpEngine::job_segmented(const Session& s, const Request& r, const Request* req, Status* st,
                               uint32_t idx) noexcept {
  Span t = touched(s, r);
  if (t.end > kBounceSize) return Status::InvalidArgs;
  auto len = static_cast<uint32_t>(t.end - t.begin);
  // The bounce buffer mirrors the op's data at the same offsets, so the job's offsets stay valid.
  gather(r.src, r.src_n, t.begin, bounce_ + t.begin, len);
  drain(submit_job(s, r, bounce_, idx), req, st, true);
  if (r.dst)
    scatter(r.dst, r.dst_n, t.begin, bounce_ + t.begin, len);
  else if (s.has_cipher)
    scatter(r.src, r.src_n, r.cipher_off, bounce_ + r.cipher_off, r.cipher_len);
  return st[idx];
}

template <typename SessionOf>
void QpEngine::run(SessionOf session_of, const Request* req, Status* st, uint32_t n) noexcept {
  bool jobs_pending = false;
  for (uint32_t i = 0; i < n; ++i) {
    const Session& s = session_of(i);
    const Request& r = req[i];
    Span t = touched(s, r);
    if (!valid(s, r, t)) [[unlikely]] {
      st[i] = Status::InvalidArgs;
      continue;
    }
    bool contiguous = r.src_n == 1 && (r.dst == nullptr || r.dst_n == 1);
    if (s.path == Path::Gcm || (s.path == Path::Chacha && !contiguous)) {
      st[i] = contiguous ? aead_contiguous(s, r) : aead_segmented(s, r);
      continue;
    }
    if (contiguous) {
      auto* base = static_cast<uint8_t*>(r.src[0].base);
      if (r.dst) {
        // Out of place: the destination receives the op's region, then the work runs there.
        auto* d = static_cast<uint8_t*>(r.dst[0].base);
        std::memmove(d + t.begin, base + t.begin, t.end - t.begin);
        base = d;
      }
      st[i] = Status::Error;  // overwritten when the job completes
      jobs_pending = true;
      drain(submit_job(s, r, base, i), req, st, false);
    } else {
      if (jobs_pending) drain(nullptr, req, st, true);
      jobs_pending = false;
      st[i] = job_segmented(s, r, req, st, i);
    }
  }
  if (jobs_pending) drain(nullptr, req, st, true);
}

void QpEngine::process_vec(const Session& s, union rte_crypto_sym_ofs ofs,
                           const rte_crypto_sym_vec& vec, uint32_t first, uint32_t n,
                           Status* st) noexcept {
  uint32_t head = ofs.ofs.cipher.head, tail = ofs.ofs.cipher.tail;
  if (s.path == Path::Gcm && vec.dest_sgl == nullptr && vec.iv && vec.digest) [[likely]] {
    // ESP's common case: in place, one segment, one IPsec-MB call per op. What the loop reads of
    // the session (GcmCall) and the vector is loaded once here: after the opaque call the compiler
    // would load it again for every op.
    const GcmCall gcm(s);
    const rte_crypto_sgl* sgl = vec.src_sgl + first;
    const rte_crypto_va_iova_ptr* ivs = vec.iv + first;
    const rte_crypto_va_iova_ptr* aads = vec.aad ? vec.aad + first : nullptr;
    const rte_crypto_va_iova_ptr* digests = vec.digest + first;
    // Entry i as one in-place op, when it is one segment holding head + tail.
    auto entry = [&](uint32_t i, SmallGcm& o) {
      if (sgl[i].num != 1 || uint64_t{head} + tail > sgl[i].vec[0].len) return false;
      o = {static_cast<uint8_t*>(sgl[i].vec[0].base) + head, sgl[i].vec[0].len - head - tail,
           ivs[i].va, aads ? aads[i].va : nullptr, digests[i].va};
      return true;
    };
    for (uint32_t k = 0; k < n; ++k) {
      // Not one segment (none, or several): the general path, before anything reads the segment.
      if (sgl[k].num != 1) [[unlikely]] {
        process_vec_general(s, ofs, vec, first + k, 1, st + k);
        continue;
      }
      const rte_crypto_vec& v = sgl[k].vec[0];
      // Two small ops in one call: their latency chains overlap (64-byte ESP packets).
      SmallGcm a, b;
      if (gcm.pairs && k + 1 < n && entry(k, a) && pairable(gcm, a) && entry(k + 1, b) &&
          pairable(gcm, b)) {
        gcm_pair(gcm, a, b, st + k);
        ++k;
        continue;
      }
      auto* d = static_cast<uint8_t*>(v.base) + head;
      st[k] = uint64_t{head} + tail > v.len
                  ? Status::InvalidArgs
                  : gcm_contiguous(gcm, d, d, 0, 0, v.len - head - tail,
                                   static_cast<const uint8_t*>(ivs[k].va),
                                   aads ? static_cast<const uint8_t*>(aads[k].va) : nullptr,
                                   static_cast<uint8_t*>(digests[k].va));
    }
    return;
  }
  process_vec_general(s, ofs, vec, first, n, st);
}

void QpEngine::process_vec_general(const Session& s, union rte_crypto_sym_ofs ofs,
                                   const rte_crypto_sym_vec& vec, uint32_t first, uint32_t n,
                                   Status* st) noexcept {
  std::array<Request, kMaxBatch> req;
  uint32_t head = ofs.ofs.cipher.head, tail = ofs.ofs.cipher.tail;
  for (uint32_t base = 0; base < n; base += kMaxBatch) {
    uint32_t b = std::min(n - base, kMaxBatch);
    uint32_t queued = 0;
    std::array<uint32_t, kMaxBatch> slot;
    for (uint32_t k = 0; k < b; ++k) {
      uint32_t i = first + base + k;
      const rte_crypto_sgl& src = vec.src_sgl[i];
      const auto* iv = vec.iv ? static_cast<const uint8_t*>(vec.iv[i].va) : nullptr;
      const auto* aad = vec.aad ? static_cast<const uint8_t*>(vec.aad[i].va) : nullptr;
      auto* digest = vec.digest ? static_cast<uint8_t*>(vec.digest[i].va) : nullptr;
      if (s.path == Path::Gcm && vec.dest_sgl == nullptr && src.num == 1) [[likely]] {
        // ESP's common case: one call, no Request.
        uint32_t len = src.vec[0].len;
        auto* d = static_cast<uint8_t*>(src.vec[0].base) + head;
        st[base + k] = uint64_t{head} + tail > len
                           ? Status::InvalidArgs
                           : gcm_contiguous(s, d, d, 0, 0, len - head - tail, iv, aad, digest);
        continue;
      }
      Request& r = req[queued];
      r.src = src.vec;
      r.src_n = src.num;
      r.dst = vec.dest_sgl ? vec.dest_sgl[i].vec : nullptr;
      r.dst_n = vec.dest_sgl ? vec.dest_sgl[i].num : 0;
      set_regions_from_ofs(r, ofs);
      r.iv = iv;
      r.aad = aad;
      r.digest = digest;
      slot[queued++] = base + k;
    }
    if (queued == 0) continue;
    std::array<Status, kMaxBatch> qst;
    process(s, req.data(), qst.data(), queued);
    for (uint32_t q = 0; q < queued; ++q) st[slot[q]] = qst[q];
  }
}

void QpEngine::process(const Session* const* sess, const Request* req, Status* st,
                       uint32_t n) noexcept {
  run([sess](uint32_t i) -> const Session& { return *sess[i]; }, req, st, n);
}

void QpEngine::process(const Session& sess, const Request* req, Status* st, uint32_t n) noexcept {
  run([&sess](uint32_t) -> const Session& { return sess; }, req, st, n);
}

}  // namespace dpaccel::imb
