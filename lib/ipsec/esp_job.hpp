// One packet between ESP framing and the crypto device, and back.
#pragma once

#include <rte_mbuf.h>

#include <cstdint>

namespace dpaccel {

// The part that survives a trip through a crypto op's private area (lookaside).
struct EspJobCore {
  uint32_t sa;          // SA index
  uint16_t esp_off;     // ESP header offset from the mbuf's data start (its IP header)
  uint16_t len;         // ESP header .. end of ciphertext, plus the ESN high half when appended
  uint64_t seq;         // full sequence number (inbound: inferred)
  uint8_t l3_len;       // IP header bytes in front of ESP (tunnel outbound: the outer header)
  uint8_t flags;        // kEspJob*
  uint16_t inner_len;   // outbound: clear-text IP bytes before encapsulation
  uint8_t ipcomp_next;  // inbound with kEspJobIpcomp: the IPComp header's next header
  uint8_t outer_ecn;    // inbound tunnel-mode IPComp: the outer header's ECN, for after inflating
  uint8_t pad[2];
};
static_assert(sizeof(EspJobCore) <= 32);

inline constexpr uint8_t kEspJobOutbound = 1;  // else inbound
inline constexpr uint8_t kEspJobV6 = 2;        // the mbuf's (outer) IP header is IPv6
// Inbound: ESP carried IPComp; the mbuf holds the compressed payload (after the IP header in
// transport mode) and waits for decompression.
inline constexpr uint8_t kEspJobIpcomp = 4;
// Inbound transport-mode IPComp over NAT-T: restoring the inflated packet's header recomputes its
// TCP/UDP checksum (restore_transport_header), as for plain ESP; the IPComp worker has no SA.
inline constexpr uint8_t kEspJobNattTransport = 8;

struct EspJob {
  rte_mbuf* m;
  EspJobCore c;
  // Handed to the device: the 12-byte AEAD nonce (salt || IV) or a pointer to the CBC IV in the
  // packet; the AAD (SPI || [seq hi] || seq lo) or a pointer to the ESP header when it is that.
  const uint8_t* iv;
  const uint8_t* aad;
  uint8_t iv_buf[12];
  uint8_t aad_buf[12];
};

// What came back from the device, whatever the API.
enum class CryptoResult : uint8_t { Ok, AuthFailed, Error };

}  // namespace dpaccel
