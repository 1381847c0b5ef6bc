// The balancer's cost model, kept online per queue pair: for each kind of transform and size class,
// what an op costs the application's core when run inline on the CPU, and what it costs that core
// to hand it to an accelerator (copy in, enqueue, completion, copy out). Accelerators also report
// how fast they complete and how long ops take, which bounds how many ops may be in flight there.
//
// Decisions have hysteresis: a size class switches to the accelerator only when offloading is
// clearly cheaper (by the margin), and back only when it is clearly dearer, so the split does not
// oscillate on noise. A small share of ops keeps going the other way to keep both estimates fresh.
// Pure C++, no DPDK: unit-tested without EAL.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>

namespace dpaccel::balance {

enum class Kind : uint8_t { Gcm, Chacha, Chained, Count };  // cost differs a lot between these

inline constexpr int kSizeClasses = 10;  // <=64, <=128, ... <=16K, larger

// <=64 -> 0, 65..128 -> 1, ... (a power of two per class), larger than 16 KiB -> last. O(1): it
// runs for every op.
constexpr int size_class(uint32_t bytes) noexcept {
  if (bytes <= 64) return 0;
  int c = 32 - __builtin_clz(bytes - 1) - 6;
  return c < kSizeClasses - 1 ? c : kSizeClasses - 1;
}

enum class Path : uint8_t { Cpu, Accel };

// "One op in N", for sampling and exploration, at one decrement per op. The gaps are drawn at
// random around N (N/2 .. 3N/2) rather than fixed: with a fixed period, traffic whose sizes repeat
// with a period sharing a factor with N (e.g. big and small packets alternating, as in a TCP
// transfer) would put every sample on the same size class and starve the others.
class Countdown {
 public:
  explicit Countdown(uint32_t mean, uint64_t seed = 0x9e3779b97f4a7c15ull) noexcept
      : mean_(mean < 2 ? 2 : mean), state_(seed | 1) {
    left_ = next();
  }
  bool tick() noexcept {
    if (--left_ != 0) [[likely]]
      return false;
    left_ = next();
    return true;
  }
  uint32_t mean() const noexcept { return mean_; }

 private:
  uint32_t next() noexcept {  // xorshift64*
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    uint64_t r = (state_ * 0x2545f4914f6cdd1dull) >> 32;
    return mean_ / 2 + static_cast<uint32_t>(r % (mean_ + 1));  // mean: mean_ (even)
  }
  uint32_t mean_, left_ = 1;
  uint64_t state_;
};

class CostModel {
 public:
  struct Params {
    double margin = 0.10;         // hysteresis: switch only when one side is this much cheaper
    double alpha = 1.0 / 16;      // EWMA weight of a new sample
    uint32_t explore_every = 64;  // about one op in this many goes the non-preferred way
  };

  CostModel() = default;
  explicit CostModel(Params p) : p_(p), explore_(p.explore_every) {}

  // Where the next op of this kind and size should go, when the accelerator has room. Inline: it
  // runs for every op.
  Path choose(Kind k, uint32_t bytes) noexcept {
    // About one op in explore_every goes the other way; that is also how an unmeasured
    // accelerator gets its first samples (a class starts on the CPU, which always works). Trying
    // the accelerator more often than that would cost every op that it then does not admit (full,
    // or too slow for the order ring) a second decision.
    if (explore_.tick()) [[unlikely]] {
      // A class where the other path costs half as much again is explored 16 times less:
      // exploring a 64-byte op on an accelerator costs the application core several times what
      // the op does, and such a gap does not close between two samples.
      Cell& c = cell(k, bytes);
      if (c.settled && (++c.skips & 15) != 0) return c.accel ? Path::Accel : Path::Cpu;
      return c.accel ? Path::Cpu : Path::Accel;
    }
    // While no size class of this kind prefers the accelerator (small ops, a slow accelerator),
    // the decision needs no size class.
    if (accel_cells_[static_cast<int>(k)] == 0) return Path::Cpu;
    return cell(k, bytes).accel ? Path::Accel : Path::Cpu;
  }

