// One constant-time comparison for authentication tags, used by every driver: a tag check
// must not tell an attacker how many leading bytes were right (memcmp does).
#pragma once

#include <cstddef>
#include <cstdint>

namespace dpaccel::pmd {

// Returns true when the n bytes at a and b are equal; time depends on n only.
inline bool tags_equal(const uint8_t* a, const uint8_t* b, size_t n) noexcept {
  uint8_t diff = 0;
  for (size_t i = 0; i < n; ++i) diff |= static_cast<uint8_t>(a[i] ^ b[i]);
  // Keep the compiler from turning the accumulation into an early exit.
  asm volatile("" : "+r"(diff));
  return diff == 0;
}

}  // namespace dpaccel::pmd
