// crypto_dpaccel_balance: enqueue decides per op (CPU inline, or a private copy to an
// accelerator); dequeue collects accelerator completions, re-runs failed and stalled ops on the
// CPU, and returns ops in enqueue order.
#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <new>

#include "balance_device.hpp"
#include "op_region.hpp"
#include "region_sgl.hpp"

namespace dpaccel::balance {
namespace {

using pmd::OpRegion;

// Inline everywhere: pass_through sums it per op, where a call cost more than the sizing itself.
[[gnu::always_inline]] inline OpRegion region_of(const Session& s,
                                                 const rte_crypto_op* op) noexcept {
  return pmd::op_region(op->sym, s.aead, s.has_cipher, s.has_auth);
}

// The size that decides an op's cost: the bytes its transform covers (op_region.hpp).
[[gnu::always_inline]] inline uint32_t op_bytes(const Session& s,
                                                const rte_crypto_op* op) noexcept {
  return region_of(s, op).bytes();
}

// An op the balancer can read its session from; any other is refused as INVALID_SESSION.
bool is_session_op(const rte_crypto_op* op) noexcept {
  return op->sess_type == RTE_CRYPTO_OP_WITH_SESSION && op->sym->session != nullptr &&
         op->sym->m_src != nullptr;
}

uint8_t* digest_ptr(const Session& s, rte_crypto_op* op) noexcept {
  return s.aead ? op->sym->aead.digest.data : op->sym->auth.digest.data;
}

rte_crypto_op_status from_errno(int32_t e) noexcept {
  switch (e) {
    case 0: return RTE_CRYPTO_OP_STATUS_SUCCESS;
    case EBADMSG: return RTE_CRYPTO_OP_STATUS_AUTH_FAILED;
    case EINVAL: return RTE_CRYPTO_OP_STATUS_INVALID_ARGS;
    default: return RTE_CRYPTO_OP_STATUS_ERROR;
  }
}

// The lines of a private op that making one writes: its header and symmetric op, the IV after
// them, and the balancer's meta.
void prefetch_private(rte_crypto_op* p) noexcept {
  auto* b = reinterpret_cast<const char*>(p);
  __builtin_prefetch(b, 1, 3);
  __builtin_prefetch(b + RTE_CACHE_LINE_SIZE, 1, 3);
  __builtin_prefetch(b + 2 * RTE_CACHE_LINE_SIZE, 1, 3);
  __builtin_prefetch(meta_of(p), 1, 3);
  __builtin_prefetch(reinterpret_cast<const char*>(meta_of(p)) + RTE_CACHE_LINE_SIZE, 1, 3);
}

// Tops the stash up from the pool and asks for the new ops' lines, a burst before they are used.
void refill_stash(QueuePair& qp) noexcept {
  const uint32_t want = QueuePair::kStash - qp.stash_n;
  if (want < kBurst / 2) return;
  if (rte_mempool_get_bulk(qp.priv_ops, reinterpret_cast<void**>(qp.stash + qp.stash_n), want) != 0)
    return;  // the pool is low: alloc_private takes them one at a time
  for (uint32_t k = qp.stash_n; k < qp.stash_n + want; ++k) prefetch_private(qp.stash[k]);
  qp.stash_n += want;
}

rte_crypto_op* alloc_private(QueuePair& qp) noexcept {
  rte_crypto_op* p = nullptr;
  if (qp.stash_n > 0) {
    p = qp.stash[--qp.stash_n];
    __rte_crypto_op_reset(p, RTE_CRYPTO_OP_TYPE_SYMMETRIC);  // what rte_crypto_op_alloc does
  } else {
    p = rte_crypto_op_alloc(qp.priv_ops, RTE_CRYPTO_OP_TYPE_SYMMETRIC);
  }
  return p;
}

// Builds the private op that accelerator a works on for op. A copy (zero_copy false): our op,
// our mbuf holding the op's region at the same offsets, IV, AAD and (for verify) the expected
// digest in our op. Zero-copy (an accelerator that takes revocable ops, op_claim.hpp): our op with
// the IV, pointing at the application's mbufs, digest and AAD, its claim Queued. nullptr when the
// op does not fit (then it runs on the CPU).
rte_crypto_op* make_private(QueuePair& qp, const Session& s, rte_crypto_op* op, int a, uint64_t seq,
                            uint64_t now, bool zero_copy) noexcept {
  rte_mbuf* m = op->sym->m_src;
  rte_mbuf* dst = op->sym->m_dst;
  if (s.iv_offset + s.iv_len > kMetaOffset) return nullptr;
  OpRegion r{};
  if (!zero_copy) {
    if (m->nb_segs != 1 || (dst && dst->nb_segs != 1) || s.aad_len > kAadMax) return nullptr;
    r = region_of(s, op);
    if (r.end > qp.priv_room || r.end > m->data_len || (dst && r.end > dst->data_len))
      return nullptr;
  }
  rte_crypto_op* p = alloc_private(qp);
  if (p == nullptr) return nullptr;
  rte_mbuf* pm = nullptr;
  if (!zero_copy) {
    pm = rte_pktmbuf_alloc(qp.priv_mbufs);
    if (pm == nullptr) {
      rte_crypto_op_free(p);
      return nullptr;
    }
    auto* pd = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(pm, static_cast<uint16_t>(r.end)));
    std::memcpy(pd + r.begin, rte_pktmbuf_mtod_offset(m, uint8_t*, r.begin), r.end - r.begin);
  }
  PrivMeta* meta = meta_of(p);
  meta->seq = seq;
  meta->t_enq = now;
  meta->app_op = op;
  meta->abandoned.store(false, std::memory_order_relaxed);
  meta->claim.store(pmd::Claim::Queued, std::memory_order_relaxed);  // published by the enqueue
  meta->accel = static_cast<uint8_t>(a);
  meta->sub = s.sub;
  sub_sessions_ref(s.sub);
  meta->timed = false;
  meta->probe = false;
  meta->zero_copy = zero_copy;
  meta->cost_in = 0;
  meta->ahead = 0;
  rte_crypto_op_attach_sym_session(p, s.sub->accel_sess[a]);
  rte_crypto_sym_op* y = p->sym;
  *y = *op->sym;  // offsets, lengths, and for zero-copy the application's pointers
  y->session = s.sub->accel_sess[a];
  std::memcpy(rte_crypto_op_ctod_offset(p, uint8_t*, s.iv_offset),
              rte_crypto_op_ctod_offset(op, uint8_t*, s.iv_offset), s.iv_len);
  if (zero_copy) return p;
  y->m_src = pm;
  y->m_dst = nullptr;
  uint8_t* app_digest = digest_ptr(s, op);
  if (s.verify && s.digest_len && app_digest) std::memcpy(meta->digest, app_digest, s.digest_len);
  rte_iova_t meta_iova =
      rte_mempool_virt2iova(p) + (reinterpret_cast<uint8_t*>(meta) - reinterpret_cast<uint8_t*>(p));
  if (s.aead) {
    y->aead.digest.data = meta->digest;
    y->aead.digest.phys_addr = meta_iova + offsetof(PrivMeta, digest);
    if (s.aad_len) std::memcpy(meta->aad, op->sym->aead.aad.data, s.aad_len);
    y->aead.aad.data = meta->aad;
    y->aead.aad.phys_addr = meta_iova + offsetof(PrivMeta, aad);
  } else {
    y->auth.digest.data = meta->digest;
    y->auth.digest.phys_addr = meta_iova + offsetof(PrivMeta, digest);
  }
  return p;
}

}  // namespace

