// AES-GCM on 256-bit VAES + VPCLMULQDQ. See vaes_gcm.hpp for why.
//
// Representation: GHASH works in GF(2^128) with GCM's reflected bit order (bit 7 of byte 0 is
// the coefficient of x^0). Each block is byte-reversed on load (VPSHUFB), so in the 128-bit
// register bit 127 is x^0 and bit 0 is x^127. The carry-less product of two such values is
// the 255-bit reflected product; it is shifted left by one and reduced modulo
// x^128 + x^7 + x^2 + x + 1 with shifts (Gueron and Kounavis, "Intel Carry-Less Multiplication
// Instruction and its Usage for Computing the GCM Mode", rev. 2.02, algorithms 4 and 5).
// Products are summed unreduced (the shift and the reduction are linear), so 16 blocks cost
// one reduction: Y' = (Y ^ B0)·H^16 ^ B1·H^15 ^ ... ^ B15·H.
//
// Counters are kept byte-reversed too: the 32-bit block counter is then the low dword of each
// lane and VPADDD is exactly GCM's inc32 (it wraps inside the 32 bits).
#include "vaes_gcm.hpp"

#include <immintrin.h>

#include <cstdlib>
#include <cstring>

namespace dpaccel::imb {

bool vaes_gcm_usable() noexcept {
  const char* e = std::getenv("DPACCEL_GCM");
  if (e != nullptr && std::strcmp(e, "ipsec-mb") == 0) return false;
  // libgcc's checks include the OS's support for the YMM state (XGETBV), not only CPUID.
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("vaes") &&
         __builtin_cpu_supports("vpclmulqdq") && __builtin_cpu_supports("aes") &&
         __builtin_cpu_supports("pclmul");
}

#pragma GCC push_options
// (meson.build also passes -mno-avx256-split-unaligned-{load,store}: with generic tuning GCC
// splits every unaligned 256-bit access into two 128-bit halves.)
#pragma GCC target("avx2,vaes,vpclmulqdq,aes,pclmul")

namespace {

inline __m128i byte_reverse_mask() noexcept {
  return _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
}

// Unreduced sums of products (one per 128-bit lane), Karatsuba: lo = a0·b0, hi = a1·b1,
// mid = (a0 ^ a1)·(b0 ^ b1), the middle term being mid ^ lo ^ hi (applied once, in reduce()).
// Three multiplications, not four, per block: VPCLMULQDQ is the bottleneck on Zen 3.
struct Product {
  __m256i lo, mid, hi;

  // Written out: an implicit constructor or a lambda would not get this file's target pragma.
  Product() noexcept
      : lo(_mm256_setzero_si256()), mid(_mm256_setzero_si256()), hi(_mm256_setzero_si256()) {}

  // d's two blocks times H^n and H^(n - 1) (adjacent in the tables).
  void add_powers(__m256i d, const VaesGcmKey& k, uint32_t n) noexcept {
    add(d, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(k.hash_powers[16 - n])),
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(k.hash_folded[16 - n])));
  }
  // One block (the low lane of d's 128 bits) times H^n.
  void add_power(__m128i d, const VaesGcmKey& k, uint32_t n) noexcept {
    add(_mm256_zextsi128_si256(d),
        _mm256_zextsi128_si256(
            _mm_load_si128(reinterpret_cast<const __m128i*>(k.hash_powers[16 - n]))),
        _mm256_zextsi128_si256(
            _mm_load_si128(reinterpret_cast<const __m128i*>(k.hash_folded[16 - n]))));
  }
  // h: two powers; hf: the same folded (hash_folded).
  void add(__m256i d, __m256i h, __m256i hf) noexcept {
    lo = _mm256_xor_si256(lo, _mm256_clmulepi64_epi128(d, h, 0x00));
    hi = _mm256_xor_si256(hi, _mm256_clmulepi64_epi128(d, h, 0x11));
    __m256i df = _mm256_xor_si256(d, _mm256_shuffle_epi32(d, 0x4e));
    mid = _mm256_xor_si256(mid, _mm256_clmulepi64_epi128(df, hf, 0x00));
  }
};

