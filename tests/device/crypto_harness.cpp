#include "crypto_harness.hpp"

#include <rte_bus_vdev.h>
#include <rte_errno.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <set>

namespace dpaccel::test {

namespace {
std::set<uint8_t>& any_order_devs() {
  static std::set<uint8_t> devs;
  return devs;
}
}  // namespace

void allow_any_order(uint8_t dev_id) {
  any_order_devs().insert(dev_id);
}

Pools& pools() {
  static Pools p;
  return p;
}

PoolCounts pool_counts() {
  return {rte_mempool_in_use_count(pools().mbufs), rte_mempool_in_use_count(pools().ops),
          rte_mempool_in_use_count(pools().sessions)};
}

int start_device(const std::string& name, uint16_t nb_qps, uint32_t depth) {
  int id = rte_cryptodev_get_dev_id(name.c_str());
  if (id < 0) return -1;
  rte_cryptodev_stop(static_cast<uint8_t>(id));
  rte_cryptodev_config conf{};
  conf.socket_id = SOCKET_ID_ANY;
  conf.nb_queue_pairs = nb_qps;
  if (rte_cryptodev_configure(static_cast<uint8_t>(id), &conf) != 0) return -1;
  for (uint16_t q = 0; q < nb_qps; ++q) {
    rte_cryptodev_qp_conf qc{};
    qc.nb_descriptors = depth;
    qc.mp_session = pools().sessions;
    if (rte_cryptodev_queue_pair_setup(static_cast<uint8_t>(id), q, &qc, SOCKET_ID_ANY) != 0)
      return -1;
  }
  if (rte_cryptodev_start(static_cast<uint8_t>(id)) != 0) return -1;
  return id;
}

void* make_session(uint8_t dev_id, const Spec& s, const Material& m, bool encrypt) {
  XformChain x = make_xforms(s, m, encrypt, kIvOffset);
  return rte_cryptodev_sym_session_create(dev_id, x.head(), pools().sessions);
}

namespace {

// Builds an mbuf chain holding data, cut at the given offsets (and wherever a piece would not
// fit one mbuf). nullptr if out of mbufs.
rte_mbuf* build_chain(const Bytes& data, const std::vector<size_t>& cuts) {
  std::vector<size_t> bounds{0};
  for (size_t c : cuts)
    if (c > bounds.back() && c < data.size()) bounds.push_back(c);
  bounds.push_back(data.size());
  rte_mbuf* head = nullptr;
  for (size_t i = 0; i + 1 < bounds.size(); ++i) {
    size_t pos = bounds[i];
    do {
      rte_mbuf* m = rte_pktmbuf_alloc(pools().mbufs);
      if (m == nullptr) {
        rte_pktmbuf_free(head);
        return nullptr;
      }
      size_t len = std::min<size_t>(bounds[i + 1] - pos, rte_pktmbuf_tailroom(m));
      char* p = rte_pktmbuf_append(m, static_cast<uint16_t>(len));
      if (len) std::memcpy(p, data.data() + pos, len);
      pos += len;
      if (head == nullptr)
        head = m;
      else if (rte_pktmbuf_chain(head, m) != 0) {
        rte_pktmbuf_free(m);
        rte_pktmbuf_free(head);
        return nullptr;
      }
    } while (pos < bounds[i + 1]);
  }
  return head;
}

Bytes read_chain(const rte_mbuf* m) {
  Bytes b(rte_pktmbuf_pkt_len(m));
  const void* p = rte_pktmbuf_read(m, 0, static_cast<uint32_t>(b.size()), b.data());
  if (p != b.data() && !b.empty()) std::memcpy(b.data(), p, b.size());
  return b;
}

struct SessionGuard {
  uint8_t dev;
  void* sess;
  ~SessionGuard() {
    if (sess) rte_cryptodev_sym_session_free(dev, sess);
  }
};

// Vectors describing an mbuf chain for the synchronous APIs.
std::vector<rte_crypto_vec> vecs_of(rte_mbuf* m) {
  std::vector<rte_crypto_vec> v;
  for (; m; m = m->next)
    v.push_back({rte_pktmbuf_mtod(m, void*), rte_pktmbuf_iova(m), m->data_len, 0});
  return v;
}

}  // namespace

bool run_jobs(Api api, uint8_t dev_id, uint16_t qp, const Spec& s, const Material& m, bool encrypt,
              std::vector<Job>& jobs, std::string* why) {
  SessionGuard sg{dev_id, make_session(dev_id, s, m, encrypt)};
  if (sg.sess == nullptr) {
    if (why) *why = "session creation failed: " + std::string(rte_strerror(rte_errno));
    return false;
  }
  size_t n = jobs.size();
  std::vector<rte_mbuf*> src(n, nullptr), dst(n, nullptr);
  auto free_all = [&] {
    for (size_t i = 0; i < n; ++i) {
      rte_pktmbuf_free(src[i]);
      rte_pktmbuf_free(dst[i]);
    }
  };
  for (size_t i = 0; i < n; ++i) {
    Job& j = jobs[i];
    if (j.digest.size() < s.digest_len) j.digest.resize(s.digest_len);
    src[i] = build_chain(j.data, j.src_cuts);
    if (j.out_of_place) dst[i] = build_chain(Bytes(j.data.size(), 0), j.dst_cuts);
    if (!src[i] || (j.out_of_place && !dst[i])) {
      free_all();
      if (why) *why = "out of mbufs";
      return false;
    }
  }
  Bytes aad = m.aad;
  if (aad.empty()) aad.resize(1);

  if (api == Api::Ops) {
    std::vector<rte_crypto_op*> ops(n);
    if (rte_crypto_op_bulk_alloc(pools().ops, RTE_CRYPTO_OP_TYPE_SYMMETRIC, ops.data(),
                                 static_cast<uint16_t>(n)) != n) {
      free_all();
      if (why) *why = "out of ops";
      return false;
    }
    for (size_t i = 0; i < n; ++i) {
      Job& j = jobs[i];
      rte_crypto_op* op = ops[i];
      rte_crypto_op_attach_sym_session(op, sg.sess);
      op->sym->m_src = src[i];
      op->sym->m_dst = dst[i];
      const Bytes& iv = j.iv.empty() ? m.iv : j.iv;
      if (!iv.empty())
        std::memcpy(rte_crypto_op_ctod_offset(op, uint8_t*, kIvOffset), iv.data(), iv.size());
      if (s.is_aead()) {
        op->sym->aead.data = {j.regions.cipher_off, j.regions.cipher_len};
        op->sym->aead.digest.data = j.digest.data();
        op->sym->aead.aad.data = aad.data();
      } else {
        op->sym->cipher.data = {j.regions.cipher_off, j.regions.cipher_len};
        op->sym->auth.data = {j.regions.auth_off, j.regions.auth_len};
        op->sym->auth.digest.data = j.digest.data();
      }
    }
    size_t enq = 0, deq = 0;
    std::vector<rte_crypto_op*> back(n);
    // Asynchronous devices (helper threads, modelled latency and stalls) take a while: give up
    // only after 20 s without completing everything.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (deq < n && std::chrono::steady_clock::now() < deadline) {
      if (enq < n)
        enq += rte_cryptodev_enqueue_burst(dev_id, qp, ops.data() + enq,
                                           static_cast<uint16_t>(std::min<size_t>(n - enq, 64)));
      size_t d = rte_cryptodev_dequeue_burst(dev_id, qp, back.data() + deq,
                                             static_cast<uint16_t>(n - deq));
      deq += d;
    }
    if (deq < n) {
      // Not all came back: the ops still belong to the device; report, and leak them rather
      // than free ops a device may still write.
      if (why) *why = "only " + std::to_string(deq) + " of " + std::to_string(n) + " ops came back";
      return false;
    }
    const bool any_order = any_order_devs().count(dev_id) != 0;
    std::vector<bool> seen(n);
    for (size_t i = 0; i < deq; ++i) {
      // Completion order must be enqueue order, unless the device says otherwise.
      size_t k = i;
      if (back[i] != ops[i]) {
        for (k = 0; k < n && ops[k] != back[i]; ++k) {
        }
        if (k == n) {
          if (why) *why = "an op that was never enqueued came back";
          return false;
        }
        if (!any_order) {
          jobs[k].status = 1000;  // marks an out-of-order completion
          continue;
        }
      }
      jobs[k].status = seen[k] ? 1001 : back[i]->status;  // 1001: returned twice
      seen[k] = true;
    }
    for (auto* op : ops) rte_crypto_op_free(op);
  } else {
    std::vector<std::vector<rte_crypto_vec>> sv(n), dv(n);
    std::vector<rte_crypto_sgl> ssgl(n), dsgl(n);
    std::vector<rte_crypto_va_iova_ptr> ivp(n), dig(n), aadp(n);
    std::vector<Bytes> ivs(n);
    std::vector<int32_t> st(n, -1);
    std::vector<void*> user(n);
    for (size_t i = 0; i < n; ++i) {
      Job& j = jobs[i];
      sv[i] = vecs_of(src[i]);
      ssgl[i] = {sv[i].data(), static_cast<uint32_t>(sv[i].size())};
      if (dst[i]) {
        dv[i] = vecs_of(dst[i]);
        dsgl[i] = {dv[i].data(), static_cast<uint32_t>(dv[i].size())};
      }
      ivs[i] = j.iv.empty() ? m.iv : j.iv;
      ivp[i] = {ivs[i].empty() ? nullptr : ivs[i].data(), 0};
      dig[i] = {j.digest.empty() ? nullptr : j.digest.data(), 0};
      aadp[i] = {aad.data(), 0};
      user[i] = &jobs[i];
    }
    // All jobs of one call share one set of offsets (the API's rule): take the first job's.
    size_t total = jobs.empty() ? 0 : jobs[0].data.size();
    const Regions& g = jobs[0].regions;
    rte_crypto_sym_ofs ofs{};
    ofs.ofs.cipher.head = static_cast<uint16_t>(g.cipher_off);
    ofs.ofs.cipher.tail = static_cast<uint16_t>(total - g.cipher_off - g.cipher_len);
    ofs.ofs.auth.head = static_cast<uint16_t>(g.auth_off);
    ofs.ofs.auth.tail = static_cast<uint16_t>(total - g.auth_off - g.auth_len);
    bool any_oop = false;
    for (auto* d : dst) any_oop |= d != nullptr;
    rte_crypto_sym_vec vec{};
    vec.num = static_cast<uint32_t>(n);
    vec.src_sgl = ssgl.data();
    vec.dest_sgl = any_oop ? dsgl.data() : nullptr;
    vec.iv = ivp.data();
    vec.digest = dig.data();
    vec.aad = aadp.data();
    vec.status = st.data();
    if (api == Api::CpuCrypto) {
      rte_cryptodev_sym_cpu_crypto_process(dev_id, sg.sess, ofs, &vec);
      for (size_t i = 0; i < n; ++i) jobs[i].status = st[i];
    } else {
      int size = rte_cryptodev_get_raw_dp_ctx_size(dev_id);
      if (size < 0) {
        free_all();
        if (why) *why = "raw data-path not offered";
        return false;
      }
      std::unique_ptr<uint8_t[]> mem(new uint8_t[size]());
      auto* ctx = reinterpret_cast<rte_crypto_raw_dp_ctx*>(mem.get());
      rte_cryptodev_session_ctx sctx{};
      sctx.crypto_sess = sg.sess;
      if (rte_cryptodev_configure_raw_dp_ctx(dev_id, qp, ctx, RTE_CRYPTO_OP_WITH_SESSION, sctx,
                                             0)) {
        free_all();
        if (why) *why = "raw data-path context refused";
        return false;
      }
      int est = 0;
      uint32_t enq = rte_cryptodev_raw_enqueue_burst(ctx, &vec, ofs, user.data(), &est);
      std::vector<void*> out(n);
      uint32_t got = 0, ok = 0;
      int dst_status = 0;
      static thread_local std::vector<std::pair<void*, bool>>* sink;
      std::vector<std::pair<void*, bool>> results;
      sink = &results;
      while (got < enq) {
        uint32_t succ = 0;
        uint32_t k = rte_cryptodev_raw_dequeue_burst(
            ctx, nullptr, enq - got,
            [](void* ud, uint32_t, uint8_t ok_) { sink->emplace_back(ud, ok_ != 0); }, out.data(),
            1, &succ, &dst_status);
        got += k;
        ok += succ;
        if (k == 0) break;
      }
      for (size_t i = 0; i < results.size(); ++i) {
        auto* j = static_cast<Job*>(results[i].first);
        // Completion order must be enqueue order.
        // The raw API reports success or failure only: failure is 1 here.
        j->status = (j == &jobs[i]) ? (results[i].second ? 0 : 1) : 1000;
      }
      (void)ok;
    }
  }
  for (size_t i = 0; i < n; ++i) jobs[i].out = read_chain(jobs[i].out_of_place ? dst[i] : src[i]);
  free_all();
  return true;
}

}  // namespace dpaccel::test
