// compress_dpaccel_cpu: the small-input DEFLATE encoder (see small_deflate.hpp for why).
#include "small_deflate.hpp"

#include "deflate_huffman.hpp"
#include "deflate_tables.hpp"

#include <algorithm>
#include <cstring>

namespace dpaccel::comp {

// Stored-block lengths and the bit writer's 64-bit stores are written in host order.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "little-endian host assumed");

namespace {

using huffman::assign_codes;
using huffman::build_lengths;
using huffman::Used;
constexpr unsigned kMaxSyms = SmallDeflate::kLitLenSyms;  // a dynamic block's (HLIT <= 286)

using rfc1951::kDistBase;
using rfc1951::kDistExtra;
using rfc1951::kLenBase;
using rfc1951::kLenExtra;
// §3.2.7: the order in which the code-length code's lengths are sent.
constexpr uint8_t kClOrder[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
constexpr uint8_t kClExtra[19] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 3, 7};

struct Tables {
  uint8_t len_code[256]{};   // match length - 3 -> length code 0..28 (symbol 257 + code)
  uint8_t dist_code[512]{};  // distance - 1 < 256: [d - 1]; else [256 + ((d - 1) >> 7)]
};

constexpr Tables make_tables() {
  Tables t;
  for (unsigned c = 0; c < 29; ++c)
    for (unsigned l = kLenBase[c]; l < kLenBase[c] + (1u << kLenExtra[c]) && l <= 258; ++l)
      t.len_code[l - 3] = uint8_t(c);
  t.len_code[258 - 3] = 28;  // 258 has a code of its own (284 + 31 extra would also spell it)
  for (unsigned c = 0; c < 30; ++c)
    for (unsigned d = kDistBase[c]; d < kDistBase[c] + (1u << kDistExtra[c]); ++d)
      if (d <= 256)
        t.dist_code[d - 1] = uint8_t(c);
      else
        t.dist_code[256 + ((d - 1) >> 7)] = uint8_t(c);
  return t;
}

constexpr Tables kT = make_tables();

// §3.2.6: the fixed codes' lengths, their codes assigned canonically like any other's, over all
// 288 literal/length symbols (286 and 287 are never sent, but they count among the 8-bit codes
// that come before the 9-bit ones).
struct FixedCodes {
  static constexpr unsigned kLit = huffman::kMaxSymbols;
  uint8_t lit_len[kLit];
  uint16_t lit_code[kLit];
  uint8_t dist_len[30];
  uint16_t dist_code[30];
  FixedCodes() {
    uint32_t every[kLit];
    std::fill(every, every + kLit, 1u);
    for (unsigned s = 0; s < kLit; ++s) lit_len[s] = s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8;
    assign_codes(lit_len, Used(every, kLit), lit_code);
    std::fill(dist_len, dist_len + 30, uint8_t(5));
    assign_codes(dist_len, Used(every, 30), dist_code);
  }
};
const FixedCodes kFixed;

constexpr uint64_t kDynamicMinSaving = 8;  // bytes, at most; see compress()

inline unsigned dist_code_of(uint32_t d) {
  return d <= 256 ? kT.dist_code[d - 1] : kT.dist_code[256 + ((d - 1) >> 7)];
}

inline uint32_t load32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

inline uint64_t load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// Bytes a[0..max) and b[0..max) have in common from the start.
inline uint32_t match_length(const uint8_t* a, const uint8_t* b, uint32_t max) {
  uint32_t k = 0;
  for (; k + 8 <= max; k += 8)
    if (uint64_t x = load64(a + k) ^ load64(b + k)) return k + uint32_t(__builtin_ctzll(x)) / 8;
  while (k < max && a[k] == b[k]) ++k;
  return k;
}

// Least-significant-bit-first writer without branches: every put stores 8 bytes and moves on
// by the whole bytes it completed. The caller has checked the exact size against the room and
// gives it kWriteSlack bytes beyond that size to overrun. Pass it by value: its own stores go
// through a uint8_t pointer, which may alias anything in memory, a writer held by reference
// included, and would make every put reload it.
constexpr uint32_t kWriteSlack = 8;
struct BitWriter {
  uint8_t* p;
  uint64_t acc = 0;
  unsigned n = 0;                        // bits in acc, < 8 between puts
  void put(uint64_t v, unsigned bits) {  // bits <= 56
    acc |= v << n;
    n += bits;
    std::memcpy(p, &acc, 8);
    p += n >> 3;
    acc >>= n & ~7u;
    n &= 7;
  }
  uint8_t* finish() { return p + (n > 0); }  // the last put stored the partial byte
};

BitWriter write_symbols(BitWriter w, const uint32_t* syms, uint32_t count, const uint16_t* lcode,
                        const uint8_t* llen, const uint16_t* dcode, const uint8_t* dlen) {
  for (uint32_t i = 0; i < count; ++i) {
    const uint32_t d = syms[i] & 0xffff, v = syms[i] >> 16;
    if (!d) {
      w.put(lcode[v], llen[v]);
      continue;
    }
    const unsigned lc = kT.len_code[v], ls = 257 + lc, dc = dist_code_of(d);
    const unsigned lbits = llen[ls] + kLenExtra[lc];
    const uint64_t len_part = lcode[ls] | uint64_t(v + 3 - kLenBase[lc]) << llen[ls];
    const uint64_t dist_part = dcode[dc] | uint64_t(d - kDistBase[dc]) << dlen[dc];
    w.put(len_part | dist_part << lbits, lbits + dlen[dc] + kDistExtra[dc]);  // <= 48 bits
  }
  w.put(lcode[256], llen[256]);
  return w;
}

// A dynamic block's code lengths (§3.2.7): literal/length and distance lengths as one
// run-length-coded sequence over the 19-symbol code-length alphabet.
struct DynamicHeader {
  uint8_t lit_len[kMaxSyms];
  uint16_t lit_code[kMaxSyms];
  uint8_t dist_len[30];
  uint16_t dist_code[30];
  uint8_t cl_len[19];
  uint16_t cl_code[19];
  uint8_t cl_sym[kMaxSyms + 30];
  uint8_t cl_extra[kMaxSyms + 30];
  unsigned ncl = 0, hlit = 257, hdist = 1, hclen = 4;
  Used lit, dist, cl;