// The 256-bit product [hi : lo] (mid already folded in), shifted left by one and reduced.
inline __m128i shift_and_reduce(__m128i lo, __m128i hi) noexcept {
  // [hi : lo] <<= 1 across all four 64-bit words.
  __m128i carry_lo = _mm_srli_epi64(lo, 63);
  __m128i carry_hi = _mm_srli_epi64(hi, 63);
  lo = _mm_or_si128(_mm_slli_epi64(lo, 1), _mm_slli_si128(carry_lo, 8));
  hi = _mm_or_si128(_mm_or_si128(_mm_slli_epi64(hi, 1), _mm_slli_si128(carry_hi, 8)),
                    _mm_srli_si128(carry_lo, 8));
  // lo = [X1 : X0]. D = X1 ^ (X0 << 63) ^ (X0 << 62) ^ (X0 << 57).
  __m128i t = _mm_xor_si128(_mm_xor_si128(_mm_slli_epi64(lo, 63), _mm_slli_epi64(lo, 62)),
                            _mm_slli_epi64(lo, 57));
  __m128i v = _mm_xor_si128(lo, _mm_slli_si128(t, 8));  // [D : X0]
  // [D : X0] ^ ([D : X0] >> 1) ^ (>> 2) ^ (>> 7), 128-bit shifts: the bits D shifts into
  // the low word come from u.
  __m128i u = _mm_xor_si128(_mm_xor_si128(_mm_slli_epi64(v, 63), _mm_slli_epi64(v, 62)),
                            _mm_slli_epi64(v, 57));
  __m128i h = _mm_xor_si128(_mm_xor_si128(v, _mm_srli_epi64(v, 1)),
                            _mm_xor_si128(_mm_srli_epi64(v, 2), _mm_srli_epi64(v, 7)));
  return _mm_xor_si128(hi, _mm_xor_si128(h, _mm_srli_si128(u, 8)));
}

inline __m128i fold(__m256i x) noexcept {
  return _mm_xor_si128(_mm256_castsi256_si128(x), _mm256_extracti128_si256(x, 1));
}

inline __m128i reduce(const Product& p) noexcept {
  __m128i lo = fold(p.lo), hi = fold(p.hi);
  __m128i mid = _mm_xor_si128(fold(p.mid), _mm_xor_si128(lo, hi));
  return shift_and_reduce(_mm_xor_si128(lo, _mm_slli_si128(mid, 8)),
                          _mm_xor_si128(hi, _mm_srli_si128(mid, 8)));
}

inline __m128i gf_mul(__m128i a, __m128i b) noexcept {
  __m128i lo = _mm_clmulepi64_si128(a, b, 0x00);
  __m128i hi = _mm_clmulepi64_si128(a, b, 0x11);
  __m128i mid = _mm_xor_si128(_mm_clmulepi64_si128(a, b, 0x01), _mm_clmulepi64_si128(a, b, 0x10));
  return shift_and_reduce(_mm_xor_si128(lo, _mm_slli_si128(mid, 8)),
                          _mm_xor_si128(hi, _mm_srli_si128(mid, 8)));
}

inline __m128i power_of(const VaesGcmKey& k, uint32_t n) noexcept {
  return _mm_load_si128(reinterpret_cast<const __m128i*>(k.hash_powers[16 - n]));
}

inline __m128i round_key128(const VaesGcmKey& k, uint32_t r) noexcept {
  return _mm_load_si128(reinterpret_cast<const __m128i*>(k.round_keys[r]));
}
inline __m256i round_key(const VaesGcmKey& k, uint32_t r) noexcept {
  return _mm256_broadcastsi128_si256(round_key128(k, r));  // one VBROADCASTI128 from memory
}

// AES rounds 1..Rounds on N states that already hold block ^ round key 0.
template <int N, int Rounds>
inline void aes_rounds(const VaesGcmKey& k, __m256i* s) noexcept {
#pragma GCC unroll 14
  for (int r = 1; r < Rounds; ++r) {
    const __m256i rk = round_key(k, r);
#pragma GCC unroll 8
    for (int j = 0; j < N; ++j) s[j] = _mm256_aesenc_epi128(s[j], rk);
  }
  const __m256i last = round_key(k, Rounds);
#pragma GCC unroll 8
  for (int j = 0; j < N; ++j) s[j] = _mm256_aesenclast_epi128(s[j], last);
}

