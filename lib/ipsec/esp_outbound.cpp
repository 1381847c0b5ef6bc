#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include <cstring>

#include "common/random_bytes.hpp"
#include "ipsec/esp.hpp"
#include "ipsec/esp_common.hpp"
#include "packet/ip_packet.hpp"

namespace dpaccel {

namespace {

bool ipv6_ext_header(uint8_t nh) {
  // Hop-by-hop, routing, fragment, destination options, AH, mobility (RFC 8200 §4).
  return nh == 0 || nh == 43 || nh == 44 || nh == 60 || nh == 51 || nh == 135;
}

}  // namespace

DropReason esp_outbound_inner(const Sa& sa, const rte_mbuf* m, bool v6, EspInner& in) {
  auto* ip = rte_pktmbuf_mtod(m, const uint8_t*);
  const bool tunnel = sa.mode != SaMode::Transport;
  in.ip_len = uint16_t(m->data_len);
  if (!v6) {
    auto* h = reinterpret_cast<const rte_ipv4_hdr*>(ip);
    in.keep = tunnel ? 0 : uint8_t(rte_ipv4_hdr_len(h));
    in.next = tunnel ? kIpProtoIpv4 : h->next_proto_id;
    in.tos = h->type_of_service;
    in.df = h->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
  } else {
    auto* h = reinterpret_cast<const rte_ipv6_hdr*>(ip);
    if (!tunnel && ipv6_ext_header(h->proto)) return DropReason::UnsupportedExtHeader;
    in.keep = tunnel ? 0 : uint8_t(sizeof(rte_ipv6_hdr));
    in.next = tunnel ? kIpProtoIpv6 : h->proto;
    in.tos = uint8_t(rte_be_to_cpu_32(h->vtc_flow) >> 20);
    in.df = true;  // IPv6 routers never fragment
  }
  in.v6 = v6;
  return kPass;
}

namespace {

// kAeadTunnel4: the SA is Sa::out_aead_tunnel4, so every branch on its shape folds away.
template <bool kAeadTunnel4>
DropReason outbound_prepare(const Sa& sa, rte_mbuf* m, const EspInner& in, uint64_t seq,
                            EspJob& j) {
  const bool tunnel = kAeadTunnel4 || sa.mode != SaMode::Transport;
  const bool outer_v6 = !kAeadTunnel4 && sa.outer_v6;
  const bool sa_natt = !kAeadTunnel4 && sa.natt;
  const bool aead = kAeadTunnel4 || sa.aead;
  const uint32_t iv_len = kAeadTunnel4 ? 8 : sa.iv_len;
  const uint32_t block = kAeadTunnel4 ? 4 : sa.block;
  const uint32_t sqh_len = kAeadTunnel4 ? 0 : sa.sqh_len;
  const uint32_t ip_len = m->data_len;
  const bool v6 = in.v6;
  const uint32_t keep = in.keep;
  const uint8_t tos = in.tos;
  const bool df = in.df;
  const uint32_t payload = ip_len - keep;
  // Blocks are powers of two (4 or 16): a mask, not two divisions.
  const uint32_t pad = (0u - (payload + 2)) & (block - 1u);
  // Pad length and next header, stored as one 16-bit word: read byte by byte after the padding
  // stores (which may alias `in`), the compiler spilled `next` as a byte and reloaded it as a
  // word, a store-to-load forwarding stall on every packet.
  const uint16_t trailer = rte_cpu_to_le_16(uint16_t(pad | uint32_t(in.next) << 8));
  const uint32_t ct_len = payload + pad + 2;
  const uint32_t tail = pad + 2 + sqh_len + sa.icv_len;
  const uint32_t natt = sa_natt ? kUdpHeaderLen : 0;
  const uint32_t l3_len = tunnel ? (outer_v6 ? sizeof(rte_ipv6_hdr) : sizeof(rte_ipv4_hdr)) : keep;
  const uint32_t esp_off = l3_len + natt;
  const uint32_t add = esp_off - keep + kEspHeaderLen + iv_len;

  // The forwarder never chains (strip_l2 drops segmented packets, IPComp writes one mbuf).
  if (m->nb_segs != 1) [[unlikely]]
    return DropReason::Segmented;
  uint8_t* h = widen_single_segment(m, add, tail);
  if (!h) return DropReason::NoRoom;
  uint8_t* t = h + add + ip_len;
  // RFC 4303 §2.4: padding bytes 1, 2, 3, ...; then pad length and next header.
  for (uint32_t i = 0; i < pad; ++i) t[i] = uint8_t(i + 1);
  std::memcpy(t + pad, &trailer, 2);
  if (!tunnel) std::memmove(h, h + add, keep);

  uint8_t* esp = h + esp_off;
  std::memcpy(esp, &sa.spi_be, 4);
  const uint32_t seq_lo = rte_cpu_to_be_32(uint32_t(seq));
  const uint32_t seq_hi = rte_cpu_to_be_32(uint32_t(seq >> 32));
  std::memcpy(esp + 4, &seq_lo, 4);
  uint8_t* iv = esp + kEspHeaderLen;
  if (aead) {
    // RFC 4106 §3.1 / RFC 7634 §2: the 8-byte IV must never repeat under a key. A counter: the
    // 64-bit sequence number, which never repeats within a run, plus the SA's random offset,
    // so that a restart with the same configured key does not start over (Sa::iv_offset).
    const uint64_t iv_be = rte_cpu_to_be_64(seq + sa.iv_offset);
    std::memcpy(iv, &iv_be, 8);
    set_aead_nonce(sa, iv_be, j);
  } else if (iv_len) {
    // CBC needs an unpredictable IV (RFC 3602 §3): the kernel's CSPRNG, through a per-lcore
    // pool (ipsec-secgw's rte_rand() is a PRNG whose state its output gives away).
    if (!RandomPool::for_this_thread().take(iv, iv_len)) [[unlikely]]
      return DropReason::NoEntropy;
    j.iv = iv;
  } else {
    j.iv = nullptr;
  }
  if (kAeadTunnel4)
    j.aad = esp;  // no ESN: the AAD is the ESP header itself
  else
    set_aad(sa, esp, seq_hi, seq_lo, j);
  const uint32_t len = kEspHeaderLen + iv_len + ct_len;
  // RFC 4303 §3.3.2.1 / Appendix B: the ICV also covers the high half of an ESN, appended to the
  // payload for the computation only.
  if (sqh_len) std::memcpy(esp + len, &seq_hi, 4);

  const uint32_t final_len = m->data_len - sqh_len;
  if (tunnel && !outer_v6) {
    auto* o = reinterpret_cast<rte_ipv4_hdr*>(h);
    o->version_ihl = RTE_IPV4_VHL_DEF;
    o->type_of_service = tos;  // DSCP and ECN copied from the inner header (RFC 4301 §5.1.2.1)
    o->total_length = rte_cpu_to_be_16(uint16_t(final_len));
    // RFC 6864 §4: an ID only matters when the packet may be fragmented (DF clear), and must then
    // differ from the previous ones between the same endpoints: the low 16 bits of the sequence
    // number, which count up per SA. With DF set it is 0, as RFC 6864 allows.
    const uint16_t id = df ? 0 : uint16_t(seq);
    o->packet_id = rte_cpu_to_be_16(id);
    o->fragment_offset = df ? rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG) : 0;
    o->time_to_live = sa.ttl;
    o->next_proto_id = sa_natt ? kIpProtoUdp : kIpProtoEsp;
    std::memcpy(&o->src_addr, sa.outer_src, 4);
    std::memcpy(&o->dst_addr, sa.outer_dst, 4);
    uint32_t sum = sa.outer4_csum_base + tos + final_len + (df ? RTE_IPV4_HDR_DF_FLAG : 0) + id;
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    o->hdr_checksum = rte_cpu_to_be_16(uint16_t(~sum));
  } else if (tunnel) {
    auto* o = reinterpret_cast<rte_ipv6_hdr*>(h);
    o->vtc_flow = rte_cpu_to_be_32(6u << 28 | uint32_t(tos) << 20);
    o->payload_len = rte_cpu_to_be_16(uint16_t(final_len - sizeof(rte_ipv6_hdr)));
    o->proto = sa_natt ? kIpProtoUdp : kIpProtoEsp;
    o->hop_limits = sa.ttl;
    std::memcpy(o->src_addr, sa.outer_src, 16);
    std::memcpy(o->dst_addr, sa.outer_dst, 16);
  } else if (!v6) {
    auto* o = reinterpret_cast<rte_ipv4_hdr*>(h);
    o->total_length = rte_cpu_to_be_16(uint16_t(final_len));
    o->next_proto_id = sa_natt ? kIpProtoUdp : kIpProtoEsp;
    o->hdr_checksum = 0;
    o->hdr_checksum = rte_ipv4_cksum(o);
  } else {
    auto* o = reinterpret_cast<rte_ipv6_hdr*>(h);
    o->payload_len = rte_cpu_to_be_16(uint16_t(final_len - sizeof(rte_ipv6_hdr)));
    o->proto = sa_natt ? kIpProtoUdp : kIpProtoEsp;
  }
  if (sa_natt) {
    // RFC 3948 §2.1: source and destination port 4500; IPv4 checksum zero.
    auto* u = reinterpret_cast<rte_udp_hdr*>(h + l3_len);
    u->src_port = u->dst_port = rte_cpu_to_be_16(kNatTPort);
    u->dgram_len = rte_cpu_to_be_16(uint16_t(final_len - l3_len));
    u->dgram_cksum = 0;
  }
  const bool out_v6 = tunnel ? outer_v6 : v6;
  j.m = m;
  j.c.sa = sa.index;
  j.c.esp_off = uint16_t(esp_off);
  j.c.len = uint16_t(len + sqh_len);
  j.c.seq = seq;
  j.c.l3_len = uint8_t(l3_len);
  j.c.flags = kEspJobOutbound | (out_v6 ? kEspJobV6 : 0);
  j.c.inner_len = in.ip_len;
  return kPass;
}

}  // namespace

