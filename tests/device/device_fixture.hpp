// Base fixture of the device tests: every test must give back every mbuf, op and session.
#pragma once

#include <gtest/gtest.h>

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

}  // namespace dpaccel::test
