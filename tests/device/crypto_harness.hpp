// Device-test harness: EAL with our vdevs (and DPDK's crypto_aesni_mb as a peer) started once per
// test binary, pools, device/queue-pair setup, and a runner that pushes jobs through any device
// via enqueue/dequeue, the CPU-crypto API or the raw data-path API, returning what came out.
#pragma once

#include <rte_cryptodev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <string>
#include <vector>

#include "crypto_spec.hpp"

namespace dpaccel::test {

inline constexpr uint16_t kIvOffset = sizeof(rte_crypto_op) + sizeof(rte_crypto_sym_op);

struct Pools {
  rte_mempool* mbufs = nullptr;
  rte_mempool* ops = nullptr;
  rte_mempool* sessions = nullptr;
};
Pools& pools();  // created by the environment

// Starts and configures device `name` (a vdev already probed) with nb_qps queue pairs of depth.
// Returns the dev_id, or -1.
int start_device(const std::string& name, uint16_t nb_qps = 2, uint32_t depth = 2048);

// In-use counts of the shared pools, to check that a test returned everything.
struct PoolCounts {
  unsigned mbufs, ops, sessions;
  bool operator==(const PoolCounts&) const = default;
};
PoolCounts pool_counts();

struct Job {
  Bytes data;                    // the buffer, of which the regions are processed
  Bytes digest;                  // in: expected (verify); out: produced (generate)
  std::vector<size_t> src_cuts;  // segment boundaries for the source (empty: one segment)
  bool out_of_place = false;
  std::vector<size_t> dst_cuts;
  Regions regions{};
  Bytes iv;  // per-job IV (the session material's IV when empty)
  // results
  Bytes out;        // the processed buffer (dst when out of place)
  int status = -1;  // rte_crypto_op_status (op API), errno (CPU crypto), 0/1 (raw);
                    // 1000: completed out of enqueue order
};

enum class Api { Ops, CpuCrypto, RawDp };

// Creates a session on dev_id for spec/material/direction; nullptr with rte_errno on failure.
void* make_session(uint8_t dev_id, const Spec& s, const Material& m, bool encrypt);

// Devices that return ops as they finish rather than in enqueue order (a balancer with
// ordering=disable): run_jobs then matches ops by pointer, and still requires each exactly once.
void allow_any_order(uint8_t dev_id);

// Runs jobs on dev_id/qp through api with a session for (s, m, encrypt). Fills out/status/digest.
// Returns false when the API refused the jobs as a whole (message in *why). An op returned out of
// enqueue order (where that is not allowed) gets status 1000, one returned twice 1001.
bool run_jobs(Api api, uint8_t dev_id, uint16_t qp, const Spec& s, const Material& m, bool encrypt,
              std::vector<Job>& jobs, std::string* why = nullptr);

}  // namespace dpaccel::test
