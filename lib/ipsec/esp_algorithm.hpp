// The ESP transforms dpaccel supports, with the sizes RFC 4303 framing needs. One constexpr table
// answers both the config parser (names, key lengths) and the data path (IV, ICV, alignment).
#pragma once

#include <rte_crypto_sym.h>

#include <cstdint>
#include <string_view>

namespace dpaccel {

enum class EspAlgoKind : uint8_t { Aead, Cipher, Auth };

struct EspAlgorithm {
  std::string_view name;  // ipsec-secgw keyword
  EspAlgoKind kind;
  int rte_algo;     // rte_crypto_aead_/cipher_/auth_algorithm value
  uint8_t key_len;  // key bytes, salt excluded
  uint8_t salt_len;  // AEAD: trailing salt bytes of the configured key (RFC 4106 §8.1, RFC 7634 §2)
  uint8_t iv_len;    // bytes of IV carried in each packet
  uint8_t block;     // cipher block (payload alignment) — 1 for stream/AEAD modes
  uint8_t icv_len;  // bytes of ICV (AEAD tag or truncated HMAC)
  uint8_t aad_len;  // AEAD: 8 (SPI, seq) — 12 with ESN
  std::string_view rfc;
};

// RFC 4106 (GCM), RFC 7634 (ChaCha20-Poly1305), RFC 3602 (CBC), RFC 2404 / RFC 4868 (HMAC), RFC
// 2410.
inline constexpr EspAlgorithm kEspAeadAlgorithms[] = {
    {"aes-128-gcm", EspAlgoKind::Aead, RTE_CRYPTO_AEAD_AES_GCM, 16, 4, 8, 1, 16, 8, "RFC 4106"},
    {"aes-192-gcm", EspAlgoKind::Aead, RTE_CRYPTO_AEAD_AES_GCM, 24, 4, 8, 1, 16, 8, "RFC 4106"},
    {"aes-256-gcm", EspAlgoKind::Aead, RTE_CRYPTO_AEAD_AES_GCM, 32, 4, 8, 1, 16, 8, "RFC 4106"},
    {"chacha20-poly1305", EspAlgoKind::Aead, RTE_CRYPTO_AEAD_CHACHA20_POLY1305, 32, 4, 8, 1, 16, 8,
     "RFC 7634"},
};
inline constexpr EspAlgorithm kEspCipherAlgorithms[] = {
    {"null", EspAlgoKind::Cipher, RTE_CRYPTO_CIPHER_NULL, 0, 0, 0, 1, 0, 0, "RFC 2410"},
    {"aes-128-cbc", EspAlgoKind::Cipher, RTE_CRYPTO_CIPHER_AES_CBC, 16, 0, 16, 16, 0, 0,
     "RFC 3602"},
    {"aes-192-cbc", EspAlgoKind::Cipher, RTE_CRYPTO_CIPHER_AES_CBC, 24, 0, 16, 16, 0, 0,
     "RFC 3602"},
    {"aes-256-cbc", EspAlgoKind::Cipher, RTE_CRYPTO_CIPHER_AES_CBC, 32, 0, 16, 16, 0, 0,
     "RFC 3602"},
};
inline constexpr EspAlgorithm kEspAuthAlgorithms[] = {
    {"null", EspAlgoKind::Auth, RTE_CRYPTO_AUTH_NULL, 0, 0, 0, 1, 0, 0, "RFC 2410"},
    {"sha1-hmac", EspAlgoKind::Auth, RTE_CRYPTO_AUTH_SHA1_HMAC, 20, 0, 0, 1, 12, 0, "RFC 2404"},
    {"sha256-hmac", EspAlgoKind::Auth, RTE_CRYPTO_AUTH_SHA256_HMAC, 32, 0, 0, 1, 16, 0, "RFC 4868"},
};

// ipsec-secgw keywords that exist but dpaccel-fwd does not implement (a clear error, not
// "unknown").
inline constexpr std::string_view kEspUnsupportedAlgorithms[] = {
    "aes-128-ctr", "aes-192-ctr", "aes-256-ctr",     "3des-cbc",    "des-cbc",     "sha384-hmac",
    "sha512-hmac", "aes-gmac",    "aes-xcbc-mac-96", "aes-128-ccm", "aes-192-ccm", "aes-256-ccm"};

template <size_t N>
constexpr const EspAlgorithm* find_esp_algorithm(const EspAlgorithm (&table)[N],
                                                 std::string_view name) {
  for (const auto& a : table)
    if (a.name == name) return &a;
  return nullptr;
}

}  // namespace dpaccel
