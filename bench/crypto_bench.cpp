// Google Benchmark: symmetric crypto ops per second, Gbit/s and cycles per op, burst 32, one core,
// for our crypto_dpaccel_cpu (through enqueue/dequeue, CPU crypto and raw data-path) and DPDK's
// crypto_aesni_mb, crypto_aesni_gcm (GCM only) and crypto_openssl, all in this process on the same
// buffers, plus a raw IPsec-MB loop with no DPDK at all (the software limit).
//
// In-place; decrypt runs over buffers whose tags were made by a first encrypt pass and stop
// matching once the data is decrypted in place: every driver computes the full tag before
// comparing, so the work per op is the same (as in dpdk-test-crypto-perf's throughput mode).
#include <benchmark/benchmark.h>

#include <intel-ipsec-mb.h>
#include <rte_bus_vdev.h>
#include <rte_cryptodev.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_mbuf.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "test_eal.hpp"
#include "vaes_gcm.hpp"

extern uint8_t dpaccel_cpu_driver_id;  // keeps the linked driver (see tests/device/main.cpp)

namespace {

constexpr uint16_t kBurst = 32;
constexpr uint16_t kIvOffset = sizeof(rte_crypto_op) + sizeof(rte_crypto_sym_op);
constexpr std::array kSizes{64, 128, 256, 512, 1024, 1420};

enum class Algo { Gcm128, Gcm256, Chacha, CbcSha1 };
enum class Path { Ops, CpuCrypto, RawDp, RawImb, RawVaes };

const char* algo_name(Algo a) {
  switch (a) {
    case Algo::Gcm128: return "aes_gcm_128";
    case Algo::Gcm256: return "aes_gcm_256";
    case Algo::Chacha: return "chacha20_poly1305";
    default: return "aes_cbc_128_hmac_sha1";
  }
}

rte_mempool* g_mbufs;
rte_mempool* g_ops;
rte_mempool* g_sess;
uint8_t g_key[64];

struct Xforms {
  rte_crypto_sym_xform x[2]{};
};

Xforms xforms(Algo a, bool enc) {
  Xforms f;
  if (a != Algo::CbcSha1) {
    auto& x = f.x[0];
    x.type = RTE_CRYPTO_SYM_XFORM_AEAD;
    x.aead.op = enc ? RTE_CRYPTO_AEAD_OP_ENCRYPT : RTE_CRYPTO_AEAD_OP_DECRYPT;
    x.aead.algo = a == Algo::Chacha ? RTE_CRYPTO_AEAD_CHACHA20_POLY1305 : RTE_CRYPTO_AEAD_AES_GCM;
    x.aead.key = {g_key, static_cast<uint16_t>(a == Algo::Gcm128 ? 16 : 32)};
    x.aead.iv = {kIvOffset, 12};
    x.aead.digest_length = 16;
    x.aead.aad_length = 8;
    return f;
  }
  rte_crypto_sym_xform c{}, h{};
  c.type = RTE_CRYPTO_SYM_XFORM_CIPHER;
  c.cipher.op = enc ? RTE_CRYPTO_CIPHER_OP_ENCRYPT : RTE_CRYPTO_CIPHER_OP_DECRYPT;
  c.cipher.algo = RTE_CRYPTO_CIPHER_AES_CBC;
  c.cipher.key = {g_key, 16};
  c.cipher.iv = {kIvOffset, 16};
  h.type = RTE_CRYPTO_SYM_XFORM_AUTH;
  h.auth.op = enc ? RTE_CRYPTO_AUTH_OP_GENERATE : RTE_CRYPTO_AUTH_OP_VERIFY;
  h.auth.algo = RTE_CRYPTO_AUTH_SHA1_HMAC;
  h.auth.key = {g_key + 16, 20};
  h.auth.digest_length = 12;
  f.x[0] = enc ? c : h;
  f.x[1] = enc ? h : c;
  f.x[0].next = &f.x[1];
  return f;
}

// A burst of in-place ops over `size`-byte buffers (ESP-like for CBC+HMAC: 8-byte header
// authenticated, the rest encrypted), with digests and AAD in the mbufs' tailroom/headroom.
struct Burst {
  std::array<rte_crypto_op*, kBurst> ops{};
  std::array<rte_mbuf*, kBurst> mbufs{};
  std::array<uint8_t*, kBurst> digest{}, aad{}, iv{};
  uint32_t cipher_off = 0, cipher_len = 0, auth_len = 0;

