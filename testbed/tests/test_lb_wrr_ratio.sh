#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Integration, scenario "wrr_ratio": lbd in DR mode with weights whose gcd is
# 2 and one zero: 2,0,4,6. 120 connections (ten full cycles of 12) must give
# exactly 20/0/40/60, every one answered; a weight-0 server gets no new
# connections, as in IPVS. Runs from the repo root.
#
#   client 10.9.0.2 -- router --[bridge lan]-- lb 10.0.0.2 (lbd, VIP 10.0.0.100)
#                                    |-------- rs1..rs4 10.0.0.11-14:80 (weights 2,0,4,6)
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=testbed/lib/check.sh
source testbed/lib/check.sh

readonly BACKENDS=4
readonly WEIGHTS=2,0,4,6
readonly REQUESTS=120
readonly LIFETIME=110	# seconds any job may live; the test takes about 10

main() {
	tb_scenario_up dr "$BACKENDS" "$WEIGHTS" "$LIFETIME"
	tb_scenario_traffic "$LIFETIME" "$REQUESTS" vip
	tb_test_end
}

main "$@"