DropReason esp_outbound_prepare(const Sa& sa, rte_mbuf* m, const EspInner& in, uint64_t seq,
                                EspJob& j) {
  return sa.out_aead_tunnel4 ? outbound_prepare<true>(sa, m, in, seq, j)
                             : outbound_prepare<false>(sa, m, in, seq, j);
}

void esp_outbound_fixup(const Sa& sa, EspJob& j) {
  rte_mbuf* m = j.m;
  auto* h = rte_pktmbuf_mtod(m, uint8_t*);
  if (sa.sqh_len) {
    // The device wrote the ICV after the ESN high half; move it over and drop the 4 bytes.
    uint8_t* icv = h + j.c.esp_off + j.c.len;
    std::memmove(icv - sa.sqh_len, icv, sa.icv_len);
    rte_pktmbuf_trim(m, sa.sqh_len);
  }
  if (sa.natt && (j.c.flags & kEspJobV6)) {
    // IPv6 UDP needs a real checksum (RFC 8200 §8.1), over the ciphertext.
    auto* ip6 = reinterpret_cast<rte_ipv6_hdr*>(h);
    auto* u = reinterpret_cast<rte_udp_hdr*>(h + j.c.l3_len);
    u->dgram_cksum = 0;
    u->dgram_cksum = rte_ipv6_udptcp_cksum(ip6, u);
  }
}

}  // namespace dpaccel
