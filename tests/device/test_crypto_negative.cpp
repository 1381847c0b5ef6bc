// Bad input: unsupported transforms fail at session creation with -ENOTSUP; ops with regions
// outside their data, bad CBC lengths or missing pointers come back INVALID_ARGS; tag mismatches
// AUTH_FAILED; ops without a session INVALID_SESSION. Nothing crashes, nothing leaks, and nothing
// outside the op's data is written.
#include <rte_errno.h>

#include "device_fixture.hpp"
#include "gcm_ops.hpp"

namespace dpaccel::test {
namespace {

class Negative : public DeviceTest {};

Spec cbc_sha1() {
  return {.name = "cbc_sha1",
          .cipher = Cipher::AesCbc,
          .auth = Auth::HmacSha1,
          .key_len = 16,
          .auth_key_len = 20,
          .iv_len = 16,
          .digest_len = 12,
          .block = 16,
          .header = 8};
}

void expect_enotsup(uint8_t dev, rte_crypto_sym_xform* x, const char* what) {
  SCOPED_TRACE(what);
  void* s = rte_cryptodev_sym_session_create(dev, x, pools().sessions);
  EXPECT_EQ(s, nullptr);
  EXPECT_EQ(rte_errno, ENOTSUP);
  if (s) rte_cryptodev_sym_session_free(dev, s);
}

TEST_F(Negative, UnsupportedTransformsAreRefusedWithEnotsup) {
  std::mt19937_64 rng(1);
  Bytes key = random_bytes(64, rng);
  {
    rte_crypto_sym_xform x{};
    x.type = RTE_CRYPTO_SYM_XFORM_AEAD;
    x.aead = {RTE_CRYPTO_AEAD_OP_ENCRYPT,
              RTE_CRYPTO_AEAD_AES_CCM,
              {key.data(), 16},
              {kIvOffset, 12},
              16,
              8};
    expect_enotsup(ours(), &x, "AES-CCM");
    x.aead = {RTE_CRYPTO_AEAD_OP_ENCRYPT,
              RTE_CRYPTO_AEAD_AES_GCM,
              {key.data(), 20},
              {kIvOffset, 12},
              16,
              8};
    expect_enotsup(ours(), &x, "GCM with a 20-byte key");
    x.aead = {RTE_CRYPTO_AEAD_OP_ENCRYPT,
              RTE_CRYPTO_AEAD_AES_GCM,
              {key.data(), 16},
              {kIvOffset, 16},
              16,
              8};
    expect_enotsup(ours(), &x, "GCM with a 16-byte IV");
    x.aead = {RTE_CRYPTO_AEAD_OP_ENCRYPT,
              RTE_CRYPTO_AEAD_AES_GCM,
              {key.data(), 16},
              {kIvOffset, 12},
              17,
              8};
    expect_enotsup(ours(), &x, "GCM with a 17-byte digest");
    x.aead = {RTE_CRYPTO_AEAD_OP_ENCRYPT,
              RTE_CRYPTO_AEAD_CHACHA20_POLY1305,
              {key.data(), 32},
              {kIvOffset, 12},
              12,
              8};
    expect_enotsup(ours(), &x, "ChaCha20-Poly1305 with a 12-byte tag");
  }
  {
    rte_crypto_sym_xform x{};
    x.type = RTE_CRYPTO_SYM_XFORM_CIPHER;
    x.cipher = {RTE_CRYPTO_CIPHER_OP_ENCRYPT,
                RTE_CRYPTO_CIPHER_3DES_CBC,
                {key.data(), 24},
                {kIvOffset, 8},
                0};
    expect_enotsup(ours(), &x, "3DES-CBC");
    x.cipher = {RTE_CRYPTO_CIPHER_OP_ENCRYPT,
                RTE_CRYPTO_CIPHER_AES_CBC,
                {key.data(), 16},
                {kIvOffset, 12},
                0};
    expect_enotsup(ours(), &x, "AES-CBC with a 12-byte IV");
  }
  {
    rte_crypto_sym_xform x{};
    x.type = RTE_CRYPTO_SYM_XFORM_AUTH;
    x.auth = {};
    x.auth.op = RTE_CRYPTO_AUTH_OP_GENERATE;
    x.auth.algo = RTE_CRYPTO_AUTH_SHA1_HMAC;
    x.auth.key = {key.data(), 20};
    x.auth.digest_length = 16;  // neither 96 nor 160 bits
    expect_enotsup(ours(), &x, "HMAC-SHA1 with a 16-byte digest");
    x.auth.algo = RTE_CRYPTO_AUTH_MD5_HMAC;
    x.auth.digest_length = 12;
    expect_enotsup(ours(), &x, "HMAC-MD5");
  }
  {
    // auth-generate then encrypt (MAC-then-encrypt) is not one of ESP's orders.
    std::mt19937_64 r2(2);
    Spec s = cbc_sha1();
    Material m = random_material(s, r2);
    XformChain c = make_xforms(s, m, true, kIvOffset);
    std::swap(c.x[0], c.x[1]);
    c.x[0].next = &c.x[1];
    c.x[1].next = nullptr;
    expect_enotsup(ours(), c.head(), "auth-generate then cipher-encrypt");
  }
}

// Runs one op and returns its status, checking that bytes outside [0, len) of the mbuf's
// buffer are untouched.
int run_one(uint8_t dev, const Spec& s, const Material& m, bool encrypt, Job j) {
  std::vector<Job> jobs{std::move(j)};
  std::string why;
  EXPECT_TRUE(run_jobs(Api::Ops, dev, 0, s, m, encrypt, jobs, &why)) << why;
  return jobs[0].status;
}

TEST_F(Negative, RegionsOutsideTheDataAreInvalidArgs) {
  std::mt19937_64 rng(3);
  for (const Spec& s : {esp_gcm128_spec(), cbc_sha1()}) {
    SCOPED_TRACE(s.name);
    Material m = random_material(s, rng);
    Job j;
    j.data = random_bytes(72, rng);
    j.regions = regions_for(s, 72);
    j.regions.cipher_len += 16;  // runs past the end
    EXPECT_EQ(run_one(ours(), s, m, true, j), RTE_CRYPTO_OP_STATUS_INVALID_ARGS);
    j.regions = regions_for(s, 72);
    j.regions.cipher_off = 0xfffffff0;  // offset far outside, overflow-prone
    EXPECT_EQ(run_one(ours(), s, m, true, j), RTE_CRYPTO_OP_STATUS_INVALID_ARGS);
    j.regions = regions_for(s, 72);
    j.src_cuts = {10, 40};  // the same over a segmented mbuf
    j.regions.auth_len += 1;
    j.regions.cipher_len += s.is_aead() ? 1 : 0;
    EXPECT_EQ(run_one(ours(), s, m, true, j), RTE_CRYPTO_OP_STATUS_INVALID_ARGS);
  }
}

TEST_F(Negative, CbcLengthNotAMultipleOfTheBlockIsInvalidArgs) {
  std::mt19937_64 rng(4);
  Spec s = cbc_sha1();
  Material m = random_material(s, rng);
  Job j;
  j.data = random_bytes(8 + 33, rng);
  j.regions = regions_for(s, j.data.size());
  EXPECT_EQ(run_one(ours(), s, m, true, j), RTE_CRYPTO_OP_STATUS_INVALID_ARGS);
}

TEST_F(Negative, FlippedTagOrDataBitIsAuthFailed) {
  std::mt19937_64 rng(5);
  for (const Spec& s : all_specs()) {
    if (!s.has_digest()) continue;
    SCOPED_TRACE(s.name);
    Material m = random_material(s, rng);
    Bytes data = random_bytes(s.header + 64, rng);
    RefResult ref = reference_encrypt(s, m, data);
    for (int which = 0; which < 2; ++which) {
      Job j;
      j.data = ref.data;
      j.digest = ref.digest;
      j.regions = regions_for(s, data.size());
      if (s.auth == Auth::Sha1 || s.auth == Auth::Sha256) {
        if (which)
          j.data[3] ^= 0x01;
        else
          j.digest[0] ^= 0x80;
      } else if (which) {
        j.data[s.header + 5] ^= 0x10;
      } else {
        j.digest.back() ^= 0x01;
      }
      EXPECT_EQ(run_one(ours(), s, m, false, j), RTE_CRYPTO_OP_STATUS_AUTH_FAILED);
    }
  }
}

TEST_F(Negative, OpWithoutSessionOrDataIsRefusedAndOrderIsKept) {
  std::mt19937_64 rng(6);
  Spec s = esp_gcm128_spec();
  Material m = random_material(s, rng);
  void* sess = make_session(ours(), s, m, true);
  ASSERT_NE(sess, nullptr);
  rte_crypto_op* ops[3];
  ASSERT_EQ(rte_crypto_op_bulk_alloc(pools().ops, RTE_CRYPTO_OP_TYPE_SYMMETRIC, ops, 3), 3);
  rte_mbuf* mb[3];
  Bytes digest(16 * 3), aad(8);
  for (int i = 0; i < 3; ++i) {
    mb[i] = rte_pktmbuf_alloc(pools().mbufs);
    ASSERT_NE(mb[i], nullptr);
    rte_pktmbuf_append(mb[i], 64);
    ops[i]->sym->m_src = mb[i];
    ops[i]->sym->aead.data = {0, 64};
    ops[i]->sym->aead.digest.data = digest.data() + 16 * i;
    ops[i]->sym->aead.aad.data = aad.data();
    if (i != 1) rte_crypto_op_attach_sym_session(ops[i], sess);
  }
  ops[1]->sess_type = RTE_CRYPTO_OP_SESSIONLESS;
  rte_mbuf* saved = ops[2]->sym->m_src;
  ops[2]->sym->m_src = nullptr;  // no data at all
  ASSERT_EQ(rte_cryptodev_enqueue_burst(ours(), 0, ops, 3), 3);
  rte_crypto_op* back[3];
  ASSERT_EQ(rte_cryptodev_dequeue_burst(ours(), 0, back, 3), 3);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(back[i], ops[i]);
  EXPECT_EQ(back[0]->status, RTE_CRYPTO_OP_STATUS_SUCCESS);
  EXPECT_EQ(back[1]->status, RTE_CRYPTO_OP_STATUS_INVALID_SESSION);
  EXPECT_EQ(back[2]->status, RTE_CRYPTO_OP_STATUS_INVALID_ARGS);
  ops[2]->sym->m_src = saved;
  for (int i = 0; i < 3; ++i) {
    rte_pktmbuf_free(mb[i]);
    rte_crypto_op_free(ops[i]);
  }
  rte_cryptodev_sym_session_free(ours(), sess);
}

TEST_F(Negative, CpuCryptoAndRawDpReportTagMismatch) {
  std::mt19937_64 rng(7);
  Spec s = esp_gcm128_spec();
  Material m = random_material(s, rng);
  for (auto [api, d] : {std::pair{Api::CpuCrypto, ours()}, std::pair{Api::RawDp, ours_raw()}}) {
    std::vector<Job> jobs(1);
    jobs[0].data = random_bytes(32, rng);
    jobs[0].regions = {0, 32, 0, 0};
    Bytes saved = jobs[0].data;
    // Valid run first, then a tampered tag.
    std::string why;
    ASSERT_TRUE(run_jobs(api, d, 0, s, m, true, jobs, &why)) << why;
    EXPECT_EQ(jobs[0].status, 0);
    jobs[0].data = jobs[0].out;
    jobs[0].digest[3] ^= 4;
    ASSERT_TRUE(run_jobs(api, d, 0, s, m, false, jobs, &why)) << why;
    EXPECT_EQ(jobs[0].status, api == Api::CpuCrypto ? EBADMSG : 1);
  }
}

TEST_F(Negative, TagMismatchInAPairOfSmallOpsFailsAlone) {
  // Three 48-byte ops in one call (one enqueue burst for the op API): the driver runs the first
  // two together (vaes_gcm's pair path on CPUs with VAES) and the third alone. A tampered tag on
  // the second fails the second only.
  std::mt19937_64 rng(12);
  Spec s = esp_gcm128_spec();
  Material m = random_material(s, rng);
  for (auto [api, d] : {std::pair{Api::CpuCrypto, ours()}, std::pair{Api::RawDp, ours_raw()},
                        std::pair{Api::Ops, ours()}}) {
    std::vector<Job> jobs(3);
    std::vector<Bytes> plain(3);
    for (size_t i = 0; i < jobs.size(); ++i) {
      jobs[i].data = plain[i] = random_bytes(48, rng);
      jobs[i].regions = {0, 48, 0, 0};
    }
    std::string why;
    ASSERT_TRUE(run_jobs(api, d, 0, s, m, true, jobs, &why)) << why;
    for (Job& j : jobs) {
      EXPECT_EQ(j.status, 0);
      j.data = j.out;
    }
    jobs[1].digest[7] ^= 0x20;
    ASSERT_TRUE(run_jobs(api, d, 0, s, m, false, jobs, &why)) << why;
    EXPECT_EQ(jobs[0].status, 0);
    EXPECT_EQ(jobs[1].status, api == Api::CpuCrypto ? EBADMSG
                              : api == Api::Ops     ? int(RTE_CRYPTO_OP_STATUS_AUTH_FAILED)
                                                    : 1);
    EXPECT_EQ(jobs[2].status, 0);
    EXPECT_EQ(jobs[0].out, plain[0]);
    EXPECT_EQ(jobs[2].out, plain[2]);
  }
}

TEST_F(Negative, SmallGcmOpsOfTwoSessionsInOneBurstAreNotMixed) {
  // The op API pairs consecutive small GCM ops of one session (vaes_gcm on CPUs with VAES): an
  // enqueue burst alternating two sessions (two keys) must give each op what its own session
  // gives it in a burst of its own.
  GcmSession a(ours(), 21), b(ours(), 22);
  ASSERT_NE(a.sess, nullptr);
  ASSERT_NE(b.sess, nullptr);
  std::vector<Bytes> plain;
  for (int i = 0; i < 4; ++i) plain.push_back(random_bytes(48, a.rng));
  GcmOps a_alone(a, plain), b_alone(b, plain), a_mixed(a, plain), b_mixed(b, plain);
  ASSERT_TRUE(a_alone.ok() && b_alone.ok() && a_mixed.ok() && b_mixed.ok());
  std::vector<rte_crypto_op*> mixed;
  for (size_t i = 0; i < plain.size(); ++i) {
    mixed.push_back(a_mixed[i]);
    mixed.push_back(b_mixed[i]);
  }
  for (auto* ops : {a_alone.data(), b_alone.data(), mixed.data()}) {
    const uint16_t n = ops == mixed.data() ? uint16_t(mixed.size()) : uint16_t(plain.size());
    ASSERT_EQ(rte_cryptodev_enqueue_burst(ours(), 0, ops, n), n);
    ASSERT_EQ(dequeue_n(ours(), 0, n, std::chrono::seconds(5)).size(), n);
  }
  auto data = [](rte_crypto_op* op) {
    const rte_mbuf* m = op->sym->m_src;
    const auto* p = rte_pktmbuf_mtod(m, const uint8_t*);
    return Bytes(p, p + m->data_len);
  };
  for (size_t i = 0; i < plain.size(); ++i) {
    for (auto [alone, mix] : {std::pair{&a_alone, &a_mixed}, std::pair{&b_alone, &b_mixed}}) {
      EXPECT_EQ((*mix)[i]->status, RTE_CRYPTO_OP_STATUS_SUCCESS);
      EXPECT_EQ((*alone)[i]->status, RTE_CRYPTO_OP_STATUS_SUCCESS);
      EXPECT_EQ(data((*mix)[i]), data((*alone)[i])) << "op " << i;
      EXPECT_EQ(0, std::memcmp(mix->digest(i), alone->digest(i), 16)) << "op " << i;
    }
    EXPECT_NE(data(a_alone[i]), data(b_alone[i]));  // the two keys do differ
  }
}

TEST_F(Negative, CpuCryptoBadEntryFailsAloneInABurst) {
  // One CPU-crypto call: good ops, one too short for the call's offsets (EINVAL) and a segmented
  // one (the driver's general path, beside its one-segment GCM loop). Each good op must come out
  // as it does alone and in one segment.
  std::mt19937_64 rng(11);
  Spec s = esp_gcm128_spec();
  Material m = random_material(s, rng);
  std::vector<Job> jobs(4);
  for (int i = 0; i < 4; ++i) {
    jobs[i].data = random_bytes(i == 1 ? 4 : 40, rng);
    jobs[i].regions = {8, 32, 0, 0};  // head 8, tail 0 for every op of the call
  }
  jobs[2].src_cuts = {13, 27};
  std::vector<Job> alone;
  for (int i : {0, 2, 3}) {
    std::vector<Job> one{jobs[i]};
    one[0].src_cuts.clear();
    std::string why;
    ASSERT_TRUE(run_jobs(Api::CpuCrypto, ours(), 0, s, m, true, one, &why)) << why;
    ASSERT_EQ(one[0].status, 0);
    alone.push_back(one[0]);
  }
  std::string why;
  ASSERT_TRUE(run_jobs(Api::CpuCrypto, ours(), 0, s, m, true, jobs, &why)) << why;
  EXPECT_EQ(jobs[0].status, 0);
  EXPECT_EQ(jobs[1].status, EINVAL);
  EXPECT_EQ(jobs[2].status, 0);
  EXPECT_EQ(jobs[3].status, 0);
  int k = 0;
  for (int i : {0, 2, 3}) {
    EXPECT_EQ(jobs[i].out, alone[k].out) << "op " << i;
    EXPECT_EQ(jobs[i].digest, alone[k].digest) << "op " << i;
    ++k;
  }
}

TEST_F(Negative, CpuCryptoEntryWithoutSegmentsIsInvalid) {
  // An entry with no segment at all (num 0, no vector) beside a good one: EINVAL for it, nothing
  // read through its null vector, the good one done.
  GcmSession gs(ours(), 12);
  ASSERT_NE(gs.sess, nullptr);
  Material& m = gs.m;
  Bytes data = random_bytes(32, gs.rng), digest(16), aad = m.aad;
  aad.resize(std::max<size_t>(aad.size(), 16));
  rte_crypto_vec seg{};
  seg.base = data.data();
  seg.len = uint32_t(data.size());
  rte_crypto_sgl sgl[2] = {{nullptr, 0}, {&seg, 1}};
  rte_crypto_va_iova_ptr iv[2] = {{m.iv.data(), 0}, {m.iv.data(), 0}};
  rte_crypto_va_iova_ptr ad[2] = {{aad.data(), 0}, {aad.data(), 0}};
  rte_crypto_va_iova_ptr dg[2] = {{digest.data(), 0}, {digest.data(), 0}};
  int32_t st[2] = {-1, -1};
  rte_crypto_sym_vec vec{};
  vec.num = 2;
  vec.src_sgl = sgl;
  vec.iv = iv;
  vec.aad = ad;
  vec.digest = dg;
  vec.status = st;
  rte_crypto_sym_ofs ofs{};
  EXPECT_EQ(rte_cryptodev_sym_cpu_crypto_process(ours(), gs.sess, ofs, &vec), 1u);
  EXPECT_EQ(st[0], EINVAL);
  EXPECT_EQ(st[1], 0);
}

TEST_F(Negative, WrongApiForTheDeviceIsRefused) {
  // crypto_dpaccel_cpu1 offers raw data-path, so it cannot offer CPU crypto (DPDK 22.11's ops
  // union) and says so; and vice versa.
  rte_cryptodev_info info{};
  rte_cryptodev_info_get(ours_raw(), &info);
  EXPECT_TRUE(info.feature_flags & RTE_CRYPTODEV_FF_SYM_RAW_DP);
  EXPECT_FALSE(info.feature_flags & RTE_CRYPTODEV_FF_SYM_CPU_CRYPTO);
  EXPECT_LT(rte_cryptodev_get_raw_dp_ctx_size(ours()), 0);
  rte_cryptodev_info_get(ours(), &info);
  EXPECT_TRUE(info.feature_flags & RTE_CRYPTODEV_FF_SYM_CPU_CRYPTO);
  EXPECT_TRUE(info.feature_flags & RTE_CRYPTODEV_FF_SYM_OPERATION_CHAINING);
  EXPECT_TRUE(info.feature_flags & RTE_CRYPTODEV_FF_IN_PLACE_SGL);
  EXPECT_TRUE(info.feature_flags & RTE_CRYPTODEV_FF_OOP_SGL_IN_SGL_OUT);
}

}  // namespace
}  // namespace dpaccel::test
