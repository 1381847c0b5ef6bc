// compress_dpaccel_cpu: DEFLATE's Huffman codes (RFC 1951 §3.2.2) for the small-op encoder:
// length-limited minimum-redundancy code lengths and canonical codes, computed over the
// symbols that occur only — a small op uses a few dozen of the 286 literal/length symbols.
#pragma once

#include <cstdint>

namespace dpaccel::comp::huffman {

constexpr unsigned kMaxSymbols = 286;  // the literal/length alphabet, the largest

// The symbols of an alphabet that occur, in symbol order: everything after matching works on
// these alone, so a 64-byte op does not walk 286 literal/length symbols five times.
struct Used {
  uint16_t sym[kMaxSymbols];
  unsigned n = 0;
  Used(const uint32_t* freq, unsigned nsym) {
    for (unsigned s = 0; s < nsym; ++s) {  // branch-free: most symbols of a small op are unused
      sym[n] = uint16_t(s);
      n += freq[s] != 0;
    }
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
