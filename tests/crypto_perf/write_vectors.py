#!/usr/bin/python3
"""Writes the dpdk-test-crypto-perf vector files (tests/crypto_perf/vectors/*.data) from published
known-answer vectors. The output is committed; run this again only to change the set.

Each file holds one vector: the global section (plaintext, ciphertext, keys, IV, AAD) and one test
section [name] with the digest. dpdk-test-crypto-perf insists on AAD for AEAD vectors, so the
GCM vectors are the ones of the GCM specification that have AAD, in the format of DPDK's app/test-crypto-perf/data/*.data.
run_verify.sh holds the matching dpdk-test-crypto-perf options for each file."""
import os

GCM_P = ("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
         "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255")
GCM_C = ("42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
         "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985")
CHACHA_P = ("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the "
            "future, sunscreen would be it.").encode().hex()

VECTORS = {
    "aes_gcm_128_tc4": dict(
        source="McGrew & Viega, The GCM Mode of Operation, test case 4 (NIST SP 800-38D), 20-byte AAD",
        plaintext=GCM_P[:120], ciphertext=GCM_C[:120], aead_key="feffe9928665731c6d6a8f9467308308",
        aead_iv="cafebabefacedbaddecaf888", aad="feedfacedeadbeeffeedfacedeadbeefabaddad2",
        digest="5bc94fbc3221a5db94fae95ae7121a47"),
    "aes_gcm_256_tc16": dict(
        source="McGrew & Viega, The GCM Mode of Operation, test case 16 (AES-256, 20-byte AAD)",
        plaintext=GCM_P[:120],
        ciphertext=("522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
                    "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662")[:120],
        aead_key="feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
        aead_iv="cafebabefacedbaddecaf888", aad="feedfacedeadbeeffeedfacedeadbeefabaddad2",
        digest="76fc6ece0f4e1768cddf8853bb2d551b"),
    "chacha20_poly1305_rfc8439": dict(
        source="RFC 8439 section 2.8.2",
        plaintext=CHACHA_P,
        ciphertext=("d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
                    "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
                    "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
                    "3ff4def08e4b7a9de576d26586cec64b6116"),
        aead_key="808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
        aead_iv="070000004041424344454647", aad="50515253c0c1c2c3c4c5c6c7",
        digest="1ae10b594f09e26a7e902ecbd0600691"),
    "aes_cbc_128_rfc3602": dict(
        source="RFC 3602 section 4, case #2",
        plaintext="000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        ciphertext="d296cd94c2cccf8a3a863028b5e1dc0a7586602d253cfff91b8266bea6d61ab1",
        cipher_key="c286696d887c9aa0611bbb3e2025a45a", cipher_iv="562e17996d093d28ddb3ba695a2e6f58"),
    "aes_ctr_128_rfc3686": dict(
        source="RFC 3686 section 6, test vector #1 (counter block nonce|IV|1)",
        plaintext="53696e676c6520626c6f636b206d7367", ciphertext="e4095d4fb7a7b3792d6175a3261311b8",
        cipher_key="ae6852f8121067cc4bf7a5765577f39e", cipher_iv="00000030000000000000000000000001"),
    "hmac_sha1_rfc2202": dict(
        source="RFC 2202 section 3, test case 2",
        plaintext="7768617420646f2079612077616e7420666f72206e6f7468696e673f",
        auth_key="4a656665", digest="effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"),
    "hmac_sha256_rfc4231": dict(
        source="RFC 4231 section 4.3, test case 2",
        plaintext="7768617420646f2079612077616e7420666f72206e6f7468696e673f",
        auth_key="4a656665", digest="5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
}


def values(hexstr):
    b = bytes.fromhex(hexstr)
    rows = [", ".join(f"0x{x:02x}" for x in b[i:i + 16]) for i in range(0, len(b), 16)]
    return ",\n".join(rows) + "\n"


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vectors")
    os.makedirs(out, exist_ok=True)
    for name, v in VECTORS.items():
        with open(os.path.join(out, name + ".data"), "w") as f:
            f.write(f"# {v['source']}\n# written by tests/crypto_perf/write_vectors.py\n\n")
            for key in ("plaintext", "ciphertext", "cipher_key", "cipher_iv", "auth_key",
                        "aead_key", "aead_iv", "aad"):
                if key in v:
                    f.write(f"{key} =\n{values(v[key])}\n")
            f.write(f"[{name}]\n")
            if "digest" in v:
                f.write(f"digest =\n{values(v['digest'])}\n")
            else:  # the parser wants a section body; the IV again is harmless
                f.write(f"cipher_iv =\n{values(v['cipher_iv'])}\n")


if __name__ == "__main__":
    main()
