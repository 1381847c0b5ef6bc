// AES-GCM (NIST SP 800-38D) on 256-bit VAES and VPCLMULQDQ, for CPUs that have them without
// AVX-512 (AMD Zen 3, Intel Alder Lake-class cores), where IPsec-MB takes its avx2 path.
//
// Why: IPsec-MB 1.3 (Debian 12) uses VAES only in its AVX-512 code; on an AVX2 CPU its GCM runs
// one 128-bit block per AES instruction, and GCM is ~80 % of an ESP gateway's time at 1420-byte
// packets. Here each instruction takes two blocks: AES-CTR over 16 blocks and one aggregated
// GHASH reduction per 256 bytes. Only the one-shot contiguous call (the ESP fast path) is
// provided; sessions keep IPsec-MB's key too, for segmented ops, so both give the same bytes.
// With AVX-512 IPsec-MB has its own (512-bit) VAES GCM and this code is not used.
//
// The functions are compiled for AVX2+VAES+VPCLMULQDQ: call them only when vaes_gcm_usable().
#pragma once

#include <cstdint>

namespace dpaccel::imb {

struct alignas(64) VaesGcmKey {
  uint8_t round_keys[15][16];   // AES round keys (broadcast to both lanes on load)
  uint8_t hash_powers[16][16];  // H^16 .. H^1, byte-reversed (see vaes_gcm.cpp)
  uint8_t hash_folded[16][16];  // the same, low word = low ^ high word (Karatsuba)
  uint32_t rounds;              // 10, 12 or 14
};

// True when the CPU (and OS) offer AVX2, VAES and VPCLMULQDQ and DPACCEL_GCM is not
// "ipsec-mb". DPACCEL_GCM=ipsec-mb forces IPsec-MB's GCM (to benchmark the two in one build).
bool vaes_gcm_usable() noexcept;

// Prepares k from the AES encryption key schedule (rounds + 1 round keys of 16 bytes, FIPS-197
// order, e.g. IPsec-MB's gcm_key_data.expanded_keys). rounds is 10, 12 or 14.
void vaes_gcm_precompute(VaesGcmKey& k, const uint8_t* round_keys, uint32_t rounds) noexcept;

// One-shot GCM with a 96-bit IV: out = E(in) (in == out allowed) and the first tag_len (1..16)
// bytes of the tag. Decrypt computes the tag over the ciphertext in; the caller compares it.
void vaes_gcm_encrypt(const VaesGcmKey& k, uint8_t* out, const uint8_t* in, uint64_t len,
                      const uint8_t* iv, const uint8_t* aad, uint64_t aad_len, uint8_t* tag,
                      uint64_t tag_len) noexcept;
void vaes_gcm_decrypt(const VaesGcmKey& k, uint8_t* out, const uint8_t* in, uint64_t len,
                      const uint8_t* iv, const uint8_t* aad, uint64_t aad_len, uint8_t* tag,
                      uint64_t tag_len) noexcept;

// Two ops of one key at once (their latency chains overlap): each len <= kVaesGcmPairMaxLen,
// aad_len <= 16, in == out allowed per op. Same bytes as two single calls.
struct VaesGcmOp {
  uint8_t* out;
  const uint8_t* in;
  uint64_t len;
  const uint8_t* iv;
  const uint8_t* aad;
  uint8_t* tag;
};
inline constexpr uint64_t kVaesGcmPairMaxLen = 64;

// From this length on the driver runs vaes_gcm rather than IPsec-MB 1.3's AVX2 GCM (1.3x at
// 64 B, 1.5x at 1420 B on Zen 3); below, the two are level and IPsec-MB's per-call set-up is
// cheaper at 0 B. bench/crypto_bench measures both (raw_vaes_gcm, raw_ipsec_mb).
inline constexpr uint32_t kVaesGcmMinLen = 32;
void vaes_gcm_encrypt_pair(const VaesGcmKey& k, const VaesGcmOp* op, uint64_t aad_len,
                           uint64_t tag_len) noexcept;
void vaes_gcm_decrypt_pair(const VaesGcmKey& k, const VaesGcmOp* op, uint64_t aad_len,
                           uint64_t tag_len) noexcept;

}  // namespace dpaccel::imb