  bool init(void* sess, Algo a, unsigned size) {
    if (rte_crypto_op_bulk_alloc(g_ops, RTE_CRYPTO_OP_TYPE_SYMMETRIC, ops.data(), kBurst) != kBurst)
      return false;
    bool chain = a == Algo::CbcSha1;
    cipher_off = chain ? 8 : 0;
    cipher_len = size - cipher_off;
    if (chain) cipher_len -= cipher_len % 16;
    auth_len = cipher_off + cipher_len;
    for (unsigned i = 0; i < kBurst; ++i) {
      rte_mbuf* m = rte_pktmbuf_alloc(g_mbufs);
      if (!m) return false;
      auto* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, static_cast<uint16_t>(size)));
      for (unsigned k = 0; k < size; ++k) p[k] = static_cast<uint8_t>(k * 7 + i);
      mbufs[i] = m;
      digest[i] = p + size;  // in the tailroom, as ESP would have it
      aad[i] = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, 0)) - 16;  // headroom
      auto* op = ops[i];
      rte_crypto_op_attach_sym_session(op, sess);
      op->sym->m_src = m;
      iv[i] = rte_crypto_op_ctod_offset(op, uint8_t*, kIvOffset);
      std::memset(iv[i], 0x5a, 16);
      if (!chain) {
        op->sym->aead.data = {0, size};
        op->sym->aead.digest.data = digest[i];
        op->sym->aead.digest.phys_addr = rte_pktmbuf_iova_offset(m, size);
        op->sym->aead.aad.data = aad[i];
        op->sym->aead.aad.phys_addr = rte_pktmbuf_iova(m) - 16;
      } else {
        op->sym->cipher.data = {cipher_off, cipher_len};
        op->sym->auth.data = {0, auth_len};
        op->sym->auth.digest.data = digest[i];
        op->sym->auth.digest.phys_addr = rte_pktmbuf_iova_offset(m, size);
      }
    }
    return true;
  }
  ~Burst() {
    for (auto* m : mbufs) rte_pktmbuf_free(m);
    for (auto* op : ops)
      if (op) rte_crypto_op_free(op);
  }
};

uint8_t dev_id(const char* name) {
  return static_cast<uint8_t>(rte_cryptodev_get_dev_id(name));
}

void set_counters(benchmark::State& st, uint64_t ops, uint64_t cycles, unsigned size) {
  st.SetItemsProcessed(static_cast<int64_t>(ops));
  st.SetBytesProcessed(static_cast<int64_t>(ops * size));
  st.counters["Gbit/s"] =
      benchmark::Counter(static_cast<double>(ops) * size * 8 / 1e9, benchmark::Counter::kIsRate);
  st.counters["cycles/op"] = ops ? static_cast<double>(cycles) / static_cast<double>(ops) : 0;
}

