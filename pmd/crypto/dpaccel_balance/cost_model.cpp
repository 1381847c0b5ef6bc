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
  if (window_lat_n_ > 0 && window_lat_sum_ / window_lat_n_ > budget_cycles)
    cap -= cap / 4;
  else
    cap += std::max<uint32_t>(1, cap / 8);
  cap_ = std::clamp(cap, floor, std::max(floor, ceiling));
  window_lat_sum_ = 0;
  window_lat_n_ = 0;
}

void AccelGauge::record_latency(uint64_t cycles) noexcept {
  double s = static_cast<double>(cycles);
  latency_ = latency_ == 0 ? s : latency_ + (s - latency_) / 16;
  window_lat_sum_ += s;
  ++window_lat_n_;
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
