// Reader for DPDK ipsec-secgw's configuration syntax (`sa`, `sp ipv4|ipv6`, `rt ipv4|ipv6`,
// `neigh`), so a user of ipsec-secgw can switch with the same file. Lines end in `\` to continue;
// `#` starts a comment. Every rejected line is reported as "file:line: reason"; parsing stops at
// the first error, as ipsec-secgw does.
#pragma once

#include <string>
#include <string_view>

#include "common/result.hpp"
#include "config/gateway_config.hpp"

namespace dpaccel {

Result<GatewayConfig> parse_secgw_config(std::string_view text, std::string_view file_name,
                                         const SaDefaults& defaults = {});
Result<GatewayConfig> load_secgw_config(const std::string& path, const SaDefaults& defaults = {});

}  // namespace dpaccel
