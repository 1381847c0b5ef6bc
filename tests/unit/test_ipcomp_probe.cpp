// The entropy probe IPComp runs before a DEFLATE attempt: random bytes are recognised, anything
// DEFLATE would shrink is not, and short payloads are never judged.
#include <gtest/gtest.h>
#include <zlib.h>

#include <random>
#include <string>
#include <vector>

#include "ipsec/ipcomp_probe.hpp"

using namespace dpaccel;

namespace {

std::vector<uint8_t> random_bytes(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = uint8_t(rng());
  return v;
}

std::vector<uint8_t> text(size_t n) {
  static const char* words[] = {
      "GET ",     "/index.html ", "HTTP/1.1\r\n",  "Host: ",           "example.com\r\n",
      "Accept: ", "text/html ",   "{\"id\": 42, ", "\"name\": \"x\"} "};
  std::vector<uint8_t> v;
  for (size_t i = 0; v.size() < n; ++i) {
    std::string w = words[(i * 7) % 9];
    v.insert(v.end(), w.begin(), w.end());
  }
  v.resize(n);
  return v;
}

// Raw DEFLATE with zlib, level 9: what the best attempt could achieve.
size_t deflated_size(const std::vector<uint8_t>& in) {
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY);
  std::vector<uint8_t> out(in.size() * 2 + 64);
  z.next_in = const_cast<uint8_t*>(in.data());
  z.avail_in = uInt(in.size());
  z.next_out = out.data();
  z.avail_out = uInt(out.size());
  deflate(&z, Z_FINISH);
  size_t n = z.total_out;
  deflateEnd(&z);
  return n;
}

}  // namespace

TEST(IpcompProbe, EntropyOfKnownDistributions) {
  std::vector<uint8_t> zeros(1000, 0);
  EXPECT_NEAR(ipcomp_sample_entropy(zeros.data(), zeros.size()), 0.0, 1e-5);  // float table
  std::vector<uint8_t> two(1024);
  for (size_t i = 0; i < two.size(); ++i) two[i] = uint8_t(i & 1);
  EXPECT_NEAR(ipcomp_sample_entropy(two.data(), two.size()), 1.0, 1e-6);
  std::vector<uint8_t> all(512);
  for (size_t i = 0; i < all.size(); ++i) all[i] = uint8_t(i);
  EXPECT_NEAR(ipcomp_sample_entropy(all.data(), all.size()), 8.0, 1e-5);
  EXPECT_EQ(ipcomp_sample_entropy(all.data(), 0), 0.0);
  // Longer payloads: four slices of 128 bytes; these all hold the 128-periodic pattern.
  std::vector<uint8_t> ramp(5000);
  for (size_t i = 0; i < ramp.size(); ++i) ramp[i] = uint8_t(i % 128);
  uint32_t sample = 0;
  EXPECT_NEAR(ipcomp_sample_entropy(ramp.data(), uint32_t(ramp.size()), &sample), 7.0, 0.2);
  EXPECT_EQ(sample, kIpcompProbeSample);
}

TEST(IpcompProbe, ThresholdTracksRandomExpectation) {
  // The expectation the threshold is built from, against values computed independently
  // (exact binomial sums in Python).
  EXPECT_NEAR(detail::expected_random_entropy(128), 6.5501, 1e-3);
  EXPECT_NEAR(detail::expected_random_entropy(256), 7.1750, 1e-3);
  EXPECT_NEAR(detail::expected_random_entropy(512), 7.5904, 1e-3);
}

TEST(IpcompProbe, RandomPayloadsAreSkippedAndCouldNotHaveShrunk) {
  for (size_t n : {128u, 200u, 256u, 300u, 512u, 600u, 1000u, 1400u, 1500u, 4000u, 9000u}) {
    for (unsigned seed = 0; seed < 50; ++seed) {
      auto r = random_bytes(n, seed * 1000 + unsigned(n));
      EXPECT_TRUE(ipcomp_looks_incompressible(r.data(), uint32_t(r.size()))) << n << " " << seed;
      // And the judgement is right: DEFLATE would not have saved the IPComp header's 4 bytes.
      EXPECT_GE(deflated_size(r) + 4, n);
    }
  }
}

TEST(IpcompProbe, CompressiblePayloadsAreTried) {
  for (size_t n : {128u, 256u, 512u, 1400u, 9000u}) {
    auto t = text(n);
    EXPECT_FALSE(ipcomp_looks_incompressible(t.data(), uint32_t(t.size()))) << n;
    EXPECT_LT(deflated_size(t) + 4, n);
    if (n < 512) continue;
    // Half random, half text: DEFLATE still saves bytes on the text half.
    auto mix = random_bytes(n / 2, 7);
    auto half = text(n - n / 2);
    mix.insert(mix.end(), half.begin(), half.end());
    EXPECT_FALSE(ipcomp_looks_incompressible(mix.data(), uint32_t(mix.size()))) << n;
  }
}

TEST(IpcompProbe, ShortPayloadsAreNeverJudged) {
  auto r = random_bytes(kIpcompProbeMin - 1, 1);
  EXPECT_FALSE(ipcomp_looks_incompressible(r.data(), uint32_t(r.size())));
}
