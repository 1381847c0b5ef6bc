#include <rte_byteorder.h>
#include <rte_ip.h>

#include <cstring>

#include "ipsec/esp_inbound.hpp"
#include "packet/ip_packet.hpp"

namespace dpaccel {

DropReason esp_inbound_strip_ipcomp(const Sa& sa, EspJob& j, uint32_t inner_len, bool* inner_v6) {
  rte_mbuf* m = j.m;
  auto* h = rte_pktmbuf_mtod(m, uint8_t*);
  const uint32_t hdr = kEspHeaderLen + sa.iv_len;
  const uint8_t* plain = h + j.c.esp_off + hdr;
  const bool transport = sa.mode == SaMode::Transport;
  const uint32_t l3 = j.c.l3_len;
  // RFC 3173 §2.2: next header, flags (ignored on receipt), CPI. Nested IPComp is not allowed.
  if (inner_len < kIpcompHeaderLen + 1u) return DropReason::IpcompMalformed;
  const uint8_t ic_next = plain[0];
  uint16_t cpi_be;
  std::memcpy(&cpi_be, plain + 2, 2);
  const bool next_ok = transport ? ic_next != kIpProtoComp && ic_next != kIpProtoNone
                                 : ic_next == kIpProtoIpv4 || ic_next == kIpProtoIpv6;
  if (cpi_be != sa.cpi_be || !next_ok) return DropReason::IpcompMalformed;
  const uint32_t skip = j.c.esp_off + hdr + kIpcompHeaderLen;  // to the compressed bytes
  const uint32_t clen = inner_len - kIpcompHeaderLen;
  if (transport) {
    std::memmove(h + skip - l3, h, l3);
    rte_pktmbuf_adj(m, uint16_t(skip - l3));
    rte_pktmbuf_trim(m, uint16_t(m->data_len - (l3 + clen)));
    *inner_v6 = j.c.flags & kEspJobV6;
  } else {
    j.c.outer_ecn = ip_ecn(h, sa.outer_v6);  // applied after inflating (RFC 6040)
    rte_pktmbuf_adj(m, uint16_t(skip));
    rte_pktmbuf_trim(m, uint16_t(m->data_len - clen));
    *inner_v6 = ic_next == kIpProtoIpv6;
    j.c.l3_len = 0;  // no IP header stays in front of the compressed payload
  }
  j.c.flags |= kEspJobIpcomp | (transport && sa.natt ? kEspJobNattTransport : 0);
  j.c.ipcomp_next = ic_next;
  return kPass;
}

DropReason esp_inbound_strip_transport(const Sa& sa, EspJob& j, uint8_t next, uint32_t inner_len,
                                       bool* inner_v6) {
  // The IP header moves up against the payload and gets the upper protocol back.
  rte_mbuf* m = j.m;
  auto* h = rte_pktmbuf_mtod(m, uint8_t*);
  const uint32_t l3 = j.c.l3_len;
  const uint32_t gap = j.c.esp_off + kEspHeaderLen + sa.iv_len - l3;
  std::memmove(h + gap, h, l3);
  narrow_single_segment(m, gap, l3 + inner_len);
  h += gap;
  const bool v6 = j.c.flags & kEspJobV6;
  restore_transport_header(h, v6, next, l3, inner_len, sa.natt);
  *inner_v6 = v6;
  return kPass;
}

}  // namespace dpaccel
