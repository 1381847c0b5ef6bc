// Google Benchmark, one process: compress_dpaccel_cpu vs DPDK's compress_isal and compress_zlib on
// the same data, stateless DEFLATE level 1, bursts of 32 single-segment ops, per op size.
// Counters: ops/s (items), Gbit/s of input, and the compression ratio (output / input, %).
// Corpus: the file given with --corpus (bench/run-compress-bench passes the project's own docs).
#include <benchmark/benchmark.h>
#include <rte_comp.h>
#include <rte_compressdev.h>
#include <rte_eal.h>
#include <rte_mbuf.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "test_eal.hpp"

extern int dpaccel_comp_driver_anchor;

namespace {

constexpr unsigned kBurst = 32;
rte_mempool* g_mbufs;
rte_mempool* g_ops;
std::vector<uint8_t> g_corpus;

rte_comp_xform xform(bool compress) {
  rte_comp_xform x{};
  if (compress) {
    x.type = RTE_COMP_COMPRESS;
    x.compress.algo = RTE_COMP_ALGO_DEFLATE;
    x.compress.deflate.huffman = RTE_COMP_HUFFMAN_DYNAMIC;
    x.compress.level = 1;
    x.compress.window_size = 15;
    x.compress.chksum = RTE_COMP_CHECKSUM_NONE;
  } else {
    x.type = RTE_COMP_DECOMPRESS;
    x.decompress.algo = RTE_COMP_ALGO_DEFLATE;
    x.decompress.window_size = 15;
    x.decompress.chksum = RTE_COMP_CHECKSUM_NONE;
  }
  return x;
}

// Runs one burst of ops (src[i] -> dst[i]) and waits for them.
bool burst(uint8_t dev, void* px, rte_mbuf** src, rte_mbuf** dst, const uint32_t* len, unsigned n,
           rte_comp_op** ops) {
  if (rte_comp_op_bulk_alloc(g_ops, ops, uint16_t(n)) != int(n)) return false;  // returns n or 0
  for (unsigned i = 0; i < n; ++i) {
    ops[i]->op_type = RTE_COMP_OP_STATELESS;
    ops[i]->m_src = src[i];
    ops[i]->m_dst = dst[i];
    ops[i]->src = {0, len[i]};
    ops[i]->dst = {0};
    ops[i]->flush_flag = RTE_COMP_FLUSH_FINAL;
    ops[i]->private_xform = px;
  }
  unsigned sent = 0, got = 0;
  while (got < n) {
    if (sent < n) sent += rte_compressdev_enqueue_burst(dev, 0, ops + sent, uint16_t(n - sent));
    got += rte_compressdev_dequeue_burst(dev, 0, ops + got, uint16_t(n - got));
  }
  bool ok = true;
  for (unsigned i = 0; i < n; ++i) ok &= ops[i]->status == RTE_COMP_OP_STATUS_SUCCESS;
  if (!ok) fprintf(stderr, "status %d consumed %u\n", ops[0]->status, ops[0]->consumed);
  return ok;
}

void bench(benchmark::State& st, const char* dev_name, bool compress, uint32_t size) {
  const uint8_t dev = uint8_t(rte_compressdev_get_dev_id(dev_name));
  void* cpx = nullptr;
  void* dpx = nullptr;
  auto cx = xform(true), dx = xform(false);
  if (rte_compressdev_private_xform_create(dev, &cx, &cpx) ||
      rte_compressdev_private_xform_create(dev, &dx, &dpx)) {
    st.SkipWithError("xform");
    return;
  }
  rte_mbuf *plain[kBurst], *packed[kBurst], *back[kBurst];
  uint32_t len[kBurst], clen[kBurst];
  rte_comp_op* ops[kBurst];
  size_t in_bytes = 0, out_bytes = 0;
  for (unsigned i = 0; i < kBurst; ++i) {
    plain[i] = rte_pktmbuf_alloc(g_mbufs);
    packed[i] = rte_pktmbuf_alloc(g_mbufs);
    back[i] = rte_pktmbuf_alloc(g_mbufs);
    size_t off = (size_t(i) * 7919 * size) % (g_corpus.size() - size);
    std::memcpy(rte_pktmbuf_append(plain[i], uint16_t(size)), g_corpus.data() + off, size);
    // DEFLATE's worst case is a few bytes per 64 KiB over the input; the mbuf holds 65535 bytes
    // with its headroom (size + size / 8 overflowed uint16_t at 59460 and failed the append).
    const uint32_t room = std::min<uint32_t>(size + size / 8 + 512, 65535 - RTE_PKTMBUF_HEADROOM);
    if (!rte_pktmbuf_append(packed[i], uint16_t(room))) st.SkipWithError("no room for output");
    rte_pktmbuf_append(back[i], uint16_t(size + 64));
    len[i] = size;
  }
  // Compressed inputs for the decompression runs, and the ratio.
  if (!burst(dev, cpx, plain, packed, len, kBurst, ops)) st.SkipWithError("compress failed");
  for (unsigned i = 0; i < kBurst; ++i) {
    clen[i] = ops[i]->produced;
    in_bytes += size;
    out_bytes += clen[i];
  }
  rte_comp_op_bulk_free(ops, kBurst);
  for (auto _ : st) {
    bool ok = compress ? burst(dev, cpx, plain, packed, len, kBurst, ops)
                       : burst(dev, dpx, packed, back, clen, kBurst, ops);
    rte_comp_op_bulk_free(ops, kBurst);
    if (!ok) {
      st.SkipWithError("op failed");
      break;
    }
  }
  st.SetItemsProcessed(int64_t(st.iterations()) * kBurst);
  st.counters["Gbit/s"] =
      benchmark::Counter(double(size) * 8 * kBurst, benchmark::Counter::kIsIterationInvariantRate,
                         benchmark::Counter::kIs1000);
  st.counters["ratio%"] = 100.0 * double(out_bytes) / double(in_bytes);
  for (unsigned i = 0; i < kBurst; ++i) {
    rte_pktmbuf_free(plain[i]);
    rte_pktmbuf_free(packed[i]);
    rte_pktmbuf_free(back[i]);
  }
  rte_compressdev_private_xform_free(dev, cpx);
  rte_compressdev_private_xform_free(dev, dpx);
}

}  // namespace

