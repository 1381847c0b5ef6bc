// Inbound ESP (RFC 4303), per packet: before the device (lengths, replay check, the job) and after
// it (window update, padding, strip). Both run once per packet in the worker's loops and are
// inline: as calls (the compiler kept them out of line) they cost a fifth of their instructions.
// What is rare (IPComp, transport mode) is in esp_inbound.cpp.
#pragma once

#include <rte_byteorder.h>

#include <cstring>

#include "ipsec/esp.hpp"
#include "ipsec/esp_common.hpp"
#include "packet/ip_packet.hpp"

namespace dpaccel {

// m's data starts at its outer IP header, spans exactly the IP packet, and holds ESP at l3_len
// (+8 with NAT-T). Checks lengths and the replay window (the caller holds sa.replay_lock).
inline DropReason esp_inbound_prepare(Sa& sa, rte_mbuf* m, bool v6, uint8_t l3_len, EspJob& j) {
  auto* h = rte_pktmbuf_mtod(m, uint8_t*);
  const uint32_t esp_off = l3_len + (sa.natt ? kUdpHeaderLen : 0);
  const uint32_t total = m->data_len;
  const uint32_t overhead = kEspHeaderLen + sa.iv_len + sa.icv_len;
  // RFC 4303 §2: the ciphertext (payload, padding, pad length, next header) ends on the cipher's
  // block (at least 4 bytes), so it is at least one block long.
  if (total < esp_off + overhead + sa.block) return DropReason::EspMalformed;
  const uint32_t ct_len = total - esp_off - overhead;
  if (ct_len & (sa.block - 1u)) return DropReason::EspMalformed;  // block: a power of two
  uint8_t* esp = h + esp_off;
  uint32_t seq_lo_be;
  std::memcpy(&seq_lo_be, esp + 4, 4);
  // RFC 4303 §3.4.3: the replay check comes before the ICV check; the window moves only after.
  const auto chk = sa.replay.check(rte_be_to_cpu_32(seq_lo_be));
  if (chk.verdict != ReplayWindow::Verdict::Ok) return DropReason::Replay;
  const uint32_t seq_hi_be = rte_cpu_to_be_32(uint32_t(chk.seq >> 32));
  uint32_t len = kEspHeaderLen + sa.iv_len + ct_len;
  if (sa.sqh_len) {
    // ICV over ESP || seq hi (RFC 4303 §3.4.4.1): make room before the received ICV.
    if (!rte_pktmbuf_append(m, sa.sqh_len)) return DropReason::NoRoom;
    std::memmove(esp + len + sa.sqh_len, esp + len, sa.icv_len);
    std::memcpy(esp + len, &seq_hi_be, 4);
    len += sa.sqh_len;
  }
  const uint8_t* iv = esp + kEspHeaderLen;
  if (sa.aead) {
    uint64_t iv_be;
    std::memcpy(&iv_be, iv, 8);
    set_aead_nonce(sa, iv_be, j);
  } else
    j.iv = sa.iv_len ? iv : nullptr;
  set_aad(sa, esp, seq_hi_be, seq_lo_be, j);
  j.m = m;
  j.c.sa = sa.index;
  j.c.esp_off = uint16_t(esp_off);
  j.c.len = uint16_t(len);
  j.c.seq = chk.seq;
  j.c.l3_len = l3_len;
  j.c.flags = v6 ? kEspJobV6 : 0;
  return kPass;
}

// esp_inbound_finish after the padding check, when ESP carried IPComp on an IPComp SA, or in
// transport mode: inner_len is the payload's length before the padding.
DropReason esp_inbound_strip_ipcomp(const Sa& sa, EspJob& j, uint32_t inner_len, bool* inner_v6);
DropReason esp_inbound_strip_transport(const Sa& sa, EspJob& j, uint8_t next, uint32_t inner_len,
                                       bool* inner_v6);

// After a verified ICV: records the sequence number (caller holds sa.replay_lock), checks the
// padding and next header, and strips ESP. On success m holds the inner IP packet; *inner_v6 says
// its family. With IPComp (j.c.flags gets kEspJobIpcomp) m holds instead the IP header (transport)
// and the compressed payload, for ipcomp's decompression to finish (j.c.l3_len: the IP header
// bytes in front of it, 0 in tunnel mode).
// Always inline: with the RFC 6040 test g++ stopped inlining it (callgrind, 64 B inbound: 45 more
// instructions a packet as a call; inlined, the test costs about 12, most of it register moves).
[[gnu::always_inline]] inline DropReason esp_inbound_finish(Sa& sa, EspJob& j, bool* inner_v6) {
  if (sa.replay.update(j.c.seq) != ReplayWindow::Verdict::Ok) return DropReason::Replay;
  rte_mbuf* m = j.m;
  const uint32_t hdr = kEspHeaderLen + sa.iv_len;
  const uint32_t ct_len = j.c.len - hdr - sa.sqh_len;
  const uint8_t* plain = rte_pktmbuf_mtod_offset(m, const uint8_t*, j.c.esp_off + hdr);
  const uint8_t pad = plain[ct_len - 2];
  const uint8_t next = plain[ct_len - 1];
  if (uint32_t{pad} + 2 > ct_len) return DropReason::BadPadding;
  const uint8_t* padding = plain + ct_len - 2 - pad;
  // RFC 4303 §2.4: the default padding is 1, 2, 3, ...; anything else is not from a conforming
  // sender (and would hide a decryption with the wrong key).
  for (uint32_t i = 0; i < pad; ++i)
    if (padding[i] != uint8_t(i + 1)) return DropReason::BadPadding;
  const uint32_t inner_len = ct_len - 2 - pad;
  if (next == kIpProtoNone) return DropReason::DummyPacket;
  // Without IPComp on the SA, protocol 108 is just an upper protocol: in transport mode it goes to
  // the host like any other (its IPComp is the host's business); tunnel mode refuses it below.
  if (next == kIpProtoComp && sa.ipcomp) [[unlikely]]
    return esp_inbound_strip_ipcomp(sa, j, inner_len, inner_v6);
  if (sa.mode == SaMode::Transport)
    return esp_inbound_strip_transport(sa, j, next, inner_len, inner_v6);
  if (next != kIpProtoIpv4 && next != kIpProtoIpv6) return DropReason::BadNextHeader;
  const bool v6 = next == kIpProtoIpv6;
  uint32_t ip_len;
  if (DropReason r = check_inner_ip(plain, inner_len, v6, &ip_len); r != kPass) return r;
  // RFC 6040: congestion marks from the path between the gateways (outer ECT(1) or CE).
  const uint8_t* outer = plain - hdr - j.c.esp_off;
  if (outer[1] & sa.outer_ecn_mark) [[unlikely]]
    if (DropReason r = decapsulate_ecn(const_cast<uint8_t*>(plain), v6, ip_ecn(outer, sa.outer_v6));
        r != kPass)
      return r;
  // Drops TFC padding after the inner packet too (RFC 4303 §2.7).
  narrow_single_segment(m, j.c.esp_off + hdr, ip_len);
  *inner_v6 = v6;
  return kPass;
}

}  // namespace dpaccel
