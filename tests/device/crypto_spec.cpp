#include "crypto_spec.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdexcept>

namespace dpaccel::test {

Bytes random_bytes(size_t n, std::mt19937_64& rng) {
  Bytes b(n);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

Bytes hex(const std::string& h) {
  Bytes b;
  std::string digits;
  for (char c : h)
    if (!isspace(static_cast<unsigned char>(c))) digits += c;
  for (size_t i = 0; i + 1 < digits.size(); i += 2)
    b.push_back(static_cast<uint8_t>(std::stoul(digits.substr(i, 2), nullptr, 16)));
  return b;
}

Material random_material(const Spec& s, std::mt19937_64& rng) {
  return {random_bytes(s.key_len, rng), random_bytes(s.auth_key_len, rng),
          random_bytes(s.iv_len, rng), random_bytes(s.aad_len, rng)};
}

XformChain make_xforms(const Spec& s, const Material& m, bool encrypt, uint16_t iv_offset) {
  XformChain c;
  if (s.is_aead()) {
    auto& x = c.x[0];
    x.type = RTE_CRYPTO_SYM_XFORM_AEAD;
    x.aead.op = encrypt ? RTE_CRYPTO_AEAD_OP_ENCRYPT : RTE_CRYPTO_AEAD_OP_DECRYPT;
    x.aead.algo =
        s.aead == Aead::AesGcm ? RTE_CRYPTO_AEAD_AES_GCM : RTE_CRYPTO_AEAD_CHACHA20_POLY1305;
    x.aead.key = {m.key.data(), static_cast<uint16_t>(m.key.size())};
    x.aead.iv = {iv_offset, static_cast<uint16_t>(s.iv_len)};
    x.aead.digest_length = static_cast<uint16_t>(s.digest_len);
    x.aead.aad_length = static_cast<uint16_t>(s.aad_len);
    return c;
  }
  rte_crypto_sym_xform cx{}, ax{};
  if (s.cipher != Cipher::None) {
    cx.type = RTE_CRYPTO_SYM_XFORM_CIPHER;
    cx.cipher.op = encrypt ? RTE_CRYPTO_CIPHER_OP_ENCRYPT : RTE_CRYPTO_CIPHER_OP_DECRYPT;
    cx.cipher.algo = s.cipher == Cipher::AesCbc   ? RTE_CRYPTO_CIPHER_AES_CBC
                     : s.cipher == Cipher::AesCtr ? RTE_CRYPTO_CIPHER_AES_CTR
                                                  : RTE_CRYPTO_CIPHER_NULL;
    cx.cipher.key = {m.key.empty() ? nullptr : m.key.data(), static_cast<uint16_t>(m.key.size())};
    cx.cipher.iv = {iv_offset, static_cast<uint16_t>(s.iv_len)};
  }
  if (s.auth != Auth::None) {
    ax.type = RTE_CRYPTO_SYM_XFORM_AUTH;
    ax.auth.op = encrypt ? RTE_CRYPTO_AUTH_OP_GENERATE : RTE_CRYPTO_AUTH_OP_VERIFY;
    switch (s.auth) {
      case Auth::HmacSha1: ax.auth.algo = RTE_CRYPTO_AUTH_SHA1_HMAC; break;
      case Auth::HmacSha256: ax.auth.algo = RTE_CRYPTO_AUTH_SHA256_HMAC; break;
      case Auth::Sha1: ax.auth.algo = RTE_CRYPTO_AUTH_SHA1; break;
      case Auth::Sha256: ax.auth.algo = RTE_CRYPTO_AUTH_SHA256; break;
      default: ax.auth.algo = RTE_CRYPTO_AUTH_NULL; break;
    }
    ax.auth.key = {m.auth_key.empty() ? nullptr : m.auth_key.data(),
                   static_cast<uint16_t>(m.auth_key.size())};
    ax.auth.digest_length = static_cast<uint16_t>(s.digest_len);
  }
  if (s.cipher != Cipher::None && s.auth != Auth::None) {
    // encrypt-then-generate, verify-then-decrypt
    c.x[0] = encrypt ? cx : ax;
    c.x[1] = encrypt ? ax : cx;
    c.x[0].next = &c.x[1];
  } else {
    c.x[0] = s.cipher != Cipher::None ? cx : ax;
  }
  return c;
}

Regions regions_for(const Spec& s, size_t n) {
  auto len = static_cast<uint32_t>(n);
  if (s.is_aead()) return {0, len, 0, 0};
  uint32_t h = std::min<uint32_t>(s.header, len);
  if (s.cipher != Cipher::None && s.auth != Auth::None) return {h, len - h, 0, len};
  if (s.cipher != Cipher::None) return {0, len, 0, 0};
  return {0, 0, 0, len};
}

namespace {
void check(int ok, const char* what) {
  if (ok != 1) throw std::runtime_error(std::string("OpenSSL: ") + what);
}

const EVP_CIPHER* evp_cipher(const Spec& s) {
  unsigned k = s.key_len;
  if (s.aead == Aead::AesGcm)
    return k == 16 ? EVP_aes_128_gcm() : k == 24 ? EVP_aes_192_gcm() : EVP_aes_256_gcm();
  if (s.aead == Aead::Chacha20Poly1305) return EVP_chacha20_poly1305();
  if (s.cipher == Cipher::AesCbc)
    return k == 16 ? EVP_aes_128_cbc() : k == 24 ? EVP_aes_192_cbc() : EVP_aes_256_cbc();
  return k == 16 ? EVP_aes_128_ctr() : k == 24 ? EVP_aes_192_ctr() : EVP_aes_256_ctr();
}
}  // namespace

RefResult reference_encrypt(const Spec& s, const Material& m, const Bytes& data) {
  RefResult r{data, {}};
  Regions g = regions_for(s, data.size());
  if (s.is_aead() || s.cipher == Cipher::AesCbc || s.cipher == Cipher::AesCtr) {
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    const EVP_CIPHER* c = evp_cipher(s);
    check(EVP_EncryptInit_ex(ctx, c, nullptr, nullptr, nullptr), "init");
    Bytes iv = m.iv;
    if (s.is_aead()) {
      check(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, static_cast<int>(iv.size()), nullptr),
            "ivlen");
    } else if (s.cipher == Cipher::AesCtr && iv.size() == 12) {
      iv.insert(iv.end(), {0, 0, 0, 1});  // IPsec-MB's 96-bit IV convention: counter starts at 1
    }
    check(EVP_EncryptInit_ex(ctx, nullptr, nullptr, m.key.data(), iv.data()), "key");
    EVP_CIPHER_CTX_set_padding(ctx, 0);
    int out = 0;
    if (s.is_aead() && !m.aad.empty())
      check(EVP_EncryptUpdate(ctx, nullptr, &out, m.aad.data(), static_cast<int>(m.aad.size())),
            "aad");
    if (g.cipher_len)
      check(EVP_EncryptUpdate(ctx, r.data.data() + g.cipher_off, &out, data.data() + g.cipher_off,
                              static_cast<int>(g.cipher_len)),
            "update");
    uint8_t fin[32];
    check(EVP_EncryptFinal_ex(ctx, fin, &out), "final");
    if (s.is_aead()) {
      r.digest.resize(16);
      check(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, r.digest.data()), "tag");
      r.digest.resize(s.digest_len);
    }
    EVP_CIPHER_CTX_free(ctx);
  }
  if (!s.is_aead() && s.digest_len) {
    const EVP_MD* md =
        (s.auth == Auth::HmacSha1 || s.auth == Auth::Sha1) ? EVP_sha1() : EVP_sha256();
    uint8_t out[EVP_MAX_MD_SIZE];
    unsigned out_len = 0;
    if (s.auth == Auth::HmacSha1 || s.auth == Auth::HmacSha256)
      HMAC(md, m.auth_key.data(), static_cast<int>(m.auth_key.size()), r.data.data() + g.auth_off,
           g.auth_len, out, &out_len);
    else
      check(EVP_Digest(r.data.data() + g.auth_off, g.auth_len, out, &out_len, md, nullptr),
            "digest");
    r.digest.assign(out, out + s.digest_len);
  }
  return r;
}

