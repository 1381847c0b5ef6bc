// The 256-bit VAES AES-GCM (pmd/crypto/imb_engine/vaes_gcm): published vectors, then every
// length 0..1100 and some long ones against IPsec-MB's GCM (an independent implementation), with
// every key size, AAD and tag length the driver offers, in and out of place, and guard bytes
// around what it writes. Skipped on CPUs without VAES+VPCLMULQDQ (the driver then never calls it).
#include <gtest/gtest.h>
#include <intel-ipsec-mb.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "vaes_gcm.hpp"

namespace dpaccel::imb {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes hex(const std::string& s) {
  Bytes b;
  for (size_t i = 0; i + 1 < s.size(); i += 2) b.push_back(std::stoi(s.substr(i, 2), nullptr, 16));
  return b;
}

class VaesGcm : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!vaes_gcm_usable()) GTEST_SKIP() << "no AVX2+VAES+VPCLMULQDQ here, or DPACCEL_GCM=ipsec-mb";
    mgr_ = alloc_mb_mgr(0);
    ASSERT_NE(mgr_, nullptr);
    init_mb_mgr_auto(mgr_, nullptr);
  }
  void TearDown() override {
    if (mgr_ != nullptr) free_mb_mgr(mgr_);
  }

  // Both keys from one AES key: ours and IPsec-MB's.
  void set_key(const Bytes& key) {
    alignas(16) uint8_t enc[15 * 16], dec[15 * 16];
    if (key.size() == 16) {
      IMB_AES_KEYEXP_128(mgr_, key.data(), enc, dec);
      IMB_AES128_GCM_PRE(mgr_, key.data(), &imb_key_);
    } else if (key.size() == 24) {
      IMB_AES_KEYEXP_192(mgr_, key.data(), enc, dec);
      IMB_AES192_GCM_PRE(mgr_, key.data(), &imb_key_);
    } else {
      IMB_AES_KEYEXP_256(mgr_, key.data(), enc, dec);
      IMB_AES256_GCM_PRE(mgr_, key.data(), &imb_key_);
    }
    key_len_ = key.size();
    vaes_gcm_precompute(key_, enc, key.size() == 16 ? 10 : key.size() == 24 ? 12 : 14);
  }

  // A random key of len bytes from rng, set as set_key() does.
  void set_random_key(size_t len, std::mt19937& rng) {
    Bytes key(len);
    for (auto& b : key) b = static_cast<uint8_t>(rng());
    set_key(key);
  }

  void imb_encrypt(uint8_t* out, const uint8_t* in, uint64_t len, const uint8_t* iv,
                   const uint8_t* aad, uint64_t aad_len, uint8_t* tag, uint64_t tag_len) {
    struct gcm_context_data ctx;
    if (key_len_ == 16)
      IMB_AES128_GCM_ENC(mgr_, &imb_key_, &ctx, out, in, len, iv, aad, aad_len, tag, tag_len);
    else if (key_len_ == 24)
      IMB_AES192_GCM_ENC(mgr_, &imb_key_, &ctx, out, in, len, iv, aad, aad_len, tag, tag_len);
    else
      IMB_AES256_GCM_ENC(mgr_, &imb_key_, &ctx, out, in, len, iv, aad, aad_len, tag, tag_len);
  }

  IMB_MGR* mgr_ = nullptr;
  size_t key_len_ = 0;
  alignas(64) struct gcm_key_data imb_key_;
  alignas(64) VaesGcmKey key_;
};

struct Vector {
  const char* source;
  const char *key, *iv, *aad, *plain, *cipher, *tag;
};

const char* const kP =
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";

TEST_F(VaesGcm, McGrewViegaVectors) {
  const Vector vectors[] = {
      {"GCM spec test case 1", "00000000000000000000000000000000", "000000000000000000000000", "",
       "", "", "58e2fccefa7e3061367f1d57a4e7455a"},
      {"GCM spec test case 2", "00000000000000000000000000000000", "000000000000000000000000", "",
       "00000000000000000000000000000000", "0388dace60b6a392f328c2b971b2fe78",
       "ab6e47d42cec13bdf53a67b21257bddf"},
      {"GCM spec test case 3", "feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888", "",
       kP,
       "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
       "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
       "4d5c2af327cd64a62cf35abd2ba6fab4"},
      {"GCM spec test case 15 (AES-256)",
       "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
       "cafebabefacedbaddecaf888", "", kP,
       "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
       "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
       "b094dac5d93471bdec1a502270e3cc6c"},
  };
  for (const Vector& v : vectors) {
    SCOPED_TRACE(v.source);
    set_key(hex(v.key));
    Bytes iv = hex(v.iv), aad = hex(v.aad), plain = hex(v.plain), cipher = hex(v.cipher);
    Bytes out(plain.size() + 1), tag(16);
    vaes_gcm_encrypt(key_, out.data(), plain.data(), plain.size(), iv.data(), aad.data(),
                     aad.size(), tag.data(), 16);
    out.pop_back();
    EXPECT_EQ(out, cipher);
    EXPECT_EQ(tag, hex(v.tag));
    Bytes back(cipher.size() + 1), tag2(16);
    vaes_gcm_decrypt(key_, back.data(), cipher.data(), cipher.size(), iv.data(), aad.data(),
                     aad.size(), tag2.data(), 16);
    back.pop_back();
    EXPECT_EQ(back, plain);
    EXPECT_EQ(tag2, hex(v.tag));
  }
}

