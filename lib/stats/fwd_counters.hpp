// Counters written by one lcore each (no atomics on the fast path) and summed by readers
// (telemetry, the periodic stats line, the final report). 64-bit aligned loads are atomic on
// the platforms DPDK supports; readers use relaxed atomic_ref loads.
#pragma once

#include <rte_config.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <vector>

#include "stats/drop_reason.hpp"

namespace dpaccel {

inline constexpr unsigned kMaxPorts = RTE_MAX_ETHPORTS;

// IPComp on one SA (RFC 3173). Outbound: what happened to each packet that reached the SA's
// compression step; inbound: packets that arrived compressed or not. Bytes are IP payloads:
// outbound in = before compression, out = after it including the IPComp header; inbound the
// reverse. Only compressed packets add bytes, so in/out is the achieved ratio.
#define DPACCEL_IPCOMP_COUNTERS(X)                                                        \
  X(compressed, "packets sent compressed")                                                \
  X(too_small, "sent uncompressed: payload below ipcomp_min")                             \
  X(not_smaller, "sent uncompressed: compression did not make it smaller (RFC 3173 2.2)") \
  X(probed, "of not_smaller: judged by the entropy probe, no DEFLATE attempt")            \
  X(skipped, "sent uncompressed without trying: adaptive skip after incompressible ones") \
  X(failed, "sent uncompressed: no mbuf/op, queue full or device error")                  \
  X(bytes_in, "payload bytes before compression (compressed packets)")                    \
  X(bytes_out, "payload bytes after compression, IPComp header included")                 \
  X(decompressed, "inbound packets decompressed successfully")                            \
  X(arrived_plain, "inbound packets that arrived without IPComp")                         \
  X(inflated_in, "inbound compressed payload bytes, IPComp header included")              \
  X(inflated_out, "inbound payload bytes after decompression")

struct IpcompCounters {
#define DPACCEL_IPCOMP_FIELD(name, help) uint64_t name = 0;
  DPACCEL_IPCOMP_COUNTERS(DPACCEL_IPCOMP_FIELD)
#undef DPACCEL_IPCOMP_FIELD
};

struct SaCounters {
  uint64_t packets = 0;  // processed and passed on (encrypted / decrypted and verified)
  uint64_t bytes = 0;    // clear-text IP bytes, both directions
  uint64_t dropped = 0;  // drops attributed to this SA (auth, replay, padding, ...)
  IpcompCounters ipcomp;
};

struct alignas(64) LcoreCounters {
  std::array<uint64_t, kDropReasonCount> drops{};
  std::array<uint64_t, kMaxPorts> rx{}, tx{};
  uint64_t outbound = 0, inbound = 0, bypass = 0;     // packets forwarded by path
  uint64_t spd_cache_hits = 0, spd_cache_misses = 0;  // SPD lookups answered by the flow cache
  // SA `fragment`: packets split before encryption, and the fragments they became (each then
  // forwarded or dropped on its own: rx + fragments - fragmented = tx + dropped).
  uint64_t fragmented = 0, fragments = 0;
  std::vector<SaCounters> sa;  // indexed by SA index

  void drop(DropReason r) { ++drops[unsigned(r)]; }
};

template <typename T>
inline T load_relaxed(const T& v) {
  return std::atomic_ref<const T>(v).load(std::memory_order_relaxed);
}

// Totals over lcores.
struct FwdTotals {
  std::array<uint64_t, kDropReasonCount> drops{};
  std::array<uint64_t, kMaxPorts> rx{}, tx{};
  uint64_t outbound = 0, inbound = 0, bypass = 0;
  uint64_t spd_cache_hits = 0, spd_cache_misses = 0;
  uint64_t fragmented = 0, fragments = 0;
  std::vector<SaCounters> sa;
  uint64_t dropped() const {
    uint64_t s = 0;
    for (auto d : drops) s += d;
    return s;
  }
};

FwdTotals sum_counters(const std::vector<LcoreCounters*>& lcores, size_t nb_sa);

}  // namespace dpaccel
