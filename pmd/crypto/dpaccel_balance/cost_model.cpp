#include "cost_model.hpp"

#include <algorithm>
#include <cstdio>

namespace dpaccel::balance {

void CostModel::decide(Kind k, Cell& c) noexcept {
  if (c.cpu == 0 || c.offload == 0) return;
  c.settled = c.offload >= c.cpu * kSettled || c.cpu >= c.offload * kSettled;
  uint8_t& n = accel_cells_[static_cast<int>(k)];
  if (!c.accel && c.offload < c.cpu * (1 - p_.margin)) {
    c.accel = true;
    ++n;
  } else if (c.accel && c.offload > c.cpu * (1 + p_.margin)) {
    c.accel = false;
    --n;
  }
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

void AccelGauge::record_completions(uint32_t n, uint64_t now, uint64_t hz) noexcept {
  if (window_start_ == 0) window_start_ = now;
  window_n_ += n;
  uint64_t span = now - window_start_;
  if (span >= hz / 1000 && window_n_ > 0) {  // 1 ms windows
    double sample =
        static_cast<double>(window_n_) * static_cast<double>(hz) / static_cast<double>(span);
    rate_ = rate_ == 0 ? sample : rate_ + (sample - rate_) / 8;
    window_start_ = now;
    window_n_ = 0;
  }
}

void AccelGauge::record_latency(uint64_t cycles) noexcept {
  double s = static_cast<double>(cycles);
  latency_ = latency_ == 0 ? s : latency_ + (s - latency_) / 16;
}

uint32_t AccelGauge::inflight_limit(uint32_t floor, uint32_t ceiling, uint64_t hz) const noexcept {
  if (rate_ == 0 || latency_ == 0) return floor;
  double little = rate_ * latency_ / static_cast<double>(hz);  // ops in flight at that rate
  return static_cast<uint32_t>(std::clamp(2 * little, double(floor), double(ceiling)));
}

std::string CostModel::describe(Kind k) const {
  std::string out;
  for (int c = 0; c < kSizeClasses; ++c) {
    const Cell& x = cells_[static_cast<int>(k)][c];
    if (x.cpu == 0 && x.offload == 0) continue;
    char buf[112];
    std::snprintf(buf, sizeof buf, "%s<=%uB cpu %.0f offload %.0f -> %s", out.empty() ? "" : ", ",
                  64u << c, x.cpu, x.offload, x.accel ? "accel" : "cpu");
    out += buf;
  }
  return out;
}

}  // namespace dpaccel::balance
