// compress_dpaccel_cpu: DEFLATE's Huffman codes (RFC 1951 §3.2.2) for the small-op encoder.
#include "deflate_huffman.hpp"

#include <algorithm>
#include <cstring>

namespace dpaccel::comp::huffman {

namespace {

// Moffat and Katajainen, "In-place calculation of minimum-redundancy codes" (1995):
// w[0..n) ascending weights, n >= 2; on return w[i] is the i-th symbol's code length.
void minimum_redundancy_lengths(uint32_t* w, int n) {
  w[0] += w[1];
  int root = 0, leaf = 2;
  for (int next = 1; next < n - 1; ++next) {
    if (leaf >= n || w[root] < w[leaf]) {
      w[next] = w[root];
      w[root++] = uint32_t(next);
    } else {
      w[next] = w[leaf++];
    }
    if (leaf >= n || (root < next && w[root] < w[leaf])) {
      w[next] += w[root];
      w[root++] = uint32_t(next);
    } else {
      w[next] += w[leaf++];
    }
  }
  w[n - 2] = 0;
  for (int next = n - 3; next >= 0; --next) w[next] = w[w[next]] + 1;
  int avail = 1, used = 0, depth = 0, next = n - 1;
  root = n - 2;
  while (avail > 0) {
    while (root >= 0 && int(w[root]) == depth) {
      ++used;
      --root;
    }
    while (avail > used) {
      w[next--] = uint32_t(depth);
      --avail;
    }
    avail = 2 * used;
    ++depth;
    used = 0;
  }
}

constexpr uint8_t reverse8(unsigned b) {
  unsigned r = 0;
  for (unsigned i = 0; i < 8; ++i, b >>= 1) r = r << 1 | (b & 1);
  return uint8_t(r);
}

constexpr struct Reverse8 {
  uint8_t v[256]{};
  constexpr Reverse8() {
    for (unsigned b = 0; b < 256; ++b) v[b] = reverse8(b);
  }
} kRev8;

}  // namespace

void build_lengths(const uint32_t* freq, Used& used, unsigned max_len, uint8_t* len) {
  const unsigned m = used.n;
  if (m < 2) {
    const unsigned a = m ? used.sym[0] : 0, b = a ? 0 : 1;
    len[a] = len[b] = 1;
    used.sym[0] = uint16_t(std::min(a, b));
    used.sym[1] = uint16_t(std::max(a, b));
    used.n = 2;
    return;
  }
  // Symbols by ascending frequency, ties in symbol order: a counting sort when frequencies are
  // small (always for small ops: no compare-and-branch per pair to mispredict).
  uint16_t order[kMaxSymbols];
  uint32_t max_freq = 0;
  for (unsigned i = 0; i < m; ++i) max_freq = std::max(max_freq, freq[used.sym[i]]);
  if (max_freq < 2048) {
    uint16_t start[2049];
    std::memset(start, 0, (max_freq + 1) * sizeof(start[0]));
    for (unsigned i = 0; i < m; ++i) ++start[freq[used.sym[i]]];
    for (unsigned f = 0, sum = 0; f <= max_freq; ++f) {
      const unsigned c = start[f];
      start[f] = uint16_t(sum);
      sum += c;
    }
    for (unsigned i = 0; i < m; ++i) order[start[freq[used.sym[i]]]++] = used.sym[i];
  } else {
    uint32_t key[kMaxSymbols];
    for (unsigned i = 0; i < m; ++i) key[i] = freq[used.sym[i]] << 9 | used.sym[i];
    std::sort(key, key + m);  // freq <= 65536: the shift cannot overflow
    for (unsigned i = 0; i < m; ++i) order[i] = uint16_t(key[i] & 511);
  }
  uint32_t w[kMaxSymbols];
  // Over-long codes are rare on small inputs (a length of 16 needs a Fibonacci-like spread of
  // thousands of symbols; the 7-bit code-length code is the usual case): flatten the weights
  // and recompute until they fit. Order is kept, so the sort still holds.
  for (unsigned shift = 0;; ++shift) {
    for (unsigned i = 0; i < m; ++i) w[i] = std::max(1u, freq[order[i]] >> shift);
    minimum_redundancy_lengths(w, int(m));
    if (w[0] <= max_len) break;
  }
  for (unsigned i = 0; i < m; ++i) len[order[i]] = uint8_t(w[i]);
}

void assign_codes(const uint8_t* len, const Used& used, uint16_t* code) {
  uint16_t count[16]{}, next[16]{};
  for (unsigned i = 0; i < used.n; ++i) ++count[len[used.sym[i]]];
  for (unsigned b = 1, c = 0; b < 16; ++b) next[b] = uint16_t(c = (c + count[b - 1]) << 1);
  for (unsigned i = 0; i < used.n; ++i) {
    const unsigned s = used.sym[i];
    const uint32_t c = next[len[s]]++;
    code[s] = uint16_t((uint32_t(kRev8.v[c & 0xff]) << 8 | kRev8.v[c >> 8]) >> (16 - len[s]));
  }
}

}  // namespace dpaccel::comp::huffman
