// A cheap look at a payload before IPComp spends a DEFLATE attempt on it.
//
// DEFLATE shrinks data through LZ77 matches and Huffman coding of literals. Random, encrypted and
// already-compressed payloads (TLS, JPEG, gzip) have neither repeats nor a skewed byte
// distribution, and ISA-L spends most of a failed attempt building Huffman trees over their full
// alphabet: 11 µs for a 256-byte random payload, 15 µs for 1.4 KB on this project's test machine,
// 50 to 70 times the cost of ESP itself.
//
// The probe takes the order-0 entropy of a sample (the whole payload up to kIpcompProbeSample
// bytes, else four evenly spread slices) and calls the payload incompressible when it is within
// kIpcompProbeMargin bits per byte of what uniformly random bytes give for that sample size
// (random samples of 128..512 bytes scatter by 0.03..0.07 bits; text sits 1.5 to 2.5 bits below).
// Cost: a byte histogram of at most 512 bytes, about 0.2 µs.
//
// It is a heuristic in one direction only: a payload it calls incompressible could, if it were
// made of repeats of high-entropy bytes, still have shrunk; it then goes uncompressed, which
// RFC 3173 always allows. It never makes anything go out compressed.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>

namespace dpaccel {

inline constexpr uint32_t kIpcompProbeMin = 128;     // shorter payloads: just try
inline constexpr uint32_t kIpcompProbeSample = 512;  // bytes looked at, at most
inline constexpr double kIpcompProbeMargin = 0.3;    // bits per byte below random's expectation

namespace detail {

inline constexpr unsigned kFix = 16;  // fixed-point fraction bits of c·log2(c)

struct ProbeTables {
  std::array<uint32_t, kIpcompProbeSample + 1> clog2c{};  // c·log2(c) << kFix
  std::array<float, kIpcompProbeSample + 1> threshold{};  // bits per byte; 0 below the minimum
};

// Expected order-0 entropy of n uniformly random bytes: log2(n) − 256·E[c·log2 c] / n with
// c ~ Binomial(n, 1/256).
inline double expected_random_entropy(uint32_t n) {
  const double p = 1.0 / 256;
  double pk = std::pow(1 - p, n);  // P(c = 0)
  double e = 0;
  for (uint32_t k = 0; k < n && k < 96; ++k) {
    pk *= double(n - k) / (k + 1) * p / (1 - p);  // now P(c = k + 1)
    e += pk * (k + 1) * std::log2(double(k + 1));
  }
  return std::log2(double(n)) - 256 * e / n;
}

inline const ProbeTables& probe_tables() {
  static const ProbeTables t = [] {
    ProbeTables a;
    for (uint32_t c = 1; c <= kIpcompProbeSample; ++c)
      a.clog2c[c] = uint32_t(std::lround(c * std::log2(double(c)) * (1u << kFix)));
    for (uint32_t n = kIpcompProbeMin; n <= kIpcompProbeSample; ++n)
      a.threshold[n] = float(expected_random_entropy(n) - kIpcompProbeMargin);
    return a;
  }();
  return t;
}

}  // namespace detail

// Order-0 entropy, in bits per byte, of the probe's sample of p[0..n); *sample gets its size.
inline double ipcomp_sample_entropy(const uint8_t* p, uint32_t n, uint32_t* sample = nullptr) {
  constexpr uint32_t kSlices = 4, kSlice = kIpcompProbeSample / kSlices;
  if (sample) *sample = n < kIpcompProbeSample ? n : kIpcompProbeSample;
  if (n == 0) return 0;
  // Four histograms: consecutive equal bytes do not wait on each other's increments.
  uint16_t h[4][256] = {};
  auto add = [&h](const uint8_t* q, uint32_t len) {
    uint32_t i = 0;
    for (; i + 4 <= len; i += 4) {
      ++h[0][q[i]];
      ++h[1][q[i + 1]];
      ++h[2][q[i + 2]];
      ++h[3][q[i + 3]];
    }
    for (; i < len; ++i) ++h[0][q[i]];
  };
  if (n <= kIpcompProbeSample) {
    add(p, n);
  } else {
    for (uint32_t s = 0; s < kSlices; ++s)
      add(p + uint64_t(s) * (n - kSlice) / (kSlices - 1), kSlice);
    n = kIpcompProbeSample;
  }
  const auto& t = detail::probe_tables().clog2c;
  uint64_t s = 0;  // integer sums: no floating-point dependency chain over 256 bins
  for (unsigned b = 0; b < 256; ++b) s += t[h[0][b] + h[1][b] + h[2][b] + h[3][b]];
  return std::log2(double(n)) - double(s) / (double(n) * (1u << detail::kFix));
}

// True when the payload is long enough to probe and its sample looks like random bytes.
inline bool ipcomp_looks_incompressible(const uint8_t* p, uint32_t n) {
  if (n < kIpcompProbeMin) return false;
  uint32_t sample;
  const double h = ipcomp_sample_entropy(p, n, &sample);
  return h >= detail::probe_tables().threshold[sample];
}

}  // namespace dpaccel