  // Builds the codes and returns the block's size in bits, header and data.
  uint64_t build(const uint32_t* lit_freq, const uint32_t* dist_freq, uint32_t extra_bits) {
    lit.init(lit_freq, kMaxSyms);
    dist.init(dist_freq, 30);
    build_lengths(lit_freq, lit, 15, lit_len);
    build_lengths(dist_freq, dist, 15, dist_len);
    hlit = std::max(257u, unsigned(lit.sym[lit.n - 1]) + 1);  // end of block is always used
    hdist = unsigned(dist.sym[dist.n - 1]) + 1;
    // Run-length coding of lit_len[0..hlit) ++ dist_len[0..hdist), walked through the used
    // symbols: a gap between two of them is a run of zeros.
    uint32_t cl_freq[19]{};
    auto emit = [&](unsigned sym, unsigned extra) {
      cl_sym[ncl] = uint8_t(sym);
      cl_extra[ncl++] = uint8_t(extra);
      ++cl_freq[sym];
    };
    auto zeros = [&](unsigned run) {
      for (; run >= 11; run -= std::min(run, 138u)) emit(18, std::min(run, 138u) - 11);
      if (run >= 3) return emit(17, run - 3);
      for (; run; --run) emit(0, 0);
    };
    auto repeat = [&](unsigned v, unsigned run) {  // run >= 1
      emit(v, 0);
      for (--run; run >= 3; run -= std::min(run, 6u)) emit(16, std::min(run, 6u) - 3);
      for (; run; --run) emit(v, 0);
    };
    unsigned run_len = 0, run_val = 0, next_pos = 0;  // the pending run ends before next_pos
    auto add = [&](unsigned pos, unsigned l) {
      if (run_len && pos == next_pos && l == run_val) {
        ++run_len;
      } else {
        if (run_len) repeat(run_val, run_len);
        zeros(pos - next_pos);
        run_val = l;
        run_len = 1;
      }
      next_pos = pos + 1;
    };
    for (unsigned i = 0; i < lit.n; ++i) add(lit.sym[i], lit_len[lit.sym[i]]);
    for (unsigned i = 0; i < dist.n; ++i) add(hlit + dist.sym[i], dist_len[dist.sym[i]]);
    repeat(run_val, run_len);
    cl.init(cl_freq, 19);
    std::memset(cl_len, 0, sizeof(cl_len));  // the header sends all 19, unused ones as 0
    build_lengths(cl_freq, cl, 7, cl_len);
    hclen = 19;
    while (hclen > 4 && cl_len[kClOrder[hclen - 1]] == 0) --hclen;
    uint64_t bits = 3 + 5 + 5 + 4 + 3 * hclen + extra_bits;
    for (unsigned i = 0; i < cl.n; ++i) {
      const unsigned s = cl.sym[i];
      bits += uint64_t(cl_freq[s]) * (cl_len[s] + kClExtra[s]);
    }
    for (unsigned i = 0; i < lit.n; ++i)
      bits += uint64_t(lit_freq[lit.sym[i]]) * lit_len[lit.sym[i]];
    for (unsigned i = 0; i < dist.n; ++i)
      bits += uint64_t(dist_freq[dist.sym[i]]) * dist_len[dist.sym[i]];
    return bits;
  }

