// crypto_dpaccel_cpu: the synchronous CPU-crypto API (rte_cryptodev_sym_cpu_crypto_process).
//
// Not tied to a queue pair: any thread may call it, so each thread gets its own engine (an
// IPsec-MB manager and bounce buffer), made on its first call and kept for the thread's life.
#include <algorithm>
#include <array>
#include <memory>

#include "cpu_device.hpp"

namespace dpaccel::cpu {
namespace {

imb::QpEngine* thread_engine() noexcept {
  thread_local std::unique_ptr<imb::QpEngine> engine;
  if (!engine) [[unlikely]] {
    auto e = std::unique_ptr<imb::QpEngine>(new (std::nothrow) imb::QpEngine());
    if (!e || !e->init(dpaccel_cpu_logtype)) return nullptr;
    engine = std::move(e);
  }
  return engine.get();
}

int32_t to_errno(imb::Status s) noexcept {
  switch (s) {
    case imb::Status::Ok: return 0;
    case imb::Status::AuthFailed: return EBADMSG;
    case imb::Status::InvalidArgs: return EINVAL;
    default: return EIO;
  }
}

}  // namespace

uint32_t cpu_crypto_process(rte_cryptodev*, rte_cryptodev_sym_session* sess,
                            union rte_crypto_sym_ofs ofs, rte_crypto_sym_vec* vec) noexcept {
  imb::QpEngine* engine = thread_engine();
  if (engine == nullptr || sess == nullptr) {
    for (uint32_t i = 0; i < vec->num; ++i) vec->status[i] = engine ? EINVAL : ENOMEM;
    return 0;
  }
  const auto& s = *static_cast<const imb::Session*>(CRYPTODEV_GET_SYM_SESS_PRIV(sess));
  std::array<imb::Status, imb::QpEngine::kMaxBatch> st;
  uint32_t ok = 0;
  for (uint32_t base = 0; base < vec->num; base += imb::QpEngine::kMaxBatch) {
    uint32_t b = std::min<uint32_t>(vec->num - base, imb::QpEngine::kMaxBatch);
    engine->process_vec(s, ofs, *vec, base, b, st.data());
    for (uint32_t k = 0; k < b; ++k) {
      vec->status[base + k] = to_errno(st[k]);
      ok += st[k] == imb::Status::Ok;
    }
  }
  return ok;
}

}  // namespace dpaccel::cpu
