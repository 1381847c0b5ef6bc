// The balancer's cost model: size classes, learning both sides before deciding, hysteresis (no
// flip-flop on noise), exploration of the other path, and the in-flight bound from rate x latency.
#include <gtest/gtest.h>

#include <array>

#include "cost_model.hpp"

namespace dpaccel::balance {
namespace {

TEST(CostModel, SizeClasses) {
  EXPECT_EQ(size_class(1), 0);
  EXPECT_EQ(size_class(64), 0);
  EXPECT_EQ(size_class(65), 1);
  EXPECT_EQ(size_class(1420), 5);  // <= 2048
  EXPECT_EQ(size_class(16384), 8);
  EXPECT_EQ(size_class(65535), kSizeClasses - 1);
  // Every boundary, against the definition: class c holds sizes up to 64 << c.
  for (uint32_t b = 1; b <= 70000; ++b) {
    int c = 0;
    while (c < kSizeClasses - 1 && b > (64u << c)) ++c;
    ASSERT_EQ(size_class(b), c) << b;
  }
}

TEST(CostModel, MeasuresBothThenPrefersTheCheaperWithHysteresis) {
  CostModel m({.margin = 0.10, .alpha = 1.0, .explore_every = 1000000});
  // Unmeasured: the CPU (the accelerator gets its samples through exploration, below).
  EXPECT_EQ(m.choose(Kind::Gcm, 1400), Path::Cpu);
  EXPECT_EQ(m.choose(Kind::Gcm, 1400), Path::Cpu);
  m.record_cpu(Kind::Gcm, 1400, 1000);
  m.record_offload(Kind::Gcm, 1400, 300);
  EXPECT_TRUE(m.prefers_accel(Kind::Gcm, 1400));
  EXPECT_EQ(m.choose(Kind::Gcm, 1400), Path::Accel);
  // Small ops: offloading costs more than doing them.
  m.record_cpu(Kind::Gcm, 64, 100);
  m.record_offload(Kind::Gcm, 64, 250);
  EXPECT_FALSE(m.prefers_accel(Kind::Gcm, 64));
  EXPECT_EQ(m.accel_threshold_class(Kind::Gcm), size_class(1400));
  // Within the margin nothing flips, either way.
  m.record_offload(Kind::Gcm, 1400, 1050);  // 5 % dearer than the CPU: stay
  EXPECT_TRUE(m.prefers_accel(Kind::Gcm, 1400));
  m.record_offload(Kind::Gcm, 1400, 1150);  // 15 % dearer: switch back
  EXPECT_FALSE(m.prefers_accel(Kind::Gcm, 1400));
  m.record_offload(Kind::Gcm, 1400, 950);  // 5 % cheaper: not enough to switch again
  EXPECT_FALSE(m.prefers_accel(Kind::Gcm, 1400));
  m.record_offload(Kind::Gcm, 1400, 850);  // 15 % cheaper: switch
  EXPECT_TRUE(m.prefers_accel(Kind::Gcm, 1400));
  // Kinds are separate.
  EXPECT_FALSE(m.prefers_accel(Kind::Chained, 1400));
}

TEST(CostModel, ExploresTheOtherPathNowAndThen) {
  CostModel m({.margin = 0.10, .alpha = 1.0, .explore_every = 8});
  m.record_cpu(Kind::Chacha, 512, 500);
  m.record_offload(Kind::Chacha, 512, 400);  // cheaper, not settled (see below)
  int cpu = 0;
  for (int i = 0; i < 80000; ++i) cpu += m.choose(Kind::Chacha, 512) == Path::Cpu;
  EXPECT_NEAR(cpu, 10000, 300);  // about one in eight
}

TEST(CostModel, AnUnmeasuredAcceleratorIsTriedAtTheExplorationRate) {
  CostModel m({.margin = 0.10, .alpha = 1.0, .explore_every = 4});
  int accel = 0;
  for (int i = 0; i < 40000; ++i) accel += m.choose(Kind::Gcm, 1400) == Path::Accel;
  EXPECT_NEAR(accel, 10000, 300);
  // Once measured cheaper it takes the class (and the CPU is explored instead).
  m.record_cpu(Kind::Gcm, 1400, 1000);
  m.record_offload(Kind::Gcm, 1400, 800);
  int cpu = 0;
  for (int i = 0; i < 40000; ++i) cpu += m.choose(Kind::Gcm, 1400) == Path::Cpu;
  EXPECT_NEAR(cpu, 10000, 300);
}

TEST(CostModel, ASettledClassIsExploredSixteenTimesLess) {
  CostModel m({.margin = 0.10, .alpha = 1.0, .explore_every = 8});
  m.record_cpu(Kind::Gcm, 64, 100);
  m.record_offload(Kind::Gcm, 64, 140);  // 1.4x: close enough to keep exploring at full rate
  EXPECT_FALSE(m.settled(Kind::Gcm, 64));
  int accel = 0;
  for (int i = 0; i < 80000; ++i) accel += m.choose(Kind::Gcm, 64) == Path::Accel;
  EXPECT_NEAR(accel, 10000, 300);
  m.record_offload(Kind::Gcm, 64, 400);  // 4x: settled on the CPU
  EXPECT_TRUE(m.settled(Kind::Gcm, 64));
  accel = 0;
  for (int i = 0; i < 80000; ++i) accel += m.choose(Kind::Gcm, 64) == Path::Accel;
  EXPECT_NEAR(accel, 10000 / 16, 60);
  // And the other way round: settled on the accelerator, the CPU is explored as rarely.
  m.record_offload(Kind::Gcm, 64, 20);
  EXPECT_TRUE(m.prefers_accel(Kind::Gcm, 64));
  int cpu = 0;
  for (int i = 0; i < 80000; ++i) cpu += m.choose(Kind::Gcm, 64) == Path::Cpu;
  EXPECT_NEAR(cpu, 10000 / 16, 60);
}

TEST(CostModel, BatchesScaleTheSingleOpCosts) {
  // Timed alone an op costs 1000 cycles, offloading it 800: the accelerator. But a burst of 32
  // such ops takes 6400 cycles on the CPU (multi-buffer lanes): 200 each, so the CPU it is.
  CostModel m({.margin = 0.10, .alpha = 1.0, .explore_every = 1000000});
  m.record_cpu(Kind::Chained, 1400, 1000);
  m.record_offload(Kind::Chained, 1400, 800);
  EXPECT_TRUE(m.prefers_accel(Kind::Chained, 1400));
  m.record_cpu_batch(Kind::Chained, 32 * m.raw_cpu_cost(Kind::Chained, 1400), 32 * 200);
  EXPECT_NEAR(m.batch_scale(Kind::Chained), 0.2, 1e-9);
  EXPECT_NEAR(m.cpu_cost(Kind::Chained, 1400), 200, 1e-6);
  EXPECT_FALSE(m.prefers_accel(Kind::Chained, 1400));
  EXPECT_EQ(m.batch_scale(Kind::Gcm), 1.0);  // per kind
  // A wild sample is clipped (at most 4x the estimate per step).
  m.record_cpu_batch(Kind::Chained, 1000, 1e9);
  EXPECT_NEAR(m.batch_scale(Kind::Chained), 0.8, 1e-9);
}

TEST(CostModel, ExplorationReachesEverySizeOfAPeriodicMix) {
  // Big and small alternating (a TCP transfer's data and ACKs), and a period-4 mix: with a fixed
  // exploration period (an even one) one size would never be explored.
  for (uint32_t period : {2u, 4u}) {
    CostModel m({.margin = 0.10, .alpha = 1.0, .explore_every = 64});
    std::array<int, 4> explored{};
    for (int i = 0; i < 64000; ++i) {
      uint32_t slot = static_cast<uint32_t>(i) % period;
      explored[slot] += m.choose(Kind::Gcm, 64u << slot) == Path::Accel;
    }
    for (uint32_t slot = 0; slot < period; ++slot)
      EXPECT_NEAR(explored[slot], 1000 / period * 1.0, 1000 / period * 0.25)
          << "period " << period << " slot " << slot;
  }
}

TEST(Countdown, FiresAboutOnceInItsMeanWithIrregularGaps) {
  Countdown c(64);
  int fired = 0;
  std::array<int, 2> parity{};
  for (int i = 0; i < 640000; ++i)
    if (c.tick()) {
      ++fired;
      ++parity[i & 1];
    }
  EXPECT_NEAR(fired, 10000, 300);
  EXPECT_NEAR(parity[0], parity[1], 500);  // both residues, not one
}

// One 1 ms window of 100 completions whose ops took `latency` cycles each (the gauge's first
// call only opens its first window: t starts at 0 and the tests prime it).
void window(AccelGauge& g, uint64_t& t, uint64_t hz, uint64_t latency, double budget,
            uint32_t ceiling) {
  for (int k = 0; k < 100; ++k) g.record_latency(latency);
  g.record_completions(100, t += hz / 1000, hz, budget, 32, ceiling);
}

TEST(AccelGauge, CapGrowsWhileOpsComeBackWithinBudget) {
  AccelGauge g;
  const uint64_t hz = 1'000'000'000;
  EXPECT_EQ(g.inflight_cap(32), 32u);  // nothing measured: the floor
  uint64_t t = 1;
  g.record_completions(0, t, hz, 500'000, 32, 1024);
  uint32_t last = 32;
  for (int w = 0; w < 10; ++w) {
    window(g, t, hz, 200'000, 500'000, 1024);
    EXPECT_GT(g.inflight_cap(32), last);
    last = g.inflight_cap(32);
  }
  for (int w = 0; w < 100; ++w) window(g, t, hz, 200'000, 500'000, 1024);
  EXPECT_EQ(g.inflight_cap(32), 1024u);  // the ceiling
  EXPECT_NEAR(g.rate_ops(), 100'000, 10'000);
}

TEST(AccelGauge, BaseLatencyIgnoresTheQueueInFrontOfTheDevice) {
  // Admission goes by the device's own latency: ops sent while it held few of ours. Ops sent
  // behind a long queue of ours measure that queue too, which the in-flight cap answers for.
  AccelGauge g;
  EXPECT_EQ(g.base_latency_cycles(), 0);  // nothing measured: admission waits for a probe
  for (int k = 0; k < 4; ++k) g.record_latency(1'000'000);  // behind a queue
  EXPECT_EQ(g.base_latency_cycles(), 1'000'000);  // the loaded figure, while nothing else is known
  for (int k = 0; k < 40; ++k) g.record_latency(200'000, true);
  EXPECT_NEAR(g.base_latency_cycles(), 200'000, 1'000);
  for (int k = 0; k < 400; ++k) g.record_latency(1'000'000);
  EXPECT_NEAR(g.base_latency_cycles(), 200'000, 1'000) << "loaded ops moved the base";
  EXPECT_GT(g.latency_cycles(), 900'000) << "the loaded latency follows every op";
}

TEST(AccelGauge, CapShrinksWhenOpsQueueAtTheAccelerator) {
  // Well inside the order ring's budget (5 ms), but the ops take 3x the device's own latency:
  // they wait in its queue, which is what the CPU could have run. Cut; and up again once
  // they come back within 1.5x + 50 us.
  AccelGauge g;
  const uint64_t hz = 1'000'000'000;
  uint64_t t = 1;
  g.record_completions(0, t, hz, 5'000'000, 32, 1024);
  for (int k = 0; k < 8; ++k) g.record_latency(200'000, true);  // the device's own: 200 us
  for (int w = 0; w < 100; ++w) window(g, t, hz, 300'000, 5'000'000, 1024);  // < 350 us: fine
  ASSERT_EQ(g.inflight_cap(32), 1024u);
  window(g, t, hz, 600'000, 5'000'000, 1024);
  EXPECT_EQ(g.inflight_cap(32), 768u);
  window(g, t, hz, 300'000, 5'000'000, 1024);
  EXPECT_EQ(g.inflight_cap(32), 864u);
}

// Drives a guard for `ms` milliseconds at the op rates (ops per ms) its regimes give (model,
// CPU alone, fill), 10 ops at a time, half of them offloaded under the model and fill (none where
// `idle`); returns how many of those milliseconds ran under each.
using R = RegimeGuard::Regime;
std::array<int, 3> drive(RegimeGuard& g, uint64_t& t, int ms, std::array<double, 3> rates,
                         std::array<bool, 3> idle = {}) {
  const uint64_t hz = 1'000'000'000, step = hz / 100'000;  // 10 us
  std::array<int, 3> steps{};
  for (int k = 0; k < ms * 100; ++k) {
    const auto r = static_cast<int>(g.regime());
    ++steps[r];
    t += step;
    const auto n = static_cast<uint32_t>(rates[r] / 100);
    g.account(n, r == static_cast<int>(R::Cpu) || idle[r] ? 0 : n / 2, t, hz);
  }
  for (int& v : steps) v /= 100;
  return steps;
}

TEST(RegimeGuard, KeepsTheModelWhileItIsFaster) {
  RegimeGuard g;
  uint64_t t = 1;
  // The model 1.5x the CPU alone; sending everything the accelerator admits no better than the
  // CPU (a fast CPU, small ops).
  const auto ms = drive(g, t, 3000, {3000, 2000, 2000});
  EXPECT_EQ(g.main_regime(), R::Model);
  EXPECT_NEAR(g.rate(R::Model), 3e6, 1e5);
  EXPECT_NEAR(g.rate(R::Cpu), 2e6, 1e5);
  EXPECT_NEAR(g.rate(R::Fill), 2e6, 1e5);
  EXPECT_EQ(g.switches(), 0u);
  // 80 ms under the model, then 20 ms of each other regime; those 1.5x behind sit out 1, 2, 4,
  // then 8 cycles: well over 80 % of the time under the model.
  EXPECT_GT(ms[0], 3000 * 85 / 100) << ms[1] << " " << ms[2];
  EXPECT_GT(ms[1], 0);
  EXPECT_NEAR(ms[1], ms[2], 30);
}

TEST(RegimeGuard, FallsBackToTheCpuWhenTheModelIsSlowerOrNoBetter) {
  for (double rate : {1000.0, 2000.0, 2040.0}) {  // slower, equal, within 3 %
    RegimeGuard g;
    uint64_t t = 1;
    const auto ms = drive(g, t, 3000, {rate, 2000, rate});
    EXPECT_EQ(g.main_regime(), R::Cpu) << rate;
    EXPECT_EQ(g.switches(), 1u) << rate;
    // After the first cycle (20 ms of each) the CPU alone runs 80 ms in every 120 (100 when the
    // others are far behind and sit out every other cycle).
    EXPECT_GT(ms[1], 3000 * 80 / 120 - 100) << rate;
    if (rate < 1500) {
      EXPECT_GT(ms[1], 3000 * 80 / 100 - 100) << rate;
    }
  }
}

TEST(RegimeGuard, ComesBackWhenTheModelRecovers) {
  RegimeGuard g;
  uint64_t t = 1;
  drive(g, t, 1000, {1000, 2000, 1000});  // an accelerator that hurts...
  ASSERT_EQ(g.main_regime(), R::Cpu);
  // ...then helps: a trial sees it within the longest sit-out (8 cycles) and two more cycles.
  drive(g, t, 1200, {4000, 2000, 1000});
  EXPECT_EQ(g.main_regime(), R::Model);
  EXPECT_EQ(g.switches(), 2u);
}

TEST(RegimeGuard, ARegimeFarBehindIsTriedLessAndLess) {
  RegimeGuard g;
  uint64_t t = 1;
  const auto ms = drive(g, t, 4000, {1000, 2000, 1000});
  EXPECT_EQ(g.main_regime(), R::Cpu);
  // Sitting out 1, 2, 4, 8, 8, ... cycles: about 10 trials of 20 ms each in 4 s, not ~33.
  EXPECT_LT(ms[0], 12 * 20 + 20);
  EXPECT_GE(ms[0], 6 * 20);
  // Tried all the same: it comes back once it pays.
  drive(g, t, 1200, {1000, 2000, 4000});
  EXPECT_EQ(g.main_regime(), R::Fill);
}

TEST(RegimeGuard, RegimesThatOffloadNothingAreTriedLessAndNeverWin) {
  // In order, a 200 us accelerator at 17 Mops is admitted nowhere: the model and fill run
  // everything on the CPU, through the order ring. Their rates are noise around the CPU's (here
  // 5 % above it): they must not win, and their trials must back off.
  RegimeGuard g;
  uint64_t t = 1;
  const auto ms = drive(g, t, 4000, {2100, 2000, 2100}, {true, false, true});
  EXPECT_EQ(g.main_regime(), R::Cpu);
  EXPECT_LT(ms[0] + ms[2], 2 * (12 * 20 + 20));
  // Once fill offloads and pays, it is seen.
  drive(g, t, 1200, {2100, 2000, 3000}, {true, false, false});
  EXPECT_EQ(g.main_regime(), R::Fill);
}

TEST(RegimeGuard, FillsTheAcceleratorsWhenThatIsFastest) {
  // The model, measuring offload costs on lone exploring ops, keeps everything on the CPU (its
  // regime runs as fast as the CPU alone); every op the accelerators admit going there runs
  // 1.5x as fast.
  RegimeGuard g;
  uint64_t t = 1;
  const auto ms = drive(g, t, 2000, {2000, 2000, 3000});
  EXPECT_EQ(g.main_regime(), R::Fill);
  EXPECT_GT(ms[2], 2000 * 80 / 120 - 60);
  EXPECT_NEAR(g.rate(R::Fill), 3e6, 1e5);
  // And the model takes its place when it catches up (3 % ahead of Fill), though far behind
  // until then: its trials are rare, and its rate is an average.
  drive(g, t, 4000, {3200, 2000, 3000});
  EXPECT_EQ(g.main_regime(), R::Model);
}

TEST(AccelGauge, CapShrinksWhenOpsComeBackLate) {
  // Ops queued at the accelerator come back later than the order ring's budget: cut by a quarter
  // per window down to the floor — and it does not follow the queue up (as "2 x rate x latency"
  // did: with the latency measured under load that is twice the depth itself).
  AccelGauge g;
  const uint64_t hz = 1'000'000'000;
  uint64_t t = 1;
  g.record_completions(0, t, hz, 500'000, 32, 1024);
  for (int w = 0; w < 100; ++w) window(g, t, hz, 200'000, 500'000, 1024);
  ASSERT_EQ(g.inflight_cap(32), 1024u);
  window(g, t, hz, 2'000'000, 500'000, 1024);
  EXPECT_EQ(g.inflight_cap(32), 768u);
  for (int w = 0; w < 30; ++w) window(g, t, hz, 2'000'000, 500'000, 1024);
  EXPECT_EQ(g.inflight_cap(32), 32u);
  // Back within budget: it grows again.
  window(g, t, hz, 200'000, 500'000, 1024);
  EXPECT_EQ(g.inflight_cap(32), 36u);
}

}  // namespace
}  // namespace dpaccel::balance
