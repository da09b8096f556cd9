#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Integration, scenario "dr": lbd in direct-routing mode. 100 HTTP requests,
# one connection each, from the client to the VIP; every one must be
# answered, rs1..rs4 (weights 1:2:3:4) must answer exactly 10/20/30/40, and
# tcpdump must show the DR rewrite: frames reaching rs<i> keep dst IP = VIP
# with dst MAC = rs<i>'s and src MAC = the director's, and the replies reach
# the router straight from the real servers. Runs from the repo root.
#
#   client 10.9.0.2 -- router 10.9.0.1|10.0.0.1 --[bridge lan]-- lb 10.0.0.2 (lbd, VIP 10.0.0.100)
#                                                      |-------- rs1..rs4 10.0.0.11-14:80, VIP on lo
#   captures: rs<i> eth0 (to the VIP), router eth1 (to and from the VIP)
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=testbed/lib/verify.sh
source testbed/lib/verify.sh

readonly BACKENDS=4
readonly WEIGHTS=1,2,3,4
readonly REQUESTS=100
readonly LIFETIME=110	# seconds any job may live; the test takes about 10

# lbd -t must refuse a broken config with status 1.
check_bad_config() {
	local bad="$TB_STATE/bad.conf" rc=0
	printf 'virtual_server %s %s {\n    lb_kind BOGUS\n' "$TB_VIP" "$TB_VPORT" >"$bad"
	run_in lb timeout 10 "$TB_LBD" -t -f "$bad" >"$TB_STATE/bad.log" 2>&1 || rc=$?
	tb_check_eq "lbd -t rejects a broken config with status" "$rc" 1
}

main() {
	local i
	tb_scenario_up dr "$BACKENDS" "$WEIGHTS" "$LIFETIME"
	check_bad_config
	for ((i = 1; i <= BACKENDS; i++)); do
		tb_cap_start "rs$i" eth0 "rs$i" "$LIFETIME" "tcp and dst host $TB_VIP"
	done
	tb_cap_start router eth1 router "$LIFETIME" "tcp and host $TB_VIP"
	tb_scenario_traffic "$LIFETIME" "$REQUESTS" vip
	tb_cap_stop_all
	vf_check_dr_rs ''
	vf_check_dr_router ''
	tb_lbd_signals
	tb_test_end
}

main "$@"
