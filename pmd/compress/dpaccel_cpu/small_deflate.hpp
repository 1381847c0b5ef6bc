// compress_dpaccel_cpu: a one-block DEFLATE (RFC 1951) encoder for small contiguous inputs.
//
// Why: on packet-sized inputs ISA-L spends about 70 % of an op building dynamic Huffman tables
// through general-purpose code sized for 64 KiB blocks, and its stateless call initialises state
// for the whole window. This encoder does only what the input's size needs:
//   - LZ77 with a hash table that is never cleared: entries carry a generation base, so an op
//     ignores what earlier ops left (no per-op memset of the table);
//   - symbol frequencies counted while matching, code lengths from the sorted used symbols
//     (Moffat-Katajainen, in place, O(used symbols)), limited to 15/7 bits by the Kraft sum;
//   - the exact size of the stored, fixed and dynamic encodings computed before anything is
//     written: the smallest is written once, with no bound checks, or the op fails cleanly
//     with "out of space" having written nothing. Choosing the block type by size is what
//     DPDK's compress_zlib does for RTE_COMP_HUFFMAN_DYNAMIC and _DEFAULT (zlib's
//     Z_DEFAULT_STRATEGY), biased to what decodes fast: a dynamic block must save min(8 bytes,
//     1/16) over fixed codes (decoding one costs a table build), compression must save more
//     than 1/16 over a stored block. RTE_COMP_HUFFMAN_FIXED stays on ISA-L level 0, already
//     fast.
// One instance per queue pair (about 50 KiB); not thread-safe, as the queue pair it lives in.
#pragma once

#include <cstdint>

namespace dpaccel::comp {

class SmallDeflate {
 public:
  // The largest input the encoder takes; Effort::max_input says which it is used for.
  static constexpr uint32_t kMaxInput = 4096;

  struct Effort {
    uint16_t max_chain;        // candidates tried per position (1: the hash head only)
    uint16_t lazy_below;       // look one position ahead when the match is shorter (0: greedy)
    uint16_t insert_in_match;  // positions after a match's first put in the table (258: all)
    uint16_t max_input;        // larger inputs go to ISA-L (<= kMaxInput)
  };
  // The symbols a block sends: 0-255 literals, 256 end of block, 257-285 lengths; distances.
  static constexpr unsigned kLitLenSyms = 286;
  static constexpr unsigned kDistSyms = 30;

  // A compression level's effort (README documents the mapping).
  static Effort effort_for_level(int level);

  SmallDeflate();

  // Compresses in[0..n) (n <= kMaxInput) into out as one final block of raw DEFLATE: stored,
  // fixed or dynamic Huffman codes, by size (above). window_bits (8..15) bounds match
  // distances. When the preferred block does not fit in `room`, the smallest one that does is
  // written. Returns the bytes written, or -1 when none fits (or n > kMaxInput); out is then
  // left untouched.
  int32_t compress(const uint8_t* in, uint32_t n, uint8_t* out, uint32_t room, unsigned window_bits,
                   Effort effort) noexcept;

  // Tests: the next op starts its hash generation at `base` (the wrap-around is otherwise
  // reached after about 2^32 input bytes).
  void restart_generations_at(uint32_t base);

 private:
  static constexpr unsigned kHashBits = 12;

  // Symbols of the current op: a literal is its byte << 16 with a zero distance; a match is
  // (length - 3) << 16 | distance. (A 258-byte match of a 1-byte period takes one symbol, so
  // kMaxInput + 1 bounds them, end of block aside.)
  uint32_t syms_[kMaxInput + 1];
  uint32_t nsyms_ = 0;
  uint32_t lit_freq_[kLitLenSyms];
  uint32_t dist_freq_[kDistSyms];
  uint32_t extra_bits_ = 0;  // length and distance extra bits of the op's matches

  // LZ77: head_ holds base_ + position of the newest position with a hash; entries below
  // base_ belong to earlier ops. prev_[pos] links to the previous position with the same hash
  // (+1; 0 ends the chain), written before it is read, so it is never cleared either.
  uint32_t head_[1u << kHashBits];
  uint16_t prev_[kMaxInput];
  uint32_t base_ = 1;
  uint8_t scratch_[kMaxInput + 5 + 8];  // output when the room leaves no slack for the writer

  template <bool kChains>  // false: the hash head is the only candidate, prev_ is not kept
  void find_matches(const uint8_t* in, uint32_t n, uint32_t max_dist, Effort effort);
};

}  // namespace dpaccel::comp
