// Device life cycle: several queue pairs and devices at once, back-pressure from a full queue
// pair, per-queue-pair statistics, devargs errors, and vdev hot-plug (rte_vdev_init/uninit)
// with nothing leaked.
#include <rte_bus_vdev.h>
#include <rte_malloc.h>

#include <random>
#include <thread>

#include "device_fixture.hpp"

namespace dpaccel::test {
namespace {

class Lifecycle : public DeviceTest {};

TEST_F(Lifecycle, FullQueuePairPushesBackAndCountsStats) {
  int id = start_device("crypto_dpaccel_cpu0", 2, 64);
  ASSERT_GE(id, 0);
  auto dev = static_cast<uint8_t>(id);
  rte_cryptodev_stats_reset(dev);
  std::mt19937_64 rng(1);
  Spec s = esp_gcm128_spec();
  Material m = random_material(s, rng);
  void* sess = make_session(dev, s, m, true);
  ASSERT_NE(sess, nullptr);
  constexpr int kN = 100;
  std::vector<rte_crypto_op*> ops(kN);
  ASSERT_EQ(rte_crypto_op_bulk_alloc(pools().ops, RTE_CRYPTO_OP_TYPE_SYMMETRIC, ops.data(), kN),
            kN);
  std::vector<rte_mbuf*> mb(kN);
  Bytes digest(16 * kN), aad(8);
  for (int i = 0; i < kN; ++i) {
    mb[i] = rte_pktmbuf_alloc(pools().mbufs);
    rte_pktmbuf_append(mb[i], 100);
    rte_crypto_op_attach_sym_session(ops[i], sess);
    ops[i]->sym->m_src = mb[i];
    ops[i]->sym->aead.data = {0, 100};
    ops[i]->sym->aead.digest.data = digest.data() + 16 * i;
    ops[i]->sym->aead.aad.data = aad.data();
  }
  // Depth 64: the queue pair takes 64 and refuses the rest until they are dequeued.
  EXPECT_EQ(rte_cryptodev_enqueue_burst(dev, 1, ops.data(), kN), 64);
  EXPECT_EQ(rte_cryptodev_enqueue_burst(dev, 1, ops.data() + 64, kN - 64), 0);
  std::vector<rte_crypto_op*> back(kN);
  EXPECT_EQ(rte_cryptodev_dequeue_burst(dev, 1, back.data(), kN), 64);
  EXPECT_EQ(rte_cryptodev_enqueue_burst(dev, 1, ops.data() + 64, kN - 64), kN - 64);
  EXPECT_EQ(rte_cryptodev_dequeue_burst(dev, 1, back.data() + 64, kN), kN - 64);
  for (int i = 0; i < kN; ++i) {
    EXPECT_EQ(back[i], ops[i]);
    EXPECT_EQ(back[i]->status, RTE_CRYPTO_OP_STATUS_SUCCESS);
  }
  rte_cryptodev_stats st{};
  ASSERT_EQ(rte_cryptodev_stats_get(dev, &st), 0);
  EXPECT_EQ(st.enqueued_count, uint64_t{kN});
  EXPECT_EQ(st.dequeued_count, uint64_t{kN});
  EXPECT_EQ(st.enqueue_err_count, uint64_t{2 * (kN - 64)});  // refused twice
  EXPECT_EQ(st.dequeue_err_count, 0u);
  for (int i = 0; i < kN; ++i) {
    rte_pktmbuf_free(mb[i]);
    rte_crypto_op_free(ops[i]);
  }
  rte_cryptodev_sym_session_free(dev, sess);
  ASSERT_GE(start_device("crypto_dpaccel_cpu0"), 0);  // back to the default depth for other tests
}

// Plugs 3 devices of `driver` with 3 queue pairs each, runs ops on every queue pair, unplugs
// them; `rounds` times after one warm-up round. Returns the growth of DPDK's heap.
int64_t hotplug_heap_growth(const std::string& driver, int rounds) {
  rte_malloc_socket_stats before{}, after{};
  for (int round = 0; round <= rounds; ++round) {
    if (round == 1) rte_malloc_get_socket_stats(0, &before);
    std::vector<std::string> names;
    for (int i = 0; i < 3; ++i) {
      std::string n = driver + "_hp" + std::to_string(i);
      EXPECT_EQ(rte_vdev_init(n.c_str(), "max_nb_queue_pairs=3"), 0) << n;
      names.push_back(n);
      EXPECT_GE(start_device(n, 3, 128), 0);
    }
    std::mt19937_64 rng(round);
    Spec s = esp_gcm128_spec();
    Material m = random_material(s, rng);
    for (const auto& n : names)
      for (uint16_t q = 0; q < 3; ++q) {
        std::vector<Job> jobs(8);
        for (auto& j : jobs) {
          j.data = random_bytes(200, rng);
          j.regions = regions_for(s, 200);
        }
        std::string why;
        EXPECT_TRUE(run_jobs(Api::Ops, static_cast<uint8_t>(rte_cryptodev_get_dev_id(n.c_str())), q,
                             s, m, true, jobs, &why))
            << why;
        for (auto& j : jobs) {
          EXPECT_EQ(j.status, 0);
          EXPECT_EQ(j.digest, reference_encrypt(s, m, j.data).digest);
        }
      }
    for (const auto& n : names) {
      auto d = static_cast<uint8_t>(rte_cryptodev_get_dev_id(n.c_str()));
      if (driver == "crypto_dpaccel_cpu") {  // ours refuses to go while started (DPDK's rule)
        EXPECT_EQ(rte_vdev_uninit(n.c_str()), -EBUSY);
      }
      rte_cryptodev_stop(d);
      EXPECT_EQ(rte_vdev_uninit(n.c_str()), 0) << n;  // closes it, releasing its queue pairs
      EXPECT_LT(rte_cryptodev_get_dev_id(n.c_str()), 0);
    }
  }
  rte_malloc_get_socket_stats(0, &after);
  return static_cast<int64_t>(after.heap_allocsz_bytes) -
         static_cast<int64_t>(before.heap_allocsz_bytes);
}

// A device created under a name= devarg is found by that name when its vdev goes: removal
// used to look for the vdev's own name, fail with -ENODEV and leave the device behind.
TEST_F(Lifecycle, DeviceCreatedUnderNameDevargIsRemoved) {
  ASSERT_EQ(rte_vdev_init("crypto_dpaccel_cpu_named", "max_nb_queue_pairs=2,name=dpaccel_named_cd"),
            0);
  EXPECT_LT(rte_cryptodev_get_dev_id("crypto_dpaccel_cpu_named"), 0);
  ASSERT_GE(start_device("dpaccel_named_cd", 2, 128), 0);
  EXPECT_EQ(rte_vdev_uninit("crypto_dpaccel_cpu_named"), -EBUSY);  // found, and started
  rte_cryptodev_stop(static_cast<uint8_t>(rte_cryptodev_get_dev_id("dpaccel_named_cd")));
  EXPECT_EQ(rte_vdev_uninit("crypto_dpaccel_cpu_named"), 0);
  EXPECT_LT(rte_cryptodev_get_dev_id("dpaccel_named_cd"), 0);
}

TEST_F(Lifecycle, HotPlugManyDevicesAndQueuePairsLeaksNothing) {
  // DPDK 22.11's cryptodev library itself keeps about 2.5 KB of heap per configured device after
  // rte_vdev_uninit (seen with crypto_aesni_mb as much as with ours), so the check is relative:
  // our driver may not grow the heap more than DPDK's own driver does on the same steps (a leaked
  // queue pair alone would be over 30 KB). Memory outside DPDK's heap (IPsec-MB managers, bounce
  // buffers) is checked by LeakSanitizer in the sanitizer build.
  constexpr int kRounds = 4;
  int64_t ours = hotplug_heap_growth("crypto_dpaccel_cpu", kRounds);
  int64_t peer = hotplug_heap_growth("crypto_aesni_mb", kRounds);
  EXPECT_LE(ours, peer + 64 * 3 * kRounds)
      << "ours grew the heap by " << ours << " bytes, crypto_aesni_mb by " << peer;
}

TEST_F(Lifecycle, BadDevargsAreRefused) {
  EXPECT_NE(rte_vdev_init("crypto_dpaccel_cpu_bad0", "max_nb_queue_pairs=0"), 0);
  EXPECT_NE(rte_vdev_init("crypto_dpaccel_cpu_bad1", "sync_api=fastest"), 0);
  EXPECT_NE(rte_vdev_init("crypto_dpaccel_cpu_bad2", "no_such_key=1"), 0);
  EXPECT_NE(rte_vdev_init("crypto_dpaccel_cpu_bad3", "socket_id=banana"), 0);
  EXPECT_LT(rte_cryptodev_get_dev_id("crypto_dpaccel_cpu_bad0"), 0);
}

}  // namespace
}  // namespace dpaccel::test