// N 256-bit keystream values (2N blocks) from the byte-reversed counter pair ctr, which
// advances by 2N.
// n counter pairs from ctr (byte-reversed; advances by 2n), byte order restored, ^ round key 0.
inline void keystream_start(__m256i& ctr, __m256i rk0, __m256i* ks, int n) noexcept {
  const __m256i rev = _mm256_broadcastsi128_si256(byte_reverse_mask());
  const __m256i two = _mm256_set_epi32(0, 0, 0, 2, 0, 0, 0, 2);
#pragma GCC unroll 8
  for (int j = 0; j < n; ++j) {
    ks[j] = _mm256_xor_si256(_mm256_shuffle_epi8(ctr, rev), rk0);
    ctr = _mm256_add_epi32(ctr, two);
  }
}

template <int N, int Rounds>
inline void keystream(const VaesGcmKey& k, __m256i& ctr, __m256i* ks) noexcept {
  keystream_start(ctr, round_key(k, 0), ks, N);
  aes_rounds<N, Rounds>(k, ks);
}

// len (< 16) bytes at p, zero-padded to a block. Built in general registers from loads that
// stay inside the len bytes (overlapping where needed): a 16-byte load after small stores to a
// stack buffer would stall on store forwarding, which cost small ops about a third of their time.
inline __m128i load_partial(const uint8_t* p, uint64_t len) noexcept {
  uint64_t lo = 0, hi = 0;
  if (len >= 8) {
    std::memcpy(&lo, p, 8);
    if (len > 8) {
      uint64_t t;
      std::memcpy(&t, p + len - 8, 8);
      hi = t >> (8 * (16 - len));
    }
  } else if (len >= 4) {
    uint32_t a, b;
    std::memcpy(&a, p, 4);
    std::memcpy(&b, p + len - 4, 4);
    lo = a | (uint64_t{b} << (8 * (len - 4)));
  } else if (len != 0) {
    lo = p[0];
    if (len > 1) lo |= uint64_t{p[1]} << 8;
    if (len > 2) lo |= uint64_t{p[2]} << 16;
  }
  return _mm_set_epi64x(static_cast<long long>(hi), static_cast<long long>(lo));
}
inline void store_partial(uint8_t* p, __m128i v, uint64_t len) noexcept {
  alignas(16) uint8_t b[16];
  _mm_store_si128(reinterpret_cast<__m128i*>(b), v);
  uint64_t o = 0;
  if (len & 8) std::memcpy(p + o, b + o, 8), o += 8;
  if (len & 4) std::memcpy(p + o, b + o, 4), o += 4;
  if (len & 2) std::memcpy(p + o, b + o, 2), o += 2;
  if (len & 1) p[o] = b[o];
}

// GHASH of up to 16 blocks with one reduction: the blocks are given in order, the count
// up front, and block i of n is multiplied by H^(n - i); y is added into the first.
class GhashRun {
 public:
  GhashRun(const VaesGcmKey& k, __m128i y, uint32_t n) noexcept : k_(k), y_(y), left_(n) {}

