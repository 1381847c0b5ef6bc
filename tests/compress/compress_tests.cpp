// compress_dpaccel_cpu device tests: EAL once per binary (--no-huge), our device and DPDK's
// compress_isal as a peer. Every test checks that mbuf and op pools are back to their counts.
#include <gtest/gtest.h>
#include <rte_bus_vdev.h>
#include <rte_comp.h>
#include <rte_compressdev.h>
#include <rte_eal.h>
#include <rte_mbuf.h>
#include <unistd.h>
#include <zlib.h>
#include <isa-l/igzip_lib.h>

#include "small_deflate.hpp"
#include "test_eal.hpp"

#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <vector>

extern int dpaccel_comp_driver_anchor;

namespace {

constexpr uint16_t kSegRoom = 2048;  // mbuf data room per segment
rte_mempool* g_mbufs = nullptr;
rte_mempool* g_ops = nullptr;

class EalEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    ASSERT_GE(dpaccel::test::init_test_eal(
                  "comptest", 512,
                  {"--vdev=compress_dpaccel_cpu0,max_nb_queue_pairs=2", "--vdev=compress_isal0",
                   // for ipcomp_resource_tests.cpp: a device of its own
                   "--vdev=compress_dpaccel_cpu_ipc", "--log-level=lib.eal:warning"}),
              0);
    ASSERT_EQ(dpaccel_comp_driver_anchor, 1);
    g_mbufs = rte_pktmbuf_pool_create("ct_mbufs", 8192, 0, 0, kSegRoom + RTE_PKTMBUF_HEADROOM, 0);
    g_ops = rte_comp_op_pool_create("ct_ops", 1024, 0, 0, 0);
    ASSERT_TRUE(g_mbufs && g_ops);
    for (const char* name : {"compress_dpaccel_cpu0", "compress_isal0"}) {
      int id = rte_compressdev_get_dev_id(name);
      ASSERT_GE(id, 0) << name;
      rte_compressdev_config c{};
      c.socket_id = 0;
      c.nb_queue_pairs = 1;
      c.max_nb_priv_xforms = 64;
      c.max_nb_streams = 0;
      ASSERT_EQ(rte_compressdev_configure(uint8_t(id), &c), 0);
      ASSERT_EQ(rte_compressdev_queue_pair_setup(uint8_t(id), 0, 64, 0), 0);
      ASSERT_EQ(rte_compressdev_start(uint8_t(id)), 0);
    }
  }
  void TearDown() override {
    for (const char* name : {"compress_dpaccel_cpu0", "compress_isal0"}) {
      int id = rte_compressdev_get_dev_id(name);
      rte_compressdev_stop(uint8_t(id));
      rte_compressdev_close(uint8_t(id));
    }
    rte_mempool_free(g_ops);
    rte_mempool_free(g_mbufs);
    rte_eal_cleanup();
  }
};

const auto* g_env = ::testing::AddGlobalTestEnvironment(new EalEnvironment);

uint8_t dev(const char* name = "compress_dpaccel_cpu0") {
  return uint8_t(rte_compressdev_get_dev_id(name));
}

// An mbuf chain holding `data` (or `room` zero bytes), cut into segments at the given sizes
// (the last size repeats).
rte_mbuf* chain(const std::vector<uint8_t>& data, size_t room,
                std::vector<uint16_t> cuts = {kSegRoom}) {
  size_t total = std::max(data.size(), room);
  rte_mbuf* head = nullptr;
  rte_mbuf* last = nullptr;
  size_t done = 0, ci = 0;
  do {
    rte_mbuf* m = rte_pktmbuf_alloc(g_mbufs);
    if (!m) {
      rte_pktmbuf_free(head);
      return nullptr;
    }
    uint16_t n = uint16_t(std::min<size_t>(cuts[std::min(ci, cuts.size() - 1)], total - done));
    ++ci;
    char* p = rte_pktmbuf_append(m, n);
    for (uint16_t i = 0; i < n; ++i) p[i] = done + i < data.size() ? char(data[done + i]) : 0;
    done += n;
    if (!head) {
      head = m;
    } else {
      rte_pktmbuf_chain(head, m);
    }
    last = m;
  } while (done < total);
  (void)last;
  return head;
}

std::vector<uint8_t> read(const rte_mbuf* m, uint32_t off, uint32_t len) {
  std::vector<uint8_t> out(len);
  // rte_pktmbuf_read returns a pointer into the mbuf when contiguous, without copying.
  const void* p = len ? rte_pktmbuf_read(m, off, len, out.data()) : nullptr;
  if (len) {
    EXPECT_NE(p, nullptr);
  }
  if (p && p != out.data()) std::memcpy(out.data(), p, len);
  return out;
}

struct Result {
  rte_comp_op_status status;
  uint32_t consumed, produced;
  uint64_t chksum;
  std::vector<uint8_t> out;
};

// One op through a device: stateless with a private xform, or stateful on a stream.
Result execute(uint8_t d, rte_comp_op_type type, void* xform_or_stream, const uint8_t* in, size_t n,
               size_t out_room, rte_comp_flush_flag flush, const std::vector<uint16_t>& src_cuts,
               const std::vector<uint16_t>& dst_cuts) {
  Result r{RTE_COMP_OP_STATUS_NOT_PROCESSED, 0, 0, 0, {}};
  rte_mbuf* src = chain(std::vector<uint8_t>(in, in + n), 0, src_cuts);
  rte_mbuf* dst = chain({}, out_room ? out_room : 1, dst_cuts);
  rte_comp_op* op = rte_comp_op_alloc(g_ops);
  EXPECT_TRUE(src && dst && op && xform_or_stream);
  op->op_type = type;
  op->private_xform = xform_or_stream;  // a union with op->stream
  op->m_src = src;
  op->m_dst = dst;
  op->src.offset = 0;
  op->src.length = uint32_t(n);
  op->dst.offset = 0;
  op->flush_flag = flush;
  EXPECT_EQ(rte_compressdev_enqueue_burst(d, 0, &op, 1), 1);
  rte_comp_op* got = nullptr;
  for (int i = 0; i < 1000 && !rte_compressdev_dequeue_burst(d, 0, &got, 1); ++i) usleep(100);
  EXPECT_EQ(got, op);
  r.status = rte_comp_op_status(op->status);
  r.consumed = op->consumed;
  r.produced = op->produced;
  r.chksum = op->output_chksum;
  if (op->produced) r.out = read(dst, 0, op->produced);
  rte_pktmbuf_free(src);
  rte_pktmbuf_free(dst);
  rte_comp_op_free(op);
  return r;
}

Result run(uint8_t d, const rte_comp_xform& x, const std::vector<uint8_t>& in, size_t out_room,
           std::vector<uint16_t> src_cuts = {kSegRoom},
           std::vector<uint16_t> dst_cuts = {kSegRoom}) {
  void* px = nullptr;
  EXPECT_EQ(rte_compressdev_private_xform_create(d, &x, &px), 0);
  Result r = execute(d, RTE_COMP_OP_STATELESS, px, in.data(), in.size(), out_room,
                     RTE_COMP_FLUSH_FINAL, src_cuts, dst_cuts);
  rte_compressdev_private_xform_free(d, px);
  return r;
}

rte_comp_xform comp_xform(int level = 1, rte_comp_huffman h = RTE_COMP_HUFFMAN_DYNAMIC,
                          rte_comp_checksum_type ck = RTE_COMP_CHECKSUM_NONE, uint8_t window = 15) {
  rte_comp_xform x{};
  x.type = RTE_COMP_COMPRESS;
  x.compress.algo = RTE_COMP_ALGO_DEFLATE;
  x.compress.deflate.huffman = h;
  x.compress.level = level;
  x.compress.window_size = window;
  x.compress.chksum = ck;
  x.compress.hash_algo = RTE_COMP_HASH_ALGO_NONE;
  return x;
}