  // Measured cycles per op on the application core. CPU costs come from ops timed one at a time
  // (which tells sizes apart) and are scaled by what whole batches cost against what those
  // single-op costs predict (record_cpu_batch): the CPU device may work faster on a burst than on
  // one op — IPsec-MB's multi-buffer ciphers and hashes (AES-CBC, HMAC-SHA*) run several ops in
  // parallel lanes, and one op alone costs several times its share of a burst.
  void record_cpu(Kind k, uint32_t bytes, double cycles_per_op) noexcept;
  void record_offload(Kind k, uint32_t bytes, double cycles_per_op) noexcept;
  // A batch of ops of kind k took `cycles`; `predicted` is the sum of raw_cpu_cost() of its ops.
  void record_cpu_batch(Kind k, double predicted, double cycles) noexcept;
  // The unscaled single-op cost (0: not measured), for predicting a batch.
  double raw_cpu_cost(Kind k, uint32_t bytes) const noexcept { return cell(k, bytes).cpu; }
  double batch_scale(Kind k) const noexcept { return scale_[static_cast<int>(k)]; }

  double cpu_cost(Kind k, uint32_t bytes) const noexcept {
    return cell(k, bytes).cpu * scale_[static_cast<int>(k)];
  }
  double offload_cost(Kind k, uint32_t bytes) const noexcept { return cell(k, bytes).offload; }
  bool prefers_accel(Kind k, uint32_t bytes) const noexcept { return cell(k, bytes).accel; }
  bool settled(Kind k, uint32_t bytes) const noexcept { return cell(k, bytes).settled; }
  // Whether some size class of some kind goes to the accelerator.
  bool any_accel() const noexcept {
    for (uint8_t n : accel_cells_)
      if (n) return true;
    return false;
  }
  // The smallest size class that currently goes to the accelerator (kSizeClasses: none).
  int accel_threshold_class(Kind k) const noexcept;
  // What the model knows of a kind, for logs: "<=64B cpu 120 offload 900 -> cpu, ..." (cycles
  // per op; classes never measured are left out). Empty when nothing was measured.
  std::string describe(Kind k) const;

 private:
  struct Cell {
    double cpu = 0, offload = 0;  // 0: not measured yet
    bool accel = false;
    bool settled = false;  // both measured, one at least kSettled times the other
    uint8_t skips = 0;     // explorations skipped while settled
  };
  static constexpr double kSettled = 1.5;
  Cell& cell(Kind k, uint32_t b) noexcept { return cells_[static_cast<int>(k)][size_class(b)]; }
  const Cell& cell(Kind k, uint32_t b) const noexcept {
    return cells_[static_cast<int>(k)][size_class(b)];
  }
  void decide(Kind k, Cell& c) noexcept;
  // An EWMA step, a sample more than 4 times the estimate counted as 4 times (a preempted or
  // interrupted measurement must not flip a decision on its own).
  void update(double& v, double sample) const noexcept {
    if (v != 0) sample = std::min(sample, 4 * v);
    v = v == 0 ? sample : v + p_.alpha * (sample - v);
  }

  Params p_{};
  Countdown explore_{p_.explore_every};
  std::array<std::array<Cell, kSizeClasses>, static_cast<int>(Kind::Count)> cells_{};
  std::array<uint8_t, static_cast<int>(Kind::Count)> accel_cells_{};        // cells with accel set
  std::array<double, static_cast<int>(Kind::Count)> scale_{1.0, 1.0, 1.0};  // batch / single
  std::array<bool, static_cast<int>(Kind::Count)> scaled_{};                // a batch was measured
};

// Whether using the accelerators pays off as a whole, measured rather than predicted. The cost
// model decides per size class from what an op costs the application's core on each path; it
// cannot see what using the accelerators costs everything else: bursts take the order ring
// instead of passing through whole, ops wait behind slower ones, and with zero-copy offload the
// data an accelerator touched is in another core's cache when the CPU meets it again. Nor can it
// see offload at its real price until it offloads in bulk: an op it sends alone to explore (one in
// 64, or fewer) finds every line it touches cold, and on a Zen 5 a zero-copy offload measured so
// cost 3 900-4 700 cycles where ops sent by the thousand cost 52 (AES-CBC + HMAC-SHA256, 1424 B,
// the CPU 1 160): the model kept everything on the CPU.
// So the queue pair's op rate is measured under three regimes — the model's choices, the CPU
// alone, and Fill: every op the accelerators admit goes there, the CPU takes the rest — in
// cycles of about 100 ms: 90 ms under the regime in force, 10 ms under each other one (the first
// 2 ms of each phase not counted: the order ring settles; the first cycle is 10 ms of each). The
// model's or Fill's regime is kept only while at least 3 % faster than the CPU alone (and the
// other of the two); when rates tie (an application that does not saturate its core) the CPU wins:
// the accelerators are for throughput the CPU cannot give. A regime more than 15 % slower than
// the one in force sits out the next cycle, then 2, 4 and at most 8 cycles (about a second)
// while it stays behind, so that one that hurts costs little; so does the model's or Fill's when
// its last phase offloaded under 1 % of the ops (no accelerator admitted, e.g. in-order delivery
// with a 200 us accelerator at 17 Mops): it is the CPU alone with the order ring's overhead.
class RegimeGuard {
 public:
  enum class Regime : uint8_t { Model, Cpu, Fill };
  static constexpr int kCount = 3;
  // n ops accepted at now (TSC), `offloaded` of them taken by accelerators. Returns the regime
  // for the next burst.
  Regime account(uint32_t n, uint32_t offloaded, uint64_t now, uint64_t hz) noexcept;
  Regime regime() const noexcept { return current_; }
  Regime main_regime() const noexcept { return main_; }
  // Ops per second measured under each regime (0: not yet).
  double rate(Regime r) const noexcept { return rate_[static_cast<int>(r)]; }
  uint64_t switches() const noexcept { return switches_; }

