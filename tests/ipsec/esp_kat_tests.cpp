// ESP encapsulation and decapsulation known-answer packets (RFC 4303), through the library's own
// code: the configuration parser's `sa` line, SaTable (sessions), esp_outbound_* / esp_inbound_*
// framing and lib/ipsec/esp_crypto.hpp's hand-off to a cryptodev — CPU-crypto and lookaside, on
// crypto_dpaccel_cpu and on DPDK's crypto_aesni_mb. The published packets are the ones
// tests/interop/esp_kat.py feeds dpaccel-fwd (vectors/esp_tunnel_kat.json: draft-mcgrew-gcm-test-01
// and DPDK's IPsec test vectors).
//
// Outbound, a packet's IV is not ours to choose from outside: AEAD IVs are the sequence number plus
// the SA's random offset (Sa::iv_offset, set here so the IV is the vector's), CBC IVs come from the
// kernel's CSPRNG (the vector's IV is written where the job says the device reads it). Everything
// else — ESP header, padding, trailer, ciphertext, ICV, outer header — must be the published bytes,
// except the outer IPv4 DF bit and ID, which follow our rules (DF copied from the inner packet; the
// ID by RFC 6864) where a vector's sender used others.
#include <gtest/gtest.h>

#include <rte_cryptodev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "config/secgw_config_parser.hpp"
#include "ipsec/crypto_device.hpp"
#include "ipsec/esp.hpp"
#include "ipsec/esp_crypto.hpp"
#include "ipsec/esp_inbound.hpp"
#include "ipsec/sa_table.hpp"
#include "test_eal.hpp"

// Keeps the linker (--as-needed) from dropping our driver, which registers in a constructor.
extern uint8_t dpaccel_cpu_driver_id;

