// The forwarder's human-readable statistics: the periodic line and the final report.
#pragma once

#include <cstdio>

#include "pipeline/gateway.hpp"

namespace dpaccel::fwd {

void print_stats_line(FILE* out, const FwdTotals& now, const FwdTotals& before, double seconds);
void print_final_report(FILE* out, Gateway& gw, const FwdTotals& t);

}  // namespace dpaccel::fwd
