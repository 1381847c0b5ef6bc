// dpaccel-fwd's command line (after EAL's `--`), with ipsec-secgw's meaning for the options
// they share.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace dpaccel::fwd {

struct LcoreQueue {
  uint16_t port;
  uint16_t queue;
  unsigned lcore;
};

struct Options {
  std::string config_file;               // -f
  uint64_t port_mask = 0;                // -p
  uint64_t unprotected_mask = 0;         // -u
  std::vector<LcoreQueue> lcore_queues;  // --config; empty: queue 0 of every port on the main lcore
  unsigned stats_seconds = 0;            // --stats (0: only the final report)
  bool promiscuous = false;              // -P
  uint32_t replay_window = 64;           // -w
  bool esn = false;                      // -e
  std::string cryptodev;                 // --cryptodev; empty: first device, or our own
  std::string compressdev;               // --compressdev; empty: first device, or our own
  unsigned exit_idle_ms = 0;             // --exit-idle-ms
  unsigned nb_mbufs = 0;                 // --mbufs; 0: sized from ports and queues
  uint32_t flow_cache = 4096;            // --flow-cache: SPD cache slots per worker, direction
                                         // and IP family (0: off)
  uint16_t rx_desc = 1024, tx_desc = 1024;
  bool help = false;
};

Result<Options> parse_options(int argc, char** argv);
const char* usage_text();

}  // namespace dpaccel::fwd