void free_private(rte_crypto_op* p) noexcept {
  PrivMeta* meta = meta_of(p);
  SubSessions* sub = meta->sub;
  meta->sub = nullptr;  // no accelerator holds it (qp_release reads this)
  if (!meta->zero_copy) rte_pktmbuf_free(p->sym->m_src);  // else the application's
  rte_crypto_op_free(p);
  sub_sessions_unref(sub);
}

namespace {

// Copies an accelerator's result back into the application's op.
void copy_back(const Session& s, rte_crypto_op* op, rte_crypto_op* p) noexcept {
  if (meta_of(p)->zero_copy) return;  // the accelerator wrote the application's buffers
  OpRegion r = region_of(s, op);
  rte_mbuf* dst = op->sym->m_dst ? op->sym->m_dst : op->sym->m_src;
  std::memcpy(rte_pktmbuf_mtod_offset(dst, uint8_t*, r.begin),
              rte_pktmbuf_mtod_offset(p->sym->m_src, uint8_t*, r.begin), r.end - r.begin);
  uint8_t* app_digest = digest_ptr(s, op);
  if (!s.verify && s.digest_len && app_digest)
    std::memcpy(app_digest, meta_of(p)->digest, s.digest_len);
}

// Whether accelerator i may take an op without holding back this queue pair: its latency times
// the queue pair's op rate must fit in its share of the order ring (with in-order delivery, every
// op sent after one at an accelerator waits there until it is back).
// When it does not, one op every 10 ms still goes (a probe), so that a recovering accelerator is
// noticed.
enum class Admit : uint8_t { Yes, No, Probe };
Admit order_allows(QueuePair& qp, size_t i, uint64_t now, uint64_t hz) noexcept {
  // Without ordering an op at an accelerator holds back no other: the in-flight cap and the
  // stall limit are all it needs.
  if (!qp.dev->ordered) return Admit::Yes;
  // The device's own latency, not what our queue in front of it adds: the in-flight cap keeps
  // that within budget. (Gated on the loaded latency, admission switched a busy accelerator off
  // whenever its queue grew, and the split ran in on/off phases.)
  double lat = qp.gauge[i].base_latency_cycles();
  // The rate that matters is what the queue pair can do, not what it did: a blocked queue pair's
  // observed rate falls and would let even more ops go to the slow accelerator. So the highest
  // rate it has run at lately. (The CPU's rate for the op's own size class, used before, took a
  // mix's small ops for the whole mix: with AES-CBC + HMAC-SHA256 IMIX, 64-byte ops at ~550
  // cycles said 4.4 Mops where the mix ran at 2, and kept out a 200 us accelerator worth 1.3x.
  // A mix-weighted CPU rate, tried too, did no better in interleaved runs.)
  double rate = std::max(qp.op_rate_peak, qp.op_rate);
  // Nothing is admitted before a probe has measured the latency and a rate window has closed: an
  // op sent to an accelerator that turns out to take milliseconds holds back every later op of
  // the queue pair.
  if (lat > 0 && rate > 0 && lat * rate < qp.depth * kOrderShare) return Admit::Yes;
  if (now - qp.last_probe[i] > hz / 100) {
    qp.last_probe[i] = now;
    return Admit::Probe;
  }
  return Admit::No;
}

// CPU ops of a burst go through the CPU device's own queue pair, in one enqueue and the dequeue
// right after it: the device works synchronously, so everything enqueued comes back at once. This
// is the CPU device's cheapest path (its op-based burst loop, no vector to build and unpack), so
// an op the balancer keeps on the CPU costs little more than with the CPU device alone. The op goes
// with its own session: a balancer session starts with the CPU device's session data.
class CpuBatch {
 public:
  // queue: the CPU device's queue pair is free (nothing passed through is pending there); when it
  // is not, ops run through CPU-crypto, one at a time, and are not timed (a CPU-crypto run costs
  // something else than a burst on the queue pair: taken as one it made the CPU look dearer).
  CpuBatch(const Device& d, QueuePair& qp, bool learn, bool queue)
      : d_(d), qp_(qp), learn_(learn), queue_(queue) {}
  ~CpuBatch() { flush(); }
  void add(rte_crypto_op* op, const Session& s, uint32_t bytes) noexcept {
    if (!queue_) [[unlikely]] {  // one by one through CPU-crypto: no batch, nothing timed
      run_on_cpu(d_, op);
      return;
    }
    if (n_ == kBurst) flush();
    if (n_ == 0) {  // about one batch in 16 is timed, when the model is in use
      timed_ = learn_ && qp_.batch_timing.tick();
      kind_ = s.kind;
      predicted_ = 0;
    }
    if (timed_) [[unlikely]] {
      double c = qp_.model.raw_cpu_cost(s.kind, bytes);
      // A batch of several kinds, or with a size not measured alone yet, predicts nothing.
      predicted_ = s.kind == kind_ && c > 0 && predicted_ >= 0 ? predicted_ + c : -1;
    }
    ops_[n_++] = op;
  }
  void flush() noexcept {
    if (n_ == 0) return;
    uint64_t t0 = timed_ ? rte_rdtsc() : 0;
    uint16_t sent = run(ops_.data(), static_cast<uint16_t>(n_));
    if (timed_ && sent == n_ && predicted_ > 0)
      qp_.model.record_cpu_batch(kind_, predicted_, static_cast<double>(rte_rdtsc() - t0));
    timed_ = false;
    for (uint32_t k = sent; k < n_; ++k) run_on_cpu(d_, ops_[k]);  // never with a queue this deep
    n_ = 0;
  }
  // One op alone, timed: what the cost model learns an op of this kind and size costs the CPU.
  void run_timed(rte_crypto_op* op, const Session& s, uint32_t bytes) noexcept {
    if (!queue_) {  // the CPU-crypto path costs something else: not a sample
      run_on_cpu(d_, op);
      return;
    }
    uint64_t t0 = rte_rdtsc();
    uint16_t sent = run(&op, 1);
    uint64_t t1 = rte_rdtsc();
    if (sent == 0)
      run_on_cpu(d_, op);
    else
      qp_.model.record_cpu(s.kind, bytes, static_cast<double>(t1 - t0));
  }