  // n whole blocks at p (as in memory).
  void blocks(const uint8_t* p, uint64_t n) noexcept {
    const __m256i rev = _mm256_broadcastsi128_si256(byte_reverse_mask());
    if (has_pending_ && n != 0) {
      block(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
      p += 16, --n;
    }
    for (; n >= 2; n -= 2, p += 32) {
      __m256i d = _mm256_shuffle_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)), rev);
      pair(_mm256_xor_si256(d, _mm256_zextsi128_si256(take_y())));
    }
    if (n != 0) block(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  // len bytes at p, the last block zero-padded.
  void bytes(const uint8_t* p, uint64_t len) noexcept {
    blocks(p, len / 16);
    if (len % 16 != 0) block(load_partial(p + (len & ~uint64_t{15}), len % 16));
  }
  // One block as in memory.
  void block(__m128i b) noexcept { reversed(_mm_shuffle_epi8(b, byte_reverse_mask())); }
  // One block already byte-reversed. Single blocks wait for a partner: two in one 256-bit
  // multiply instead of two half-empty ones (the AAD, a partial block and the lengths block of
  // a small op).
  void reversed(__m128i b) noexcept {
    b = _mm_xor_si128(b, take_y());
    if (!has_pending_) {
      pending_ = b;
      has_pending_ = true;
      return;
    }
    has_pending_ = false;
    pair(_mm256_inserti128_si256(_mm256_castsi128_si256(pending_), b, 1));
  }
  __m128i finish() noexcept {
    if (has_pending_) prod_.add_power(pending_, k_, left_);
    return reduce(prod_);
  }

 private:
  // Two byte-reversed blocks (the first in the low lane) times H^left, H^(left - 1).
  void pair(__m256i d) noexcept {
    prod_.add_powers(d, k_, left_);
    left_ -= 2;
  }
  __m128i take_y() noexcept {
    __m128i y = y_;
    y_ = _mm_setzero_si128();
    return y;
  }
  const VaesGcmKey& k_;
  Product prod_;
  __m128i y_;
  __m128i pending_ = _mm_setzero_si128();
  uint32_t left_;
  bool has_pending_ = false;
};

inline uint64_t blocks_of(uint64_t bytes) noexcept {
  return (bytes + 15) / 16;
}

// GHASH of len bytes (any length), the last block zero-padded.
inline __m128i ghash_bytes(const VaesGcmKey& k, __m128i y, const uint8_t* p,
                           uint64_t len) noexcept {
  for (; len > 256; len -= 256, p += 256) {
    GhashRun run(k, y, 16);
    run.blocks(p, 16);
    y = run.finish();
  }
  GhashRun run(k, y, static_cast<uint32_t>(blocks_of(len)));
  run.bytes(p, len);
  return run.finish();
}

template <int N, int Rounds>
inline void ctr_xor(const VaesGcmKey& k, __m256i& ctr, uint8_t* out, const uint8_t* in) noexcept {
  __m256i ks[N];
  keystream<N, Rounds>(k, ctr, ks);
#pragma GCC unroll 8
  for (int j = 0; j < N; ++j) {
    __m256i d = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + 32 * j));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 32 * j), _mm256_xor_si256(d, ks[j]));
  }
}

// One GHASH step of the bulk loop: blocks 2j, 2j+1 of the 256 bytes at p, y folded into block 0.
inline void ghash_pair(const VaesGcmKey& k, Product& prod, const uint8_t* p, int j,
                       __m128i y) noexcept {
  const __m256i rev = _mm256_broadcastsi128_si256(byte_reverse_mask());
  __m256i d =
      _mm256_shuffle_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32 * j)), rev);
  if (j == 0) d = _mm256_xor_si256(d, _mm256_zextsi128_si256(y));
  prod.add_powers(d, k, 16 - 2 * j);
}

// Whole 256-byte chunks (16 blocks, 8 registers of keystream) while left >= 256. The GHASH of
// 256 bytes is interleaved with the AES rounds of the next chunk, one register pair per round,
// so the AES and carry-less-multiply units work at the same time instead of in turn: for
// decryption it hashes the chunk it is decrypting (its ciphertext is the input), for encryption
// the chunk it produced the round before (and the last chunk after the loop).
template <bool Encrypt, int Rounds>
inline void bulk(const VaesGcmKey& k, __m256i& ctr, __m128i& y, uint8_t*& out, const uint8_t*& in,
                 uint64_t& left) noexcept {
  static_assert(Rounds > 8, "one GHASH pair per round");
  const uint8_t* pending = nullptr;  // Encrypt: ciphertext not hashed yet
  if (Encrypt) {
    ctr_xor<8, Rounds>(k, ctr, out, in);
    pending = out;
    in += 256, out += 256, left -= 256;
  }
  while (left >= 256) {
    const uint8_t* hashed = Encrypt ? pending : in;
    __m256i ks[8];
    keystream_start(ctr, round_key(k, 0), ks, 8);
    Product prod;
#pragma GCC unroll 14
    for (int r = 1; r < Rounds; ++r) {
      const __m256i rk = round_key(k, r);
#pragma GCC unroll 8
      for (int j = 0; j < 8; ++j) ks[j] = _mm256_aesenc_epi128(ks[j], rk);
      if (r <= 8) ghash_pair(k, prod, hashed, r - 1, y);
    }
    const __m256i last = round_key(k, Rounds);
#pragma GCC unroll 8
    for (int j = 0; j < 8; ++j) {
      __m256i d = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + 32 * j));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 32 * j),
                          _mm256_xor_si256(d, _mm256_aesenclast_epi128(ks[j], last)));
    }
    y = reduce(prod);
    pending = out;
    in += 256, out += 256, left -= 256;
  }
  if (Encrypt) {
    GhashRun run(k, y, 16);
    run.blocks(pending, 16);
    y = run.finish();
  }
}

