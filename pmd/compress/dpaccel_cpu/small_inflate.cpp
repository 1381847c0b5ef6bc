// compress_dpaccel_cpu: the small-input stored/fixed-block DEFLATE decoder (small_inflate.hpp).
#include "small_inflate.hpp"

#include <cstring>

#include "deflate_tables.hpp"

namespace dpaccel::comp {
namespace {

using rfc1951::kDistBase;
using rfc1951::kDistExtra;
using rfc1951::kLenBase;
using rfc1951::kLenExtra;

// §3.2.6's fixed literal/length code, decoded from the next 9 input bits (DEFLATE sends Huffman
// codes most significant bit first, so the table is indexed by the bit-reversed code): entry =
// symbol | code length << 16.
struct FixedDecode {
  uint32_t lit[512];
  FixedDecode() {
    for (unsigned s = 0; s < 288; ++s) {
      unsigned len, code;
      if (s < 144) {
        len = 8, code = 0x30 + s;
      } else if (s < 256) {
        len = 9, code = 0x190 + (s - 144);
      } else if (s < 280) {
        len = 7, code = s - 256;
      } else {
        len = 8, code = 0xc0 + (s - 280);
      }
      unsigned rev = 0;
      for (unsigned b = 0; b < len; ++b) rev |= ((code >> b) & 1u) << (len - 1 - b);
      for (unsigned r = rev; r < 512; r += 1u << len) lit[r] = s | len << 16;
    }
  }
};
const FixedDecode kFixed;

// The fixed distance code is 5 bits, sent most significant bit first.
constexpr unsigned reverse5(unsigned v) {
  return (v & 1) << 4 | (v & 2) << 2 | (v & 4) | (v & 8) >> 2 | (v & 16) >> 4;
}

// Least-significant-bit-first reader over [p, end). need() tops the buffer up to at least n bits
// (n <= 57) and says whether the input had them.
struct BitReader {
  const uint8_t* p;
  const uint8_t* end;
  uint64_t bits = 0;
  unsigned n = 0;
  bool need(unsigned k) {
    while (n < k) {
      if (p == end) return false;
      bits |= uint64_t(*p++) << n;
      n += 8;
    }
    return true;
  }
  uint32_t take(unsigned k) {  // after need(k)
    const uint32_t v = uint32_t(bits & ((uint64_t(1) << k) - 1));
    bits >>= k;
    n -= k;
    return v;
  }
};

constexpr SmallInflateResult kGiveUp{false, 0, 0};

}  // namespace

SmallInflateResult small_inflate(const uint8_t* in, uint32_t in_len, uint8_t* out,
                                 uint32_t room) noexcept {
  BitReader r{in, in + in_len};
  uint8_t* o = out;
  uint8_t* const o_end = out + room;
  for (bool final = false; !final;) {
    if (!r.need(3)) return kGiveUp;
    const uint32_t hdr = r.take(3);
    final = hdr & 1;
    const uint32_t type = hdr >> 1;
    if (type == 0) {  // stored: to the byte boundary, LEN, NLEN, the bytes
      r.take(r.n % 8);
      if (!r.need(32)) return kGiveUp;
      const uint32_t len = r.take(16), nlen = r.take(16);
      if ((len ^ 0xffff) != nlen || uint32_t(o_end - o) < len) return kGiveUp;
      uint32_t left = len;
      for (; left && r.n; --left) *o++ = uint8_t(r.take(8));  // whole bytes still buffered
      if (uint32_t(r.end - r.p) < left) return kGiveUp;
      std::memcpy(o, r.p, left);
      o += left;
      r.p += left;
      continue;
    }
    if (type != 1) return kGiveUp;  // dynamic (ISA-L's business) or reserved
    for (;;) {
      // One symbol: 9 code bits, 5 length extra bits, 5 distance code bits, 13 extra: 32 bits.
      // Near the input's end fewer may be left; what a symbol reads is checked as it goes.
      r.need(32);
      if (r.n == 0) return kGiveUp;
      const uint32_t e = kFixed.lit[r.bits & 511];
      const unsigned len_bits = e >> 16, sym = e & 0xffff;
      if (r.n < len_bits) return kGiveUp;
      r.take(len_bits);
      if (sym < 256) {
        if (o == o_end) return kGiveUp;
        *o++ = uint8_t(sym);
        continue;
      }
      if (sym == 256) break;
      if (sym > 285) return kGiveUp;  // 286, 287: reserved
      const unsigned lc = sym - 257;
      if (r.n < kLenExtra[lc] + 5u) return kGiveUp;
      const uint32_t length = kLenBase[lc] + r.take(kLenExtra[lc]);
      const unsigned dc = reverse5(r.take(5));
      if (dc > 29 || r.n < kDistExtra[dc]) return kGiveUp;  // 30, 31: reserved
      const uint32_t dist = kDistBase[dc] + r.take(kDistExtra[dc]);
      if (dist > uint32_t(o - out) || uint32_t(o_end - o) < length) return kGiveUp;
      const uint8_t* from = o - dist;
      for (uint32_t k = 0; k < length; ++k) o[k] = from[k];  // may overlap: byte by byte
      o += length;
    }
  }
  // The final block's last byte counts as consumed, bytes read ahead into the buffer do not.
  return {true, uint32_t(r.p - in) - r.n / 8, uint32_t(o - out)};
}

}  // namespace dpaccel::comp