 private:
  uint16_t run(rte_crypto_op** ops, uint16_t n) noexcept {
    uint16_t sent = rte_cryptodev_enqueue_burst(d_.cpu_dev, qp_.id, ops, n);
    std::array<rte_crypto_op*, kBurst> back;
    for (uint16_t got = 0; got < sent;)  // synchronous: returns at once (see balance_device.hpp)
      got += rte_cryptodev_dequeue_burst(d_.cpu_dev, qp_.id, back.data(), sent - got);
    return sent;
  }

  const Device& d_;
  QueuePair& qp_;
  const bool learn_;
  const bool queue_;
  bool timed_ = false;
  Kind kind_ = Kind::Gcm;
  double predicted_ = 0;  // sum of the batch's single-op costs; < 0: no prediction
  uint32_t n_ = 0;
  std::array<rte_crypto_op*, kBurst> ops_;
};

// Private copies bound for the accelerators, one batch per accelerator.
struct AccelBatches {
  static constexpr uint64_t kProbe = UINT64_MAX;  // seq of a latency probe: nobody waits for it
  std::array<std::array<rte_crypto_op*, kBurst>, kMaxAccel> op;
  std::array<std::array<uint64_t, kBurst>, kMaxAccel> seq;
  std::array<std::array<uint32_t, kBurst>, kMaxAccel> bytes;
  std::array<uint32_t, kMaxAccel> n{};
  void push(size_t i, rte_crypto_op* p, uint64_t s, uint32_t b) noexcept {
    op[i][n[i]] = p;
    seq[i][n[i]] = s;
    bytes[i][n[i]++] = b;
  }
};

// The accelerator an op the model would offload goes to: the least loaded one with room that the
// order ring allows; -1 for the CPU (then it counts as a spill). May add a latency probe (a copy of
// op nobody waits for) to an accelerator that is not admitted.
int pick_accel(QueuePair& qp, const Device& d, AccelBatches& ab, const Session& s,
               rte_crypto_op* op, uint64_t now, uint64_t hz) noexcept {
  int a = -1;
  uint32_t best = UINT32_MAX;
  for (size_t i = 0; i < d.accel_devs.size(); ++i) {
    if (qp.stalled_until[i].load(std::memory_order_relaxed) > now) continue;
    if (d.mode != Mode::Accel) {
      Admit ad = order_allows(qp, i, now, hz);
      if (ad == Admit::No) continue;
      if (ad == Admit::Probe) {  // measure it with a copy nobody waits for
        if (ab.n[i] < kBurst)
          // Always a copy: a probe must not write the application's data.
          if (rte_crypto_op* pr = make_private(qp, s, op, static_cast<int>(i), 0, now, false)) {
            meta_of(pr)->probe = true;
            meta_of(pr)->ahead = qp.inflight[i].load(std::memory_order_relaxed) + ab.n[i];
            ab.push(i, pr, AccelBatches::kProbe, 0);
          }
        continue;
      }
    }
    uint32_t lim = d.mode == Mode::Accel ? qp.depth : qp.gauge[i].inflight_cap(kInflightFloor);
    uint32_t fl = qp.inflight[i].load(std::memory_order_relaxed) + ab.n[i];
    if (fl < lim && fl < best) {
      best = fl;
      a = static_cast<int>(i);
    }
  }
  if (a < 0) ++qp.c.spills;  // every accelerator full or stalled: the CPU takes it
  return a;
}

// An op on a stalled accelerator, run here instead; its private op is only freed when it comes
// back. A zero-copy op is the application's data: it comes back only if the accelerator has not
// taken it yet (op_claim.hpp). Returns false, doing nothing, when the accelerator has it.
bool take_back(QueuePair& qp, const Device& d, rte_crypto_op* priv) noexcept {
  PrivMeta* meta = meta_of(priv);
  if (meta->zero_copy && !pmd::submitter_revokes(&meta->claim)) return false;
  meta->abandoned.store(true, std::memory_order_release);
  run_on_cpu(d, meta->app_op);
  ++qp.c.reruns_stall;
  return true;
}

// The same for an op in the order ring, which is then done.
bool take_back(QueuePair& qp, const Device& d, Entry& e) noexcept {
  if (!take_back(qp, d, e.priv)) return false;
  e.priv = nullptr;
  e.state.store(kDone, std::memory_order_release);
  return true;
}

void account_rate(QueuePair& qp, uint32_t n, uint64_t now, uint64_t hz) noexcept {
  if (qp.rate_window_start == 0) qp.rate_window_start = now;
  qp.rate_window_ops += n;
  uint64_t span = now - qp.rate_window_start;
  if (span >= hz / 1000) {
    double sample = static_cast<double>(qp.rate_window_ops) / static_cast<double>(span);
    qp.op_rate = qp.op_rate == 0 ? sample : qp.op_rate + (sample - qp.op_rate) / 8;
    qp.op_rate_peak = std::max(sample, qp.op_rate_peak * 0.99);  // decays by half in ~70 ms
    qp.rate_window_start = now;
    qp.rate_window_ops = 0;
  }
}

// Ops accepted: the queue pair's op rate, and the regime guard's.
void account(QueuePair& qp, uint32_t n, uint32_t offloaded, uint64_t now, uint64_t hz,
             bool learn) noexcept {
  account_rate(qp, n, now, hz);
  if (learn) qp.guard.account(n, offloaded, now, hz);
}

}  // namespace

