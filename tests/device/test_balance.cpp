// crypto_dpaccel_balance life cycle: stop and start with ops in flight on a stalling
// accelerator, and devargs errors. (Correctness under every split and fault profile is the
// differential suite's: Differential.Balance*.)
#include <rte_bus_vdev.h>
#include <rte_log.h>
#include <rte_mempool.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "device_fixture.hpp"
#include "gcm_ops.hpp"
#include "telemetry_client.hpp"

namespace dpaccel::test {
namespace {

class Balance : public DeviceTest {
 protected:
  static void take_back_from_a_stall(const std::string& suffix, bool zero_copy);
};

// Every op came back once, in enqueue order, with its own session, encrypted as OpenSSL does it
// (data and digest); the op at `bad`, if any, with an error status.
void expect_encrypted_in_order(const std::vector<rte_crypto_op*>& back, const GcmOps& ops,
                               const GcmSession& gs, const std::vector<Bytes>& plain,
                               size_t bad = SIZE_MAX) {
  ASSERT_EQ(back.size(), plain.size());
  for (size_t i = 0; i < plain.size(); ++i) {
    ASSERT_EQ(back[i], ops[i]) << "order, at " << i;
    if (i == bad) {
      EXPECT_NE(back[i]->status, RTE_CRYPTO_OP_STATUS_SUCCESS);
      continue;
    }
    ASSERT_EQ(back[i]->status, RTE_CRYPTO_OP_STATUS_SUCCESS) << i;
    EXPECT_EQ(back[i]->sym->session, gs.sess) << "the op's session, as given";
    RefResult ref = reference_encrypt(gs.spec, gs.m, plain[i]);
    ASSERT_EQ(0, std::memcmp(rte_pktmbuf_mtod(back[i]->sym->m_src, uint8_t*), ref.data.data(),
                             plain[i].size()))
        << i;
    ASSERT_EQ(0, std::memcmp(ops.digest(i), ref.digest.data(), 16)) << i;
  }
}

// The same, in any order (ordering=disable): back[] is put in enqueue order first, and every op
// must be there exactly once.
void expect_encrypted_in_any_order(std::vector<rte_crypto_op*> back, const GcmOps& ops,
                                   const GcmSession& gs, const std::vector<Bytes>& plain) {
  ASSERT_EQ(back.size(), plain.size());
  std::vector<rte_crypto_op*> sorted(plain.size(), nullptr);
  for (rte_crypto_op* op : back) {
    size_t k = 0;
    while (k < plain.size() && ops[k] != op) ++k;
    ASSERT_LT(k, plain.size()) << "an op that was never enqueued";
    ASSERT_EQ(sorted[k], nullptr) << "op " << k << " came back twice";
    sorted[k] = op;
  }
  expect_encrypted_in_order(sorted, ops, gs, plain);
}

// n AES-GCM encrypt ops of `size` random bytes each (kMixedSizes: 64..1463, drawn per op) on a
// session of device b.
struct GcmBurst {
  static constexpr size_t kMixedSizes = 0;
  GcmBurst(uint8_t b, uint64_t seed, size_t n, size_t size)
      : gs(b, seed), plain(random_plain(gs, n, size)), ops(gs, plain) {}
  static std::vector<Bytes> random_plain(GcmSession& gs, size_t n, size_t size) {
    std::vector<Bytes> v(n);
    for (auto& p : v) p = random_bytes(size != kMixedSizes ? size : 64 + gs.rng() % 1400, gs.rng);
    return v;
  }
  bool ok() const { return gs.sess != nullptr && ops.ok(); }
  GcmSession gs;
  std::vector<Bytes> plain;
  GcmOps ops;
};

// Enqueues all of g's ops on b's queue pair 0 in one burst and waits (10 s at most) until they are
// back, in order and encrypted.
void run_in_order(uint8_t b, GcmBurst& g, std::vector<rte_crypto_op*>& back) {
  ASSERT_TRUE(g.ok());
  const auto n = static_cast<uint16_t>(g.ops.size());
  ASSERT_EQ(rte_cryptodev_enqueue_burst(b, 0, g.ops.data(), n), n);
  back = dequeue_n(b, 0, n, std::chrono::seconds(10));
  ASSERT_NO_FATAL_FAILURE(expect_encrypted_in_order(back, g.ops, g.gs, g.plain));
}

TEST_F(Balance, UnorderedOpsDoNotWaitForTheAccelerator) {
  // balance12 (ordering=disable, mode=accel): its accelerator takes 16 ops and holds them
  // 2 s; the other 48 of a burst of 64 spill to the CPU, which finishes them at once. In
  // order, nothing could come back before the first op; without ordering those 48 come back
  // first, and the accelerator's 16 later.
  uint8_t b = dev("crypto_dpaccel_balance12");
  constexpr int kN = 64;
  GcmBurst g(b, 12, kN, 256);
  ASSERT_TRUE(g.ok());
  ASSERT_EQ(rte_cryptodev_enqueue_burst(b, 0, g.ops.data(), kN), kN);
  // What the CPU ran is back at the first dequeue; the accelerator's ops are not (2 s).
  std::vector<rte_crypto_op*> first(kN);
  first.resize(rte_cryptodev_dequeue_burst(b, 0, first.data(), kN));
  EXPECT_EQ(first.size(), size_t{kN - 16});
  for (rte_crypto_op* op : first) EXPECT_EQ(op->status, RTE_CRYPTO_OP_STATUS_SUCCESS);
  std::vector<rte_crypto_op*> rest = dequeue_n(b, 0, kN - first.size(), std::chrono::seconds(10));
  first.insert(first.end(), rest.begin(), rest.end());
  ASSERT_NO_FATAL_FAILURE(expect_encrypted_in_any_order(first, g.ops, g.gs, g.plain));
}

TEST_F(Balance, UnorderedOpsTakenBackFromAStallComeHome) {
  // balance11 (ordering=disable, mode=accel, 20 ms stall limit): its accelerator stalls for 30 s
  // after 100 ops, longer than this test waits. The ops it holds have left the order ring
  // (parked); only taking them back from there brings them home.
  uint8_t b = dev("crypto_dpaccel_balance11");
  {
    constexpr int kN = 400;
    GcmBurst g(b, 11, kN, 512);
    ASSERT_TRUE(g.ok());
    std::vector<rte_crypto_op*> back;
    std::vector<rte_crypto_op*> buf(64);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    int enq = 0;
    while (back.size() < size_t{kN} && std::chrono::steady_clock::now() < deadline) {
      if (enq < kN)
        enq += rte_cryptodev_enqueue_burst(b, 0, g.ops.data() + enq,
                                           static_cast<uint16_t>(std::min(64, kN - enq)));
      uint16_t k = rte_cryptodev_dequeue_burst(b, 0, buf.data(), 64);
      back.insert(back.end(), buf.begin(), buf.begin() + k);
    }
    ASSERT_NO_FATAL_FAILURE(expect_encrypted_in_any_order(back, g.ops, g.gs, g.plain));
    rte_cryptodev_stats st{};
    ASSERT_EQ(rte_cryptodev_stats_get(b, &st), 0);
    EXPECT_EQ(st.dequeued_count, st.enqueued_count);
    // Stopping the balancer stops its accelerator, which cuts the stall short: what it still
    // holds (taken back, so only given back) comes home for drain_balancer.
    rte_cryptodev_stop(b);
    ASSERT_EQ(rte_cryptodev_start(b), 0);
  }
  drain_balancer(b, {dev("crypto_dpaccel_worker_b12")});
}

TEST_F(Balance, StopAndStartWithOpsInFlight) {
  // balance2's accelerator stalls 150 ms now and then; stop while it holds ops.
  uint8_t b = dev("crypto_dpaccel_balance2");
  {
    GcmSession gs(b, 4);
    ASSERT_NE(gs.sess, nullptr);
    constexpr int kN = 400;
    std::vector<Bytes> plain(kN);
    for (auto& p : plain) p = random_bytes(512, gs.rng);
    GcmOps ops(gs, plain);
    ASSERT_TRUE(ops.ok());
    int enq = 0;
    while (enq < kN)
      enq += rte_cryptodev_enqueue_burst(b, 0, ops.data() + enq,
                                         static_cast<uint16_t>(std::min(64, kN - enq)));
    rte_cryptodev_stop(b);  // defined: accelerators keep or finish what they hold
    ASSERT_EQ(rte_cryptodev_start(b), 0);
    std::vector<rte_crypto_op*> back = dequeue_n(b, 0, kN, std::chrono::seconds(20));
    ASSERT_NO_FATAL_FAILURE(expect_encrypted_in_order(back, ops, gs, plain));
  }  // the session goes here, before the copies the accelerator may still hold
  // Reap copies the accelerator still holds (their sub-sessions go with them).
  drain_balancer(b, {dev("crypto_dpaccel_worker_b2")});
}

TEST_F(Balance, PassedThroughBurstsStayInOrderWithRingBursts) {
  // balance4 sends everything to the CPU: a burst of valid ops passes through to the CPU device's
  // queue pair as it is; a burst with a sessionless op cannot, and goes through the order ring
  // (its ops run one by one: the CPU device's queue pair still holds the first burst); the burst
  // after that passes through again, behind the ring burst. Dequeued in small steps, everything
  // comes back once, in enqueue order, each op correct.
  uint8_t b = dev("crypto_dpaccel_balance4");
  GcmSession gs(b, 5);
  ASSERT_NE(gs.sess, nullptr);
  constexpr int kN = 96, kBad = 40;
  std::vector<Bytes> plain(kN);
  for (int i = 0; i < kN; ++i) plain[i] = random_bytes(64 + 16 * (i % 20), gs.rng);
  {
    GcmOps ops(gs, plain);
    ASSERT_TRUE(ops.ok());
    ops[kBad]->sess_type = RTE_CRYPTO_OP_SESSIONLESS;  // and no xform: invalid
    for (int at : {0, 32, 64})
      ASSERT_EQ(rte_cryptodev_enqueue_burst(b, 0, ops.data() + at, 32), 32);
    std::vector<rte_crypto_op*> back = dequeue_n(b, 0, kN, std::chrono::seconds(10), 7);
    rte_crypto_op* none[1];
    EXPECT_EQ(rte_cryptodev_dequeue_burst(b, 0, none, 1), 0) << "an op came back twice";
    ASSERT_NO_FATAL_FAILURE(expect_encrypted_in_order(back, ops, gs, plain, kBad));
  }
}

TEST_F(Balance, EnqueueAndDequeueOnTwoThreads) {
  // The adaptive balancer (balance0) with enqueue on one thread and dequeue on another, as its
  // queue pairs allow: 2000 ops of mixed sizes, refused enqueues retried; everything comes back
  // once, in order, correct. (Offload samples measured at dequeue reach the enqueue side's cost
  // model through its sample ring; the sanitizer build runs this too.)
  uint8_t b = dev("crypto_dpaccel_balance0");
  GcmSession gs(b, 11);
  ASSERT_NE(gs.sess, nullptr);
  constexpr size_t kN = 2000;
  std::vector<Bytes> plain(kN);
  for (size_t i = 0; i < kN; ++i) plain[i] = random_bytes(64 + 97 * (i % 15), gs.rng);
  GcmOps ops(gs, plain);
  ASSERT_TRUE(ops.ok());
  std::atomic<bool> enq_ok{true};
  std::thread producer([&] {
    size_t done = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (done < kN && std::chrono::steady_clock::now() < deadline)
      done += rte_cryptodev_enqueue_burst(b, 0, ops.data() + done,
                                          static_cast<uint16_t>(std::min<size_t>(32, kN - done)));
    enq_ok = done == kN;
  });
  std::vector<rte_crypto_op*> back = dequeue_n(b, 0, kN, std::chrono::seconds(30), 16);
  producer.join();
  ASSERT_TRUE(enq_ok);
  rte_crypto_op* none[1];
  EXPECT_EQ(rte_cryptodev_dequeue_burst(b, 0, none, 1), 0) << "an op came back twice";
  ASSERT_NO_FATAL_FAILURE(expect_encrypted_in_order(back, ops, gs, plain));
}

TEST_F(Balance, OpsInFlightSayNotProcessed) {
  // An op the application reuses keeps the status of its last run. Once the balancer has sent it
  // to an accelerator it must read NOT_PROCESSED until the balancer's dequeue has collected it, as
  // with DPDK's software drivers (whoever looks at an op in flight, e.g. crypto_scheduler's
  // ordering mode, takes any other status for "done"). balance3 sends everything to an
  // accelerator and updates the application's op only in its own dequeue, so this is exact.
  uint8_t d = dev("crypto_dpaccel_balance3");
  GcmSession gs(d, 6);
  ASSERT_NE(gs.sess, nullptr);
  {
    GcmOps ops(gs, std::vector<Bytes>(8, random_bytes(256, gs.rng)));
    ASSERT_TRUE(ops.ok());
    for (size_t i = 0; i < ops.size(); ++i) ops[i]->status = RTE_CRYPTO_OP_STATUS_SUCCESS;
    ASSERT_EQ(rte_cryptodev_enqueue_burst(d, 0, ops.data(), 8), 8);
    for (size_t i = 0; i < ops.size(); ++i)
      EXPECT_EQ(ops[i]->status, RTE_CRYPTO_OP_STATUS_NOT_PROCESSED) << "op " << i;
    std::vector<rte_crypto_op*> back = dequeue_n(d, 0, 8, std::chrono::seconds(10));
    ASSERT_EQ(back.size(), 8u);
    for (auto* op : back) EXPECT_EQ(op->status, RTE_CRYPTO_OP_STATUS_SUCCESS);
  }
}

unsigned count_mempools() {
  unsigned n = 0;
  rte_mempool_walk([](rte_mempool*, void* arg) { ++*static_cast<unsigned*>(arg); }, &n);
  return n;
}

// What DPDK and our drivers log while `body` runs.
template <typename F>
std::string captured_log(F body) {
  char* buf = nullptr;
  size_t len = 0;
  FILE* f = open_memstream(&buf, &len);
  if (f == nullptr) return "open_memstream failed";
  rte_openlog_stream(f);
  body();
  rte_openlog_stream(nullptr);
  std::fclose(f);
  std::string out(buf, len);
  std::free(buf);
  return out;
}

// A balancer over its own CPU device and accelerator (suffix names them), created and removed by
// the test; whatever an early failure leaves is removed at the end, balancer first.
struct TempBalancer {
  std::string cpu, accel, balancer;
  TempBalancer(const std::string& suffix, const std::string& accel_args,
               const std::string& balancer_args)
      : cpu("crypto_dpaccel_cpu_" + suffix),
        accel("crypto_dpaccel_worker_" + suffix),
        balancer("crypto_dpaccel_balance_" + suffix) {
    ok = rte_vdev_init(cpu.c_str(), nullptr) == 0 &&
         rte_vdev_init(accel.c_str(), accel_args.c_str()) == 0 &&
         rte_vdev_init(
             balancer.c_str(),
             ("cpu=" + cpu + ",accel=" + accel + ",max_sessions=16," + balancer_args).c_str()) ==
             0 &&
         start_device(balancer, 1, 256) >= 0;
  }
  ~TempBalancer() {
    for (const std::string& n : {balancer, accel, cpu})
      if (int id = rte_cryptodev_get_dev_id(n.c_str()); id >= 0) {
        rte_cryptodev_stop(static_cast<uint8_t>(id));
        rte_vdev_uninit(n.c_str());
      }
  }
  bool ok = false;
};

// What removing devices must not log: DPDK's stand-in fast path answering a stopped or closed
// device, and private pools given up for lost.
void expect_clean_removal(const std::string& log) {
  EXPECT_EQ(log.find("unconfigured device"), std::string::npos) << log.substr(0, 2000);
  EXPECT_EQ(log.find("leaked"), std::string::npos) << log.substr(0, 2000);
}

TEST_F(Balance, AcceleratorClosedBeforeTheBalancer) {
  // rte_eal_cleanup() removes vdevs one by one, and an accelerator may go before its balancer,
  // with what it still held: here the balancer's latency probe, which this accelerator keeps for
  // 2 s. The balancer must then neither dequeue from the closed device (DPDK's stand-in logs an
  // error per call) nor keep its private pools as if the device could still write into them; the
  // probe's sub-session reference goes too.
  const unsigned pools_before = count_mempools();
  {
    TempBalancer t("cl0", "corelist=1,latency_us=2000000", "mode=adaptive");
    ASSERT_TRUE(t.ok);
    const uint8_t b = dev(t.balancer.c_str()), w = dev(t.accel.c_str());
    rte_cryptodev_stats st{};
    {
      GcmSession gs(b, 21);
      ASSERT_NE(gs.sess, nullptr);
      // A probe goes with a burst once 10 ms have passed since the last: bursts until one has.
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      do {
        std::vector<Bytes> plain(32);
        for (auto& p : plain) p = random_bytes(256, gs.rng);
        GcmOps ops(gs, plain);
        ASSERT_TRUE(ops.ok());
        ASSERT_EQ(rte_cryptodev_enqueue_burst(b, 0, ops.data(), 32), 32);
        std::vector<rte_crypto_op*> back = dequeue_n(b, 0, 32, std::chrono::seconds(10));
        ASSERT_NO_FATAL_FAILURE(expect_encrypted_in_order(back, ops, gs, plain));
        ASSERT_EQ(rte_cryptodev_stats_get(w, &st), 0);
        if (st.enqueued_count == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
      } while (st.enqueued_count == 0 && std::chrono::steady_clock::now() < deadline);
    }  // the application's session goes; the probe still holds its sub-session
    ASSERT_GE(st.enqueued_count, 1u) << "no probe at the accelerator: the case is not reached";
    ASSERT_EQ(st.dequeued_count, 0u) << "the probe came back: the case is not reached";
    rte_cryptodev_stop(b);
    const std::string log = captured_log([&t] {
      EXPECT_EQ(rte_vdev_uninit(t.accel.c_str()), 0);
      EXPECT_EQ(rte_vdev_uninit(t.balancer.c_str()), 0);
    });
    expect_clean_removal(log);
    EXPECT_NE(log.find("was closed before the balancer, holding 1 private"), std::string::npos)
        << log.substr(0, 2000);
  }
  EXPECT_EQ(count_mempools(), pools_before) << "the balancer's private pools were kept";
}

TEST_F(Balance, ReleaseTakesBackWhatAStoppedAcceleratorHolds) {
  // The usual end: stop, then close. Stopping the balancer stops its accelerators, and a stopped
  // device's public dequeue is DPDK's stand-in; the copies an accelerator finished must still
  // come back when the queue pair is released (here 32 ops, 20 ms at the accelerator, never
  // dequeued by the application), and the private pools with them.
  const unsigned pools_before = count_mempools();
  {
    TempBalancer t("cl1", "corelist=1,latency_us=20000", "mode=accel,stall_us=100000");
    ASSERT_TRUE(t.ok);
    const uint8_t b = dev(t.balancer.c_str()), w = dev(t.accel.c_str());
    {
      GcmSession gs(b, 22);
      ASSERT_NE(gs.sess, nullptr);
      std::vector<Bytes> plain(32);
      for (auto& p : plain) p = random_bytes(256, gs.rng);
      GcmOps ops(gs, plain);
      ASSERT_TRUE(ops.ok());
      ASSERT_EQ(rte_cryptodev_enqueue_burst(b, 0, ops.data(), 32), 32);
      rte_cryptodev_stats st{};
      ASSERT_EQ(rte_cryptodev_stats_get(w, &st), 0);
      ASSERT_EQ(st.enqueued_count, 32u) << "mode=accel sends every op to the accelerator";
      rte_cryptodev_stop(b);
    }  // the application gives up its ops and session (the private copies keep a sub-session)
    const std::string log = captured_log([&t] {
      EXPECT_EQ(rte_vdev_uninit(t.balancer.c_str()), 0);  // closes its children too
    });
    expect_clean_removal(log);
    EXPECT_NE(log.find("released with 32 ops not dequeued"), std::string::npos)
        << log.substr(0, 2000);
  }
  EXPECT_EQ(count_mempools(), pools_before) << "the balancer's private pools were kept";
}

// An op the accelerator fails is re-run on the CPU through CPU-crypto. For a cipher-only session
// the op's auth fields mean nothing (an application reusing ops may leave anything there): the
// re-run used to check them as a region, and answered INVALID_ARGS for an op the CPU device's
// queue pair runs fine. Every op here goes to an accelerator that fails every op.
TEST_F(Balance, RerunOfACipherOnlyOpIgnoresItsAuthFields) {
  // A stall limit far away: an op late by a few milliseconds (a helper waking late) must not be
  // taken back as stalled here, where every op has to meet the failing accelerator first.
  TempBalancer t("rr0", "corelist=1,error_rate=1,seed=1", "mode=accel,stall_us=5000000");
  ASSERT_TRUE(t.ok);
  const uint8_t b = dev(t.balancer.c_str()), w = dev(t.accel.c_str());
  std::mt19937_64 rng(41);
  int specs = 0;
  for (const Spec& s : all_specs()) {
    if (s.is_aead() || s.auth != Auth::None || s.cipher == Cipher::None) continue;
    SCOPED_TRACE(s.name);
    ++specs;
    Material m = random_material(s, rng);
    std::vector<Job> jobs;
    for (size_t n : {64u, 256u, 1024u}) {
      Job j;
      j.data = random_bytes(n, rng);
      j.regions = regions_for(s, n);
      j.regions.auth_off = 60000;  // far past the data: not a region of this session
      j.regions.auth_len = 4000;
      jobs.push_back(j);
    }
    rte_cryptodev_stats before{}, after{};
    ASSERT_EQ(rte_cryptodev_stats_get(w, &before), 0);
    std::string why;
    ASSERT_TRUE(run_jobs(Api::Ops, b, 0, s, m, true, jobs, &why)) << why;
    ASSERT_EQ(rte_cryptodev_stats_get(w, &after), 0);
    EXPECT_EQ(after.enqueued_count - before.enqueued_count, jobs.size())
        << "the ops did not go to the failing accelerator first";
    for (const Job& j : jobs) {
      SCOPED_TRACE("size " + std::to_string(j.data.size()));
      EXPECT_EQ(j.status, RTE_CRYPTO_OP_STATUS_SUCCESS);
      EXPECT_EQ(j.out, reference_encrypt(s, m, j.data).data);
    }
  }
  EXPECT_GE(specs, 2);  // AES-CBC and AES-CTR alone
}

// Ops taken back from a stalled accelerator. crypto_dpaccel_worker takes revocable ops
// (op_claim.hpp), so by default the balancer hands it the application's own buffers; the other
// accelerators, and this one with zero_copy=0, get private copies. Either way an op the balancer
// took back and ran on the CPU must stay as the CPU left it when the accelerator wakes up: here 32
// in-place AES-GCM encryptions, checked once when dequeued and again after the accelerator's
// 300 ms stall is over and it has given every op back (had it encrypted them too, they would read
// as ciphertext encrypted twice).
void Balance::take_back_from_a_stall(const std::string& suffix, bool zero_copy) {
  TempBalancer t(suffix, "corelist=1,stall_ms=300,stall_after=0",
                 std::string("mode=accel,stall_us=20000,zero_copy=") + (zero_copy ? "1" : "0"));
  ASSERT_TRUE(t.ok);
  const uint8_t b = dev(t.balancer.c_str()), w = dev(t.accel.c_str());
  GcmBurst g(b, 23, 32, GcmBurst::kMixedSizes);
  std::vector<rte_crypto_op*> back;
  ASSERT_NO_FATAL_FAILURE(run_in_order(b, g, back));
  const std::string bal = telemetry("/dpaccel/crypto_balance/stats," + std::to_string(b));
  EXPECT_EQ(first_of(bal, "reruns_stall"), 32) << bal;
  EXPECT_EQ(first_of(bal, "accel_zero_copy"), zero_copy ? 32 : 0) << bal;
  drain_balancer(b, {w});  // the stall ends; the accelerator gives back what it held
  ASSERT_NO_FATAL_FAILURE(expect_encrypted_in_order(back, g.ops, g.gs, g.plain));
  const std::string wrk = telemetry("/dpaccel/crypto_worker/stats," + std::to_string(w));
  // Revoked zero-copy ops come back untouched; copies are worked on (and then only freed).
  EXPECT_EQ(first_of(wrk, "revoked"), zero_copy ? 32 : 0) << wrk;
  const std::string after = telemetry("/dpaccel/crypto_balance/stats," + std::to_string(b));
  EXPECT_EQ(first_of(after, "late_returns"), 32) << after;
}

TEST_F(Balance, ZeroCopyOpsTakenBackFromAStallAreLeftAlone) {
  take_back_from_a_stall("zc1", true);
}
TEST_F(Balance, CopiedOpsTakenBackFromAStallAreLeftAlone) {
  take_back_from_a_stall("zc0", false);
}

// The other side of the claim: an op the accelerator has already taken (here: run at once, then
// held 100 ms as its modelled latency) is past the 20 ms stall limit but cannot be taken back; the
// balancer waits for it instead of running it again (which would encrypt it twice in place).
TEST_F(Balance, ZeroCopyOpsTheAcceleratorHasTakenAreWaitedFor) {
  TempBalancer t("zc2", "corelist=1,latency_us=100000", "mode=accel,stall_us=20000");
  ASSERT_TRUE(t.ok);
  const uint8_t b = dev(t.balancer.c_str());
  GcmBurst g(b, 24, 32, GcmBurst::kMixedSizes);
  std::vector<rte_crypto_op*> back;
  ASSERT_NO_FATAL_FAILURE(run_in_order(b, g, back));
  const std::string bal = telemetry("/dpaccel/crypto_balance/stats," + std::to_string(b));
  EXPECT_EQ(first_of(bal, "accel_zero_copy"), 32) << bal;
  EXPECT_EQ(first_of(bal, "reruns_stall"), 0) << bal;
}

TEST_F(Balance, BadDevargsAreRefused) {
  EXPECT_NE(rte_vdev_init("crypto_dpaccel_balance_bad0", "accel=crypto_dpaccel_worker0"), 0)
      << "cpu= is required";
  EXPECT_NE(rte_vdev_init("crypto_dpaccel_balance_bad1", "cpu=x,mode=fastest"), 0);
  EXPECT_NE(rte_vdev_init("crypto_dpaccel_balance_bad2", "cpu=x,accel=a:b:c:d:e"), 0);
  EXPECT_NE(rte_vdev_init("crypto_dpaccel_balance_bad3", "cpu=x,accel=a::b"), 0);
  EXPECT_NE(rte_vdev_init("crypto_dpaccel_balance_bad4", "cpu=x,accel_max_bytes=10"), 0);
  EXPECT_NE(rte_vdev_init("crypto_dpaccel_balance_bad8", "cpu=x,ordering=sometimes"), 0)
      << "ordering is enable or disable";
  // A CPU device without synchronous CPU crypto is refused when the balancer is configured.
  ASSERT_EQ(rte_vdev_init("crypto_dpaccel_balance_bad5",
                          "cpu=crypto_dpaccel_cpu1,accel=crypto_dpaccel_worker0"),
            0);
  rte_cryptodev_config conf{};
  conf.socket_id = SOCKET_ID_ANY;
  conf.nb_queue_pairs = 1;
  EXPECT_NE(rte_cryptodev_configure(dev("crypto_dpaccel_balance_bad5"), &conf), 0);
  EXPECT_EQ(rte_vdev_uninit("crypto_dpaccel_balance_bad5"), 0);
}

TEST_F(Balance, AChildServesOneBalancer) {
  rte_cryptodev_config conf{};
  conf.socket_id = SOCKET_ID_ANY;
  conf.nb_queue_pairs = 1;
  rte_cryptodev_info info{};
  // balance0 owns crypto_dpaccel_cpu_b0 once attached (at info or configure time).
  rte_cryptodev_info_get(dev("crypto_dpaccel_balance0"), &info);
  ASSERT_NE(info.capabilities[0].op, RTE_CRYPTO_OP_TYPE_UNDEFINED);
  ASSERT_EQ(rte_vdev_init("crypto_dpaccel_balance_bad6",
                          "cpu=crypto_dpaccel_cpu_b0,accel=crypto_dpaccel_worker0"),
            0);
  EXPECT_EQ(rte_cryptodev_configure(dev("crypto_dpaccel_balance_bad6"), &conf), -EBUSY);
  EXPECT_EQ(rte_vdev_uninit("crypto_dpaccel_balance_bad6"), 0);
  // One device as both the CPU device and an accelerator.
  ASSERT_EQ(rte_vdev_init("crypto_dpaccel_balance_bad7",
                          "cpu=crypto_dpaccel_cpu0,accel=crypto_dpaccel_cpu0"),
            0);
  EXPECT_EQ(rte_cryptodev_configure(dev("crypto_dpaccel_balance_bad7"), &conf), -EINVAL);
  EXPECT_EQ(rte_vdev_uninit("crypto_dpaccel_balance_bad7"), 0);
  // Removing a balancer frees its children for another (attached here without configuring, so
  // crypto_dpaccel_cpu0 and crypto_dpaccel_worker3, used by other tests, are left as they are).
  for (const char* name : {"crypto_dpaccel_balance_tmp0", "crypto_dpaccel_balance_tmp1"}) {
    ASSERT_EQ(rte_vdev_init(name, "cpu=crypto_dpaccel_cpu0,accel=crypto_dpaccel_worker3"), 0);
    rte_cryptodev_info_get(dev(name), &info);
    EXPECT_NE(info.capabilities[0].op, RTE_CRYPTO_OP_TYPE_UNDEFINED) << name << " did not attach";
    EXPECT_EQ(rte_vdev_uninit(name), 0);
  }
}

}  // namespace
}  // namespace dpaccel::test
