// Ethernet port set-up for the forwarder: rx queues as --config asks (RSS when several), one tx
// queue per worker, MAC and MTU read back for the gateway.
#pragma once

#include <rte_mempool.h>

#include <cstdint>

#include "common/result.hpp"
#include "pipeline/gateway.hpp"

namespace dpaccel::fwd {

struct PortPlan {
  uint16_t nb_rxq = 0;
  uint16_t nb_txq = 0;
  uint16_t rx_desc = 1024, tx_desc = 1024;
  bool promiscuous = false;
};

Result<void> setup_port(uint16_t port, const PortPlan& plan, rte_mempool* pool, PortInfo& info);
void stop_port(uint16_t port);

}  // namespace dpaccel::fwd
