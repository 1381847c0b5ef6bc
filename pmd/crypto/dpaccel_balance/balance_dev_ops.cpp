// crypto_dpaccel_balance: control path. The balancer owns its children from dev_configure on:
// it configures, starts, stops and closes them with itself, and creates a sub-session on each.
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <string>

#include "cryptodev_vdev.hpp"
#include "queue_pair_memory.hpp"

#include "balance_device.hpp"

namespace dpaccel::balance {
namespace {

bool covers(const rte_crypto_param_range& outer, const rte_crypto_param_range& inner) {
  if (inner.min < outer.min || inner.max > outer.max) return false;
  if (inner.min == inner.max) {
    return outer.increment == 0 ? inner.min == outer.min
                                : (inner.min - outer.min) % outer.increment == 0;
  }
  return outer.increment != 0 && inner.increment % outer.increment == 0 &&
         (inner.min - outer.min) % outer.increment == 0;
}

// True when accelerator capability a offers everything CPU capability c offers.
bool offers(const rte_cryptodev_capabilities& a, const rte_cryptodev_capabilities& c) {
  if (a.op != c.op || a.sym.xform_type != c.sym.xform_type) return false;
  switch (c.sym.xform_type) {
    case RTE_CRYPTO_SYM_XFORM_AEAD:
      return a.sym.aead.algo == c.sym.aead.algo &&
             covers(a.sym.aead.key_size, c.sym.aead.key_size) &&
             covers(a.sym.aead.digest_size, c.sym.aead.digest_size) &&
             covers(a.sym.aead.aad_size, c.sym.aead.aad_size) &&
             covers(a.sym.aead.iv_size, c.sym.aead.iv_size);
    case RTE_CRYPTO_SYM_XFORM_CIPHER:
      return a.sym.cipher.algo == c.sym.cipher.algo &&
             covers(a.sym.cipher.key_size, c.sym.cipher.key_size) &&
             covers(a.sym.cipher.iv_size, c.sym.cipher.iv_size);
    case RTE_CRYPTO_SYM_XFORM_AUTH:
      return a.sym.auth.algo == c.sym.auth.algo &&
             covers(a.sym.auth.key_size, c.sym.auth.key_size) &&
             covers(a.sym.auth.digest_size, c.sym.auth.digest_size);
    default: return false;
  }
}

// Which balancer owns which child device. A child serves one balancer: the balancer configures,
// starts and stops it and uses its queue pairs with the balancer's own queue pair numbers, so a
// second owner would reconfigure it under the first. Control path only.
std::mutex g_owners_lock;
std::map<uint8_t, std::string> g_owners;  // child dev id -> owning balancer's name

}  // namespace

void release_children(const char* balancer) noexcept {
  std::lock_guard<std::mutex> g(g_owners_lock);
  std::erase_if(g_owners, [balancer](const auto& kv) { return kv.second == balancer; });
}

void destroy_sub_sessions(SubSessions* sub) noexcept {
  // An accelerator closed before the balancer (qp_release) took its sessions with it; they live
  // in the balancer's sub_pool, which goes with the balancer.
  for (uint8_t a = 0; a < sub->n_accel; ++a)
    if (sub->accel_sess[a] && rte_cryptodev_is_valid_dev(sub->accel_dev[a]))
      rte_cryptodev_sym_session_free(sub->accel_dev[a], sub->accel_sess[a]);
  delete sub;
}

int attach_children(rte_cryptodev* dev) noexcept {
  Device* d = device_of(dev);
  if (d->attached) return 0;
  int cpu = rte_cryptodev_get_dev_id(d->cpu_name.c_str());
  if (cpu < 0) {
    BAL_LOG(ERR, "%s: CPU device %s not found", dev->data->name, d->cpu_name.c_str());
    return -ENODEV;
  }
  rte_cryptodev_info ci{};
  rte_cryptodev_info_get(static_cast<uint8_t>(cpu), &ci);
  if (!(ci.feature_flags & RTE_CRYPTODEV_FF_SYM_CPU_CRYPTO)) {
    BAL_LOG(ERR, "%s: %s does not offer synchronous CPU crypto", dev->data->name,
            d->cpu_name.c_str());
    return -ENOTSUP;
  }
  std::vector<uint8_t> accels;
  std::vector<rte_cryptodev_info> ainfo;
  for (const auto& n : d->accel_names) {
    int id = rte_cryptodev_get_dev_id(n.c_str());
    if (id < 0) {
      BAL_LOG(ERR, "%s: accelerator %s not found", dev->data->name, n.c_str());
      return -ENODEV;
    }
    accels.push_back(static_cast<uint8_t>(id));
    ainfo.emplace_back();
    rte_cryptodev_info_get(static_cast<uint8_t>(id), &ainfo.back());
  }
  {
    std::lock_guard<std::mutex> g(g_owners_lock);
    std::vector<uint8_t> children = accels;
    children.push_back(static_cast<uint8_t>(cpu));
    for (size_t i = 0; i < children.size(); ++i) {
      uint8_t c = children[i];
      if (std::count(children.begin(), children.end(), c) > 1) {
        BAL_LOG(ERR, "%s: %s is named twice among its children", dev->data->name,
                rte_cryptodev_name_get(c));
        return -EINVAL;
      }
      auto it = g_owners.find(c);
      if (it != g_owners.end() && it->second != dev->data->name) {
        BAL_LOG(ERR, "%s: %s already serves %s (a child device serves one balancer)",
                dev->data->name, rte_cryptodev_name_get(c), it->second.c_str());
        return -EBUSY;
      }
    }
  }
  // Capabilities: the CPU device's, kept where every accelerator offers at least as much.
  d->caps.clear();
  for (const auto* c = ci.capabilities; c->op != RTE_CRYPTO_OP_TYPE_UNDEFINED; ++c) {
    if (c->op != RTE_CRYPTO_OP_TYPE_SYMMETRIC) continue;
    bool all = true;
    for (const auto& ai : ainfo) {
      bool found = false;
      for (const auto* a = ai.capabilities; a->op != RTE_CRYPTO_OP_TYPE_UNDEFINED && !found; ++a)
        found = offers(*a, *c);
      all &= found;
    }
    if (all) d->caps.push_back(*c);
  }
  rte_cryptodev_capabilities end{};
  end.op = RTE_CRYPTO_OP_TYPE_UNDEFINED;
  d->caps.push_back(end);
  rte_cryptodev* cpu_dev = rte_cryptodev_pmd_get_dev(static_cast<uint8_t>(cpu));
  if (cpu_dev->dev_ops->sym_session_configure == nullptr ||
      cpu_dev->dev_ops->sym_session_clear == nullptr) {
    BAL_LOG(ERR, "%s: %s has no symmetric sessions", dev->data->name, d->cpu_name.c_str());
    return -ENOTSUP;
  }
  // A balancer session starts with the CPU device's own session data.
  d->sess_offset = RTE_ALIGN_CEIL(rte_cryptodev_sym_get_private_session_size(cpu), 16);
  unsigned sub_size = 64;
  for (uint8_t a : accels)
    sub_size = std::max(sub_size, rte_cryptodev_sym_get_private_session_size(a));
  const uint32_t n_sub =
      d->max_sessions * static_cast<uint32_t>(std::max<size_t>(1, accels.size()));
  std::string pool = "bal" + std::to_string(dev->data->dev_id) + "_subsess";
  d->sub_pool =
      rte_cryptodev_sym_session_pool_create(pool.c_str(), n_sub, sub_size, 0, 0, d->socket_id);
  if (d->sub_pool == nullptr) {
    BAL_LOG(ERR, "%s: cannot create the pool of %u sub-sessions", dev->data->name, n_sub);
    return -ENOMEM;
  }
  {
    std::lock_guard<std::mutex> g(g_owners_lock);
    g_owners[static_cast<uint8_t>(cpu)] = dev->data->name;
    for (uint8_t a : accels) g_owners[a] = dev->data->name;
  }
  d->name = dev->data->name;
  d->cpu_dev = static_cast<uint8_t>(cpu);
  d->accel_devs = std::move(accels);
  d->attached = true;
  return 0;
}

namespace {

// The CPU device first, then the accelerators.
std::vector<uint8_t> children_of(const Device& d) {
  std::vector<uint8_t> c;
  c.reserve(1 + d.accel_devs.size());
  c.push_back(d.cpu_dev);
  for (uint8_t a : d.accel_devs) c.push_back(a);
  return c;
}

int dev_configure(rte_cryptodev* dev, rte_cryptodev_config* conf) noexcept {
  if (int rc = attach_children(dev); rc) return rc;
  device_of(dev)->configured = true;
  for (uint8_t c : children_of(*device_of(dev))) {
    rte_cryptodev_stop(c);
    if (int rc = rte_cryptodev_configure(c, conf); rc) {
      BAL_LOG(ERR, "%s: cannot configure child device %s with %u queue pairs: %d", dev->data->name,
              rte_cryptodev_name_get(c), conf->nb_queue_pairs, rc);
      return rc;
    }
  }
  return 0;
}

int dev_start(rte_cryptodev* dev) noexcept {
  const auto children = children_of(*device_of(dev));
  for (size_t i = 0; i < children.size(); ++i)
    if (int rc = rte_cryptodev_start(children[i]); rc) {
      BAL_LOG(ERR, "%s: child device %s does not start: %d", dev->data->name,
              rte_cryptodev_name_get(children[i]), rc);
      // All or nothing: the children started before it stop again.
      for (size_t j = 0; j < i; ++j) rte_cryptodev_stop(children[j]);
      return rc;
    }
  return 0;
}

// What a queue pair did and what its model learnt (INFO), when its device stops: an operator's
// answer to "why did it choose that". At stop, not at release: some applications
// (dpdk-test-crypto-perf) never release, and a queue pair is released only once stopped.
void log_split(rte_cryptodev* dev, uint16_t qp_id, const QueuePair* qp) noexcept {
  const Device* d = device_of(dev);
  uint64_t accel_ops = 0;
  for (uint64_t v : qp->c.accel_ops) accel_ops += v;
  if (qp->c.enqueued)
    BAL_LOG(INFO,
            "%s qp %u: %lu ops, %lu on the CPU, %lu on accelerators (%lu zero-copy), %lu spills, "
            "%lu re-runs",
            dev->data->name, qp_id, static_cast<unsigned long>(qp->c.enqueued),
            static_cast<unsigned long>(qp->c.cpu_ops), static_cast<unsigned long>(accel_ops),
            static_cast<unsigned long>(qp->c.zero_copy), static_cast<unsigned long>(qp->c.spills),
            static_cast<unsigned long>(qp->c.reruns_error + qp->c.reruns_stall));
  using R = RegimeGuard::Regime;
  static constexpr const char* kRegimes[] = {"the model's choices", "CPU alone",
                                             "the accelerators first (fill)"};
  if (qp->guard.rate(R::Cpu) > 0)
    BAL_LOG(INFO,
            "%s qp %u: measured %.0f ops/s with the model's choices, %.0f with the CPU alone, "
            "%.0f with the accelerators first: %s (%lu changes)",
            dev->data->name, qp_id, qp->guard.rate(R::Model), qp->guard.rate(R::Cpu),
            qp->guard.rate(R::Fill), kRegimes[static_cast<int>(qp->guard.main_regime())],
            static_cast<unsigned long>(qp->guard.switches()));
  for (size_t a = 0; a < d->accel_devs.size(); ++a)
    BAL_LOG(INFO, "%s qp %u, accelerator %s: %.0f ops/s, latency %.0f us, in-flight cap %u",
            dev->data->name, qp_id, d->accel_names[a].c_str(), qp->gauge[a].rate_ops(),
            qp->gauge[a].latency_cycles() * 1e6 / double(rte_get_tsc_hz()),
            qp->gauge[a].inflight_cap(kInflightFloor));
  static constexpr const char* kKinds[] = {"AES-GCM", "ChaCha20-Poly1305", "cipher+auth"};
  for (int k = 0; k < static_cast<int>(Kind::Count); ++k)
    if (std::string m = qp->model.describe(static_cast<Kind>(k)); !m.empty())
      BAL_LOG(INFO, "%s qp %u, cycles per op on the application core, %s: %s", dev->data->name,
              qp_id, kKinds[k], m.c_str());
}

void dev_stop(rte_cryptodev* dev) noexcept {
  // Accelerators finish or keep what they hold; pending ops complete on dequeue after start. So
  // do bursts passed through to the CPU device: it finished them at enqueue, and keeps them in
  // its completion ring until the balancer's dequeue takes them.
  for (uint8_t c : children_of(*device_of(dev))) rte_cryptodev_stop(c);
  for (uint16_t q = 0; q < dev->data->nb_queue_pairs; ++q)
    if (const auto* qp = static_cast<const QueuePair*>(dev->data->queue_pairs[q]))
      log_split(dev, q, qp);
}

// Whether accelerator a is still the device the balancer attached: at EAL clean-up the vdev bus
// removes devices in the order they were created, so accelerators named before their balancer
// (the usual command line) are closed before it.
bool accel_present(const Device& d, size_t a) noexcept {
  return rte_cryptodev_is_valid_dev(d.accel_devs[a]) &&
         rte_cryptodev_get_dev_id(d.accel_names[a].c_str()) == d.accel_devs[a];
}

// Takes back what a child finished, whether it runs or not: rte_cryptodev_stop() points a
// device's public fast path at DPDK's stand-ins, which return nothing and log an error per call,
// and dev_stop has stopped the children by the time a queue pair is released; the driver's own
// dequeue still hands back what the device completed. Only for a child that is still a device
// (accel_present): a removed one's data pointer is left dangling by DPDK.
uint16_t child_dequeue(uint8_t id, uint16_t qp_id, rte_crypto_op** ops, uint16_t n) noexcept {
  rte_cryptodev* c = rte_cryptodev_pmd_get_dev(id);
  if (c == nullptr || c->data == nullptr || c->dequeue_burst == nullptr ||
      qp_id >= c->data->nb_queue_pairs || c->data->queue_pairs[qp_id] == nullptr)
    return 0;
  return c->dequeue_burst(c->data->queue_pairs[qp_id], ops, n);
}

// The private copies accelerator a held when it was closed: gone with it (its queue pairs are
// freed; a closed device writes nothing more). Their sub-session references are dropped; the
// ops and mbufs go with the pools. Returns how many there were.
uint32_t forget_copies_of_closed_accel(QueuePair* qp, size_t a) noexcept {
  struct Walk {
    size_t a;
    uint32_t n;
  } w{a, 0};
  rte_mempool_obj_iter(
      qp->priv_ops,
      [](rte_mempool*, void* arg, void* obj, unsigned) {
        auto* walk = static_cast<Walk*>(arg);
        PrivMeta* meta = meta_of(static_cast<rte_crypto_op*>(obj));
        if (meta->sub == nullptr || meta->accel != walk->a) return;  // free, or another's
        SubSessions* sub = meta->sub;
        meta->sub = nullptr;
        sub_sessions_unref(sub);
        ++walk->n;
      },
      &w);
  return w.n;
}

// Whether accelerator id's queue pair qp_id takes revocable ops (op_claim.hpp); if it does, it is
// told where our private ops carry their claim. Only drivers known to put a ClaimPort first in
// their queue pairs are looked at (another driver's queue-pair object is its own business).
bool offer_claims(uint8_t id, uint16_t qp_id) noexcept {
  rte_cryptodev* c = rte_cryptodev_pmd_get_dev(id);
  const char* driver = rte_cryptodev_driver_name_get(c->driver_id);
  if (driver == nullptr || std::strcmp(driver, "crypto_dpaccel_worker") != 0 ||
      qp_id >= c->data->nb_queue_pairs || c->data->queue_pairs[qp_id] == nullptr)
    return false;
  auto* port = static_cast<pmd::ClaimPort*>(c->data->queue_pairs[qp_id]);
  if (port->magic != pmd::ClaimPort::kMagic) return false;
  port->claim_offset.store(claim_offset(), std::memory_order_release);
  return true;
}

int qp_release(rte_cryptodev* dev, uint16_t qp_id) noexcept {
  auto* qp = static_cast<QueuePair*>(dev->data->queue_pairs[qp_id]);
  if (qp == nullptr) return 0;
  Device* d = device_of(dev);
  // Take back every private op the accelerators still hold before their pools go.
  bool held = false;
  for (size_t a = 0; a < d->accel_devs.size(); ++a) {
    if (qp->inflight[a].load() > 0 && qp->priv_ops && !accel_present(*d, a)) {
      // Closed: its queue pairs are gone, and what it held (a latency probe, most often) with
      // them.
      const uint32_t lost = forget_copies_of_closed_accel(qp, a);
      BAL_LOG(INFO,
              "%s qp %u: accelerator %s was closed before the balancer, holding %u private "
              "copies; they go with the balancer's private pools",
              dev->data->name, qp_id, d->accel_names[a].c_str(), lost);
      qp->inflight[a].store(0);
      continue;
    }
    rte_crypto_op* back[32];
    // Bounded in time, not in calls: a stopped accelerator (dev_stop stops them first) may never
    // give back what it holds, e.g. a latency probe nobody was waiting for. Four stall limits
    // (what the datapath waits before it re-runs an op), between 50 ms and 2 s.
    const uint64_t hz = rte_get_tsc_hz();
    const uint64_t deadline =
        rte_rdtsc() + std::clamp(4 * stall_limit_cycles(*d, *qp, a), hz / 20, 2 * hz);
    while (qp->inflight[a].load() > 0 && rte_rdtsc() < deadline) {
      uint16_t n = child_dequeue(d->accel_devs[a], qp_id, back, 32);
      for (uint16_t k = 0; k < n; ++k) free_private(back[k]);
      qp->inflight[a].fetch_sub(n);
    }
    if (qp->inflight[a].load() > 0) {
      // It may still write them (a device's DMA does not ask): their pools must outlive it.
      BAL_LOG(ERR,
              "%s qp %u: accelerator %s still holds %u private copies; their pools are left "
              "allocated (leaked) so that it cannot write into freed memory",
              dev->data->name, qp_id, d->accel_names[a].c_str(), qp->inflight[a].load());
      held = true;
    }
  }
  if (qp->stash_n > 0 && qp->priv_ops)  // taken from the pool, never used
    rte_mempool_put_bulk(qp->priv_ops, reinterpret_cast<void**>(qp->stash), qp->stash_n);
  qp->stash_n = 0;
  if (qp->head != qp->tail || qp->held() != 0)
    BAL_LOG(WARNING, "%s qp %u released with %lu ops not dequeued", dev->data->name, qp_id,
            static_cast<unsigned long>(qp->head - qp->tail + qp->held()));
  if (!held) {
    rte_mempool_free(qp->priv_ops);
    rte_mempool_free(qp->priv_mbufs);
  }
  rte_free(qp->ring);
  rte_free(qp->passes);
  rte_free(qp->parked);
  rte_free(qp->ready);
  pmd::delete_queue_pair(qp);
  dev->data->queue_pairs[qp_id] = nullptr;
  return 0;
}

int dev_close(rte_cryptodev* dev) noexcept {
  for (uint16_t q = 0; q < dev->data->nb_queue_pairs; ++q) qp_release(dev, q);
  Device* d = device_of(dev);
  if (!d->attached || !d->configured) return 0;  // children it never configured are not its own
  // At EAL clean-up a child may have been removed before us: close only what is still there.
  auto close = [](const std::string& name, uint8_t id) {
    if (rte_cryptodev_get_dev_id(name.c_str()) != id) return;
    rte_cryptodev_stop(id);
    rte_cryptodev_close(id);
  };
  close(d->cpu_name, d->cpu_dev);
  for (size_t a = 0; a < d->accel_devs.size(); ++a) close(d->accel_names[a], d->accel_devs[a]);
  return 0;
}

void dev_info(rte_cryptodev* dev, rte_cryptodev_info* info) noexcept {
  if (info == nullptr) return;
  Device* d = device_of(dev);
  static const rte_cryptodev_capabilities kNone[1] = {};
  bool ok = attach_children(dev) == 0;
  info->driver_id = dpaccel_balance_driver_id;
  info->feature_flags = dev->feature_flags;
  info->capabilities = ok ? d->caps.data() : kNone;
  info->max_nb_queue_pairs = d->max_nb_queue_pairs;
  info->sym.max_nb_sessions = 0;
  info->min_mbuf_headroom_req = 0;
  info->min_mbuf_tailroom_req = 0;
}

void stats_get(rte_cryptodev* dev, rte_cryptodev_stats* out) noexcept {
  pmd::sum_queue_pair_stats<QueuePair>(dev, out, [](QueuePair& qp) {
    return rte_cryptodev_stats{qp.c.enqueued, qp.c.dequeued, qp.c.refused, qp.c.failed};
  });
}

void stats_reset(rte_cryptodev* dev) noexcept {
  pmd::for_each_queue_pair<QueuePair>(dev, [](QueuePair& qp) { qp.c = Counters{}; });
}

int qp_setup(rte_cryptodev* dev, uint16_t qp_id, const rte_cryptodev_qp_conf* conf,
             int socket_id) noexcept {
  Device* d = device_of(dev);
  if (dev->data->queue_pairs[qp_id] != nullptr) qp_release(dev, qp_id);
  if (socket_id == SOCKET_ID_ANY) socket_id = d->socket_id;
  // Children's sessions come from the balancer's sub-session pool (sized for the largest child),
  // so that is the pool their queue pairs are given — not the application's, which is sized for
  // the balancer's own sessions and which an accelerator refuses as too small for its own (found
  // running dpaccel-fwd over the balancer).
  rte_cryptodev_qp_conf child_conf = *conf;
  child_conf.mp_session = d->sub_pool;
  for (uint8_t a : d->accel_devs)
    if (int rc = rte_cryptodev_queue_pair_setup(a, qp_id, &child_conf, socket_id); rc) {
      BAL_LOG(ERR, "%s qp %u: accelerator %s refused its queue pair: %d", dev->data->name, qp_id,
              rte_cryptodev_name_get(a), rc);
      return rc;
    }
  // The CPU device's queue pair holds what passes through until the application dequeues it: as
  // many ops as this queue pair takes.
  // It takes the application's sessions as they are: the application's pool is its pool.
  child_conf.mp_session = conf->mp_session;
  child_conf.nb_descriptors = std::max<uint32_t>(
      rte_align32pow2(conf->nb_descriptors ? conf->nb_descriptors : 2048), 2 * kBurst);
  if (int rc = rte_cryptodev_queue_pair_setup(d->cpu_dev, qp_id, &child_conf, socket_id); rc) {
    BAL_LOG(ERR, "%s qp %u: CPU device %s refused its queue pair: %d", dev->data->name, qp_id,
            d->cpu_name.c_str(), rc);
    return rc;
  }
  auto* qp = pmd::new_queue_pair<QueuePair>(socket_id);
  if (qp == nullptr) return -ENOMEM;
  qp->id = qp_id;
  qp->dev = d;
  const uint32_t app_depth = rte_align32pow2(conf->nb_descriptors ? conf->nb_descriptors : 2048);
  const uint32_t depth = 2 * app_depth;  // see QueuePair::depth
  qp->depth = depth;
  qp->pass_depth = app_depth;
  qp->mask = depth - 1;
  qp->ring = static_cast<Entry*>(rte_zmalloc_socket("dpaccel_bal_ring", sizeof(Entry) * depth,
                                                    RTE_CACHE_LINE_SIZE, socket_id));
  qp->passes = static_cast<QueuePair::Pass*>(rte_zmalloc_socket(
      "dpaccel_bal_passes", sizeof(QueuePair::Pass) * depth, RTE_CACHE_LINE_SIZE, socket_id));
  bool unordered_ok = true;
  if (!d->ordered) {
    qp->parked = static_cast<rte_crypto_op**>(rte_zmalloc_socket(
        "dpaccel_bal_parked", sizeof(rte_crypto_op*) * depth, RTE_CACHE_LINE_SIZE, socket_id));
    qp->ready = static_cast<rte_crypto_op**>(rte_zmalloc_socket(
        "dpaccel_bal_ready", sizeof(rte_crypto_op*) * depth, RTE_CACHE_LINE_SIZE, socket_id));
    unordered_ok = qp->parked != nullptr && qp->ready != nullptr;
  }
  // Names unique per set-up: the pools of a released queue pair whose accelerator kept private
  // copies are left allocated (qp_release), and must not block the next set-up's.
  static std::atomic<uint32_t> serial{0};
  std::string base = "bal" + std::to_string(dev->data->dev_id) + "_" + std::to_string(qp_id) + "_" +
                     std::to_string(serial.fetch_add(1, std::memory_order_relaxed));
  // Private copies: as many as ops can be in flight, plus late returns after stalls.
  uint32_t n = app_depth * 2;
  qp->priv_ops = rte_crypto_op_pool_create((base + "_op").c_str(), RTE_CRYPTO_OP_TYPE_SYMMETRIC, n,
                                           0, kPrivSize, socket_id);
  qp->priv_room = d->accel_max_bytes;
  qp->priv_mbufs = rte_pktmbuf_pool_create(
      (base + "_mb").c_str(), n, 0, 0, static_cast<uint16_t>(RTE_PKTMBUF_HEADROOM + qp->priv_room),
      socket_id);
  for (size_t a = 0; a < d->accel_devs.size() && d->zero_copy; ++a)
    qp->zero_copy[a] = offer_claims(d->accel_devs[a], qp_id);
  dev->data->queue_pairs[qp_id] = qp;
  const bool samples_ok = qp->samples.init(QueuePair::kSamples, socket_id);
  if (qp->ring == nullptr || qp->passes == nullptr || qp->priv_ops == nullptr ||
      qp->priv_mbufs == nullptr || !samples_ok || !unordered_ok) {
    BAL_LOG(ERR, "%s qp %u: cannot allocate its order ring and private pools (%u entries)",
            dev->data->name, qp_id, n);
    qp_release(dev, qp_id);
    return -ENOMEM;
  }
  return 0;
}

unsigned session_size(rte_cryptodev* dev) noexcept {
  // Until the children are known a session cannot be configured anyway (configure fails, saying
  // why): the size then only has to be valid.
  if (attach_children(dev) != 0) return sizeof(Session);
  return device_of(dev)->sess_offset + sizeof(Session);
}

int session_configure(rte_cryptodev* dev, rte_crypto_sym_xform* xform,
                      rte_cryptodev_sym_session* sess) noexcept {
  if (int rc = attach_children(dev); rc) return rc;
  Device* d = device_of(dev);
  rte_cryptodev* cpu = rte_cryptodev_pmd_get_dev(d->cpu_dev);
  if (int rc = cpu->dev_ops->sym_session_configure(cpu, xform, sess); rc) {
    BAL_LOG(ERR, "%s: the CPU device %s refused the session (%d)", dev->data->name,
            d->cpu_name.c_str(), rc);
    return rc;
  }
  Session& s = *session_of(*d, sess);
  s = Session{};
  s.kind = Kind::Chained;
  for (auto* x = xform; x; x = x->next) {
    if (x->type == RTE_CRYPTO_SYM_XFORM_AEAD) {
      s.aead = true;
      s.kind = x->aead.algo == RTE_CRYPTO_AEAD_AES_GCM ? Kind::Gcm : Kind::Chacha;
      s.iv_offset = x->aead.iv.offset;
      s.iv_len = x->aead.iv.length;
      s.aad_len = x->aead.aad_length;
      s.digest_len = x->aead.digest_length;
      s.verify = x->aead.op == RTE_CRYPTO_AEAD_OP_DECRYPT;
    } else if (x->type == RTE_CRYPTO_SYM_XFORM_CIPHER) {
      s.has_cipher = true;
      s.iv_offset = x->cipher.iv.offset;
      s.iv_len = x->cipher.iv.length;
    } else if (x->type == RTE_CRYPTO_SYM_XFORM_AUTH) {
      s.has_auth = x->auth.algo != RTE_CRYPTO_AUTH_NULL;
      s.digest_len = x->auth.digest_length;
      s.verify = x->auth.op == RTE_CRYPTO_AUTH_OP_VERIFY;
    }
  }
  auto* sub = new (std::nothrow) SubSessions();
  if (sub == nullptr) return -ENOMEM;
  rte_mempool* mp = d->sub_pool;
  bool ok = true;
  for (size_t a = 0; ok && a < d->accel_devs.size(); ++a) {
    sub->accel_dev[a] = d->accel_devs[a];
    rte_errno = 0;  // not every failure path sets it: no stale value in the error below
    sub->accel_sess[a] = rte_cryptodev_sym_session_create(d->accel_devs[a], xform, mp);
    ok = sub->accel_sess[a] != nullptr;
    sub->n_accel = static_cast<uint8_t>(a + 1);
  }
  if (!ok) {
    int err = rte_errno ? -rte_errno : -ENOTSUP;
    BAL_LOG(ERR, "%s: an accelerator refused the session (%d)", dev->data->name, err);
    destroy_sub_sessions(sub);
    cpu->dev_ops->sym_session_clear(cpu, sess);
    return err;
  }
  s.sub = sub;
  return 0;
}

void session_clear(rte_cryptodev* dev, rte_cryptodev_sym_session* sess) noexcept {
  const Device& d = *device_of(dev);
  Session& s = *session_of(d, sess);
  SubSessions* sub = s.sub;
  if (sub == nullptr) return;
  s.sub = nullptr;
  rte_cryptodev* cpu = rte_cryptodev_pmd_get_dev(d.cpu_dev);
  cpu->dev_ops->sym_session_clear(cpu, sess);
  // Gone now, or when the last private copy using it comes back.
  if ((sub->state.fetch_or(SubSessions::kCleared, std::memory_order_acq_rel) |
       SubSessions::kCleared) == SubSessions::kCleared)
    destroy_sub_sessions(sub);
}

rte_cryptodev_ops make_ops() noexcept {
  rte_cryptodev_ops ops{};
  ops.dev_configure = dev_configure;
  ops.dev_start = dev_start;
  ops.dev_stop = dev_stop;
  ops.dev_close = dev_close;
  ops.dev_infos_get = dev_info;
  ops.stats_get = stats_get;
  ops.stats_reset = stats_reset;
  ops.queue_pair_setup = qp_setup;
  ops.queue_pair_release = qp_release;
  ops.sym_session_get_size = session_size;
  ops.sym_session_configure = session_configure;
  ops.sym_session_clear = session_clear;
  return ops;
}

}  // namespace

rte_cryptodev_ops g_dev_ops = make_ops();

}  // namespace dpaccel::balance
