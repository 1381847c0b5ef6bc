// The ipsec-secgw configuration reader: every shipped example is accepted; bad lines are refused
// with file:line and the reason.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "config/secgw_config_parser.hpp"

namespace dpaccel {
namespace {

TEST(SecgwConfig, AcceptsEveryShippedExample) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(DPACCEL_CONFIG_DIR)) {
    if (e.path().extension() != ".cfg") continue;
    auto r = load_secgw_config(e.path().string());
    EXPECT_TRUE(r.ok()) << e.path() << ": " << (r.ok() ? "" : r.error());
    if (r.ok()) {
      EXPECT_FALSE(r->sas.empty()) << e.path();
    }
    ++n;
  }
  EXPECT_GE(n, 5);
}

TEST(SecgwConfig, ReadsSecgwSyntax) {
  const char* text = R"(# comment line
sa out 5 cipher_algo aes-128-cbc cipher_key 0:1:2:3:4:5:6:7:8:9:a:b:c:d:e:f \
auth_algo sha1-hmac auth_key a0:a0:a0:a0:a0:a0:a0:a0:a0:a0:a0:\
a0:a0:a0:a0:a0:a0:a0:a0:a0 mode ipv4-tunnel src 172.16.1.5 dst 172.16.2.5

sa in 105 aead_algo chacha20-poly1305 aead_key 0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:1:2:3:4 mode transport type cpu-crypto esn 4294967296 replay_window 1024
sp ipv4 out esp protect 5 pri 1 dst 192.168.105.0/24 sport 0:65535 dport 0:65535
sp ipv6 in esp bypass pri 2 src 2001:db8::/32 proto 17 dport 4500:4500
sp ipv4 in esp discard pri 3
rt ipv4 dst 172.16.2.5/32 port 1
rt ipv6 dst 2001:db8::/32 port 0
neigh port 1 02:00:00:00:00:0b
)";
  auto r = parse_secgw_config(text, "t.cfg");
  ASSERT_TRUE(r.ok()) << r.error();
  ASSERT_EQ(r->sas.size(), 2u);
  const SaConfig& a = r->sas[0];
  EXPECT_EQ(a.spi, 5u);
  EXPECT_EQ(a.dir, SaDirection::Outbound);
  EXPECT_EQ(a.cipher->name, "aes-128-cbc");
  EXPECT_EQ(a.cipher_key.size(), 16u);
  EXPECT_EQ(a.cipher_key[15], 0x0f);
  EXPECT_EQ(a.auth_key.size(), 20u);  // split mid-key by a continuation, as ipsec-secgw allows
  EXPECT_EQ(a.tunnel_dst.v4_host(), 0xAC100205u);
  EXPECT_EQ(a.where, "t.cfg:2");
  const SaConfig& b = r->sas[1];
  EXPECT_EQ(b.mode, SaMode::Transport);
  EXPECT_EQ(b.type, CryptoType::CpuCrypto);
  EXPECT_TRUE(b.esn);
  EXPECT_EQ(b.esn_initial, uint64_t{1} << 32);
  EXPECT_EQ(b.replay_window, 1024u);
  EXPECT_EQ(b.where, "t.cfg:6");
  ASSERT_EQ(r->sp.size(), 3u);
  EXPECT_EQ(r->sp[0].action, SpAction::Protect);
  EXPECT_EQ(r->sp[0].dst_len, 24);
  EXPECT_EQ(r->sp[1].v6, true);
  EXPECT_EQ(r->sp[1].proto_lo, 17);
  EXPECT_EQ(r->sp[1].dport_lo, 4500);
  EXPECT_EQ(r->sp[2].action, SpAction::Discard);
  EXPECT_EQ(r->routes.size(), 2u);
  ASSERT_EQ(r->neigh.size(), 1u);
  EXPECT_EQ(r->neigh[0].mac[5], 0x0b);
}

