// IPComp when mbufs run out (lib/ipsec/ipcomp.*), on a compress_dpaccel_cpu device: the forwarder
// cannot be starved from its command line (--mbufs has a floor), so the worker is driven here with
// pools sized to run dry. Outbound must send uncompressed and count `failed`; inbound must report
// ipcomp_no_resources for exactly the packets without a destination; pools end where they began.
#include <gtest/gtest.h>
#include <rte_compressdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <zlib.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "compress/compress_device.hpp"
#include "ipsec/ipcomp.hpp"

namespace dpaccel {
namespace {

// An IPv4 packet of `len` bytes with a compressible payload.
std::vector<uint8_t> ipv4_packet(uint16_t len) {
  std::vector<uint8_t> p(len);
  for (size_t i = 0; i < len; ++i) p[i] = uint8_t("ipcomp resource test "[i % 21]);
  auto* h = reinterpret_cast<rte_ipv4_hdr*>(p.data());
  std::memset(h, 0, sizeof *h);
  h->version_ihl = RTE_IPV4_VHL_DEF;
  h->total_length = rte_cpu_to_be_16(len);
  h->time_to_live = 64;
  h->next_proto_id = 17;
  h->hdr_checksum = rte_ipv4_cksum(h);
  return p;
}

std::vector<uint8_t> raw_deflate(const std::vector<uint8_t>& in) {
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
  std::vector<uint8_t> out(in.size() + 64);
  z.next_in = const_cast<uint8_t*>(in.data());
  z.avail_in = uInt(in.size());
  z.next_out = out.data();
  z.avail_out = uInt(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

rte_mbuf* mbuf_with(rte_mempool* pool, const std::vector<uint8_t>& bytes) {
  rte_mbuf* m = rte_pktmbuf_alloc(pool);
  if (!m) return nullptr;
  std::memcpy(rte_pktmbuf_append(m, uint16_t(bytes.size())), bytes.data(), bytes.size());
  return m;
}

class IpcompResources : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Created with the EAL (compress_tests.cpp): 22.11's compressdev cannot create a device in a
    // slot another test freed.
    const int id = rte_compressdev_get_dev_id("compress_dpaccel_cpu_ipc");
    ASSERT_GE(id, 0);
    auto dev = CompressDevice::open(uint8_t(id), CompressDevice::Params{});
    ASSERT_TRUE(dev.ok()) << dev.error();
    dev_ = dev.value().release();
  }
  static void TearDownTestSuite() {
    delete dev_;
    dev_ = nullptr;
  }
  void SetUp() override {
    cfg_.spi = 7;
    cfg_.aead = find_esp_algorithm(kEspAeadAlgorithms, "aes-128-gcm");
    cfg_.aead_key.assign(20, 1);
    cfg_.ipcomp.enabled = true;
    cfg_.ipcomp.cpi = 0x1234;
    cfg_.ipcomp.skip_after = 0;
    sa_ = std::make_unique<Sa>(cfg_, 0);
    auto inflate = dev_->inflate_xform();
    auto deflate = dev_->deflate_xform(1, RTE_COMP_HUFFMAN_DEFAULT);
    ASSERT_TRUE(inflate.ok() && deflate.ok());
    x_.inflate = inflate.value();
    x_.deflate = {deflate.value()};
    worker_ = std::make_unique<IpcompWorker>(*dev_, 0, x_, 1);
  }
  // A pool of exactly n mbufs, no per-lcore cache hiding any.
  rte_mempool* pool(unsigned n) {
    static int serial = 0;
    std::string name = "ipc_res_" + std::to_string(serial++);
    rte_mempool* p = rte_pktmbuf_pool_create(name.c_str(), n, 0, 0, 2048 + RTE_PKTMBUF_HEADROOM, 0);
    pools_.push_back(p);
    return p;
  }
  void TearDown() override {
    for (rte_mempool* p : pools_) rte_mempool_free(p);
  }

  static CompressDevice* dev_;
  SaConfig cfg_;
  std::unique_ptr<Sa> sa_;
  IpcompXforms x_;
  std::unique_ptr<IpcompWorker> worker_;
  std::vector<rte_mempool*> pools_;
};
CompressDevice* IpcompResources::dev_ = nullptr;

TEST_F(IpcompResources, InboundWithoutDestinationMbufsDropsExactlyThoseUnderNoResources) {
  const auto plain = ipv4_packet(1200);
  std::vector<uint8_t> compressed = raw_deflate(plain);
  // 6 mbufs: 4 hold the compressed packets, 2 are left for destinations.
  rte_mempool* p = pool(6);
  EspJob jobs[4];
  EspJob* ptr[4];
  for (int i = 0; i < 4; ++i) {
    jobs[i] = {};
    jobs[i].m = mbuf_with(p, compressed);
    ASSERT_NE(jobs[i].m, nullptr);
    jobs[i].c.sa = 0;
    jobs[i].c.l3_len = 0;  // tunnel: the payload is the whole inner packet
    jobs[i].c.flags = kEspJobIpcomp;
    jobs[i].c.ipcomp_next = 4;
    ptr[i] = &jobs[i];
  }
  DropReason verdict[4];
  std::vector<SaCounters> counters(1);
  worker_->decompress(ptr, 4, verdict, counters);
  int ok = 0, starved = 0;
  for (int i = 0; i < 4; ++i) {
    if (verdict[i] == DropReason::Count) {
      ++ok;
      ASSERT_EQ(jobs[i].m->data_len, plain.size());
      EXPECT_EQ(std::memcmp(rte_pktmbuf_mtod(jobs[i].m, uint8_t*), plain.data(), plain.size()), 0);
    } else {
      ++starved;
      EXPECT_EQ(verdict[i], DropReason::IpcompNoResources);
      EXPECT_EQ(jobs[i].m->data_len, compressed.size());  // left as it was, for the caller to drop
    }
    rte_pktmbuf_free(jobs[i].m);
  }
  EXPECT_EQ(ok, 2);
  EXPECT_EQ(starved, 2);
  EXPECT_EQ(counters[0].ipcomp.decompressed, 2u);
  EXPECT_EQ(rte_mempool_avail_count(p), 6u);
}

TEST_F(IpcompResources, OutboundWithoutDestinationMbufsSendsUncompressedAndCountsFailed) {
  const auto plain = ipv4_packet(1000);
  rte_mempool* p = pool(3);  // 3 packets, nothing left for a destination
  rte_mbuf* m[3];
  EspInner in[3];
  for (int i = 0; i < 3; ++i) {
    m[i] = mbuf_with(p, plain);
    ASSERT_NE(m[i], nullptr);
    in[i] = {uint16_t(plain.size()), 0, 4, 0, false, false};
  }
  rte_mbuf* before[3] = {m[0], m[1], m[2]};
  IpcompCounters c{};
  worker_->compress(*sa_, m, in, 3, c);
  EXPECT_EQ(c.failed, 3u);
  EXPECT_EQ(c.compressed, 0u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(m[i], before[i]);
    EXPECT_EQ(in[i].next, 4);  // still plain IPv4 for ESP
    EXPECT_EQ(m[i]->data_len, plain.size());
    rte_pktmbuf_free(m[i]);
  }
  EXPECT_EQ(rte_mempool_avail_count(p), 3u);
  // With room in the pool the same packets go compressed, and the pool refills.
  rte_mempool* q = pool(6);
  for (int i = 0; i < 3; ++i) m[i] = mbuf_with(q, plain);
  worker_->compress(*sa_, m, in, 3, c);
  EXPECT_EQ(c.compressed, 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(in[i].next, kIpProtoComp);
    rte_pktmbuf_free(m[i]);
    in[i].next = 4;
  }
  EXPECT_EQ(rte_mempool_avail_count(q), 6u);
}

}  // namespace
}  // namespace dpaccel
