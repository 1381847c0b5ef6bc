// Received-frame checks and selector keys: the per-packet header work before policy lookup.
#pragma once

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include <cstring>

#include "policy/spd.hpp"
#include "stats/drop_reason.hpp"

namespace dpaccel {

struct L3Info {
  bool v6;
  uint8_t l3_len;  // IP header bytes (IPv4 with options: IHL × 4)
  uint8_t proto;   // IPv4 protocol / IPv6 next header
};

// Strips the Ethernet header, checks the IP header and lengths, trims Ethernet padding so the
// mbuf spans exactly the IP packet. Returns DropReason::Count when the packet is usable.
inline DropReason strip_l2(rte_mbuf* m, L3Info& info) {
  if (m->nb_segs != 1) return DropReason::Segmented;
  const uint32_t len = m->data_len;
  if (len < sizeof(rte_ether_hdr)) return DropReason::NotIp;
  // Everything is read and checked first and the mbuf adjusted once at the end: the header loads
  // then need not wait behind the mbuf stores of rte_pktmbuf_adj (perf put a tenth of the outbound
  // loop on the IPv4 length check when it came after them).
  const uint8_t* p = rte_pktmbuf_mtod(m, const uint8_t*);
  const uint16_t type = reinterpret_cast<const rte_ether_hdr*>(p)->ether_type;
  const uint32_t avail = len - sizeof(rte_ether_hdr);
  uint32_t ip_len;
  if (type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)) {
    if (avail < sizeof(rte_ipv4_hdr)) return DropReason::MalformedIp;
    auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(p + sizeof(rte_ether_hdr));
    const uint32_t vhl = ip->version_ihl;
    const uint32_t hl = (vhl & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER;
    ip_len = rte_be_to_cpu_16(ip->total_length);
    // Bitwise | of the conditions: one branch for the four, all cheap to evaluate.
    if (((vhl >> 4) != 4) | (hl < sizeof(rte_ipv4_hdr)) | (ip_len < hl) | (ip_len > avail))
      return DropReason::MalformedIp;
    if (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))
      return DropReason::Fragment;
    info.v6 = false;
    info.l3_len = uint8_t(hl);
    info.proto = ip->next_proto_id;
  } else if (type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6)) {
    if (avail < sizeof(rte_ipv6_hdr)) return DropReason::MalformedIp;
    auto* ip = reinterpret_cast<const rte_ipv6_hdr*>(p + sizeof(rte_ether_hdr));
    ip_len = sizeof(rte_ipv6_hdr) + rte_be_to_cpu_16(ip->payload_len);
    if ((p[sizeof(rte_ether_hdr)] >> 4) != 6 || ip_len > avail) return DropReason::MalformedIp;
    if (ip->proto == 44) return DropReason::Fragment;
    info.v6 = true;
    info.l3_len = sizeof(rte_ipv6_hdr);
    info.proto = ip->proto;
  } else {
    return DropReason::NotIp;
  }
  // One segment: strip the Ethernet header and any Ethernet padding after the IP packet.
  m->data_off = uint16_t(m->data_off + sizeof(rte_ether_hdr));
  m->data_len = uint16_t(ip_len);
  m->pkt_len = ip_len;
  return DropReason::Count;
}

// A decrypted (or decompressed) tunnel-mode inner packet: `avail` bytes at p that must start with
// one IP packet of the family `v6` says. Sets *ip_len to its length (what follows is TFC padding).
inline DropReason check_inner_ip(const uint8_t* p, uint32_t avail, bool v6, uint32_t* ip_len) {
  if (!v6) {
    if (avail < sizeof(rte_ipv4_hdr)) return DropReason::MalformedIp;
    auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(p);
    *ip_len = rte_be_to_cpu_16(ip->total_length);
    if ((ip->version_ihl >> 4) != 4 || rte_ipv4_hdr_len(ip) < sizeof(rte_ipv4_hdr) ||
        *ip_len < rte_ipv4_hdr_len(ip) || *ip_len > avail)
      return DropReason::MalformedIp;
  } else {
    if (avail < sizeof(rte_ipv6_hdr)) return DropReason::MalformedIp;
    auto* ip = reinterpret_cast<const rte_ipv6_hdr*>(p);
    *ip_len = sizeof(rte_ipv6_hdr) + rte_be_to_cpu_16(ip->payload_len);
    if ((p[0] >> 4) != 6 || *ip_len > avail) return DropReason::MalformedIp;
  }
  return DropReason::Count;
}

