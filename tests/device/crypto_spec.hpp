// Test-side description of a crypto transform, its key material, and the reference result
// computed with OpenSSL EVP (the independent implementation every driver result is checked
// against).
#pragma once

#include <rte_crypto_sym.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace dpaccel::test {

using Bytes = std::vector<uint8_t>;

enum class Cipher { None, Null, AesCbc, AesCtr };
enum class Auth { None, Null, HmacSha1, HmacSha256, Sha1, Sha256 };
enum class Aead { None, AesGcm, Chacha20Poly1305 };

struct Spec {
  std::string name;
  Aead aead = Aead::None;
  Cipher cipher = Cipher::None;
  Auth auth = Auth::None;
  unsigned key_len = 0;       // cipher or AEAD key
  unsigned auth_key_len = 0;  // HMAC key
  unsigned iv_len = 0;
  unsigned digest_len = 0;
  unsigned aad_len = 0;
  unsigned block = 1;   // cipher data length must be a multiple of this
  unsigned header = 0;  // chained: bytes authenticated but not encrypted (ESP header + IV)

  bool is_aead() const { return aead != Aead::None; }
  bool has_cipher() const { return is_aead() || (cipher != Cipher::None); }
  bool has_digest() const { return digest_len != 0; }
};

struct Material {
  Bytes key, auth_key, iv, aad;
};

Material random_material(const Spec& s, std::mt19937_64& rng);
Bytes random_bytes(size_t n, std::mt19937_64& rng);
Bytes hex(const std::string& h);

// A DPDK transform chain for s (encrypt/generate when encrypt, else verify-then-decrypt).
struct XformChain {
  rte_crypto_sym_xform x[2]{};
  rte_crypto_sym_xform* head() { return &x[0]; }
};
XformChain make_xforms(const Spec& s, const Material& m, bool encrypt, uint16_t iv_offset);

// The regions of a data buffer of length n (ESP-like for chains: auth covers header+ciphertext).
struct Regions {
  uint32_t cipher_off, cipher_len, auth_off, auth_len;
};
Regions regions_for(const Spec& s, size_t n);

// OpenSSL's encryption of data (whole buffer; only the cipher region changes) and its digest.
struct RefResult {
  Bytes data;
  Bytes digest;
};
RefResult reference_encrypt(const Spec& s, const Material& m, const Bytes& data);

// AES-128-GCM as ESP uses it (RFC 4106: 12-byte IV, 16-byte tag, 8-byte AAD).
Spec esp_gcm128_spec();

// Every transform the driver advertises, in the configurations the tests run.
std::vector<Spec> all_specs();

}  // namespace dpaccel::test
