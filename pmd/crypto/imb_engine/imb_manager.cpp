#include "imb_manager.hpp"

#include <cstdlib>
#include <cstring>
#include <mutex>

#include <rte_log.h>

#include "vaes_gcm.hpp"

namespace dpaccel::imb {
namespace {
std::once_flag g_arch_once;
IMB_ARCH g_arch = IMB_ARCH_NONE;
VaesGcmUse g_vaes_gcm = VaesGcmUse::kOff;

IMB_ARCH forced_arch() noexcept {
  const char* e = std::getenv("DPACCEL_IMB_ARCH");
  if (e == nullptr) return IMB_ARCH_NONE;
  if (!std::strcmp(e, "sse")) return IMB_ARCH_SSE;
  if (!std::strcmp(e, "avx")) return IMB_ARCH_AVX;
  if (!std::strcmp(e, "avx2")) return IMB_ARCH_AVX2;
  if (!std::strcmp(e, "avx512")) return IMB_ARCH_AVX512;
  return IMB_ARCH_NONE;
}
}  // namespace

const char* arch_name(IMB_ARCH a) noexcept {
  switch (a) {
    case IMB_ARCH_SSE: return "sse";
    case IMB_ARCH_AVX: return "avx";
    case IMB_ARCH_AVX2: return "avx2";
    case IMB_ARCH_AVX512: return "avx512";
    default: return "none";
  }
}

IMB_ARCH process_arch() noexcept {
  return g_arch;
}

VaesGcmUse vaes_gcm_use() noexcept {
  return g_vaes_gcm;
}

const char* vaes_gcm_use_name() noexcept {
  switch (g_vaes_gcm) {
    case VaesGcmUse::kAll: return "vaes_avx2";
    case VaesGcmUse::kPairs: return "ipsec_mb+vaes_avx2_pairs";
    default: return "ipsec_mb";
  }
}

MgrPtr make_manager(int logtype) noexcept {
  MgrPtr m(alloc_mb_mgr(0));
  if (!m) {
    rte_log(RTE_LOG_ERR, logtype, "IPsec-MB: cannot allocate a manager\n");
    return nullptr;
  }
  std::call_once(g_arch_once, [&] {
    IMB_ARCH want = forced_arch();
    if (want == IMB_ARCH_NONE) {
      init_mb_mgr_auto(m.get(), &g_arch);
    } else {
      g_arch = want;
    }
    rte_log(RTE_LOG_INFO, logtype, "IPsec-MB %s: using the %s code path\n", imb_get_version_str(),
            arch_name(g_arch));
    // IPsec-MB's AVX-512 path has its own 512-bit VAES GCM, faster than ours on single ops and
    // from 128 bytes on; ours still wins on pairs of small ops (bench/crypto_bench
    // ours_cpu_crypto at 64 B, DPACCEL_IMB_ARCH=avx2 against the default, on a Zen 4: 1.8x).
    if (vaes_gcm_usable())
      g_vaes_gcm = g_arch == IMB_ARCH_AVX2     ? VaesGcmUse::kAll
                   : g_arch == IMB_ARCH_AVX512 ? VaesGcmUse::kPairs
                                               : VaesGcmUse::kOff;
    if (g_vaes_gcm == VaesGcmUse::kAll)
      rte_log(RTE_LOG_INFO, logtype,
              "AES-GCM: 256-bit VAES code for contiguous ops of %u+ bytes "
              "(DPACCEL_GCM=ipsec-mb: off)\n",
              kVaesGcmMinLen);
    else if (g_vaes_gcm == VaesGcmUse::kPairs)
      rte_log(RTE_LOG_INFO, logtype,
              "AES-GCM: IPsec-MB's, and 256-bit VAES code for pairs of %u..%u-byte ops "
              "(DPACCEL_GCM=ipsec-mb: off)\n",
              kVaesGcmMinLen, unsigned(kVaesGcmPairMaxLen));
    else
      rte_log(RTE_LOG_INFO, logtype,
              "AES-GCM: IPsec-MB's (its path is neither avx2 nor avx512, the CPU lacks "
              "VAES+VPCLMULQDQ, or DPACCEL_GCM=ipsec-mb)\n");
  });
  switch (g_arch) {
    case IMB_ARCH_SSE: init_mb_mgr_sse(m.get()); break;
    case IMB_ARCH_AVX: init_mb_mgr_avx(m.get()); break;
    case IMB_ARCH_AVX2: init_mb_mgr_avx2(m.get()); break;
    case IMB_ARCH_AVX512: init_mb_mgr_avx512(m.get()); break;
    default:
      rte_log(RTE_LOG_ERR, logtype, "IPsec-MB: no supported code path on this CPU\n");
      return nullptr;
  }
  if (imb_get_errno(m.get()) != 0) {
    rte_log(RTE_LOG_ERR, logtype, "IPsec-MB: manager init failed: %s\n",
            imb_get_strerror(imb_get_errno(m.get())));
    return nullptr;
  }
  return m;
}

}  // namespace dpaccel::imb