// Every length 0..1100 (all tails, one to four 256-byte chunks), then long ones, for each key
// size; AAD lengths around block and 16-block boundaries; tag lengths 4..16; offsets that leave
// the buffers unaligned; in place for even lengths, out of place for odd.
TEST_F(VaesGcm, AgreesWithIpsecMbOnEveryLength) {
  std::mt19937 rng(20261207);
  std::vector<uint64_t> lengths;
  for (uint64_t n = 0; n <= 1100; ++n) lengths.push_back(n);
  for (uint64_t n : {2047, 2048, 4096 + 17, 16384, 65535}) lengths.push_back(n);
  const uint64_t aad_lens[] = {0, 8, 12, 16, 17, 200, 240, 241, 255, 256, 257, 1024};
  const uint64_t tag_lens[] = {16, 12, 8, 4, 13};
  constexpr uint8_t kGuard = 0xa5;
  int mismatches = 0;
  for (size_t key_len : {16u, 24u, 32u}) {
    set_random_key(key_len, rng);
    for (size_t i = 0; i < lengths.size(); ++i) {
      const uint64_t len = lengths[i];
      const uint64_t aad_len = aad_lens[(i + key_len) % std::size(aad_lens)];
      const uint64_t tag_len = tag_lens[i % std::size(tag_lens)];
      const size_t ofs = i % 7;
      Bytes plain(len), aad(aad_len), iv(12);
      for (auto& b : plain) b = static_cast<uint8_t>(rng());
      for (auto& b : aad) b = static_cast<uint8_t>(rng());
      for (auto& b : iv) b = static_cast<uint8_t>(rng());

      Bytes want(len + 16), want_tag(16);
      imb_encrypt(want.data(), plain.data(), len, iv.data(), aad.data(), aad_len, want_tag.data(),
                  16);

      // Ours, with guard bytes before and after the output and the tag.
      const bool in_place = len % 2 == 0;
      Bytes buf(ofs + len + 32, kGuard), src(ofs + len + 1);
      std::copy(plain.begin(), plain.end(), src.begin() + ofs);
      if (in_place) std::copy(plain.begin(), plain.end(), buf.begin() + ofs);
      const uint8_t* in = in_place ? buf.data() + ofs : src.data() + ofs;
      Bytes tag(tag_len + 8, kGuard);
      vaes_gcm_encrypt(key_, buf.data() + ofs, in, len, iv.data(), aad.data(), aad_len, tag.data(),
                       tag_len);
      bool ok = std::equal(want.begin(), want.begin() + len, buf.begin() + ofs) &&
                std::equal(want_tag.begin(), want_tag.begin() + tag_len, tag.begin());
      for (size_t g = 0; g < ofs; ++g) ok = ok && buf[g] == kGuard;
      for (size_t g = ofs + len; g < buf.size(); ++g) ok = ok && buf[g] == kGuard;
      for (size_t g = tag_len; g < tag.size(); ++g) ok = ok && tag[g] == kGuard;

      // Decrypt back (in place), the tag over the ciphertext equals the one sent.
      Bytes tag2(16);
      vaes_gcm_decrypt(key_, buf.data() + ofs, buf.data() + ofs, len, iv.data(), aad.data(),
                       aad_len, tag2.data(), 16);
      ok = ok && std::equal(plain.begin(), plain.end(), buf.begin() + ofs) && tag2 == want_tag;
      if (!ok && ++mismatches <= 5)
        ADD_FAILURE() << "key " << key_len << " B, length " << len << ", AAD " << aad_len
                      << ", tag " << tag_len << ", offset " << ofs
                      << (in_place ? ", in place" : ", out of place");
    }
  }
  EXPECT_EQ(mismatches, 0);
}

