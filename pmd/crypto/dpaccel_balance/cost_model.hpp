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

#include <array>
#include <cstdint>

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

class CostModel {
 public:
  struct Params {
    double margin = 0.10;         // hysteresis: switch only when one side is this much cheaper
    double alpha = 1.0 / 16;      // EWMA weight of a new sample
    uint32_t explore_every = 64;  // one op in this many goes the non-preferred way
  };

  CostModel() = default;
  explicit CostModel(Params p) : p_(p) {}

  // Where the next op of this kind and size should go, when the accelerator has room. Inline: it
  // runs for every op.
  Path choose(Kind k, uint32_t bytes) noexcept {
    Cell& c = cell(k, bytes);
    // One op in explore_every goes the other way; that is also how an unmeasured accelerator gets
    // its first samples (a class starts on the CPU, which always works). Trying the accelerator
    // more often than that would cost every op that it then does not admit (full, or too slow
    // for the order ring) a second decision. A countdown, not a modulo.
    if (++c.counter >= p_.explore_every) [[unlikely]] {
      c.counter = 0;
      return c.accel ? Path::Cpu : Path::Accel;
    }
    return c.accel ? Path::Accel : Path::Cpu;
  }

  // Measured cycles per op on the application core.
  void record_cpu(Kind k, uint32_t bytes, double cycles_per_op) noexcept;
  void record_offload(Kind k, uint32_t bytes, double cycles_per_op) noexcept;

  double cpu_cost(Kind k, uint32_t bytes) const noexcept { return cell(k, bytes).cpu; }
  double offload_cost(Kind k, uint32_t bytes) const noexcept { return cell(k, bytes).offload; }
  bool prefers_accel(Kind k, uint32_t bytes) const noexcept { return cell(k, bytes).accel; }
  // The smallest size class that currently goes to the accelerator (kSizeClasses: none).
  int accel_threshold_class(Kind k) const noexcept;

 private:
  struct Cell {
    double cpu = 0, offload = 0;  // 0: not measured yet
    bool accel = false;
    uint32_t counter = 0;
  };
  Cell& cell(Kind k, uint32_t b) noexcept { return cells_[static_cast<int>(k)][size_class(b)]; }
  const Cell& cell(Kind k, uint32_t b) const noexcept {
    return cells_[static_cast<int>(k)][size_class(b)];
  }
  void update(double& v, double sample) const noexcept {
    v = v == 0 ? sample : v + p_.alpha * (sample - v);
  }
  void decide(Cell& c) const noexcept;

  Params p_{};
  std::array<std::array<Cell, kSizeClasses>, static_cast<int>(Kind::Count)> cells_{};
};

// Completion rate and latency of one accelerator queue pair, and the in-flight depth they imply
// (Little's law with headroom), within [floor, ceiling].
class AccelGauge {
 public:
  void record_completions(uint32_t n, uint64_t now_tsc, uint64_t tsc_hz) noexcept;
  void record_latency(uint64_t cycles) noexcept;
  uint32_t inflight_limit(uint32_t floor, uint32_t ceiling, uint64_t tsc_hz) const noexcept;
  double rate_ops() const noexcept { return rate_; }
  double latency_cycles() const noexcept { return latency_; }

 private:
  double rate_ = 0, latency_ = 0;
  uint64_t window_start_ = 0;
  uint32_t window_n_ = 0;
};

}  // namespace dpaccel::balance
