// The bytes of a symmetric op's data its transform covers: AEAD's region, or the union of the
// cipher and auth regions of a chain (of those the session has). What a throughput cap meters,
// what a cost model sizes an op by, and what a private copy must carry — not the mbuf's length
// (dpdk-test-crypto-perf's IMIX puts every op, 64 bytes or 1420, in max-size mbufs).
#pragma once

#include <rte_crypto_sym.h>

#include <algorithm>
#include <cstdint>

namespace dpaccel::pmd {

struct OpRegion {
  uint32_t begin, end;  // offsets in the op's source data
  uint32_t bytes() const noexcept { return end - begin; }
};

inline OpRegion op_region(const rte_crypto_sym_op* y, bool aead, bool has_cipher,
                          bool has_auth) noexcept {
  if (aead) return {y->aead.data.offset, y->aead.data.offset + y->aead.data.length};
  uint32_t begin = UINT32_MAX, end = 0;
  if (has_cipher) {
    begin = y->cipher.data.offset;
    end = y->cipher.data.offset + y->cipher.data.length;
  }
  if (has_auth) {
    begin = std::min(begin, y->auth.data.offset);
    end = std::max(end, y->auth.data.offset + y->auth.data.length);
  }
  // An empty region keeps its place ({off, off}): a CPU-crypto run describes the data from there.
  return begin <= end ? OpRegion{begin, end} : OpRegion{0, 0};
}

}  // namespace dpaccel::pmd
