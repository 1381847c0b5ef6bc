// compress_dpaccel_cpu's small-op DEFLATE encoder and its Huffman codes, without a device:
// zlib's raw inflate is the independent decoder (it rejects over-subscribed and incomplete
// codes, and distances before the start of the data); ISA-L's, the driver's own, checks too.
#include <gtest/gtest.h>
#include <isa-l/igzip_lib.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <queue>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "deflate_huffman.hpp"
#include "small_deflate.hpp"

namespace {

using dpaccel::comp::SmallDeflate;
namespace huffman = dpaccel::comp::huffman;

enum class Kind { Text, Binary, Random, Run, AllBytes };

std::vector<uint8_t> make(Kind k, size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  static const char* words[] = {"packet ", "the ", "crypto ",  "queue ", "burst ", "of ",
                                "DPDK ",   "\n",   "deflate ", "ESP ",   "IPComp "};
  size_t i = 0;
  switch (k) {
    case Kind::Text:
      while (i < n)
        for (const char* p = words[rng() % 11]; *p && i < n; ++p) v[i++] = uint8_t(*p);
      break;
    case Kind::Binary:
      for (; i < n; ++i) v[i] = uint8_t(i % 97 < 40 ? i / 7 : rng() % 4);
      break;
    case Kind::Random:
      for (auto& b : v) b = uint8_t(rng());
      break;
    case Kind::Run: std::fill(v.begin(), v.end(), uint8_t('x')); break;
    case Kind::AllBytes:
      for (; i < n; ++i) v[i] = uint8_t(i * 37 + i / 256);
      break;
  }
  return v;
}

// ISA-L's raw inflate (the driver's own decoder) with a window of 2^hist_bits, which it holds
// distance codes to; false on any error or trailing input.
bool isal_inflate_raw(const uint8_t* c, size_t n, std::vector<uint8_t>& out, size_t cap,
                      unsigned hist_bits = 15) {
  inflate_state st;
  isal_inflate_init(&st);
  st.crc_flag = ISAL_DEFLATE;
  st.hist_bits = hist_bits;
  out.assign(cap + 64, 0);
  st.next_in = const_cast<uint8_t*>(c);
  st.avail_in = uint32_t(n);
  st.next_out = out.data();
  st.avail_out = uint32_t(out.size());
  const int rc = isal_inflate_stateless(&st);
  out.resize(st.total_out);
  return rc == ISAL_DECOMP_OK && st.avail_in == 0;
}

// zlib's raw inflate; false on any error or trailing input.
bool inflate_raw(const uint8_t* c, size_t n, std::vector<uint8_t>& out, size_t cap) {
  z_stream z{};
  if (inflateInit2(&z, -15) != Z_OK) return false;
  out.assign(cap + 64, 0);
  z.next_in = const_cast<Bytef*>(c);
  z.avail_in = uInt(n);
  z.next_out = out.data();
  z.avail_out = uInt(out.size());
  const int rc = inflate(&z, Z_FINISH);
  out.resize(z.total_out);
  inflateEnd(&z);
  return rc == Z_STREAM_END && z.avail_in == 0;
}

unsigned block_type(const std::vector<uint8_t>& c) {
  return (c[0] >> 1) & 3;
}

struct Encoder {
  SmallDeflate sd;  // about 50 KiB: one per test, not on the stack
  std::vector<uint8_t> compress(const std::vector<uint8_t>& in, int level = 1,
                                unsigned window = 15) {
    std::vector<uint8_t> out(in.size() + 64);
    const int32_t r = sd.compress(in.data(), uint32_t(in.size()), out.data(), uint32_t(out.size()),
                                  window, SmallDeflate::effort_for_level(level));
    EXPECT_GT(r, 0);
    out.resize(size_t(std::max(r, 0)));
    return out;
  }
};

std::vector<size_t> sizes() {
  std::vector<size_t> s;
  for (size_t i = 0; i <= 300; ++i) s.push_back(i);
  for (size_t i = 301; i < SmallDeflate::kMaxInput; i = i * 9 / 8) s.push_back(i);
  s.push_back(SmallDeflate::kMaxInput);
  return s;
}

TEST(SmallDeflate, RoundTripsThroughZlibAtEveryLevelSizeAndKind) {
  auto enc = std::make_unique<Encoder>();
  std::vector<uint8_t> back;
  for (Kind k : {Kind::Text, Kind::Binary, Kind::Random, Kind::Run, Kind::AllBytes})
    for (size_t n : sizes())
      for (int level : {1, 4, 9}) {
        const auto in = make(k, n, uint32_t(n * 3 + level));
        const auto c = enc->compress(in, level);
        ASSERT_TRUE(inflate_raw(c.data(), c.size(), back, n))
            << "kind " << int(k) << " size " << n << " level " << level;
        ASSERT_EQ(back, in) << "kind " << int(k) << " size " << n << " level " << level;
        ASSERT_TRUE(isal_inflate_raw(c.data(), c.size(), back, n))
            << "kind " << int(k) << " size " << n << " level " << level;
        ASSERT_EQ(back, in) << "kind " << int(k) << " size " << n << " level " << level;
        ASSERT_LE(c.size(), n + 5) << "never larger than one stored block";
      }
}

TEST(SmallDeflate, MatchesStayWithinTheWindow) {
  // 1500 random bytes twice: the only matches are 1500 bytes back. zlib's one-shot inflate
  // does not hold distances to its window (only an INFLATE_STRICT build does), so the sizes
  // are the proof: below a 2 KiB window the output must be one stored block.
  auto in = make(Kind::Random, 1500, 7);
  in.insert(in.end(), in.begin(), in.end());
  auto enc = std::make_unique<Encoder>();
  std::vector<uint8_t> back;
  for (unsigned w = 8; w <= 15; ++w) {
    const auto c = enc->compress(in, 9, w);
    EXPECT_TRUE(inflate_raw(c.data(), c.size(), back, in.size())) << w;
    EXPECT_EQ(back, in) << w;
    EXPECT_TRUE(isal_inflate_raw(c.data(), c.size(), back, in.size(), w)) << w;
    EXPECT_EQ(back, in) << w;
    if (w >= 11)
      EXPECT_LT(c.size(), 1600u) << w << ": the repeat is in the window";
    else
      EXPECT_EQ(c.size(), in.size() + 5) << w << ": nothing to match within the window";
  }
  // compressdev's smallest window, 256 bytes, on text: still compresses.
  const auto text = make(Kind::Text, SmallDeflate::kMaxInput, 8);
  const auto narrow = enc->compress(text, 9, 8);
  EXPECT_TRUE(inflate_raw(narrow.data(), narrow.size(), back, text.size()));
  EXPECT_EQ(back, text);
  EXPECT_LT(narrow.size(), text.size() / 2);
}

TEST(SmallDeflate, OutOfSpaceIsExactAndWritesNothing) {
  auto enc = std::make_unique<Encoder>();
  const auto effort = SmallDeflate::effort_for_level(1);
  std::vector<uint8_t> back;
  for (Kind k : {Kind::Text, Kind::Random, Kind::Run})
    for (size_t n : {0u, 1u, 17u, 64u, 300u, 1500u}) {
      const auto in = make(k, n, uint32_t(n));
      const auto ref = enc->compress(in);  // the preferred block, given all the room it wants
      const uint32_t size = uint32_t(ref.size());
      // Every room up to past the writer's 8 bytes of slack: below some size every op fails,
      // from it on every op succeeds; an op that fits the preferred block writes exactly it.
      bool fitted = false;
      for (uint32_t room = 0; room <= size + 9; ++room) {
        std::vector<uint8_t> buf(size + 32, 0xA5);
        const int32_t r = enc->sd.compress(in.data(), uint32_t(n), buf.data(), room, 15, effort);
        SCOPED_TRACE("kind " + std::to_string(int(k)) + " size " + std::to_string(n) + " room " +
                     std::to_string(room));
        if (r < 0) {
          ASSERT_FALSE(fitted) << "failed with more room than a success had";
        } else {
          fitted = true;
          ASSERT_LE(uint32_t(r), room);
          ASSERT_TRUE(inflate_raw(buf.data(), size_t(r), back, n));
          ASSERT_EQ(back, in);
        }
        if (room >= size) {
          ASSERT_EQ(r, int32_t(size));
          EXPECT_TRUE(std::equal(ref.begin(), ref.end(), buf.begin()));
        }
        // Failed: nothing written. Succeeded: the writer may use the room past the result
        // as slack, never a byte beyond the room.
        for (size_t i = r < 0 ? 0 : room; i < buf.size(); ++i)
          ASSERT_EQ(buf[i], 0xA5) << "byte " << i << " written";
      }
      EXPECT_TRUE(fitted);
    }
  std::vector<uint8_t> big(SmallDeflate::kMaxInput + 1, 'a'), out(big.size() * 2);
  EXPECT_EQ(enc->sd.compress(big.data(), uint32_t(big.size()), out.data(), uint32_t(out.size()), 15,
                             effort),
            -1);
}

TEST(SmallDeflate, AStoredPreferenceGivesWayToACompressedBlockThatFits) {
  // Bytes uniform over 180 values: dynamic codes save about 4 %, under the 1/16 that makes the
  // encoder prefer a stored block. IPComp offers the room of a result worth sending (payload
  // - 5 here): the compressed block fits it and must be written, not "out of space".
  std::mt19937 rng(9);
  std::vector<uint8_t> in(SmallDeflate::kMaxInput);
  for (auto& b : in) b = uint8_t(rng() % 180);
  auto enc = std::make_unique<Encoder>();
  const auto preferred = enc->compress(in);
  ASSERT_EQ(block_type(preferred), 0u);
  ASSERT_EQ(preferred.size(), in.size() + 5);
  std::vector<uint8_t> out(in.size()), back;
  const int32_t r =
      enc->sd.compress(in.data(), uint32_t(in.size()), out.data(), uint32_t(in.size() - 5), 15,
                       SmallDeflate::effort_for_level(1));
  ASSERT_GT(r, 0);
  EXPECT_LT(size_t(r), in.size() - 5);
  EXPECT_EQ(block_type(out), 2u);
  ASSERT_TRUE(inflate_raw(out.data(), size_t(r), back, in.size()));
  EXPECT_EQ(back, in);
}

TEST(SmallDeflate, PicksTheBlockTypeBySize) {
  auto enc = std::make_unique<Encoder>();
  const auto random = make(Kind::Random, 1000, 1);
  const auto stored = enc->compress(random);
  EXPECT_EQ(block_type(stored), 0u);
  EXPECT_EQ(stored.size(), random.size() + 5);
  EXPECT_TRUE(std::equal(random.begin(), random.end(), stored.begin() + 5));
  // Three literals: 3 + 3 * 8 + 7 bits in fixed codes, 5 bytes; stored takes 8, dynamic more.
  const auto fixed = enc->compress({'a', 'b', 'c'});
  EXPECT_EQ(block_type(fixed), 1u);
  EXPECT_EQ(fixed.size(), 5u);
  const auto text = make(Kind::Text, 1500, 2);
  const auto dynamic = enc->compress(text);
  EXPECT_EQ(block_type(dynamic), 2u);
}

TEST(SmallDeflate, EachOpIgnoresWhatEarlierOpsLeftInTheTable) {
  // The hash table is never cleared: entries of earlier ops must be dead, so an op's output is
  // the same as on a fresh encoder. Across the generation wrap-around too.
  auto used = std::make_unique<Encoder>();
  std::vector<std::vector<uint8_t>> inputs;
  for (uint32_t i = 0; i < 40; ++i)
    inputs.push_back(make(i % 2 ? Kind::Text : Kind::Binary, 200 + i * 97, i));
  // Levels alternate: level 1 keeps no chain links, 4 and 9 follow them.
  for (uint32_t start : {1u, UINT32_MAX - 3 * SmallDeflate::kMaxInput}) {
    used->sd.restart_generations_at(start);
    int level = 0;
    for (const auto& in : inputs) {
      level = level == 1 ? 9 : level == 9 ? 4 : 1;
      auto fresh = std::make_unique<Encoder>();
      ASSERT_EQ(used->compress(in, level), fresh->compress(in, level))
          << in.size() << " level " << level << " from " << start;
    }
  }
}

// --- Huffman code lengths and canonical codes ---

// Sum over used symbols of 2^-len, times 2^max_len: exactly 2^max_len for a complete code.
uint64_t kraft(const uint8_t* len, const huffman::Used& u, unsigned max_len) {
  uint64_t k = 0;
  for (unsigned i = 0; i < u.n; ++i) k += uint64_t(1) << (max_len - len[u.sym[i]]);
  return k;
}

// A textbook Huffman code's cost (sum of freq * length) and depth (ties merge the shallower
// first, which gives the smallest depth an optimal code can have), for comparison.
std::pair<uint64_t, unsigned> reference_code(const std::vector<uint32_t>& freq) {
  using Node = std::pair<uint64_t, unsigned>;  // weight, depth
  std::priority_queue<Node, std::vector<Node>, std::greater<>> q;
  for (uint32_t f : freq)
    if (f) q.push({f, 0});
  uint64_t cost = 0;
  while (q.size() > 1) {
    const Node a = q.top();
    q.pop();
    const Node b = q.top();
    q.pop();
    cost += a.first + b.first;
    q.push({a.first + b.first, std::max(a.second, b.second) + 1});
  }
  return {cost, q.top().second};
}

TEST(DeflateHuffman, LengthsAreOptimalAndComplete) {
  std::mt19937 rng(3);
  for (int t = 0; t < 500; ++t) {
    const unsigned nsym = 2 + rng() % (huffman::kMaxSymbols - 1);
    std::vector<uint32_t> freq(nsym);
    for (auto& f : freq) f = rng() % 3 == 0 ? 0 : 1 + rng() % (t % 2 ? 50 : 5000);
    freq[rng() % nsym] = 1 + rng() % 9;  // at least one used
    freq[rng() % nsym] += 1;
    huffman::Used u(freq.data(), nsym);
    if (u.n < 2) continue;
    std::vector<uint8_t> len(nsym, 0);
    huffman::build_lengths(freq.data(), u, 15, len.data());
    uint64_t cost = 0;
    unsigned longest = 0;
    for (unsigned s = 0; s < nsym; ++s) {
      cost += uint64_t(freq[s]) * len[s];
      longest = std::max<unsigned>(longest, len[s]);
      EXPECT_EQ(freq[s] != 0, len[s] != 0) << s;
    }
    EXPECT_LE(longest, 15u);
    const auto [ref_cost, ref_depth] = reference_code(freq);
    if (ref_depth <= 15) {
      EXPECT_EQ(cost, ref_cost) << "trial " << t;  // the limit did not bind: optimal
    } else {
      EXPECT_GT(cost, ref_cost);
    }
    EXPECT_EQ(kraft(len.data(), u, 15), uint64_t(1) << 15) << "trial " << t;
  }
}

TEST(DeflateHuffman, LengthLimitHoldsOnFibonacciWeights) {
  // Fibonacci weights give an unlimited Huffman code of depth n - 1: the worst case.
  for (unsigned max_len : {7u, 15u}) {
    std::vector<uint32_t> freq(24);  // the largest, 46368, within build_lengths' 65536
    uint32_t a = 1, b = 1;
    for (auto& f : freq) {
      f = a;
      a = std::exchange(b, a + b);
    }
    huffman::Used u(freq.data(), 24);
    std::vector<uint8_t> len(24, 0);
    huffman::build_lengths(freq.data(), u, max_len, len.data());
    EXPECT_LE(*std::max_element(len.begin(), len.end()), max_len);
    EXPECT_EQ(kraft(len.data(), u, max_len), uint64_t(1) << max_len);
  }
}

TEST(DeflateHuffman, NoneOrOneUsedSymbolGetsACompleteTwoCodeTree) {
  for (int used : {-1, 0, 5}) {
    std::vector<uint32_t> freq(30, 0);
    if (used >= 0) freq[size_t(used)] = 7;
    huffman::Used u(freq.data(), 30);
    std::vector<uint8_t> len(30, 0);
    huffman::build_lengths(freq.data(), u, 15, len.data());
    ASSERT_EQ(u.n, 2u);
    EXPECT_EQ(len[u.sym[0]], 1);
    EXPECT_EQ(len[u.sym[1]], 1);
    if (used >= 0) {
      EXPECT_TRUE(u.sym[0] == used || u.sym[1] == used);
    }
  }
}

TEST(DeflateHuffman, CanonicalCodesAreRfc1951s) {
  // RFC 1951 §3.2.2's example: lengths (3, 3, 3, 3, 3, 2, 4, 4) for A..H give codes
  // 010 011 100 101 110 00 1110 1111, sent most significant bit first (stored reversed).
  const uint8_t len[8] = {3, 3, 3, 3, 3, 2, 4, 4};
  const uint32_t freq[8] = {1, 1, 1, 1, 1, 1, 1, 1};
  huffman::Used u(freq, 8);
  uint16_t code[8];
  huffman::assign_codes(len, u, code);
  const unsigned expect[8] = {0b010, 0b011, 0b100, 0b101, 0b110, 0b00, 0b1110, 0b1111};
  for (unsigned s = 0; s < 8; ++s) {
    unsigned rev = 0;
    for (unsigned b = 0; b < len[s]; ++b) rev |= ((expect[s] >> b) & 1u) << (len[s] - 1 - b);
    EXPECT_EQ(code[s], rev) << "symbol " << s;
  }
}

}  // namespace