rte_comp_xform decomp_xform(rte_comp_checksum_type ck = RTE_COMP_CHECKSUM_NONE) {
  rte_comp_xform x{};
  x.type = RTE_COMP_DECOMPRESS;
  x.decompress.algo = RTE_COMP_ALGO_DEFLATE;
  x.decompress.chksum = ck;
  x.decompress.window_size = 15;
  x.decompress.hash_algo = RTE_COMP_HASH_ALGO_NONE;
  return x;
}

enum class Kind { Text, Binary, Random };

std::vector<uint8_t> make_data(Kind k, size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  static const char* words[] = {"packet ", "the ",     "crypto ",   "queue ", "burst ",
                                "of ",     "DPDK ",    "compress ", "and ",   "ISA-L ",
                                "\n",      "deflate ", "stream "};
  if (k == Kind::Text) {
    size_t i = 0;
    while (i < n) {
      const char* w = words[rng() % 13];
      for (const char* p = w; *p && i < n; ++p) v[i++] = uint8_t(*p);
    }
  } else if (k == Kind::Binary) {
    for (size_t i = 0; i < n; ++i) v[i] = uint8_t((i % 97 < 40 ? i / 7 : rng() % 4) & 0xff);
  } else {
    for (auto& b : v) b = uint8_t(rng());
  }
  return v;
}

// zlib's raw DEFLATE of in with a strategy (Z_FIXED: fixed-code blocks only), optionally with a
// sync flush half-way (an empty stored block between two runs of blocks).
std::vector<uint8_t> zlib_raw_strategy(const std::vector<uint8_t>& in, int level, int strategy,
                                       bool flush_half_way) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, level, Z_DEFLATED, -15, 8, strategy), Z_OK);
  std::vector<uint8_t> out(deflateBound(&z, uLong(in.size())) + 64);
  z.next_out = out.data();
  z.avail_out = uInt(out.size());
  const size_t half = flush_half_way ? in.size() / 2 : 0;
  z.next_in = const_cast<Bytef*>(in.data());
  if (half) {
    z.avail_in = uInt(half);
    EXPECT_EQ(deflate(&z, Z_SYNC_FLUSH), Z_OK);
  }
  z.avail_in = uInt(in.size() - half);
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::vector<uint8_t> zlib_raw(const std::vector<uint8_t>& in, int level) {
  return zlib_raw_strategy(in, level, Z_DEFAULT_STRATEGY, false);
}

bool zlib_raw_inflate(const std::vector<uint8_t>& in, std::vector<uint8_t>& out, size_t expect) {
  z_stream z{};
  if (inflateInit2(&z, -15) != Z_OK) return false;
  out.assign(expect + 64, 0);
  z.next_in = const_cast<Bytef*>(in.data());
  z.avail_in = uInt(in.size());
  z.next_out = out.data();
  z.avail_out = uInt(out.size());
  int rc = inflate(&z, Z_FINISH);
  out.resize(z.total_out);
  inflateEnd(&z);
  return rc == Z_STREAM_END && z.avail_in == 0;
}

class PoolCheck : public ::testing::Test {
 protected:
  void SetUp() override {
    mbufs_ = rte_mempool_avail_count(g_mbufs);
    ops_ = rte_mempool_avail_count(g_ops);
  }
  void TearDown() override {
    EXPECT_EQ(rte_mempool_avail_count(g_mbufs), mbufs_) << "mbufs leaked";
    EXPECT_EQ(rte_mempool_avail_count(g_ops), ops_) << "ops leaked";
  }
  unsigned mbufs_ = 0, ops_ = 0;
};

using RoundTrip = PoolCheck;

std::vector<size_t> sizes() {
  std::vector<size_t> s;
  for (size_t i = 0; i <= 80; ++i) s.push_back(i);
  for (size_t i = 96; i <= 4096; i = i * 5 / 4 + 1) s.push_back(i);
  for (size_t i : {1500u, 2048u, 8191u, 16384u, 32768u, 59460u, 65535u}) s.push_back(i);
  return s;
}

TEST_F(RoundTrip, EverySizeKindAndLevelThroughZlibAndBack) {
  for (Kind k : {Kind::Text, Kind::Binary, Kind::Random}) {
    for (size_t n : sizes()) {
      for (int level : {-1, 1, 4, 9}) {
        auto in = make_data(k, n, uint32_t(n * 7 + level));
        SCOPED_TRACE("kind " + std::to_string(int(k)) + " size " + std::to_string(n) + " level " +
                     std::to_string(level));
        Result c = run(dev(), comp_xform(level), in, n + n / 8 + 1024);
        ASSERT_EQ(c.status, RTE_COMP_OP_STATUS_SUCCESS);
        ASSERT_EQ(c.consumed, n);
        // An independent decoder (zlib, raw inflate) must give the input back.
        std::vector<uint8_t> z;
        ASSERT_TRUE(zlib_raw_inflate(c.out, z, n));
        ASSERT_EQ(z, in);
        // And so must ours.
        Result d = run(dev(), decomp_xform(), c.out, n + 1);
        ASSERT_EQ(d.status, RTE_COMP_OP_STATUS_SUCCESS);
        ASSERT_EQ(d.out, in);
        ASSERT_EQ(d.consumed, c.out.size());
      }
    }
  }
}

// Every size from 0 to 64 KiB, literally: text, binary and random data in turn (and the level
// in turn), each compressed by us, inflated by zlib and by us. The sampled test above varies
// kind and level at each of its sizes; this one leaves no size out (block and segment
// boundaries, the small-op encoder's 1 KiB limit, ISA-L's internal buffer sizes).
TEST_F(RoundTrip, EverySizeUpTo64KiB) {
  const rte_comp_xform cx[3] = {comp_xform(1), comp_xform(4), comp_xform(9)};
  const rte_comp_xform dx = decomp_xform();
  void* cpx[3];
  void* dpx = nullptr;
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(rte_compressdev_private_xform_create(dev(), &cx[i], &cpx[i]), 0);
  ASSERT_EQ(rte_compressdev_private_xform_create(dev(), &dx, &dpx), 0);
  const Kind kinds[3] = {Kind::Text, Kind::Binary, Kind::Random};
  // One buffer per kind, cut at every size: the data at each size is a prefix of the same text.
  std::vector<uint8_t> base[3];
  for (int k = 0; k < 3; ++k) base[k] = make_data(kinds[k], 65536, uint32_t(k + 100));
  std::vector<uint8_t> z;
  size_t failures = 0;
  for (size_t n = 0; n <= 65536 && failures < 5; ++n) {
    const int k = int(n % 3), l = int(n / 3 % 3);
    const uint8_t* in = base[k].data();
    Result c = execute(dev(), RTE_COMP_OP_STATELESS, cpx[l], in, n, n + n / 8 + 1024,
                       RTE_COMP_FLUSH_FINAL, {kSegRoom}, {kSegRoom});
    bool ok = c.status == RTE_COMP_OP_STATUS_SUCCESS && c.consumed == n &&
              zlib_raw_inflate(c.out, z, n) && z.size() == n && std::equal(z.begin(), z.end(), in);
    if (ok) {
      Result d = execute(dev(), RTE_COMP_OP_STATELESS, dpx, c.out.data(), c.out.size(), n + 1,
                         RTE_COMP_FLUSH_FINAL, {kSegRoom}, {kSegRoom});
      ok = d.status == RTE_COMP_OP_STATUS_SUCCESS && d.out.size() == n &&
           std::equal(d.out.begin(), d.out.end(), in) && d.consumed == c.out.size();
    }
    if (!ok) {
      ++failures;
      ADD_FAILURE() << "size " << n << " kind " << k << " level " << (l == 0 ? 1 : l == 1 ? 4 : 9);
    }
  }
  for (void* x : cpx) rte_compressdev_private_xform_free(dev(), x);
  rte_compressdev_private_xform_free(dev(), dpx);
}

