// What the IPsec-MB engine can do, as DPDK capabilities. The same table answers
// rte_cryptodev_info_get() and validates every session, so a transform that the capabilities
// advertise is exactly a transform that session creation accepts.
#pragma once

#include <rte_cryptodev.h>

#include <span>

namespace dpaccel::imb {

// Terminated by RTE_CRYPTO_OP_TYPE_UNDEFINED, as DPDK expects.
const rte_cryptodev_capabilities* capabilities() noexcept;
std::span<const rte_cryptodev_capabilities> capability_list() noexcept;  // without the terminator

const rte_cryptodev_symmetric_capability* find_cipher(rte_crypto_cipher_algorithm a) noexcept;
const rte_cryptodev_symmetric_capability* find_auth(rte_crypto_auth_algorithm a) noexcept;
const rte_cryptodev_symmetric_capability* find_aead(rte_crypto_aead_algorithm a) noexcept;

// True when v lies in the range (min..max in steps of increment; increment 0 means min only).
constexpr bool in_range(const rte_crypto_param_range& r, unsigned v) noexcept {
  if (v < r.min || v > r.max) return false;
  if (r.increment == 0) return v == r.min;
  return (v - r.min) % r.increment == 0;
}

}  // namespace dpaccel::imb
