// compress_dpaccel_cpu: DEFLATE's Huffman codes (RFC 1951 §3.2.2) for the small-op encoder:
// length-limited minimum-redundancy code lengths and canonical codes, computed over the
// symbols that occur only — a small op uses a few dozen of the 286 literal/length symbols.
#pragma once

#include <cstdint>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace dpaccel::comp::huffman {

constexpr unsigned kMaxSymbols = 288;  // the fixed literal/length code's, the largest

// The symbols of an alphabet that occur, in symbol order: everything after matching works on
// these alone, so a 64-byte op does not walk 286 literal/length symbols five times.
struct Used {
  uint16_t sym[kMaxSymbols];
  unsigned n = 0;
  Used() = default;
  Used(const uint32_t* freq, unsigned nsym) { init(freq, nsym); }
  void init(const uint32_t* freq, unsigned nsym) {
    // A bitmap of the used symbols, 16 at a time with SSE2, then its set bits in order: a
    // branch per used symbol and per 64 symbols, not per symbol.
    uint64_t bits[(kMaxSymbols + 63) / 64]{};
    unsigned s = 0;
#ifdef __SSE2__
    const __m128i zero = _mm_setzero_si128();
    for (; s + 16 <= nsym; s += 16) {
      const auto* p = reinterpret_cast<const __m128i*>(freq + s);
      const __m128i a = _mm_packs_epi32(_mm_cmpeq_epi32(_mm_loadu_si128(p), zero),
                                        _mm_cmpeq_epi32(_mm_loadu_si128(p + 1), zero));
      const __m128i b = _mm_packs_epi32(_mm_cmpeq_epi32(_mm_loadu_si128(p + 2), zero),
                                        _mm_cmpeq_epi32(_mm_loadu_si128(p + 3), zero));
      const uint64_t used = ~unsigned(_mm_movemask_epi8(_mm_packs_epi16(a, b))) & 0xffffu;
      bits[s / 64] |= used << (s % 64);
    }
#endif
    for (; s < nsym; ++s) bits[s / 64] |= uint64_t(freq[s] != 0) << (s % 64);
    n = 0;
    for (unsigned w = 0; w * 64 < nsym; ++w)
      for (uint64_t b = bits[w]; b; b &= b - 1) sym[n++] = uint16_t(w * 64 + __builtin_ctzll(b));
  }
};

// Code lengths of the used symbols, none longer than max_len, written to len[sym] (entries of
// unused symbols are left alone). The code is complete (Kraft sum exactly 1) and has at least
// two symbols: a lone or missing symbol gets a partner, added to `used`, as every inflater
// accepts that. freq[s] <= 65536.
void build_lengths(const uint32_t* freq, Used& used, unsigned max_len, uint8_t* len);

// Canonical codes (§3.2.2) of the used symbols, bit-reversed: DEFLATE sends Huffman codes most
// significant bit first into a least-significant-bit-first stream.
void assign_codes(const uint8_t* len, const Used& used, uint16_t* code);

}  // namespace dpaccel::comp::huffman
