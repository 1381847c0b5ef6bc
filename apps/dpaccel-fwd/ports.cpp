#include "ports.hpp"

#include <rte_ethdev.h>

#include <cstdio>

#include "common/log.hpp"

namespace dpaccel::fwd {

Result<void> setup_port(uint16_t port, const PortPlan& plan, rte_mempool* pool, PortInfo& info) {
  if (!rte_eth_dev_is_valid_port(port))
    return errorf("port %u is in the port mask but does not exist (add a NIC or --vdev)", port);
  rte_eth_dev_info dev{};
  if (int rc = rte_eth_dev_info_get(port, &dev); rc != 0)
    return errorf("port %u: info_get failed (%d)", port, rc);
  if (plan.nb_rxq > dev.max_rx_queues || plan.nb_txq > dev.max_tx_queues)
    return errorf("port %u (%s) has %u rx / %u tx queues; the forwarder needs %u / %u", port,
                  dev.driver_name, dev.max_rx_queues, dev.max_tx_queues, plan.nb_rxq, plan.nb_txq);
  rte_eth_conf conf{};
  if (plan.nb_rxq > 1) {
    // Spread by RSS on IP where the port has it; virtual ports without RSS (net_pcap with one
    // file per queue, net_ring, af_packet fanout) fill their queues themselves.
    conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_IP & dev.flow_type_rss_offloads;
    if (conf.rx_adv_conf.rss_conf.rss_hf)
      conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    else
      DPACCEL_LOG(NOTICE, fwd,
                  "port %u (%s): no RSS; its %u rx queues are filled by the port itself", port,
                  dev.driver_name, plan.nb_rxq);
  }
  if (int rc = rte_eth_dev_configure(port, plan.nb_rxq, plan.nb_txq, &conf); rc != 0)
    return errorf("port %u: configure failed (%d)", port, rc);
  uint16_t nb_rxd = plan.rx_desc, nb_txd = plan.tx_desc;
  rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_rxd, &nb_txd);
  int socket = rte_eth_dev_socket_id(port);
  if (socket < 0) socket = SOCKET_ID_ANY;
  for (uint16_t q = 0; q < plan.nb_rxq; ++q)
    if (int rc = rte_eth_rx_queue_setup(port, q, nb_rxd, socket, nullptr, pool); rc != 0)
      return errorf("port %u: rx queue %u setup failed (%d)", port, q, rc);
  for (uint16_t q = 0; q < plan.nb_txq; ++q)
    if (int rc = rte_eth_tx_queue_setup(port, q, nb_txd, socket, nullptr); rc != 0)
      return errorf("port %u: tx queue %u setup failed (%d)", port, q, rc);
  if (int rc = rte_eth_dev_start(port); rc != 0)
    return errorf("port %u: start failed (%d)", port, rc);
  if (plan.promiscuous) rte_eth_promiscuous_enable(port);
  rte_eth_macaddr_get(port, &info.mac);
  uint16_t mtu = 1500;
  if (rte_eth_dev_get_mtu(port, &mtu) == 0 && mtu) info.mtu = mtu;
  info.enabled = true;
  // Which device each port number is (vdevs and NICs are numbered in probe order), for the log.
  char name[RTE_ETH_NAME_MAX_LEN] = "?";
  rte_eth_dev_get_name_by_port(port, name);
  char mac[RTE_ETHER_ADDR_FMT_SIZE];
  rte_ether_format_addr(mac, sizeof(mac), &info.mac);
  std::printf("dpaccel-fwd: port %u (%s): %s, driver %s, MAC %s, MTU %u, %u rx / %u tx queues\n",
              port, info.unprotected ? "unprotected" : "protected", name, dev.driver_name, mac,
              unsigned(info.mtu), unsigned(plan.nb_rxq), unsigned(plan.nb_txq));
  return {};
}

void stop_port(uint16_t port) {
  rte_eth_dev_stop(port);
  rte_eth_dev_close(port);
}

}  // namespace dpaccel::fwd
