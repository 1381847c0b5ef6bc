// Pure helpers of the drivers, without EAL: devargs number and CPU-list parsing, capability
// ranges, the constant-time tag compare, regions from head/tail offsets, and an op's regions as
// CPU-crypto vecs.
#include <gtest/gtest.h>

#include <unistd.h>

#include <vector>

#include "constant_time.hpp"
#include "imb_capabilities.hpp"
#include "imb_engine.hpp"
#include "region_sgl.hpp"
#include "vdev_args.hpp"
#include "worker_model.hpp"

namespace dpaccel {
namespace {

TEST(ParseUint, AcceptsDecimalAndHexWithinBounds) {
  uint64_t v = 0;
  EXPECT_TRUE(pmd::parse_uint("0", 10, v));
  EXPECT_EQ(v, 0u);
  EXPECT_TRUE(pmd::parse_uint("65535", 65535, v));
  EXPECT_EQ(v, 65535u);
  EXPECT_TRUE(pmd::parse_uint("0x10", 100, v));
  EXPECT_EQ(v, 16u);
  EXPECT_FALSE(pmd::parse_uint("65536", 65535, v));
  EXPECT_FALSE(pmd::parse_uint("", 10, v));
  EXPECT_FALSE(pmd::parse_uint("-1", 10, v));
  EXPECT_FALSE(pmd::parse_uint("12abc", 1000, v));
  EXPECT_FALSE(pmd::parse_uint("0x", 10, v));
  EXPECT_FALSE(pmd::parse_uint("99999999999999999999999", UINT64_MAX, v));
}

TEST(ParseCpuList, ListsAndRanges) {
  long ncpu = sysconf(_SC_NPROCESSORS_CONF);
  std::vector<int> cpus;
  EXPECT_TRUE(worker::parse_cpu_list("0", cpus));
  EXPECT_EQ(cpus, std::vector<int>{0});
  if (ncpu >= 2) {
    cpus.clear();
    EXPECT_TRUE(worker::parse_cpu_list("0-1:0", cpus));
    EXPECT_EQ(cpus, (std::vector<int>{0, 1, 0}));
  }
  for (const char* bad : {"", "1-", "-1", "2-1", "a", "0::1", "100000"}) {
    cpus.clear();
    EXPECT_FALSE(worker::parse_cpu_list(bad, cpus)) << bad;
  }
  cpus.clear();
  EXPECT_FALSE(worker::parse_cpu_list(std::to_string(ncpu), cpus)) << "a CPU the machine lacks";
}

TEST(CapabilityRange, StepsAndSingleValues) {
  constexpr rte_crypto_param_range gcm_key{16, 32, 8}, iv12{12, 12, 0}, digest{12, 20, 8};
  static_assert(imb::in_range(gcm_key, 24) && !imb::in_range(gcm_key, 20) &&
                !imb::in_range(gcm_key, 40));
  static_assert(imb::in_range(iv12, 12) && !imb::in_range(iv12, 16));
  static_assert(imb::in_range(digest, 12) && imb::in_range(digest, 20) &&
                !imb::in_range(digest, 16));
  // The advertised table ends with its marker and advertises AES-GCM with a 12-byte IV.
  const auto* gcm = imb::find_aead(RTE_CRYPTO_AEAD_AES_GCM);
  ASSERT_NE(gcm, nullptr);
  EXPECT_TRUE(imb::in_range(gcm->aead.iv_size, 12));
  EXPECT_EQ(imb::find_aead(RTE_CRYPTO_AEAD_AES_CCM), nullptr);
}

TEST(TagsEqual, EveryLengthAndEveryBytePosition) {
  uint8_t a[32], b[32];
  for (size_t n = 0; n <= 32; ++n) {
    for (size_t i = 0; i < 32; ++i) a[i] = b[i] = static_cast<uint8_t>(i * 37 + n);
    EXPECT_TRUE(pmd::tags_equal(a, b, n));
    for (size_t pos = 0; pos < n; ++pos) {
      b[pos] ^= 0x01;
      EXPECT_FALSE(pmd::tags_equal(a, b, n)) << "length " << n << ", byte " << pos;
      b[pos] ^= 0x01;
    }
    if (n < 32) {
      b[n] ^= 0xff;  // a difference past the length does not count
      EXPECT_TRUE(pmd::tags_equal(a, b, n));
    }
  }
}

TEST(RegionsFromOffsets, HeadAndTailWithinAndBeyondTheData) {
  uint8_t buf[100];
  rte_crypto_vec segs[2] = {{buf, 0, 60, 0}, {buf + 60, 0, 40, 0}};
  imb::Request r{};
  r.src = segs;
  r.src_n = 2;
  rte_crypto_sym_ofs ofs{};
  ofs.ofs.cipher.head = 8;
  ofs.ofs.cipher.tail = 12;
  ofs.ofs.auth.head = 0;
  ofs.ofs.auth.tail = 12;
  imb::set_regions_from_ofs(r, ofs);
  EXPECT_EQ(r.cipher_off, 8u);
  EXPECT_EQ(r.cipher_len, 80u);
  EXPECT_EQ(r.auth_off, 0u);
  EXPECT_EQ(r.auth_len, 88u);
  ofs.ofs.cipher.head = 90;  // head + tail beyond the data: a region that cannot be valid
  imb::set_regions_from_ofs(r, ofs);
  EXPECT_GT(uint64_t{r.cipher_off} + r.cipher_len, 100u);
}

// A chain of fake mbufs (no EAL: only the fields the mbuf data macros read), segment sizes given.
struct FakeChain {
  explicit FakeChain(const std::vector<uint16_t>& sizes) : segs(sizes.size()) {
    uint32_t total = 0;
    for (uint16_t s : sizes) total += s;
    data.resize(total + 1);
    uint32_t at = 0;
    for (size_t i = 0; i < sizes.size(); ++i) {
      rte_mbuf& m = segs[i];
      m.buf_addr = data.data() + at;
      m.buf_iova = 0x100000 + at;
      m.data_off = 0;
      m.data_len = sizes[i];
      m.next = i + 1 < sizes.size() ? &segs[i + 1] : nullptr;
      at += sizes[i];
    }
    segs[0].pkt_len = total;
    segs[0].nb_segs = static_cast<uint16_t>(sizes.size());
  }
  rte_mbuf* head() { return &segs[0]; }
  std::vector<rte_mbuf> segs;
  std::vector<uint8_t> data;  // the segments' bytes, back to back
};

// The vecs cover exactly bytes [begin, begin + len) of the chain, in order.
void expect_covers(FakeChain& c, uint32_t begin, uint32_t len, uint32_t want_n) {
  const uint32_t n = pmd::range_vecs(c.head(), begin, len, nullptr);
  ASSERT_EQ(n, want_n);
  std::vector<rte_crypto_vec> v(n);
  EXPECT_EQ(pmd::range_vecs(c.head(), begin, len, v.data()), n);
  uint32_t at = begin;
  for (const rte_crypto_vec& x : v) {
    EXPECT_EQ(static_cast<uint8_t*>(x.base), c.data.data() + at);
    EXPECT_EQ(x.iova, 0x100000u + at);
    at += x.len;
  }
  EXPECT_EQ(at, begin + len);
}

TEST(RegionVecs, DescribeTheRegionsNotTheWholeChain) {
  std::vector<uint16_t> many(100, 10);  // 100 segments: more than a fixed 64-vec array holds
  FakeChain c(many);
  expect_covers(c, 0, 1000, 100);
  expect_covers(c, 5, 990, 100);  // partial first and last segments
  expect_covers(c, 10, 10, 1);    // exactly one segment
  expect_covers(c, 15, 10, 2);    // across a boundary
  expect_covers(c, 995, 5, 1);
  expect_covers(c, 1000, 0, 1);                               // empty, at the end of the data
  expect_covers(c, 40, 0, 1);                                 // empty, inside
  EXPECT_EQ(pmd::range_vecs(c.head(), 995, 6, nullptr), 0u);  // past the end of the chain
  EXPECT_EQ(pmd::range_vecs(c.head(), 1001, 0, nullptr), 0u);
  EXPECT_EQ(pmd::range_vecs(nullptr, 0, 0, nullptr), 0u);

  // A packet longer than 64 KiB: a region near its end is one vec; nothing before it counts.
  FakeChain big({60000, 60000, 2000});
  expect_covers(big, 119000, 1500, 2);
  expect_covers(big, 121000, 1000, 1);
}

TEST(RegionVecs, HeadAndTailInsideTheDescribedRange) {
  uint16_t head = 0, tail = 0;
  // ESP with HMAC: auth from the ESP header, cipher 24 bytes later, both to the same end.
  const pmd::OpRegion u{70000, 71500};
  EXPECT_TRUE(pmd::region_ofs_in(u, 70024, 1476, head, tail));
  EXPECT_EQ(head, 24);
  EXPECT_EQ(tail, 0);
  EXPECT_TRUE(pmd::region_ofs_in(u, 70000, 1500, head, tail));
  EXPECT_EQ(head, 0);
  EXPECT_TRUE(pmd::region_ofs_in(u, 70100, 100, head, tail));
  EXPECT_EQ(head, 100);
  EXPECT_EQ(tail, 1300);
  EXPECT_FALSE(pmd::region_ofs_in(u, 69999, 10, head, tail));      // starts before the range
  EXPECT_FALSE(pmd::region_ofs_in(u, 71000, 501, head, tail));     // ends after it
  EXPECT_FALSE(pmd::region_ofs_in(u, UINT32_MAX, 2, head, tail));  // wraps in 32 bits
  // Regions more than 64 KiB apart cannot be said in 16-bit offsets.
  EXPECT_FALSE(pmd::region_ofs_in({0, 70000}, 65536, 100, head, tail));
  EXPECT_FALSE(pmd::region_ofs_in({0, 70000}, 0, 100, head, tail));
  EXPECT_TRUE(pmd::region_ofs_in({0, 70000}, 65535, 4465, head, tail));
  EXPECT_EQ(head, 65535);
}

}  // namespace
}  // namespace dpaccel