namespace {

using namespace dpaccel;

using Bytes = std::vector<uint8_t>;
using Mbuf = std::unique_ptr<rte_mbuf, void (*)(rte_mbuf*)>;

Bytes from_hex(const std::string& h) {
  Bytes b;
  for (size_t i = 0; i + 1 < h.size(); i += 2)
    b.push_back(uint8_t(std::stoul(h.substr(i, 2), nullptr, 16)));
  return b;
}

std::string colon_hex(const std::string& h) {
  std::string s;
  for (size_t i = 0; i < h.size(); i += 2) {
    if (i) s.push_back(':');
    s.append(h, i, 2);
  }
  return s;
}

std::string addr(const Bytes& ip, size_t off, bool v6) {
  char buf[64];
  if (!v6) {
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", ip[off], ip[off + 1], ip[off + 2], ip[off + 3]);
    return buf;
  }
  std::string s;
  for (int i = 0; i < 8; ++i) {
    std::snprintf(buf, sizeof buf, "%s%x", i ? ":" : "",
                  ip[off + 2 * i] << 8 | ip[off + 2 * i + 1]);
    s += buf;
  }
  return s;
}

struct Vector {
  std::map<std::string, std::string> f;
  const std::string& operator[](const std::string& k) const { return f.at(k); }
  bool has(const std::string& k) const { return f.count(k) != 0; }
};

// The vector file is a flat list of objects whose values are strings or integers.
std::vector<Vector> load_vectors() {
  std::ifstream in(DPACCEL_ESP_KAT_VECTORS);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  std::vector<Vector> out;
  const size_t list = text.find("\"vectors\"");
  if (list == std::string::npos) return out;
  const std::regex pair("\"([a-z_0-9]+)\"\\s*:\\s*(?:\"([^\"]*)\"|([0-9]+))");
  size_t pos = list;
  while ((pos = text.find('{', pos)) != std::string::npos) {
    const size_t end = text.find('}', pos);
    const std::string obj = text.substr(pos, end - pos);
    Vector v;
    for (auto it = std::sregex_iterator(obj.begin(), obj.end(), pair); it != std::sregex_iterator();
         ++it)
      v.f[(*it)[1]] = (*it)[2].matched ? (*it)[2].str() : (*it)[3].str();
    out.push_back(std::move(v));
    pos = end;
  }
  return out;
}

const std::vector<Vector>& vectors() {
  static const std::vector<Vector> v = load_vectors();
  return v;
}

rte_mempool* mbuf_pool() {
  static rte_mempool* p =
      rte_pktmbuf_pool_create("kat_mbufs", 255, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  return p;
}

// One device opened the gateway's way (CryptoDevice: one queue pair, session and op pools).
struct Case {
  std::string device;
  CryptoType type;
};

std::string type_word(CryptoType t) {
  return t == CryptoType::CpuCrypto ? "cpu-crypto" : "lookaside-none";
}

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.device << " " << type_word(c.type);
}

class EspKat : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    ASSERT_FALSE(vectors().empty()) << "no vectors in " << DPACCEL_ESP_KAT_VECTORS;
    ASSERT_NE(mbuf_pool(), nullptr);
    const int id = rte_cryptodev_get_dev_id(GetParam().device.c_str());
    ASSERT_GE(id, 0) << GetParam().device;
    auto dev = CryptoDevice::open(uint8_t(id), CryptoDevice::Params{});
    ASSERT_TRUE(dev.ok()) << dev.error();
    dev_ = std::move(dev.value());
    // crypto_dpaccel_cpu offers CPU-crypto for every algorithm; a test of it that found none
    // would test nothing.
    if (GetParam().type == CryptoType::CpuCrypto) {
      ASSERT_TRUE(dev_->has_cpu_crypto()) << GetParam().device;
    }
    mbufs_before_ = rte_mempool_avail_count(mbuf_pool());
  }
  void TearDown() override {
    EXPECT_EQ(rte_mempool_avail_count(mbuf_pool()), mbufs_before_) << "mbufs not returned";
    if (dev_) {
      EXPECT_EQ(rte_mempool_in_use_count(dev_->op_pool()), 0u) << "crypto ops not returned";
    }
    tables_.clear();  // sessions go back before their device and pools
    configs_.clear();
    dev_.reset();
  }

  // The SA a vector describes, parsed from an ipsec-secgw `sa` line; null (and a failure) if
  // the parser or SaTable refuses it.
  Sa* make_sa(const Vector& v, bool outbound) {
    const Bytes esp = from_hex(v["esp_packet"]);
    const bool v6 = v["outer"] == "ipv6";
    std::string algo = v.has("aead_algo")
                           ? "aead_algo " + v["aead_algo"] + " aead_key " + colon_hex(v["aead_key"])
                           : "cipher_algo " + v["cipher_algo"] + " cipher_key " +
                                 colon_hex(v["cipher_key"]) + " auth_algo " + v["auth_algo"] +
                                 " auth_key " + colon_hex(v["auth_key"]);
    const unsigned ttl = v6 ? esp[7] : esp[8];
    std::string line = std::string("sa ") + (outbound ? "out " : "in ") + v["spi"] + " " + algo +
                       " mode " + (v6 ? "ipv6-tunnel" : "ipv4-tunnel") + " src " +
                       addr(esp, v6 ? 8 : 12, v6) + " dst " + addr(esp, v6 ? 24 : 16, v6) +
                       " ttl " + std::to_string(ttl) + " type " + type_word(GetParam().type) + "\n";
    auto cfg = parse_secgw_config(line, "kat");
    if (!cfg.ok()) {
      ADD_FAILURE() << line << cfg.error();
      return nullptr;
    }
    configs_.push_back(std::make_unique<std::vector<SaConfig>>(std::move(cfg->sas)));
    auto t = SaTable::create(*configs_.back(), *dev_);
    if (!t.ok()) {
      ADD_FAILURE() << line << t.error();
      return nullptr;
    }
    tables_.push_back(std::move(t.value()));
    return &tables_.back()->at(0);
  }

  // A packet holding b, freed when it goes out of scope (also on a failed assertion); null (and
  // a failure) if the pool is empty.
  Mbuf packet(const Bytes& b) {
    Mbuf m(rte_pktmbuf_alloc(mbuf_pool()), rte_pktmbuf_free);
    void* d = m ? rte_pktmbuf_append(m.get(), uint16_t(b.size())) : nullptr;
    if (d == nullptr) {
      ADD_FAILURE() << "no mbuf for " << b.size() << " bytes";
      return Mbuf(nullptr, rte_pktmbuf_free);
    }
    std::memcpy(d, b.data(), b.size());
    return m;
  }

  // The device's work on one job, the way the gateway hands it over for this SA's type.
  CryptoResult crypto(const Sa& sa, EspJob& j) {
    CryptoResult r = CryptoResult::Error;
    if (sa.type == CryptoType::CpuCrypto) {
      esp_cpu_crypto(dev_->id(), sa, &j, 1, &r);
      return r;
    }
    rte_crypto_op* op = rte_crypto_op_alloc(dev_->op_pool(), RTE_CRYPTO_OP_TYPE_SYMMETRIC);
    if (op == nullptr) {
      ADD_FAILURE() << "no crypto op";
      return r;
    }
    esp_fill_op(sa, j, op);
    if (rte_cryptodev_enqueue_burst(dev_->id(), 0, &op, 1) != 1) {
      ADD_FAILURE() << "the device refused the op";
      rte_crypto_op_free(op);
      return r;
    }
    rte_crypto_op* done = nullptr;
    for (int tries = 0; tries < 10000; ++tries) {
      if (rte_cryptodev_dequeue_burst(dev_->id(), 0, &done, 1) == 1) break;
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    if (done != op) {  // still the device's: not ours to free
      ADD_FAILURE() << "the device did not return the op";
      return r;
    }
    const EspJobCore sent = j.c;
    rte_mbuf* m = j.m;
    r = esp_job_from_op(done, j);
    EXPECT_EQ(j.m, m);
    EXPECT_EQ(std::memcmp(&j.c, &sent, sizeof sent), 0) << "the op lost the job's context";
    rte_crypto_op_free(done);
    return r;
  }

  std::unique_ptr<CryptoDevice> dev_;
  std::vector<std::unique_ptr<std::vector<SaConfig>>> configs_;
  std::vector<std::unique_ptr<SaTable>> tables_;
  unsigned mbufs_before_ = 0;
};

