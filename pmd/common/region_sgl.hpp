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

// How many vecs bytes [begin, begin + len) of chain m take: one per segment they touch (one, of
// length 0, for an empty range inside the data). 0 when the chain ends before the range does.
inline uint32_t range_vec_count(const rte_mbuf* m, uint32_t begin, uint32_t len) noexcept {
  if (m == nullptr || uint64_t{begin} + len > rte_pktmbuf_pkt_len(m)) return 0;
  if (len == 0) return 1;
  while (begin >= m->data_len) {  // the range ends inside the chain, so a segment follows
    begin -= m->data_len;
    m = m->next;
  }
  uint32_t n = 0;
  for (; len > 0 && m != nullptr; m = m->next, begin = 0, ++n)
    len -= m->data_len - begin < len ? m->data_len - begin : len;
  return len == 0 ? n : 0;
}

// Fills v with the range's vecs (range_vec_count() of them, which must not be 0).
inline void fill_range_vecs(rte_mbuf* m, uint32_t begin, uint32_t len, rte_crypto_vec* v) noexcept {
  if (len == 0) {  // one empty vec where the range starts (or at the end of the data)
    while (m->next != nullptr && begin >= m->data_len) {
      begin -= m->data_len;
      m = m->next;
    }
    v[0] = {rte_pktmbuf_mtod_offset(m, void*, begin), rte_pktmbuf_iova_offset(m, begin), 0, 0};
    return;
  }
  while (begin >= m->data_len) {
    begin -= m->data_len;
    m = m->next;
  }
  for (uint32_t n = 0; len > 0; m = m->next, begin = 0, ++n) {
    uint32_t take = m->data_len - begin < len ? m->data_len - begin : len;
    v[n] = {rte_pktmbuf_mtod_offset(m, void*, begin), rte_pktmbuf_iova_offset(m, begin), take, 0};
    len -= take;
  }
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
