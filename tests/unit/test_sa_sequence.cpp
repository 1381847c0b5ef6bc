// Outbound sequence numbers (Sa::reserve_seq): ranges per burst, and the end of the counter
// (RFC 4303 §3.3.3: it must never cycle; the last number is 2^32 - 1, or 2^64 - 1 with ESN).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "config/secgw_config_parser.hpp"
#include "ipsec/sa.hpp"

namespace dpaccel {
namespace {

// The SA of one ipsec-secgw line (outbound, or inbound with `in`); `extra` adds keywords (esn N).
// An Sa made from it points at it: keep it alive as long.
SaConfig sa_config(const std::string& extra, bool in = false) {
  const std::string line =
      std::string(in ? "sa in" : "sa out") +
      " 7 aead_algo aes-128-gcm aead_key 00:01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f:"
      "10:11:12:13 mode ipv4-tunnel " +
      (in ? "src 192.0.2.2 dst 192.0.2.1 " : "src 192.0.2.1 dst 192.0.2.2 ") + extra + "\n";
  auto cfg = parse_secgw_config(line, "test");
  const bool one = cfg.ok() && cfg->sas.size() == 1;
  EXPECT_TRUE(one) << (cfg.ok() ? extra : cfg.error());
  // On failure (already reported) the plain SA, so that the test fails rather than crashes.
  return one ? cfg->sas[0] : sa_config("", in);
}

TEST(SaSequence, BurstsTakeConsecutiveRangesFromOne) {
  const SaConfig c = sa_config("");
  Sa sa(c, 0);
  uint64_t first = 0;
  ASSERT_EQ(sa.reserve_seq(32, &first), 32u);
  EXPECT_EQ(first, 1u);
  ASSERT_EQ(sa.reserve_seq(5, &first), 5u);
  EXPECT_EQ(first, 33u);
  EXPECT_EQ(sa.seq.load(), 37u);
}

// `esn N` means what it means to ipsec-secgw (librte_ipsec): N > 0 turns ESN on and is the first
// number sent; 0 and 1 both start at 1, and `esn 0` leaves ESN off (a secgw peer given the same
// file computes its AAD / ICV without the high half, so ours must too).
TEST(SaSequence, EsnValueIsTheFirstNumberSentAsInIpsecSecgw) {
  struct Want {
    const char* extra;
    bool esn;
    uint64_t first;
  };
  for (const Want& w : {Want{"", false, 1}, Want{"esn 0", false, 1}, Want{"esn 1", true, 1},
                        Want{"esn 2", true, 2}, Want{"esn 4294967296", true, 4294967296}}) {
    const SaConfig c = sa_config(w.extra);
    Sa sa(c, 0);
    EXPECT_EQ(sa.esn, w.esn) << w.extra;
    uint64_t first = 0;
    ASSERT_EQ(sa.reserve_seq(3, &first), 3u) << w.extra;
    EXPECT_EQ(first, w.first) << w.extra;
  }
}

TEST(SaSequence, ThirtyTwoBitCounterStopsAtItsLastNumber) {
  const SaConfig c = sa_config("");
  Sa sa(c, 0);
  sa.seq.store(UINT32_MAX - 3);  // 2^32 - 4 numbers sent (not reachable from a file: re-keying
                                 // is due long before a test could send them)
  uint64_t first = 0;
  ASSERT_EQ(sa.reserve_seq(32, &first), 3u);
  EXPECT_EQ(first, uint64_t{UINT32_MAX} - 2);
  EXPECT_EQ(sa.reserve_seq(1, &first), 0u);
  EXPECT_EQ(sa.reserve_seq(32, &first), 0u);
  EXPECT_EQ(sa.seq.load(), uint64_t{UINT32_MAX});
}

TEST(SaSequence, EsnCrossesTwoToThe32) {
  const SaConfig c = sa_config("esn 4294967295");  // the first number sent: 2^32 - 1
  Sa sa(c, 0);
  uint64_t first = 0;
  ASSERT_EQ(sa.reserve_seq(4, &first), 4u);
  EXPECT_EQ(first, uint64_t{UINT32_MAX});
}

// With ESN the counter ends at 2^64 - 1 and stays there: an add past it would wrap to small
// numbers that the next bursts would be given as fresh.
TEST(SaSequence, EsnCounterStopsAtTwoToThe64MinusOne) {
  const SaConfig c = sa_config("esn 18446744073709551614");  // the first number sent: 2^64 - 2
  Sa sa(c, 0);
  uint64_t first = 0;
  ASSERT_EQ(sa.reserve_seq(6, &first), 2u);
  EXPECT_EQ(first, UINT64_MAX - 1);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(sa.reserve_seq(32, &first), 0u);
  EXPECT_EQ(sa.seq.load(), UINT64_MAX);
}

// `esn 2^64-1`: one packet, the last number there is, then nothing.
TEST(SaSequence, EsnStartingAtTheLastNumberSendsOne) {
  const SaConfig c = sa_config("esn 18446744073709551615");
  Sa sa(c, 0);
  uint64_t first = 0;
  ASSERT_EQ(sa.reserve_seq(32, &first), 1u);
  EXPECT_EQ(first, UINT64_MAX);
  EXPECT_EQ(sa.reserve_seq(1, &first), 0u);
}

// Inbound, `esn N` is the replay window's top, N itself not yet received (librte_ipsec's
// rsn->sqn = N): N and numbers down to the window's bottom pass once, with their high half
// inferred from N. (Below the bottom, RFC 4303 A2.2 takes a number for the next 2^32 round.)
TEST(SaSequence, InboundEsnValueIsTheWindowTop) {
  const SaConfig c = sa_config("esn 4294967300", /*in=*/true);
  Sa sa(c, 0);
  ASSERT_TRUE(sa.esn);
  constexpr uint64_t n = 4294967300;  // 2^32 + 4
  ASSERT_EQ(sa.replay.top(), n);
  const uint32_t size = sa.replay.size();
  ASSERT_GT(size, 8u);
  for (uint64_t s : {n, n - 1, n - size + 1, n + 1}) {
    auto c = sa.replay.check(uint32_t(s));
    EXPECT_EQ(c.verdict, ReplayWindow::Verdict::Ok) << s;
    EXPECT_EQ(c.seq, s) << s;  // high half inferred from the top
    EXPECT_EQ(sa.replay.update(c.seq), ReplayWindow::Verdict::Ok) << s;
  }
  EXPECT_EQ(sa.replay.check(uint32_t(n)).verdict, ReplayWindow::Verdict::Duplicate);
  EXPECT_EQ(sa.replay.check(uint32_t(n - 1)).verdict, ReplayWindow::Verdict::Duplicate);
}

// Lcores sharing an SA: every number up to the last is handed out exactly once, none beyond.
TEST(SaSequence, ConcurrentBurstsShareTheLastNumbersExactly) {
  const SaConfig c = sa_config("");
  Sa sa(c, 0);
  constexpr uint64_t kLeft = 100000;
  sa.seq.store(UINT32_MAX - kLeft);
  std::vector<std::vector<uint64_t>> got(2);
  auto run = [&](std::vector<uint64_t>& mine) {
    uint64_t first = 0;
    for (uint32_t n = 1;; n = n % 32 + 1) {
      const uint32_t k = sa.reserve_seq(n, &first);
      if (k == 0) {
        if (sa.seq.load() == UINT32_MAX) return;
        continue;
      }
      for (uint32_t i = 0; i < k; ++i) mine.push_back(first + i);
    }
  };
  std::thread a(run, std::ref(got[0])), b(run, std::ref(got[1]));
  a.join();
  b.join();
  std::vector<uint64_t> all = got[0];
  all.insert(all.end(), got[1].begin(), got[1].end());
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), kLeft);
  for (uint64_t i = 0; i < kLeft; ++i) ASSERT_EQ(all[i], UINT32_MAX - kLeft + 1 + i);
}

}  // namespace
}  // namespace dpaccel