uint64_t be64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | p[i];
  return v;
}
uint32_t be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

TEST_P(EspKat, EncapsulatesToThePublishedPacket) {
  for (const Vector& v : vectors()) {
    SCOPED_TRACE(v["name"]);
    const Bytes clear = from_hex(v["clear_packet"]), want = from_hex(v["esp_packet"]);
    const bool outer_v6 = v["outer"] == "ipv6", inner_v6 = clear[0] >> 4 == 6;
    const size_t l3 = outer_v6 ? 40 : 20;
    Sa* sap = make_sa(v, true);
    ASSERT_NE(sap, nullptr);
    Sa& sa = *sap;
    const uint64_t seq = be32(&want[l3 + 4]);
    if (sa.aead) sa.iv_offset = be64(&want[l3 + 8]) - seq;

    Mbuf pkt = packet(clear);
    ASSERT_NE(pkt, nullptr);
    rte_mbuf* m = pkt.get();
    EspInner in{};
    ASSERT_EQ(esp_outbound_inner(sa, m, inner_v6, in), kPass);
    EspJob j{};
    ASSERT_EQ(esp_outbound_prepare(sa, m, in, seq, j), kPass);
    uint8_t* esp = rte_pktmbuf_mtod_offset(m, uint8_t*, j.c.esp_off);
    ASSERT_EQ(j.c.esp_off, l3);
    if (!sa.aead) {
      ASSERT_EQ(j.iv, esp + kEspHeaderLen) << "the CBC IV is not where the ESP header ends";
      std::memcpy(esp + kEspHeaderLen, &want[l3 + kEspHeaderLen], sa.iv_len);
    }
    ASSERT_EQ(crypto(sa, j), CryptoResult::Ok);
    esp_outbound_finish(sa, j);

    const auto* got = rte_pktmbuf_mtod(m, const uint8_t*);
    ASSERT_EQ(rte_pktmbuf_pkt_len(m), want.size());
    EXPECT_EQ(Bytes(got + l3, got + want.size()), Bytes(want.begin() + l3, want.end()))
        << "ESP header, IV, ciphertext, padding, trailer or ICV differ";
    if (outer_v6) {
      EXPECT_EQ(Bytes(got, got + l3), Bytes(want.begin(), want.begin() + l3));
    } else {
      // Outer IPv4: as published but for three fields our policy sets: DF copied from the inner
      // header (RFC 4301 §8.1 lets a gateway copy, clear or set it; draft-mcgrew's sender
      // cleared it), the ID by RFC 6864 (the sequence number's low 16 bits with DF clear, else 0)
      // and the checksum that follows from them, which must verify.
      Bytes a(got, got + l3), b(want.begin(), want.begin() + l3);
      const bool inner_df = inner_v6 || (clear[6] & 0x40);
      EXPECT_EQ(bool(a[6] & 0x40), inner_df) << "outer DF is not the inner packet's";
      const uint16_t id = uint16_t(a[4] << 8 | a[5]);
      EXPECT_EQ(id, inner_df ? 0 : uint16_t(seq));
      a[6] &= ~0x40;
      b[6] &= ~0x40;
      for (int k : {4, 5, 10, 11}) a[k] = b[k] = 0;
      EXPECT_EQ(a, b) << "outer IPv4 header differs";
      EXPECT_EQ(rte_ipv4_cksum(reinterpret_cast<const rte_ipv4_hdr*>(got)), 0)
          << "outer IPv4 checksum does not verify";
    }
  }
}

