#include "common/log.hpp"

RTE_LOG_REGISTER(dpaccel_logtype_ipsec, dpaccel.ipsec, NOTICE);
RTE_LOG_REGISTER(dpaccel_logtype_fwd, dpaccel.fwd, NOTICE);
