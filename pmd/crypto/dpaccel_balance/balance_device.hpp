// crypto_dpaccel_balance: a cryptodev in front of one CPU-crypto device and one or more
// asynchronous devices ("accelerators"), deciding per op where it runs from an online cost model
// (cost_model.hpp). Shared state of the driver's files.
//
// The balancer owns its children (the CPU device and the accelerators): it configures, starts,
// stops and closes them with itself, and its queue pair N uses their queue pairs N. A child serves
// one balancer (attach_children refuses a second). Ops it keeps on the CPU go through the CPU
// device's own queue pair: whole bursts pass through and wait there for their turn, or a ring
// burst's CPU ops are enqueued and dequeued at once. The CPU device must work synchronously and in
// order (everything enqueued comes back at the next dequeue), as crypto_dpaccel_cpu does. Re-runs
// (after an accelerator error or stall) use its synchronous CPU-crypto API instead, which needs no
// queue pair and takes any data layout.
//
// Ops stay in enqueue order per queue pair through an order ring: an op run on the CPU is finished
// at enqueue; an op sent to an accelerator is finished when that accelerator gives it back (with
// ordering=disable, dequeue moves such an op out of the ring and returns it when it is back). The
// accelerator works on a private op of the balancer's: a copy (op + mbuf from the balancer's own
// pools), or, for an accelerator that takes revocable ops (op_claim.hpp), our op pointing at the
// application's buffers, which the accelerator claims before touching them. Either way an op it
// fails or stalls on can be run again on the CPU from the application's untouched data, and a late
// completion only frees the private op: nothing is lost or done twice.
#pragma once

#include <cryptodev_pmd.h>
#include <rte_cryptodev.h>
#include <rte_cycles.h>
#include <rte_log.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "completion_ring.hpp"
#include "cost_model.hpp"
#include "op_claim.hpp"

extern int dpaccel_balance_logtype;  // "pmd.crypto.dpaccel_balance"
extern uint8_t dpaccel_balance_driver_id;