  // The canonical codes, once the dynamic block is the one to write.
  void assign() {
    assign_codes(lit_len, lit, lit_code);
    assign_codes(dist_len, dist, dist_code);
    assign_codes(cl_len, cl, cl_code);
  }

  BitWriter write(BitWriter w) const {
    w.put(1 | 2 << 1, 3);  // BFINAL, BTYPE 10: dynamic Huffman codes
    w.put(hlit - 257, 5);
    w.put(hdist - 1, 5);
    w.put(hclen - 4, 4);
    for (unsigned i = 0; i < hclen; ++i) w.put(cl_len[kClOrder[i]], 3);
    for (unsigned i = 0; i < ncl; ++i) {
      const unsigned s = cl_sym[i];
      w.put(cl_code[s] | uint64_t(cl_extra[i]) << cl_len[s], cl_len[s] + kClExtra[s]);
    }
    return w;
  }
};

}  // namespace

SmallDeflate::Effort SmallDeflate::effort_for_level(int level) {
  // Measured against ISA-L levels 1, 2 and 3 (compress_isal maps 1 -> 1, 2 -> 2, 3-9 -> 3), on the
  // project's docs and on the tests' synthetic text and binary data: levels 1-2 probe the hash head
  // only and stay within 0.2 % of ISA-L level 1's ratio (mostly better); 3-9 follow chains with
  // lazy matching, for a better ratio than ISA-L 2 and 3. max_input: about where each stops being
  // faster than ISA-L on this Zen 5.
  if (level <= 2) return {1, 0, 8, 1024};
  if (level <= 5) return {8, 8, 258, 1024};
  return {32, 32, 258, 1024};
}

SmallDeflate::SmallDeflate() {
  std::memset(head_, 0, sizeof(head_));
}

void SmallDeflate::restart_generations_at(uint32_t base) {
  std::memset(head_, 0, sizeof(head_));
  base_ = std::max(base, 1u);
}

template <bool kChains>
void SmallDeflate::find_matches(const uint8_t* in, uint32_t n, uint32_t max_dist, Effort effort) {
  uint32_t* syms = syms_;
  uint32_t ns = 0, extra = 0;
  auto literal = [&](uint8_t c) {
    syms[ns++] = uint32_t(c) << 16;
    ++lit_freq_[c];
  };
  if (n >= 4) {
    // A new generation: every head_ entry written by an earlier op is now below base.
    if (base_ > UINT32_MAX - 2 * kMaxInput) {
      std::memset(head_, 0, sizeof(head_));
      base_ = 1;
    }
    const uint32_t base = base_;
    base_ += n;
    const uint32_t last = n - 3;  // positions with 4 bytes to hash
    // Inserts p; returns the previous position with the same hash, + 1 (0: none).
    auto insert = [&](uint32_t p) -> uint32_t {
      const uint32_t h = (load32(in + p) * 0x9E3779B1u) >> (32 - kHashBits);
      const uint32_t e = head_[h];
      head_[h] = base + p;
      const uint32_t c = e >= base ? e - base + 1 : 0;
      if constexpr (kChains) prev_[p] = uint16_t(c);
      return c;
    };
    // Longest match (>= 4) for p among `effort.max_chain` candidates from `cand`; 0 if none.
    auto longest = [&](uint32_t p, uint32_t cand, uint32_t& dist) -> uint32_t {
      const uint32_t max = std::min(258u, n - p);
      uint32_t best = 3;
      for (uint32_t chain = kChains ? effort.max_chain : 1; cand && chain;
           --chain, cand = kChains ? prev_[cand - 1] : 0) {
        const uint32_t q = cand - 1;
        if (p - q > max_dist) break;  // the chain only gets older
        if (in[q + best] != in[p + best]) continue;
        const uint32_t len = match_length(in + q, in + p, max);
        if (len > best) {
          best = len;
          dist = p - q;
          if (len == max) break;
        }
      }
      return best > 3 ? best : 0;
    };
    uint32_t p = 0, inserted = 0;  // positions below `inserted` are in the table
    while (p < last) {
      uint32_t dist = 0;
      uint32_t len = longest(p, insert(p), dist);
      inserted = p + 1;
      if (!len) {
        literal(in[p++]);
        continue;
      }
      // Lazy evaluation: a longer match one byte on wins over this one.
      while (len < effort.lazy_below && p + 1 < last) {
        uint32_t dist2 = 0;
        const uint32_t len2 = longest(p + 1, insert(p + 1), dist2);
        inserted = p + 2;
        if (len2 <= len) break;
        literal(in[p++]);
        len = len2;
        dist = dist2;
      }
      const unsigned lc = kT.len_code[len - 3], dc = dist_code_of(dist);
      syms[ns++] = (len - 3) << 16 | dist;
      ++lit_freq_[257 + lc];
      ++dist_freq_[dc];
      extra += kLenExtra[lc] + kDistExtra[dc];
      for (const uint32_t end = std::min({p + len, last, p + 1 + effort.insert_in_match});
           inserted < end; ++inserted)
        insert(inserted);
      inserted = std::max(inserted, p + len);
      p += len;
    }
    for (; p < n; ++p) literal(in[p]);
  } else {
    for (uint32_t p = 0; p < n; ++p) literal(in[p]);
  }
  nsyms_ = ns;
  extra_bits_ = extra;
}

int32_t SmallDeflate::compress(const uint8_t* in, uint32_t n, uint8_t* out, uint32_t room,
                               unsigned window_bits, Effort effort) noexcept {
  if (n > kMaxInput) return -1;
  std::memset(lit_freq_, 0, sizeof(lit_freq_));
  std::memset(dist_freq_, 0, sizeof(dist_freq_));
  if (effort.max_chain > 1)
    find_matches<true>(in, n, 1u << window_bits, effort);
  else
    find_matches<false>(in, n, 1u << window_bits, effort);
  lit_freq_[256] = 1;  // end of block

  // Exact sizes of the three encodings, then the block type by size, with two biases towards
  // what decodes fast: a dynamic block must save min(8 bytes, 1/16) over fixed codes (an
  // inflater builds decoding tables for every dynamic block, ISA-L: 2-3 thousand cycles;
  // fixed codes have precomputed ones), and compression must save more than 1/16 over a stored
  // block (which decodes as a copy). Measured on the docs corpus in 64-byte ops, ISA-L's
  // inflate of our output: 1650 cycles without either rule, 1060 with both (ISA-L level 1's own
  // output: 980), ratio 93.2 % -> 94.9 % (ISA-L level 1: 96.2 %); no change from 256 B up.
  DynamicHeader dyn;
  const uint64_t dyn_bytes = (dyn.build(lit_freq_, dist_freq_, extra_bits_) + 7) / 8;
  uint64_t fixed_bits = 3 + extra_bits_;  // over the used symbols build() found
  for (unsigned i = 0; i < dyn.lit.n; ++i)
    fixed_bits += uint64_t(lit_freq_[dyn.lit.sym[i]]) * kFixed.lit_len[dyn.lit.sym[i]];
  for (unsigned i = 0; i < dyn.dist.n; ++i) fixed_bits += uint64_t(dist_freq_[dyn.dist.sym[i]]) * 5;
  const uint64_t fixed_bytes = (fixed_bits + 7) / 8;
  const uint64_t stored_bytes = uint64_t(n) + 5;  // header byte, LEN, NLEN, data
  struct Choice {
    enum { kStored, kFixedBlock, kDynamicBlock } kind;
    uint64_t bytes;
  };
  Choice preferred{Choice::kFixedBlock, fixed_bytes};
  if (dyn_bytes + std::min(kDynamicMinSaving, fixed_bytes / 16) <= fixed_bytes)
    preferred = {Choice::kDynamicBlock, dyn_bytes};
  if (stored_bytes <= preferred.bytes + preferred.bytes / 16)
    preferred = {Choice::kStored, stored_bytes};
  // The biases give way to fitting: the smallest encoding, if it fits. (IPComp, for one, gives
  // the room of a result worth sending, less than a stored block needs.)
  Choice smallest{Choice::kFixedBlock, fixed_bytes};
  if (dyn_bytes < smallest.bytes) smallest = {Choice::kDynamicBlock, dyn_bytes};
  if (stored_bytes < smallest.bytes) smallest = {Choice::kStored, stored_bytes};
  const Choice c = preferred.bytes <= room ? preferred : smallest;
  if (c.bytes > room) return -1;

  if (c.kind == Choice::kStored) {
    out[0] = 1;  // BFINAL, BTYPE 00, then padding to the byte boundary
    const uint16_t len = uint16_t(n), nlen = uint16_t(~n);
    std::memcpy(out + 1, &len, 2);  // little-endian, as the host (x86)
    std::memcpy(out + 3, &nlen, 2);
    if (n) std::memcpy(out + 5, in, n);
    return int32_t(c.bytes);
  }
  // The writer overruns by up to kWriteSlack bytes: straight into `out` when it has them,
  // else through the queue pair's scratch buffer.
  uint8_t* dst = room >= c.bytes + kWriteSlack ? out : scratch_;
  BitWriter w{dst};
  if (c.kind == Choice::kDynamicBlock) {
    dyn.assign();
    w = write_symbols(dyn.write(w), syms_, nsyms_, dyn.lit_code, dyn.lit_len, dyn.dist_code,
                      dyn.dist_len);
  } else {
    w.put(1 | 1 << 1, 3);  // BFINAL, BTYPE 01: fixed Huffman codes
    w = write_symbols(w, syms_, nsyms_, kFixed.lit_code, kFixed.lit_len, kFixed.dist_code,
                      kFixed.dist_len);
  }
  const int32_t r = int32_t(w.finish() - dst);
  if (dst != out) std::memcpy(out, dst, uint32_t(r));
  return r;  // == bytes: the sizes above are exact
}

}  // namespace dpaccel::comp
