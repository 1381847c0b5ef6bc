// What ESP's two directions fill the same way for the device: the AEAD nonce and the AAD.
#pragma once

#include <cstring>

#include "ipsec/esp_job.hpp"
#include "ipsec/sa.hpp"

namespace dpaccel {

// RFC 4106 §4 / RFC 7634 §2: nonce = salt || the 8-byte IV (its wire bytes, as a value).
inline void set_aead_nonce(const Sa& sa, uint64_t iv_be, EspJob& j) {
  std::memcpy(j.iv_buf, sa.salt, 4);
  std::memcpy(j.iv_buf + 4, &iv_be, 8);
  j.iv = j.iv_buf;
}

// RFC 4106 §5 / RFC 7634 §2.1: AAD = SPI || seq (the ESP header itself), or SPI || seq hi || seq
// lo with ESN.
inline void set_aad(const Sa& sa, const uint8_t* esp, uint32_t seq_hi_be, uint32_t seq_lo_be,
                    EspJob& j) {
  if (sa.esn) {
    std::memcpy(j.aad_buf, &sa.spi_be, 4);
    std::memcpy(j.aad_buf + 4, &seq_hi_be, 4);
    std::memcpy(j.aad_buf + 8, &seq_lo_be, 4);
    j.aad = j.aad_buf;
  } else {
    j.aad = esp;
  }
}

}  // namespace dpaccel