namespace dpaccel::balance {

#define BAL_LOG(level, fmt, ...)                                                         \
  rte_log(RTE_LOG_##level, dpaccel_balance_logtype, "crypto_dpaccel_balance: " fmt "\n", \
          ##__VA_ARGS__)

inline constexpr int kMaxAccel = 4;
inline constexpr uint32_t kAadMax = 256;        // ops with more AAD run on the CPU
inline constexpr uint32_t kPrivSize = 1024;     // private area of the balancer's private ops
inline constexpr uint32_t kBurst = 64;          // ops decided together (one chunk of a burst)
inline constexpr uint32_t kInflightFloor = 32;  // an admitted accelerator may always hold this many
// The share of the order ring that ops held back behind accelerator ops may fill (admission and
// the in-flight cap's latency budget); the rest absorbs latency jitter before the application is
// refused. (Three quarters, and an order ring as deep as the children together, as
// crypto_scheduler's, were tried: no better in interleaved runs, worse at 64 B.)
inline constexpr double kOrderShare = 0.5;

// A balancer session's private data starts with the CPU device's own session data (the CPU device
// configures it in place), so the CPU device takes the application's ops with their session as it
// is; the balancer's Session follows at Device::sess_offset. The accelerators get sub-sessions.
//
// The sub-sessions of one balancer session. They live apart from the session itself because an
// accelerator may still hold a private copy after the application freed the session (an op taken
// back after a stall): they go when the session is cleared *and* no private copy uses them.
struct SubSessions {
  static constexpr uint32_t kCleared = 1u << 31;
  std::atomic<uint32_t> state{0};  // kCleared | private copies in flight
  uint8_t accel_dev[kMaxAccel] = {};
  void* accel_sess[kMaxAccel] = {};
  uint8_t n_accel = 0;
};
void destroy_sub_sessions(SubSessions* sub) noexcept;
inline void sub_sessions_ref(SubSessions* sub) noexcept {
  sub->state.fetch_add(1, std::memory_order_relaxed);
}
inline void sub_sessions_unref(SubSessions* sub) noexcept {
  if (sub->state.fetch_sub(1, std::memory_order_acq_rel) - 1 == SubSessions::kCleared)
    destroy_sub_sessions(sub);
}

struct Session {
  SubSessions* sub;
  uint16_t iv_offset, iv_len, aad_len, digest_len;
  Kind kind;
  bool aead;
  bool has_cipher, has_auth;  // a chain's transforms (a NULL hash reads no region)
  bool verify;                // the op's digest is an input (decrypt / verify)
};

// What the balancer keeps at the end of a private op's private area. A private op is either a
// copy (its own mbuf holding the op's region, its own digest and AAD) or, for an accelerator that
// takes revocable ops (op_claim.hpp), zero-copy: our op struct pointing at the application's
// mbufs, digest and AAD, with a claim the accelerator takes before touching them.
struct PrivMeta {
  uint64_t seq;    // position of the application's op in the order ring
  uint64_t t_enq;  // TSC at enqueue
  rte_crypto_op* app_op;
  // Kept alive by this copy. nullptr while the op is in its pool (rte_crypto_op_pool_create
  // zeroes every element, free_private clears it): qp_release finds the copies a closed
  // accelerator kept by it.
  SubSessions* sub;
  std::atomic<bool> abandoned;    // re-run on the CPU after a stall: free when it comes back
  std::atomic<pmd::Claim> claim;  // zero-copy: Queued until the accelerator takes it
  uint8_t accel;
  bool timed;        // cost_in was measured (sampled ops)
  bool probe;        // a latency probe: no application op waits for it
  bool zero_copy;    // no mbuf of ours: the accelerator works on the application's data
  uint64_t cost_in;  // cycles the application core spent making this copy
  uint32_t ahead;    // ops of this queue pair the accelerator held when this one was sent
  uint8_t digest[64];
  uint8_t aad[kAadMax];
};

enum : uint8_t { kPending = 0, kDone = 1 };

// A slot of the order ring. An op run on the CPU is done when its chunk is published, and only op
// and state are written for it; priv, t_enq and accel mean something only while state is kPending
// (an op on an accelerator).
struct Entry {
  rte_crypto_op* op;
  rte_crypto_op* priv;  // the private copy on an accelerator; nullptr once taken back
  uint64_t t_enq;
  uint8_t accel;
  std::atomic<uint8_t> state;
};

struct Counters {
  uint64_t enqueued = 0, dequeued = 0, refused = 0, failed = 0;
  uint64_t cpu_ops = 0, cpu_bytes = 0;
  uint64_t accel_ops[kMaxAccel] = {}, accel_bytes[kMaxAccel] = {};
  uint64_t spills = 0;        // meant for an accelerator, run on the CPU (full, or stalled)
  uint64_t reruns_error = 0;  // failed by an accelerator, run again on the CPU
  uint64_t reruns_stall = 0;  // taken back from a stalled accelerator
  uint64_t late_returns = 0;  // private copies an accelerator gave back after a re-run
  uint64_t zero_copy = 0;     // accelerator ops sent without copies (op_claim.hpp)
};

struct Device;

struct QueuePair {
  uint16_t id = 0;
  const Device* dev = nullptr;
  uint64_t head = 0;  // enqueue side: next sequence number
  uint64_t tail = 0;  // dequeue side: oldest op not yet returned
  // Enqueue and dequeue may run on two threads: each side publishes its index to the other.
  alignas(64) std::atomic<uint64_t> head_pub{0};
  alignas(64) std::atomic<uint64_t> tail_pub{0};
  uint64_t head_snapshot() const noexcept { return head_pub.load(std::memory_order_acquire); }
  uint64_t tail_snapshot() const noexcept { return tail_pub.load(std::memory_order_acquire); }
  void publish_head(uint64_t h) noexcept { head_pub.store(h, std::memory_order_release); }
  // Ops the dequeue side holds outside the ring (ordering=disable) still count against the depth.
  void publish_tail() noexcept { tail_pub.store(tail - held(), std::memory_order_release); }
  // Without ordering (devarg ordering=disable), dequeue does not wait at an op on an accelerator:
  // it moves the op's private op out of the ring into `parked` (a FIFO in enqueue order; a slot is
  // cleared when its op comes back, and its meta's seq becomes kParked | the FIFO position) and
  // goes on; a parked op that comes back, or is taken back after a stall, waits in `ready` for
  // the next dequeue. Both are the dequeue side's alone, mask + 1 slots each.
  static constexpr uint64_t kParked = 1ull << 63;
  rte_crypto_op** parked = nullptr;
  uint64_t park_head = 0, park_tail = 0;
  rte_crypto_op** ready = nullptr;
  uint64_t ready_head = 0, ready_tail = 0;
  uint64_t held() const noexcept { return (park_head - park_tail) + (ready_head - ready_tail); }
  uint32_t mask = 0;
  Entry* ring = nullptr;  // order ring, mask + 1 entries
  // Pass-through: a burst that goes to the CPU whole stays in the CPU device's queue pair, and
  // dequeue takes it from there when its turn comes. Its ops take sequence numbers like any (and
  // count against the depth) but no ring entries: the range they took is queued in `passes`
  // (written before head is published, like entries), and dequeue, reaching a range's start,
  // takes that many ops from the CPU device's queue pair (which returns them in order).
  struct Pass {
    uint64_t begin, end;  // sequence numbers
  };
  Pass* passes = nullptr;  // mask + 1 slots (a pass holds at least one op)
  uint64_t pass_push = 0;  // enqueue side
  uint64_t pass_pop = 0;   // dequeue side: a pass is popped once all its ops are back
  alignas(64) std::atomic<uint64_t> pass_push_pub{0};
  alignas(64) std::atomic<uint64_t> pass_pop_pub{0};
  // Whether passed-through ops still wait in the CPU device's queue pair, as the enqueue side sees
  // it: while they do, that queue pair is not free for a ring burst's CPU ops.
  bool passes_pending() const noexcept {
    return pass_push != pass_pop_pub.load(std::memory_order_acquire);
  }
  // Accelerators taking revocable ops on this queue pair: their ops go without copies.
  bool zero_copy[kMaxAccel] = {};
  // Private ops taken from their pool a burst ahead, their lines prefetched for writing: a private
  // op was last written by the accelerator's core (status, claim), and making it cost the
  // application core a quarter of its time in cross-core misses, one op after another
  // (AES-CBC + HMAC-SHA256 IMIX, zero-copy). Enqueue side only; given back at release.
  static constexpr uint32_t kStash = 64;
  rte_crypto_op* stash[kStash] = {};
  uint32_t stash_n = 0;
  rte_mempool* priv_ops = nullptr;
  rte_mempool* priv_mbufs = nullptr;
  uint32_t priv_room = 0;  // data room of a private mbuf
  std::atomic<uint32_t> inflight[kMaxAccel] = {};
  // No new ops to a stalled accelerator before this TSC. Written by dequeue, read by enqueue.
  std::atomic<uint64_t> stalled_until[kMaxAccel] = {};
  // The cost model is the enqueue side's alone: dequeue measures what an offload cost the
  // application core and hands the sample over through the drivers' single-producer,
  // single-consumer ring, which enqueue drains before deciding (two threads updating the model at
  // once could lose an update of its per-kind count of accelerator cells for good). A full ring
  // drops the sample: samples are one op in 64, and the model an average.
  struct OffloadSample {
    Kind kind;
    uint32_t bytes;
    double cycles;
  };
  static constexpr uint32_t kSamples = 64;
  pmd::CompletionRing<OffloadSample> samples;  // dequeue produces, enqueue consumes
  void push_offload_sample(Kind k, uint32_t bytes, double cycles) noexcept {
    if (samples.free_count() == 0) return;
    samples.slot(0) = {k, bytes, cycles};
    samples.publish(1);
  }
  void take_offload_samples() noexcept {
    const uint32_t n = samples.used_count();
    if (n == 0) [[likely]]
      return;
    for (uint32_t i = 0; i < n; ++i) {
      const OffloadSample& s = samples.peek(i);
      model.record_offload(s.kind, s.bytes, s.cycles);
    }
    samples.consume(n);
  }
  CostModel model;
  RegimeGuard guard;  // whether the model's use of the accelerators is measured to pay
  Countdown timing{64, 0x5851f42d4c957f2dull};  // ops whose cost is measured (see enqueue_burst)
  Countdown batch_timing{16, 0x14057b7ef767814full};  // CPU batches timed (see CpuBatch)
  Countdown learning{8, 0x2545f4914f6cdd1dull};       // bursts that may not pass through (learning)
  AccelGauge gauge[kMaxAccel];
  // Order costs: with in-order delivery an op on an accelerator holds back every later op until it
  // completes, so an accelerator is usable only while latency x this queue pair's op rate stays
  // well inside the order ring. Op rate: ops per TSC cycle, over 1 ms windows.
  double op_rate = 0;
  double op_rate_peak = 0;  // highest 1 ms op rate lately (decaying max)
  uint64_t rate_window_start = 0;
  uint64_t rate_window_ops = 0;
  uint64_t last_probe[kMaxAccel] = {};
  // A TSC reading shared by both sides: reading the TSC is not free (in some VMs it traps), and the
  // decisions it serves are on a millisecond scale. Dequeue refreshes it when it has ops out;
  // enqueue every 16th burst.
  std::atomic<uint64_t> clock{0};
  uint64_t last_ring_burst = 0;  // TSC (the shared clock) of the last burst on the ring path
  uint32_t enq_calls = 0;        // when too slow, one op now and then keeps latency fresh
  Counters c;
  // Ops in flight: up to `depth` (the order ring's size) when they take the ring path, up to
  // `pass_depth` (the application's nb_descriptors, what the CPU device's queue pair holds) when
  // passed through. The order ring is twice the application's depth: with in-order delivery every
  // op behind one at an accelerator waits there, so its size bounds what an accelerator's latency
  // lets the queue pair do.
  uint32_t depth = 0;
  uint32_t pass_depth = 0;
};

enum class Mode : uint8_t { Adaptive, Cpu, Accel };  // cpu / accel: everything one way (baselines)

// Gives up the children attach_children() claimed for this balancer.
void release_children(const char* balancer) noexcept;

struct Device {
  std::string name;  // this balancer's device name (the owner of its children)
  std::string cpu_name;
  std::vector<std::string> accel_names;
  uint8_t cpu_dev = 0;
  std::vector<uint8_t> accel_devs;
  bool attached = false;
  bool configured = false;  // the children have been configured (so are closed) with it
  std::vector<rte_cryptodev_capabilities> caps;  // intersection, with end marker
  rte_mempool* sub_pool = nullptr;  // the children's sessions (not the application's pool, whose
                                    // size an application computes for one session per use)
  uint32_t max_sessions = 4096;
  uint32_t sess_offset = 0;  // of the balancer's Session in a session's private data
  uint16_t max_nb_queue_pairs = 0;
  int socket_id = 0;
  uint32_t stall_us = 0;         // 0: adaptive (50 x measured latency, at least 10 ms)
  uint32_t accel_max_bytes = 0;  // larger ops run on the CPU
  Mode mode = Mode::Adaptive;
  bool zero_copy = true;  // with accelerators that take revocable ops (devarg zero_copy)
  bool ordered = true;    // ops come back in enqueue order (devarg ordering)

  // Frees what the device owns outside DPDK's memory. rte_cryptodev_pmd_destroy() frees the
  // device's private data (this object) without running destructors and calls dev_close first,
  // so remove() closes the children, releases everything here and leaves an object dev_close may
  // still look at (with no children left to close).
  void release() noexcept {
    if (attached) release_children(name.c_str());
    std::string().swap(name);
    std::string().swap(cpu_name);
    std::vector<std::string>().swap(accel_names);
    std::vector<uint8_t>().swap(accel_devs);
    std::vector<rte_cryptodev_capabilities>().swap(caps);
    rte_mempool_free(sub_pool);
    sub_pool = nullptr;
    attached = false;
  }
};

inline Device* device_of(rte_cryptodev* dev) {
  return static_cast<Device*>(dev->data->dev_private);
}
inline Session* session_of(const Device& d, void* s) {
  return reinterpret_cast<Session*>(static_cast<uint8_t*>(CRYPTODEV_GET_SYM_SESS_PRIV(s)) +
                                    d.sess_offset);
}
inline constexpr uint32_t kMetaOffset =
    sizeof(rte_crypto_op) + sizeof(rte_crypto_sym_op) + kPrivSize - sizeof(PrivMeta);
inline PrivMeta* meta_of(rte_crypto_op* priv) {
  return reinterpret_cast<PrivMeta*>(reinterpret_cast<uint8_t*>(priv) + kMetaOffset);
}
// Where a private op's claim is, for the accelerators' ClaimPort.
inline uint32_t claim_offset() noexcept {
  return static_cast<uint32_t>(kMetaOffset + offsetof(PrivMeta, claim));
}

// How long an op may stay at accelerator i before it counts as stalled and is taken back (TSC
// cycles). Adaptive unless stall_us is set: 50 times the measured latency, at least 10 ms
// (helpers sharing a busy CPU can be late by milliseconds without being stuck); for an accelerator
// taking revocable ops, 10 times its own latency, at least 2 ms: taking its ops back early costs
// only a re-run of ops it had not started (and its use until it answers again), while every
// millisecond the order ring waits turns the application's bursts away (dpaccel-fwd dropped
// ~100 000 packets per 300 ms stall as crypto_queue_full with the 10 ms floor). At 1 ms a helper
// waking late on this VM was taken for stalled now and then.
inline uint64_t stall_limit_cycles(const Device& d, const QueuePair& qp, size_t i) noexcept {
  const uint64_t hz = rte_get_tsc_hz();
  if (d.stall_us) return hz / 1'000'000 * d.stall_us;
  if (qp.zero_copy[i])
    return std::max<uint64_t>(hz / 500,
                              10 * static_cast<uint64_t>(qp.gauge[i].base_latency_cycles()));
  return std::max<uint64_t>(hz / 100, 50 * static_cast<uint64_t>(qp.gauge[i].latency_cycles()));
}

int attach_children(rte_cryptodev* dev) noexcept;
extern rte_cryptodev_ops g_dev_ops;
uint16_t enqueue_burst(void* qp, rte_crypto_op** ops, uint16_t nb_ops) noexcept;
uint16_t dequeue_burst(void* qp, rte_crypto_op** ops, uint16_t nb_ops) noexcept;
// Frees a private copy (op and mbuf) and its hold on the sub-sessions.
void free_private(rte_crypto_op* p) noexcept;
// Runs op inline on the CPU device; sets its status.
void run_on_cpu(const Device& d, rte_crypto_op* op) noexcept;

}  // namespace dpaccel::balance
