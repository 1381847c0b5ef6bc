// A security association at run time: what ESP framing needs per packet, precomputed once.
#pragma once

#include <rte_crypto_sym.h>
#include <rte_spinlock.h>

#include <atomic>
#include <cstdint>

#include "ipsec/replay_window.hpp"
#include "ipsec/sa_config.hpp"

namespace dpaccel {

inline constexpr uint8_t kIpProtoEsp = 50;
inline constexpr uint8_t kIpProtoUdp = 17;
inline constexpr uint8_t kIpProtoIpv4 = 4;
inline constexpr uint8_t kIpProtoIpv6 = 41;
inline constexpr uint8_t kIpProtoNone = 59;
inline constexpr uint8_t kIpProtoComp = 108;    // IPComp (RFC 3173)
inline constexpr uint8_t kIpcompHeaderLen = 4;  // next header, flags, CPI
inline constexpr uint8_t kEspHeaderLen = 8;     // SPI + sequence number
inline constexpr uint8_t kUdpHeaderLen = 8;

struct Sa {
  Sa(const SaConfig& c, uint32_t idx);

  const SaConfig* cfg;
  uint32_t index;
  uint32_t spi_be;  // as on the wire
  SaDirection dir;
  SaMode mode;
  CryptoType type;
  bool aead, has_cipher, has_auth, esn, natt, outer_v6;
  uint8_t iv_len, icv_len, block, aad_len;
  uint8_t salt[4] = {};
  uint8_t ttl;
  bool ipcomp;
  bool fragment;    // fragment DF-clear IPv4 inner packets that would exceed the port MTU
  uint16_t cpi_be;  // IPComp CPI as on the wire
  uint8_t sqh_len;  // 4 when ESN's high half is appended for the ICV (non-AEAD with auth)
  uint8_t outer_src[16] = {}, outer_dst[16] = {};  // tunnel endpoints, network order
  // IPv4 tunnel: the outer header checksum's sum over the fields fixed per SA (version, TTL,
  // protocol, addresses), so each packet adds only TOS, length and flags — computing it by
  // reading back the freshly written header stalls on store forwarding.
  uint32_t outer4_csum_base = 0;
  // Outbound AEAD: added to the sequence number to make the 8-byte IV. Random per SA and run
  // (SaTable::create), because keys come from a configuration file and sequence numbers start
  // again at every start: with the bare sequence number as IV (what ipsec-secgw sends), a
  // restart would repeat GCM/ChaCha20 nonces under the same key. Two runs of N packets each
  // share an IV with a probability of about 2N / 2^64.
  uint64_t iv_offset = 0;
  // The common gateway SA: AEAD with an 8-byte IV and 4-byte padding, IPv4 tunnel, no NAT-T, no
  // ESN. Outbound ESP has a version of its per-packet code with all of that fixed.
  bool out_aead_tunnel4 = false;
  // Inbound tunnel: the bit of the outer header's second byte that is set for ECN ECT(1) and CE
  // (RFC 6040 decapsulation then has work to do): 0x01 under IPv4, 0x10 under IPv6.
  uint8_t outer_ecn_mark = 0;
  void* session = nullptr;  // null for NULL/NULL
  uint8_t dev_id = 0;
  // cpu-crypto offsets relative to the ESP header; each packet's data vector spans the ESP header
  // to the end of the ciphertext (plus the 4-byte ESN high half when it is authenticated).
  rte_crypto_sym_ofs ofs{};

  // Outbound: the last sequence number used. Lcores reserve a range per burst (reserve_seq).
  alignas(64) std::atomic<uint64_t> seq{0};

  // Outbound: reserves up to n sequence numbers for a burst, numbered from *first, and returns how
  // many it got. Fewer than n once the counter is exhausted: RFC 4303 §3.3.3 forbids cycling it
  // (the last number is 2^32 - 1, or 2^64 - 1 with ESN; the SA must be re-keyed), and the counter
  // then stays at its last number, so every later packet is refused too. A compare-and-swap, not a
  // fetch_add: with ESN an add past 2^64 - 1 would wrap the counter to small numbers that later
  // bursts would take as fresh (reachable from the configuration with `esn N` near 2^64).
  uint32_t reserve_seq(uint32_t n, uint64_t* first) noexcept {
    const uint64_t last = esn ? UINT64_MAX : UINT32_MAX;
    uint64_t cur = seq.load(std::memory_order_relaxed);
    uint64_t got;
    do {
      got = cur >= last ? 0 : (last - cur < n ? last - cur : n);
      if (got == 0) return 0;
    } while (!seq.compare_exchange_weak(cur, cur + got, std::memory_order_relaxed));
    *first = cur + 1;
    return uint32_t(got);
  }
  // Inbound: anti-replay state; the lock is taken once per burst group, never per packet.
  alignas(64) rte_spinlock_t replay_lock;
  ReplayWindow replay;
};

}  // namespace dpaccel