// The ECN field (RFC 3168: 00 Not-ECT, 01 ECT(1), 10 ECT(0), 11 CE) of the IP header at p.
inline uint8_t ip_ecn(const uint8_t* p, bool v6) {
  return v6 ? (p[1] >> 4) & 3 : p[1] & 3;
}

inline constexpr uint8_t kEcnNotEct = 0, kEcnEct1 = 1, kEcnEct0 = 2, kEcnCe = 3;

// Tunnel decapsulation, RFC 6040 §4.2 (normal mode): congestion marks the path between the
// gateways left on the outer header reach the inner one. Outer CE makes the inner packet CE, or
// dropped when it is Not-ECT (its transport would not understand the mark); outer ECT(1) over an
// inner ECT(0) gives ECT(1); everything else leaves the inner field alone. inner: the inner IP
// header (its family `v6`), already checked by check_inner_ip. Only called when the outer field
// has its low bit set (ECT(1) or CE), as the other two outer values change nothing. Out of line
// and cold: the per-packet test is all the fast path should carry.
[[gnu::cold, gnu::noinline]] inline DropReason decapsulate_ecn(uint8_t* inner, bool v6,
                                                               uint8_t outer_ecn) {
  const uint8_t in = ip_ecn(inner, v6);
  uint8_t out = in;
  if (outer_ecn == kEcnCe) {
    if (in == kEcnNotEct) return DropReason::EcnCeNotEct;
    out = kEcnCe;
  } else if (outer_ecn == kEcnEct1 && in == kEcnEct0) {
    out = kEcnEct1;
  }
  if (out == in) return DropReason::Count;
  if (v6) {
    inner[1] = uint8_t((inner[1] & ~0x30) | out << 4);
    return DropReason::Count;
  }
  // RFC 1624 incremental update of the checksum over the word holding version/IHL and TOS.
  const uint16_t old_word = uint16_t(inner[0] << 8 | inner[1]);
  inner[1] = uint8_t((inner[1] & ~3) | out);
  const uint16_t new_word = uint16_t(inner[0] << 8 | inner[1]);
  uint32_t sum = uint16_t(~(inner[10] << 8 | inner[11])) + uint16_t(~old_word) + new_word;
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  const uint16_t csum = uint16_t(~sum);
  inner[10] = uint8_t(csum >> 8);
  inner[11] = uint8_t(csum);
  return DropReason::Count;
}

// Keeps bytes [off, off + len) of a one-segment mbuf's data: rte_pktmbuf_adj then
// rte_pktmbuf_trim, without their checks and without the reloads between them (the caller checked
// that the range lies inside the data; inbound ESP arrives in one segment, strip_l2 sees to it).
inline void narrow_single_segment(rte_mbuf* m, uint32_t off, uint32_t len) {
  m->data_off = uint16_t(m->data_off + off);
  m->data_len = uint16_t(len);
  m->pkt_len = len;
}

// Grows a one-segment mbuf's data by `head` bytes in front and `tail` bytes behind and returns
// the new start, or nullptr (nothing changed) without the room: rte_pktmbuf_prepend and
// rte_pktmbuf_append in one, without the walk to the last segment and the second round of checks.
inline uint8_t* widen_single_segment(rte_mbuf* m, uint32_t head, uint32_t tail) {
  if (head > m->data_off || tail > rte_pktmbuf_tailroom(m)) return nullptr;
  m->data_off = uint16_t(m->data_off - head);
  m->data_len = uint16_t(m->data_len + head + tail);
  m->pkt_len += head + tail;
  return rte_pktmbuf_mtod(m, uint8_t*);
}