Spec esp_gcm128_spec() {
  return {.name = "aes_gcm_128",
          .aead = Aead::AesGcm,
          .key_len = 16,
          .iv_len = 12,
          .digest_len = 16,
          .aad_len = 8};
}

std::vector<Spec> all_specs() {
  std::vector<Spec> v;
  for (unsigned k : {16u, 24u, 32u})
    v.push_back({.name = "aes_gcm_" + std::to_string(k * 8),
                 .aead = Aead::AesGcm,
                 .key_len = k,
                 .iv_len = 12,
                 .digest_len = 16,
                 .aad_len = 8});
  v.push_back({.name = "aes_gcm_128_tag12_aad12",
               .aead = Aead::AesGcm,
               .key_len = 16,
               .iv_len = 12,
               .digest_len = 12,
               .aad_len = 12});
  v.push_back({.name = "chacha20_poly1305",
               .aead = Aead::Chacha20Poly1305,
               .key_len = 32,
               .iv_len = 12,
               .digest_len = 16,
               .aad_len = 12});
  // No AAD at all, and a short tag (RFC 4106 allows 8 and 12; the API any length up to 16).
  v.push_back({.name = "aes_gcm_256_tag8_aad0",
               .aead = Aead::AesGcm,
               .key_len = 32,
               .iv_len = 12,
               .digest_len = 8,
               .aad_len = 0});
  v.push_back({.name = "chacha20_poly1305_aad0",
               .aead = Aead::Chacha20Poly1305,
               .key_len = 32,
               .iv_len = 12,
               .digest_len = 16,
               .aad_len = 0});
  for (auto c : {Cipher::AesCbc, Cipher::AesCtr})
    for (unsigned k : {16u, 24u, 32u})
      for (auto a : {Auth::HmacSha1, Auth::HmacSha256}) {
        bool cbc = c == Cipher::AesCbc;
        unsigned d = a == Auth::HmacSha1 ? 12 : 16;
        v.push_back({.name = std::string(cbc ? "aes_cbc_" : "aes_ctr_") + std::to_string(k * 8) +
                             (a == Auth::HmacSha1 ? "_hmac_sha1_96" : "_hmac_sha256_128"),
                     .cipher = c,
                     .auth = a,
                     .key_len = k,
                     .auth_key_len = a == Auth::HmacSha1 ? 20u : 32u,
                     .iv_len = 16,
                     .digest_len = d,
                     .block = cbc ? 16u : 1u,
                     .header = 8});
      }
  v.push_back({.name = "aes_cbc_128_hmac_sha1_160",
               .cipher = Cipher::AesCbc,
               .auth = Auth::HmacSha1,
               .key_len = 16,
               .auth_key_len = 64,
               .iv_len = 16,
               .digest_len = 20,
               .block = 16,
               .header = 8});
  v.push_back({.name = "aes_ctr_256_iv12_hmac_sha256_256",
               .cipher = Cipher::AesCtr,
               .auth = Auth::HmacSha256,
               .key_len = 32,
               .auth_key_len = 100,
               .iv_len = 12,
               .digest_len = 32,
               .header = 8});
  v.push_back({.name = "aes_cbc_256_only",
               .cipher = Cipher::AesCbc,
               .key_len = 32,
               .iv_len = 16,
               .block = 16});
  v.push_back({.name = "aes_ctr_128_only", .cipher = Cipher::AesCtr, .key_len = 16, .iv_len = 16});
  v.push_back(
      {.name = "hmac_sha1_only", .auth = Auth::HmacSha1, .auth_key_len = 20, .digest_len = 20});
  v.push_back(
      {.name = "hmac_sha256_only", .auth = Auth::HmacSha256, .auth_key_len = 32, .digest_len = 32});
  v.push_back({.name = "sha1", .auth = Auth::Sha1, .digest_len = 20});
  v.push_back({.name = "sha256", .auth = Auth::Sha256, .digest_len = 32});
  v.push_back({.name = "null_null", .cipher = Cipher::Null, .auth = Auth::Null, .header = 8});
  return v;
}

}  // namespace dpaccel::test