void bench_device(benchmark::State& st, const char* dev, Path path, Algo a, bool enc) {
  auto size = static_cast<unsigned>(st.range(0));
  uint8_t d = dev_id(dev);
  // Encrypt once to give the decrypt benchmark real ciphertext and tags.
  Xforms fe = xforms(a, true), fx = xforms(a, enc);
  void* sess_enc = rte_cryptodev_sym_session_create(d, fe.x, g_sess);
  void* sess = rte_cryptodev_sym_session_create(d, fx.x, g_sess);
  if (!sess || !sess_enc) {
    if (sess) rte_cryptodev_sym_session_free(d, sess);
    if (sess_enc) rte_cryptodev_sym_session_free(d, sess_enc);
    st.SkipWithError("the device does not offer this transform");
    return;
  }
  {
    Burst b;
    b.init(sess_enc, a, size);
    std::array<rte_crypto_op*, kBurst> back;
    uint16_t n = rte_cryptodev_enqueue_burst(d, 0, b.ops.data(), kBurst);
    uint16_t got = 0;
    while (got < n) got += rte_cryptodev_dequeue_burst(d, 0, back.data() + got, kBurst - got);
  }
  Burst b;
  if (!b.init(sess, a, size)) {
    st.SkipWithError("out of mbufs/ops");
    return;
  }
  // Synchronous APIs: vectors over the same mbufs.
  std::array<rte_crypto_vec, kBurst> vec{};
  std::array<rte_crypto_sgl, kBurst> sgl{};
  std::array<rte_crypto_va_iova_ptr, kBurst> ivp{}, dig{}, aadp{};
  std::array<int32_t, kBurst> status{};
  std::array<void*, kBurst> user{};
  for (unsigned i = 0; i < kBurst; ++i) {
    rte_mbuf* m = b.mbufs[i];
    vec[i] = {rte_pktmbuf_mtod(m, void*), rte_pktmbuf_iova(m), m->data_len, m->data_len};
    sgl[i] = {&vec[i], 1};
    ivp[i] = {b.iv[i], 0};
    dig[i] = {b.digest[i], 0};
    aadp[i] = {b.aad[i], 0};
    user[i] = b.ops[i];
  }
  rte_crypto_sym_vec sv{};
  sv.num = kBurst;
  sv.src_sgl = sgl.data();
  sv.iv = ivp.data();
  sv.digest = dig.data();
  sv.aad = aadp.data();
  sv.status = status.data();
  rte_crypto_sym_ofs ofs{};
  ofs.ofs.cipher.head = static_cast<uint16_t>(b.cipher_off);
  ofs.ofs.cipher.tail = static_cast<uint16_t>(size - b.cipher_off - b.cipher_len);
  ofs.ofs.auth.tail = static_cast<uint16_t>(size - b.auth_len);
  std::vector<uint8_t> raw_mem;
  rte_crypto_raw_dp_ctx* raw = nullptr;
  if (path == Path::RawDp) {
    raw_mem.resize(static_cast<size_t>(rte_cryptodev_get_raw_dp_ctx_size(d)));
    raw = reinterpret_cast<rte_crypto_raw_dp_ctx*>(raw_mem.data());
    rte_cryptodev_session_ctx sc{};
    sc.crypto_sess = sess;
    if (rte_cryptodev_configure_raw_dp_ctx(d, 0, raw, RTE_CRYPTO_OP_WITH_SESSION, sc, 0) != 0) {
      st.SkipWithError("raw data-path refused");
      return;
    }
  }
  std::array<rte_crypto_op*, kBurst> back;
  std::array<void*, kBurst> out_user;
  uint64_t ops = 0;
  uint64_t t0 = rte_rdtsc_precise();
  for (auto _ : st) {
    if (path == Path::Ops) {
      uint16_t n = rte_cryptodev_enqueue_burst(d, 0, b.ops.data(), kBurst);
      uint16_t got = 0;
      while (got < n) got += rte_cryptodev_dequeue_burst(d, 0, back.data() + got, kBurst - got);
      ops += got;
    } else if (path == Path::CpuCrypto) {
      rte_cryptodev_sym_cpu_crypto_process(d, sess, ofs, &sv);
      ops += kBurst;
    } else {
      int es = 0, ds = 0;
      uint32_t n = rte_cryptodev_raw_enqueue_burst(raw, &sv, ofs, user.data(), &es);
      uint32_t got = 0, ok = 0;
      while (got < n)
        got += rte_cryptodev_raw_dequeue_burst(
            raw, nullptr, n - got, [](void*, uint32_t, uint8_t) {}, out_user.data(), 1, &ok, &ds);
      ops += got;
    }
  }
  set_counters(st, ops, rte_rdtsc_precise() - t0, size);
  rte_cryptodev_sym_session_free(d, sess);
  rte_cryptodev_sym_session_free(d, sess_enc);
}