void run_on_cpu(const Device& d, rte_crypto_op* op) noexcept {
  if (!is_session_op(op)) {
    op->status = RTE_CRYPTO_OP_STATUS_INVALID_SESSION;
    return;
  }
  const Session& s = *session_of(d, op->sym->session);
  rte_crypto_sym_op* y = op->sym;
  // What the CPU device's queue pair would accept, this accepts too: regions inside the source,
  // of those transforms the session has (a cipher-only session's auth fields mean nothing), the
  // data described from the regions' first byte (region_sgl.hpp), in as many vecs as it takes.
  const uint32_t total = rte_pktmbuf_pkt_len(y->m_src);
  auto inside = [total](uint32_t off, uint32_t len) { return uint64_t{off} + len <= total; };
  const bool oop = y->m_dst && y->m_dst != y->m_src;
  rte_crypto_sym_ofs ofs{};
  OpRegion u{};
  bool ok = s.aead ? inside(y->aead.data.offset, y->aead.data.length)
                   : (!s.has_cipher || inside(y->cipher.data.offset, y->cipher.data.length)) &&
                         (!s.has_auth || inside(y->auth.data.offset, y->auth.data.length));
  if (ok) {
    u = region_of(s, op);  // the regions are inside the source: no 32-bit wrap
    if (!s.aead && s.has_cipher)
      ok = pmd::region_ofs_in(u, y->cipher.data.offset, y->cipher.data.length, ofs.ofs.cipher.head,
                              ofs.ofs.cipher.tail);
    if (!s.aead && s.has_auth)
      ok = ok && pmd::region_ofs_in(u, y->auth.data.offset, y->auth.data.length, ofs.ofs.auth.head,
                                    ofs.ofs.auth.tail);
  }
  const uint32_t n_src = ok ? pmd::range_vecs(y->m_src, u.begin, u.bytes(), nullptr) : 0;
  const uint32_t n_dst = ok && oop ? pmd::range_vecs(y->m_dst, u.begin, u.bytes(), nullptr) : 0;
  if (n_src == 0 || (oop && n_dst == 0)) {
    op->status = RTE_CRYPTO_OP_STATUS_INVALID_ARGS;
    return;
  }
  // Up to 64 vecs a side on the stack; a longer chain (rare: this path serves ops while the CPU
  // device's queue pair is busy, and re-runs) gets heap storage.
  constexpr uint32_t kLocal = 64;
  std::array<rte_crypto_vec, 2 * kLocal> local;
  std::unique_ptr<rte_crypto_vec[]> heap;
  rte_crypto_vec* sv = local.data();
  rte_crypto_vec* dv = local.data() + kLocal;
  if (n_src > kLocal || n_dst > kLocal) [[unlikely]] {
    heap.reset(new (std::nothrow) rte_crypto_vec[n_src + n_dst]);
    if (!heap) {
      op->status = RTE_CRYPTO_OP_STATUS_ERROR;
      return;
    }
    sv = heap.get();
    dv = heap.get() + n_src;
  }
  pmd::range_vecs(y->m_src, u.begin, u.bytes(), sv);
  if (oop) pmd::range_vecs(y->m_dst, u.begin, u.bytes(), dv);
  rte_crypto_sgl src{sv, n_src}, dst{dv, n_dst};
  rte_crypto_va_iova_ptr iv{rte_crypto_op_ctod_offset(op, void*, s.iv_offset), 0};
  rte_crypto_va_iova_ptr digest{digest_ptr(s, op), 0};
  rte_crypto_va_iova_ptr aad{s.aead ? y->aead.aad.data : nullptr, 0};
  int32_t status = 0;
  rte_crypto_sym_vec vec{};
  vec.num = 1;
  vec.src_sgl = &src;
  vec.dest_sgl = oop ? &dst : nullptr;
  vec.iv = &iv;
  vec.digest = &digest;
  vec.aad = &aad;
  vec.status = &status;
  rte_cryptodev_sym_cpu_crypto_process(d.cpu_dev, y->session, ofs, &vec);
  op->status = from_errno(status);
}

