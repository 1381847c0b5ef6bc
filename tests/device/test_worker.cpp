// crypto_dpaccel_worker: the device model (in-flight limit, latency, injected errors, stalls, rate
// cap), order and completeness under every fault, stop with ops in flight, devargs errors.
// Correctness of the crypto itself is the differential suite's (Differential.Worker*).
#include <rte_bus_vdev.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <cstring>
#include <thread>

#include "device_fixture.hpp"

namespace dpaccel::test {
namespace {

using Clock = std::chrono::steady_clock;

class Worker : public DeviceTest {
 protected:
  // n in-place AES-128-GCM encrypt ops of 256 bytes on dev, with their expected results.
  struct Ops {
    std::vector<rte_crypto_op*> ops;
    std::vector<rte_mbuf*> mbufs;
    std::vector<Bytes> plain;
    Bytes digests, aad = Bytes(8, 0x11);
    void* sess = nullptr;
    uint8_t dev = 0;
    Material m;
  };

  Ops make_ops(uint8_t dev, size_t n) {
    Ops o;
    o.dev = dev;
    std::mt19937_64 rng(n);
    Spec s = esp_gcm128_spec();
    o.m = random_material(s, rng);
    o.m.aad = o.aad;
    o.sess = make_session(dev, s, o.m, true);
    EXPECT_NE(o.sess, nullptr);
    o.ops.resize(n);
    EXPECT_EQ(rte_crypto_op_bulk_alloc(pools().ops, RTE_CRYPTO_OP_TYPE_SYMMETRIC, o.ops.data(),
                                       static_cast<uint16_t>(n)),
              n);
    o.digests.resize(16 * n);
    for (size_t i = 0; i < n; ++i) {
      rte_mbuf* mb = rte_pktmbuf_alloc(pools().mbufs);
      Bytes p = random_bytes(256, rng);
      std::memcpy(rte_pktmbuf_append(mb, 256), p.data(), 256);
      o.mbufs.push_back(mb);
      o.plain.push_back(p);
      rte_crypto_op* op = o.ops[i];
      rte_crypto_op_attach_sym_session(op, o.sess);
      op->sym->m_src = mb;
      std::memcpy(rte_crypto_op_ctod_offset(op, uint8_t*, kIvOffset), o.m.iv.data(), 12);
      op->sym->aead.data = {0, 256};
      op->sym->aead.digest.data = o.digests.data() + 16 * i;
      op->sym->aead.aad.data = o.aad.data();
    }
    return o;
  }

  void free_ops(Ops& o) {
    for (auto* mb : o.mbufs) rte_pktmbuf_free(mb);
    for (auto* op : o.ops) rte_crypto_op_free(op);
    rte_cryptodev_sym_session_free(o.dev, o.sess);
  }

  // Dequeues until `want` ops came back or the deadline passed; appends them to out.
  static void dequeue_all(uint8_t dev, size_t want, std::vector<rte_crypto_op*>& out,
                          std::chrono::seconds limit = std::chrono::seconds(20)) {
    auto deadline = Clock::now() + limit;
    std::vector<rte_crypto_op*> buf(64);
    while (out.size() < want && Clock::now() < deadline) {
      uint16_t k = rte_cryptodev_dequeue_burst(dev, 0, buf.data(), 64);
      out.insert(out.end(), buf.begin(), buf.begin() + k);
    }
  }

