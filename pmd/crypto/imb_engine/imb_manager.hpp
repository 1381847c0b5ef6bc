// Ownership of IPsec-MB manager objects (IMB_MGR), and the choice of code path for this CPU.
//
// An IMB_MGR holds the job queue of the multi-buffer API, so it is per queue pair (per thread).
// The architecture (SSE / AVX / AVX2 / AVX-512 with VAES) is chosen once per process by
// init_mb_mgr_auto(): precomputed GCM keys differ between code paths, so every manager that will
// see a session must use the same one. DPACCEL_IMB_ARCH=sse|avx|avx2|avx512 forces one (for
// benchmarking the paths against each other).
#pragma once

#include <intel-ipsec-mb.h>

#include <memory>

namespace dpaccel::imb {

struct MgrDeleter {
  void operator()(IMB_MGR* m) const noexcept { free_mb_mgr(m); }
};
using MgrPtr = std::unique_ptr<IMB_MGR, MgrDeleter>;

// A new manager initialised for the process-wide architecture; nullptr when out of memory or
// when the CPU has no supported path (an error is logged under logtype).
MgrPtr make_manager(int logtype) noexcept;

// The architecture chosen for this process (valid after the first make_manager()).
IMB_ARCH process_arch() noexcept;
// Where GCM sessions use vaes_gcm (our 256-bit VAES code) rather than IPsec-MB's GCM, decided
// once per process from IPsec-MB's path and the CPU (vaes_gcm_usable(): VAES+VPCLMULQDQ, not
// DPACCEL_GCM=ipsec-mb). Valid after the first make_manager().
enum class VaesGcmUse : uint8_t {
  kOff,    // IPsec-MB for every op
  kPairs,  // IPsec-MB's AVX-512 path: ours only for pairs of small ops (CPU crypto, raw data
           // path, enqueue bursts), where it measured faster; single ops and longer ones stay on
           // IPsec-MB's 512-bit code
  kAll,    // IPsec-MB's AVX2 path: ours for every contiguous op of kVaesGcmMinLen+ bytes
};
VaesGcmUse vaes_gcm_use() noexcept;
// The telemetry/log name of vaes_gcm_use().
const char* vaes_gcm_use_name() noexcept;
const char* arch_name(IMB_ARCH a) noexcept;

}  // namespace dpaccel::imb
