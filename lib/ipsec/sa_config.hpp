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
  IpAddress tunnel_src, tunnel_dst;               // tunnel modes only
  bool esn = false;                               // 64-bit sequence numbers (RFC 4303 §2.2.1)
  uint64_t esn_initial = 0;                       // `esn N`: out: last number sent; in: window top
  bool udp_encap = false;                         // RFC 3948 NAT-T, UDP port 4500 both ends
  uint32_t replay_window = kReplayWindowDefault;  // 0: anti-replay disabled
  uint8_t ttl = 64;                               // outer TTL / hop limit
  std::string where;                              // "file:line", for messages

  bool is_aead() const { return aead != nullptr; }
  uint8_t iv_len() const { return aead ? aead->iv_len : cipher->iv_len; }
  uint8_t icv_len() const { return aead ? aead->icv_len : auth->icv_len; }
  // Payload alignment: the cipher block, at least 4 bytes (RFC 4303 §2.4). Always a power of 2.
  uint8_t block() const { return aead ? 4 : (cipher->block < 4 ? 4 : cipher->block); }
  bool tunnel() const { return mode != SaMode::Transport; }
};

}  // namespace dpaccel
