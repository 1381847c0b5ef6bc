#include "cost_model.hpp"

#include <algorithm>
#include <cstdio>

namespace dpaccel::balance {

void CostModel::decide(Kind k, Cell& c) noexcept {
  if (c.cpu == 0 || c.offload == 0) return;
  const double cpu = c.cpu * scale_[static_cast<int>(k)];
  c.settled = c.offload >= cpu * kSettled || cpu >= c.offload * kSettled;
  uint8_t& n = accel_cells_[static_cast<int>(k)];
  if (!c.accel && c.offload < cpu * (1 - p_.margin)) {
    c.accel = true;
    ++n;
  } else if (c.accel && c.offload > cpu * (1 + p_.margin)) {
    c.accel = false;
    --n;
  }
}

void CostModel::record_cpu_batch(Kind k, double predicted, double cycles) noexcept {
  if (predicted <= 0 || cycles <= 0) return;
  double& sc = scale_[static_cast<int>(k)];
  // The first batch replaces the neutral 1.0; later ones move it like any other estimate.
  double sample = std::clamp(cycles / predicted, 1.0 / 64, 4.0);
  bool& seen = scaled_[static_cast<int>(k)];
  sc = seen ? sc + p_.alpha * (std::min(sample, 4 * sc) - sc) : sample;
  seen = true;
  for (Cell& c : cells_[static_cast<int>(k)]) decide(k, c);
}

void CostModel::record_cpu(Kind k, uint32_t bytes, double cycles) noexcept {
  Cell& c = cell(k, bytes);
  update(c.cpu, cycles);
  decide(k, c);
}

void CostModel::record_offload(Kind k, uint32_t bytes, double cycles) noexcept {
  Cell& c = cell(k, bytes);
  update(c.offload, cycles);
  decide(k, c);
}

int CostModel::accel_threshold_class(Kind k) const noexcept {
  for (int s = 0; s < kSizeClasses; ++s)
    if (cells_[static_cast<int>(k)][s].accel) return s;
  return kSizeClasses;
}

void AccelGauge::record_completions(uint32_t n, uint64_t now, uint64_t hz, double budget_cycles,
                                    uint32_t floor, uint32_t ceiling) noexcept {
  if (window_start_ == 0) window_start_ = now;
  window_n_ += n;
  uint64_t span = now - window_start_;
  if (span < hz / 1000 || window_n_ == 0) return;  // 1 ms windows
  double sample =
      static_cast<double>(window_n_) * static_cast<double>(hz) / static_cast<double>(span);
  rate_ = rate_ == 0 ? sample : rate_ + (sample - rate_) / 8;
  window_start_ = now;
  window_n_ = 0;
  uint32_t cap = cap_ ? cap_ : floor;
  // Late: past the order ring's budget, or queueing at the accelerator beyond half its own
  // latency (plus 50 us of slack for polling): ops beyond what it can serve only wait there, and
  // hold back the queue pair behind them, where the CPU could have run them.
  const double mean = window_lat_n_ > 0 ? window_lat_sum_ / window_lat_n_ : 0;
  const double queueing_limit = base_ > 0 ? 1.5 * base_ + static_cast<double>(hz) / 20'000 : 0;
  if (window_lat_n_ > 0 && (mean > budget_cycles || (queueing_limit > 0 && mean > queueing_limit)))
    cap -= cap / 4;
  else
    cap += std::max<uint32_t>(1, cap / 8);
  cap_ = std::clamp(cap, floor, std::max(floor, ceiling));
  window_lat_sum_ = 0;
  window_lat_n_ = 0;
}

void AccelGauge::record_latency(uint64_t cycles, bool unloaded) noexcept {
  double s = static_cast<double>(cycles);
  latency_ = latency_ == 0 ? s : latency_ + (s - latency_) / 16;
  if (unloaded) base_ = base_ == 0 ? s : base_ + (s - base_) / 4;
  window_lat_sum_ += s;
  ++window_lat_n_;
}

RegimeGuard::Regime RegimeGuard::account(uint32_t n, uint32_t offloaded, uint64_t now,
                                         uint64_t hz) noexcept {
  if (phase_start_ == 0) phase_start_ = count_start_ = now;
  const uint64_t ms = hz / 1000;
  // The first cycle is short (20 ms under each), so that a regime that does not pay stops paying
  // soon after start.
  const uint64_t length = trial_ >= 0 || cycles_ == 0 ? kTrialMs * ms : kMainMs * ms;
  if (now - phase_start_ < kSettleMs * ms) {  // settling: not counted
    count_start_ = now;
    return current_;
  }
  ops_ += n;
  offloaded_ += offloaded;
  if (now - phase_start_ < length) return current_;
  // End of a phase: its rate, then the next phase.
  if (now > count_start_) {
    const double sample = static_cast<double>(ops_) * static_cast<double>(hz) /
                          static_cast<double>(now - count_start_);
    double& r = rate_[static_cast<int>(current_)];
    r = r == 0 ? sample : r + (sample - r) / 4;
  }
  idle_[static_cast<int>(current_)] = current_ != Regime::Cpu && offloaded_ * 100 < ops_;
  ops_ = offloaded_ = 0;
  phase_start_ = count_start_ = now;
  next_phase();
  return current_;
}

void RegimeGuard::next_phase() noexcept {
  // The next regime to try this cycle: the others in turn, but those far behind only every
  // fourth cycle.
  for (int r = trial_ + 1; r < kCount; ++r) {
    if (r == static_cast<int>(main_)) continue;
    if (skip_[r] > 0) {
      --skip_[r];
      continue;
    }
    trial_ = r;
    current_ = static_cast<Regime>(r);
    tried_[r] = true;
    return;
  }
  // All measured: the fastest is in force for the next cycle, the CPU unless beaten by 3 % (by a
  // regime that used the accelerators: one that offloaded nothing only measured noise).
  Regime best = Regime::Cpu;
  for (Regime r : {Regime::Model, Regime::Fill}) {
    const double v = rate_[static_cast<int>(r)], b = rate_[static_cast<int>(best)];
    if (v > 0 && b > 0 && v >= b * 1.03 && !idle_[static_cast<int>(r)]) best = r;
  }
  if (rate_[static_cast<int>(Regime::Cpu)] == 0) best = main_;  // nothing to compare with yet
  const double top = rate_[static_cast<int>(best)];
  for (int r = 0; r < kCount; ++r) {
    if (tried_[r] && r != static_cast<int>(best) && (rate_[r] < top * 0.85 || idle_[r])) {
      skip_[r] = backoff_[r];  // 1, 2, 4, then 8 cycles out while it stays far behind
      backoff_[r] = static_cast<uint8_t>(std::min(2 * backoff_[r], int{kMaxSkip}));
    } else if (tried_[r] || r == static_cast<int>(best)) {
      backoff_[r] = 1;
    }
    tried_[r] = false;
  }
  switches_ += best != main_;
  main_ = best;
  current_ = best;
  trial_ = -1;
  ++cycles_;
}

std::string CostModel::describe(Kind k) const {
  std::string out;
  for (int c = 0; c < kSizeClasses; ++c) {
    const Cell& x = cells_[static_cast<int>(k)][c];
    if (x.cpu == 0 && x.offload == 0) continue;
    char buf[112];
    std::snprintf(buf, sizeof buf, "%s<=%uB cpu %.0f offload %.0f -> %s", out.empty() ? "" : ", ",
                  64u << c, x.cpu * scale_[static_cast<int>(k)], x.offload,
                  x.accel ? "accel" : "cpu");
    out += buf;
  }
  return out;
}

}  // namespace dpaccel::balance
