// One constant-time comparison for authentication tags, used by every driver: a tag check
// must not tell an attacker how many leading bytes were right (memcmp does).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace dpaccel::pmd {

// Returns true when the n bytes at a and b are equal; time depends on n only. Eight bytes at a
// time (a 16-byte tag is two loads per side), so the check costs a few cycles, not one per byte.
inline bool tags_equal(const uint8_t* a, const uint8_t* b, size_t n) noexcept {
  uint64_t diff = 0;
  size_t i = 0;
  if (n == 16) {  // AES-GCM and ChaCha20-Poly1305 (ESP's ICVs): no loop at all
    uint64_t x[2], y[2];
    std::memcpy(x, a, 16);
    std::memcpy(y, b, 16);
    diff = (x[0] ^ y[0]) | (x[1] ^ y[1]);
    i = 16;
  }
  for (; i + 8 <= n; i += 8) {
    uint64_t x, y;
    std::memcpy(&x, a + i, 8);
    std::memcpy(&y, b + i, 8);
    diff |= x ^ y;
  }
  for (; i < n; ++i) diff |= static_cast<uint64_t>(a[i] ^ b[i]);
  // Keep the compiler from turning the accumulation into an early exit.
  asm volatile("" : "+r"(diff));
  return diff == 0;
}

}  // namespace dpaccel::pmd
