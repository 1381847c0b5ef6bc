// Routes (rte_lpm / rte_lpm6: destination prefix → output port) and neighbours (next-hop MAC per
// port, ipsec-secgw's `neigh`).
#pragma once

#include <rte_ether.h>
#include <rte_lpm.h>
#include <rte_lpm6.h>

#include <array>
#include <memory>
#include <vector>

#include "common/result.hpp"
#include "config/gateway_config.hpp"
#include "stats/fwd_counters.hpp"

namespace dpaccel {

class RouteTable {
 public:
  static Result<std::unique_ptr<RouteTable>> create(const std::vector<RouteRule>& routes,
                                                    const std::vector<NeighRule>& neigh);
  ~RouteTable();
  RouteTable(const RouteTable&) = delete;
  RouteTable& operator=(const RouteTable&) = delete;

  // Output port for a destination, or -1.
  int lookup4(uint32_t dst_be) const {
    uint32_t hop;
    if (lpm4_ && rte_lpm_lookup(lpm4_, rte_be_to_cpu_32(dst_be), &hop) == 0) return int(hop);
    return default4_;
  }
  int lookup6(const uint8_t* dst) const {
    uint32_t hop;
    if (lpm6_ && rte_lpm6_lookup(lpm6_, dst, &hop) == 0) return int(hop);
    return default6_;
  }
  const rte_ether_addr* neighbour(uint16_t port) const {
    return port < kMaxPorts && has_neigh_[port] ? &neigh_[port] : nullptr;
  }

 private:
  RouteTable() = default;
  rte_lpm* lpm4_ = nullptr;
  rte_lpm6* lpm6_ = nullptr;
  int default4_ = -1, default6_ = -1;  // /0 routes (rte_lpm depths start at 1)
  std::array<rte_ether_addr, kMaxPorts> neigh_{};
  std::array<bool, kMaxPorts> has_neigh_{};
};

}  // namespace dpaccel