// Our 256-bit VAES AES-GCM called directly (what crypto_dpaccel_cpu runs for contiguous GCM ops
// of kVaesGcmMinLen+ bytes on CPUs with VAES and no AVX-512), beside raw_ipsec_mb.
void bench_raw_vaes_gcm(benchmark::State& st, Algo a, bool enc) {
  if (!dpaccel::imb::vaes_gcm_usable()) {
    st.SkipWithError("no VAES+VPCLMULQDQ on this CPU (or DPACCEL_GCM=ipsec-mb)");
    return;
  }
  auto size = static_cast<unsigned>(st.range(0));
  IMB_MGR* m = alloc_mb_mgr(0);
  IMB_ARCH arch;
  init_mb_mgr_auto(m, &arch);
  alignas(16) uint8_t ek[16 * 15], dk[16 * 15];
  if (a == Algo::Gcm128) IMB_AES_KEYEXP_128(m, g_key, ek, dk);
  if (a == Algo::Gcm256) IMB_AES_KEYEXP_256(m, g_key, ek, dk);
  alignas(64) static dpaccel::imb::VaesGcmKey k;
  dpaccel::imb::vaes_gcm_precompute(k, ek, a == Algo::Gcm128 ? 10 : 14);
  std::vector<std::vector<uint8_t>> buf(kBurst, std::vector<uint8_t>(size + 64));
  uint8_t iv[16], aad[16] = {}, tag[kBurst][32];
  std::memset(iv, 0x5a, sizeof iv);
  uint64_t ops = 0;
  uint64_t t0 = rte_rdtsc_precise();
  for (auto _ : st) {
    for (unsigned i = 0; i < kBurst; ++i) {
      uint8_t* p = buf[i].data();
      if (enc)
        dpaccel::imb::vaes_gcm_encrypt(k, p, p, size, iv, aad, 8, tag[i], 16);
      else
        dpaccel::imb::vaes_gcm_decrypt(k, p, p, size, iv, aad, 8, tag[i], 16);
    }
    ops += kBurst;
  }
  set_counters(st, ops, rte_rdtsc_precise() - t0, size);
  free_mb_mgr(m);
}

