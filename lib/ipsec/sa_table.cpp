#include "ipsec/sa_table.hpp"

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_hash_crc.h>

#include <atomic>
#include <cstring>
#include <string>

#include "common/random_bytes.hpp"

namespace dpaccel {

Sa::Sa(const SaConfig& c, uint32_t idx)
    : cfg(&c),
      index(idx),
      spi_be(rte_cpu_to_be_32(c.spi)),
      dir(c.dir),
      mode(c.mode),
      type(c.type),
      aead(c.is_aead()),
      has_cipher(c.is_aead() || c.cipher->key_len != 0),
      has_auth(c.is_aead() || c.auth->icv_len != 0),
      esn(c.esn),
      natt(c.udp_encap),
      outer_v6(c.mode == SaMode::Ipv6Tunnel),
      iv_len(c.iv_len()),
      icv_len(c.icv_len()),
      block(c.block()),
      aad_len(uint8_t(c.esn ? 12 : 8)),
      ttl(c.ttl),
      ipcomp(c.ipcomp.enabled),
      fragment(c.fragment),
      cpi_be(rte_cpu_to_be_16(c.ipcomp.cpi)),
      sqh_len(uint8_t(!c.is_aead() && c.esn && c.auth->icv_len != 0 ? 4 : 0)),
      // `esn N` as librte_ipsec (ipsec-secgw -l) reads it: outbound, N is the first number sent
      // (0 and 1 both mean 1), so the counter of the last one sent starts at N - 1; inbound, N
      // is the replay window's top, itself not yet received.
      seq(c.dir == SaDirection::Outbound && c.esn_initial > 0 ? c.esn_initial - 1 : 0),
      replay(c.replay_window, c.esn, c.dir == SaDirection::Inbound ? c.esn_initial : 0) {
  rte_spinlock_init(&replay_lock);
  if (aead) std::memcpy(salt, c.aead_key.data() + c.aead->key_len, 4);
  if (c.tunnel()) {
    std::memcpy(outer_src, c.tunnel_src.bytes.data(), 16);
    std::memcpy(outer_dst, c.tunnel_dst.bytes.data(), 16);
  }
  if (c.mode == SaMode::Ipv4Tunnel) {
    auto word = [](const uint8_t* p) { return uint32_t{p[0]} << 8 | p[1]; };
    outer4_csum_base = 0x4500 + (uint32_t{ttl} << 8 | (natt ? kIpProtoUdp : kIpProtoEsp)) +
                       word(outer_src) + word(outer_src + 2) + word(outer_dst) +
                       word(outer_dst + 2);
  }
  out_aead_tunnel4 = aead && iv_len == 8 && block == 4 && !esn && !natt && sqh_len == 0 &&
                     c.mode == SaMode::Ipv4Tunnel;
  if (c.tunnel()) outer_ecn_mark = outer_v6 ? 0x10 : 0x01;
  ofs.ofs.cipher.head = kEspHeaderLen + iv_len;
  ofs.ofs.cipher.tail = sqh_len;
  ofs.ofs.auth.head = 0;
  ofs.ofs.auth.tail = 0;
}

Result<std::unique_ptr<SaTable>> SaTable::create(const std::vector<SaConfig>& sas,
                                                 CryptoDevice& dev) {
  std::unique_ptr<SaTable> t(new SaTable);
  t->dev_ = &dev;
  static std::atomic<unsigned> serial{0};
  std::string name = "dpa_sad_" + std::to_string(serial++);
  rte_hash_parameters hp{};
  hp.name = name.c_str();
  hp.entries = std::max<uint32_t>(64, uint32_t(sas.size() * 2));
  hp.key_len = sizeof(uint32_t);
  hp.hash_func = rte_hash_crc;
  hp.socket_id = SOCKET_ID_ANY;
  t->sad_ = rte_hash_create(&hp);
  if (!t->sad_) return errorf("SAD hash: %s", rte_strerror(rte_errno));
  for (const SaConfig& c : sas) {
    auto sa = std::make_unique<Sa>(c, uint32_t(t->sas_.size()));
    if (sa->type == CryptoType::CpuCrypto && !dev.has_cpu_crypto())
      return errorf(
          "%s: SA %u asks for type cpu-crypto, which crypto device %s does not offer "
          "(use lookaside-none or a device with RTE_CRYPTODEV_FF_SYM_CPU_CRYPTO)",
          c.where.c_str(), c.spi, dev.name().c_str());
    if (sa->aead && c.dir == SaDirection::Outbound &&
        !fill_random(&sa->iv_offset, sizeof(sa->iv_offset)))
      return errorf("%s: SA %u: cannot read the kernel's random generator for its IV offset",
                    c.where.c_str(), c.spi);
    if (auto r = t->make_session(*sa); !r) return r.take_error();
    if (c.dir == SaDirection::Inbound) {
      int rc = rte_hash_add_key_data(t->sad_, &sa->spi_be,
                                     reinterpret_cast<void*>(uintptr_t(sa->index)));
      if (rc < 0) return errorf("SAD: cannot add SPI %u (%d)", c.spi, rc);
    }
    t->sas_.push_back(std::move(sa));
  }
  return t;
}

Result<void> SaTable::make_session(Sa& sa) {
  const SaConfig& c = *sa.cfg;
  const bool out = sa.dir == SaDirection::Outbound;
  rte_crypto_sym_xform cipher{}, auth{};
  rte_crypto_sym_xform* first = nullptr;
  if (sa.aead) {
    cipher.type = RTE_CRYPTO_SYM_XFORM_AEAD;
    cipher.aead.op = out ? RTE_CRYPTO_AEAD_OP_ENCRYPT : RTE_CRYPTO_AEAD_OP_DECRYPT;
    cipher.aead.algo = rte_crypto_aead_algorithm(c.aead->rte_algo);
    cipher.aead.key.data = c.aead_key.data();
    cipher.aead.key.length = c.aead->key_len;
    cipher.aead.iv.offset = kOpIvOffset;
    cipher.aead.iv.length = 12;  // salt || 8-byte IV (RFC 4106 §4, RFC 7634 §2)
    cipher.aead.digest_length = sa.icv_len;
    cipher.aead.aad_length = sa.aad_len;
    first = &cipher;
  } else {
    if (sa.has_cipher) {
      cipher.type = RTE_CRYPTO_SYM_XFORM_CIPHER;
      cipher.cipher.op = out ? RTE_CRYPTO_CIPHER_OP_ENCRYPT : RTE_CRYPTO_CIPHER_OP_DECRYPT;
      cipher.cipher.algo = rte_crypto_cipher_algorithm(c.cipher->rte_algo);
      cipher.cipher.key.data = c.cipher_key.data();
      cipher.cipher.key.length = c.cipher->key_len;
      cipher.cipher.iv.offset = kOpIvOffset;
      cipher.cipher.iv.length = sa.iv_len;
    }
    if (sa.has_auth) {
      auth.type = RTE_CRYPTO_SYM_XFORM_AUTH;
      auth.auth.op = out ? RTE_CRYPTO_AUTH_OP_GENERATE : RTE_CRYPTO_AUTH_OP_VERIFY;
      auth.auth.algo = rte_crypto_auth_algorithm(c.auth->rte_algo);
      auth.auth.key.data = c.auth_key.data();
      auth.auth.key.length = c.auth->key_len;
      auth.auth.digest_length = sa.icv_len;
    }
    // ESP encrypts then authenticates; the receiver verifies, then decrypts (RFC 4303 §3.4.4).
    if (sa.has_cipher && sa.has_auth) {
      first = out ? &cipher : &auth;
      first->next = out ? &auth : &cipher;
    } else if (sa.has_cipher) {
      first = &cipher;
    } else if (sa.has_auth) {
      first = &auth;
    }
  }
  if (!first) return {};  // NULL encryption, no integrity: nothing for a device to do
  auto s = dev_->create_session(first);
  if (!s)
    return errorf("%s: crypto device %s cannot create a session for SA %u (%s): %s",
                  c.where.c_str(), dev_->name().c_str(), c.spi,
                  c.is_aead()
                      ? std::string(c.aead->name).c_str()
                      : (std::string(c.cipher->name) + "/" + std::string(c.auth->name)).c_str(),
                  s.error().c_str());
  sa.session = s.value();
  sa.dev_id = dev_->id();
  return {};
}

SaTable::~SaTable() {
  for (auto& sa : sas_) dev_->free_session(sa->session);
  rte_hash_free(sad_);
}

int32_t SaTable::find(uint32_t spi, SaDirection dir) const {
  for (const auto& sa : sas_)
    if (sa->cfg->spi == spi && sa->dir == dir) return int32_t(sa->index);
  return -1;
}

void SaTable::lookup_inbound(const uint32_t* spi_be, uint32_t n, int32_t* sa_index) const {
  const void* keys[64];
  void* data[64];
  for (uint32_t i = 0; i < n; ++i) keys[i] = &spi_be[i];
  uint64_t hits = 0;
  rte_hash_lookup_bulk_data(sad_, keys, n, &hits, data);
  for (uint32_t i = 0; i < n; ++i)
    sa_index[i] = hits >> i & 1 ? int32_t(reinterpret_cast<uintptr_t>(data[i])) : -1;
}

}  // namespace dpaccel