TEST(SecgwConfig, ReadsIpcompKeywords) {
  const std::string key = "0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0";
  auto r = parse_secgw_config(
      "sa out 7 aead_algo aes-128-gcm aead_key " + key +
          " mode transport ipcomp 4660 ipcomp_min 200 ipcomp_level 6 ipcomp_skip 16/1000 "
          "ipcomp_huffman fixed\n"
          "sa in 8 aead_algo aes-128-gcm aead_key " +
          key +
          " mode transport ipcomp 2\n"
          "sa in 9 aead_algo aes-128-gcm aead_key " +
          key +
          " mode transport ipcomp 2 "
          "ipcomp_skip 0/0\n"
          "sa in 10 aead_algo aes-128-gcm aead_key " +
          key + " mode transport\n",
      "i.cfg");
  ASSERT_TRUE(r.ok()) << r.error();
  const IpcompConfig& a = r->sas[0].ipcomp;
  EXPECT_TRUE(a.enabled);
  EXPECT_EQ(a.cpi, 4660);
  EXPECT_EQ(a.min_size, 200);
  EXPECT_EQ(a.level, 6);
  EXPECT_EQ(a.skip_after, 16);
  EXPECT_EQ(a.skip_count, 1000u);
  EXPECT_EQ(a.huffman, IpcompConfig::Huffman::Fixed);
  const IpcompConfig& b = r->sas[1].ipcomp;  // the documented defaults
  EXPECT_TRUE(b.enabled);
  EXPECT_EQ(b.cpi, kIpcompCpiDeflate);
  EXPECT_EQ(b.min_size, 90);
  EXPECT_EQ(b.level, 1);
  EXPECT_EQ(b.skip_after, 8);
  EXPECT_EQ(b.skip_count, 256u);
  EXPECT_EQ(b.huffman, IpcompConfig::Huffman::Default);
  EXPECT_EQ(r->sas[2].ipcomp.skip_after, 0);
  EXPECT_FALSE(r->sas[3].ipcomp.enabled);
}

TEST(SecgwConfig, FragmentOnOutboundTunnelSas) {
  const std::string key = "0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0";
  auto r = parse_secgw_config("sa out 5 aead_algo aes-128-gcm aead_key " + key +
                                  " mode ipv4-tunnel src 1.1.1.1 dst 2.2.2.2 fragment\n"
                                  "sa out 6 aead_algo aes-128-gcm aead_key " +
                                  key + " mode ipv4-tunnel src 1.1.1.1 dst 2.2.2.2\n",
                              "f.cfg");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_TRUE(r->sas[0].fragment);
  EXPECT_FALSE(r->sas[1].fragment);
  for (const char* bad :
       {" mode transport fragment", " mode ipv4-tunnel src 1.1.1.1 dst 2.2.2.2 fragment"}) {
    const bool in = std::string(bad).find("tunnel") != std::string::npos;
    auto e = parse_secgw_config(std::string(in ? "sa in 9" : "sa out 9") +
                                    " aead_algo aes-128-gcm aead_key " + key + bad + "\n",
                                "f.cfg");
    ASSERT_FALSE(e.ok()) << bad;
    EXPECT_NE(e.error().find("f.cfg:1: fragment applies to outbound tunnel-mode SAs"),
              std::string::npos)
        << e.error();
  }
}

TEST(SecgwConfig, DefaultsFromTheCommandLine) {
  auto r = parse_secgw_config(
      "sa in 300 aead_algo aes-128-gcm aead_key 0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0 mode "
      "transport\n",
      "d.cfg", SaDefaults{256, true});
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->sas[0].replay_window, 256u);
  EXPECT_TRUE(r->sas[0].esn);
}

// As in ipsec-secgw: `esn 0` does not turn ESN on (but -e still does), any N > 0 does.
TEST(SecgwConfig, EsnZeroLeavesEsnAsTheCommandLineSetsIt) {
  const std::string sa =
      "sa out 300 aead_algo aes-128-gcm aead_key 0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0 mode "
      "transport ";
  for (bool e : {false, true}) {
    auto zero = parse_secgw_config(sa + "esn 0\n", "z.cfg", SaDefaults{64, e});
    ASSERT_TRUE(zero.ok()) << zero.error();
    EXPECT_EQ(zero->sas[0].esn, e);
    auto one = parse_secgw_config(sa + "esn 1\n", "o.cfg", SaDefaults{64, e});
    ASSERT_TRUE(one.ok()) << one.error();
    EXPECT_TRUE(one->sas[0].esn);
    EXPECT_EQ(one->sas[0].esn_initial, 1u);
  }
  // secgw's atoll() reads `esn 0x10` as 0: refused here rather than read as 16.
  auto hex = parse_secgw_config(sa + "esn 0x10\n", "h.cfg");
  ASSERT_FALSE(hex.ok());
  EXPECT_NE(hex.error().find("h.cfg:1: esn '0x10': expected the first sequence number, in decimal"),
            std::string::npos)
      << hex.error();
}

