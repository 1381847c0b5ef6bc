#include "pipeline/gateway.hpp"

namespace dpaccel {

Result<std::unique_ptr<Gateway>> Gateway::create(GatewayConfig cfg,
                                                 std::unique_ptr<CryptoDevice> crypto,
                                                 const std::array<PortInfo, kMaxPorts>& ports,
                                                 unsigned nb_workers) {
  std::unique_ptr<Gateway> g(new Gateway);
  g->cfg_ = std::move(cfg);
  g->crypto_ = std::move(crypto);
  g->ports_ = ports;
  g->nb_workers_ = nb_workers;
  for (const RouteRule& r : g->cfg_.routes)
    if (!ports[r.port].enabled)
      return errorf("%s: route to port %u, which is not enabled by the port mask", r.where.c_str(),
                    r.port);
  auto sas = SaTable::create(g->cfg_.sas, *g->crypto_);
  if (!sas) return sas.take_error();
  g->sas_ = std::move(sas.value());
  auto spd = Spd::create(g->cfg_.sp, *g->sas_);
  if (!spd) return spd.take_error();
  g->spd_ = std::move(spd.value());
  auto rt = RouteTable::create(g->cfg_.routes, g->cfg_.neigh);
  if (!rt) return rt.take_error();
  g->routes_ = std::move(rt.value());
  return g;
}

Gateway::~Gateway() {
  // Sessions go before the device that made them.
  sas_.reset();
  crypto_.reset();
}

void Gateway::register_counters(LcoreCounters* c) {
  std::lock_guard lk(counters_mu_);
  counters_.push_back(c);
}

FwdTotals Gateway::totals() const {
  std::lock_guard lk(counters_mu_);
  return sum_counters(counters_, sas_->size());
}

}  // namespace dpaccel