TEST_F(RoundTrip, FixedHuffmanAndWindowSizes) {
  auto in = make_data(Kind::Text, 20000, 5);
  for (uint8_t w : {8, 10, 12, 15}) {
    for (auto h : {RTE_COMP_HUFFMAN_FIXED, RTE_COMP_HUFFMAN_DYNAMIC, RTE_COMP_HUFFMAN_DEFAULT}) {
      Result c = run(dev(), comp_xform(1, h, RTE_COMP_CHECKSUM_NONE, w), in, 30000);
      ASSERT_EQ(c.status, RTE_COMP_OP_STATUS_SUCCESS) << int(w);
      std::vector<uint8_t> z;
      ASSERT_TRUE(zlib_raw_inflate(c.out, z, in.size()));
      EXPECT_EQ(z, in);
      if (h == RTE_COMP_HUFFMAN_FIXED) {
        EXPECT_EQ(c.out[0] & 0x06, 0x02) << "first block not fixed-Huffman";
      }
    }
  }
}

TEST_F(RoundTrip, ChecksumsMatchZlib) {
  for (size_t n : {0u, 1u, 100u, 5000u, 40000u}) {
    auto in = make_data(Kind::Binary, n, 3);
    const uint32_t crc = uint32_t(crc32(0, in.data(), uInt(n)));
    const uint32_t adl = uint32_t(adler32(1, in.data(), uInt(n)));
    Result c1 =
        run(dev(), comp_xform(1, RTE_COMP_HUFFMAN_DYNAMIC, RTE_COMP_CHECKSUM_CRC32), in, n + 1024);
    EXPECT_EQ(c1.chksum, crc);
    Result c2 = run(dev(), comp_xform(1, RTE_COMP_HUFFMAN_DYNAMIC, RTE_COMP_CHECKSUM_ADLER32), in,
                    n + 1024);
    EXPECT_EQ(c2.chksum, adl);
    Result c3 = run(dev(), comp_xform(1, RTE_COMP_HUFFMAN_DYNAMIC, RTE_COMP_CHECKSUM_CRC32_ADLER32),
                    in, n + 1024);
    EXPECT_EQ(c3.chksum, uint64_t{adl} << 32 | crc);  // rte_comp.h: CRC32 low, Adler-32 high
    Result d = run(dev(), decomp_xform(RTE_COMP_CHECKSUM_CRC32_ADLER32), c3.out, n + 1);
    EXPECT_EQ(d.chksum, uint64_t{adl} << 32 | crc);
  }
}

TEST_F(RoundTrip, OurInflateOfZlibAtEveryLevel) {
  for (int level = 1; level <= 9; ++level) {
    for (size_t n : {1u, 300u, 1500u, 9000u, 65535u}) {
      auto in = make_data(level % 2 ? Kind::Text : Kind::Binary, n, uint32_t(level));
      auto z = zlib_raw(in, level);
      Result d = run(dev(), decomp_xform(), z, n);
      ASSERT_EQ(d.status, RTE_COMP_OP_STATUS_SUCCESS) << level << " " << n;
      EXPECT_EQ(d.out, in);
    }
  }
}

TEST_F(RoundTrip, ScatterGatherEveryWay) {
  std::mt19937 rng(11);
  for (int t = 0; t < 60; ++t) {
    size_t n = 1 + rng() % 30000;
    auto in = make_data(Kind(t % 3), n, uint32_t(t));
    std::vector<uint16_t> sc{uint16_t(1 + rng() % 2000), uint16_t(1 + rng() % 700)};
    std::vector<uint16_t> dc{uint16_t(1 + rng() % 2000), uint16_t(1 + rng() % 300)};
    if (t % 4 == 0) sc = {kSegRoom};  // linear in, SGL out
    if (t % 4 == 1) dc = {kSegRoom};  // SGL in, linear out
    Result c = run(dev(), comp_xform(t % 2 ? 1 : 6), in, n + n / 4 + 1024, sc, dc);
    ASSERT_EQ(c.status, RTE_COMP_OP_STATUS_SUCCESS) << t;
    std::vector<uint8_t> z;
    ASSERT_TRUE(zlib_raw_inflate(c.out, z, n)) << t;
    ASSERT_EQ(z, in) << t;
    Result d = run(dev(), decomp_xform(), c.out, n + 7, dc, sc);
    ASSERT_EQ(d.status, RTE_COMP_OP_STATUS_SUCCESS) << t;
    ASSERT_EQ(d.out, in) << t;
  }
}

// RFC 1951 streams written by hand: a stored block, and a fixed-Huffman block ("hello", as
// zlib's raw deflate writes it).
TEST_F(RoundTrip, KnownDeflateStreams) {
  const std::vector<uint8_t> stored{0x01, 0x05, 0x00, 0xfa, 0xff, 'h', 'e', 'l', 'l', 'o'};
  const std::vector<uint8_t> fixed{0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00};
  const std::vector<uint8_t> hello{'h', 'e', 'l', 'l', 'o'};
  for (const auto* s : {&stored, &fixed}) {
    Result d = run(dev(), decomp_xform(), *s, 64);
    ASSERT_EQ(d.status, RTE_COMP_OP_STATUS_SUCCESS);
    EXPECT_EQ(d.out, hello);
  }
  // A dynamic-Huffman block, from zlib.
  auto in = make_data(Kind::Text, 3000, 9);
  auto dyn = zlib_raw(in, 6);
  ASSERT_EQ(dyn[0] & 0x06, 0x04);  // BTYPE 10: dynamic
  Result d = run(dev(), decomp_xform(), dyn, 3000);
  EXPECT_EQ(d.out, in);
}

using Negative = PoolCheck;

TEST_F(Negative, OutOfSpaceIsTerminatedBothWays) {
  auto in = make_data(Kind::Random, 4000, 1);
  Result c = run(dev(), comp_xform(), in, 1000);
  EXPECT_EQ(c.status, RTE_COMP_OP_STATUS_OUT_OF_SPACE_TERMINATED);
  EXPECT_EQ(c.produced, 0u);
  Result c2 = run(dev(), comp_xform(), in, 1000, {700}, {300});
  EXPECT_EQ(c2.status, RTE_COMP_OP_STATUS_OUT_OF_SPACE_TERMINATED);
  auto z = zlib_raw(make_data(Kind::Text, 10000, 2), 6);
  Result d = run(dev(), decomp_xform(), z, 9999);
  EXPECT_EQ(d.status, RTE_COMP_OP_STATUS_OUT_OF_SPACE_TERMINATED);
  Result d2 = run(dev(), decomp_xform(), z, 9999, {100}, {1000});
  EXPECT_EQ(d2.status, RTE_COMP_OP_STATUS_OUT_OF_SPACE_TERMINATED);
}

// A private xform (stateless) or a stream (stateful) for x on our device, freed when it goes.
class OpHandle {
 public:
  OpHandle(const rte_comp_xform& x, bool stateful) : stateful_(stateful) {
    ok_ = (stateful ? rte_compressdev_stream_create(dev(), &x, &h_)
                    : rte_compressdev_private_xform_create(dev(), &x, &h_)) == 0;
  }
  ~OpHandle() {
    if (!ok_) return;
    if (stateful_)
      rte_compressdev_stream_free(dev(), h_);
    else
      rte_compressdev_private_xform_free(dev(), h_);
  }
  OpHandle(const OpHandle&) = delete;
  OpHandle& operator=(const OpHandle&) = delete;
  bool ok() const { return ok_; }
  // Sets op's type and handle (op->stream and op->private_xform share a union).
  void attach(rte_comp_op* op) const {
    op->op_type = stateful_ ? RTE_COMP_OP_STATEFUL : RTE_COMP_OP_STATELESS;
    op->private_xform = h_;
  }

