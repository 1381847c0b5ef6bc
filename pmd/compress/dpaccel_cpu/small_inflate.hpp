// compress_dpaccel_cpu: a DEFLATE decoder for small contiguous inputs made of stored and
// fixed-Huffman blocks, the blocks small packets are compressed into.
//
// Why: ISA-L's inflate copies its prebuilt fixed-code decode tables (about 20 KiB) into the
// state at every fixed-Huffman block header, whatever the block's size: on a 64-byte operation
// that copy was about 60 % of a decompression (perf, an AVX2 EPYC) and made small ops several
// times slower than compress_isal's on its own output. This decoder reads fixed codes from
// constant tables, so an op costs what its bytes cost.
//
// It only ever answers "done" for a stream it decoded completely and cleanly; anything else (a
// dynamic block, a reserved block type or symbol, a distance before the output's start, too
// little room, input that ends early) makes it give up having decided nothing,
// and the caller runs ISA-L on the op from the start, whose answer (and status) then stands.
#pragma once

#include <cstdint>

namespace dpaccel::comp {

// Inputs up to this size try the decoder first (the compression issue's small operations); on
// larger ones ISA-L's table copy is a small share of the op.
inline constexpr uint32_t kSmallInflateMax = 2048;

struct SmallInflateResult {
  bool done;          // false: give the op to ISA-L
  uint32_t consumed;  // input bytes up to the end of the final block (its last byte included)
  uint32_t produced;
};

// Decodes in[0..in_len) into out[0..room), writing nothing outside it. The xform's window is not
// enforced, as ISA-L's inflate does not enforce it either (a test checks the two agree with an
// 8-bit window).
SmallInflateResult small_inflate(const uint8_t* in, uint32_t in_len, uint8_t* out,
                                 uint32_t room) noexcept;

}  // namespace dpaccel::comp
