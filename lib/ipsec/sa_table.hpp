// All SAs of a gateway, their crypto sessions, and the inbound SAD (SPI → SA, rte_hash).
#pragma once

#include <rte_hash.h>

#include <memory>
#include <vector>

#include "common/result.hpp"
#include "ipsec/crypto_device.hpp"
#include "ipsec/sa.hpp"

namespace dpaccel {

class SaTable {
 public:
  static Result<std::unique_ptr<SaTable>> create(const std::vector<SaConfig>& sas,
                                                 CryptoDevice& dev);
  ~SaTable();
  SaTable(const SaTable&) = delete;
  SaTable& operator=(const SaTable&) = delete;

  size_t size() const { return sas_.size(); }
  Sa& at(size_t i) { return *sas_[i]; }
  const Sa& at(size_t i) const { return *sas_[i]; }
  // Index of the SA with this SPI and direction, or -1.
  int32_t find(uint32_t spi, SaDirection dir) const;
  // Inbound SAD lookup of n ≤ 64 SPIs (network order); sa_index[i] = -1 when unknown.
  void lookup_inbound(const uint32_t* spi_be, uint32_t n, int32_t* sa_index) const;

 private:
  SaTable() = default;
  Result<void> make_session(Sa& sa);
  std::vector<std::unique_ptr<Sa>> sas_;
  CryptoDevice* dev_ = nullptr;
  rte_hash* sad_ = nullptr;
};

}  // namespace dpaccel