 private:
  // Phases (ms): a trial must outlast the accelerators' ramp (their in-flight caps grow by an
  // eighth per ms; the pipeline fills over a few latencies); 10 ms trials with 2 ms settling
  // measured AES-CBC + HMAC-SHA256 at 1424 B with a 200 us accelerator at 0.65x the CPU alone
  // where it ran at 1.5x once settled.
  static constexpr uint64_t kMainMs = 80, kTrialMs = 20, kSettleMs = 5;
  static constexpr uint8_t kMaxSkip = 8;  // most cycles a regime far behind sits out in a row
  void next_phase() noexcept;  // after a phase: the next trial, or a decision and the main phase
  Regime main_ = Regime::Model, current_ = Regime::Model;
  int trial_ = -1;  // the regime on trial (its index), -1 during the main phase
  uint64_t phase_start_ = 0, count_start_ = 0, ops_ = 0, offloaded_ = 0, switches_ = 0, cycles_ = 0;
  double rate_[kCount] = {};
  uint8_t skip_[kCount] = {};            // cycles before a regime far behind is tried again
  uint8_t backoff_[kCount] = {1, 1, 1};  // what it sits out the next time it is far behind
  bool tried_[kCount] = {};              // tried in this cycle (as a trial)
  bool idle_[kCount] = {};               // its last phase offloaded (almost) nothing
};

// Completion rate and latency of one accelerator queue pair, and how many ops may be in flight
// there. The in-flight cap is adjusted once per 1 ms window of completions, AIMD style: cut by a
// quarter when the window's ops took longer than the latency budget the caller gives (with
// in-order delivery every op queued at the accelerator holds back every later op, so the budget
// comes from the order ring) or than 1.5 x the device's own (base) latency + 50 us (ops queue
// there: the accelerator is saturated, and what it cannot serve is better spilled to the CPU),
// raised by an eighth otherwise, within [floor, ceiling]. Little's law
// cannot set it: with the latency measured under load, rate x latency is the depth itself, so
// "twice rate x latency" doubled whatever was in flight and ran to the ceiling; with the unloaded
// latency it shrank to the floor whenever queueing made ops slower than that.
class AccelGauge {
 public:
  // n completions seen at now; closes a window every millisecond and then adjusts the cap.
  void record_completions(uint32_t n, uint64_t now_tsc, uint64_t tsc_hz, double budget_cycles,
                          uint32_t floor, uint32_t ceiling) noexcept;
  // unloaded: the op was sent while the accelerator held few of this queue pair's ops, so its
  // latency is the device's own rather than the queue in front of it.
  void record_latency(uint64_t cycles, bool unloaded = false) noexcept;
  uint32_t inflight_cap(uint32_t floor) const noexcept { return cap_ ? cap_ : floor; }
  double rate_ops() const noexcept { return rate_; }
  // Every op's latency, queueing included (what stall limits and the AIMD cap go by).
  double latency_cycles() const noexcept { return latency_; }
  // The device's latency without our queue in front of it (what admission goes by: the in-flight
  // cap already keeps the queue within the budget), or the loaded one until an unloaded op has
  // been seen.
  double base_latency_cycles() const noexcept { return base_ ? base_ : latency_; }

 private:
  double rate_ = 0, latency_ = 0, base_ = 0;
  uint64_t window_start_ = 0;
  uint32_t window_n_ = 0;
  double window_lat_sum_ = 0;
  uint32_t window_lat_n_ = 0;
  uint32_t cap_ = 0;  // 0: not adjusted yet (the floor)
};

}  // namespace dpaccel::balance
