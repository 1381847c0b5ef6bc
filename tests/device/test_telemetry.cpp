// The drivers' rte_telemetry commands, queried the way dpdk-telemetry.py does
// (telemetry_client.hpp).
#include <rte_cryptodev.h>
#include <rte_eal.h>

#include <chrono>
#include <cstring>
#include <string>

#include "device_fixture.hpp"
#include "gcm_ops.hpp"
#include "telemetry_client.hpp"

namespace dpaccel::test {
namespace {

class Telemetry : public DeviceTest {};

TEST_F(Telemetry, PerQueuePairCountersOfBothDrivers) {
  // Put known traffic through queue pair 1 of crypto_dpaccel_cpu0 and queue pair 0 of worker0.
  std::mt19937_64 rng(5);
  Spec s = esp_gcm128_spec();
  Material m = random_material(s, rng);
  for (auto [d, qp] : {std::pair{ours(), uint16_t{1}}, std::pair{worker(), uint16_t{0}}}) {
    rte_cryptodev_stats_reset(d);
    std::vector<Job> jobs(10);
    for (auto& j : jobs) {
      j.data = random_bytes(100, rng);
      j.regions = regions_for(s, 100);
    }
    std::string why;
    ASSERT_TRUE(run_jobs(Api::Ops, d, qp, s, m, true, jobs, &why)) << why;
  }
  std::string list = telemetry("/dpaccel/crypto_cpu/stats");
  ASSERT_FALSE(list.empty()) << "telemetry socket not reachable";
  EXPECT_NE(list.find(std::to_string(ours())), std::string::npos) << list;

  std::string cpu = telemetry("/dpaccel/crypto_cpu/stats," + std::to_string(ours()));
  EXPECT_NE(cpu.find("\"name\":\"crypto_dpaccel_cpu0\""), std::string::npos) << cpu;
  EXPECT_NE(cpu.find("\"sync_api\":\"cpu_crypto\""), std::string::npos) << cpu;
  EXPECT_NE(cpu.find("\"enqueued\":[0,10"), std::string::npos) << cpu;
  EXPECT_NE(cpu.find("\"dequeued\":[0,10"), std::string::npos) << cpu;

  std::string wlist = telemetry("/dpaccel/crypto_worker/stats");
  EXPECT_NE(wlist.find(std::to_string(worker())), std::string::npos) << wlist;
  std::string wrk = telemetry("/dpaccel/crypto_worker/stats," + std::to_string(worker()));
  EXPECT_NE(wrk.find("\"enqueued\":[10"), std::string::npos) << wrk;
  EXPECT_NE(wrk.find("\"in_flight\":[0"), std::string::npos) << wrk;
  EXPECT_NE(wrk.find("\"helpers\":1"), std::string::npos) << wrk;

  // A dev_id of another driver, or none at all, is refused.
  std::string bad = telemetry("/dpaccel/crypto_worker/stats," + std::to_string(ours()));
  EXPECT_EQ(bad.find("enqueued"), std::string::npos) << bad;
  bad = telemetry("/dpaccel/crypto_cpu/stats,250");
  EXPECT_EQ(bad.find("enqueued"), std::string::npos) << bad;
}

// The worker's in-flight depth (what a balancer reads) while it holds ops: worker1 keeps each op
// 200 ms (latency_us), so 8 ops just enqueued are all in flight, and none once dequeued.
TEST_F(Telemetry, WorkerShowsItsInFlightDepth) {
  const uint8_t w = dev("crypto_dpaccel_worker1");
  const std::string cmd = "/dpaccel/crypto_worker/stats," + std::to_string(w);
  GcmSession gs(w, 31);
  ASSERT_NE(gs.sess, nullptr);
  GcmOps ops(gs, std::vector<Bytes>(8, random_bytes(128, gs.rng)));
  ASSERT_TRUE(ops.ok());
  ASSERT_EQ(rte_cryptodev_enqueue_burst(w, 0, ops.data(), 8), 8);
  const std::string held = telemetry(cmd);
  EXPECT_NE(held.find("\"in_flight\":[8,"), std::string::npos) << held;
  std::vector<rte_crypto_op*> back = dequeue_n(w, 0, 8, std::chrono::seconds(10));
  ASSERT_EQ(back.size(), 8u);
  const std::string after = telemetry(cmd);
  EXPECT_NE(after.find("\"in_flight\":[0,"), std::string::npos) << after;
  // worker1 fails 20 % of its ops: leave its error counts as they were for Worker.* (which
  // reads them whole).
  rte_cryptodev_stats_reset(w);
}

// 20 bursts of 64 AES-GCM ops of 64..1463 bytes through queue pair 0 of device b, each right.
void run_gcm_rounds(uint8_t b, const Spec& s, const Material& m, std::mt19937_64& rng) {
  for (int round = 0; round < 20; ++round) {
    std::vector<Job> jobs(64);
    for (auto& j : jobs) {
      j.data = random_bytes(64 + rng() % 1400, rng);
      j.regions = regions_for(s, j.data.size());
    }
    std::string why;
    ASSERT_TRUE(run_jobs(Api::Ops, b, 0, s, m, true, jobs, &why)) << why;
    for (auto& j : jobs) ASSERT_EQ(j.status, 0);
  }
}

TEST_F(Telemetry, BalancerShowsItsSplitAndReruns) {
  std::mt19937_64 rng(9);
  Spec s = esp_gcm128_spec();
  Material m = random_material(s, rng);
  uint8_t b1 = dev("crypto_dpaccel_balance1");  // its accelerator fails 30 % of ops
  uint8_t b0 = dev("crypto_dpaccel_balance0");  // adaptive
  for (uint8_t b : {b1, b0}) ASSERT_NO_FATAL_FAILURE(run_gcm_rounds(b, s, m, rng));
  std::string t1 = telemetry("/dpaccel/crypto_balance/stats," + std::to_string(b1));
  EXPECT_NE(t1.find("\"mode\":\"accel\""), std::string::npos) << t1;
  EXPECT_GT(first_of(t1, "accel_ops"), 0) << t1;
  EXPECT_GT(first_of(t1, "reruns_error"), 0) << t1;
  // A latency probe nobody waits for is collected by a later dequeue: poll (briefly) as an
  // application would.
  std::string t0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  do {
    rte_crypto_op* none[1];
    EXPECT_EQ(rte_cryptodev_dequeue_burst(b0, 0, none, 1), 0);
    t0 = telemetry("/dpaccel/crypto_balance/stats," + std::to_string(b0));
  } while (first_of(t0, "accel0_latency_ns") <= 0 && std::chrono::steady_clock::now() < deadline);
  EXPECT_NE(t0.find("\"mode\":\"adaptive\""), std::string::npos) << t0;
  // The adaptive balancer explored the accelerator (ops it admitted, or explorations it turned
  // away as spills while the accelerator was too slow for the order ring) and measured its
  // latency (by latency probes if by nothing else), whichever path it prefers here — even though
  // most of its bursts passed through to the CPU device whole.
  EXPECT_GT(first_of(t0, "cpu_ops"), 0) << t0;
  EXPECT_GT(first_of(t0, "accel_ops") + first_of(t0, "spills"), 0) << t0;
  EXPECT_GT(first_of(t0, "accel0_latency_ns"), 0) << t0;
  // Its regime guard and zero-copy counters are there (which regime is in force depends on how
  // long this ran: none is asserted); worker_b0 takes revocable ops, so every op sent is one.
  EXPECT_GE(first_of(t0, "regime_cpu_only"), 0) << t0;
  EXPECT_GE(first_of(t0, "regime_switches"), 0) << t0;
  EXPECT_EQ(first_of(t0, "accel_zero_copy"), first_of(t0, "accel_ops")) << t0;
}

// The fault counters move when their fault happens, and the balancer's rte_cryptodev_stats agree
// with its telemetry: balance2's accelerator stalls 150 ms every 2000 ops (taken back after
// 20 ms: re-runs after a stall), balance3's has room for 16 ops (bursts of 64 spill).
TEST_F(Telemetry, BalancerCountsStallReRunsAndSpills) {
  std::mt19937_64 rng(12);
  Spec s = esp_gcm128_spec();
  Material m = random_material(s, rng);
  const uint8_t b2 = dev("crypto_dpaccel_balance2"), b3 = dev("crypto_dpaccel_balance3");
  auto stats = [](uint8_t d) {
    rte_cryptodev_stats st{};
    EXPECT_EQ(rte_cryptodev_stats_get(d, &st), 0);
    return st;
  };
  auto tele = [](uint8_t d) {
    return telemetry("/dpaccel/crypto_balance/stats," + std::to_string(d));
  };
  const std::string t2 = tele(b2), t3 = tele(b3);
  const rte_cryptodev_stats s3 = stats(b3);
  // 3 x 1280 ops: at least one whole stall period of the accelerator, wherever earlier tests
  // left its count.
  for (int i = 0; i < 3; ++i) ASSERT_NO_FATAL_FAILURE(run_gcm_rounds(b2, s, m, rng));
  ASSERT_NO_FATAL_FAILURE(run_gcm_rounds(b3, s, m, rng));
  drain_balancer(b2, {dev("crypto_dpaccel_worker_b2")});
  drain_balancer(b3, {dev("crypto_dpaccel_worker_b3")});
  const std::string u2 = tele(b2), u3 = tele(b3);
  EXPECT_GT(first_of(u2, "reruns_stall") - first_of(t2, "reruns_stall"), 0) << u2;
  EXPECT_GT(first_of(u3, "spills") - first_of(t3, "spills"), 0) << u3;
  EXPECT_GT(first_of(u3, "accel_ops") - first_of(t3, "accel_ops"), 0) << u3;
  const rte_cryptodev_stats e3 = stats(b3);
  EXPECT_EQ(e3.enqueued_count - s3.enqueued_count, 1280u);
  EXPECT_EQ(e3.dequeued_count - s3.dequeued_count, 1280u);
  EXPECT_EQ(first_of(u3, "enqueued") - first_of(t3, "enqueued"), 1280);
  EXPECT_EQ(first_of(u3, "dequeued") - first_of(t3, "dequeued"), 1280);
}

// With two accelerators each has its own columns, and they add up to the totals: both were used
// (mode=accel sends each op to the least loaded), and the failing one's errors were re-run.
TEST_F(Telemetry, BalancerShowsEachAccelerator) {
  std::mt19937_64 rng(10);
  Spec s = esp_gcm128_spec();
  Material m = random_material(s, rng);
  uint8_t b = dev("crypto_dpaccel_balance8");
  const uint8_t w8 = dev("crypto_dpaccel_worker_b8"), w9 = dev("crypto_dpaccel_worker_b9");
  for (uint8_t d : {b, w8, w9}) rte_cryptodev_stats_reset(d);
  ASSERT_NO_FATAL_FAILURE(run_gcm_rounds(b, s, m, rng));
  std::string t = telemetry("/dpaccel/crypto_balance/stats," + std::to_string(b));
  EXPECT_NE(t.find("\"accel\":\"crypto_dpaccel_worker_b8:crypto_dpaccel_worker_b9\""),
            std::string::npos)
      << t;
  const long long a0 = first_of(t, "accel0_ops"), a1 = first_of(t, "accel1_ops");
  EXPECT_GT(a0, 0) << t;
  EXPECT_GT(a1, 0) << t;
  // Each column is its own accelerator's: what that device was given (mode=accel sends no
  // latency probes), and the totals are their sums.
  rte_cryptodev_stats st8{}, st9{};
  rte_cryptodev_stats_get(w8, &st8);
  rte_cryptodev_stats_get(w9, &st9);
  EXPECT_EQ(uint64_t(a0), st8.enqueued_count) << t;
  EXPECT_EQ(uint64_t(a1), st9.enqueued_count) << t;
  EXPECT_EQ(a0 + a1, first_of(t, "accel_ops")) << t;
  EXPECT_EQ(first_of(t, "accel0_bytes") + first_of(t, "accel1_bytes"), first_of(t, "accel_bytes"))
      << t;
  EXPECT_GT(first_of(t, "reruns_error"), 0) << t;
  EXPECT_EQ(first_of(t, "accel2_ops"), -1) << "a column for an accelerator that is not there";
}

TEST_F(Telemetry, BalancerSizesOpsByTheBytesTheyCover) {
  // Ops are counted, and sized for the cost model, by the bytes their transform covers, not by
  // their mbuf's length (dpdk-test-crypto-perf's IMIX puts every size in max-size mbufs).
  uint8_t b = dev("crypto_dpaccel_balance0");
  auto op_bytes = [b] {
    std::string t = telemetry("/dpaccel/crypto_balance/stats," + std::to_string(b));
    return first_of(t, "cpu_bytes") + first_of(t, "accel_bytes");
  };
  GcmSession gs(b, 11);
  ASSERT_NE(gs.sess, nullptr);
  constexpr int kN = 64;
  constexpr uint32_t kRegion = 200, kBuffer = 1024;
  {
    GcmOps ops(gs, std::vector<Bytes>(kN, random_bytes(kRegion + 16, gs.rng)), 16, kRegion,
               kBuffer);
    ASSERT_TRUE(ops.ok());
    long long before = op_bytes();
    ASSERT_EQ(rte_cryptodev_enqueue_burst(b, 0, ops.data(), kN), kN);
    std::vector<rte_crypto_op*> back = dequeue_n(b, 0, kN, std::chrono::seconds(10));
    ASSERT_EQ(back.size(), size_t{kN});
    for (auto* op : back) EXPECT_EQ(op->status, RTE_CRYPTO_OP_STATUS_SUCCESS);
    EXPECT_EQ(op_bytes() - before, static_cast<long long>(kN) * kRegion);
  }
}

}  // namespace
}  // namespace dpaccel::test
