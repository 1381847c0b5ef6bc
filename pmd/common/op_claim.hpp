// Revocable ops: a contract between crypto_dpaccel_balance and the accelerators that offer it
// (crypto_dpaccel_worker), which the cryptodev API has no words for.
//
// The balancer must be able to take an op back from a stalled accelerator and run it on the CPU
// without the accelerator later writing into the application's buffers. Through the plain API it
// can only do that by giving the accelerator private copies (an op and an mbuf of its own, the data
// copied in and out: on a 2-core VM about a thousand cycles of the application core per op, more
// than AES-GCM itself). An accelerator offering this contract lets it hand over the application's
// data as it is: each op the balancer enqueues (its own op struct, pointing at the application's
// mbufs) carries a one-byte claim at a fixed offset, which starts Queued. Before it reads or writes
// an op's data, the device moves the claim to Taken; the balancer, to take the op back, moves it to
// Revoked. Both are compare-and-swaps from Queued, so exactly one side wins: a revoked op is given
// back untouched (status NOT_PROCESSED), and an op the device has taken is the device's until it
// completes — a stall that happens before a device takes its ops (queueing, as in
// crypto_dpaccel_worker's model) can be undone; one in the middle of an op cannot, and the
// balancer then waits for it.
//
// How the balancer finds out: a queue pair of such a device begins with a ClaimPort, and the
// balancer (a driver itself, so it may look at another driver's queue-pair object; it does so only
// for drivers it knows by name) writes there the offset of the claim in the ops it will enqueue.
// The device checks claims only on queue pairs where that offset is set.
#pragma once

#include <rte_crypto.h>

#include <atomic>
#include <cstdint>

namespace dpaccel::pmd {

enum class Claim : uint8_t { Queued = 0, Taken = 1, Revoked = 2 };

struct ClaimPort {
  static constexpr uint64_t kMagic = 0x6d69616c63617064ull;  // "dpaclaim"
  uint64_t magic = kMagic;
  // Offset of the claim from the start of an op; 0: ops on this queue pair carry none. Written
  // while the queue pair is set up (not started), read by the device's datapath.
  std::atomic<uint32_t> claim_offset{0};
};

inline std::atomic<Claim>* claim_of(rte_crypto_op* op, uint32_t offset) noexcept {
  return reinterpret_cast<std::atomic<Claim>*>(reinterpret_cast<uint8_t*>(op) + offset);
}

// The device, before it touches the op's data: false when the submitter took it back.
inline bool device_takes(std::atomic<Claim>* c) noexcept {
  Claim queued = Claim::Queued;
  return c->compare_exchange_strong(queued, Claim::Taken, std::memory_order_acq_rel);
}

// The submitter, taking an op back: false when the device has it already.
inline bool submitter_revokes(std::atomic<Claim>* c) noexcept {
  Claim queued = Claim::Queued;
  return c->compare_exchange_strong(queued, Claim::Revoked, std::memory_order_acq_rel);
}

}  // namespace dpaccel::pmd
