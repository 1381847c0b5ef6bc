// A crypto session of the IPsec-MB engine: everything an op needs that does not change per op,
// prepared once (key schedules, GCM hash-key tables, HMAC inner/outer states, the function to
// call), so the per-op work is reading offsets and calling one function.
#pragma once

#include <intel-ipsec-mb.h>
#include <rte_crypto_sym.h>

#include <cstdint>

#include "vaes_gcm.hpp"

namespace dpaccel::imb {

// How an op of this session runs.
enum class Path : uint8_t {
  Gcm,     // direct AES-GCM API (one call for a contiguous buffer)
  Chacha,  // direct ChaCha20-Poly1305 API (init/update/finalize)
  Job,     // multi-buffer job API: cipher and/or hash, chained in ESP's orders
};

struct alignas(64) Session {
  struct gcm_key_data gcm_key;  // Path::Gcm; its own 64-byte alignment
  VaesGcmKey vaes_key;          // Path::Gcm when vaes_gcm (same key, our 256-bit VAES code)
  alignas(16) uint8_t enc_keys[15 * 16];  // AES key schedules (cipher; GCM with vaes_gcm)
  alignas(16) uint8_t dec_keys[15 * 16];
  alignas(16) uint8_t ipad_state[32];  // HMAC: hash state after key ^ ipad
  alignas(16) uint8_t opad_state[32];  // HMAC: hash state after key ^ opad
  alignas(16) uint8_t chacha_key[32];

  aes_gcm_enc_dec_t gcm_oneshot;  // encrypt or decrypt, by direction
  aes_gcm_init_t gcm_init;
  aes_gcm_enc_dec_update_t gcm_update;
  aes_gcm_enc_dec_finalize_t gcm_finalize;

  uint64_t key_len;
  IMB_CIPHER_MODE cipher_mode;
  IMB_HASH_ALG hash_alg;
  IMB_CHAIN_ORDER chain_order;
  IMB_CIPHER_DIRECTION cipher_dir;

  uint16_t iv_offset;  // in the rte_crypto_op, for the op API
  uint16_t aad_len;
  uint8_t iv_len;
  uint8_t digest_len;
  uint8_t cipher_block;  // data length must be a multiple of this (16 for CBC, else 1)
  Path path;
  bool aead_encrypt;  // Path::Gcm/Chacha: encrypt and generate, else decrypt and verify
  bool auth_verify;   // Path::Job with a hash: compare against the op's digest
  bool has_cipher;    // a cipher transform (NULL included): its region is used
  bool has_auth;      // a hash other than NULL: its region is read
  bool vaes_gcm;      // Path::Gcm: vaes_key is set; pairs of small ops run vaes_gcm
  bool vaes_single;   // Path::Gcm: contiguous single ops of kVaesGcmMinLen+ bytes run vaes_gcm too
};

// Builds s from a DPDK transform chain. Returns 0, -ENOTSUP (an algorithm, a chain order or a
// size the engine does not do) or -EINVAL (a malformed chain); the reason is logged under logtype.
// mgr is any manager of the process-wide architecture (used for key expansion only).
int configure_session(Session& s, IMB_MGR* mgr, const rte_crypto_sym_xform* xform,
                      int logtype) noexcept;

// Wipes keys (explicit_bzero), for session clear.
void clear_session(Session& s) noexcept;

}  // namespace dpaccel::imb
