// The library's registered rte_log types. Nothing on the fast path logs per packet.
#pragma once

#include <rte_log.h>

extern int dpaccel_logtype_ipsec;
extern int dpaccel_logtype_fwd;

#define DPACCEL_LOG(level, type, fmt, ...) \
  rte_log(RTE_LOG_##level, dpaccel_logtype_##type, "dpaccel.%s: " fmt "\n", #type, ##__VA_ARGS__)