struct BadLine {
  const char* text;
  const char* expect;  // substring of the error, after "bad.cfg:LINE: "
  int line;
};

class SecgwConfigRejects : public ::testing::TestWithParam<BadLine> {};

constexpr const char* kGcmKey = "0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0";

TEST_P(SecgwConfigRejects, WithFileLineAndReason) {
  const BadLine& b = GetParam();
  std::string text = "# header\n\n" + std::string(b.text) + "\n";
  for (size_t p; (p = text.find("GCMKEY")) != std::string::npos;) text.replace(p, 6, kGcmKey);
  auto r = parse_secgw_config(text, "bad.cfg");
  ASSERT_FALSE(r.ok()) << b.text;
  std::string want = "bad.cfg:" + std::to_string(b.line) + ": ";
  EXPECT_EQ(r.error().rfind(want, 0), 0u) << r.error();
  EXPECT_NE(r.error().find(b.expect), std::string::npos) << r.error();
}

INSTANTIATE_TEST_SUITE_P(
    Lines, SecgwConfigRejects,
    ::testing::Values(
        BadLine{"sa out 500 aead_algo aes-128-gcm mode transport", "aead_key missing", 3},
        BadLine{"sa out 500 aead_algo aes-128-gcm aead_key 0:0 mode transport", "needs 20", 3},
        BadLine{"sa out 500 aead_algo aes-128-gcm aead_key 0:zz mode transport", "hex bytes", 3},
        BadLine{"sa out 500 cipher_algo aes-128-ctr cipher_key 0 auth_algo null mode transport",
                "not supported by dpaccel-fwd", 3},
        BadLine{"sa out 500 aead_algo aes-999-gcm", "unknown aead_algo", 3},
        BadLine{"sa out 500 aead_algo aes-128-gcm aead_key GCMKEY mode tunnel", "mode 'tunnel'", 3},
        BadLine{"sa out 500 aead_algo aes-128-gcm aead_key GCMKEY mode ipv4-tunnel src 1.1.1.1",
                "needs both src and dst", 3},
        BadLine{"sa out 500 aead_algo aes-128-gcm aead_key GCMKEY mode ipv6-tunnel src 1.1.1.1 dst "
                "2.2.2.2",
                "must be IPv6", 3},
        BadLine{"sa out 500 aead_algo aes-128-gcm aead_key GCMKEY mode transport src 1.1.1.1",
                "transport mode takes none", 3},
        BadLine{"sa out 0 aead_algo aes-128-gcm aead_key GCMKEY mode transport", "SPI '0'", 3},
        BadLine{"sa sideways 500", "expected 'in' or 'out'", 3},
        BadLine{"sa out 500 aead_algo aes-128-gcm aead_key GCMKEY mode transport frobnicate",
                "unknown sa keyword 'frobnicate'", 3},
        BadLine{"sa out 500 aead_algo aes-128-gcm aead_key GCMKEY mode transport type "
                "inline-crypto-offload",
                "rte_security", 3},
        BadLine{"sa out 500 aead_algo aes-128-gcm aead_key GCMKEY mode transport replay_window 32",
                "replay_window '32'", 3},
        BadLine{
            "sa out 500 aead_algo aes-128-gcm aead_key GCMKEY mode transport flow-direction 0 1",
            "inline offload", 3},
        BadLine{"sa out 500 aead_algo aes-128-gcm aead_key GCMKEY cipher_algo null mode transport",
                "cannot be combined", 3},
        BadLine{"sa out 500 cipher_algo null auth_algo sha1-hmac mode transport",
                "auth_key missing", 3},
        BadLine{"sa out 500 cipher_algo null cipher_key 1:2 auth_algo null mode transport",
                "takes none", 3},
        BadLine{"sa out 500 aead_algo aes-128-gcm aead_key GCMKEY mode transport mode transport",
                "given twice", 3},
        BadLine{"sa out 500 aead_algo aes-128-gcm aead_key GCMKEY \\\nmode transport\n"
                "sa out 500 aead_algo aes-128-gcm aead_key GCMKEY mode transport",
                "already used", 5},
        BadLine{"sp ipv4 out esp protect 77 pri 1", "no outbound SA", 3},
        BadLine{"sp ipv4 out esp pri 1 dst 10.0.0.0/24", "needs one of protect", 3},
        BadLine{"sp ipv4 out esp bypass dst 10.0.0.0/33", "dst '10.0.0.0/33'", 3},
        BadLine{"sp ipv6 out esp bypass src 10.0.0.0/8", "IPv6 address/prefix", 3},
        BadLine{"sp ipv4 out esp bypass sport 9:1", "sport '9:1'", 3},
        BadLine{"sp ipv4 out esp bypass discard", "more than one", 3},
        BadLine{"sp ipv4 out esp bypass dst 10.0.0.0/8", "sp needs pri N", 3},
        BadLine{"sp ipv4 out esp bypass pri 0 dst 10.0.0.0/8", "pri '0': expected 1..", 3},
        BadLine{"sp ipv4 out esp bypass pri 1 src 10.0.0.1", "src '10.0.0.1': give a prefix length",
                3},
        BadLine{"sp ipv6 out esp bypass pri 1 dst 2001:db8::1", "/128 for this host", 3},
        BadLine{"sp ipv4 out esp bypass pri 1 proto 6:255", "value:mask", 3},
        BadLine{"sp ipv5 out esp bypass", "expected ipv4 or ipv6", 3},
        BadLine{"rt ipv4 dst 10.0.0.0/8", "needs dst and port", 3},
        BadLine{"rt ipv4 dst 10.0.0.0/8 port x", "port 'x'", 3},
        BadLine{"rt ipv6 dst 10.0.0.0/8 port 1", "IPv6 prefix", 3},
        BadLine{"sa out 500 aead_algo aes-128-gcm aead_key GCMKEY mode transport ipcomp 0",
                "ipcomp '0'", 3},
        BadLine{"sa out 500 aead_algo aes-128-gcm aead_key GCMKEY mode transport ipcomp 255",
                "2 (DEFLATE) or 256..65535", 3},
        BadLine{"sa out 500 aead_algo aes-128-gcm aead_key GCMKEY mode transport ipcomp 65536",
                "ipcomp '65536'", 3},
        BadLine{"sa out 500 aead_algo aes-128-gcm aead_key GCMKEY mode transport ipcomp_min 10",
                "ipcomp_min needs 'ipcomp CPI'", 3},
        BadLine{"sa out 500 aead_algo aes-128-gcm aead_key GCMKEY mode transport ipcomp 2 "
                "ipcomp_level 10",
                "ipcomp_level '10'", 3},
        BadLine{"sa out 500 aead_algo aes-128-gcm aead_key GCMKEY mode transport ipcomp 2 "
                "ipcomp_skip 4",
                "ipcomp_skip '4': expected K/M", 3},
        BadLine{"sa out 500 aead_algo aes-128-gcm aead_key GCMKEY mode transport ipcomp 2 "
                "ipcomp_skip 4/0",
                "ipcomp_skip '4/0'", 3},
        BadLine{"sa out 500 aead_algo aes-128-gcm aead_key GCMKEY mode transport ipcomp 2 "
                "ipcomp_min -1",
                "ipcomp_min '-1'", 3},
        BadLine{"sa out 500 aead_algo aes-128-gcm aead_key GCMKEY mode transport ipcomp 2 "
                "ipcomp_huffman static",
                "ipcomp_huffman 'static'", 3},
        BadLine{"neigh port 0 02:00:00:00:00", "MAC address", 3},
        BadLine{"neigh port 0 02:00:00:00:00:01\nneigh port 0 02:00:00:00:00:02",
                "already has a neigh", 4},
        BadLine{"sa out 500 aead_algo aes-128-gcm aead_key GCMKEY mode transport replay_window "
                "8192",
                "replay_window '8192': expected 0 (off) or 64..4096", 3},
        BadLine{"sp ipv4 out esp bypass pri 1 dst 10.0.0.0/8 frobnicate",
                "unknown sp keyword 'frobnicate'", 3},
        BadLine{"rt ipv4 dst 10.0.0.0/8 port 1 gw 10.0.0.1", "unknown rt keyword 'gw'", 3},
        BadLine{"neigh port 0", "expected 'neigh port N MAC'", 3},
        BadLine{"neigh port x 02:00:00:00:00:01", "port 'x': expected a port id", 3},
        BadLine{"route ipv4 dst 10.0.0.0/8 port 1", "unknown line type 'route'", 3}));

TEST(SecgwConfig, MissingFile) {
  auto r = load_secgw_config("/nonexistent/dpaccel.cfg");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("cannot open"), std::string::npos);
}

}  // namespace
}  // namespace dpaccel
