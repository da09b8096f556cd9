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
# shellcheck source=testbed/lib/check.sh
source testbed/lib/check.sh

readonly BACKENDS=4
readonly WEIGHTS=1,2,3,4
readonly REQUESTS=100
readonly LIFETIME=110	# seconds any job may live; the test takes about 10

# Checks the frames each real server captured: in, dst = rip:8080 from the
# client's address via the director's inside MAC; out, back to the client
# via the director.
check_nat_rs_frames() {
	local inmac rsmac rip i n bad smac dmac src dst port
	inmac=$(tb_mac lb eth1)
	port=$(topo_rs_port nat)
	for ((i = 1; i <= BACKENDS; i++)); do
		rsmac=$(tb_mac "rs$i" eth0)
		rip=$(topo_rs_ip nat "$i")
		n=0
		bad=''
		while read -r smac dmac src dst; do
			n=$((n + 1))
			if [[ "$dst" == "$rip.$port" ]]; then
				if [[ "${src%.*}" != "$TB_CLIENT_IP" || "$smac" != "$inmac" ||
					"$dmac" != "$rsmac" ]]; then
					bad+="in:  $smac > $dmac $src > $dst"$'\n'
				fi
			elif [[ "$src" == "$rip.$port" ]]; then
				if [[ "${dst%.*}" != "$TB_CLIENT_IP" || "$dmac" != "$inmac" ]]; then
					bad+="out: $smac > $dmac $src > $dst"$'\n'
				fi
			else
				bad+="?:   $smac > $dmac $src > $dst"$'\n'
			fi
		done < <(tb_cap_flows "rs$i")
		tb_check_none "NAT at rs$i: in dst = $rip:$port from client $TB_CLIENT_IP via director $inmac; out to the client via the director" \
			"$n" "${bad%$'\n'}"
	done
}

# Checks that the client only ever talks to, and hears from, VIP:80.
check_nat_client_frames() {
	local n=0 bad='' smac dmac src dst
	while read -r smac dmac src dst; do
		n=$((n + 1))
		if [[ "${dst%.*}" == "$TB_CLIENT_IP" && "$src" == "$TB_VIP.$TB_VPORT" ]]; then
			continue
		fi
		if [[ "${src%.*}" == "$TB_CLIENT_IP" && "$dst" == "$TB_VIP.$TB_VPORT" ]]; then
			continue
		fi
		bad+="$smac > $dmac $src > $dst"$'\n'
	done < <(tb_cap_flows client)
	tb_check_none "NAT at client: every packet is client <-> VIP $TB_VIP:$TB_VPORT (src = VIP on every reply)" \
		"$n" "${bad%$'\n'}"
}

# Checks that both directions cross the LAN through the director's outside
# MAC: lbd sends the replies itself, to the router.
check_nat_router_frames() {
	local lbmac rtmac nin=0 nout=0 badin='' badout='' smac dmac src dst
	lbmac=$(tb_mac lb eth0)
	rtmac=$(tb_mac router eth1)
	while read -r smac dmac src dst; do
		if [[ "$dst" == "$TB_VIP.$TB_VPORT" ]]; then
			nin=$((nin + 1))
			if [[ "$dmac" != "$lbmac" ]]; then
				badin+="$smac > $dmac $src > $dst"$'\n'
			fi
		elif [[ "$src" == "$TB_VIP.$TB_VPORT" ]]; then
			nout=$((nout + 1))
			if [[ "$smac" != "$lbmac" || "$dmac" != "$rtmac" ||
				"${dst%.*}" != "$TB_CLIENT_IP" ]]; then
				badout+="$smac > $dmac $src > $dst"$'\n'
			fi
		else
			badin+="unexpected: $smac > $dmac $src > $dst"$'\n'
		fi
	done < <(tb_cap_flows router)
	tb_check_none "NAT at router: every frame to the VIP has dst MAC = director $lbmac" \
		"$nin" "${badin%$'\n'}"
	tb_check_none "NAT at router: every reply from the VIP comes from director $lbmac to the router $rtmac" \
		"$nout" "${badout%$'\n'}"
}

main() {
	local i
	tb_test_begin
	topo_up nat "$BACKENDS" "$WEIGHTS"
	topo_warm_neigh 5
	topo_start_http "$LIFETIME"
	for ((i = 1; i <= BACKENDS; i++)); do
		tb_cap_start "rs$i" eth0 "rs$i" "$LIFETIME" "tcp port $(topo_rs_port nat)"
	done
	tb_cap_start client eth0 client "$LIFETIME" tcp
	tb_cap_start router eth1 router "$LIFETIME" "tcp and host $TB_VIP"
	if ! tb_lbd_start "$LIFETIME"; then
		tb_test_end
	fi
	tb_send_requests "$REQUESTS"
	tb_check_wrr "$REQUESTS"
	tb_check_bodies rip
	tb_check "lbd still running after $REQUESTS connections" topo_lbd_alive
	tb_cap_stop_all
	check_nat_rs_frames
	check_nat_client_frames
	check_nat_router_frames
	tb_check_eq "director's kernel still does not forward (ip_forward)" \
		"$(run_in lb sysctl -n net.ipv4.ip_forward)" 0
	tb_lbd_signals
	tb_test_end
}

main "$@"
