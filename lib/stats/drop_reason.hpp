// Every packet dpaccel-fwd does not forward is counted under exactly one of these reasons.
#pragma once

#include <cstdint>

namespace dpaccel {

#define DPACCEL_DROP_REASONS(X)                                                                 \
  X(NotIp, "not_ip", "ethertype is neither IPv4 nor IPv6")                                      \
  X(MalformedIp, "malformed_ip", "bad IP version, header length or total length")               \
  X(Fragment, "ip_fragment", "IP fragment (reassembly is not supported)")                       \
  X(UnsupportedExtHeader, "ipv6_ext_header", "IPv6 extension header before ESP/payload")        \
  X(Segmented, "segmented_mbuf", "multi-segment mbuf (not supported by the forwarder)")         \
  X(NoPolicy, "no_policy", "no security policy matched")                                        \
  X(PolicyDiscard, "policy_discard", "security policy says discard")                            \
  X(PlaintextOnProtected, "plaintext_protected", "clear-text packet matching a protect policy") \
  X(UnknownSpi, "unknown_spi", "ESP with an SPI no inbound SA has")                             \
  X(SaMismatch, "sa_mismatch", "ESP arrived with the wrong outer family or encapsulation")      \
  X(NattKeepalive, "natt_keepalive", "NAT-T keepalive (RFC 3948 2.3)")                          \
  X(IkeOnNattPort, "natt_non_esp", "non-ESP marker on UDP 4500 (IKE is not handled here)")      \
  X(EspMalformed, "esp_malformed", "ESP shorter than header+IV+ICV or not block-aligned")       \
  X(Replay, "replay", "sequence number already seen or left of the replay window")              \
  X(AuthFailed, "auth_failed", "ICV verification failed")                                       \
  X(CryptoError, "crypto_error", "crypto device returned an error status")                      \
  X(CryptoQueueFull, "crypto_queue_full", "crypto queue pair had no room")                      \
  X(BadPadding, "bad_padding", "ESP padding bytes or pad length invalid")                       \
  X(BadNextHeader, "bad_next_header", "ESP next header does not fit the SA's mode")             \
  X(DummyPacket, "dummy_packet", "ESP next header 59 (TFC dummy packet, RFC 4303 2.6)")         \
  X(EcnCeNotEct, "ecn_ce_not_ect", "outer ECN CE over a Not-ECT inner packet (RFC 6040)")       \
  X(PolicyMismatch, "policy_mismatch", "decrypted packet does not match its SA's policy")       \
  X(IpcompMalformed, "ipcomp_malformed",                                                        \
    "IPComp header truncated, with another CPI, or a next header unfit for the SA")             \
  X(IpcompCorrupt, "ipcomp_corrupt", "IPComp payload is not a valid DEFLATE stream")            \
  X(IpcompTooBig, "ipcomp_too_big", "IPComp payload inflates beyond one mbuf / IP packet")      \
  X(IpcompNoResources, "ipcomp_no_resources", "no mbuf, op or queue room to decompress")        \
  X(NoEntropy, "no_entropy", "the kernel's random generator failed (CBC IV)")                   \
  X(SeqOverflow, "seq_overflow", "outbound 32-bit sequence number exhausted (re-key)")          \
  X(NoMbuf, "no_mbuf", "no mbuf for a fragment (SA fragment)")                                  \
  X(NoRoom, "no_room", "mbuf lacks head- or tailroom for ESP encapsulation")                    \
  X(MtuExceeded, "mtu_exceeded", "packet larger than the output port's MTU")                    \
  X(NoRoute, "no_route", "no route to the destination")                                         \
  X(NoNeighbour, "no_neighbour", "no neigh line gives the next hop's MAC for the port")         \
  X(TxQueueFull, "tx_queue_full", "output port accepted fewer packets than offered")            \
  X(Shutdown, "shutdown", "still at the crypto device 1 s after the stop signal")

enum class DropReason : uint8_t {
#define DPACCEL_DROP_ENUM(e, name, help) e,
  DPACCEL_DROP_REASONS(DPACCEL_DROP_ENUM)
#undef DPACCEL_DROP_ENUM
      Count
};

inline constexpr unsigned kDropReasonCount = unsigned(DropReason::Count);

inline constexpr const char* kDropReasonNames[] = {
#define DPACCEL_DROP_NAME(e, name, help) name,
    DPACCEL_DROP_REASONS(DPACCEL_DROP_NAME)
#undef DPACCEL_DROP_NAME
};
inline constexpr const char* kDropReasonHelp[] = {
#define DPACCEL_DROP_HELP(e, name, help) help,
    DPACCEL_DROP_REASONS(DPACCEL_DROP_HELP)
#undef DPACCEL_DROP_HELP
};

constexpr const char* drop_reason_name(DropReason r) {
  return kDropReasonNames[unsigned(r)];
}

}  // namespace dpaccel
