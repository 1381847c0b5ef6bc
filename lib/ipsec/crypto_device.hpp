// One cryptodev as the gateway uses it: configured with a queue pair per worker lcore, a session
// pool and an op pool whose private area carries each op's IV, AAD and ESP context.
#pragma once

#include <rte_crypto.h>
#include <rte_cryptodev.h>

#include <memory>
#include <string>

#include "common/result.hpp"

namespace dpaccel {

// Layout of a crypto op's private area (after rte_crypto_op + rte_crypto_sym_op).
inline constexpr uint16_t kOpIvOffset = sizeof(rte_crypto_op) + sizeof(rte_crypto_sym_op);
inline constexpr uint16_t kOpAadOffset = kOpIvOffset + 16;
inline constexpr uint16_t kOpCtxOffset = kOpAadOffset + 16;
inline constexpr uint16_t kOpPrivSize = 16 + 16 + 32;

class CryptoDevice {
 public:
  struct Params {
    uint16_t nb_queue_pairs = 1;
    uint32_t qp_descriptors = 2048;
    uint32_t nb_sessions = 64;
    uint32_t nb_ops = 8192;
    int socket = SOCKET_ID_ANY;
  };
  static Result<std::unique_ptr<CryptoDevice>> open(uint8_t dev_id, const Params& p);
  ~CryptoDevice();
  CryptoDevice(const CryptoDevice&) = delete;
  CryptoDevice& operator=(const CryptoDevice&) = delete;

  uint8_t id() const { return dev_id_; }
  const std::string& name() const { return name_; }
  bool has_cpu_crypto() const { return cpu_crypto_; }
  uint16_t nb_queue_pairs() const { return nb_qp_; }
  rte_mempool* op_pool() const { return op_pool_; }

  Result<void*> create_session(rte_crypto_sym_xform* xform);
  void free_session(void* sess);
  // Stops the device (idempotent; the destructor too): after it, the device works on nothing
  // more, so what it still holds (ops, mbufs, sessions) may be freed.
  void stop();

 private:
  CryptoDevice() = default;
  uint8_t dev_id_ = 0;
  std::string name_;
  bool cpu_crypto_ = false;
  bool started_ = false;
  uint16_t nb_qp_ = 0;
  rte_mempool* sess_pool_ = nullptr;
  rte_mempool* op_pool_ = nullptr;
};

}  // namespace dpaccel
