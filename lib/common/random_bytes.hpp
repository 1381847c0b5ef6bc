// Unpredictable bytes from the kernel's CSPRNG (getrandom(2)): CBC IVs (RFC 3602 §3 wants them
// unpredictable; DPDK's rte_rand() is a fast PRNG whose state can be recovered from its output)
// and the per-SA AEAD IV offset (see Sa::iv_offset).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace dpaccel {

// Fills out[0..n) from getrandom(2); false when the kernel refuses (never on a booted Linux
// with getrandom, kept for a clear error rather than weak bytes).
bool fill_random(void* out, size_t n) noexcept;

// Per-lcore pool: one getrandom call per 4 KiB (256 CBC IVs) instead of one per packet.
// Not thread-safe: one per thread (see RandomPool::for_this_thread()).
class RandomPool {
 public:
  static constexpr size_t kSize = 4096;
  using Fill = bool (*)(void* out, size_t n) noexcept;
  // `fill` is fill_random; tests give one that fails.
  explicit RandomPool(Fill fill = fill_random) noexcept : fill_(fill) {}
  // Copies n <= kSize unpredictable bytes to out; false when the pool cannot be refilled.
  bool take(uint8_t* out, size_t n) noexcept {
    if (left_ < n) [[unlikely]] {
      if (!fill_(buf_, kSize)) return false;
      left_ = kSize;
    }
    std::memcpy(out, buf_ + kSize - left_, n);
    left_ -= n;
    return true;
  }
  static RandomPool& for_this_thread() noexcept;

 private:
  Fill fill_;
  uint8_t buf_[kSize];
  size_t left_ = 0;
};

}  // namespace dpaccel
