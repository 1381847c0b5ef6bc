#include "common/random_bytes.hpp"

#include <sys/random.h>

#include <cerrno>

namespace dpaccel {

bool fill_random(void* out, size_t n) noexcept {
  auto* p = static_cast<uint8_t*>(out);
  while (n) {
    // Requests above 256 bytes may come back short, or be interrupted by a signal.
    ssize_t got = getrandom(p, n, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += got;
    n -= size_t(got);
  }
  return true;
}

RandomPool& RandomPool::for_this_thread() noexcept {
  static thread_local RandomPool pool;
  return pool;
}

}  // namespace dpaccel
