// Anti-replay window (RFC 4303 §3.4.3) with ESN high-bit inference (RFC 4303 Appendix A).
//
// The bitmap is a ring of 64-bit words (RFC 6479): sliding forward clears whole words instead of
// shifting bits, so a jump of any size costs at most one pass over the ring. One spare word lets
// the window hold exactly `size` sequence numbers below and including the highest one seen.
//
// The receive path calls check() before crypto and update() only after the ICV verified, as
// §3.4.3 requires: a forged packet must never move the window. Two copies of one packet in the
// same burst both pass check(); the second update() reports the duplicate.
#pragma once

#include <cstdint>
#include <vector>

namespace dpaccel {

class ReplayWindow {
 public:
  enum class Verdict : uint8_t { Ok, Duplicate, TooOld, Invalid };
  struct Check {
    Verdict verdict;
    uint64_t seq;  // the full sequence number (ESN: inferred high half)
  };

  // size 0 disables the replay check (sequence numbers are still inferred and tracked).
  ReplayWindow(uint32_t size, bool esn, uint64_t initial_top = 0);

  Check check(uint32_t seq_low) const noexcept;
  // Records an authenticated sequence number; Duplicate when it was already recorded.
  Verdict update(uint64_t seq) noexcept;

  uint64_t top() const noexcept { return top_; }
  uint32_t size() const noexcept { return size_; }

 private:
  uint64_t infer(uint32_t seq_low) const noexcept;
  uint64_t& word(uint64_t seq) noexcept { return bits_[(seq >> 6) & mask_]; }
  uint64_t word(uint64_t seq) const noexcept { return bits_[(seq >> 6) & mask_]; }

  uint64_t top_;
  uint32_t size_;
  bool esn_;
  uint64_t mask_;
  std::vector<uint64_t> bits_;
};

}  // namespace dpaccel