// One 32-byte unit of the tail with its keystream ks: CTR, and the GHASH product straight from
// the register (no store-to-load round trip) with H^power, H^(power - 1); first (the hash so
// far) goes into the unit's first block. Advances the pointers and lowers power by 2.
template <bool Encrypt>
inline void xor_and_hash(const VaesGcmKey& k, __m256i ks, Product& prod, uint32_t& power,
                         __m128i& first, uint8_t*& out, const uint8_t*& in) noexcept {
  const __m256i rev = _mm256_broadcastsi128_si256(byte_reverse_mask());
  __m256i d = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in));
  __m256i c = _mm256_xor_si256(d, ks);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), c);
  prod.add_powers(
      _mm256_xor_si256(_mm256_shuffle_epi8(Encrypt ? c : d, rev), _mm256_zextsi128_si256(first)), k,
      power);
  first = _mm_setzero_si128();
  power -= 2, in += 32, out += 32;
}

// N units of the tail (2N blocks), their keystream computed together.
template <bool Encrypt, int N, int Rounds>
inline void tail_group(const VaesGcmKey& k, __m256i& ctr, Product& prod, uint32_t& power,
                       __m128i& first, uint8_t*& out, const uint8_t*& in) noexcept {
  __m256i ks[N];
  keystream<N, Rounds>(k, ctr, ks);
#pragma GCC unroll 8
  for (int j = 0; j < N; ++j) xor_and_hash<Encrypt>(k, ks[j], prod, power, first, out, in);
}

// [H^n | H^1] from a power table (hash_powers or hash_folded).
inline __m256i power_and_first(const uint8_t (*table)[16], uint32_t n) noexcept {
  return _mm256_inserti128_si256(
      _mm256_castsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(table[16 - n]))),
      _mm_load_si128(reinterpret_cast<const __m128i*>(table[15])), 1);
}

// The AAD block (at most one; none when aad is nullptr) times H^total and the lengths block
// times H^1 in one multiply (GHASH sums are order-free: a block only needs its own power).
inline void add_aad_and_lengths(const VaesGcmKey& k, Product& prod, const uint8_t* aad,
                                uint64_t aad_len, uint32_t total, __m128i lengths) noexcept {
  __m128i a =
      aad != nullptr
          ? _mm_shuffle_epi8(aad_len == 16 ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(aad))
                                           : load_partial(aad, aad_len),
                             byte_reverse_mask())
          : _mm_setzero_si128();
  prod.add(_mm256_inserti128_si256(_mm256_castsi128_si256(a), lengths, 1),
           power_and_first(k.hash_powers, total), power_and_first(k.hash_folded, total));
}