  // Every op came back once, in order; the successful ones are right; returns the failed count.
  size_t check_results(const Ops& o, const std::vector<rte_crypto_op*>& back) {
    EXPECT_EQ(back.size(), o.ops.size());
    size_t failed = 0;
    Spec s = esp_gcm128_spec();
    for (size_t i = 0; i < std::min(back.size(), o.ops.size()); ++i) {
      EXPECT_EQ(back[i], o.ops[i]) << "completion order differs from enqueue order at " << i;
      if (back[i]->status != RTE_CRYPTO_OP_STATUS_SUCCESS) {
        // An injected error returns the op unprocessed: its data is still the plaintext.
        EXPECT_EQ(back[i]->status, RTE_CRYPTO_OP_STATUS_ERROR);
        EXPECT_EQ(0, std::memcmp(rte_pktmbuf_mtod(o.mbufs[i], uint8_t*), o.plain[i].data(), 256));
        ++failed;
        continue;
      }
      RefResult ref = reference_encrypt(s, o.m, o.plain[i]);
      EXPECT_EQ(0, std::memcmp(rte_pktmbuf_mtod(o.mbufs[i], uint8_t*), ref.data.data(), 256));
      EXPECT_EQ(0, std::memcmp(o.digests.data() + 16 * i, ref.digest.data(), 16));
    }
    return failed;
  }
};

TEST_F(Worker, InflightLimitLatencyAndInjectedErrors) {
  // worker1: max_inflight=48, latency_us=200000, error_rate=0.2, seed=7
  uint8_t d = dev("crypto_dpaccel_worker1");
  Ops o = make_ops(d, 100);
  EXPECT_EQ(rte_cryptodev_enqueue_burst(d, 0, o.ops.data(), 100), 48) << "in-flight limit";
  std::vector<rte_crypto_op*> back;
  rte_crypto_op* early[64];
  EXPECT_EQ(rte_cryptodev_dequeue_burst(d, 0, early, 64), 0) << "returned before its latency";
  dequeue_all(d, 48, back);
  ASSERT_EQ(back.size(), 48u);
  EXPECT_EQ(rte_cryptodev_enqueue_burst(d, 0, o.ops.data() + 48, 52), 48);
  dequeue_all(d, 96, back);
  EXPECT_EQ(rte_cryptodev_enqueue_burst(d, 0, o.ops.data() + 96, 4), 4);
  dequeue_all(d, 100, back);
  size_t failed = check_results(o, back);
  // The error draw is seeded: some but not all ops fail (about 20 %).
  EXPECT_GT(failed, 0u);
  EXPECT_LT(failed, 50u);
  rte_cryptodev_stats st{};
  rte_cryptodev_stats_get(d, &st);
  EXPECT_EQ(st.dequeue_err_count, failed);
  free_ops(o);
}

TEST_F(Worker, StallLosesNothingAndKeepsOrder) {
  // worker2: stall_ms=300 once 40 ops were processed
  uint8_t d = dev("crypto_dpaccel_worker2");
  Ops o = make_ops(d, 200);
  size_t enq = 0;
  std::vector<rte_crypto_op*> back;
  auto deadline = Clock::now() + std::chrono::seconds(20);
  while (back.size() < 200 && Clock::now() < deadline) {
    if (enq < 200)
      enq += rte_cryptodev_enqueue_burst(d, 0, o.ops.data() + enq,
                                         static_cast<uint16_t>(std::min<size_t>(32, 200 - enq)));
    rte_crypto_op* buf[64];
    uint16_t k = rte_cryptodev_dequeue_burst(d, 0, buf, 64);
    back.insert(back.end(), buf, buf + k);
  }
  EXPECT_EQ(check_results(o, back), 0u);
  free_ops(o);
}

TEST_F(Worker, AStallHoldsBackOnlyItsQueuePair) {
  // worker2 (stall_ms=300 once a queue pair processed 40 ops; one helper serves both queue
  // pairs): queue pair 1 stalls on its 41st op; the ops then enqueued on queue pair 0 still come
  // back while queue pair 1 is held (it has not given back its 100 yet), and nothing is lost.
  uint8_t d = dev("crypto_dpaccel_worker2");
  Ops stalled = make_ops(d, 100), other = make_ops(d, 10);
  ASSERT_EQ(rte_cryptodev_enqueue_burst(d, 1, stalled.ops.data(), 100), 100);
  std::vector<rte_crypto_op*> back1, back0;
  rte_crypto_op* buf[64];
  auto deadline = Clock::now() + std::chrono::seconds(20);
  while (back1.size() < 40 && Clock::now() < deadline) {  // the ops before the stall
    uint16_t k = rte_cryptodev_dequeue_burst(d, 1, buf, 64);
    back1.insert(back1.end(), buf, buf + k);
  }
  ASSERT_EQ(rte_cryptodev_enqueue_burst(d, 0, other.ops.data(), 10), 10);
  while (back0.size() < 10 && Clock::now() < deadline) {
    uint16_t k = rte_cryptodev_dequeue_burst(d, 0, buf, 64);
    back0.insert(back0.end(), buf, buf + k);
  }
  back1.insert(back1.end(), buf, buf + rte_cryptodev_dequeue_burst(d, 1, buf, 64));
  EXPECT_LT(back1.size(), 100u) << "queue pair 1 finished before queue pair 0's ops came back";
  while (back1.size() < 100 && Clock::now() < deadline) {
    uint16_t k = rte_cryptodev_dequeue_burst(d, 1, buf, 64);
    back1.insert(back1.end(), buf, buf + k);
  }
  EXPECT_EQ(check_results(other, back0), 0u);
  EXPECT_EQ(check_results(stalled, back1), 0u);
  free_ops(stalled);
  free_ops(other);
}

TEST_F(Worker, RateCapHoldsOpsBack) {
  // worker3: rate_ops=2000 per queue pair, bucket of 32 ops: 200 ops cannot finish in under
  // (200 - 32) / 2000 s = 84 ms, however fast the machine (a lower bound, not a speed check).
  uint8_t d = dev("crypto_dpaccel_worker3");
  Ops o = make_ops(d, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let the bucket fill up
  auto t0 = Clock::now();
  ASSERT_EQ(rte_cryptodev_enqueue_burst(d, 0, o.ops.data(), 200), 200);
  std::vector<rte_crypto_op*> back;
  dequeue_all(d, 200, back);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
  EXPECT_GE(ms, 80);
  EXPECT_EQ(check_results(o, back), 0u);
  free_ops(o);
}

TEST_F(Worker, ByteRateCapPassesOpsLargerThanItsBucket) {
  // rate_gbps: a bucket of 64 KiB (at this rate); an op covering 70 000 bytes (chained mbufs)
  // must still pass — the bucket goes into debt — and the ops behind it too. Before, such an op
  // waited for a full bucket it could never have, and its queue pair stopped for good.
  ASSERT_EQ(rte_vdev_init("crypto_dpaccel_worker_gbps", "corelist=1,rate_gbps=0.05"), 0);
  int id = start_device("crypto_dpaccel_worker_gbps", 1, 256);
  ASSERT_GE(id, 0);
  std::mt19937_64 rng(5);
  Spec s = esp_gcm128_spec();
  Material m = random_material(s, rng);
  std::vector<Job> jobs(5);
  for (size_t i = 0; i < jobs.size(); ++i) {
    const size_t n = i == 1 ? 70000 : 300;
    jobs[i].data = random_bytes(n, rng);
    jobs[i].regions = regions_for(s, n);
    for (size_t cut = 2000; cut < n; cut += 2000) jobs[i].src_cuts.push_back(cut);
  }
  std::string why;
  EXPECT_TRUE(run_jobs(Api::Ops, static_cast<uint8_t>(id), 0, s, m, true, jobs, &why)) << why;
  for (auto& j : jobs) {
    EXPECT_EQ(j.status, RTE_CRYPTO_OP_STATUS_SUCCESS);
    EXPECT_EQ(j.digest, reference_encrypt(s, m, j.data).digest);
  }
  rte_cryptodev_stop(static_cast<uint8_t>(id));
  ASSERT_EQ(rte_vdev_uninit("crypto_dpaccel_worker_gbps"), 0);
}

// Names of this process's threads (/proc/self/task/*/comm).
std::vector<std::string> thread_names() {
  std::vector<std::string> names;
  for (const auto& t : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream f(t.path() / "comm");
    std::string n;
    if (std::getline(f, n)) names.push_back(n);
  }
  return names;
}

TEST_F(Worker, TwoHelpersServeTheirQueuePairsInOrder) {
  // corelist=0:1 with two queue pairs: one helper thread per CPU, each serving its own queue
  // pair; ops on both come back right and in enqueue order.
  ASSERT_EQ(rte_vdev_init("crypto_dpaccel_worker_two", "corelist=0:1"), 0);
  int id = start_device("crypto_dpaccel_worker_two", 2, 256);
  ASSERT_GE(id, 0);
  const std::string prefix = "dpaccel-wrk" + std::to_string(id) + ".";
  auto count_helpers = [&prefix] {
    size_t k = 0;
    for (const std::string& n : thread_names()) k += n.rfind(prefix, 0) == 0;
    return k;
  };
  // A helper names itself once running: give them a moment.
  size_t helpers = 0;
  for (auto until = Clock::now() + std::chrono::seconds(5); Clock::now() < until;) {
    if ((helpers = count_helpers()) == 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(helpers, 2u) << "helper threads named " << prefix << "*";
  std::mt19937_64 rng(6);
  Spec s = esp_gcm128_spec();
  Material m = random_material(s, rng);
  for (uint16_t qp : {0, 1, 0, 1}) {
    std::vector<Job> jobs(64);
    for (auto& j : jobs) {
      j.data = random_bytes(64 + rng() % 1400, rng);
      j.regions = regions_for(s, j.data.size());
    }
    std::string why;
    ASSERT_TRUE(run_jobs(Api::Ops, static_cast<uint8_t>(id), qp, s, m, true, jobs, &why)) << why;
    for (auto& j : jobs) {
      ASSERT_EQ(j.status, RTE_CRYPTO_OP_STATUS_SUCCESS);
      ASSERT_EQ(j.digest, reference_encrypt(s, m, j.data).digest) << "queue pair " << qp;
    }
  }
  rte_cryptodev_stop(static_cast<uint8_t>(id));
  ASSERT_EQ(rte_vdev_uninit("crypto_dpaccel_worker_two"), 0);
  EXPECT_EQ(count_helpers(), 0u) << "helpers left after removal";
}

TEST_F(Worker, StopWithOpsInFlightFinishesThemForTheNextStart) {
  uint8_t d = worker();
  Ops o = make_ops(d, 500);
  size_t enq = 0;
  while (enq < 500)
    enq += rte_cryptodev_enqueue_burst(d, 0, o.ops.data() + enq,
                                       static_cast<uint16_t>(std::min<size_t>(64, 500 - enq)));
  rte_cryptodev_stop(d);  // waits for the helper to finish what was enqueued
  ASSERT_EQ(rte_cryptodev_start(d), 0);
  std::vector<rte_crypto_op*> back;
  dequeue_all(d, 500, back);
  EXPECT_EQ(check_results(o, back), 0u);
  free_ops(o);
}

TEST_F(Worker, BadDevargsAreRefused) {
  EXPECT_NE(rte_vdev_init("crypto_dpaccel_worker_bad0", "corelist=99999"), 0);
  EXPECT_NE(rte_vdev_init("crypto_dpaccel_worker_bad1", "corelist=1-"), 0);
  EXPECT_NE(rte_vdev_init("crypto_dpaccel_worker_bad2", "error_rate=1.5"), 0);
  EXPECT_NE(rte_vdev_init("crypto_dpaccel_worker_bad3", "rate_gbps=fast"), 0);
  EXPECT_NE(rte_vdev_init("crypto_dpaccel_worker_bad4", "max_inflight=0"), 0);
  EXPECT_NE(rte_vdev_init("crypto_dpaccel_worker_bad5", "latency=5"), 0);
  EXPECT_LT(rte_cryptodev_get_dev_id("crypto_dpaccel_worker_bad0"), 0);
}

TEST_F(Worker, HotPlugAndRemovalWhileStarted) {
  for (int round = 0; round < 3; ++round) {
    ASSERT_EQ(rte_vdev_init("crypto_dpaccel_worker_hp", "corelist=1,max_nb_queue_pairs=2"), 0);
    int id = start_device("crypto_dpaccel_worker_hp", 2, 256);
    ASSERT_GE(id, 0);
    std::mt19937_64 rng(round);
    Spec s = esp_gcm128_spec();
    Material m = random_material(s, rng);
    std::vector<Job> jobs(40);
    for (auto& j : jobs) {
      j.data = random_bytes(300, rng);
      j.regions = regions_for(s, 300);
    }
    std::string why;
    ASSERT_TRUE(run_jobs(Api::Ops, static_cast<uint8_t>(id), 1, s, m, true, jobs, &why)) << why;
    for (auto& j : jobs) EXPECT_EQ(j.digest, reference_encrypt(s, m, j.data).digest);
    // A started device is refused (DPDK's rule) and stays usable ...
    EXPECT_EQ(rte_vdev_uninit("crypto_dpaccel_worker_hp"), -EBUSY);
    ASSERT_TRUE(run_jobs(Api::Ops, static_cast<uint8_t>(id), 0, s, m, true, jobs, &why)) << why;
    // ... and goes once stopped, helpers and all.
    rte_cryptodev_stop(static_cast<uint8_t>(id));
    ASSERT_EQ(rte_vdev_uninit("crypto_dpaccel_worker_hp"), 0);
  }
}

}  // namespace
}  // namespace dpaccel::test