namespace dpaccel::test {
namespace {

// Queue pairs and the CPU-crypto API are used from several threads at once: each thread its own
// queue pair (DPDK's rule), CPU crypto from any thread. Nothing is shared between them but the
// sessions, which are read-only after creation.
TEST_F(Lifecycle, ConcurrentQueuePairsAndCpuCryptoThreads) {
  std::mt19937_64 rng(77);
  Spec s = esp_gcm128_spec();
  Material m = random_material(s, rng);
  constexpr int kRounds = 30;
  auto worker_fn = [&](Api api, uint16_t qp, uint64_t seed, int* failures) {
    std::mt19937_64 r(seed);
    for (int round = 0; round < kRounds; ++round) {
      std::vector<Job> jobs(32);
      for (auto& j : jobs) {
        j.data = random_bytes(64 + r() % 1400, r);
        j.regions = regions_for(s, j.data.size());
      }
      std::string why;
      if (!run_jobs(api, ours(), qp, s, m, true, jobs, &why)) {
        ++*failures;
        continue;
      }
      for (auto& j : jobs) {
        RefResult ref = reference_encrypt(s, m, j.data);
        *failures += j.status != 0 || j.out != ref.data || j.digest != ref.digest;
      }
    }
  };
  int f[3] = {0, 0, 0};
  // Ops on queue pairs 0 and 1 from two threads, CPU crypto from a third.
  std::thread t0(worker_fn, Api::Ops, 0, 1, &f[0]);
  std::thread t1(worker_fn, Api::Ops, 1, 2, &f[1]);
  std::thread t2(worker_fn, Api::CpuCrypto, 0, 3, &f[2]);
  t0.join();
  t1.join();
  t2.join();
  EXPECT_EQ(f[0], 0);
  EXPECT_EQ(f[1], 0);
  EXPECT_EQ(f[2], 0);
}

}  // namespace
}  // namespace dpaccel::test