// The software limit: IPsec-MB called directly on the same buffers, no DPDK in between.
void bench_raw_imb(benchmark::State& st, Algo a, bool enc) {
  auto size = static_cast<unsigned>(st.range(0));
  IMB_MGR* m = alloc_mb_mgr(0);
  IMB_ARCH arch;
  init_mb_mgr_auto(m, &arch);
  std::vector<std::vector<uint8_t>> buf(kBurst, std::vector<uint8_t>(size + 64));
  alignas(64) static struct gcm_key_data gk;
  alignas(16) static uint8_t ek[16 * 15], dk[16 * 15], ipad[32], opad[32];
  uint8_t iv[16], aad[16] = {}, tag[kBurst][32];
  std::memset(iv, 0x5a, sizeof iv);
  if (a == Algo::Gcm128) IMB_AES128_GCM_PRE(m, g_key, &gk);
  if (a == Algo::Gcm256) IMB_AES256_GCM_PRE(m, g_key, &gk);
  if (a == Algo::CbcSha1) {
    IMB_AES_KEYEXP_128(m, g_key, ek, dk);
    uint8_t blk[64] = {};
    for (int i = 0; i < 64; ++i) blk[i] = (i < 20 ? g_key[16 + i] : 0) ^ 0x36;
    IMB_SHA1_ONE_BLOCK(m, blk, ipad);
    for (int i = 0; i < 64; ++i) blk[i] = (i < 20 ? g_key[16 + i] : 0) ^ 0x5c;
    IMB_SHA1_ONE_BLOCK(m, blk, opad);
  }
  uint32_t coff = a == Algo::CbcSha1 ? 8 : 0;
  uint32_t clen = size - coff;
  if (a == Algo::CbcSha1) clen -= clen % 16;
  uint64_t ops = 0;
  uint64_t t0 = rte_rdtsc_precise();
  for (auto _ : st) {
    for (unsigned i = 0; i < kBurst; ++i) {
      uint8_t* p = buf[i].data();
      if (a == Algo::Gcm128 || a == Algo::Gcm256) {
        struct gcm_context_data ctx;
        if (a == Algo::Gcm128) {
          if (enc)
            IMB_AES128_GCM_ENC(m, &gk, &ctx, p, p, size, iv, aad, 8, tag[i], 16);
          else
            IMB_AES128_GCM_DEC(m, &gk, &ctx, p, p, size, iv, aad, 8, tag[i], 16);
        } else {
          if (enc)
            IMB_AES256_GCM_ENC(m, &gk, &ctx, p, p, size, iv, aad, 8, tag[i], 16);
          else
            IMB_AES256_GCM_DEC(m, &gk, &ctx, p, p, size, iv, aad, 8, tag[i], 16);
        }
      } else if (a == Algo::Chacha) {
        // The job API: IPsec-MB's fastest ChaCha20-Poly1305 (multi-buffer).
        IMB_JOB* j = IMB_GET_NEXT_JOB(m);
        j->cipher_mode = IMB_CIPHER_CHACHA20_POLY1305;
        j->hash_alg = IMB_AUTH_CHACHA20_POLY1305;
        j->cipher_direction = enc ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
        j->chain_order = enc ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
        j->enc_keys = j->dec_keys = g_key;
        j->key_len_in_bytes = 32;
        j->src = p;
        j->dst = p;
        j->cipher_start_src_offset_in_bytes = 0;
        j->msg_len_to_cipher_in_bytes = size;
        j->hash_start_src_offset_in_bytes = 0;
        j->msg_len_to_hash_in_bytes = size;
        j->iv = iv;
        j->iv_len_in_bytes = 12;
        j->u.CHACHA20_POLY1305.aad = aad;
        j->u.CHACHA20_POLY1305.aad_len_in_bytes = 8;
        j->auth_tag_output = tag[i];
        j->auth_tag_output_len_in_bytes = 16;
        j = IMB_SUBMIT_JOB_NOCHECK(m);
        while (j) j = IMB_GET_COMPLETED_JOB(m);
      } else {
        IMB_JOB* j = IMB_GET_NEXT_JOB(m);
        j->cipher_mode = IMB_CIPHER_CBC;
        j->cipher_direction = enc ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
        j->chain_order = enc ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
        j->hash_alg = IMB_AUTH_HMAC_SHA_1;
        j->enc_keys = ek;
        j->dec_keys = dk;
        j->key_len_in_bytes = 16;
        j->src = p;
        j->dst = p + coff;
        j->cipher_start_src_offset_in_bytes = coff;
        j->msg_len_to_cipher_in_bytes = clen;
        j->iv = iv;
        j->iv_len_in_bytes = 16;
        j->hash_start_src_offset_in_bytes = 0;
        j->msg_len_to_hash_in_bytes = coff + clen;
        j->u.HMAC._hashed_auth_key_xor_ipad = ipad;
        j->u.HMAC._hashed_auth_key_xor_opad = opad;
        j->auth_tag_output = tag[i];
        j->auth_tag_output_len_in_bytes = 12;
        j = IMB_SUBMIT_JOB_NOCHECK(m);
        while (j) j = IMB_GET_COMPLETED_JOB(m);
      }
    }
    if (a == Algo::CbcSha1 || a == Algo::Chacha)
      while (IMB_FLUSH_JOB(m)) {
      }
    ops += kBurst;
  }
  set_counters(st, ops, rte_rdtsc_precise() - t0, size);
  free_mb_mgr(m);
}

}  // namespace