 private:
  void* h_ = nullptr;
  bool stateful_;
  bool ok_ = false;
};

// Enqueues op on our device's queue pair 0 and waits for it; the op that came back, or nullptr.
rte_comp_op* run_one(rte_comp_op* op) {
  if (rte_compressdev_enqueue_burst(dev(), 0, &op, 1) != 1) return nullptr;
  rte_comp_op* got = nullptr;
  for (int i = 0; i < 1000 && !rte_compressdev_dequeue_burst(dev(), 0, &got, 1); ++i) usleep(100);
  return got;
}

// Offsets that point outside the mbufs are the caller's mistake, not a lack of room: a source
// region past the end of m_src, or a destination offset past the end of m_dst, ends
// INVALID_ARGS with nothing consumed or produced (as compress_isal answers). A destination offset
// at the very end of m_dst is a destination with no room: out of space, as any other.
TEST_F(Negative, OffsetsOutsideTheMbufsAreInvalidArgs) {
  auto text = make_data(Kind::Text, 600, 31);
  auto z = zlib_raw(text, 6);
  struct Case {
    const char* what;
    rte_comp_xform x;
    const std::vector<uint8_t>* in;
    bool stateful;
    uint32_t src_extra;          // src.offset + src.length beyond pkt_len(m_src) by this much
    uint32_t dst_offset_beyond;  // dst.offset = pkt_len(m_dst) + this (UINT32_MAX: offset 0)
    rte_comp_op_status want;
  };
  const std::vector<Case> cases = {
      {"deflate, source past m_src", comp_xform(1), &text, false, 1, UINT32_MAX,
       RTE_COMP_OP_STATUS_INVALID_ARGS},
      {"inflate, source past m_src", decomp_xform(), &z, false, 7, UINT32_MAX,
       RTE_COMP_OP_STATUS_INVALID_ARGS},
      {"deflate, destination offset past m_dst", comp_xform(1), &text, false, 0, 1,
       RTE_COMP_OP_STATUS_INVALID_ARGS},
      {"deflate (ISA-L level), destination offset past m_dst", comp_xform(6), &text, false, 0, 100,
       RTE_COMP_OP_STATUS_INVALID_ARGS},
      {"inflate, destination offset past m_dst", decomp_xform(), &z, false, 0, 1,
       RTE_COMP_OP_STATUS_INVALID_ARGS},
      {"deflate, stateful, destination offset past m_dst", comp_xform(1), &text, true, 0, 1,
       RTE_COMP_OP_STATUS_INVALID_ARGS},
      {"inflate, stateful, destination offset past m_dst", decomp_xform(), &z, true, 0, 1,
       RTE_COMP_OP_STATUS_INVALID_ARGS},
      {"deflate, destination offset at the end of m_dst", comp_xform(1), &text, false, 0, 0,
       RTE_COMP_OP_STATUS_OUT_OF_SPACE_TERMINATED},
      {"inflate, destination offset at the end of m_dst", decomp_xform(), &z, false, 0, 0,
       RTE_COMP_OP_STATUS_OUT_OF_SPACE_TERMINATED},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    OpHandle handle(c.x, c.stateful);
    ASSERT_TRUE(handle.ok());
    rte_mbuf* src = chain(*c.in, 0);
    rte_mbuf* dst = chain({}, 2000);
    rte_comp_op* op = rte_comp_op_alloc(g_ops);
    ASSERT_TRUE(src && dst && op);
    handle.attach(op);
    op->m_src = src;
    op->m_dst = dst;
    op->src.offset = c.src_extra ? 3 : 0;
    op->src.length = uint32_t(c.in->size()) - op->src.offset + c.src_extra;
    op->dst.offset =
        c.dst_offset_beyond == UINT32_MAX ? 0 : rte_pktmbuf_pkt_len(dst) + c.dst_offset_beyond;
    op->flush_flag = RTE_COMP_FLUSH_FINAL;
    op->consumed = op->produced = 12345;  // must be set by the driver
    ASSERT_EQ(run_one(op), op);
    EXPECT_EQ(op->status, c.want);
    EXPECT_EQ(op->produced, 0u);
    if (c.want == RTE_COMP_OP_STATUS_INVALID_ARGS) {
      EXPECT_EQ(op->consumed, 0u);
    }
    rte_pktmbuf_free(src);
    rte_pktmbuf_free(dst);
    rte_comp_op_free(op);
  }
}

// "Never a write past the destination", byte for byte: the destination is a window of `room`
// bytes at dst.offset inside one mbuf whose whole buffer (headroom, the bytes before the offset,
// tailroom) is filled with canaries first; after an op that runs out of room, or decodes damaged
// input, every byte outside the window still holds its canary. (A bound on `produced` alone would
// miss an overrun into the mbuf's own tailroom, which no sanitizer sees either.)
TEST_F(Negative, NothingWrittenOutsideTheDestination) {
  constexpr uint8_t kCanary = 0xa5;
  struct Case {
    const char* what;
    rte_comp_xform x;
    std::vector<uint8_t> in;
    uint32_t offset, room;
    bool stateful;
  };
  auto text = make_data(Kind::Text, 10000, 12);
  auto z = zlib_raw(text, 6);
  std::vector<Case> cases = {
      {"inflate, stateless", decomp_xform(), z, 0, 1000, false},
      {"inflate, stateless, offset", decomp_xform(), z, 300, 1200, false},
      {"inflate, stateful", decomp_xform(), z, 64, 700, true},
      {"deflate (ISA-L), stateless", comp_xform(1), make_data(Kind::Random, 4000, 13), 0, 1000,
       false},
      {"deflate (small-op encoder), stateless", comp_xform(1), make_data(Kind::Text, 256, 14), 17,
       40, false},
      {"deflate (small-op encoder), every block kind short", comp_xform(9),
       make_data(Kind::Random, 700, 15), 0, 699, false},
      {"deflate, stateful", comp_xform(1), make_data(Kind::Random, 3000, 16), 5, 900, true},
  };
  // Exact fits: the small-op encoder's bit writer stores 8 bytes at a time and must not spill
  // them past a destination with no slack beyond the block.
  for (auto [kind, n] : {std::pair{Kind::Text, 256}, {Kind::Text, 1000}, {Kind::Binary, 700}}) {
    auto in = make_data(kind, size_t(n), uint32_t(n));
    Result fit = run(dev(), comp_xform(1), in, 4096);
    ASSERT_EQ(fit.status, RTE_COMP_OP_STATUS_SUCCESS);
    cases.push_back(
        {"deflate (small-op encoder), exact fit", comp_xform(1), in, 3, fit.produced, false});
  }
  // Damaged streams decoding into exactly the original's size.
  std::mt19937 rng(17);
  for (int t = 0; t < 40; ++t) {
    auto b = z;
    b[rng() % b.size()] ^= uint8_t(1u << (rng() % 8));
    cases.push_back({"inflate, bit flip", decomp_xform(), b, 0, 2000, false});
  }
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    OpHandle handle(c.x, c.stateful);
    ASSERT_TRUE(handle.ok());
    rte_mbuf* src = chain(c.in, 0);
    rte_mbuf* dst = rte_pktmbuf_alloc(g_mbufs);
    rte_comp_op* op = rte_comp_op_alloc(g_ops);
    ASSERT_TRUE(src && dst && op);
    auto* buf = static_cast<uint8_t*>(dst->buf_addr);
    std::memset(buf, kCanary, dst->buf_len);
    ASSERT_NE(rte_pktmbuf_append(dst, uint16_t(c.offset + c.room)), nullptr);
    handle.attach(op);
    op->m_src = src;
    op->m_dst = dst;
    op->src.offset = 0;
    op->src.length = uint32_t(c.in.size());
    op->dst.offset = c.offset;
    op->flush_flag = RTE_COMP_FLUSH_FINAL;
    ASSERT_EQ(run_one(op), op);
    EXPECT_LE(op->produced, c.room);
    const size_t begin = dst->data_off + c.offset, end = begin + c.room;
    size_t bad = 0, first_bad = 0;
    for (size_t i = 0; i < dst->buf_len; ++i)
      if ((i < begin || i >= end) && buf[i] != kCanary && !bad++) first_bad = i;
    EXPECT_EQ(bad, 0u) << "status " << int(op->status) << ": " << bad
                       << " bytes outside the destination written, first at buffer offset "
                       << first_bad << " (window " << begin << ".." << end << ")";
    rte_pktmbuf_free(src);
    rte_pktmbuf_free(dst);
    rte_comp_op_free(op);
  }
}

