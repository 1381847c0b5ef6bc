// One worker lcore's loop: rx bursts from its queues, policy, ESP, crypto, route, tx.
// Protected-port rx goes out through ESP (or bypass); unprotected-port rx comes in through ESP.
// Each worker owns one crypto queue pair and one tx queue on every port.
#pragma once

#include <rte_cryptodev.h>
#include <rte_mbuf.h>

#include <array>
#include <memory>
#include <vector>

#include "ipsec/esp.hpp"
#include "ipsec/esp_inbound.hpp"
#include "ipsec/ipcomp.hpp"
#include "packet/ip_packet.hpp"
#include "pipeline/gateway.hpp"
#include "policy/sp_flow_cache.hpp"

namespace dpaccel {

inline constexpr uint16_t kBurst = 32;

struct RxQueueRef {
  uint16_t port;
  uint16_t queue;
};

class GatewayWorker {
 public:
  // crypto_qp is also the worker's index: its compress queue pair and IPComp xforms.
  // flow_cache: SPD flow cache slots per direction and IP family (0: every packet goes to
  // rte_acl).
  GatewayWorker(Gateway& gw, std::vector<RxQueueRef> rx, uint16_t crypto_qp, uint16_t tx_queue,
                uint32_t flow_cache = 0);
  GatewayWorker(const GatewayWorker&) = delete;
  GatewayWorker& operator=(const GatewayWorker&) = delete;

  // One pass: every rx queue once, crypto completions, tx flush. Returns packets received.
  uint32_t poll();
  // Processes one burst as if received on `port` (tests and the pcap-free benchmarks use it).
  void process(uint16_t port, rte_mbuf** pkts, uint16_t n);
  // Takes back every op still at the crypto device, finishing them; then flushes tx.
  void drain();
  uint32_t in_flight() const { return in_flight_; }
  const LcoreCounters& counters() const { return counters_; }

 private:
  void outbound(rte_mbuf** pkts, uint16_t n);
  void inbound(rte_mbuf** pkts, uint16_t n);
  void protect(rte_mbuf** m, const bool* v6, const uint32_t* sa_idx, uint16_t n);
  void protect_group(Sa& sa, rte_mbuf** m, const bool* v6, uint16_t n);
  // The ready part of a group: IPComp, sequence numbers, ESP framing, crypto.
  void seal(Sa& sa, rte_mbuf** pk, EspInner* in, uint16_t n);
  // Outbound tunnel SA: the largest payload (inner packet, or what IPComp made of it) whose ESP
  // packet fits the MTU of the port the tunnel leaves by; kNoPayloadLimit when no port is known
  // (send() then drops as no_route). Computed once per SA (payload_limit_).
  static constexpr uint32_t kNoPayloadLimit = UINT32_MAX;
  uint32_t tunnel_payload_limit(const Sa& sa) const;
  // SA `fragment`: the largest fragment to cut, from the SA's payload limit (0: no fragmenting,
  // as when the MTU leaves no room for a fragment's header and 8 bytes).
  static uint32_t fragment_limit(uint32_t payload_limit);
  // Splits m (IPv4, no options, DF clear) into fragments of at most `limit` bytes and protects
  // them in order; m goes back to its pool.
  void fragment_and_protect(Sa& sa, rte_mbuf* m, uint32_t limit);
  void unprotect_group(Sa& sa, rte_mbuf** m, const L3Info* info, uint16_t n);
  void submit(Sa& sa, EspJob* jobs, uint16_t n);
  void enqueue_ops(Sa& sa, EspJob* jobs, uint16_t n);
  void poll_crypto();
  void complete(EspJob* jobs, const CryptoResult* res, uint16_t n);
  void complete_outbound(Sa& sa, EspJob* jobs, const CryptoResult* res, uint16_t n);
  void complete_inbound(Sa& sa, EspJob* jobs, const CryptoResult* res, uint16_t n);
  struct InboundPending;
  // The two halves of inbound completion, inlined into both callers (one SA or any).
  [[gnu::always_inline]] inline void strip_esp(Sa& sa, EspJob& j, uint16_t i, InboundPending& p);
  [[gnu::always_inline]] inline void check_inner(InboundPending& p, EspJob* jobs, uint16_t n,
                                                 const Sa* one_sa);
  // Inlined into its callers' per-packet loops: as a call it cost a third of its instructions.
  [[gnu::always_inline]] inline void send(rte_mbuf* m, bool v6, uint64_t& path_counter);
  void flush_tx();
  void transmit(
      uint16_t port);  // one tx burst of the port's buffer; what the port refuses is dropped
  void drop(rte_mbuf* m, DropReason r) {
    counters_.drop(r);
    rte_pktmbuf_free(m);
  }
  void drop_sa(rte_mbuf* m, DropReason r, uint32_t sa) {
    ++counters_.sa[sa].dropped;
    drop(m, r);
  }
  void drop_crypto_failure(rte_mbuf* m, CryptoResult r, uint32_t sa) {
    drop_sa(m, r == CryptoResult::AuthFailed ? DropReason::AuthFailed : DropReason::CryptoError,
            sa);
  }

  Gateway& gw_;
  std::vector<RxQueueRef> rx_;
  uint8_t dev_id_;
  uint16_t qp_;
  uint16_t txq_;
  uint32_t in_flight_ = 0;
  LcoreCounters counters_;
  SpFlowCache flow_cache_;
  std::unique_ptr<IpcompWorker> ipcomp_;  // when an SA has IPComp; uses compress qp = crypto qp
  struct TxBuffer {
    uint16_t n = 0;
    std::array<rte_mbuf*, kBurst> pkts;
  };
  std::array<TxBuffer, kMaxPorts> tx_;
  // What send() needs of an output port, resolved once (ports and neighbours do not change while
  // running): the Ethernet header it writes, for IPv4 [0] and IPv6 [1].
  struct TxPort {
    bool enabled = false;
    bool has_neighbour = false;
    uint32_t mtu = 0;
    std::array<std::array<uint8_t, sizeof(rte_ether_hdr)>, 2> l2{};
  };
  std::array<TxPort, kMaxPorts> tx_port_;
  std::vector<uint16_t> tx_dirty_;
  std::vector<uint32_t> frag_limit_;     // per SA index: fragment_limit(), 0 without `fragment`
  std::vector<uint32_t> payload_limit_;  // per SA index: tunnel_payload_limit() or kNoPayloadLimit
  uint32_t last_dst4_ = 0;  // one-entry route cache (routes do not change while running)
  int last_port4_ = -1;
  uint32_t last_spi_be_ = 0;  // one-entry SAD cache
  int32_t last_sa_ = -1;
};

}  // namespace dpaccel
