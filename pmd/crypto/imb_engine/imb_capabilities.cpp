#include "imb_capabilities.hpp"

#include <array>

#include "imb_dev_ops.hpp"
#include "imb_manager.hpp"

namespace dpaccel::imb {
namespace {

using Range = rte_crypto_param_range;

constexpr rte_cryptodev_capabilities aead(rte_crypto_aead_algorithm algo, Range key, Range digest,
                                          Range aad, Range iv) {
  return {.op = RTE_CRYPTO_OP_TYPE_SYMMETRIC,
          .sym = {.xform_type = RTE_CRYPTO_SYM_XFORM_AEAD,
                  .aead = {.algo = algo,
                           .block_size = 16,
                           .key_size = key,
                           .digest_size = digest,
                           .aad_size = aad,
                           .iv_size = iv}}};
}
constexpr rte_cryptodev_capabilities cipher(rte_crypto_cipher_algorithm algo, uint16_t block,
                                            Range key, Range iv) {
  return {.op = RTE_CRYPTO_OP_TYPE_SYMMETRIC,
          .sym = {.xform_type = RTE_CRYPTO_SYM_XFORM_CIPHER,
                  .cipher = {.algo = algo,
                             .block_size = block,
                             .key_size = key,
                             .iv_size = iv,
                             .dataunit_set = 0}}};
}
constexpr rte_cryptodev_capabilities auth(rte_crypto_auth_algorithm algo, uint16_t block, Range key,
                                          Range digest) {
  return {.op = RTE_CRYPTO_OP_TYPE_SYMMETRIC,
          .sym = {.xform_type = RTE_CRYPTO_SYM_XFORM_AUTH,
                  .auth = {.algo = algo,
                           .block_size = block,
                           .key_size = key,
                           .digest_size = digest,
                           .aad_size = {0, 0, 0},
                           .iv_size = {0, 0, 0}}}};
}

// Ranges are what the engine really handles (see imb_session.cpp):
//  - GCM: 128/192/256-bit keys, 96-bit IV (RFC 4106 / NIST SP 800-38D §5.2.1.1), any tag length
//    1..16 (IPsec-MB truncates), AAD 0..1024 (ESP uses 8 or 12).
//  - ChaCha20-Poly1305 (RFC 8439): 256-bit key, 96-bit nonce, 128-bit tag.
//  - HMAC-SHA1: 96-bit (RFC 2404) or full 160-bit tag; HMAC-SHA256: 128-bit (RFC 4868) or 256-bit.
//    Keys longer than a block are hashed first (RFC 2104 §2).
//  - AES-CTR: 128-bit counter block (RFC 3686's nonce|IV|counter assembled by the caller) or a
//    96-bit IV to which IPsec-MB appends a 32-bit counter starting at 1.
constexpr std::array kCapabilities{
    aead(RTE_CRYPTO_AEAD_AES_GCM, {16, 32, 8}, {1, 16, 1}, {0, 1024, 1}, {12, 12, 0}),
    aead(RTE_CRYPTO_AEAD_CHACHA20_POLY1305, {32, 32, 0}, {16, 16, 0}, {0, 1024, 1}, {12, 12, 0}),
    cipher(RTE_CRYPTO_CIPHER_AES_CBC, 16, {16, 32, 8}, {16, 16, 0}),
    cipher(RTE_CRYPTO_CIPHER_AES_CTR, 16, {16, 32, 8}, {12, 16, 4}),
    cipher(RTE_CRYPTO_CIPHER_NULL, 1, {0, 0, 0}, {0, 0, 0}),
    auth(RTE_CRYPTO_AUTH_SHA1_HMAC, 64, {1, 65535, 1}, {12, 20, 8}),
    auth(RTE_CRYPTO_AUTH_SHA256_HMAC, 64, {1, 65535, 1}, {16, 32, 16}),
    auth(RTE_CRYPTO_AUTH_SHA1, 64, {0, 0, 0}, {20, 20, 0}),
    auth(RTE_CRYPTO_AUTH_SHA256, 64, {0, 0, 0}, {32, 32, 0}),
    auth(RTE_CRYPTO_AUTH_NULL, 1, {0, 0, 0}, {0, 0, 0}),
    rte_cryptodev_capabilities{.op = RTE_CRYPTO_OP_TYPE_UNDEFINED, .sym = {}},
};
static_assert(kCapabilities.back().op == RTE_CRYPTO_OP_TYPE_UNDEFINED,
              "DPDK walks the capability list up to this end marker");

template <typename Pred>
const rte_cryptodev_symmetric_capability* find(rte_crypto_sym_xform_type t, Pred match) noexcept {
  for (const auto& c : capability_list())
    if (c.sym.xform_type == t && match(c.sym)) return &c.sym;
  return nullptr;
}

}  // namespace

const rte_cryptodev_capabilities* capabilities() noexcept {
  return kCapabilities.data();
}

uint64_t common_feature_flags() noexcept {
  uint64_t ff = RTE_CRYPTODEV_FF_SYMMETRIC_CRYPTO | RTE_CRYPTODEV_FF_SYM_OPERATION_CHAINING |
                RTE_CRYPTODEV_FF_IN_PLACE_SGL | RTE_CRYPTODEV_FF_OOP_SGL_IN_SGL_OUT |
                RTE_CRYPTODEV_FF_OOP_SGL_IN_LB_OUT | RTE_CRYPTODEV_FF_OOP_LB_IN_SGL_OUT |
                RTE_CRYPTODEV_FF_OOP_LB_IN_LB_OUT | RTE_CRYPTODEV_FF_CPU_AESNI;
  switch (process_arch()) {
    case IMB_ARCH_AVX512: ff |= RTE_CRYPTODEV_FF_CPU_AVX512; break;
    case IMB_ARCH_AVX2: ff |= RTE_CRYPTODEV_FF_CPU_AVX2; break;
    case IMB_ARCH_AVX: ff |= RTE_CRYPTODEV_FF_CPU_AVX; break;
    default: ff |= RTE_CRYPTODEV_FF_CPU_SSE; break;
  }
  return ff;
}

std::span<const rte_cryptodev_capabilities> capability_list() noexcept {
  return {kCapabilities.data(), kCapabilities.size() - 1};
}

const rte_cryptodev_symmetric_capability* find_cipher(rte_crypto_cipher_algorithm a) noexcept {
  return find(RTE_CRYPTO_SYM_XFORM_CIPHER, [a](const auto& s) { return s.cipher.algo == a; });
}
const rte_cryptodev_symmetric_capability* find_auth(rte_crypto_auth_algorithm a) noexcept {
  return find(RTE_CRYPTO_SYM_XFORM_AUTH, [a](const auto& s) { return s.auth.algo == a; });
}
const rte_cryptodev_symmetric_capability* find_aead(rte_crypto_aead_algorithm a) noexcept {
  return find(RTE_CRYPTO_SYM_XFORM_AEAD, [a](const auto& s) { return s.aead.algo == a; });
}

}  // namespace dpaccel::imb
