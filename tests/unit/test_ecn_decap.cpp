// Tunnel decapsulation of ECN (RFC 6040 §4.2, normal mode): the whole table of inner × outer
// codepoints for an IPv4 and an IPv6 inner header, and a valid IPv4 checksum after every change.
#include <gtest/gtest.h>

#include <rte_ip.h>

#include <array>
#include <cstring>

#include "packet/ip_packet.hpp"

namespace dpaccel {
namespace {

constexpr uint8_t N = kEcnNotEct, E1 = kEcnEct1, E0 = kEcnEct0, CE = kEcnCe;
constexpr uint8_t kDrop = 0xff;

// RFC 6040 Figure 4: rows the arriving inner field, columns the arriving outer field.
constexpr uint8_t kTable[4][4] = {
    //            outer Not-ECT, ECT(1), ECT(0), CE  (in codepoint order 00, 01, 10, 11)
    /* Not-ECT */ {N, N, N, kDrop},
    /* ECT(1)  */ {E1, E1, E1, CE},
    /* ECT(0)  */ {E0, E1, E0, CE},
    /* CE      */ {CE, CE, CE, CE},
};

std::array<uint8_t, 20> ipv4(uint8_t dscp, uint8_t ecn) {
  std::array<uint8_t, 20> h{};
  auto* ip = reinterpret_cast<rte_ipv4_hdr*>(h.data());
  ip->version_ihl = 0x45;
  ip->type_of_service = uint8_t(dscp << 2 | ecn);
  ip->total_length = rte_cpu_to_be_16(20);
  ip->packet_id = rte_cpu_to_be_16(0x1234);
  ip->time_to_live = 61;
  ip->next_proto_id = 17;
  ip->src_addr = rte_cpu_to_be_32(0x0a000105);
  ip->dst_addr = rte_cpu_to_be_32(0x0a000209);
  ip->hdr_checksum = rte_ipv4_cksum(ip);
  return h;
}

std::array<uint8_t, 40> ipv6(uint8_t dscp, uint8_t ecn) {
  std::array<uint8_t, 40> h{};
  auto* ip = reinterpret_cast<rte_ipv6_hdr*>(h.data());
  ip->vtc_flow = rte_cpu_to_be_32(6u << 28 | uint32_t(dscp << 2 | ecn) << 20 | 0xabcde);
  ip->proto = 17;
  ip->hop_limits = 61;
  return h;
}

TEST(EcnDecap, Ipv4InnerFollowsRfc6040Table) {
  for (uint8_t in = 0; in < 4; ++in)
    for (uint8_t out = 0; out < 4; ++out) {
      SCOPED_TRACE(testing::Message() << "inner " << int(in) << " outer " << int(out));
      auto h = ipv4(46, in);  // DSCP EF: must survive
      const auto before = h;
      // The caller only asks for outer ECT(1) and CE; the other two must change nothing anyway.
      const DropReason r = decapsulate_ecn(h.data(), false, out);
      if (kTable[in][out] == kDrop) {
        EXPECT_EQ(r, DropReason::EcnCeNotEct);
        continue;
      }
      ASSERT_EQ(r, DropReason::Count);
      EXPECT_EQ(ip_ecn(h.data(), false), kTable[in][out]);
      EXPECT_EQ(h[1] >> 2, 46) << "DSCP changed";
      EXPECT_EQ(rte_ipv4_cksum(reinterpret_cast<const rte_ipv4_hdr*>(h.data())), 0)
          << "checksum does not verify";
      // Nothing but the TOS byte and the checksum moved.
      for (size_t k = 0; k < h.size(); ++k)
        if (k != 1 && k != 10 && k != 11) {
          EXPECT_EQ(h[k], before[k]) << "byte " << k;
        }
    }
}

TEST(EcnDecap, Ipv6InnerFollowsRfc6040Table) {
  for (uint8_t in = 0; in < 4; ++in)
    for (uint8_t out = 0; out < 4; ++out) {
      SCOPED_TRACE(testing::Message() << "inner " << int(in) << " outer " << int(out));
      auto h = ipv6(10, in);
      const auto before = h;
      const DropReason r = decapsulate_ecn(h.data(), true, out);
      if (kTable[in][out] == kDrop) {
        EXPECT_EQ(r, DropReason::EcnCeNotEct);
        continue;
      }
      ASSERT_EQ(r, DropReason::Count);
      EXPECT_EQ(ip_ecn(h.data(), true), kTable[in][out]);
      const uint32_t vtc = rte_be_to_cpu_32(reinterpret_cast<rte_ipv6_hdr*>(h.data())->vtc_flow);
      EXPECT_EQ(vtc >> 28, 6u);
      EXPECT_EQ((vtc >> 22) & 0x3f, 10u) << "DSCP changed";
      EXPECT_EQ(vtc & 0xfffff, 0xabcdeu) << "flow label changed";
      EXPECT_TRUE(std::equal(h.begin() + 4, h.end(), before.begin() + 4));
    }
}

// The checksum update is RFC 1624's: for every TOS and every ID (so also where the right result is
// 0x0000, which a verifying sum cannot tell from 0xffff), the field equals a full recompute.
TEST(EcnDecap, Ipv4ChecksumEqualsRecomputeForEveryTosAndId) {
  unsigned changed = 0, zero_results = 0;
  for (unsigned tos = 0; tos < 256; ++tos) {
    if ((tos & 3) == kEcnNotEct || (tos & 3) == kEcnCe) continue;  // CE changes only ECT(0/1)
    auto h = ipv4(uint8_t(tos >> 2), uint8_t(tos & 3));
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(h.data());
    for (uint32_t id = 0; id < 65536; ++id) {
      ip->packet_id = rte_cpu_to_be_16(uint16_t(id));
      ip->hdr_checksum = 0;
      ip->hdr_checksum = rte_ipv4_cksum(ip);
      auto g = h;
      ASSERT_EQ(decapsulate_ecn(g.data(), false, kEcnCe), DropReason::Count);
      auto* gi = reinterpret_cast<rte_ipv4_hdr*>(g.data());
      const uint16_t got = gi->hdr_checksum;
      gi->hdr_checksum = 0;
      const uint16_t want = rte_ipv4_cksum(gi);
      ASSERT_EQ(got, want) << "tos " << tos << " id " << id;
      ++changed;
      zero_results += want == 0;
    }
  }
  EXPECT_EQ(changed, 128u * 65536u);
  EXPECT_GT(zero_results, 0u) << "no case whose right checksum is 0x0000";
}

}  // namespace
}  // namespace dpaccel
