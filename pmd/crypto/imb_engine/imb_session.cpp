#include "imb_session.hpp"

#include <cerrno>
#include <cstring>
#include <strings.h>

#include <rte_cryptodev.h>
#include <rte_log.h>

#include "imb_capabilities.hpp"
#include "imb_manager.hpp"

namespace dpaccel::imb {
namespace {

// DPDK 22.11's name tables (the *_algo_string() helpers came in 23.03); last = the highest enum
// value 22.11 defines.
const char* algo_name(const char* const* table, unsigned v, unsigned last) noexcept {
  return v != 0 && v <= last && table[v] ? table[v] : "unknown";
}

#define SESS_LOG(lt, fmt, ...) rte_log(RTE_LOG_ERR, lt, "session: " fmt "\n", ##__VA_ARGS__)

// s.enc_keys / s.dec_keys from an AES key of 16, 24 or 32 bytes.
void expand_aes_key(IMB_MGR* mgr, const uint8_t* key, uint16_t len, Session& s) noexcept {
  switch (len) {
    case 16: IMB_AES_KEYEXP_128(mgr, key, s.enc_keys, s.dec_keys); break;
    case 24: IMB_AES_KEYEXP_192(mgr, key, s.enc_keys, s.dec_keys); break;
    default: IMB_AES_KEYEXP_256(mgr, key, s.enc_keys, s.dec_keys); break;
  }
}

// The IPsec-MB entry points of one AES-GCM key size.
struct GcmEntryPoints {
  aes_gcm_pre_t IMB_MGR::*pre;
  aes_gcm_enc_dec_t IMB_MGR::*enc;
  aes_gcm_enc_dec_t IMB_MGR::*dec;
  aes_gcm_init_t IMB_MGR::*init;
  aes_gcm_enc_dec_update_t IMB_MGR::*enc_update;
  aes_gcm_enc_dec_update_t IMB_MGR::*dec_update;
  aes_gcm_enc_dec_finalize_t IMB_MGR::*enc_finalize;
  aes_gcm_enc_dec_finalize_t IMB_MGR::*dec_finalize;
};
constexpr GcmEntryPoints kGcm128{&IMB_MGR::gcm128_pre,          &IMB_MGR::gcm128_enc,
                                 &IMB_MGR::gcm128_dec,          &IMB_MGR::gcm128_init,
                                 &IMB_MGR::gcm128_enc_update,   &IMB_MGR::gcm128_dec_update,
                                 &IMB_MGR::gcm128_enc_finalize, &IMB_MGR::gcm128_dec_finalize};
constexpr GcmEntryPoints kGcm192{&IMB_MGR::gcm192_pre,          &IMB_MGR::gcm192_enc,
                                 &IMB_MGR::gcm192_dec,          &IMB_MGR::gcm192_init,
                                 &IMB_MGR::gcm192_enc_update,   &IMB_MGR::gcm192_dec_update,
                                 &IMB_MGR::gcm192_enc_finalize, &IMB_MGR::gcm192_dec_finalize};
constexpr GcmEntryPoints kGcm256{&IMB_MGR::gcm256_pre,          &IMB_MGR::gcm256_enc,
                                 &IMB_MGR::gcm256_dec,          &IMB_MGR::gcm256_init,
                                 &IMB_MGR::gcm256_enc_update,   &IMB_MGR::gcm256_dec_update,
                                 &IMB_MGR::gcm256_enc_finalize, &IMB_MGR::gcm256_dec_finalize};

// Expands the key into the session and picks the direct functions for its size and direction
// (the functions of the process-wide code path: every manager of the process has the same ones).
int setup_gcm(Session& s, IMB_MGR* mgr, const rte_crypto_aead_xform& x) noexcept {
  const GcmEntryPoints& e = x.key.length == 16 ? kGcm128 : x.key.length == 24 ? kGcm192 : kGcm256;
  (mgr->*e.pre)(x.key.data, &s.gcm_key);
  s.vaes_gcm = vaes_gcm_use() != VaesGcmUse::kOff;
  s.vaes_single = vaes_gcm_use() == VaesGcmUse::kAll;
  if (s.vaes_gcm) {
    // The key schedule from IPsec-MB's own expansion (not from gcm_key's layout, which is the
    // code path's business), into the session's cipher key members a GCM session leaves unused.
    expand_aes_key(mgr, x.key.data, x.key.length, s);
    vaes_gcm_precompute(s.vaes_key, s.enc_keys, x.key.length / 4 + 6);
  }
  bool enc = s.aead_encrypt;
  s.gcm_oneshot = mgr->*(enc ? e.enc : e.dec);
  s.gcm_init = mgr->*e.init;
  s.gcm_update = mgr->*(enc ? e.enc_update : e.dec_update);
  s.gcm_finalize = mgr->*(enc ? e.enc_finalize : e.dec_finalize);
  return 0;
}

int setup_aead(Session& s, IMB_MGR* mgr, const rte_crypto_aead_xform& x, int lt) noexcept {
  const auto* cap = find_aead(x.algo);
  const char* name =
      algo_name(rte_crypto_aead_algorithm_strings, x.algo, RTE_CRYPTO_AEAD_CHACHA20_POLY1305);
  if (cap == nullptr) {
    SESS_LOG(lt, "AEAD algorithm %s is not supported", name);
    return -ENOTSUP;
  }
  if (!in_range(cap->aead.key_size, x.key.length) || !in_range(cap->aead.iv_size, x.iv.length) ||
      !in_range(cap->aead.digest_size, x.digest_length) ||
      !in_range(cap->aead.aad_size, x.aad_length)) {
    SESS_LOG(lt,
             "%s with key %u B, IV %u B, digest %u B, AAD %u B is not supported "
             "(see the capabilities for the ranges)",
             name, x.key.length, x.iv.length, x.digest_length, x.aad_length);
    return -ENOTSUP;
  }
  s.aead_encrypt = x.op == RTE_CRYPTO_AEAD_OP_ENCRYPT;
  s.iv_offset = x.iv.offset;
  s.iv_len = static_cast<uint8_t>(x.iv.length);
  s.digest_len = static_cast<uint8_t>(x.digest_length);
  s.aad_len = x.aad_length;
  s.has_cipher = true;
  s.cipher_block = 1;
  if (x.algo == RTE_CRYPTO_AEAD_AES_GCM) {
    s.path = Path::Gcm;
    return setup_gcm(s, mgr, x);
  }
  // Contiguous ChaCha20-Poly1305 goes through the job API, whose multi-buffer code is several
  // times faster for small ops than the direct init/update/finalize calls (which segmented ops
  // use).
  s.path = Path::Chacha;
  std::memcpy(s.chacha_key, x.key.data, 32);
  s.cipher_mode = IMB_CIPHER_CHACHA20_POLY1305;
  s.hash_alg = IMB_AUTH_CHACHA20_POLY1305;
  s.cipher_dir = s.aead_encrypt ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
  s.chain_order = s.aead_encrypt ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
  s.key_len = 32;
  return 0;
}

int setup_cipher(Session& s, IMB_MGR* mgr, const rte_crypto_cipher_xform& x, int lt) noexcept {
  const auto* cap = find_cipher(x.algo);
  const char* name =
      algo_name(rte_crypto_cipher_algorithm_strings, x.algo, RTE_CRYPTO_CIPHER_SM4_CTR);
  if (cap == nullptr) {
    SESS_LOG(lt, "cipher algorithm %s is not supported", name);
    return -ENOTSUP;
  }
  if (!in_range(cap->cipher.key_size, x.key.length) ||
      !in_range(cap->cipher.iv_size, x.iv.length)) {
    SESS_LOG(lt, "%s with key %u B and IV %u B is not supported", name, x.key.length, x.iv.length);
    return -ENOTSUP;
  }
  s.has_cipher = true;
  s.iv_offset = x.iv.offset;
  s.iv_len = static_cast<uint8_t>(x.iv.length);
  s.cipher_dir = x.op == RTE_CRYPTO_CIPHER_OP_ENCRYPT ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
  s.key_len = x.key.length;
  s.cipher_block = 1;
  switch (x.algo) {
    case RTE_CRYPTO_CIPHER_AES_CBC:
      s.cipher_mode = IMB_CIPHER_CBC;
      s.cipher_block = 16;
      break;
    case RTE_CRYPTO_CIPHER_AES_CTR: s.cipher_mode = IMB_CIPHER_CNTR; break;
    default:
      s.cipher_mode = IMB_CIPHER_NULL;
      s.key_len = 0;
      break;
  }
  if (s.cipher_mode != IMB_CIPHER_NULL) expand_aes_key(mgr, x.key.data, x.key.length, s);
  return 0;
}

// RFC 2104: H(K ^ opad, H(K ^ ipad, m)); keys longer than the block are hashed first. IPsec-MB
// takes the two intermediate states, computed here once per session.
void hmac_precompute(Session& s, IMB_MGR* mgr, bool sha256, const uint8_t* key,
                     uint32_t len) noexcept {
  alignas(16) uint8_t k[64] = {};
  if (len > 64) {
    if (sha256)
      IMB_SHA256(mgr, key, len, k);
    else
      IMB_SHA1(mgr, key, len, k);
  } else {
    std::memcpy(k, key, len);
  }
  alignas(16) uint8_t ipad[64], opad[64];
  for (int i = 0; i < 64; ++i) {
    ipad[i] = k[i] ^ 0x36;
    opad[i] = k[i] ^ 0x5c;
  }
  if (sha256) {
    IMB_SHA256_ONE_BLOCK(mgr, ipad, s.ipad_state);
    IMB_SHA256_ONE_BLOCK(mgr, opad, s.opad_state);
  } else {
    IMB_SHA1_ONE_BLOCK(mgr, ipad, s.ipad_state);
    IMB_SHA1_ONE_BLOCK(mgr, opad, s.opad_state);
  }
  explicit_bzero(k, sizeof k);
  explicit_bzero(ipad, sizeof ipad);
  explicit_bzero(opad, sizeof opad);
}

int setup_auth(Session& s, IMB_MGR* mgr, const rte_crypto_auth_xform& x, int lt) noexcept {
  const auto* cap = find_auth(x.algo);
  const char* name = algo_name(rte_crypto_auth_algorithm_strings, x.algo, RTE_CRYPTO_AUTH_SM3);
  if (cap == nullptr) {
    SESS_LOG(lt, "auth algorithm %s is not supported", name);
    return -ENOTSUP;
  }
  if (!in_range(cap->auth.key_size, x.key.length) ||
      !in_range(cap->auth.digest_size, x.digest_length) || x.iv.length != 0) {
    SESS_LOG(lt, "%s with key %u B, digest %u B, IV %u B is not supported", name, x.key.length,
             x.digest_length, x.iv.length);
    return -ENOTSUP;
  }
  s.has_auth = x.algo != RTE_CRYPTO_AUTH_NULL;
  s.digest_len = static_cast<uint8_t>(x.digest_length);
  s.auth_verify = x.op == RTE_CRYPTO_AUTH_OP_VERIFY && s.has_auth;
  switch (x.algo) {
    case RTE_CRYPTO_AUTH_SHA1_HMAC:
      s.hash_alg = IMB_AUTH_HMAC_SHA_1;
      hmac_precompute(s, mgr, false, x.key.data, x.key.length);
      break;
    case RTE_CRYPTO_AUTH_SHA256_HMAC:
      s.hash_alg = IMB_AUTH_HMAC_SHA_256;
      hmac_precompute(s, mgr, true, x.key.data, x.key.length);
      break;
    case RTE_CRYPTO_AUTH_SHA1: s.hash_alg = IMB_AUTH_SHA_1; break;
    case RTE_CRYPTO_AUTH_SHA256: s.hash_alg = IMB_AUTH_SHA_256; break;
    default: s.hash_alg = IMB_AUTH_NULL; break;
  }
  return 0;
}

}  // namespace

int configure_session(Session& s, IMB_MGR* mgr, const rte_crypto_sym_xform* x, int lt) noexcept {
  std::memset(static_cast<void*>(&s), 0, sizeof s);
  s.cipher_mode = IMB_CIPHER_NULL;
  s.hash_alg = IMB_AUTH_NULL;
  s.cipher_dir = IMB_DIR_ENCRYPT;
  s.chain_order = IMB_ORDER_CIPHER_HASH;
  s.cipher_block = 1;
  if (x == nullptr) {
    SESS_LOG(lt, "no transform given");
    return -EINVAL;
  }
  if (x->type == RTE_CRYPTO_SYM_XFORM_AEAD) {
    if (x->next != nullptr) {
      SESS_LOG(lt, "an AEAD transform cannot be chained with another transform");
      return -ENOTSUP;
    }
    return setup_aead(s, mgr, x->aead, lt);
  }
  const rte_crypto_sym_xform* first = x;
  const rte_crypto_sym_xform* second = x->next;
  if (second != nullptr && second->next != nullptr) {
    SESS_LOG(lt, "chains of more than two transforms are not supported");
    return -ENOTSUP;
  }
  const rte_crypto_sym_xform* c = nullptr;
  const rte_crypto_sym_xform* a = nullptr;
  for (const auto* t : {first, second}) {
    if (t == nullptr) continue;
    if (t->type == RTE_CRYPTO_SYM_XFORM_CIPHER && c == nullptr)
      c = t;
    else if (t->type == RTE_CRYPTO_SYM_XFORM_AUTH && a == nullptr)
      a = t;
    else {
      SESS_LOG(lt, "unsupported transform chain (type %d after type %d)", t->type, first->type);
      return t->type == RTE_CRYPTO_SYM_XFORM_AEAD ? -ENOTSUP : -EINVAL;
    }
  }
  s.path = Path::Job;
  if (c != nullptr) {
    if (int rc = setup_cipher(s, mgr, c->cipher, lt); rc) return rc;
  }
  if (a != nullptr) {
    if (int rc = setup_auth(s, mgr, a->auth, lt); rc) return rc;
  }
  if (c != nullptr && a != nullptr) {
    // ESP's two orders only: encrypt-then-generate and verify-then-decrypt.
    bool enc = c->cipher.op == RTE_CRYPTO_CIPHER_OP_ENCRYPT;
    bool gen = a->auth.op == RTE_CRYPTO_AUTH_OP_GENERATE;
    bool cipher_first = first == c;
    if (enc && gen && cipher_first) {
      s.chain_order = IMB_ORDER_CIPHER_HASH;
    } else if (!enc && !gen && !cipher_first) {
      s.chain_order = IMB_ORDER_HASH_CIPHER;
    } else {
      SESS_LOG(lt,
               "chain %s-%s then %s-%s is not supported: only encrypt-then-generate and "
               "verify-then-decrypt",
               cipher_first ? "cipher" : "auth",
               cipher_first ? (enc ? "encrypt" : "decrypt") : (gen ? "generate" : "verify"),
               cipher_first ? "auth" : "cipher",
               cipher_first ? (gen ? "generate" : "verify") : (enc ? "encrypt" : "decrypt"));
      return -ENOTSUP;
    }
  } else if (c != nullptr) {
    s.chain_order = s.cipher_dir == IMB_DIR_ENCRYPT ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
  } else {
    s.chain_order = IMB_ORDER_HASH_CIPHER;
    s.cipher_dir = IMB_DIR_DECRYPT;
  }
  return 0;
}

void clear_session(Session& s) noexcept {
  explicit_bzero(static_cast<void*>(&s), sizeof s);
}

}  // namespace dpaccel::imb