// The last one or two blocks (left < 32 bytes, the last maybe partial) with their keystream ks:
// CTR, and GHASH from registers with H^power (and H^(power - 1)); first goes into the first.
template <bool Encrypt>
inline void last_blocks(const VaesGcmKey& k, __m256i ks, Product& prod, uint32_t power,
                        __m128i first, uint8_t* out, const uint8_t* in, uint64_t left) noexcept {
  const __m128i rev = byte_reverse_mask();
  __m128i g0 = _mm_setzero_si128(), g1 = _mm_setzero_si128();
  uint32_t n = 0;
  if (left >= 16) {
    __m128i d = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in));
    __m128i c = _mm_xor_si128(d, _mm256_castsi256_si128(ks));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), c);
    g0 = _mm_shuffle_epi8(Encrypt ? c : d, rev);
    in += 16, out += 16, left -= 16, n = 1;
    ks = _mm256_permute2x128_si256(ks, ks, 0x11);
  }
  if (left != 0) {
    // load_partial zero-pads; the keystream is cut to len bytes so the ciphertext is too.
    static const uint8_t kMask[32] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    __m128i d = load_partial(in, left);
    __m128i c = _mm_xor_si128(
        d, _mm_and_si128(_mm256_castsi256_si128(ks),
                         _mm_loadu_si128(reinterpret_cast<const __m128i*>(kMask + 16 - left))));
    store_partial(out, c, left);
    (n == 0 ? g0 : g1) = _mm_shuffle_epi8(Encrypt ? c : d, rev);
    ++n;
  }
  g0 = _mm_xor_si128(g0, first);
  if (n == 1)
    prod.add_power(g0, k, power);
  else
    prod.add_powers(_mm256_inserti128_si256(_mm256_castsi128_si256(g0), g1, 1), k, power);
}

// The tail (left < 256 bytes) with at most one AAD block (aad: nullptr when there is none or it
// was hashed apart) and the lengths block: CTR and GHASH from registers, one reduction (two when
// that is 17 blocks: only with the AAD apart and 16 data blocks; the lengths block then goes
// last on its own). y (the hash so far, zero when the AAD is here) goes into the first data
// block, or the lengths block when there is none.
template <bool Encrypt, int Rounds>
inline __m128i tail_in_registers(const VaesGcmKey& k, __m256i ctr, __m128i y, uint8_t* out,
                                 const uint8_t* in, uint64_t left, const uint8_t* aad,
                                 uint64_t aad_len, __m128i lengths) noexcept {
  const uint32_t data_blocks = static_cast<uint32_t>(blocks_of(left));
  const uint32_t total = (aad != nullptr ? 1 : 0) + data_blocks + 1;
  const bool lengths_apart = total > 16;
  Product prod;
  if (!lengths_apart)
    add_aad_and_lengths(k, prod, aad, aad_len, total,
                        data_blocks == 0 ? _mm_xor_si128(lengths, y) : lengths);
  uint32_t power = lengths_apart ? data_blocks : data_blocks + 1;
  __m128i first = y;
  if (left >= 128) tail_group<Encrypt, 4, Rounds>(k, ctr, prod, power, first, out, in), left -= 128;
  if (left >= 64) tail_group<Encrypt, 2, Rounds>(k, ctr, prod, power, first, out, in), left -= 64;
  if (left >= 32) tail_group<Encrypt, 1, Rounds>(k, ctr, prod, power, first, out, in), left -= 32;
  if (left != 0) {
    __m256i ks;
    keystream<1, Rounds>(k, ctr, &ks);
    last_blocks<Encrypt>(k, ks, prod, power, first, out, in, left);
  }
  __m128i hash = reduce(prod);
  return lengths_apart ? gf_mul(_mm_xor_si128(hash, lengths), power_of(k, 1)) : hash;
}

// J0 = IV || 0^31 || 1, without a round trip through memory (see load_partial).
inline __m128i make_j0(const uint8_t* iv) noexcept {
  uint32_t iv_tail;
  std::memcpy(&iv_tail, iv + 8, 4);
  return _mm_insert_epi32(_mm_insert_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(iv)),
                                           static_cast<int>(iv_tail), 2),
                          0x01000000, 3);
}

// The tag: E(K, J0) ^ GHASH, its first tag_len bytes.
inline void store_tag(__m128i y, __m128i ekj0, uint8_t* tag, uint64_t tag_len) noexcept {
  __m128i t = _mm_xor_si128(_mm_shuffle_epi8(y, byte_reverse_mask()), ekj0);
  if (tag_len == 16)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(tag), t);
  else
    store_partial(tag, t, tag_len);
}

