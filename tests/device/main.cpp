// Device tests: EAL starts once for the binary, with --no-huge so any machine runs it, and a
// file prefix unique to the process. Vdevs: two of ours (CPU-crypto and raw data-path flavours)
// and DPDK's crypto_aesni_mb as the in-process peer.
#include <gtest/gtest.h>

#include <rte_cryptodev.h>
#include <rte_eal.h>
#include <rte_mbuf.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "crypto_harness.hpp"
#include "test_eal.hpp"

// Exported by the drivers' shared libraries. Referencing them keeps the linker (which runs with
// --as-needed) from dropping the drivers, whose registration happens in constructors.
extern uint8_t dpaccel_cpu_driver_id;
extern uint8_t dpaccel_worker_driver_id;
extern uint8_t dpaccel_balance_driver_id;

namespace {

// The devices SetUp starts; TearDown closes them, balancers first (closing one closes the devices
// it owns, which then are closed already).
constexpr const char* kStarted[] = {
    "crypto_dpaccel_balance0",  "crypto_dpaccel_balance1",  "crypto_dpaccel_balance2",
    "crypto_dpaccel_balance3",  "crypto_dpaccel_balance4",  "crypto_dpaccel_balance5",
    "crypto_dpaccel_balance6",  "crypto_dpaccel_balance7",  "crypto_dpaccel_balance8",
    "crypto_dpaccel_balance9",  "crypto_dpaccel_balance10", "crypto_dpaccel_balance11",
    "crypto_dpaccel_balance12", "crypto_dpaccel_cpu0",      "crypto_dpaccel_cpu1",
    "crypto_aesni_mb0",         "crypto_dpaccel_worker0",   "crypto_dpaccel_worker1",
    "crypto_dpaccel_worker2",   "crypto_dpaccel_worker3"};

class EalEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    if (dpaccel::test::init_test_eal(
            "devtest", 1024,
            {"--log-level=pmd.crypto.dpaccel_cpu:info", "--vdev=crypto_dpaccel_cpu0",
             "--vdev=crypto_dpaccel_cpu1,sync_api=raw_dp,max_nb_queue_pairs=4",
             "--vdev=crypto_aesni_mb0",
             // helper threads on CPU 1 (the tests run on lcore 0)
             "--vdev=crypto_dpaccel_worker0,corelist=1",
             "--vdev=crypto_dpaccel_worker1,corelist=1,max_inflight=48,"
             "latency_us=200000,error_rate=0.2,seed=7",
             "--vdev=crypto_dpaccel_worker2,corelist=1,stall_ms=300,stall_after=40",
             "--vdev=crypto_dpaccel_worker3,corelist=1,rate_ops=2000",
             // balancers: one CPU device, accelerators with fault profiles
             // (a child device serves one balancer: one CPU device each)
             "--vdev=crypto_dpaccel_cpu_b0", "--vdev=crypto_dpaccel_cpu_b1",
             "--vdev=crypto_dpaccel_cpu_b2", "--vdev=crypto_dpaccel_cpu_b3",
             "--vdev=crypto_dpaccel_cpu_b4", "--vdev=crypto_dpaccel_worker_b0,corelist=1",
             "--vdev=crypto_dpaccel_worker_b1,corelist=1,error_rate=0.3,seed=3",
             "--vdev=crypto_dpaccel_worker_b2,corelist=1,stall_ms=150,stall_after=100,"
             "stall_every=2000",
             "--vdev=crypto_dpaccel_worker_b3,corelist=1,max_inflight=16,latency_us=300",
             "--vdev=crypto_dpaccel_balance0,cpu=crypto_dpaccel_cpu_b0,"
             "accel=crypto_dpaccel_worker_b0",
             "--vdev=crypto_dpaccel_balance1,cpu=crypto_dpaccel_cpu_b1,"
             "accel=crypto_dpaccel_worker_b1,mode=accel",
             "--vdev=crypto_dpaccel_balance2,cpu=crypto_dpaccel_cpu_b2,"
             "accel=crypto_dpaccel_worker_b2,mode=accel,stall_us=20000",
             "--vdev=crypto_dpaccel_balance3,cpu=crypto_dpaccel_cpu_b3,"
             "accel=crypto_dpaccel_worker_b3,mode=accel",
             "--vdev=crypto_dpaccel_balance4,cpu=crypto_dpaccel_cpu_b4,mode=cpu",
             // the same fault profiles under the adaptive mode (its admission, probes, in-flight
             // cap and adaptive stall limit meet the faults, not only mode=accel's)
             "--vdev=crypto_dpaccel_cpu_b5", "--vdev=crypto_dpaccel_cpu_b6",
             "--vdev=crypto_dpaccel_cpu_b7",
             "--vdev=crypto_dpaccel_worker_b5,corelist=1,error_rate=0.3,seed=5",
             "--vdev=crypto_dpaccel_worker_b6,corelist=1,stall_ms=150,stall_after=100,"
             "stall_every=2000",
             "--vdev=crypto_dpaccel_worker_b7,corelist=1,max_inflight=16,latency_us=300",
             "--vdev=crypto_dpaccel_balance5,cpu=crypto_dpaccel_cpu_b5,"
             "accel=crypto_dpaccel_worker_b5",
             "--vdev=crypto_dpaccel_balance6,cpu=crypto_dpaccel_cpu_b6,"
             "accel=crypto_dpaccel_worker_b6",
             "--vdev=crypto_dpaccel_balance7,cpu=crypto_dpaccel_cpu_b7,"
             "accel=crypto_dpaccel_worker_b7",
             // two accelerators, one of them failing 30 % of its ops
             "--vdev=crypto_dpaccel_cpu_b8", "--vdev=crypto_dpaccel_worker_b8,corelist=1",
             "--vdev=crypto_dpaccel_worker_b9,corelist=1,error_rate=0.3,seed=9",
             "--vdev=crypto_dpaccel_balance8,cpu=crypto_dpaccel_cpu_b8,"
             "accel=crypto_dpaccel_worker_b8:crypto_dpaccel_worker_b9,mode=accel",
             // a DPDK driver as the accelerator
             "--vdev=crypto_dpaccel_cpu_b10", "--vdev=crypto_aesni_mb_b10",
             "--vdev=crypto_dpaccel_balance9,cpu=crypto_dpaccel_cpu_b10,"
             "accel=crypto_aesni_mb_b10,mode=accel",
             // ordering=disable: ops come back as they finish. An accelerator failing 30 % of
             // its ops with 300 us of latency; one that stalls for 30 s after 100 ops (longer
             // than any test waits: only taking its ops back gets them home); one slow (2 s) and
             // small (16 ops) next to a CPU that finishes at once.
             "--vdev=crypto_dpaccel_cpu_b11", "--vdev=crypto_dpaccel_cpu_b12",
             "--vdev=crypto_dpaccel_cpu_b13",
             "--vdev=crypto_dpaccel_worker_b11,corelist=1,error_rate=0.3,seed=11,latency_us=300",
             "--vdev=crypto_dpaccel_worker_b12,corelist=1,stall_ms=30000,stall_after=100",
             "--vdev=crypto_dpaccel_worker_b13,corelist=1,max_inflight=16,latency_us=2000000",
             "--vdev=crypto_dpaccel_balance10,cpu=crypto_dpaccel_cpu_b11,"
             "accel=crypto_dpaccel_worker_b11,mode=accel,ordering=disable",
             "--vdev=crypto_dpaccel_balance11,cpu=crypto_dpaccel_cpu_b12,"
             "accel=crypto_dpaccel_worker_b12,mode=accel,ordering=disable,stall_us=20000",
             "--vdev=crypto_dpaccel_balance12,cpu=crypto_dpaccel_cpu_b13,"
             "accel=crypto_dpaccel_worker_b13,mode=accel,ordering=disable"}) < 0) {
      // A failed environment would only skip the tests; a broken set-up must fail the run.
      std::fprintf(stderr, "EAL init failed\n");
      std::exit(1);
    }
    if (rte_cryptodev_driver_id_get("crypto_dpaccel_cpu") != dpaccel_cpu_driver_id ||
        rte_cryptodev_driver_id_get("crypto_dpaccel_worker") != dpaccel_worker_driver_id ||
        rte_cryptodev_driver_id_get("crypto_dpaccel_balance") != dpaccel_balance_driver_id) {
      std::fprintf(stderr, "our drivers are not registered\n");
      std::exit(1);
    }
    auto& p = dpaccel::test::pools();
    p.mbufs =
        rte_pktmbuf_pool_create("test_mbufs", 8191, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    p.ops = rte_crypto_op_pool_create("test_ops", RTE_CRYPTO_OP_TYPE_SYMMETRIC, 4095, 0, 64,
                                      SOCKET_ID_ANY);
    unsigned sess_size = 0;
    for (uint8_t d = 0; d < rte_cryptodev_count(); ++d)
      sess_size = std::max(sess_size, rte_cryptodev_sym_get_private_session_size(d));
    p.sessions = rte_cryptodev_sym_session_pool_create("test_sessions", 1023, sess_size, 0, 0,
                                                       SOCKET_ID_ANY);
    ASSERT_NE(p.mbufs, nullptr);
    ASSERT_NE(p.ops, nullptr);
    ASSERT_NE(p.sessions, nullptr);
    for (const char* name : kStarted) {
      if (dpaccel::test::start_device(name) < 0) {
        std::fprintf(stderr, "cannot start %s\n", name);
        std::exit(1);
      }
    }
  }
  void TearDown() override {
    for (const char* name : kStarted) {
      int d = rte_cryptodev_get_dev_id(name);
      if (d < 0) continue;
      rte_cryptodev_stop(static_cast<uint8_t>(d));
      rte_cryptodev_close(static_cast<uint8_t>(d));
    }
    auto& p = dpaccel::test::pools();
    rte_mempool_free(p.sessions);
    rte_mempool_free(p.ops);
    rte_mempool_free(p.mbufs);
    rte_eal_cleanup();
  }
};
}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new EalEnvironment);
  return RUN_ALL_TESTS();
}