TEST_P(EspKat, DecapsulatesToThePublishedClearText) {
  for (const Vector& v : vectors()) {
    SCOPED_TRACE(v["name"]);
    const Bytes clear = from_hex(v["clear_packet"]), esp_pkt = from_hex(v["esp_packet"]);
    const bool outer_v6 = v["outer"] == "ipv6";
    Sa* sap = make_sa(v, false);
    ASSERT_NE(sap, nullptr);
    Sa& sa = *sap;
    Mbuf pkt = packet(esp_pkt);
    ASSERT_NE(pkt, nullptr);
    rte_mbuf* m = pkt.get();
    EspJob j{};
    ASSERT_EQ(esp_inbound_prepare(sa, m, outer_v6, outer_v6 ? 40 : 20, j), kPass);
    ASSERT_EQ(crypto(sa, j), CryptoResult::Ok);
    bool inner_v6 = false;
    ASSERT_EQ(esp_inbound_finish(sa, j, &inner_v6), kPass);
    EXPECT_EQ(inner_v6, clear[0] >> 4 == 6);
    const auto* got = rte_pktmbuf_mtod(m, const uint8_t*);
    EXPECT_EQ(Bytes(got, got + rte_pktmbuf_pkt_len(m)), clear);

    // The same packet again is a replay, refused before the device sees it.
    Mbuf again = packet(esp_pkt);
    ASSERT_NE(again, nullptr);
    EXPECT_EQ(esp_inbound_prepare(sa, again.get(), outer_v6, outer_v6 ? 40 : 20, j),
              DropReason::Replay);
  }
}

// One flipped bit anywhere the ICV covers (ESP header, IV, ciphertext) or in the ICV itself fails
// authentication at the device. The replay check before the device does not move the window: the
// packet with its bits intact is accepted afterwards. (That the worker never records a failed
// packet's number is malformed_packets.py's forged-packet case.)
TEST_P(EspKat, RefusesEveryFlippedBitRegion) {
  for (const Vector& v : vectors()) {
    SCOPED_TRACE(v["name"]);
    const Bytes esp_pkt = from_hex(v["esp_packet"]);
    const bool outer_v6 = v["outer"] == "ipv6";
    const size_t l3 = outer_v6 ? 40 : 20;
    Sa* sap = make_sa(v, false);
    ASSERT_NE(sap, nullptr);
    Sa& sa = *sap;
    for (size_t at : {l3 + 1, l3 + 5, l3 + 9, l3 + 8 + size_t(sa.iv_len) + 3, esp_pkt.size() - 1}) {
      Bytes bad = esp_pkt;
      bad[at] ^= 0x10;
      Mbuf m = packet(bad);
      ASSERT_NE(m, nullptr);
      EspJob j{};
      // The SPI is the SAD's business (this SA is asked anyway); a flipped sequence number is
      // still inside the window here: every case reaches the device, whose ICV check must fail.
      ASSERT_EQ(esp_inbound_prepare(sa, m.get(), outer_v6, uint8_t(l3), j), kPass) << "byte " << at;
      EXPECT_EQ(crypto(sa, j), CryptoResult::AuthFailed) << "byte " << at;
    }
    Mbuf m = packet(esp_pkt);
    ASSERT_NE(m, nullptr);
    EspJob j{};
    ASSERT_EQ(esp_inbound_prepare(sa, m.get(), outer_v6, uint8_t(l3), j), kPass);
    EXPECT_EQ(crypto(sa, j), CryptoResult::Ok);
    bool inner_v6 = false;
    EXPECT_EQ(esp_inbound_finish(sa, j, &inner_v6), kPass);
  }
}

INSTANTIATE_TEST_SUITE_P(Devices, EspKat,
                         ::testing::Values(Case{"crypto_dpaccel_cpu0", CryptoType::CpuCrypto},
                                           Case{"crypto_dpaccel_cpu0", CryptoType::LookasideNone},
                                           Case{"crypto_aesni_mb0", CryptoType::LookasideNone}),
                         [](const ::testing::TestParamInfo<Case>& i) {
                           std::string n = i.param.device + "_" + type_word(i.param.type);
                           for (char& c : n)
                             if (!isalnum(uint8_t(c))) c = '_';
                           return n;
                         });

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (dpaccel::test::init_test_eal("esp_kat_tests", 256,
                                   {"--vdev=crypto_dpaccel_cpu0", "--vdev=crypto_aesni_mb0",
                                    "--log-level=lib.cryptodev:warning"}) < 0) {
    std::fprintf(stderr, "EAL init failed\n");
    return 1;
  }
  if (rte_cryptodev_driver_id_get("crypto_dpaccel_cpu") != dpaccel_cpu_driver_id) {
    std::fprintf(stderr, "crypto_dpaccel_cpu is not registered\n");
    return 1;
  }
  const int rc = RUN_ALL_TESTS();
  rte_mempool_free(mbuf_pool());
  rte_eal_cleanup();
  return rc;
}