namespace {

// A burst that goes to the CPU whole, passed to the CPU device's queue pair as it is (the sessions
// are the CPU device's too). Returns how many it took, or -1 (nothing done) when an op is not a
// valid session op — the ring path then deals with it.
int pass_through(QueuePair& qp, const Device& d, rte_crypto_op** ops, uint32_t n) noexcept {
  // The bytes are only for the per-path counters, so this loop is most of what a passed burst
  // costs per op: the ops of a burst mostly share a session, whose shape is looked up once per
  // run of them (callgrind, 64-byte AES-GCM through crypto-perf: 34 instructions per op with a
  // session lookup and a region_of() call per op).
  uint64_t bytes = 0;
  const void* last = nullptr;
  const Session* s = nullptr;
  for (uint32_t k = 0; k < n; ++k) {
    const rte_crypto_op* op = ops[k];
    if (!is_session_op(op)) [[unlikely]]
      return -1;
    if (op->sym->session != last) [[unlikely]] {
      last = op->sym->session;
      s = session_of(d, op->sym->session);
    }
    bytes += op_bytes(*s, op);
  }
  uint16_t sent = rte_cryptodev_enqueue_burst(d.cpu_dev, qp.id, ops, static_cast<uint16_t>(n));
  if (sent < n) [[unlikely]]  // never with the CPU queue pair as deep as this one
    for (uint32_t k = sent; k < n; ++k)
      bytes -= op_bytes(*session_of(d, ops[k]->sym->session), ops[k]);
  if (sent == 0) return 0;
  // Sequence numbers for them; published with head by the caller.
  qp.passes[qp.pass_push++ & qp.mask] = {qp.head, qp.head + sent};
  qp.pass_push_pub.store(qp.pass_push, std::memory_order_release);
  qp.head += sent;
  qp.c.cpu_ops += sent;
  qp.c.cpu_bytes += bytes;
  return sent;
}

}  // namespace

