// crypto_dpaccel_balance: enqueue decides per op (CPU inline, or a private copy to an
// accelerator); dequeue collects accelerator completions, re-runs failed and stalled ops on the
// CPU, and returns ops in enqueue order.
#include <rte_cycles.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "balance_device.hpp"

namespace dpaccel::balance {
namespace {

constexpr uint32_t kBurst = 64;

struct OpRegion {
  uint32_t begin, end;  // bytes of the op's data the transform touches
};

OpRegion region_of(const Session& s, const rte_crypto_op* op) noexcept {
  const rte_crypto_sym_op* y = op->sym;
  if (s.aead) return {y->aead.data.offset, y->aead.data.offset + y->aead.data.length};
  uint32_t b = std::min(y->cipher.data.offset, y->auth.data.offset);
  uint32_t e = std::max(y->cipher.data.offset + y->cipher.data.length,
                        y->auth.data.offset + y->auth.data.length);
  return {b, e};
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

// Builds a private copy of op for accelerator a: our op, our mbuf holding the op's region at the
// same offsets, IV, AAD and (for verify) the expected digest in our op. nullptr when the op does
// not fit a private copy (then it runs on the CPU).
rte_crypto_op* make_private(QueuePair& qp, const Session& s, rte_crypto_op* op, int a, uint64_t seq,
                            uint64_t now) noexcept {
  rte_mbuf* m = op->sym->m_src;
  rte_mbuf* dst = op->sym->m_dst;
  if (m->nb_segs != 1 || (dst && dst->nb_segs != 1) || s.aad_len > kAadMax) return nullptr;
  OpRegion r = region_of(s, op);
  if (r.end > qp.priv_room || r.end > m->data_len || (dst && r.end > dst->data_len)) return nullptr;
  if (s.iv_offset + s.iv_len >
      sizeof(rte_crypto_op) + sizeof(rte_crypto_sym_op) + kPrivSize - sizeof(PrivMeta))
    return nullptr;
  rte_crypto_op* p = rte_crypto_op_alloc(qp.priv_ops, RTE_CRYPTO_OP_TYPE_SYMMETRIC);
  if (p == nullptr) return nullptr;
  rte_mbuf* pm = rte_pktmbuf_alloc(qp.priv_mbufs);
  if (pm == nullptr) {
    rte_crypto_op_free(p);
    return nullptr;
  }
  auto* pd = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(pm, static_cast<uint16_t>(r.end)));
  std::memcpy(pd + r.begin, rte_pktmbuf_mtod_offset(m, uint8_t*, r.begin), r.end - r.begin);
  PrivMeta* meta = meta_of(p);
  meta->seq = seq;
  meta->t_enq = now;
  meta->app_op = op;
  meta->abandoned.store(false, std::memory_order_relaxed);
  meta->accel = static_cast<uint8_t>(a);
  meta->sub = s.sub;
  sub_sessions_ref(s.sub);
  meta->timed = false;
  meta->probe = false;
  meta->cost_in = 0;
  rte_crypto_op_attach_sym_session(p, s.sub->accel_sess[a]);
  rte_crypto_sym_op* y = p->sym;
  *y = *op->sym;  // offsets, lengths; pointers replaced below
  y->session = s.sub->accel_sess[a];
  y->m_src = pm;
  y->m_dst = nullptr;
  std::memcpy(rte_crypto_op_ctod_offset(p, uint8_t*, s.iv_offset),
              rte_crypto_op_ctod_offset(op, uint8_t*, s.iv_offset), s.iv_len);
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
  SubSessions* sub = meta_of(p)->sub;
  rte_pktmbuf_free(p->sym->m_src);
  rte_crypto_op_free(p);
  sub_sessions_unref(sub);
}

namespace {

// Copies an accelerator's result back into the application's op.
void copy_back(const Session& s, rte_crypto_op* op, rte_crypto_op* p) noexcept {
  OpRegion r = region_of(s, op);
  rte_mbuf* dst = op->sym->m_dst ? op->sym->m_dst : op->sym->m_src;
  std::memcpy(rte_pktmbuf_mtod_offset(dst, uint8_t*, r.begin),
              rte_pktmbuf_mtod_offset(p->sym->m_src, uint8_t*, r.begin), r.end - r.begin);
  uint8_t* app_digest = digest_ptr(s, op);
  if (!s.verify && s.digest_len && app_digest)
    std::memcpy(app_digest, meta_of(p)->digest, s.digest_len);
}

// Whether accelerator i may take an op without holding back this queue pair: its latency times
// the queue pair's op rate (what the CPU path alone could do) must stay under half the order ring.
// When it does not, one op every 10 ms still goes (a probe), so that a recovering accelerator is
// noticed.
enum class Admit : uint8_t { Yes, No, Probe };
Admit order_allows(QueuePair& qp, size_t i, double cpu_cycles, uint64_t now, uint64_t hz) noexcept {
  double lat = qp.gauge[i].latency_cycles();
  // The rate that matters is what the queue pair can do, not what it did: a blocked queue pair's
  // observed rate falls and would let even more ops go to the slow accelerator. Use the CPU's own
  // rate for this kind and size when it is known.
  // The CPU cost comes from ops timed alone (one call each, TSC reads included), which makes
  // it an underestimate of the rate; the observed rate, when higher, is the better bound.
  double rate = std::max(cpu_cycles > 0 ? 1.0 / cpu_cycles : 0.0, qp.op_rate);
  // Nothing is admitted before a probe has measured the latency: an op sent to an accelerator
  // that turns out to take milliseconds holds back every later op of the queue pair.
  if (lat > 0 && lat * rate < qp.depth / 2.0) return Admit::Yes;
  if (now - qp.last_probe[i] > hz / 100) {
    qp.last_probe[i] = now;
    return Admit::Probe;
  }
  return Admit::No;
}

// CPU ops of a burst, run together: consecutive contiguous in-place ops of one session with the
// same offsets go to the CPU device in one rte_cryptodev_sym_cpu_crypto_process() call.
class CpuBatch {
 public:
  explicit CpuBatch(const Device& d) : d_(d) {}
  ~CpuBatch() { flush(); }
  void add(rte_crypto_op* op) noexcept {
    rte_crypto_sym_op* y = op->sym;
    bool simple = op->sess_type == RTE_CRYPTO_OP_WITH_SESSION && y->session && y->m_src &&
                  y->m_src->nb_segs == 1 && (y->m_dst == nullptr || y->m_dst == y->m_src);
    if (!simple) {
      run_on_cpu(d_, op);
      return;
    }
    const Session& s = *session_of(y->session);
    uint32_t total = y->m_src->data_len;
    rte_crypto_sym_ofs ofs{};
    auto region = [total](uint32_t off, uint32_t len, uint16_t& head, uint16_t& tail) {
      if (uint64_t{off} + len > total || total > UINT16_MAX) return false;
      head = static_cast<uint16_t>(off);
      tail = static_cast<uint16_t>(total - off - len);
      return true;
    };
    bool ok = s.aead ? region(y->aead.data.offset, y->aead.data.length, ofs.ofs.cipher.head,
                              ofs.ofs.cipher.tail)
                     : region(y->cipher.data.offset, y->cipher.data.length, ofs.ofs.cipher.head,
                              ofs.ofs.cipher.tail) &&
                           region(y->auth.data.offset, y->auth.data.length, ofs.ofs.auth.head,
                                  ofs.ofs.auth.tail);
    if (!ok) {
      op->status = RTE_CRYPTO_OP_STATUS_INVALID_ARGS;
      return;
    }
    if (n_ && (s.sub->cpu_sess != sess_ || ofs.raw != ofs_.raw || n_ == kBurst)) flush();
    sess_ = s.sub->cpu_sess;
    ofs_ = ofs;
    ops_[n_] = op;
    vec_[n_] = {rte_pktmbuf_mtod(y->m_src, void*), rte_pktmbuf_iova(y->m_src), total, total};
    sgl_[n_] = {&vec_[n_], 1};
    iv_[n_] = {rte_crypto_op_ctod_offset(op, void*, s.iv_offset), 0};
    digest_[n_] = {digest_ptr(s, op), 0};
    aad_[n_] = {s.aead ? y->aead.aad.data : nullptr, 0};
    ++n_;
  }
  void flush() noexcept {
    if (n_ == 0) return;
    rte_crypto_sym_vec v{};
    v.num = n_;
    v.src_sgl = sgl_.data();
    v.iv = iv_.data();
    v.digest = digest_.data();
    v.aad = aad_.data();
    v.status = st_.data();
    rte_cryptodev_sym_cpu_crypto_process(d_.cpu_dev, sess_, ofs_, &v);
    for (uint32_t k = 0; k < n_; ++k) ops_[k]->status = from_errno(st_[k]);
    n_ = 0;
  }

