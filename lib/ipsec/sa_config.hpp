// One security association as configured (ipsec-secgw `sa` line plus dpaccel's keywords).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "ipsec/esp_algorithm.hpp"

namespace dpaccel {

enum class SaDirection : uint8_t { Inbound, Outbound };
enum class SaMode : uint8_t { Ipv4Tunnel, Ipv6Tunnel, Transport };
// How crypto is run, ipsec-secgw's `type` keyword: enqueue/dequeue on a cryptodev queue pair, or
// the synchronous rte_cryptodev_sym_cpu_crypto_process() of a device that offers it.
enum class CryptoType : uint8_t { LookasideNone, CpuCrypto };

struct IpAddress {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};  // network order; IPv4 in the first 4 bytes
  uint32_t v4_host() const {
    return uint32_t{bytes[0]} << 24 | uint32_t{bytes[1]} << 16 | uint32_t{bytes[2]} << 8 | bytes[3];
  }
  bool operator==(const IpAddress&) const = default;
};

inline constexpr uint32_t kReplayWindowMin = 64;
inline constexpr uint32_t kReplayWindowMax = 4096;
inline constexpr uint32_t kReplayWindowDefault = 64;
inline constexpr uint16_t kNatTPort = 4500;  // RFC 3948 §2.1
inline constexpr uint16_t kMaxPortId = 1023;

// IPComp (RFC 3173) with DEFLATE (RFC 2394), applied under this SA's ESP: compressed before
// encryption on the way out, decompressed after decryption on the way in.
struct IpcompConfig {
  bool enabled = false;
  uint16_t cpi = 0;  // 2 (the well-known DEFLATE CPI) or a negotiated 256..65535 (RFC 3173 §3.3)
  // Payloads shorter than this go uncompressed (RFC 2394 §2: small packets rarely shrink; the
  // Linux kernel's DEFLATE threshold is 90 bytes too).
  uint16_t min_size = 90;
  uint8_t level = 1;  // compressdev level: 1 fastest .. 9 best
  // Huffman codes: dynamic (per packet, better ratio) or fixed (RFC 1951's, no tables to build:
  // faster on small packets); default lets the device choose.
  enum class Huffman : uint8_t { Default, Fixed, Dynamic } huffman = Huffman::Default;
  // Adaptive skip: after skip_after consecutive packets that did not shrink, the next skip_count
  // go uncompressed without trying (0 turns it off). Kept per worker lcore and SA.
  uint16_t skip_after = 8;
  uint32_t skip_count = 256;
};
inline constexpr uint16_t kIpcompCpiDeflate = 2;

struct SaConfig {
  uint32_t spi = 0;
  SaDirection dir = SaDirection::Outbound;
  SaMode mode = SaMode::Ipv4Tunnel;
  CryptoType type = CryptoType::LookasideNone;
  const EspAlgorithm* aead = nullptr;  // either aead, or cipher + auth
  const EspAlgorithm* cipher = nullptr;
  const EspAlgorithm* auth = nullptr;
  std::vector<uint8_t> aead_key;  // key || salt, as ipsec-secgw takes it
  std::vector<uint8_t> cipher_key;
  std::vector<uint8_t> auth_key;
  IpAddress tunnel_src, tunnel_dst;  // tunnel modes only
  bool esn = false;                  // 64-bit sequence numbers (RFC 4303 §2.2.1)
  uint64_t esn_initial = 0;          // `esn N`: out: first number sent; in: window top
  bool udp_encap = false;            // RFC 3948 NAT-T, UDP port 4500 both ends
  bool fragment = false;  // `fragment`: IPv4 inner packets too big for the port, DF clear, are
                          // fragmented before encryption (tunnel mode; dpaccel's keyword)
  uint32_t replay_window = kReplayWindowDefault;  // 0: anti-replay disabled
  uint8_t ttl = 64;                               // outer TTL / hop limit
  IpcompConfig ipcomp;                            // `ipcomp CPI` and its ipcomp_* keywords
  std::string where;                              // "file:line", for messages

  bool is_aead() const { return aead != nullptr; }
  uint8_t iv_len() const { return aead ? aead->iv_len : cipher->iv_len; }
  uint8_t icv_len() const { return aead ? aead->icv_len : auth->icv_len; }
  // Payload alignment: the cipher block, at least 4 bytes (RFC 4303 §2.4). Always a power of 2.
  uint8_t block() const { return aead ? 4 : (cipher->block < 4 ? 4 : cipher->block); }
  bool tunnel() const { return mode != SaMode::Transport; }
};

}  // namespace dpaccel