uint16_t enqueue_burst(void* qp_ptr, rte_crypto_op** ops, uint16_t nb_ops) noexcept {
  if (nb_ops == 0) return 0;  // nothing to flush: ops on the CPU are done, the rest is out
  auto* qp = static_cast<QueuePair*>(qp_ptr);
  const Device& d = *qp->dev;
  qp->take_offload_samples();  // dequeue's measurements, before any decision
  const bool passes_pending = qp->passes_pending();
  const auto in_flight = static_cast<uint32_t>(qp->head - qp->tail_snapshot());
  uint32_t room = qp->depth - in_flight;
  uint32_t n = std::min<uint32_t>(nb_ops, room);
  if (n == 0) {
    qp->c.refused += nb_ops;
    return 0;
  }
  uint64_t hz = rte_get_tsc_hz();
  uint64_t now = qp->clock.load(std::memory_order_relaxed);
  if ((qp->enq_calls++ & 15) == 0 || now == 0) {
    now = rte_rdtsc();
    qp->clock.store(now, std::memory_order_relaxed);
  }
  const size_t na = d.accel_devs.size();
  // Whether an op may go to an accelerator at all, and whether costs are learnt (only where there
  // is a choice to make).
  const bool offload = na != 0 && d.mode != Mode::Cpu;
  const bool learn = na != 0 && d.mode == Mode::Adaptive;
  // While no size class prefers an accelerator, a burst goes to the CPU device whole and stays
  // there until its turn to be dequeued: no per-op work at all. One burst in about 8 still takes
  // the ring path, where ops are timed and the accelerator explored — unless passed-through ops
  // still wait in the CPU device's queue pair (behind an accelerator op), when its CPU ops would
  // have to run one by one through CPU-crypto: learning waits for a better burst.
  // Nor may learning starve: an application that enqueues far ahead of its dequeues keeps passes
  // pending all the time (dpdk-test-crypto-perf does), and then no burst ever took the ring path
  // and the model never met the accelerator (runs stayed at CPU-only or not on timing alone). So
  // a burst at least every millisecond takes the ring path regardless.
  const bool starved = now - qp->last_ring_burst > hz / 1000;
  // And while the CPU alone is measured to do better (RegimeGuard), everything passes through;
  // under Fill, every op the accelerators admit goes there.
  const RegimeGuard::Regime regime = learn ? qp->guard.regime() : RegimeGuard::Regime::Model;
  const bool fill = regime == RegimeGuard::Regime::Fill;
  if (!offload || regime == RegimeGuard::Regime::Cpu ||
      (learn && !fill && !qp->model.any_accel() && !starved &&
       (passes_pending || !qp->learning.tick()))) {
    // Passed-through ops wait in the CPU device's queue pair, which holds the application's
    // depth; the order ring's extra room is for ops held back behind accelerator ops.
    const uint32_t pass_room = in_flight < qp->pass_depth ? qp->pass_depth - in_flight : 0;
    if (pass_room == 0) {
      qp->c.refused += nb_ops;
      return 0;
    }
    if (int sent = pass_through(*qp, d, ops, std::min(n, pass_room)); sent >= 0) {
      qp->publish_head(qp->head);
      account(*qp, static_cast<uint32_t>(sent), 0, now, hz, learn);
      qp->c.enqueued += static_cast<uint32_t>(sent);
      qp->c.refused += nb_ops - static_cast<uint32_t>(sent);
      return static_cast<uint16_t>(sent);
    }
  }
  // The ring path may send ops to an accelerator, whose latency is measured from here: a fresh
  // reading (the shared clock can be 16 passed-through bursts old, ~100 us at 5 Mops, which made
  // a 200 us accelerator look twice as slow and kept it out of admission).
  now = rte_rdtsc();
  qp->clock.store(now, std::memory_order_relaxed);
  qp->last_ring_burst = now;
  Entry* const ring = qp->ring;
  const uint32_t mask = qp->mask;
  AccelBatches ab;
  // The CPU device's queue pair can serve this burst only while nothing passed through waits there.
  CpuBatch cpu(d, *qp, learn, !passes_pending);
  uint64_t cpu_ops = 0, cpu_bytes = 0;
  uint32_t offloaded = 0;  // ops the accelerators took
  for (uint32_t done_in = 0; done_in < n;) {
    const uint32_t chunk = std::min<uint32_t>(n - done_in, kBurst);
    const uint64_t base = qp->head + done_in;
    ab.n.fill(0);
    for (uint32_t k = 0; k < chunk; ++k) {
      rte_crypto_op* op = ops[done_in + k];
      const uint64_t seq = base + k;
      // Entries are written before the chunk is published, so an op run on the CPU can be marked
      // done before it runs: nobody looks at it before the batch has run.
      Entry& e = ring[seq & mask];
      e.op = op;
      if (!is_session_op(op)) [[unlikely]] {
        op->status = RTE_CRYPTO_OP_STATUS_INVALID_SESSION;
        e.state.store(kDone, std::memory_order_relaxed);
        continue;
      }
      const Session& s = *session_of(d, op->sym->session);
      const uint32_t bytes = op_bytes(s, op);
      if (offload && bytes <= qp->priv_room &&
          (d.mode == Mode::Accel || fill || qp->model.choose(s.kind, bytes) == Path::Accel)) {
        if (int a = pick_accel(*qp, d, ab, s, op, now, hz); a >= 0) {
          // Offload costs are measured on about one op in 64, and on every op of a class whose
          // offload is not measured yet (it gets few: exploration sends one op in 64).
          bool timed = learn && (qp->timing.tick() || qp->model.offload_cost(s.kind, bytes) == 0);
          uint64_t t0 = timed ? rte_rdtsc() : 0;
          const bool zc = qp->zero_copy[a];
          if (rte_crypto_op* p = make_private(*qp, s, op, a, seq, now, zc)) {
            meta_of(p)->ahead =
                qp->inflight[a].load(std::memory_order_relaxed) + ab.n[static_cast<size_t>(a)];
            if (timed) {
              meta_of(p)->timed = true;
              meta_of(p)->cost_in = rte_rdtsc() - t0;
            }
            e.priv = p;
            e.accel = static_cast<uint8_t>(a);
            e.t_enq = now;
            e.state.store(kPending, std::memory_order_relaxed);
            // In flight, and saying so (see crypto_dpaccel_worker's enqueue).
            op->status = RTE_CRYPTO_OP_STATUS_NOT_PROCESSED;
            ab.push(static_cast<size_t>(a), p, seq, bytes);
            continue;
          }
        }
      }
      ++cpu_ops;
      cpu_bytes += bytes;
      e.state.store(kDone, std::memory_order_relaxed);
      // CPU costs are measured on about one op in 64, alone (two TSC reads are not free on small
      // ops).
      if (learn && qp->timing.tick()) [[unlikely]]
        cpu.run_timed(op, s, bytes);
      else
        cpu.add(op, s, bytes);
    }
    for (size_t i = 0; i < na; ++i) {
      if (ab.n[i] == 0) continue;
      qp->inflight[i].fetch_add(ab.n[i], std::memory_order_relaxed);
      uint16_t sent = rte_cryptodev_enqueue_burst(d.accel_devs[i], qp->id, ab.op[i].data(),
                                                  static_cast<uint16_t>(ab.n[i]));
      for (uint32_t k = 0; k < ab.n[i]; ++k) {
        const uint64_t seq = ab.seq[i][k];
        if (k < sent) {  // the accelerator's now (and maybe already back): do not touch it
          if (seq == AccelBatches::kProbe) continue;
          ++qp->c.accel_ops[i];
          qp->c.accel_bytes[i] += ab.bytes[i][k];
          qp->c.zero_copy += qp->zero_copy[i];  // probes, the only copies there, are not counted
          ++offloaded;
          continue;
        }
        free_private(ab.op[i][k]);
        if (seq == AccelBatches::kProbe) continue;
        // Refused by a full accelerator queue: never wait, run it here.
        Entry& e = ring[seq & mask];
        e.priv = nullptr;
        e.state.store(kDone, std::memory_order_relaxed);
        cpu.add(e.op, *session_of(d, e.op->sym->session), ab.bytes[i][k]);
        ++qp->c.spills;
        ++cpu_ops;
        cpu_bytes += ab.bytes[i][k];
      }
      qp->inflight[i].fetch_sub(ab.n[i] - sent, std::memory_order_relaxed);
    }
    cpu.flush();
    // Published only now: dequeue (maybe on another thread) never sees an entry this thread may
    // still change. Completions of these ops only touch entries the enqueue side is done with.
    qp->publish_head(base + chunk);
    done_in += chunk;
  }
  qp->head += n;
  if (offload) refill_stash(*qp);  // for the next burst
  account(*qp, n, offloaded, now, hz, learn);
  qp->c.cpu_ops += cpu_ops;
  qp->c.cpu_bytes += cpu_bytes;
  qp->c.enqueued += n;
  qp->c.refused += nb_ops - n;
  return static_cast<uint16_t>(n);
}

