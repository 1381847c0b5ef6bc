#include "route/route_table.hpp"

#include <rte_errno.h>

#include <atomic>
#include <cstring>
#include <string>

namespace dpaccel {

Result<std::unique_ptr<RouteTable>> RouteTable::create(const std::vector<RouteRule>& routes,
                                                       const std::vector<NeighRule>& neigh) {
  std::unique_ptr<RouteTable> t(new RouteTable);
  static std::atomic<unsigned> serial{0};
  unsigned n = serial++;
  size_t n4 = 0, n6 = 0;
  for (const RouteRule& r : routes) (r.dst.v6 ? n6 : n4)++;
  if (n4) {
    std::string name = "dpa_lpm4_" + std::to_string(n);
    rte_lpm_config c{};
    c.max_rules = uint32_t(n4 + 16);
    c.number_tbl8s = 256;
    t->lpm4_ = rte_lpm_create(name.c_str(), SOCKET_ID_ANY, &c);
    if (!t->lpm4_) return errorf("route table: rte_lpm_create: %s", rte_strerror(rte_errno));
  }
  if (n6) {
    std::string name = "dpa_lpm6_" + std::to_string(n);
    rte_lpm6_config c{};
    c.max_rules = uint32_t(n6 + 16);
    c.number_tbl8s = 1 << 12;
    t->lpm6_ = rte_lpm6_create(name.c_str(), SOCKET_ID_ANY, &c);
    if (!t->lpm6_) return errorf("route table: rte_lpm6_create: %s", rte_strerror(rte_errno));
  }
  for (const RouteRule& r : routes) {
    if (r.port >= kMaxPorts) return errorf("%s: port %u out of range", r.where.c_str(), r.port);
    if (r.len == 0) {
      (r.dst.v6 ? t->default6_ : t->default4_) = r.port;
      continue;
    }
    int rc = r.dst.v6 ? rte_lpm6_add(t->lpm6_, r.dst.bytes.data(), r.len, r.port)
                      : rte_lpm_add(t->lpm4_, r.dst.v4_host(), r.len, r.port);
    if (rc < 0) return errorf("%s: cannot add route (%d)", r.where.c_str(), rc);
  }
  for (const NeighRule& nb : neigh) {
    if (nb.port >= kMaxPorts) return errorf("%s: port %u out of range", nb.where.c_str(), nb.port);
    std::memcpy(t->neigh_[nb.port].addr_bytes, nb.mac.data(), 6);
    t->has_neigh_[nb.port] = true;
  }
  return t;
}

RouteTable::~RouteTable() {
  rte_lpm_free(lpm4_);
  rte_lpm6_free(lpm6_);
}

}  // namespace dpaccel
