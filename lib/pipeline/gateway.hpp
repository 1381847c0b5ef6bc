// What all worker lcores of a gateway share, read-only while traffic flows (SA sequence numbers
// and replay windows excepted, see Sa): SAs, policies, routes, ports and the crypto device.
#pragma once

#include <rte_ether.h>

#include <array>
#include <memory>
#include <mutex>
#include <vector>

#include "common/result.hpp"
#include "config/gateway_config.hpp"
#include "compress/compress_device.hpp"
#include "ipsec/crypto_device.hpp"
#include "ipsec/ipcomp.hpp"
#include "ipsec/sa_table.hpp"
#include "policy/spd.hpp"
#include "route/route_table.hpp"
#include "stats/fwd_counters.hpp"

namespace dpaccel {

struct PortInfo {
  bool enabled = false;
  bool unprotected = false;  // ESP side: rx here is inbound; else rx is outbound
  rte_ether_addr mac{};
  uint32_t mtu = 1500;
};

class Gateway {
 public:
  // Takes the devices' ownership; every SA gets its session on the crypto device. The compress
  // device (one queue pair per worker) is needed only when an SA has IPComp; it may be null.
  static Result<std::unique_ptr<Gateway>> create(GatewayConfig cfg,
                                                 std::unique_ptr<CryptoDevice> crypto,
                                                 std::unique_ptr<CompressDevice> compress,
                                                 const std::array<PortInfo, kMaxPorts>& ports,
                                                 unsigned nb_workers);
  ~Gateway();

  const GatewayConfig& config() const { return cfg_; }
  SaTable& sas() { return *sas_; }
  const Spd& spd() const { return *spd_; }
  const RouteTable& routes() const { return *routes_; }
  const PortInfo& port(uint16_t p) const { return ports_[p]; }
  CryptoDevice& crypto() { return *crypto_; }
  // Null when no SA has IPComp.
  CompressDevice* compress() { return compress_.get(); }
  // Stops the crypto and compress devices (idempotent; the destructor does it first): call it
  // before freeing the mbuf pool, since a device that did not give back what it held by the
  // workers' drain (a slow accelerator) may still be working on those mbufs and on the sessions.
  void stop_devices();
  const IpcompXforms& ipcomp_xforms(uint16_t worker) const { return xforms_[worker]; }
  // More than one worker: SA replay windows are shared and need their lock.
  bool shared_state() const { return nb_workers_ > 1; }

  // Workers register their counters; readers (telemetry, stats lines) sum them.
  void register_counters(LcoreCounters* c);
  FwdTotals totals() const;

 private:
  Gateway() = default;
  Result<void> setup_ipcomp(std::unique_ptr<CompressDevice> dev);
  GatewayConfig cfg_;
  std::unique_ptr<CryptoDevice> crypto_;
  std::unique_ptr<CompressDevice> compress_;
  std::vector<IpcompXforms> xforms_;  // per worker
  std::unique_ptr<SaTable> sas_;
  std::unique_ptr<Spd> spd_;
  std::unique_ptr<RouteTable> routes_;
  std::array<PortInfo, kMaxPorts> ports_{};
  unsigned nb_workers_ = 1;
  mutable std::mutex counters_mu_;
  std::vector<LcoreCounters*> counters_;
};

}  // namespace dpaccel
