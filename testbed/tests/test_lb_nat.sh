#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Integration, scenario "nat": lbd in NAT mode, two-armed. 100 HTTP requests,
# one connection each, from the client to VIP:80; every one must be answered,
# rs1..rs4 (weights 1:2:3:4, port 8080 on the inside LAN) must answer exactly
# 10/20/30/40, and tcpdump must show the NAT rewrite: a real server sees
# dst = its own address:8080 and the client's address as the source, and the
# client only ever sees the VIP:80. Runs from the repo root.
#
#   client 10.9.0.2 -- router 10.9.0.1|10.0.0.1 --[bridge lan]-- lb eth0 10.0.0.2 (lbd, VIP 10.0.0.100)
#                                                               lb eth1 10.1.0.1
#                                       [bridge inside]-----------'
#                                              |-- rs1..rs4 10.1.0.11-14:8080, gw 10.1.0.1
#   captures: rs<i> eth0, client eth0, router eth1
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=testbed/lib/verify.sh
source testbed/lib/verify.sh

readonly BACKENDS=4
readonly WEIGHTS=1,2,3,4
readonly REQUESTS=100
readonly LIFETIME=110	# seconds any job may live; the test takes about 10

main() {
	local i
	tb_scenario_up nat "$BACKENDS" "$WEIGHTS" "$LIFETIME"
	for ((i = 1; i <= BACKENDS; i++)); do
		tb_cap_start "rs$i" eth0 "rs$i" "$LIFETIME" "tcp port $(topo_rs_port nat)"
	done
	tb_cap_start client eth0 client "$LIFETIME" tcp
	tb_cap_start router eth1 router "$LIFETIME" "tcp and host $TB_VIP"
	tb_scenario_traffic "$LIFETIME" "$REQUESTS" rip
	tb_cap_stop_all
	vf_check_nat_rs ''
	vf_check_nat_client ''
	vf_check_nat_router ''
	tb_check_eq "director's kernel still does not forward (ip_forward)" \
		"$(run_in lb sysctl -n net.ipv4.ip_forward)" 0
	tb_lbd_signals
	tb_test_end
}

main "$@"