int main(int argc, char** argv) {
  std::string corpus = "README.md";
  std::vector<char*> rest{argv[0]};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--corpus=", 0) == 0)
      corpus = a.substr(9);
    else
      rest.push_back(argv[i]);
  }
  std::ifstream f(corpus, std::ios::binary);
  g_corpus.assign(std::istreambuf_iterator<char>(f), {});
  while (g_corpus.size() < 4 * 65536)
    g_corpus.insert(g_corpus.end(), g_corpus.begin(), g_corpus.end());
  if (dpaccel::test::init_test_eal("cbench", 1024,
                                   {"--log-level=lib.eal:warning", "--vdev=compress_dpaccel_cpu0",
                                    "--vdev=compress_isal0", "--vdev=compress_zlib0"}) < 0 ||
      dpaccel_comp_driver_anchor != 1)
    return 1;
  g_mbufs = rte_pktmbuf_pool_create("cb_mbufs", 1024, 0, 0, 65535, 0);
  g_ops = rte_comp_op_pool_create("cb_ops", 256, 0, 0, 0);
  const char* devs[] = {"compress_dpaccel_cpu0", "compress_isal0", "compress_zlib0"};
  for (const char* d : devs) {
    uint8_t id = uint8_t(rte_compressdev_get_dev_id(d));
    rte_compressdev_config c{};
    c.socket_id = 0;
    c.nb_queue_pairs = 1;
    c.max_nb_priv_xforms = 8;
    if (rte_compressdev_configure(id, &c) || rte_compressdev_queue_pair_setup(id, 0, 64, 0) ||
        rte_compressdev_start(id))
      return 1;
  }
  for (uint32_t size : {64u, 256u, 1500u, 2048u, 32768u, 59460u})
    for (bool comp : {true, false})
      for (const char* d : devs)
        benchmark::RegisterBenchmark(
            (std::string(comp ? "compress/" : "decompress/") + std::to_string(size) + "/" + d)
                .c_str(),
            [d, comp, size](benchmark::State& st) { bench(st, d, comp, size); })
            ->MinTime(0.2);
  int bargc = int(rest.size());
  benchmark::Initialize(&bargc, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  for (const char* d : devs) {
    uint8_t id = uint8_t(rte_compressdev_get_dev_id(d));
    rte_compressdev_stop(id);
    rte_compressdev_close(id);
  }
  rte_eal_cleanup();
  return 0;
}
