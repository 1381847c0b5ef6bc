// ESP framing (RFC 4303): the work before and after the crypto device, per packet.
// prepare_* never touch the device; finish_* run on what it returned. Both return
// DropReason::Count when the packet goes on, or the reason it must be dropped (the caller frees).
#pragma once

#include "ipsec/esp_job.hpp"
#include "ipsec/sa.hpp"
#include "stats/drop_reason.hpp"

namespace dpaccel {

inline constexpr DropReason kPass = DropReason::Count;

// What ESP encapsulation takes from the clear-text packet, read before anything (IPComp) rewrites
// its payload.
struct EspInner {
  uint16_t ip_len;  // the clear-text IP packet's length
  uint8_t keep;     // IP header bytes that stay in front of ESP (transport), else 0
  uint8_t next;     // ESP's next header: 4/41 (tunnel), the upper protocol, or 108 after IPComp
  uint8_t tos;      // copied to the outer header (tunnel)
  bool df;
  bool v6;
};

// m's data starts at its IP header (IPv4 or IPv6 as `v6` says) and spans exactly the IP packet.
DropReason esp_outbound_inner(const Sa& sa, const rte_mbuf* m, bool v6, EspInner& in);
// m holds the `in.keep` header bytes followed by the payload to protect (the clear-text packet, or
// what IPComp made of it). seq is the number reserved for this packet. On success m holds the ESP
// packet (outer IP first) ready for the device, and `j` says what the device must do.
DropReason esp_outbound_prepare(const Sa& sa, rte_mbuf* m, const EspInner& in, uint64_t seq,
                                EspJob& j);
// After the device sealed the packet: ESN fix-up (drop the appended high half) and the IPv6 NAT-T
// UDP checksum. Inline up to the check whether there is any: for the common SA (no ESN, no NAT-T)
// there is none, and the call alone cost 18 instructions a packet.
void esp_outbound_fixup(const Sa& sa, EspJob& j);
inline void esp_outbound_finish(const Sa& sa, EspJob& j) {
  if (sa.sqh_len || sa.natt) [[unlikely]]
    esp_outbound_fixup(sa, j);
}

// Inbound: ipsec/esp_inbound.hpp.

}  // namespace dpaccel
