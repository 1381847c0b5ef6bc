// rte_telemetry endpoints of a running gateway, readable with dpdk-telemetry.py:
//   /dpaccel/fwd/stats   totals, per-path counts and every drop reason
//   /dpaccel/fwd/ports   rx/tx per enabled port
//   /dpaccel/fwd/sa      per SA: spi, direction, packets, bytes, dropped (param: SA index)
#pragma once

namespace dpaccel {

class Gateway;

// Points the endpoints at `gw` (nullptr detaches them; they then answer with an error).
void fwd_telemetry_attach(Gateway* gw);

}  // namespace dpaccel
