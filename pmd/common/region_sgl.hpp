// A symmetric op's data as the synchronous CPU-crypto API takes it (rte_crypto_sgl + 16-bit
// head/tail offsets): only the bytes its transforms cover, not its whole mbuf chain. Described
// from the first byte of its regions, an op's leading and trailing segments count neither against
// the 16-bit offsets nor against the number of vecs, so a CPU-crypto run accepts what the same
// op through a queue pair does (a packet longer than 64 KiB, a chain of any length).
#pragma once

#include <rte_crypto_sym.h>
#include <rte_mbuf.h>

#include <cstdint>

#include "op_region.hpp"

namespace dpaccel::pmd {

// Describes bytes [begin, begin + len) of chain m: one vec per segment they touch (one, of length
// 0, for an empty range), written to v unless v is null. Returns how many, or 0 when the chain
// ends before the range does. Call with null to size v, then again to fill it.
inline uint32_t range_vecs(rte_mbuf* m, uint32_t begin, uint32_t len, rte_crypto_vec* v) noexcept {
  if (m == nullptr || uint64_t{begin} + len > rte_pktmbuf_pkt_len(m)) return 0;
  // Whole segments before the range (an empty range at the very end stays in the last one).
  while (m->next != nullptr && begin >= m->data_len) {
    begin -= m->data_len;
    m = m->next;
  }
  uint32_t n = 0;
  do {
    const uint32_t take = m->data_len - begin < len ? m->data_len - begin : len;
    if (v != nullptr)
      v[n] = {rte_pktmbuf_mtod_offset(m, void*, begin), rte_pktmbuf_iova_offset(m, begin), take, 0};
    ++n;
    len -= take;
    begin = 0;
    m = m->next;
  } while (len > 0 && m != nullptr);
  return len == 0 ? n : 0;
}

// Head and tail of region [off, off + len) inside the described range u. False when the region is
// not inside u or a distance does not fit 16 bits (a region starting or ending more than 64 KiB
// away from the others of its op).
inline bool region_ofs_in(OpRegion u, uint32_t off, uint32_t len, uint16_t& head,
                          uint16_t& tail) noexcept {
  const uint64_t end = uint64_t{off} + len;
  if (off < u.begin || end > u.end || off - u.begin > UINT16_MAX || u.end - end > UINT16_MAX)
    return false;
  head = static_cast<uint16_t>(off - u.begin);
  tail = static_cast<uint16_t>(u.end - end);
  return true;
}

}  // namespace dpaccel::pmd
