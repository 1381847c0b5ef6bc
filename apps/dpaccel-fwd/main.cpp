// dpaccel-fwd: an IPsec ESP security gateway on any DPDK port, configured like ipsec-secgw.
#include <rte_bus_vdev.h>
#include <rte_compressdev.h>
#include <rte_cryptodev.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/log.hpp"
#include "config/secgw_config_parser.hpp"
#include "options.hpp"
#include "pipeline/gateway_worker.hpp"
#include "ports.hpp"
#include "report.hpp"
#include "stats/fwd_telemetry.hpp"

// Linked in so the forwarder has a crypto device on any machine; referencing the driver id keeps
// the linker's --as-needed (from libdpdk.pc) from dropping the library.
extern uint8_t dpaccel_cpu_driver_id;
extern int dpaccel_comp_driver_anchor;

namespace dpaccel::fwd {
namespace {

std::atomic<bool> g_quit{false};

void on_signal(int) {
  g_quit.store(true);
}

struct WorkerSlot {
  unsigned lcore;
  std::vector<RxQueueRef> rx;
  uint16_t index;  // crypto queue pair and tx queue
  std::unique_ptr<GatewayWorker> worker;
};

int worker_main(void* arg) {
  auto* slot = static_cast<WorkerSlot*>(arg);
  while (!g_quit.load(std::memory_order_relaxed)) slot->worker->poll();
  slot->worker->drain();
  return 0;
}

uint64_t total_rx(const FwdTotals& t) {
  uint64_t s = 0;
  for (auto v : t.rx) s += v;
  return s;
}

// The device the forwarder uses: --cryptodev, else the first one, else our own.
Result<uint8_t> pick_crypto_device(const Options& o, uint16_t nb_workers) {
  if (!o.cryptodev.empty()) {
    int id = rte_cryptodev_get_dev_id(o.cryptodev.c_str());
    if (id < 0)
      return errorf("--cryptodev %s: no such crypto device (add it with --vdev)",
                    o.cryptodev.c_str());
    return uint8_t(id);
  }
  if (rte_cryptodev_count() > 0) return uint8_t(0);
  if (rte_cryptodev_driver_id_get("crypto_dpaccel_cpu") != dpaccel_cpu_driver_id)
    return errorf(
        "no crypto device given, and the linked crypto_dpaccel_cpu driver is not registered");
  std::string args = "max_nb_queue_pairs=" + std::to_string(nb_workers) + ",sync_api=cpu_crypto";
  if (int rc = rte_vdev_init("crypto_dpaccel_cpu_fwd", args.c_str()); rc != 0)
    return errorf("no crypto device given and crypto_dpaccel_cpu could not be created (%d)", rc);
  int id = rte_cryptodev_get_dev_id("crypto_dpaccel_cpu_fwd");
  if (id < 0) return errorf("crypto_dpaccel_cpu_fwd did not appear");
  return uint8_t(id);
}

// The compress device for IPComp: --compressdev, else the first one, else our own.
Result<uint8_t> pick_compress_device(const Options& o, uint16_t nb_workers) {
  if (!o.compressdev.empty()) {
    for (uint8_t id = 0; id < rte_compressdev_count(); ++id)
      if (o.compressdev == rte_compressdev_name_get(id)) return id;
    return errorf("--compressdev %s: no such compress device (add it with --vdev)",
                  o.compressdev.c_str());
  }
  if (rte_compressdev_count() > 0) return uint8_t(0);
  if (dpaccel_comp_driver_anchor != 1)
    return errorf("no compress device given, and the linked compress_dpaccel_cpu is missing");
  std::string args = "max_nb_queue_pairs=" + std::to_string(nb_workers);
  if (int rc = rte_vdev_init("compress_dpaccel_cpu_fwd", args.c_str()); rc != 0)
    return errorf("no compress device given and compress_dpaccel_cpu could not be created (%d)",
                  rc);
  for (uint8_t id = 0; id < rte_compressdev_count(); ++id)
    if (std::string("compress_dpaccel_cpu_fwd") == rte_compressdev_name_get(id)) return id;
  return errorf("compress_dpaccel_cpu_fwd did not appear");
}

Result<std::unique_ptr<CompressDevice>> open_compress_device(const Options& o,
                                                             const GatewayConfig& cfg,
                                                             uint16_t nb_workers) {
  unsigned deflate_sas = 0;
  bool any = false;
  for (const SaConfig& c : cfg.sas) {
    any |= c.ipcomp.enabled;
    deflate_sas += c.ipcomp.enabled && c.dir == SaDirection::Outbound;
  }
  if (!any) return std::unique_ptr<CompressDevice>();
  auto id = pick_compress_device(o, nb_workers);
  if (!id) return id.take_error();
  CompressDevice::Params p;
  p.nb_queue_pairs = nb_workers;
  p.nb_xforms = uint16_t(nb_workers * (1 + deflate_sas));
  return CompressDevice::open(id.value(), p);
}

int run(int argc, char** argv) {
  auto parsed = parse_options(argc, argv);
  if (!parsed) {
    std::fprintf(stderr, "dpaccel-fwd: error: %s\n", parsed.error().c_str());
    return 2;
  }
  Options& o = parsed.value();
  if (o.help) {
    std::fputs(usage_text(), stdout);
    return 0;
  }
  auto cfg = load_secgw_config(o.config_file, SaDefaults{o.replay_window, o.esn});
  if (!cfg) {
    std::fprintf(stderr, "dpaccel-fwd: error: %s\n", cfg.error().c_str());
    return 2;
  }

  // Workers and their queues.
  if (o.lcore_queues.empty())
    for (uint16_t p = 0; p < 64; ++p)
      if (o.port_mask >> p & 1) o.lcore_queues.push_back({p, 0, rte_get_main_lcore()});
  std::map<unsigned, WorkerSlot> slots;
  std::map<uint16_t, uint16_t> rxq_per_port;
  for (const LcoreQueue& lq : o.lcore_queues) {
    if (!rte_lcore_is_enabled(lq.lcore)) {
      std::fprintf(stderr, "dpaccel-fwd: error: --config: lcore %u is not enabled (EAL -l/-c)\n",
                   lq.lcore);
      return 2;
    }
    WorkerSlot& s = slots[lq.lcore];
    s.lcore = lq.lcore;
    s.rx.push_back({lq.port, lq.queue});
    uint16_t& n = rxq_per_port[lq.port];
    n = std::max<uint16_t>(n, uint16_t(lq.queue + 1));
  }
  // A port in -p that no lcore polls would take packets in and lose them without a count.
  for (uint16_t p = 0; p < 64; ++p)
    if ((o.port_mask >> p & 1) && !rxq_per_port.count(p)) {
      std::fprintf(stderr,
                   "dpaccel-fwd: error: --config: port %u (in -p) is polled by no lcore; add a "
                   "(%u,0,LCORE) tuple or leave it out of -p\n",
                   p, p);
      return 2;
    }
  for (auto& [port, n] : rxq_per_port)
    for (uint16_t q = 0; q < n; ++q) {
      bool found = false;
      for (const LcoreQueue& lq : o.lcore_queues) found |= lq.port == port && lq.queue == q;
      if (!found) {
        std::fprintf(stderr,
                     "dpaccel-fwd: error: --config: port %u queue %u is polled by no lcore\n", port,
                     q);
        return 2;
      }
    }
  const uint16_t nb_workers = uint16_t(slots.size());
  {
    uint16_t i = 0;
    for (auto& [lc, s] : slots) s.index = i++;
  }

  auto dev_id = pick_crypto_device(o, nb_workers);
  if (!dev_id) {
    std::fprintf(stderr, "dpaccel-fwd: error: %s\n", dev_id.error().c_str());
    return 2;
  }
  CryptoDevice::Params cp;
  cp.nb_queue_pairs = nb_workers;
  cp.nb_sessions = uint32_t(cfg->sas.size() * 2 + 16);
  auto crypto = CryptoDevice::open(dev_id.value(), cp);
  if (!crypto) {
    std::fprintf(stderr, "dpaccel-fwd: error: %s\n", crypto.error().c_str());
    return 2;
  }

  auto compress = open_compress_device(o, cfg.value(), nb_workers);
  if (!compress) {
    std::fprintf(stderr, "dpaccel-fwd: error: %s\n", compress.error().c_str());
    return 2;
  }

  // Ports.
  unsigned nb_ports = 0, nb_rxq_total = 0;
  for (uint16_t p = 0; p < 64; ++p)
    if (o.port_mask >> p & 1) {
      ++nb_ports;
      nb_rxq_total += std::max<uint16_t>(1, rxq_per_port[p]);
    }
  unsigned nb_mbufs =
      o.nb_mbufs ? o.nb_mbufs
                 : std::max(8192u, nb_rxq_total * o.rx_desc + nb_ports * nb_workers * o.tx_desc +
                                       nb_workers * 4096u);
  rte_mempool* pool = rte_pktmbuf_pool_create("dpa_mbufs", nb_mbufs, 256, 0,
                                              RTE_MBUF_DEFAULT_BUF_SIZE, int(rte_socket_id()));
  if (!pool) {
    std::fprintf(stderr,
                 "dpaccel-fwd: error: cannot create a pool of %u mbufs (more memory: EAL -m)\n",
                 nb_mbufs);
    return 2;
  }
  std::array<PortInfo, kMaxPorts> ports{};
  std::vector<uint16_t> started;
  int rc = 0;
  for (uint16_t p = 0; p < 64 && rc == 0; ++p) {
    if (!(o.port_mask >> p & 1)) continue;
    ports[p].unprotected = o.unprotected_mask >> p & 1;
    PortPlan plan;
    plan.nb_rxq = std::max<uint16_t>(1, rxq_per_port[p]);
    plan.nb_txq = nb_workers;
    plan.rx_desc = o.rx_desc;
    plan.tx_desc = o.tx_desc;
    plan.promiscuous = o.promiscuous;
    if (auto r = setup_port(p, plan, pool, ports[p]); !r) {
      std::fprintf(stderr, "dpaccel-fwd: error: %s\n", r.error().c_str());
      rc = 2;
    } else {
      started.push_back(p);
    }
  }
  std::unique_ptr<Gateway> gw;
  if (rc == 0) {
    auto g = Gateway::create(std::move(cfg.value()), std::move(crypto.value()),
                             std::move(compress.value()), ports, nb_workers);
    if (!g) {
      std::fprintf(stderr, "dpaccel-fwd: error: %s\n", g.error().c_str());
      rc = 2;
    } else {
      gw = std::move(g.value());
    }
  }
  if (rc == 0) {
    for (auto& [lc, s] : slots)
      s.worker = std::make_unique<GatewayWorker>(*gw, s.rx, s.index, s.index, o.flow_cache);
    fwd_telemetry_attach(gw.get());
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::printf(
        "dpaccel-fwd: %u SAs, %zu policies, %zu routes; crypto device %s%s%s; %u worker "
        "lcore(s)\n",
        unsigned(gw->sas().size()), gw->config().sp.size(), gw->config().routes.size(),
        gw->crypto().name().c_str(), gw->compress() ? "; compress device " : "",
        gw->compress() ? gw->compress()->name().c_str() : "", nb_workers);
    std::fflush(stdout);

    const unsigned main_lcore = rte_get_main_lcore();
    for (auto& [lc, s] : slots) {
      if (lc == main_lcore) continue;
      if (int r = rte_eal_remote_launch(worker_main, &s, lc); r != 0) {
        // The workers already running stop with the others' drain below.
        std::fprintf(stderr, "dpaccel-fwd: error: cannot start the worker on lcore %u: %s\n", lc,
                     rte_strerror(-r));
        g_quit.store(true);
        rc = 1;
        break;
      }
    }
    WorkerSlot* main_slot = slots.count(main_lcore) ? &slots[main_lcore] : nullptr;

    // The main lcore watches the clock (stats, idle exit) and, when it is a worker, forwards too.
    const uint64_t hz = rte_get_timer_hz();
    uint64_t now = rte_get_timer_cycles();
    uint64_t next_stats = now + o.stats_seconds * hz, last_stats = now;
    uint64_t last_rx_change = now, next_check = now;
    FwdTotals before = gw->totals();
    uint64_t last_rx = 0;
    while (!g_quit.load(std::memory_order_relaxed)) {
      if (main_slot) {
        for (int i = 0; i < 256; ++i) main_slot->worker->poll();
      } else {
        rte_delay_us_sleep(1000);
      }
      now = rte_get_timer_cycles();
      if (now < next_check) continue;
      next_check = now + hz / 100;
      if (o.exit_idle_ms) {
        uint64_t rx = total_rx(gw->totals());
        if (rx != last_rx) {
          last_rx = rx;
          last_rx_change = now;
        } else if (now - last_rx_change > o.exit_idle_ms * hz / 1000) {
          g_quit.store(true);
        }
      }
      if (o.stats_seconds && now >= next_stats) {
        FwdTotals t = gw->totals();
        print_stats_line(stdout, t, before, double(now - last_stats) / double(hz));
        before = std::move(t);
        last_stats = now;
        next_stats = now + o.stats_seconds * hz;
      }
    }
    if (main_slot) main_slot->worker->drain();
    rte_eal_mp_wait_lcore();
    for (auto& [lc, s] : slots)
      if (s.worker->in_flight())
        DPACCEL_LOG(WARNING, fwd, "lcore %u: %u ops still at the crypto device after drain", lc,
                    s.worker->in_flight());
    fwd_telemetry_attach(nullptr);
    print_final_report(stdout, *gw, gw->totals());
  }
  for (uint16_t p : started) stop_port(p);
  for (auto& [lc, s] : slots) s.worker.reset();
  if (gw) gw->stop_devices();  // before the pool: a device may still hold (and write) its mbufs
  if (pool) {
    std::printf("mbufs in use at exit: %u\n", rte_mempool_in_use_count(pool));
    rte_mempool_free(pool);
  }
  gw.reset();
  return rc;
}

}  // namespace
}  // namespace dpaccel::fwd

static void print_usage(const char*) {
  std::fputs(dpaccel::fwd::usage_text(), stdout);
}

int main(int argc, char** argv) {
  rte_set_application_usage_hook(print_usage);
  int eal = rte_eal_init(argc, argv);
  if (eal < 0) {
    std::fprintf(stderr, "dpaccel-fwd: error: EAL initialisation failed: %s\n",
                 rte_strerror(rte_errno));
    return 2;
  }
  argv[eal] = argv[0];
  int rc = dpaccel::fwd::run(argc - eal, argv + eal);
  rte_eal_cleanup();
  return rc;
}
