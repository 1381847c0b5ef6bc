#include <rte_byteorder.h>
#include <rte_ip.h>

#include <cstring>

#include "ipsec/esp.hpp"
#include "ipsec/esp_common.hpp"
#include "packet/ip_packet.hpp"

namespace dpaccel {

DropReason esp_inbound_prepare(Sa& sa, rte_mbuf* m, bool v6, uint8_t l3_len, EspJob& j) {
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

DropReason esp_inbound_finish(Sa& sa, EspJob& j, bool* inner_v6) {
  rte_mbuf* m = j.m;
  auto* h = rte_pktmbuf_mtod(m, uint8_t*);
  if (sa.replay.update(j.c.seq) != ReplayWindow::Verdict::Ok) return DropReason::Replay;
  const uint32_t hdr = kEspHeaderLen + sa.iv_len;
  const uint32_t ct_len = j.c.len - hdr - sa.sqh_len;
  uint8_t* plain = h + j.c.esp_off + hdr;
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
  const bool transport = sa.mode == SaMode::Transport;
  const uint32_t l3 = j.c.l3_len;

  // Without IPComp on the SA, protocol 108 is just an upper protocol: in transport mode it goes to
  // the host like any other (its IPComp is the host's business); tunnel mode refuses it below.
  if (next == kIpProtoComp && sa.ipcomp) {
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
      rte_pktmbuf_adj(m, uint16_t(skip));
      rte_pktmbuf_trim(m, uint16_t(m->data_len - clen));
      *inner_v6 = ic_next == kIpProtoIpv6;
      j.c.l3_len = 0;  // no IP header stays in front of the compressed payload
    }
    j.c.flags |= kEspJobIpcomp;
    j.c.ipcomp_next = ic_next;
    return kPass;
  }

  if (!transport) {
    if (next != kIpProtoIpv4 && next != kIpProtoIpv6) return DropReason::BadNextHeader;
    const bool v6 = next == kIpProtoIpv6;
    uint32_t ip_len;
    if (DropReason r = check_inner_ip(plain, inner_len, v6, &ip_len); r != kPass) return r;
    rte_pktmbuf_adj(m, uint16_t(j.c.esp_off + hdr));
    // Drops TFC padding after the inner packet too (RFC 4303 §2.7).
    rte_pktmbuf_trim(m, uint16_t(m->data_len - ip_len));
    *inner_v6 = v6;
    return kPass;
  }

  // Transport: the IP header moves up against the payload and gets the upper protocol back.
  const uint32_t gap = j.c.esp_off + hdr - l3;
  std::memmove(h + gap, h, l3);
  h = reinterpret_cast<uint8_t*>(rte_pktmbuf_adj(m, uint16_t(gap)));
  rte_pktmbuf_trim(m, uint16_t(m->data_len - (l3 + inner_len)));
  const bool v6 = j.c.flags & kEspJobV6;
  restore_transport_header(h, v6, next, l3, inner_len);
  *inner_v6 = v6;
  return kPass;
}

}  // namespace dpaccel
