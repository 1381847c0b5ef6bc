// crypto_dpaccel_worker: the helper threads. Each serves its queue pairs in turn: takes up to a
// burst of submitted ops, runs them on the queue pair's engine, applies the device model and
// publishes them, in order, to the completion ring.
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

#include <rte_cycles.h>
#include <rte_pause.h>
#include <rte_prefetch.h>

#include "imb_session.hpp"
#include "op_region.hpp"
#include "worker_device.hpp"

namespace dpaccel::worker {
namespace {

// The bytes an op's transform covers: what a throughput cap in Gbit/s meters (op_region.hpp).
uint32_t op_bytes(const rte_crypto_op* op) noexcept {
  const rte_crypto_sym_op* y = op->sym;
  if (op->sess_type != RTE_CRYPTO_OP_WITH_SESSION || y->session == nullptr) [[unlikely]]
    return 0;  // refused by the engine without work
  const auto* s = static_cast<const imb::Session*>(CRYPTODEV_GET_SYM_SESS_PRIV(y->session));
  return pmd::op_region(y, s->path != imb::Path::Job, s->has_cipher, s->has_auth).bytes();
}

// Token-bucket pacing: how many of the next n ops the caps let through now.
uint32_t paced(const DeviceModel& m, QueuePair& qp, uint32_t n, uint64_t hz) noexcept {
  if (m.rate_ops == 0 && m.rate_gbps == 0) return n;
  uint64_t now = rte_rdtsc();
  double dt = static_cast<double>(now - qp.last_refill_tsc) / static_cast<double>(hz);
  qp.last_refill_tsc = now;
  if (m.rate_ops) {
    double cap = std::max<double>(QueuePair::kBurst, static_cast<double>(m.rate_ops) / 1000);
    qp.tokens_ops = std::min(cap, qp.tokens_ops + dt * static_cast<double>(m.rate_ops));
    n = std::min<uint32_t>(n, static_cast<uint32_t>(qp.tokens_ops));
  }
  if (m.rate_gbps > 0) {
    double bps = m.rate_gbps * 1e9 / 8;
    qp.tokens_bytes = std::min(std::max(65536.0, bps / 1000), qp.tokens_bytes + dt * bps);
    // Ops go while the bucket holds anything; the last one may overdraw it, and the debt is
    // paid back before the next goes. (Requiring an op's whole size up front stalled the queue
    // pair for good on an op larger than the bucket.)
    double left = qp.tokens_bytes;
    uint32_t k = 0;
    for (; k < n && left > 0; ++k) left -= op_bytes(qp.submit.peek(k));
    n = k;
  }
  return n;
}

void charge(const DeviceModel& m, QueuePair& qp, rte_crypto_op* const* ops, uint32_t n) noexcept {
  if (m.rate_ops) qp.tokens_ops -= n;
  if (m.rate_gbps > 0)
    for (uint32_t k = 0; k < n; ++k) qp.tokens_bytes -= op_bytes(ops[k]);
}

// The ops of a burst were last written on the application's core: each line the engine reads is a
// transfer from that core's cache, and one op's reads depend on each other (op -> mbuf -> data).
// Asking for every op's lines first, level by level, overlaps those transfers across the burst
// instead of paying them one after another.
void prefetch_burst(rte_crypto_op* const* ops, uint32_t n) noexcept {
  for (uint32_t k = 0; k < n; ++k) {
    rte_prefetch0(ops[k]);
    rte_prefetch0(reinterpret_cast<const uint8_t*>(ops[k]) + RTE_CACHE_LINE_SIZE);
    rte_prefetch0(reinterpret_cast<const uint8_t*>(ops[k]) + 2 * RTE_CACHE_LINE_SIZE);
  }
  for (uint32_t k = 0; k < n; ++k) {
    const rte_crypto_sym_op* y = ops[k]->sym;
    if (y->m_src) rte_prefetch0(y->m_src);
  }
  for (uint32_t k = 0; k < n; ++k)
    if (const rte_mbuf* m = ops[k]->sym->m_src) rte_prefetch0(rte_pktmbuf_mtod(m, const void*));
}

// Serves one queue pair once. Returns true when it moved any op.
bool serve(Device& d, QueuePair& qp, uint64_t hz) noexcept {
  const DeviceModel& m = d.model;
  uint32_t n = std::min({qp.submit.used_count(), qp.done.free_count(), QueuePair::kBurst});
  if (n == 0) return false;
  bool stopping = !d.running.load(std::memory_order_acquire);
  if (!stopping && qp.processed >= qp.next_stall) {
    // Injected stall: nothing completes on this queue pair for stall_ms (cut short by stop). The
    // helper goes on serving its other queue pairs meanwhile.
    qp.stalled_until = rte_rdtsc() + hz / 1000 * m.stall_ms;
    qp.next_stall = m.stall_every ? qp.next_stall + m.stall_every : UINT64_MAX;
  }
  if (qp.stalled_until) {
    if (!stopping && rte_rdtsc() < qp.stalled_until) return false;
    qp.stalled_until = 0;
    qp.last_refill_tsc = rte_rdtsc();
  }
  if (!stopping) n = paced(m, qp, n, hz);  // a stopping device drains at full speed
  if (n == 0) return false;
  std::array<rte_crypto_op*, QueuePair::kBurst> ops;
  for (uint32_t k = 0; k < n; ++k) ops[k] = qp.submit.peek(k);
  qp.submit.consume(n);
  prefetch_burst(ops.data(), n);
  if (!stopping) charge(m, qp, ops.data(), n);
  const uint32_t claim_offset = qp.claim.claim_offset.load(std::memory_order_relaxed);
  if (m.error_rate > 0 || claim_offset) {
    // Ops whose submitter took them back (op_claim.hpp) go back as they came: NOT_PROCESSED,
    // their data untouched. Injected errors: the op comes back unprocessed (data untouched) with
    // ERROR, as when a device refuses an op, so a caller may run it again elsewhere. The others
    // run as usual.
    std::uniform_real_distribution<double> u(0, 1);
    std::array<rte_crypto_op*, QueuePair::kBurst> run;
    uint32_t r = 0, revoked = 0;
    for (uint32_t k = 0; k < n; ++k) {
      if (claim_offset && !pmd::device_takes(pmd::claim_of(ops[k], claim_offset)))
        ++revoked;
      else if (m.error_rate > 0 && u(qp.rng) < m.error_rate)
        ops[k]->status = RTE_CRYPTO_OP_STATUS_ERROR;
      else
        run[r++] = ops[k];
    }
    if (revoked) qp.revoked.fetch_add(revoked, std::memory_order_relaxed);
    qp.engine.process_ops(run.data(), r);
  } else {
    qp.engine.process_ops(ops.data(), n);
  }
  uint64_t ready = d.latency_tsc ? rte_rdtsc() + d.latency_tsc : 0;
  for (uint32_t k = 0; k < n; ++k) qp.done.slot(k) = {ops[k], ready};
  qp.done.publish(n);
  qp.processed += n;
  return true;
}

void helper_main(Device* d, std::vector<QueuePair*> qps, int cpu, std::string name) noexcept {
  if (cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (pthread_setaffinity_np(pthread_self(), sizeof set, &set) != 0)
      WRK_LOG(WARNING, "%s: cannot pin a helper to CPU %d", name.c_str(), cpu);
  }
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
  uint64_t hz = rte_get_tsc_hz();
  for (auto* qp : qps) qp->last_refill_tsc = rte_rdtsc();
  unsigned idle = 0;
  for (;;) {
    bool moved = false;
    for (auto* qp : qps) moved |= serve(*d, *qp, hz);
    if (moved) {
      idle = 0;
      continue;
    }
    // Stop only once everything submitted has been processed: no op is left behind.
    if (!d->running.load(std::memory_order_acquire)) {
      bool pending = false;
      for (auto* qp : qps) pending |= qp->submit.used_count() != 0;
      if (!pending) return;
    }
    // Idle: poll, then sleep briefly (helpers may share CPUs with the application's lcores).
    // Not sched_yield(): next to a thread that never sleeps (a polling lcore) a yield gives the
    // CPU away for the rest of a scheduler tick, so an op arriving then waited milliseconds (a
    // lone op took 2.7 ms here); a helper waking from a 10 us sleep preempts such a thread.
    if (++idle < 256)
      rte_pause();
    else
      rte_delay_us_sleep(10);
  }
}

}  // namespace

int start_helpers(rte_cryptodev* dev) noexcept {
  Device* d = device_of(dev);
  uint16_t nqp = dev->data->nb_queue_pairs;
  size_t nh = std::max<size_t>(1, d->model.cpus.size());
  nh = std::min<size_t>(nh, std::max<uint16_t>(nqp, 1));
  d->latency_tsc = rte_get_tsc_hz() / 1'000'000 * d->model.latency_us;
  d->running.store(true, std::memory_order_release);
  try {
    for (size_t h = 0; h < nh; ++h) {
      std::vector<QueuePair*> mine;
      for (uint16_t q = h; q < nqp; q += static_cast<uint16_t>(nh))
        if (auto* qp = static_cast<QueuePair*>(dev->data->queue_pairs[q])) mine.push_back(qp);
      int cpu = d->model.cpus.empty() ? -1 : d->model.cpus[h];
      std::string name =
          "dpaccel-wrk" + std::to_string(dev->data->dev_id) + "." + std::to_string(h);
      d->helpers.emplace_back(helper_main, d, std::move(mine), cpu, std::move(name));
    }
  } catch (...) {
    WRK_LOG(ERR, "%s: cannot start helper threads", dev->data->name);
    stop_helpers(dev);
    return -ENOMEM;
  }
  d->nb_helpers.store(static_cast<uint32_t>(d->helpers.size()), std::memory_order_relaxed);
  return 0;
}

void stop_helpers(rte_cryptodev* dev) noexcept {
  Device* d = device_of(dev);
  d->running.store(false, std::memory_order_release);
  d->nb_helpers.store(0, std::memory_order_relaxed);
  for (auto& t : d->helpers) t.join();
  d->helpers.clear();
}

}  // namespace dpaccel::worker
