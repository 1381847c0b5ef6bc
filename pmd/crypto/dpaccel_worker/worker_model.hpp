// The device model of crypto_dpaccel_worker: what makes the software worker behave like a given
// hardware accelerator. All optional; with none set the device is plain crypto on helper threads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "vdev_args.hpp"

namespace dpaccel::worker {

struct DeviceModel {
  uint32_t max_inflight = 0;  // per queue pair; 0: the queue pair's depth
  uint32_t latency_us = 0;    // added between the end of processing and visibility at dequeue
  uint64_t rate_ops = 0;      // per queue pair, ops/s; 0: unlimited
  double rate_gbps = 0;       // per queue pair, Gbit/s of op data; 0: unlimited
  uint32_t stall_ms = 0;      // a stall of this length ...
  uint64_t stall_after = 0;   // ... once this many ops were processed on a queue pair ...
  uint64_t stall_every = 0;   // ... and again every this many ops after (0: once)
  double error_rate = 0;      // fraction of ops returned with RTE_CRYPTO_OP_STATUS_ERROR
  uint64_t seed = 1;          // of the error draw, per queue pair (seed + qp id)
  std::vector<int> cpus;      // helper threads, one per CPU listed; empty: one, unpinned
};

// The devargs keys the model adds to the generic ones, with their help text.
const std::vector<pmd::VdevArgSpec>& model_keys();

// Fills m from parsed devargs. Returns 0 or -EINVAL after logging the offending key and value.
int parse_model(const char* vdev, const pmd::VdevArgs& args, int logtype, DeviceModel& m);

// "1:3-5" -> {1,3,4,5}; false on a malformed list or a CPU the process may not run on.
bool parse_cpu_list(const std::string& s, std::vector<int>& out);

}  // namespace dpaccel::worker