int main(int argc, char** argv) {
  if (dpaccel::test::init_test_eal(
          "bench", 512,
          {"--log-level=*:warning", "--vdev=crypto_dpaccel_cpu0",
           "--vdev=crypto_dpaccel_cpu1,sync_api=raw_dp", "--vdev=crypto_aesni_mb0",
           "--vdev=crypto_aesni_gcm0", "--vdev=crypto_openssl0"}) < 0)
    return 1;
  if (rte_cryptodev_driver_id_get("crypto_dpaccel_cpu") != dpaccel_cpu_driver_id) return 1;
  std::mt19937 rng(42);
  for (auto& k : g_key) k = static_cast<uint8_t>(rng());
  g_mbufs = rte_pktmbuf_pool_create("bench_mbufs", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
  g_ops = rte_crypto_op_pool_create("bench_ops", RTE_CRYPTO_OP_TYPE_SYMMETRIC, 1023, 0, 64, 0);
  unsigned sz = 0;
  for (uint8_t d = 0; d < rte_cryptodev_count(); ++d)
    sz = std::max(sz, rte_cryptodev_sym_get_private_session_size(d));
  g_sess = rte_cryptodev_sym_session_pool_create("bench_sess", 127, sz, 0, 0, 0);
  if (!g_mbufs || !g_ops || !g_sess) return 1;
  for (uint8_t d = 0; d < rte_cryptodev_count(); ++d) {
    rte_cryptodev_config c{};
    c.socket_id = 0;
    c.nb_queue_pairs = 1;
    rte_cryptodev_qp_conf q{};
    q.nb_descriptors = 2048;
    q.mp_session = g_sess;
    if (rte_cryptodev_configure(d, &c) || rte_cryptodev_queue_pair_setup(d, 0, &q, 0) ||
        rte_cryptodev_start(d))
      return 1;
  }
  struct Dev {
    const char* label;
    const char* name;
    Path path;
  };
  const Dev devs[] = {{"ours_enqdeq", "crypto_dpaccel_cpu0", Path::Ops},
                      {"ours_cpu_crypto", "crypto_dpaccel_cpu0", Path::CpuCrypto},
                      {"ours_raw_dp", "crypto_dpaccel_cpu1", Path::RawDp},
                      {"aesni_gcm", "crypto_aesni_gcm0", Path::Ops},
                      {"aesni_gcm_cpu_crypto", "crypto_aesni_gcm0", Path::CpuCrypto},
                      {"aesni_mb", "crypto_aesni_mb0", Path::Ops},
                      {"aesni_mb_cpu_crypto", "crypto_aesni_mb0", Path::CpuCrypto},
                      {"openssl", "crypto_openssl0", Path::Ops},
                      {"raw_ipsec_mb", nullptr, Path::RawImb},
                      {"raw_vaes_gcm", nullptr, Path::RawVaes}};
  for (Algo a : {Algo::Gcm128, Algo::Gcm256, Algo::Chacha, Algo::CbcSha1})
    for (bool enc : {true, false})
      for (const Dev& d : devs) {
        bool gcm = a == Algo::Gcm128 || a == Algo::Gcm256;
        if (std::string(d.label).rfind("aesni_gcm", 0) == 0 && !gcm) continue;
        if (d.path == Path::RawVaes && !gcm) continue;
        std::string name = std::string(algo_name(a)) + (enc ? "/encrypt/" : "/decrypt/") + d.label;
        benchmark::internal::Benchmark* b;
        if (d.path == Path::RawImb)
          b = benchmark::RegisterBenchmark(
              name.c_str(), [a, enc](benchmark::State& st) { bench_raw_imb(st, a, enc); });
        else if (d.path == Path::RawVaes)
          b = benchmark::RegisterBenchmark(
              name.c_str(), [a, enc](benchmark::State& st) { bench_raw_vaes_gcm(st, a, enc); });
        else
          b = benchmark::RegisterBenchmark(name.c_str(), [d, a, enc](benchmark::State& st) {
            bench_device(st, d.name, d.path, a, enc);
          });
        for (int s : kSizes) b->Arg(s);
        b->ArgName("bytes");
      }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  for (uint8_t d = 0; d < rte_cryptodev_count(); ++d) {
    rte_cryptodev_stop(d);
    rte_cryptodev_close(d);
  }
  rte_eal_cleanup();
  return 0;
}
