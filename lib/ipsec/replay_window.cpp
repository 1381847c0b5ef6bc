#include "ipsec/replay_window.hpp"

#include <algorithm>
#include <bit>

namespace dpaccel {

namespace {
// The window used to place a 32-bit number when the check itself is disabled.
constexpr uint32_t kInferenceWindowWhenDisabled = 1u << 30;
}  // namespace

ReplayWindow::ReplayWindow(uint32_t size, bool esn, uint64_t initial_top)
    : top_(esn ? initial_top : uint32_t(initial_top)), size_(size), esn_(esn) {
  // A window of `size` numbers touches at most ceil((size + 63) / 64) words.
  size_t words = std::bit_ceil(size_t{(size + 63 + 63) / 64});
  if (words < 2) words = 2;
  bits_.assign(words, 0);
  mask_ = words - 1;
}

uint64_t ReplayWindow::infer(uint32_t sl) const noexcept {
  if (!esn_) return sl;
  // RFC 4303 Appendix A2.2: pick the high half that puts the number nearest the window.
  const uint32_t w = size_ ? size_ : kInferenceWindowWhenDisabled;
  const uint32_t tl = uint32_t(top_);
  const uint32_t th = uint32_t(top_ >> 32);
  uint32_t sh;
  if (tl >= w - 1) {
    sh = sl >= tl - w + 1 ? th : th + 1;
  } else {
    // The window straddles a 2^32 boundary: numbers above tl - w + 1 (mod 2^32) are from before it.
    if (sl >= uint32_t(tl - w + 1)) {
      if (th == 0) return 0;  // before the very first number: invalid
      sh = th - 1;
    } else {
      sh = th;
    }
  }
  return uint64_t{sh} << 32 | sl;
}

ReplayWindow::Verdict ReplayWindow::check_in_window(uint64_t seq) const noexcept {
  if (top_ - seq >= size_) return Verdict::TooOld;
  if (word(seq) >> (seq & 63) & 1) return Verdict::Duplicate;
  return Verdict::Ok;
}

ReplayWindow::Verdict ReplayWindow::update_window(uint64_t seq) noexcept {
  if (seq > top_) {
    // Clear the words the window slides over, then move the top.
    uint64_t from = (top_ >> 6) + 1, to = seq >> 6;
    if (to - from + 1 > bits_.size() || to < from) {
      if (to >= from) std::fill(bits_.begin(), bits_.end(), 0);
    } else {
      for (uint64_t wi = from; wi <= to; ++wi) bits_[wi & mask_] = 0;
    }
    top_ = seq;
  } else if (const Verdict v = check_in_window(seq); v != Verdict::Ok) {
    return v;
  }
  word(seq) |= uint64_t{1} << (seq & 63);
  return Verdict::Ok;
}

}  // namespace dpaccel