// Two ops of up to 64 bytes (AAD up to 16) at once: their AES rounds (E(K, J0) and four counter
// blocks each) in one loop, then each op's CTR and GHASH, close together, so the two latency
// chains (AES, then GHASH on the ciphertext when encrypting) overlap instead of following each
// other. Same bytes as gcm().
template <bool Encrypt, int Rounds>
void gcm_pair(const VaesGcmKey& k, const VaesGcmOp* op, uint64_t aad_len,
              uint64_t tag_len) noexcept {
  const __m128i rev = byte_reverse_mask();
  const __m256i rk0 = round_key(k, 0);
  // Per op: [J0 + 1 | J0 + 2], [J0 + 3 | J0 + 4] and [J0 | J0] (E(K, J0) for the tag).
  __m256i s[6];
#pragma GCC unroll 2
  for (int w = 0; w < 2; ++w) {
    __m128i j0 = make_j0(op[w].iv);
    __m256i ctr = _mm256_add_epi32(_mm256_broadcastsi128_si256(_mm_shuffle_epi8(j0, rev)),
                                   _mm256_set_epi32(0, 0, 0, 2, 0, 0, 0, 1));
    keystream_start(ctr, rk0, s + 3 * w, 2);
    s[3 * w + 2] = _mm256_xor_si256(_mm256_broadcastsi128_si256(j0), rk0);
  }
  aes_rounds<6, Rounds>(k, s);
#pragma GCC unroll 2
  for (int w = 0; w < 2; ++w) {
    const VaesGcmOp& o = op[w];
    const uint32_t data_blocks = static_cast<uint32_t>(blocks_of(o.len));
    const __m128i lengths =
        _mm_set_epi64x(static_cast<long long>(aad_len * 8), static_cast<long long>(o.len * 8));
    Product prod;
    add_aad_and_lengths(k, prod, aad_len != 0 ? o.aad : nullptr, aad_len,
                        (aad_len != 0 ? 1 : 0) + data_blocks + 1, lengths);
    uint32_t power = data_blocks + 1;
    uint64_t left = o.len;
    uint8_t* out = o.out;
    const uint8_t* in = o.in;
    __m128i first = _mm_setzero_si128();
    int u = 0;
    for (; left >= 32; ++u, left -= 32)  // the first unit, and the second at 64 bytes
      xor_and_hash<Encrypt>(k, s[3 * w + u], prod, power, first, out, in);
    if (left != 0) last_blocks<Encrypt>(k, s[3 * w + u], prod, power, first, out, in, left);
    store_tag(reduce(prod), _mm256_castsi256_si128(s[3 * w + 2]), o.tag, tag_len);
  }
}

template <bool Encrypt, int Rounds>
void gcm(const VaesGcmKey& k, uint8_t* out, const uint8_t* in, uint64_t len, const uint8_t* iv,
         const uint8_t* aad, uint64_t aad_len, uint8_t* tag, uint64_t tag_len) noexcept {
  const __m128i j0 = make_j0(iv);
  // E(K, J0) for the tag: its own short chain, overlapped with the rest.
  __m256i ekj0 = _mm256_xor_si256(_mm256_broadcastsi128_si256(j0), round_key(k, 0));
  aes_rounds<1, Rounds>(k, &ekj0);

  // The lengths block, byte-reversed: [bits of AAD : bits of text].
  const __m128i lengths =
      _mm_set_epi64x(static_cast<long long>(aad_len * 8), static_cast<long long>(len * 8));
  // AAD (one block at most), data and lengths go through one reduction when they fit in 16
  // blocks (every small ESP packet); otherwise the AAD, and the bulk loop's 256-byte chunks,
  // have their own.
  __m128i y = _mm_setzero_si128();
  const bool aad_apart = len >= 256 || aad_len > 16 || blocks_of(len) + 2 > 16;
  if (aad_apart && aad_len != 0) y = ghash_bytes(k, y, aad, aad_len);

  // Counter pair [J0 + 1 | J0 + 2], byte-reversed.
  __m256i ctr =
      _mm256_add_epi32(_mm256_broadcastsi128_si256(_mm_shuffle_epi8(j0, byte_reverse_mask())),
                       _mm256_set_epi32(0, 0, 0, 2, 0, 0, 0, 1));
  uint64_t left = len;
  if (left >= 256) bulk<Encrypt, Rounds>(k, ctr, y, out, in, left);
  y = tail_in_registers<Encrypt, Rounds>(
      k, ctr, y, out, in, left, aad_apart || aad_len == 0 ? nullptr : aad, aad_len, lengths);
  store_tag(y, _mm256_castsi256_si128(ekj0), tag, tag_len);
}

}  // namespace

