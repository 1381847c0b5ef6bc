// Pure helpers of the drivers, without EAL: devargs number and CPU-list parsing, capability
// ranges, the constant-time tag compare, and regions from head/tail offsets.
#include <gtest/gtest.h>

#include <unistd.h>

#include "constant_time.hpp"
#include "imb_capabilities.hpp"
#include "imb_engine.hpp"
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

}  // namespace
}  // namespace dpaccel