 private:
  const Device& d_;
  void* sess_ = nullptr;
  rte_crypto_sym_ofs ofs_{};
  uint32_t n_ = 0;
  std::array<rte_crypto_op*, kBurst> ops_;
  std::array<rte_crypto_vec, kBurst> vec_;
  std::array<rte_crypto_sgl, kBurst> sgl_;
  std::array<rte_crypto_va_iova_ptr, kBurst> iv_, digest_, aad_;
  std::array<int32_t, kBurst> st_;
};

void account_rate(QueuePair& qp, uint32_t n, uint64_t now, uint64_t hz) noexcept {
  if (qp.rate_window_start == 0) qp.rate_window_start = now;
  qp.rate_window_ops += n;
  uint64_t span = now - qp.rate_window_start;
  if (span >= hz / 1000) {
    double sample = static_cast<double>(qp.rate_window_ops) / static_cast<double>(span);
    qp.op_rate = qp.op_rate == 0 ? sample : qp.op_rate + (sample - qp.op_rate) / 8;
    qp.rate_window_start = now;
    qp.rate_window_ops = 0;
  }
}

}  // namespace

void run_on_cpu(const Device& d, rte_crypto_op* op) noexcept {
  if (op->sess_type != RTE_CRYPTO_OP_WITH_SESSION || op->sym->session == nullptr ||
      op->sym->m_src == nullptr) {
    op->status = RTE_CRYPTO_OP_STATUS_INVALID_SESSION;
    return;
  }
  const Session& s = *session_of(op->sym->session);
  rte_crypto_sym_op* y = op->sym;
  std::array<rte_crypto_vec, 64> sv, dv;
  auto describe = [](rte_mbuf* m, std::array<rte_crypto_vec, 64>& v) -> uint32_t {
    uint32_t n = 0;
    for (; m && n < v.size(); m = m->next, ++n)
      v[n] = {rte_pktmbuf_mtod(m, void*), rte_pktmbuf_iova(m), m->data_len, 0};
    return m ? 0 : n;  // 0: longer chain than we describe
  };
  rte_crypto_sgl src{sv.data(), describe(y->m_src, sv)}, dst{dv.data(), 0};
  bool oop = y->m_dst && y->m_dst != y->m_src;
  if (oop) dst.num = describe(y->m_dst, dv);
  uint32_t total = rte_pktmbuf_pkt_len(y->m_src);
  auto ofs_of = [total](uint32_t off, uint32_t len, uint16_t& head, uint16_t& tail) {
    if (uint64_t{off} + len > total || total > UINT16_MAX) return false;
    head = static_cast<uint16_t>(off);
    tail = static_cast<uint16_t>(total - off - len);
    return true;
  };
  rte_crypto_sym_ofs ofs{};
  bool ok = src.num != 0 && (!oop || dst.num != 0);
  if (s.aead) {
    ok = ok &&
         ofs_of(y->aead.data.offset, y->aead.data.length, ofs.ofs.cipher.head, ofs.ofs.cipher.tail);
  } else {
    ok = ok &&
         ofs_of(y->cipher.data.offset, y->cipher.data.length, ofs.ofs.cipher.head,
                ofs.ofs.cipher.tail) &&
         ofs_of(y->auth.data.offset, y->auth.data.length, ofs.ofs.auth.head, ofs.ofs.auth.tail);
  }
  if (!ok) {
    op->status = RTE_CRYPTO_OP_STATUS_INVALID_ARGS;
    return;
  }
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
  rte_cryptodev_sym_cpu_crypto_process(d.cpu_dev, s.sub->cpu_sess, ofs, &vec);
  op->status = from_errno(status);
}

uint16_t enqueue_burst(void* qp_ptr, rte_crypto_op** ops, uint16_t nb_ops) noexcept {
  auto* qp = static_cast<QueuePair*>(qp_ptr);
  const Device& d = *qp->dev;
  uint32_t room = qp->depth - static_cast<uint32_t>(qp->head - qp->tail_snapshot());
  uint32_t n = std::min<uint32_t>(nb_ops, room);
  uint64_t hz = rte_get_tsc_hz();
  uint64_t now = qp->clock.load(std::memory_order_relaxed);
  if ((qp->enq_calls++ & 15) == 0 || now == 0) {
    now = rte_rdtsc();
    qp->clock.store(now, std::memory_order_relaxed);
  }
  size_t na = d.accel_devs.size();
  // Accelerator batches of this burst.
  std::array<std::array<rte_crypto_op*, kBurst>, kMaxAccel> batch;
  std::array<std::array<uint64_t, kBurst>, kMaxAccel> batch_seq;
  std::array<std::array<uint32_t, kBurst>, kMaxAccel> batch_bytes;
  std::array<uint32_t, kMaxAccel> nb{};
  uint32_t done_in = 0;
  CpuBatch cpu(d);
  while (done_in < n) {
    uint32_t chunk = std::min<uint32_t>(n - done_in, kBurst);
    nb.fill(0);
    for (uint32_t k = 0; k < chunk; ++k) {
      rte_crypto_op* op = ops[done_in + k];
      uint64_t seq = qp->head + done_in + k;
      Entry& e = qp->ring[seq & qp->mask];
      e.op = op;
      e.priv = nullptr;
      e.t_enq = now;
      e.state.store(kPending, std::memory_order_relaxed);
      bool valid =
          op->sess_type == RTE_CRYPTO_OP_WITH_SESSION && op->sym->session && op->sym->m_src;
      const Session* s = valid ? session_of(op->sym->session) : nullptr;
      uint32_t bytes = valid ? rte_pktmbuf_pkt_len(op->sym->m_src) : 0;
      // Choose: the accelerator with room, least loaded, if the model prefers offload.
      int a = -1;
      if (valid && na && d.mode != Mode::Cpu && bytes <= qp->priv_room) {
        bool want = d.mode == Mode::Accel || qp->model.choose(s->kind, bytes) == Path::Accel;
        if (want) {
          uint32_t best = UINT32_MAX;
          for (size_t i = 0; i < na; ++i) {
            if (qp->stalled_until[i] > now) continue;
            if (d.mode != Mode::Accel) {
              Admit ad = order_allows(*qp, i, qp->model.cpu_cost(s->kind, bytes), now, hz);
              if (ad == Admit::No) continue;
              if (ad == Admit::Probe) {  // measure it with a copy nobody waits for
                if (nb[i] < kBurst) {
                  if (rte_crypto_op* pr = make_private(*qp, *s, op, static_cast<int>(i), 0, now)) {
                    meta_of(pr)->probe = true;
                    batch_seq[i][nb[i]] = UINT64_MAX;
                    batch_bytes[i][nb[i]] = 0;
                    batch[i][nb[i]++] = pr;
                  }
                }
                continue;
              }
            }
            uint32_t lim =
                d.mode == Mode::Accel ? qp->depth : qp->gauge[i].inflight_limit(32, qp->depth, hz);
            uint32_t fl = qp->inflight[i].load(std::memory_order_relaxed) + nb[i];
            if (fl < lim && fl < best) {
              best = fl;
              a = static_cast<int>(i);
            }
          }
          if (a < 0) ++qp->c.spills;  // every accelerator full or stalled: the CPU takes it
        }
      }
      // Costs are measured on one op in 32 (two TSC reads are not free on small ops), and on
      // every accelerator op of a class whose offload is not measured yet: exploration picks
      // every 64th op of a class, which for one size can fall on the same residue every time.
      bool timed = (seq & 31) == 0 || (a >= 0 && qp->model.offload_cost(s->kind, bytes) == 0);
      if (a >= 0) {
        uint64_t t0 = timed ? rte_rdtsc() : 0;
        if (rte_crypto_op* p = make_private(*qp, *s, op, a, seq, now)) {
          if (timed) {
            meta_of(p)->timed = true;
            meta_of(p)->cost_in = rte_rdtsc() - t0;
          }
          e.priv = p;
          e.accel = static_cast<uint8_t>(a);
          batch_seq[a][nb[a]] = seq;
          batch_bytes[a][nb[a]] = bytes;
          batch[a][nb[a]++] = p;
          continue;
        }
      }
      if (timed) {  // measured alone
        uint64_t t0 = rte_rdtsc();
        run_on_cpu(d, op);
        if (valid) qp->model.record_cpu(s->kind, bytes, static_cast<double>(rte_rdtsc() - t0));
      } else {
        cpu.add(op);
      }
      ++qp->c.cpu_ops;
      qp->c.cpu_bytes += bytes;
      e.state.store(kDone, std::memory_order_relaxed);
    }
    for (size_t i = 0; i < na; ++i) {
      if (nb[i] == 0) continue;
      qp->inflight[i].fetch_add(nb[i], std::memory_order_relaxed);
      uint16_t sent = rte_cryptodev_enqueue_burst(d.accel_devs[i], qp->id, batch[i].data(),
                                                  static_cast<uint16_t>(nb[i]));
      for (uint32_t k = 0; k < nb[i]; ++k) {
        if (k < sent) {  // the accelerator's now (and maybe already back): do not touch it
          if (batch_seq[i][k] == UINT64_MAX) continue;  // a probe
          ++qp->c.accel_ops[i];
          qp->c.accel_bytes[i] += batch_bytes[i][k];
          continue;
        }
        if (batch_seq[i][k] == UINT64_MAX) {  // a refused probe
          free_private(batch[i][k]);
          continue;
        }
        Entry& e = qp->ring[batch_seq[i][k] & qp->mask];
        // Refused by a full accelerator queue: never wait, run it here.
        free_private(batch[i][k]);
        e.priv = nullptr;
        run_on_cpu(d, e.op);
        ++qp->c.spills;
        ++qp->c.cpu_ops;
        e.state.store(kDone, std::memory_order_release);
      }
      qp->inflight[i].fetch_sub(nb[i] - sent, std::memory_order_relaxed);
    }
    cpu.flush();
    // Published only now: dequeue (maybe on another thread) never sees an entry this thread may
    // still change. Completions of these ops only touch entries the enqueue side is done with.
    qp->publish_head(qp->head + done_in + chunk);
    done_in += chunk;
  }
  qp->head += n;
  account_rate(*qp, n, now, hz);
  qp->c.enqueued += n;
  qp->c.refused += nb_ops - n;
  return static_cast<uint16_t>(n);
}

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
    qp->gauge[i].record_completions(got, now, hz);
    for (uint16_t k = 0; k < got; ++k) {
      rte_crypto_op* p = back[k];
      PrivMeta* meta = meta_of(p);
      if (meta->probe) {  // a latency probe: measured, done
        qp->gauge[i].record_latency(now - meta->t_enq);
        free_private(p);
        continue;
      }
      if (meta->abandoned.load(std::memory_order_acquire)) {  // re-run already: just free it
        ++qp->c.late_returns;
        free_private(p);
        if (qp->stalled_until[i] != 0) qp->stalled_until[i] = 0;  // it is alive again
        continue;
      }
      Entry& e = qp->ring[meta->seq & qp->mask];
      const Session& s = *session_of(e.op->sym->session);
      qp->gauge[i].record_latency(now - meta->t_enq);
      uint64_t t0 = meta->timed ? rte_rdtsc() : 0;
      if (p->status == RTE_CRYPTO_OP_STATUS_SUCCESS ||
          p->status == RTE_CRYPTO_OP_STATUS_AUTH_FAILED) {
        copy_back(s, e.op, p);
        e.op->status = p->status;
        if (meta->timed)  // application-core cost of the offload: copy in, copy out, bookkeeping
          qp->model.record_offload(s.kind, rte_pktmbuf_pkt_len(e.op->sym->m_src),
                                   static_cast<double>(meta->cost_in + rte_rdtsc() - t0));
      } else {
        // The accelerator failed it without touching the application's data: run it here.
        run_on_cpu(d, e.op);
        ++qp->c.reruns_error;
      }
      free_private(p);
      e.priv = nullptr;
      e.state.store(kDone, std::memory_order_release);
    }
    qp->inflight[i].fetch_sub(got, std::memory_order_relaxed);
  }
  // 2. A stalled accelerator holding the oldest op: take it back (run it here), stop sending to
  //    that accelerator until it answers again.
  while (qp->tail < published) {
    Entry& e = qp->ring[qp->tail & qp->mask];
    if (e.state.load(std::memory_order_acquire) == kDone || e.priv == nullptr) break;
    uint8_t i = e.accel;
    // Adaptive: 50 times the measured latency, at least 10 ms (helpers sharing a busy CPU can
    // be late by milliseconds without being stuck).
    uint64_t limit = d.stall_us
                         ? hz / 1'000'000 * d.stall_us
                         : std::max<uint64_t>(
                               hz / 100, 50 * static_cast<uint64_t>(qp->gauge[i].latency_cycles()));
    if (now - e.t_enq < limit) break;
    meta_of(e.priv)->abandoned.store(true, std::memory_order_release);
    e.priv = nullptr;
    run_on_cpu(d, e.op);
    ++qp->c.reruns_stall;
    qp->stalled_until[i] = UINT64_MAX;  // until a late return shows it alive
    e.state.store(kDone, std::memory_order_release);
    // Later ops on the same accelerator are as stuck: take them back as they reach the head.
    for (uint64_t s = qp->tail + 1; s < published; ++s) {
      Entry& f = qp->ring[s & qp->mask];
      if (f.state.load(std::memory_order_acquire) == kDone || f.priv == nullptr || f.accel != i)
        continue;
      meta_of(f.priv)->abandoned.store(true, std::memory_order_release);
      f.priv = nullptr;
      run_on_cpu(d, f.op);
      ++qp->c.reruns_stall;
      f.state.store(kDone, std::memory_order_release);
    }
  }
  // 3. Finished ops, in enqueue order.
  uint16_t n = 0;
  while (n < nb_ops && qp->tail < published) {
    Entry& e = qp->ring[qp->tail & qp->mask];
    if (e.state.load(std::memory_order_acquire) != kDone) break;
    ops[n++] = e.op;
    qp->c.failed += e.op->status != RTE_CRYPTO_OP_STATUS_SUCCESS;
    ++qp->tail;
  }
  qp->publish_tail();
  qp->c.dequeued += n;
  return n;
}

}  // namespace dpaccel::balance