// Transport mode over NAT-T (RFC 3948 §3.1.2): a NAT between the peers rewrote the addresses
// of the header the packet keeps, and the sender's TCP/UDP checksum, sealed inside ESP, still
// covers the old ones; the host would drop the packet. The checksum is computed again over what
// arrived (h: the IP header, l3 bytes, then `payload` bytes of `next`). An IPv4 UDP checksum of 0
// (not used) stays 0.
inline void fix_l4_checksum_after_nat(uint8_t* h, bool v6, uint8_t next, uint32_t l3,
                                      uint32_t payload) {
  uint8_t* l4 = h + l3;
  uint8_t* field;  // the checksum's two bytes
  if (next == 6 && payload >= sizeof(rte_tcp_hdr)) {
    field = l4 + offsetof(rte_tcp_hdr, cksum);
  } else if (next == 17 && payload >= sizeof(rte_udp_hdr)) {
    field = l4 + offsetof(rte_udp_hdr, dgram_cksum);
    if (!v6 && field[0] == 0 && field[1] == 0) return;
  } else {
    return;
  }
  field[0] = field[1] = 0;
  // Both compute over the IP header's payload length, which restore_transport_header set.
  const uint16_t c = v6 ? rte_ipv6_udptcp_cksum(reinterpret_cast<const rte_ipv6_hdr*>(h), l4)
                        : rte_ipv4_udptcp_cksum(reinterpret_cast<const rte_ipv4_hdr*>(h), l4);
  std::memcpy(field, &c, 2);
}

// Transport mode, after ESP/IPComp came off: the IP header at h (l3 bytes) gets the upper
// protocol and the payload length back, and over NAT-T its TCP/UDP checksum is made right again.
inline void restore_transport_header(uint8_t* h, bool v6, uint8_t next, uint32_t l3,
                                     uint32_t payload, bool nat_traversal) {
  if (!v6) {
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(h);
    ip->next_proto_id = next;
    ip->total_length = rte_cpu_to_be_16(uint16_t(l3 + payload));
    ip->hdr_checksum = 0;
    ip->hdr_checksum = rte_ipv4_cksum(ip);
  } else {
    auto* ip = reinterpret_cast<rte_ipv6_hdr*>(h);
    ip->proto = next;
    ip->payload_len = rte_cpu_to_be_16(uint16_t(l3 + payload - sizeof(rte_ipv6_hdr)));
  }
  if (nat_traversal) fix_l4_checksum_after_nat(h, v6, next, l3, payload);
}

inline bool has_ports(uint8_t proto) {
  return proto == 6 || proto == 17 || proto == 132;
}

// Selector keys (network order, as rte_acl reads them). Ports are zero when absent.
inline void make_key4(const rte_mbuf* m, SpKey4& k) {
  auto* ip = rte_pktmbuf_mtod(m, const rte_ipv4_hdr*);
  const uint32_t hl = rte_ipv4_hdr_len(ip);
  k.proto = ip->next_proto_id;
  k.pad[0] = k.pad[1] = k.pad[2] = 0;  // the flow cache compares whole keys
  k.src = ip->src_addr;
  k.dst = ip->dst_addr;
  k.sport = k.dport = 0;
  // A non-first fragment (a decrypted tunnel packet may be one) carries no ports: 0, which
  // port ranges that include 0 match (RFC 4301 §7 leaves such fragments to policies that do not
  // depend on ports).
  if (has_ports(k.proto) && m->data_len >= hl + 4 &&
      !(ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_OFFSET_MASK)))
    std::memcpy(&k.sport, rte_pktmbuf_mtod_offset(m, const uint8_t*, hl), 4);
}

inline void make_key6(const rte_mbuf* m, SpKey6& k) {
  auto* ip = rte_pktmbuf_mtod(m, const rte_ipv6_hdr*);
  k.proto = ip->proto;
  k.pad[0] = k.pad[1] = k.pad[2] = 0;  // the flow cache compares whole keys
  std::memcpy(k.src, ip->src_addr, 16);
  std::memcpy(k.dst, ip->dst_addr, 16);
  k.sport = k.dport = 0;
  if (has_ports(k.proto) && m->data_len >= sizeof(rte_ipv6_hdr) + 4)
    std::memcpy(&k.sport, rte_pktmbuf_mtod_offset(m, const uint8_t*, sizeof(rte_ipv6_hdr)), 4);
}

}  // namespace dpaccel
