#include "worker_model.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string_view>
#include <type_traits>

#include <rte_log.h>

namespace dpaccel::worker {

const std::vector<pmd::VdevArgSpec>& model_keys() {
  static const std::vector<pmd::VdevArgSpec> keys{
      {"corelist", "CPUs of the helper threads, ':'-separated, ranges allowed (1:3-4)"},
      {"max_inflight", "ops in flight per queue pair (enqueue accepts fewer when full)"},
      {"latency_us", "added completion latency in microseconds"},
      {"rate_ops", "throughput cap per queue pair in ops/s"},
      {"rate_gbps", "throughput cap per queue pair in Gbit/s of op data"},
      {"stall_ms", "length of an injected stall in milliseconds"},
      {"stall_after", "ops processed on a queue pair before the first stall"},
      {"stall_every", "ops between further stalls (0: one stall)"},
      {"error_rate", "fraction 0..1 of ops returned unprocessed with RTE_CRYPTO_OP_STATUS_ERROR"},
      {"seed", "seed of the error draw"},
  };
  return keys;
}

bool parse_cpu_list(const std::string& s, std::vector<int>& out) {
  // Checked against the CPUs the machine has, not the calling thread's affinity: EAL has pinned
  // the probing thread to its own lcore.
  long ncpu = sysconf(_SC_NPROCESSORS_CONF);
  std::string_view rest(s);
  while (!rest.empty()) {
    size_t colon = rest.find(':');
    std::string_view item = rest.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
    size_t dash = item.find('-');
    uint64_t lo = 0, hi = 0;
    if (!pmd::parse_uint(item.substr(0, dash), CPU_SETSIZE - 1, lo)) return false;
    hi = lo;
    if (dash != std::string_view::npos &&
        !pmd::parse_uint(item.substr(dash + 1), CPU_SETSIZE - 1, hi))
      return false;
    if (hi < lo) return false;
    for (uint64_t c = lo; c <= hi; ++c) {
      if (static_cast<long>(c) >= ncpu) return false;
      out.push_back(static_cast<int>(c));
    }
  }
  return !out.empty();
}

namespace {
bool parse_fraction(std::string_view v, double max, double& out) {
  std::string s(v);
  char* end = nullptr;
  errno = 0;
  double d = std::strtod(s.c_str(), &end);
  if (s.empty() || errno != 0 || end != s.c_str() + s.size() || !(d >= 0) || d > max) return false;
  out = d;
  return true;
}
}  // namespace

int parse_model(const char* vdev, const pmd::VdevArgs& args, int lt, DeviceModel& m) {
  m = DeviceModel{};
  for (const auto& [k, v] : args.extra) {
    // Parses v as an integer up to max into field (of any unsigned type).
    auto uint_into = [&v](uint64_t max, auto& field, uint64_t min = 0) {
      uint64_t n = 0;
      if (!pmd::parse_uint(v, max, n) || n < min) return false;
      field = static_cast<std::remove_reference_t<decltype(field)>>(n);
      return true;
    };
    bool ok = true;
    if (k == "corelist")
      ok = parse_cpu_list(v, m.cpus);
    else if (k == "max_inflight")
      ok = uint_into(UINT32_MAX, m.max_inflight, 1);
    else if (k == "latency_us")
      ok = uint_into(10'000'000, m.latency_us);
    else if (k == "rate_ops")
      ok = uint_into(UINT64_MAX, m.rate_ops);
    else if (k == "rate_gbps")
      ok = parse_fraction(v, 1e6, m.rate_gbps);
    else if (k == "stall_ms")
      ok = uint_into(600'000, m.stall_ms);
    else if (k == "stall_after")
      ok = uint_into(UINT64_MAX, m.stall_after);
    else if (k == "stall_every")
      ok = uint_into(UINT64_MAX, m.stall_every);
    else if (k == "error_rate")
      ok = parse_fraction(v, 1.0, m.error_rate);
    else if (k == "seed")
      ok = uint_into(UINT64_MAX, m.seed);
    if (!ok) {
      const char* help = "";
      for (const auto& spec : model_keys())
        if (spec.key == k) help = spec.help.data();
      rte_log(RTE_LOG_ERR, lt, "%s: %s=%s is not valid: %s\n", vdev, k.c_str(), v.c_str(), help);
      return -EINVAL;
    }
  }
  return 0;
}

}  // namespace dpaccel::worker
