// Known-answer tests: published vectors, each with its source, run through our driver by the
// op API, the CPU-crypto API and the raw data-path API, encrypting and decrypting.
#include "device_fixture.hpp"

namespace dpaccel::test {
namespace {

struct Kat {
  const char* source;
  Spec spec;
  Material m;
  Bytes plain, cipher, digest;
};

Spec gcm(unsigned k, unsigned aad) {
  return {.name = "gcm",
          .aead = Aead::AesGcm,
          .key_len = k,
          .iv_len = 12,
          .digest_len = 16,
          .aad_len = aad};
}
Spec hmac(Auth a, unsigned klen, unsigned dlen) {
  return {.name = "hmac", .auth = a, .auth_key_len = klen, .digest_len = dlen};
}

const std::string kGcmP =
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";

std::vector<Kat> kats() {
  std::vector<Kat> v;
  v.push_back({"McGrew-Viega GCM spec test case 2 (NIST SP 800-38D / CAVP gcmEncryptExtIV128)",
               gcm(16, 0),
               {hex("00000000000000000000000000000000"), {}, hex("000000000000000000000000"), {}},
               hex("00000000000000000000000000000000"),
               hex("0388dace60b6a392f328c2b971b2fe78"),
               hex("ab6e47d42cec13bdf53a67b21257bddf")});
  v.push_back({"McGrew-Viega GCM spec test case 3 (NIST SP 800-38D)",
               gcm(16, 0),
               {hex("feffe9928665731c6d6a8f9467308308"), {}, hex("cafebabefacedbaddecaf888"), {}},
               hex(kGcmP),
               hex("42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
                   "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985"),
               hex("4d5c2af327cd64a62cf35abd2ba6fab4")});
  v.push_back({"McGrew-Viega GCM spec test case 15 (AES-256, NIST SP 800-38D)",
               gcm(32, 0),
               {hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"),
                {},
                hex("cafebabefacedbaddecaf888"),
                {}},
               hex(kGcmP),
               hex("522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
                   "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad"),
               hex("b094dac5d93471bdec1a502270e3cc6c")});
  {
    std::string pt =
        "Ladies and Gentlemen of the class of '99: If I could offer you only one tip "
        "for the future, sunscreen would be it.";
    v.push_back({"RFC 8439 section 2.8.2 (ChaCha20-Poly1305 AEAD)",
                 {.name = "chacha",
                  .aead = Aead::Chacha20Poly1305,
                  .key_len = 32,
                  .iv_len = 12,
                  .digest_len = 16,
                  .aad_len = 12},
                 {hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"),
                  {},
                  hex("070000004041424344454647"),
                  hex("50515253c0c1c2c3c4c5c6c7")},
                 Bytes(pt.begin(), pt.end()),
                 hex("d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
                     "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
                     "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
                     "3ff4def08e4b7a9de576d26586cec64b6116"),
                 hex("1ae10b594f09e26a7e902ecbd0600691")});
  }
  v.push_back(
      {"RFC 3602 section 4, case #2 (AES-128-CBC)",
       {.name = "cbc", .cipher = Cipher::AesCbc, .key_len = 16, .iv_len = 16, .block = 16},
       {hex("c286696d887c9aa0611bbb3e2025a45a"), {}, hex("562e17996d093d28ddb3ba695a2e6f58"), {}},
       hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"),
       hex("d296cd94c2cccf8a3a863028b5e1dc0a7586602d253cfff91b8266bea6d61ab1"),
       {}});
  v.push_back(
      {"RFC 3686 section 6, test vector #1 (AES-128-CTR, counter block nonce|IV|1)",
       {.name = "ctr", .cipher = Cipher::AesCtr, .key_len = 16, .iv_len = 16},
       {hex("ae6852f8121067cc4bf7a5765577f39e"), {}, hex("00000030000000000000000000000001"), {}},
       hex("53696e676c6520626c6f636b206d7367"),
       hex("e4095d4fb7a7b3792d6175a3261311b8"),
       {}});
  v.push_back({"RFC 2202 section 3, test case 1 (HMAC-SHA1)",
               hmac(Auth::HmacSha1, 20, 20),
               {{}, Bytes(20, 0x0b), {}, {}},
               hex("4869205468657265"),
               {},
               hex("b617318655057264e28bc0b6fb378c8ef146be00")});
  v.push_back({"RFC 2202 section 3, test case 2 (HMAC-SHA1, key 'Jefe')",
               hmac(Auth::HmacSha1, 4, 20),
               {{}, hex("4a656665"), {}, {}},
               hex("7768617420646f2079612077616e7420666f72206e6f7468696e673f"),
               {},
               hex("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")});
  v.push_back({"RFC 2202 section 3, test case 1 truncated to 96 bits (RFC 2404)",
               hmac(Auth::HmacSha1, 20, 12),
               {{}, Bytes(20, 0x0b), {}, {}},
               hex("4869205468657265"),
               {},
               hex("b617318655057264e28bc0b6")});
  v.push_back({"RFC 4231 section 4.2, test case 1 (HMAC-SHA256)",
               hmac(Auth::HmacSha256, 20, 32),
               {{}, Bytes(20, 0x0b), {}, {}},
               hex("4869205468657265"),
               {},
               hex("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")});
  v.push_back({"RFC 4231 section 4.3, test case 2 (HMAC-SHA256, key 'Jefe')",
               hmac(Auth::HmacSha256, 4, 32),
               {{}, hex("4a656665"), {}, {}},
               hex("7768617420646f2079612077616e7420666f72206e6f7468696e673f"),
               {},
               hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")});
  v.push_back({"RFC 4231 section 4.7, test case 6 (HMAC-SHA256, 131-byte key hashed first)",
               hmac(Auth::HmacSha256, 131, 32),
               {{}, Bytes(131, 0xaa), {}, {}},
               hex("54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a"
                   "65204b6579202d2048617368204b6579204669727374"),
               {},
               hex("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")});
  v.push_back({"FIPS 180-2 appendix A.1 (SHA-1 of 'abc')",
               {.name = "sha1", .auth = Auth::Sha1, .digest_len = 20},
               {},
               hex("616263"),
               {},
               hex("a9993e364706816aba3e25717850c26c9cd0d89d")});
  v.push_back({"FIPS 180-2 appendix B.1 (SHA-256 of 'abc')",
               {.name = "sha256", .auth = Auth::Sha256, .digest_len = 32},
               {},
               hex("616263"),
               {},
               hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")});
  return v;
}

class KnownAnswer : public DeviceTest, public ::testing::WithParamInterface<Api> {};

TEST_P(KnownAnswer, EncryptAndDecrypt) {
  Api api = GetParam();
  uint8_t d = api == Api::RawDp ? ours_raw() : ours();
  for (const Kat& k : kats()) {
    SCOPED_TRACE(k.source);
    bool has_cipher = k.spec.has_cipher();
    std::vector<Job> enc(1);
    enc[0].data = k.plain;
    enc[0].regions = regions_for(k.spec, k.plain.size());
    std::string why;
    ASSERT_TRUE(run_jobs(api, d, 0, k.spec, k.m, true, enc, &why)) << why;
    EXPECT_EQ(enc[0].status, 0);
    if (has_cipher) {
      EXPECT_EQ(enc[0].out, k.cipher);
    }
    if (!k.digest.empty()) {
      EXPECT_EQ(enc[0].digest, k.digest);
    }
    // The reference implementation agrees with the published vector too.
    RefResult ref = reference_encrypt(k.spec, k.m, k.plain);
    if (has_cipher) {
      EXPECT_EQ(ref.data, k.cipher);
    }
    if (!k.digest.empty()) {
      EXPECT_EQ(ref.digest, k.digest);
    }

    std::vector<Job> dec(1);
    dec[0].data = has_cipher ? k.cipher : k.plain;
    dec[0].digest = k.digest;
    dec[0].regions = enc[0].regions;
    ASSERT_TRUE(run_jobs(api, d, 0, k.spec, k.m, false, dec, &why)) << why;
    EXPECT_EQ(dec[0].status, 0);
    EXPECT_EQ(dec[0].out, k.plain);
  }
}

INSTANTIATE_TEST_SUITE_P(AllApis, KnownAnswer,
                         ::testing::Values(Api::Ops, Api::CpuCrypto, Api::RawDp),
                         [](const auto& info) {
                           return std::string(info.param == Api::Ops         ? "ops"
                                              : info.param == Api::CpuCrypto ? "cpu_crypto"
                                                                             : "raw_dp");
                         });

}  // namespace
}  // namespace dpaccel::test