void vaes_gcm_precompute(VaesGcmKey& k, const uint8_t* round_keys, uint32_t rounds) noexcept {
  k.rounds = rounds;
  __m128i h = _mm_setzero_si128();
  for (uint32_t r = 0; r <= rounds; ++r) {
    __m128i rk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(round_keys + 16 * r));
    _mm_store_si128(reinterpret_cast<__m128i*>(k.round_keys[r]), rk);
    h = r == 0       ? _mm_xor_si128(h, rk)
        : r < rounds ? _mm_aesenc_si128(h, rk)
                     : _mm_aesenclast_si128(h, rk);
  }
  h = _mm_shuffle_epi8(h, byte_reverse_mask());
  __m128i p = h;
  for (int i = 1; i <= 16; ++i) {
    _mm_store_si128(reinterpret_cast<__m128i*>(k.hash_powers[16 - i]), p);
    _mm_store_si128(reinterpret_cast<__m128i*>(k.hash_folded[16 - i]),
                    _mm_xor_si128(p, _mm_shuffle_epi32(p, 0x4e)));
    p = gf_mul(p, h);
  }
}

namespace {
// The round count as a template parameter: every AES loop fully unrolled.
template <bool Encrypt>
void gcm_any_key(const VaesGcmKey& k, uint8_t* out, const uint8_t* in, uint64_t len,
                 const uint8_t* iv, const uint8_t* aad, uint64_t aad_len, uint8_t* tag,
                 uint64_t tag_len) noexcept {
  switch (k.rounds) {
    case 10: return gcm<Encrypt, 10>(k, out, in, len, iv, aad, aad_len, tag, tag_len);
    case 12: return gcm<Encrypt, 12>(k, out, in, len, iv, aad, aad_len, tag, tag_len);
    default: return gcm<Encrypt, 14>(k, out, in, len, iv, aad, aad_len, tag, tag_len);
  }
}
}  // namespace

namespace {
template <bool Encrypt>
void gcm_pair_any_key(const VaesGcmKey& k, const VaesGcmOp* op, uint64_t aad_len,
                      uint64_t tag_len) noexcept {
  switch (k.rounds) {
    case 10: return gcm_pair<Encrypt, 10>(k, op, aad_len, tag_len);
    case 12: return gcm_pair<Encrypt, 12>(k, op, aad_len, tag_len);
    default: return gcm_pair<Encrypt, 14>(k, op, aad_len, tag_len);
  }
}
}  // namespace

void vaes_gcm_encrypt_pair(const VaesGcmKey& k, const VaesGcmOp* op, uint64_t aad_len,
                           uint64_t tag_len) noexcept {
  gcm_pair_any_key<true>(k, op, aad_len, tag_len);
}

void vaes_gcm_decrypt_pair(const VaesGcmKey& k, const VaesGcmOp* op, uint64_t aad_len,
                           uint64_t tag_len) noexcept {
  gcm_pair_any_key<false>(k, op, aad_len, tag_len);
}

void vaes_gcm_encrypt(const VaesGcmKey& k, uint8_t* out, const uint8_t* in, uint64_t len,
                      const uint8_t* iv, const uint8_t* aad, uint64_t aad_len, uint8_t* tag,
                      uint64_t tag_len) noexcept {
  gcm_any_key<true>(k, out, in, len, iv, aad, aad_len, tag, tag_len);
}

void vaes_gcm_decrypt(const VaesGcmKey& k, uint8_t* out, const uint8_t* in, uint64_t len,
                      const uint8_t* iv, const uint8_t* aad, uint64_t aad_len, uint8_t* tag,
                      uint64_t tag_len) noexcept {
  gcm_any_key<false>(k, out, in, len, iv, aad, aad_len, tag, tag_len);
}

#pragma GCC pop_options

}  // namespace dpaccel::imb