namespace {

// An accelerator gave back private op p of application op `op`: the result goes to op (or, when
// the accelerator failed it without touching the data, op runs here); p is freed.
void finish_accel_op(QueuePair& qp, const Device& d, rte_crypto_op* p, rte_crypto_op* op) noexcept {
  PrivMeta* meta = meta_of(p);
  const Session& s = *session_of(d, op->sym->session);
  uint64_t t0 = meta->timed ? rte_rdtsc() : 0;
  if (p->status == RTE_CRYPTO_OP_STATUS_SUCCESS || p->status == RTE_CRYPTO_OP_STATUS_AUTH_FAILED) {
    copy_back(s, op, p);
    op->status = p->status;
    if (meta->timed)  // application-core cost of the offload: copy in, copy out, bookkeeping
      qp.push_offload_sample(s.kind, op_bytes(s, op),
                             static_cast<double>(meta->cost_in + rte_rdtsc() - t0));
  } else {
    run_on_cpu(d, op);
    ++qp.c.reruns_error;
  }
  free_private(p);
}

// Without ordering: a finished application op that left the order ring waits for dequeue here.
void ready_push(QueuePair& qp, rte_crypto_op* op) noexcept {
  qp.ready[qp.ready_head++ & qp.mask] = op;
}

// Without ordering: the oldest parked ops, taken back from an accelerator that holds one past its
// stall limit (with every other op parked there it has not taken yet).
void take_back_parked(QueuePair& qp, const Device& d, uint64_t now) noexcept {
  for (; qp.park_tail < qp.park_head; ++qp.park_tail) {
    rte_crypto_op* p = qp.parked[qp.park_tail & qp.mask];
    if (p == nullptr) continue;  // came back
    const uint8_t i = meta_of(p)->accel;
    if (now - meta_of(p)->t_enq < stall_limit_cycles(d, qp, i) || !take_back(qp, d, p)) return;
    ready_push(qp, meta_of(p)->app_op);
    qp.parked[qp.park_tail & qp.mask] = nullptr;
    qp.stalled_until[i].store(UINT64_MAX, std::memory_order_relaxed);  // until a late return
    for (uint64_t k = qp.park_tail + 1; k < qp.park_head; ++k) {
      rte_crypto_op*& q = qp.parked[k & qp.mask];
      if (q != nullptr && meta_of(q)->accel == i && take_back(qp, d, q)) {
        ready_push(qp, meta_of(q)->app_op);
        q = nullptr;
      }
    }
  }
}

}  // namespace

