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

  // Both inline up to the window itself: they run once per packet, and without a window (size
  // 0, ipsec-secgw's default) or ahead of it that is all they do.
  Check check(uint32_t seq_low) const noexcept {
    const uint64_t seq = esn_ ? infer(seq_low) : seq_low;
    if (seq == 0) return {Verdict::Invalid, seq};  // RFC 4303 §3.3.3: 0 is never sent
    if (size_ == 0 || seq > top_) return {Verdict::Ok, seq};
    return {check_in_window(seq), seq};
  }
  // Records an authenticated sequence number; Duplicate when it was already recorded.
  Verdict update(uint64_t seq) noexcept {
    if (seq == 0) return Verdict::Invalid;
    if (size_ == 0) {
      // No check, so no bitmap to keep: only the top, which places ESN numbers.
      if (seq > top_) top_ = seq;
      return Verdict::Ok;
    }
    return update_window(seq);
  }

  uint64_t top() const noexcept { return top_; }
  uint32_t size() const noexcept { return size_; }

 private:
  uint64_t infer(uint32_t seq_low) const noexcept;
  Verdict check_in_window(uint64_t seq) const noexcept;  // seq <= top_, window on
  Verdict update_window(uint64_t seq) noexcept;          // seq != 0, window on
  uint64_t& word(uint64_t seq) noexcept { return bits_[(seq >> 6) & mask_]; }
  uint64_t word(uint64_t seq) const noexcept { return bits_[(seq >> 6) & mask_]; }

  uint64_t top_;
  uint32_t size_;
  bool esn_;
  uint64_t mask_;
  std::vector<uint64_t> bits_;
};

}  // namespace dpaccel
