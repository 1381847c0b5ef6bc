#include "pipeline/gateway.hpp"

namespace dpaccel {

Result<std::unique_ptr<Gateway>> Gateway::create(GatewayConfig cfg,
                                                 std::unique_ptr<CryptoDevice> crypto,
                                                 std::unique_ptr<CompressDevice> compress,
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
  if (auto r = g->setup_ipcomp(std::move(compress)); !r) return r.take_error();
  return g;
}

Result<void> Gateway::setup_ipcomp(std::unique_ptr<CompressDevice> dev) {
  const SaConfig* first = nullptr;
  for (const SaConfig& c : cfg_.sas)
    if (c.ipcomp.enabled && !first) first = &c;
  if (!first) return {};
  if (!dev)
    return errorf("%s: SA %u has IPComp, but there is no compress device", first->where.c_str(),
                  first->spi);
  if (dev->nb_queue_pairs() < nb_workers_)
    return errorf("compress device %s has %u queue pairs for %u workers", dev->name().c_str(),
                  dev->nb_queue_pairs(), nb_workers_);
  compress_ = std::move(dev);
  xforms_.resize(nb_workers_);
  for (IpcompXforms& x : xforms_) {
    auto inflate = compress_->inflate_xform();
    if (!inflate) return inflate.take_error();
    x.inflate = inflate.value();
    x.deflate.assign(cfg_.sas.size(), nullptr);
    for (size_t i = 0; i < cfg_.sas.size(); ++i) {
      const SaConfig& c = cfg_.sas[i];
      if (!c.ipcomp.enabled || c.dir != SaDirection::Outbound) continue;
      const rte_comp_huffman h =
          c.ipcomp.huffman == IpcompConfig::Huffman::Fixed     ? RTE_COMP_HUFFMAN_FIXED
          : c.ipcomp.huffman == IpcompConfig::Huffman::Dynamic ? RTE_COMP_HUFFMAN_DYNAMIC
                                                               : RTE_COMP_HUFFMAN_DEFAULT;
      auto d = compress_->deflate_xform(c.ipcomp.level, h);
      if (!d)
        return errorf("%s: SA %u (ipcomp_level %u, ipcomp_huffman): %s", c.where.c_str(), c.spi,
                      c.ipcomp.level, d.error().c_str());
      x.deflate[i] = d.value();
    }
  }
  return {};
}

Gateway::~Gateway() {
  // The devices stop before anything they may still be working on goes; sessions then go before
  // the device that made them.
  stop_devices();
  sas_.reset();
  crypto_.reset();
  compress_.reset();  // frees the xforms
}

void Gateway::stop_devices() {
  if (crypto_) crypto_->stop();
  if (compress_) compress_->stop();
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