uint16_t dequeue_burst(void* qp_ptr, rte_crypto_op** ops, uint16_t nb_ops) noexcept {
  auto* qp = static_cast<QueuePair*>(qp_ptr);
  const Device& d = *qp->dev;
  uint64_t hz = rte_get_tsc_hz();
  uint64_t published = qp->head_snapshot();
  bool out = false;
  for (size_t i = 0; i < d.accel_devs.size(); ++i)
    out |= qp->inflight[i].load(std::memory_order_relaxed) != 0;
  uint64_t now = qp->clock.load(std::memory_order_relaxed);
  if (out) {  // latency and stall decisions need a fresh reading
    now = rte_rdtsc();
    qp->clock.store(now, std::memory_order_relaxed);
  }
  // 1. Completions from the accelerators.
  for (size_t i = 0; i < d.accel_devs.size(); ++i) {
    if (qp->inflight[i].load(std::memory_order_relaxed) == 0) continue;
    std::array<rte_crypto_op*, kBurst> back;
    uint16_t got = rte_cryptodev_dequeue_burst(d.accel_devs[i], qp->id, back.data(), kBurst);
    if (got == 0) continue;
    // Their status and meta were last written on the accelerator's core: ask for all of them
    // before reading any.
    for (uint16_t k = 0; k < got; ++k) {
      rte_prefetch0(back[k]);
      rte_prefetch0(meta_of(back[k]));
    }
    // Latency budget of an accelerator op: what keeps the ops held back behind it within half
    // the order ring, at the highest rate this queue pair has lately run at (a queue pair held
    // back runs slower, which must not loosen the budget). Without ordering nothing is held back.
    double budget = d.ordered ? qp->depth * kOrderShare / std::max(qp->op_rate_peak, 1e-9) : 1e18;
    qp->gauge[i].record_completions(got, now, hz, budget, kInflightFloor,
                                    static_cast<uint32_t>(qp->depth * kOrderShare));
    for (uint16_t k = 0; k < got; ++k) {
      rte_crypto_op* p = back[k];
      PrivMeta* meta = meta_of(p);
      if (meta->probe) {  // a latency probe: measured, done
        qp->gauge[i].record_latency(now - meta->t_enq, meta->ahead < kInflightFloor);
        free_private(p);
        continue;
      }
      if (meta->abandoned.load(std::memory_order_acquire)) {  // re-run already: just free it
        ++qp->c.late_returns;
        free_private(p);
        if (qp->stalled_until[i].load(std::memory_order_relaxed) != 0)
          qp->stalled_until[i].store(0, std::memory_order_relaxed);  // it is alive again
        continue;
      }
      qp->gauge[i].record_latency(now - meta->t_enq, meta->ahead < kInflightFloor);
      if (meta->seq & QueuePair::kParked) {  // left the ring (no ordering): ready now
        qp->parked[meta->seq & qp->mask] = nullptr;
        rte_crypto_op* op = meta->app_op;
        finish_accel_op(*qp, d, p, op);
        ready_push(*qp, op);
        continue;
      }
      Entry& e = qp->ring[meta->seq & qp->mask];
      finish_accel_op(*qp, d, p, e.op);
      e.priv = nullptr;
      e.state.store(kDone, std::memory_order_release);
    }
    qp->inflight[i].fetch_sub(got, std::memory_order_relaxed);
  }
  // 2. A stalled accelerator holding the oldest op: take it back (run it here), stop sending to
  //    that accelerator until it answers again. (Without ordering the oldest ops at accelerators
  //    are the parked ones: nothing waits at the ring's tail.)
  if (!d.ordered) take_back_parked(*qp, d, now);
  while (d.ordered && qp->tail < published) {
    Entry& e = qp->ring[qp->tail & qp->mask];
    if (e.state.load(std::memory_order_acquire) == kDone || e.priv == nullptr) break;
    const uint8_t i = e.accel;
    if (now - e.t_enq < stall_limit_cycles(d, *qp, i)) break;
    // Taken by the device (zero-copy): being worked on, not stuck; wait for it.
    if (!take_back(*qp, d, e)) break;
    qp->stalled_until[i].store(UINT64_MAX, std::memory_order_relaxed);  // until a late return
    // Later ops on the same accelerator are as stuck: take them back as they reach the head.
    for (uint64_t s = qp->tail + 1; s < published; ++s) {
      Entry& f = qp->ring[s & qp->mask];
      if (f.state.load(std::memory_order_acquire) != kDone && f.priv != nullptr && f.accel == i)
        take_back(*qp, d, f);
    }
  }
  // 3. Finished ops: without ordering first those that came back out of the ring; then, in
  //    enqueue order, ring entries and passed-through ranges from the CPU device's queue pair when
  //    their turn comes. Without ordering an entry still on an accelerator is parked, not waited
  //    for.
  uint32_t n = 0;
  uint64_t failed = 0;
  while (n < nb_ops && qp->ready_tail < qp->ready_head) {
    rte_crypto_op* op = qp->ready[qp->ready_tail++ & qp->mask];
    ops[n++] = op;
    failed += op->status != RTE_CRYPTO_OP_STATUS_SUCCESS;
  }
  Entry* const ring = qp->ring;
  const uint32_t mask = qp->mask;
  uint64_t tail = qp->tail;
  while (tail < published && n < nb_ops) {
    // The next passed-through range, if any is published; ring entries run up to its start.
    uint64_t stop = published;
    const QueuePair::Pass* pass = nullptr;
    if (qp->pass_pop != qp->pass_push_pub.load(std::memory_order_acquire)) {
      pass = &qp->passes[qp->pass_pop & mask];
      stop = std::min(stop, pass->begin);
    }
    for (; tail < stop && n < nb_ops; ++tail) {
      Entry& e = ring[tail & mask];
      if (e.state.load(std::memory_order_acquire) != kDone) {
        if (d.ordered) break;
        meta_of(e.priv)->seq = QueuePair::kParked | qp->park_head;
        qp->parked[qp->park_head++ & mask] = e.priv;
        continue;
      }
      rte_crypto_op* op = e.op;
      ops[n++] = op;
      failed += op->status != RTE_CRYPTO_OP_STATUS_SUCCESS;
    }
    if (pass == nullptr || tail != pass->begin || n == nb_ops) break;
    // Its turn: the CPU device gives these back in order, all of them (it is synchronous).
    auto want = static_cast<uint16_t>(std::min<uint64_t>(nb_ops - n, pass->end - tail));
    uint16_t got = rte_cryptodev_dequeue_burst(d.cpu_dev, qp->id, ops + n, want);
    for (uint16_t k = 0; k < got; ++k) failed += ops[n + k]->status != RTE_CRYPTO_OP_STATUS_SUCCESS;
    tail += got;
    n += got;
    if (tail == pass->end) {
      qp->pass_pop_pub.store(++qp->pass_pop, std::memory_order_release);
    } else {
      // Not all of it: either ops is full, or the CPU device did not give everything back yet.
      // A later call continues; the rest of the range moves up.
      qp->passes[qp->pass_pop & mask].begin = tail;
      break;
    }
  }
  qp->tail = tail;
  qp->publish_tail();
  qp->c.failed += failed;
  qp->c.dequeued += n;
  return static_cast<uint16_t>(n);
}

}  // namespace dpaccel::balance