TEST_F(Negative, TruncatedAndCorruptStreamsFailCleanly) {
  auto in = make_data(Kind::Text, 8000, 4);
  auto z = zlib_raw(in, 6);
  for (size_t cut : {size_t{1}, z.size() / 2, z.size() - 1}) {
    std::vector<uint8_t> t(z.begin(), z.begin() + long(cut));
    Result d = run(dev(), decomp_xform(), t, in.size() + 100);
    EXPECT_EQ(d.status, RTE_COMP_OP_STATUS_ERROR) << cut;
    Result d2 = run(dev(), decomp_xform(), t, in.size() + 100, {37}, {500});
    EXPECT_EQ(d2.status, RTE_COMP_OP_STATUS_ERROR) << cut;
  }
  // Bit flips: an error, or (when the damage still decodes) never more output than room, never
  // a crash; the sanitizer build watches the writes.
  std::mt19937 rng(5);
  int errors = 0;
  for (int t = 0; t < 300; ++t) {
    auto b = z;
    b[rng() % b.size()] ^= uint8_t(1u << (rng() % 8));
    Result d = run(dev(), decomp_xform(), b, in.size() + 100);
    if (d.status == RTE_COMP_OP_STATUS_SUCCESS)
      EXPECT_LE(d.produced, in.size() + 100);
    else
      ++errors;
  }
  EXPECT_GT(errors, 20);  // DEFLATE has no integrity check: many flips in literals still decode
  // Garbage: BTYPE 11 is reserved.
  Result g = run(dev(), decomp_xform(), {0x07, 0x00, 0x00}, 100);
  EXPECT_EQ(g.status, RTE_COMP_OP_STATUS_ERROR);
}

TEST_F(Negative, BadXformsAndStreamsAreRefused) {
  void* px = nullptr;
  auto x = comp_xform();
  x.compress.window_size = 16;
  EXPECT_EQ(rte_compressdev_private_xform_create(dev(), &x, &px), -EINVAL);
  x = comp_xform(0);
  EXPECT_EQ(rte_compressdev_private_xform_create(dev(), &x, &px), -ENOTSUP);
  x = comp_xform(10);
  EXPECT_EQ(rte_compressdev_private_xform_create(dev(), &x, &px), -EINVAL);
  x = comp_xform();
  x.compress.algo = RTE_COMP_ALGO_LZS;
  EXPECT_EQ(rte_compressdev_private_xform_create(dev(), &x, &px), -ENOTSUP);
  void* stream = nullptr;
  x = comp_xform();
  x.compress.window_size = 7;
  EXPECT_EQ(rte_compressdev_stream_create(dev(), &x, &stream), -EINVAL);
}

TEST_F(Negative, CapabilitiesSayWhatIsOffered) {
  const rte_compressdev_capabilities* cap =
      rte_compressdev_capability_get(dev(), RTE_COMP_ALGO_DEFLATE);
  ASSERT_NE(cap, nullptr);
  EXPECT_TRUE(cap->comp_feature_flags & RTE_COMP_FF_SHAREABLE_PRIV_XFORM);
  EXPECT_TRUE(cap->comp_feature_flags & RTE_COMP_FF_OOP_SGL_IN_SGL_OUT);
  EXPECT_TRUE(cap->comp_feature_flags & RTE_COMP_FF_STATEFUL_COMPRESSION);
  EXPECT_TRUE(cap->comp_feature_flags & RTE_COMP_FF_STATEFUL_DECOMPRESSION);
  EXPECT_EQ(cap->window_size.max, 15);
}

// ---- stateful ------------------------------------------------------------------------------

using StreamOp = Result;

StreamOp stream_op(void* stream, const uint8_t* in, size_t n, size_t room,
                   rte_comp_flush_flag flush, std::vector<uint16_t> src_cuts = {kSegRoom},
                   std::vector<uint16_t> dst_cuts = {kSegRoom}) {
  return execute(dev(), RTE_COMP_OP_STATEFUL, stream, in, n, room, flush, src_cuts, dst_cuts);
}

using Stateful = PoolCheck;

// Input in chunks, each with a flush mode, the last FINAL: zlib must inflate the concatenated
// output to the input, and the running checksum must be zlib's.
TEST_F(Stateful, CompressInChunksWithEveryFlushMode) {
  std::mt19937 rng(21);
  for (auto mid : {RTE_COMP_FLUSH_NONE, RTE_COMP_FLUSH_SYNC, RTE_COMP_FLUSH_FULL}) {
    for (int level : {1, 6}) {
      auto in = make_data(Kind::Text, 50000, uint32_t(level));
      void* st = nullptr;
      auto x = comp_xform(level, RTE_COMP_HUFFMAN_DYNAMIC, RTE_COMP_CHECKSUM_CRC32);
      ASSERT_EQ(rte_compressdev_stream_create(dev(), &x, &st), 0);
      std::vector<uint8_t> z;
      size_t off = 0;
      uint64_t ck = 0;
      while (off < in.size()) {
        size_t n = std::min<size_t>(in.size() - off, 1 + rng() % 9000);
        bool last = off + n == in.size();
        // With FLUSH_NONE the stream may hold much more than this chunk's output: an op that runs
        // out of room is RECOVERABLE and the rest is submitted again with fresh room.
        StreamOp r;
        size_t done = 0;
        for (int guard = 0; guard < 100; ++guard) {
          r = stream_op(st, in.data() + off + done, n - done, n + 4096,
                        last ? RTE_COMP_FLUSH_FINAL : mid, {uint16_t(300 + rng() % 1700)},
                        {uint16_t(200 + rng() % 1800)});
          ASSERT_TRUE(r.status == RTE_COMP_OP_STATUS_SUCCESS ||
                      r.status == RTE_COMP_OP_STATUS_OUT_OF_SPACE_RECOVERABLE)
              << int(r.status);
          done += r.consumed;
          z.insert(z.end(), r.out.begin(), r.out.end());
          if (r.status == RTE_COMP_OP_STATUS_SUCCESS) break;
        }
        ASSERT_EQ(r.status, RTE_COMP_OP_STATUS_SUCCESS);
        ASSERT_EQ(done, n);
        ck = r.chksum;
        if (mid != RTE_COMP_FLUSH_NONE && !last) {
          // After a SYNC or FULL flush, everything so far must decode (zlib, Z_SYNC_FLUSH).
          z_stream zs{};
          ASSERT_EQ(inflateInit2(&zs, -15), Z_OK);
          std::vector<uint8_t> tmp(off + n + 16);
          zs.next_in = z.data();
          zs.avail_in = uInt(z.size());
          zs.next_out = tmp.data();
          zs.avail_out = uInt(tmp.size());
          int rc = inflate(&zs, Z_SYNC_FLUSH);
          EXPECT_TRUE(rc == Z_OK || rc == Z_BUF_ERROR);
          EXPECT_EQ(zs.total_out, off + n);
          EXPECT_TRUE(std::equal(in.begin(), in.begin() + long(off + n), tmp.begin()));
          inflateEnd(&zs);
        }
        off += n;
      }
      std::vector<uint8_t> back;
      ASSERT_TRUE(zlib_raw_inflate(z, back, in.size()));
      EXPECT_EQ(back, in);
      EXPECT_EQ(ck, crc32(0, in.data(), uInt(in.size())));
      // A FINAL op closed the stream.
      uint8_t b = 0;
      EXPECT_EQ(stream_op(st, &b, 1, 100, RTE_COMP_FLUSH_FINAL).status,
                RTE_COMP_OP_STATUS_INVALID_STATE);
      EXPECT_EQ(rte_compressdev_stream_free(dev(), st), 0);
    }
  }
}

