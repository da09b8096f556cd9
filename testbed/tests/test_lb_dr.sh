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
# shellcheck source=testbed/lib/check.sh
source testbed/lib/check.sh

readonly BACKENDS=4
readonly WEIGHTS=1,2,3,4
readonly REQUESTS=100
readonly LIFETIME=110	# seconds any job may live; the test takes about 10

# Checks the frames each real server and the router captured.
check_dr_frames() {
	local lbmac rsmac rsmacs='' i n bad smac dmac src dst
	lbmac=$(tb_mac lb eth0)
	for ((i = 1; i <= BACKENDS; i++)); do
		rsmac=$(tb_mac "rs$i" eth0)
		rsmacs+=" $rsmac "
		n=0
		bad=''
		while read -r smac dmac src dst; do
			n=$((n + 1))
			if [[ "$dst" != "$TB_VIP.$TB_VPORT" || "$dmac" != "$rsmac" ||
				"$smac" != "$lbmac" || "${src%.*}" != "$TB_CLIENT_IP" ]]; then
				bad+="$smac > $dmac $src > $dst"$'\n'
			fi
		done < <(tb_cap_flows "rs$i")
		tb_check_none "DR at rs$i: dst IP = VIP, dst MAC = rs$i $rsmac, src MAC = director $lbmac, src IP = client" \
			"$n" "${bad%$'\n'}"
	done

	# The router: requests go to the director's MAC, replies come from the
	# real servers' MACs, never from the director's.
	local nin=0 nout=0 badin='' badout=''
	while read -r smac dmac src dst; do
		if [[ "$dst" == "$TB_VIP.$TB_VPORT" ]]; then
			nin=$((nin + 1))
			if [[ "$dmac" != "$lbmac" ]]; then
				badin+="$smac > $dmac $src > $dst"$'\n'
			fi
		elif [[ "$src" == "$TB_VIP.$TB_VPORT" ]]; then
			nout=$((nout + 1))
			if [[ "$rsmacs" != *" $smac "* || "${dst%.*}" != "$TB_CLIENT_IP" ]]; then
				badout+="$smac > $dmac $src > $dst"$'\n'
			fi
		else
			badin+="unexpected: $smac > $dmac $src > $dst"$'\n'
		fi
	done < <(tb_cap_flows router)
	tb_check_none "DR at router: every frame to the VIP has dst MAC = director $lbmac" \
		"$nin" "${badin%$'\n'}"
	tb_check_none "DR at router: every reply from the VIP comes from a real server's MAC, not the director's" \
		"$nout" "${badout%$'\n'}"
}

# lbd -t must refuse a broken config with status 1.
check_bad_config() {
	local bad="$TB_STATE/bad.conf" rc=0
	printf 'virtual_server %s %s {\n    lb_kind BOGUS\n' "$TB_VIP" "$TB_VPORT" >"$bad"
	run_in lb timeout 10 "$TB_LBD" -t -f "$bad" >"$TB_STATE/bad.log" 2>&1 || rc=$?
	tb_check_eq "lbd -t rejects a broken config with status" "$rc" 1
}

main() {
	local i
	tb_test_begin
	topo_up dr "$BACKENDS" "$WEIGHTS"
	topo_warm_neigh 5
	topo_start_http "$LIFETIME"
	check_bad_config
	for ((i = 1; i <= BACKENDS; i++)); do
		tb_cap_start "rs$i" eth0 "rs$i" "$LIFETIME" "tcp and dst host $TB_VIP"
	done
	tb_cap_start router eth1 router "$LIFETIME" "tcp and host $TB_VIP"
	if ! tb_lbd_start "$LIFETIME"; then
		tb_test_end
	fi
	tb_send_requests "$REQUESTS"
	tb_check_wrr "$REQUESTS"
	tb_check_bodies vip
	tb_check "lbd still running after $REQUESTS connections" topo_lbd_alive
	tb_cap_stop_all
	check_dr_frames
	tb_lbd_signals
	tb_test_end
}

main "$@"
