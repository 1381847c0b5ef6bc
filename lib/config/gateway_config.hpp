// A gateway's configuration: SAs, security policies, routes and neighbours, as read from an
// ipsec-secgw style file (config/secgw_config_parser.hpp).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "ipsec/sa_config.hpp"

namespace dpaccel {

enum class SpAction : uint8_t { Protect, Bypass, Discard };

struct SpRule {
  bool v6 = false;
  SaDirection dir = SaDirection::Outbound;
  SpAction action = SpAction::Discard;
  uint32_t spi = 0;  // Protect only
  uint32_t priority = 0;
  IpAddress src, dst;
  uint8_t src_len = 0, dst_len = 0;  // prefix lengths; 0 matches everything
  uint8_t proto_lo = 0, proto_hi = 255;
  uint16_t sport_lo = 0, sport_hi = 65535;
  uint16_t dport_lo = 0, dport_hi = 65535;
  std::string where;
};

struct RouteRule {
  IpAddress dst;
  uint8_t len = 0;
  uint16_t port = 0;
  std::string where;
};

struct NeighRule {
  uint16_t port = 0;
  std::array<uint8_t, 6> mac{};
  std::string where;
};

// Defaults that ipsec-secgw takes from its command line (-w, -e) and dpaccel lets each SA override.
struct SaDefaults {
  uint32_t replay_window = kReplayWindowDefault;
  bool esn = false;
};

struct GatewayConfig {
  std::vector<SaConfig> sas;
  std::vector<SpRule> sp;
  std::vector<RouteRule> routes;  // IPv4 and IPv6
  std::vector<NeighRule> neigh;
};

}  // namespace dpaccel