// A SYNC or FULL flush ends the op's input, not each of its source segments (ISA-L flushes
// whenever a call's input runs out with a flush asked for): one op over ten 200-byte segments
// compresses as well as the same op over one segment, with one flush marker at its end.
TEST_F(Stateful, FlushEndsTheOpNotEachSourceSegment) {
  const auto in = make_data(Kind::Text, 2000, 77);
  for (auto flush : {RTE_COMP_FLUSH_SYNC, RTE_COMP_FLUSH_FULL}) {
    std::vector<uint8_t> out[2];
    const uint16_t cuts[2] = {kSegRoom, 200};
    for (int i = 0; i < 2; ++i) {
      void* st = nullptr;
      auto x = comp_xform(1);
      ASSERT_EQ(rte_compressdev_stream_create(dev(), &x, &st), 0);
      StreamOp r = stream_op(st, in.data(), in.size(), in.size() + 1024, flush, {cuts[i]});
      ASSERT_EQ(r.status, RTE_COMP_OP_STATUS_SUCCESS) << int(flush) << " cut " << cuts[i];
      ASSERT_EQ(r.consumed, in.size());
      out[i] = r.out;
      EXPECT_EQ(rte_compressdev_stream_free(dev(), st), 0);
    }
    // Flushing per segment made 737 bytes of SYNC's 537 and 1132 of FULL's 536. With FULL,
    // ISA-L's output over pieces is 5 bytes longer than over one (its block split differs).
    if (flush == RTE_COMP_FLUSH_SYNC)
      EXPECT_EQ(out[1], out[0]);
    else
      EXPECT_LE(out[1].size(), out[0].size() + 8);
    // What was flushed decodes whole (zlib, Z_SYNC_FLUSH).
    z_stream zs{};
    ASSERT_EQ(inflateInit2(&zs, -15), Z_OK);
    std::vector<uint8_t> back(in.size() + 16);
    zs.next_in = out[1].data();
    zs.avail_in = uInt(out[1].size());
    zs.next_out = back.data();
    zs.avail_out = uInt(back.size());
    const int rc = inflate(&zs, Z_SYNC_FLUSH);
    EXPECT_TRUE(rc == Z_OK || rc == Z_BUF_ERROR) << rc;
    EXPECT_EQ(zs.total_out, in.size());
    EXPECT_TRUE(std::equal(in.begin(), in.end(), back.begin()));
    inflateEnd(&zs);
  }
}

// Destination far too small: each op stops OUT_OF_SPACE_RECOVERABLE with exact consumed/produced;
// resubmitting the rest with more room completes the stream.
TEST_F(Stateful, RecoverableOutOfSpaceBothWays) {
  auto in = make_data(Kind::Random, 20000, 8);
  void* st = nullptr;
  auto x = comp_xform(1);
  ASSERT_EQ(rte_compressdev_stream_create(dev(), &x, &st), 0);
  std::vector<uint8_t> z;
  size_t off = 0;
  int recoverable = 0;
  for (int guard = 0; guard < 10000; ++guard) {
    StreamOp r = stream_op(st, in.data() + off, in.size() - off, 700, RTE_COMP_FLUSH_FINAL,
                           {kSegRoom}, {300});
    ASSERT_TRUE(r.status == RTE_COMP_OP_STATUS_SUCCESS ||
                r.status == RTE_COMP_OP_STATUS_OUT_OF_SPACE_RECOVERABLE);
    ASSERT_LE(r.produced, 700u);
    z.insert(z.end(), r.out.begin(), r.out.end());
    off += r.consumed;
    if (r.status == RTE_COMP_OP_STATUS_SUCCESS) break;
    ++recoverable;
  }
  EXPECT_GT(recoverable, 10);
  EXPECT_EQ(off, in.size());
  std::vector<uint8_t> back;
  ASSERT_TRUE(zlib_raw_inflate(z, back, in.size()));
  EXPECT_EQ(back, in);
  rte_compressdev_stream_free(dev(), st);

  // Decompression into 500-byte outputs, input given in random pieces.
  auto text = make_data(Kind::Text, 40000, 9);
  auto zz = zlib_raw(text, 9);
  auto dx = decomp_xform(RTE_COMP_CHECKSUM_ADLER32);
  ASSERT_EQ(rte_compressdev_stream_create(dev(), &dx, &st), 0);
  std::vector<uint8_t> out;
  std::mt19937 rng(3);
  off = 0;
  uint64_t ck = 0;
  bool done = false;
  for (int guard = 0; guard < 100000 && !done; ++guard) {
    size_t n = std::min<size_t>(zz.size() - off, 1 + rng() % 3000);
    StreamOp r = stream_op(st, zz.data() + off, n, 500, RTE_COMP_FLUSH_NONE,
                           {uint16_t(50 + rng() % 400)}, {170});
    ASSERT_TRUE(r.status == RTE_COMP_OP_STATUS_SUCCESS ||
                r.status == RTE_COMP_OP_STATUS_OUT_OF_SPACE_RECOVERABLE);
    out.insert(out.end(), r.out.begin(), r.out.end());
    off += r.consumed;
    ck = r.chksum;
    done = r.status == RTE_COMP_OP_STATUS_SUCCESS && out.size() == text.size() && off == zz.size();
  }
  EXPECT_TRUE(done);
  EXPECT_EQ(out, text);
  EXPECT_EQ(ck, adler32(1, text.data(), uInt(text.size())));
  rte_compressdev_stream_free(dev(), st);
}

