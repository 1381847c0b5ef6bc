// In-order completion ring for a software queue pair.
//
// A software PMD finishes an op while it is being enqueued; the op then waits here until the
// application dequeues it. DPDK lets enqueue and dequeue of one queue pair run on two different
// lcores (one each), so this is a single-producer/single-consumer ring: acquire/release on the two
// indices and nothing else (on x86 both are plain moves). Capacity is a power of two.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

#include <rte_common.h>
#include <rte_malloc.h>

namespace dpaccel::pmd {

// Ring storage on a NUMA socket's DPDK heap (what drivers use).
struct RteSocketAlloc {
  static void* allocate(size_t bytes, int socket_id) noexcept {
    return rte_zmalloc_socket("dpaccel_cring", bytes, RTE_CACHE_LINE_SIZE, socket_id);
  }
  static void release(void* p) noexcept { rte_free(p); }
};

// Ring storage on the C heap (for code and tests that run without EAL).
struct HeapAlloc {
  static void* allocate(size_t bytes, int) noexcept {
    void* p = std::aligned_alloc(RTE_CACHE_LINE_SIZE, RTE_ALIGN_CEIL(bytes, RTE_CACHE_LINE_SIZE));
    if (p) std::memset(p, 0, bytes);
    return p;
  }
  static void release(void* p) noexcept { std::free(p); }
};

template <typename T, typename Alloc = RteSocketAlloc>
class CompletionRing {
 public:
  CompletionRing() = default;
  CompletionRing(const CompletionRing&) = delete;
  CompletionRing& operator=(const CompletionRing&) = delete;
  ~CompletionRing() { Alloc::release(slots_); }

  // Returns false when the memory cannot be had. capacity is rounded up to a power of two.
  [[nodiscard]] bool init(uint32_t capacity, int socket_id) noexcept {
    uint32_t cap = rte_align32pow2(capacity < 2 ? 2 : capacity);
    slots_ = static_cast<T*>(Alloc::allocate(sizeof(T) * cap, socket_id));
    if (slots_ == nullptr) return false;
    mask_ = cap - 1;
    return true;
  }

  uint32_t capacity() const noexcept { return mask_ + 1; }
  uint32_t free_count() const noexcept {
    return capacity() -
           (head_.load(std::memory_order_relaxed) - tail_.load(std::memory_order_acquire));
  }
  uint32_t used_count() const noexcept {
    return head_.load(std::memory_order_acquire) - tail_.load(std::memory_order_relaxed);
  }

  // Producer side: reserve() then write slot(i) for i < n, then publish(n).
  T& slot(uint32_t i) noexcept {
    return slots_[(head_.load(std::memory_order_relaxed) + i) & mask_];
  }
  void publish(uint32_t n) noexcept {
    head_.store(head_.load(std::memory_order_relaxed) + n, std::memory_order_release);
  }

  // Consumer side: peek(i) for i < used_count(), then consume(n).
  const T& peek(uint32_t i) const noexcept {
    return slots_[(tail_.load(std::memory_order_relaxed) + i) & mask_];
  }
  void consume(uint32_t n) noexcept {
    tail_.store(tail_.load(std::memory_order_relaxed) + n, std::memory_order_release);
  }

 private:
  T* slots_ = nullptr;
  uint32_t mask_ = 0;
  alignas(RTE_CACHE_LINE_SIZE) std::atomic<uint32_t> head_{0};
  alignas(RTE_CACHE_LINE_SIZE) std::atomic<uint32_t> tail_{0};
};

}  // namespace dpaccel::pmd