// Two small ops at once (what crypto_dpaccel_cpu does with consecutive 32..64-byte GCM ops of a
// CPU-crypto vector) give what two single calls give: every pair of lengths 0..64, AAD 0..16,
// every tag length, decrypt and encrypt, and nothing written past either output or tag.
TEST_F(VaesGcm, PairEqualsTwoSingleCalls) {
  std::mt19937 rng(64);
  constexpr uint8_t kGuard = 0x5a;
  int mismatches = 0;
  for (size_t key_len : {16u, 24u, 32u}) {
    set_random_key(key_len, rng);
    for (uint64_t len0 = 0; len0 <= kVaesGcmPairMaxLen; ++len0) {
      for (uint64_t len1 = 0; len1 <= kVaesGcmPairMaxLen; len1 += 7) {
        const uint64_t aad_len = (len0 + len1 + key_len) % 17;
        const uint64_t tag_len = 4 + (len0 * 3 + len1) % 13;
        const bool decrypt = (len0 + len1) % 2 == 1;
        Bytes in[2], aad[2], iv[2], one[2], two[2], tag_one[2], tag_two[2];
        const uint64_t len[2] = {len0, len1};
        for (int w = 0; w < 2; ++w) {
          in[w].resize(len[w]);
          aad[w].resize(16);
          iv[w].resize(12);
          for (auto* v : {&in[w], &aad[w], &iv[w]})
            for (auto& b : *v) b = static_cast<uint8_t>(rng());
          one[w].assign(len[w] + 16, kGuard);
          two[w].assign(len[w] + 16, kGuard);
          tag_one[w].assign(24, kGuard);
          tag_two[w].assign(24, kGuard);
          auto single = decrypt ? vaes_gcm_decrypt : vaes_gcm_encrypt;
          single(key_, one[w].data(), in[w].data(), len[w], iv[w].data(),
                 aad_len ? aad[w].data() : nullptr, aad_len, tag_one[w].data(), tag_len);
        }
        const VaesGcmOp ops[2] = {{two[0].data(), in[0].data(), len0, iv[0].data(),
                                   aad_len ? aad[0].data() : nullptr, tag_two[0].data()},
                                  {two[1].data(), in[1].data(), len1, iv[1].data(),
                                   aad_len ? aad[1].data() : nullptr, tag_two[1].data()}};
        (decrypt ? vaes_gcm_decrypt_pair : vaes_gcm_encrypt_pair)(key_, ops, aad_len, tag_len);
        for (int w = 0; w < 2; ++w) {
          if ((one[w] != two[w] || tag_one[w] != tag_two[w]) && ++mismatches <= 5)
            ADD_FAILURE() << "key " << key_len << " B, lengths " << len0 << "/" << len1 << ", AAD "
                          << aad_len << ", tag " << tag_len << (decrypt ? ", decrypt" : ", encrypt")
                          << ", op " << w;
        }
      }
    }
  }
  EXPECT_EQ(mismatches, 0);
}

// A flipped bit anywhere (ciphertext, AAD, the last byte of a partial block) changes the tag the
// decryption computes: it is what the driver compares.
TEST_F(VaesGcm, AnyFlippedBitChangesTheTag) {
  std::mt19937 rng(7);
  set_random_key(16, rng);
  for (uint64_t len : {1u, 15u, 16u, 17u, 255u, 256u, 257u, 1420u}) {
    Bytes text(len), aad(12), iv(12, 3), tag(16);
    for (auto& b : text) b = static_cast<uint8_t>(rng());
    for (auto& b : aad) b = static_cast<uint8_t>(rng());
    vaes_gcm_encrypt(key_, text.data(), text.data(), len, iv.data(), aad.data(), aad.size(),
                     tag.data(), 16);
    for (uint64_t pos : {uint64_t{0}, len / 2, len - 1}) {
      Bytes c = text, t(16), p(len);
      c[pos] ^= 0x01;
      vaes_gcm_decrypt(key_, p.data(), c.data(), len, iv.data(), aad.data(), aad.size(), t.data(),
                       16);
      EXPECT_NE(t, tag) << "ciphertext bit flipped at " << pos << " of " << len;
    }
    Bytes a = aad, t(16), p(len);
    a[11] ^= 0x80;
    vaes_gcm_decrypt(key_, p.data(), text.data(), len, iv.data(), a.data(), a.size(), t.data(), 16);
    EXPECT_NE(t, tag) << "AAD bit flipped, length " << len;
  }
}

}  // namespace
}  // namespace dpaccel::imb