// rte_compressdev_stats: every op counted in and out; errors are failed ops (out of space,
// terminated; a closed stream), not a stateful op's request for more room. An op refused by a
// closed stream reports nothing consumed or produced.
TEST_F(Stateful, StatsCountFailuresNotRecoverableOps) {
  rte_compressdev_stats_reset(dev());
  auto text = make_data(Kind::Text, 4000, 5);
  EXPECT_EQ(run(dev(), comp_xform(1), text, 4000).status, RTE_COMP_OP_STATUS_SUCCESS);
  EXPECT_EQ(run(dev(), comp_xform(1), text, 10).status, RTE_COMP_OP_STATUS_OUT_OF_SPACE_TERMINATED);
  void* st = nullptr;
  auto x = comp_xform(1);
  ASSERT_EQ(rte_compressdev_stream_create(dev(), &x, &st), 0);
  auto rnd = make_data(Kind::Random, 3000, 6);
  size_t off = 0;
  int ops = 0, recoverable = 0;
  for (; ops < 100; ++ops) {
    StreamOp r = stream_op(st, rnd.data() + off, rnd.size() - off, 1000, RTE_COMP_FLUSH_FINAL);
    off += r.consumed;
    if (r.status != RTE_COMP_OP_STATUS_OUT_OF_SPACE_RECOVERABLE) {
      EXPECT_EQ(r.status, RTE_COMP_OP_STATUS_SUCCESS);
      ++ops;
      break;
    }
    ++recoverable;
  }
  EXPECT_GT(recoverable, 0);
  StreamOp closed = stream_op(st, text.data(), 100, 1000, RTE_COMP_FLUSH_FINAL);
  EXPECT_EQ(closed.status, RTE_COMP_OP_STATUS_INVALID_STATE);
  EXPECT_EQ(closed.consumed, 0u);
  EXPECT_EQ(closed.produced, 0u);
  rte_compressdev_stream_free(dev(), st);
  rte_compressdev_stats s{};
  ASSERT_EQ(rte_compressdev_stats_get(dev(), &s), 0);
  EXPECT_EQ(s.enqueued_count, uint64_t(2 + ops + 1));
  EXPECT_EQ(s.dequeued_count, uint64_t(2 + ops + 1));
  EXPECT_EQ(s.dequeue_err_count, 2u);  // out of space (terminated), closed stream
  EXPECT_EQ(s.enqueue_err_count, 0u);
}

