// Base fixture of the device tests: every test must give back every mbuf, op and session.
#pragma once

#include <gtest/gtest.h>
#include <rte_cryptodev.h>

#include <chrono>
#include <initializer_list>

#include "crypto_harness.hpp"

namespace dpaccel::test {

class DeviceTest : public ::testing::Test {
 protected:
  void SetUp() override { start_ = pool_counts(); }
  void TearDown() override {
    PoolCounts end = pool_counts();
    EXPECT_EQ(end.mbufs, start_.mbufs) << "mbufs not returned to their pool";
    EXPECT_EQ(end.ops, start_.ops) << "crypto ops not returned to their pool";
    EXPECT_EQ(end.sessions, start_.sessions) << "sessions not freed";
  }
  static uint8_t dev(const char* name) {
    return static_cast<uint8_t>(rte_cryptodev_get_dev_id(name));
  }
  static uint8_t ours() { return dev("crypto_dpaccel_cpu0"); }
  static uint8_t ours_raw() { return dev("crypto_dpaccel_cpu1"); }
  static uint8_t aesni_mb() { return dev("crypto_aesni_mb0"); }
  static uint8_t worker() { return dev("crypto_dpaccel_worker0"); }
  PoolCounts start_{};
};

// Copies a balancer's accelerators give back after it took them back (stall) come home later;
// dequeue reaps them, with the sub-sessions they hold. Waits (up to 10 s) until every accelerator
// has given back all it was given, so that the session pool is whole when the test ends; the
// application's ops must all be dequeued already.
inline void drain_balancer(uint8_t balancer, std::initializer_list<uint8_t> accels) {
  for (uint8_t accel : accels) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    rte_cryptodev_stats st{};
    do {
      rte_crypto_op* none[1];
      EXPECT_EQ(rte_cryptodev_dequeue_burst(balancer, 0, none, 1), 0);
      rte_cryptodev_stats_get(accel, &st);
    } while (st.enqueued_count != st.dequeued_count && std::chrono::steady_clock::now() < deadline);
    EXPECT_EQ(st.enqueued_count, st.dequeued_count);
  }
}

}  // namespace dpaccel::test