// Bytes after the end of the DEFLATE stream are not consumed, whatever room each op has: ISA-L
// reads ahead into its bit buffer, and an op that ends the stream, or only empties ISA-L's
// output buffer after an earlier op read the end, must give back only its own bytes (it once
// reported 0 minus the read-ahead, about 4e9). Every op's consumed is at most what it was
// offered; in all, exactly the stream; the output is the original.
TEST_F(Stateful, TrailingBytesAfterTheStreamAreNotConsumed) {
  const auto text = make_data(Kind::Text, 6000, 61);
  const auto z = zlib_raw(text, 6);
  auto src = z;
  src.insert(src.end(), {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  for (size_t room : {1u, 7u, 100u, 1000u, 5999u, 6000u, 7000u}) {
    SCOPED_TRACE("room " + std::to_string(room));
    void* st = nullptr;
    const rte_comp_xform dx = decomp_xform();
    ASSERT_EQ(rte_compressdev_stream_create(dev(), &dx, &st), 0);
    size_t off = 0;
    std::vector<uint8_t> out;
    rte_comp_op_status last = RTE_COMP_OP_STATUS_NOT_PROCESSED;
    for (int i = 0; i < 20000 && last != RTE_COMP_OP_STATUS_SUCCESS; ++i) {
      StreamOp r = stream_op(st, src.data() + off, src.size() - off, room, RTE_COMP_FLUSH_FINAL);
      last = r.status;
      ASSERT_TRUE(last == RTE_COMP_OP_STATUS_SUCCESS ||
                  last == RTE_COMP_OP_STATUS_OUT_OF_SPACE_RECOVERABLE)
          << int(last);
      ASSERT_LE(r.consumed, src.size() - off);
      off += r.consumed;
      out.insert(out.end(), r.out.begin(), r.out.end());
    }
    EXPECT_EQ(last, RTE_COMP_OP_STATUS_SUCCESS);
    EXPECT_EQ(off, z.size());
    EXPECT_EQ(out, text);
    rte_compressdev_stream_free(dev(), st);
  }
}

TEST_F(Stateful, CorruptStreamFailsAndStaysFailed) {
  auto zz = zlib_raw(make_data(Kind::Text, 5000, 1), 6);
  zz[zz.size() / 3] ^= 0xff;
  zz[zz.size() / 3 + 1] ^= 0x5a;
  void* st = nullptr;
  auto dx = decomp_xform();
  ASSERT_EQ(rte_compressdev_stream_create(dev(), &dx, &st), 0);
  bool failed = false;
  for (size_t off = 0; off < zz.size() && !failed; off += 500) {
    StreamOp r = stream_op(st, zz.data() + off, std::min<size_t>(500, zz.size() - off), 6000,
                           RTE_COMP_FLUSH_NONE);
    failed = r.status == RTE_COMP_OP_STATUS_ERROR || r.status == RTE_COMP_OP_STATUS_INVALID_STATE;
  }
  // Either the damage is caught (error, then the stream refuses more) or it decodes to something
  // else; never a crash or an overrun (the sanitizer build watches).
  if (failed) {
    uint8_t b = 0;
    EXPECT_NE(stream_op(st, &b, 1, 10, RTE_COMP_FLUSH_NONE).status, RTE_COMP_OP_STATUS_SUCCESS);
  }
  rte_compressdev_stream_free(dev(), st);
}

// Hot-plug: create, use, remove; a started device refuses removal. Once only: DPDK 22.11's
// compressdev library never frees a removed device's data memzone, so a new device in the same
// slot cannot be allocated (any compress PMD; cryptodev frees its own). The device is created
// under a name= devarg, which removal must look up (it used to look for the vdev's name, return
// -ENODEV and leave the device behind).
TEST_F(Negative, HotPlugAndRemoval) {
  for (int round = 0; round < 1; ++round) {
    ASSERT_EQ(rte_vdev_init("compress_dpaccel_cpu9", "max_nb_queue_pairs=2,name=dpaccel_comp_hp"),
              0);
    EXPECT_LT(rte_compressdev_get_dev_id("compress_dpaccel_cpu9"), 0);
    int id = rte_compressdev_get_dev_id("dpaccel_comp_hp");
    ASSERT_GE(id, 0);
    rte_compressdev_config c{};
    c.socket_id = 0;
    c.nb_queue_pairs = 2;
    c.max_nb_priv_xforms = 4;
    ASSERT_EQ(rte_compressdev_configure(uint8_t(id), &c), 0);
    ASSERT_EQ(rte_compressdev_queue_pair_setup(uint8_t(id), 0, 16, 0), 0);
    ASSERT_EQ(rte_compressdev_queue_pair_setup(uint8_t(id), 1, 16, 0), 0);
    ASSERT_EQ(rte_compressdev_start(uint8_t(id)), 0);
    auto in = make_data(Kind::Text, 3000, uint32_t(round));
    Result r = run(uint8_t(id), comp_xform(), in, 4000);
    EXPECT_EQ(r.status, RTE_COMP_OP_STATUS_SUCCESS);
    EXPECT_EQ(rte_vdev_uninit("compress_dpaccel_cpu9"), -EBUSY);  // DPDK's rule: stop it first
    rte_compressdev_stop(uint8_t(id));
    EXPECT_EQ(rte_vdev_uninit("compress_dpaccel_cpu9"), 0);
    EXPECT_LT(rte_compressdev_get_dev_id("dpaccel_comp_hp"), 0);
  }
  EXPECT_NE(rte_vdev_init("compress_dpaccel_cpu8", "max_nb_queue_pairs=x"), 0);  // bad devargs
}

// Same data through compress_isal, and each side inflates the other's output. Inputs up to the
// level's small-op limit take our encoder: in total over 16 inputs per case, at most 2 % larger
// than compress_isal's output (the compression issue's ratio limit, a ratio over a corpus: a
// single op may come out a few bytes larger). Larger single-segment inputs make the same ISA-L
// calls at the same ISA-L level (the level mapping is compress_isal's), byte for byte; chained
// mbufs stream, fed their own way, so sizes may differ (by about 1 % on the binary kind).
TEST_F(RoundTrip, SameAsCompressIsal) {
  int identical = 0;
  for (size_t n : {64u, 256u, 1000u, 1500u, 2048u, 32768u}) {
    for (Kind k : {Kind::Text, Kind::Binary}) {
      for (int level : {1, 2, 4, 6, 9}) {
        SCOPED_TRACE(std::to_string(n) + " kind " + std::to_string(int(k)) + " level " +
                     std::to_string(level));
        const bool small = n <= dpaccel::comp::SmallDeflate::effort_for_level(level).max_input;
        size_t ours = 0, isal = 0;
        for (uint32_t seed = 0; seed < (small ? 16u : 1u); ++seed) {
          auto in = make_data(k, n, uint32_t(n) + seed);
          // Up to one segment in, one segment of room out: both drivers call
          // isal_deflate_stateless on contiguous buffers.
          const size_t room = n <= kSegRoom ? kSegRoom : n + 1024;
          Result a = run(dev(), comp_xform(level), in, room);
          Result b = run(dev("compress_isal0"), comp_xform(level), in, room);
          ASSERT_EQ(a.status, RTE_COMP_OP_STATUS_SUCCESS);
          ASSERT_EQ(b.status, RTE_COMP_OP_STATUS_SUCCESS);
          ours += a.out.size();
          isal += b.out.size();
          if (!small && n <= kSegRoom) {
            EXPECT_EQ(a.out, b.out);
            ++identical;
          }
          EXPECT_EQ(run(dev(), decomp_xform(), b.out, n).out, in);
          EXPECT_EQ(run(dev("compress_isal0"), decomp_xform(), a.out, n).out, in);
        }
        if (small) {
          EXPECT_LE(double(ours), double(isal) * 1.02);
        } else if (n > kSegRoom) {
          EXPECT_NEAR(double(ours), double(isal), isal / 50.0 + 2);
        }
      }
    }
  }
  EXPECT_GT(identical, 0);  // the byte-for-byte check ran (it once could not)
}

// What ISA-L's stateless inflate makes of in with this room and window: the answer the driver
// must give whichever decoder it uses (its small-op decoder hands everything it does not finish
// cleanly to ISA-L).
Result isal_reference(const std::vector<uint8_t>& in, size_t room, unsigned window) {
  inflate_state st{};
  isal_inflate_init(&st);
  st.crc_flag = ISAL_DEFLATE;
  st.hist_bits = window;
  std::vector<uint8_t> out(room + 1);
  st.next_in = const_cast<uint8_t*>(in.data());
  st.avail_in = uint32_t(in.size());
  st.next_out = out.data();
  st.avail_out = uint32_t(room);
  const int rc = isal_inflate_stateless(&st);
  Result r{RTE_COMP_OP_STATUS_ERROR, 0, 0, 0, {}};
  if (rc == ISAL_DECOMP_OK) {
    r.status = RTE_COMP_OP_STATUS_SUCCESS;
    r.consumed = uint32_t(in.size()) - st.avail_in;
    r.produced = st.total_out;
    r.out.assign(out.begin(), out.begin() + st.total_out);
  } else if (rc == ISAL_OUT_OVERFLOW) {
    r.status = RTE_COMP_OP_STATUS_OUT_OF_SPACE_TERMINATED;
  }
  return r;
}

// Small single-segment inflates take the driver's own decoder when the stream is stored and
// fixed-code blocks (small_inflate.hpp). Differential against ISA-L itself, stream by stream:
// fixed-code and stored streams (zlib Z_FIXED and level 0, with and without a stored block in
// the middle) of every kind at sizes up to 2 KiB, intact with the room exact, one byte short and
// ample, cut short, with bytes after the end, with bit flips, and with an 8-bit window — the same
// status, and on success the same bytes, produced and consumed counts.
TEST_F(RoundTrip, SmallInflateAgreesWithIsal) {
  std::mt19937 rng(51);
  int cases = 0, successes = 0;
  for (size_t n : {0u, 1u, 2u, 3u, 10u, 64u, 100u, 256u, 700u, 1400u, 2000u}) {
    for (Kind k : {Kind::Text, Kind::Binary, Kind::Random}) {
      const auto in = make_data(k, n, uint32_t(n) * 7 + uint32_t(k));
      for (int variant = 0; variant < 4; ++variant) {
        const std::vector<uint8_t> z =
            variant == 3 ? zlib_raw_strategy(in, 0, Z_DEFAULT_STRATEGY, true)
                         : zlib_raw_strategy(in, variant == 1 ? 6 : 1, Z_FIXED, variant == 2);
        if (z.size() > 2048) continue;  // beyond the small-op size: ISA-L alone
        struct Try {
          std::vector<uint8_t> stream;
          size_t room;
          unsigned window;
        };
        std::vector<Try> tries = {
            {z, std::max<size_t>(n, 1), 15}, {z, n + 300, 15}, {z, n + 300, 8}};
        if (n >= 2) tries.push_back({z, n - 1, 15});  // (run() gives room 0 as 1)
        if (z.size() > 1) {
          tries.push_back({{z.begin(), z.end() - 1}, n + 300, 15});
          tries.push_back({{z.begin(), z.begin() + long(z.size() / 2)}, n + 300, 15});
        }
        auto tail = z;
        tail.insert(tail.end(), {0x55, 0xaa, 0x00});
        tries.push_back({tail, n + 300, 15});
        for (int f = 0; f < 6 && !z.empty(); ++f) {
          auto b = z;
          b[rng() % b.size()] ^= uint8_t(1u << (rng() % 8));
          tries.push_back({b, n + 300, 15});
        }
        for (const Try& t : tries) {
          SCOPED_TRACE("size " + std::to_string(n) + " kind " + std::to_string(int(k)) +
                       " variant " + std::to_string(variant) + " stream " +
                       std::to_string(t.stream.size()) + " room " + std::to_string(t.room) +
                       " window " + std::to_string(t.window));
          rte_comp_xform x = decomp_xform();
          x.decompress.window_size = uint8_t(t.window);
          const Result ours = run(dev(), x, t.stream, t.room);
          const Result ref = isal_reference(t.stream, t.room, t.window);
          ++cases;
          ASSERT_EQ(ours.status, ref.status);
          if (ref.status != RTE_COMP_OP_STATUS_SUCCESS) continue;
          ++successes;
          EXPECT_EQ(ours.produced, ref.produced);
          EXPECT_EQ(ours.consumed, ref.consumed);
          EXPECT_EQ(ours.out, ref.out);
        }
      }
    }
  }
  EXPECT_GT(successes, cases / 3) << "the intact streams decode";
}

// Small ops through our encoder: out of room is OUT_OF_SPACE_TERMINATED with nothing produced,
// exactly at the size the op needs; checksums cover the input as on the ISA-L path.
TEST_F(RoundTrip, SmallOpsOutOfSpaceAndChecksums) {
  auto in = make_data(Kind::Text, 1000, 11);
  Result fit = run(dev(), comp_xform(1, RTE_COMP_HUFFMAN_DYNAMIC, RTE_COMP_CHECKSUM_CRC32_ADLER32),
                   in, 2000);
  ASSERT_EQ(fit.status, RTE_COMP_OP_STATUS_SUCCESS);
  EXPECT_EQ(fit.chksum, uint64_t(adler32(1, in.data(), uInt(in.size()))) << 32 |
                            crc32(0, in.data(), uInt(in.size())));
  Result exact = run(dev(), comp_xform(), in, fit.out.size());
  EXPECT_EQ(exact.status, RTE_COMP_OP_STATUS_SUCCESS);
  EXPECT_EQ(exact.out, fit.out);
  Result short_by_one = run(dev(), comp_xform(), in, fit.out.size() - 1);
  EXPECT_EQ(short_by_one.status, RTE_COMP_OP_STATUS_OUT_OF_SPACE_TERMINATED);
  EXPECT_EQ(short_by_one.produced, 0u);
  EXPECT_EQ(short_by_one.consumed, 0u);
}

}  // namespace
