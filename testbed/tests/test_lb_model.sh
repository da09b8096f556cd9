#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Integration, the control plane's model under stress, one check per failure
# a review found:
#
#   client -- router --[bridge lan]-- lb (lbd, VIP 10.0.0.100, HTTP_GET checks)
#                              |----- rs1..rs3 10.0.0.11-13:80; rs3 starts with ARP off
#
# 1. A real server whose MAC is unknown at start takes no flows, and takes
#    its share once it answers ARP (the tick learns the MAC).
# 2. A checker restarted while its server is down (a reload changes the
#    check) starts from "up": the server is not stuck down.
# 3. 70 edits in one write are all applied and answered; lbd lives.
# 4. A client that hangs up without reading its replies costs lbd nothing.
# 5. A service on a new VIP, added with lbctl after start, is forwarded:
#    the datapath widens its capture filter and announces the VIP.
# 6. A real server whose MAC changes (a new NIC, a moved VM), announcing it
#    with gratuitous ARP, keeps its flows coming: lbd follows the kernel's
#    neighbour table instead of sending to the old MAC for ever.
# 7. A publication for another service does not restart this one's wrr
#    cycle: 2 picks, an edit elsewhere, 2 picks make one 2:1:1 cycle.
# Runs from the repo root.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=testbed/lib/check.sh
source testbed/lib/check.sh

readonly BACKENDS=3
readonly WEIGHTS=1,1,1
readonly LIFETIME=170		# seconds any job may live; the test takes about 40

lbctl() {
	run_in lb timeout 10 bin/lbctl --socket "$(tb_kv_get lbd_socket)" "$@"
}

# True when 9 requests through the VIP reach rs<i> at least once.
# shellcheck disable=SC2317  # called through wait_for
serves() {
	tb_send_requests 9 10
	((${TB_RESP_COUNT[rs$1]:-0} > 0))
}

# True when lbctl --health shows <addr>:80 <state>.
# shellcheck disable=SC2317  # called through wait_for
health_is() {
	lbctl -L -n --health | grep -q "$1:80 .* $2 "
}

check_unknown_mac_learned() {
	tb_send_requests 30
	tb_check_eq "rs3 without a known MAC: 30 requests answered" "$TB_RESP_OK" 30
	tb_check_eq "rs3 without a known MAC takes no flow" "${TB_RESP_COUNT[rs3]:-0}" 0
	run_in rs3 ip link set eth0 arp on
	if wait_for 15 "rs3 to take flows once it answers ARP" serves 3; then
		tb_pass "rs3 takes flows once it answers ARP"
	else
		tb_fail "rs3 takes flows once it answers ARP (within 15 s)"
	fi
	tb_send_requests 30
	tb_check_eq "then rs3 takes exactly its share (10 of 30)" \
		"${TB_RESP_COUNT[rs3]:-0}" 10
}

check_checker_restart() {
	local conf="$TB_STATE/lbd.conf" pid ip2
	pid=$(topo_lbd_pid)
	ip2=$(topo_rs_ip dr 2)
	cp "$conf" "$TB_STATE/good.conf"
	# rs2's check now wants 201: rs2 goes down.
	awk -v ip="$ip2" '$1 == "real_server" { cur = $2 }
		cur == ip && $1 == "status_code" { sub(/200/, "201") } { print }' \
		"$TB_STATE/good.conf" >"$conf"
	kill -HUP "$pid"
	if wait_for 10 "rs2 down after its check changed" health_is "$ip2" down; then
		tb_pass "rs2 is down while its check wants 201"
	else
		tb_fail "rs2 is down while its check wants 201"
	fi
	cp "$TB_STATE/good.conf" "$conf"
	kill -HUP "$pid"
	if wait_for 10 "rs2 up after its check is restored" health_is "$ip2" up; then
		tb_pass "rs2 comes back when the check is restored (not stuck down)"
	else
		tb_fail "rs2 comes back when the check is restored (not stuck down)"
	fi
	tb_send_requests 30
	tb_check_eq "then rs2 takes its share again (10 of 30)" \
		"${TB_RESP_COUNT[rs2]:-0}" 10
}

check_edit_burst() {
	local i ip1 lines="" oks
	ip1=$(topo_rs_ip dr 1)
	for ((i = 0; i < 70; i++)); do
		lines+="rs-edit tcp $TB_VIP:$TB_VPORT $ip1:80 dr $((1 + i % 2))"$'\n'
	done
	oks=$(printf '%s' "$lines" | run_in lb timeout 15 socat -t 10 - \
		"UNIX-CONNECT:$(tb_kv_get lbd_socket)" 2>/dev/null | grep -c '^ok$' || true)
	tb_check_eq "70 edits in one write: every one answered ok" "$oks" 70
	tb_check "lbd alive after a burst of 70 publications" topo_lbd_alive
	tb_check "the last edit is in force (weight 2)" \
		grep -q "$ip1:80 .*Route   2 " <<<"$(lbctl -L -n)"
}

check_hangup() {
	local i lines=""
	for ((i = 0; i < 2000; i++)); do
		lines+="list"$'\n'
	done
	# Writes every request, reads nothing, hangs up.
	printf '%s' "$lines" | run_in lb timeout 5 socat -u - \
		"UNIX-CONNECT:$(tb_kv_get lbd_socket)" >/dev/null 2>&1 || true
	wait_for 3 "lbd to answer after the hang-up" topo_lbd_alive || true
	tb_check "lbd alive after a client hung up on 2000 replies" topo_lbd_alive
	tb_send_requests 9
	tb_check_eq "and still forwarding (9 of 9)" "$TB_RESP_OK" 9
}

check_new_vip() {
	local vip2=10.0.0.101 ip1 body rc=0
	ip1=$(topo_rs_ip dr 1)
	run_in rs1 ip addr add "$vip2/32" dev lo
	lbctl -A -t "$vip2:80" -s rr
	lbctl -a -t "$vip2:80" -r "$ip1:80" -g -w 1
	body=$(run_in client timeout 6 curl -sS --connect-timeout 2 --max-time 4 \
		"http://$vip2/" 2>&1) || rc=$?
	tb_check_eq "a VIP added after start is forwarded (curl status)" "$rc" 0
	tb_check "... to its real server" grep -q "^rs1 " <<<"$body"
	tb_check_eq "the old VIP still forwards" \
		"$(run_in client timeout 6 curl -s -o /dev/null -w '%{http_code}' \
			--max-time 4 "http://$TB_VIP/")" 200
}

# rs2 takes a new MAC; arp_notify makes its kernel announce it (gratuitous
# ARP), as a replaced NIC or a migrated VM does.
check_moved_mac() {
	local from
	from=$(wc -l <"$TB_STATE/lbd.log")
	run_in rs2 sysctl -qw net.ipv4.conf.eth0.arp_notify=1
	run_in rs2 ip link set dev eth0 address 02:00:0a:00:00:99
	if wait_for 10 "lbd to send rs2's flows to its new MAC" serves 2; then
		tb_pass "rs2 takes flows again after its MAC changed"
	else
		tb_fail "rs2 takes flows again after its MAC changed (within 10 s)"
	fi
	tb_check "lbd logged the change" \
		grep -q "next hop $(topo_rs_ip dr 2) changed its MAC" \
		<(tail -n "+$((from + 1))" "$TB_STATE/lbd.log")
	# Weights are 2:1:1 since check_edit_burst: 28 requests, 7 cycles.
	tb_send_requests 28
	tb_check_eq "after the MAC change: 28 requests, none failed" "$TB_RESP_FAILED" 0
	tb_check_eq "... and rs2 takes exactly its share (7 of 28, wrr 2:1:1)" \
		"${TB_RESP_COUNT[rs2]:-0}" 7
}

check_cycle_survives_rebuild() {
	local ip1 ip2
	ip1=$(topo_rs_ip dr 1)
	ip2=$(topo_rs_ip dr 2)
	# A weight change the datapath sees starts a fresh cycle: 1:1:1 for one
	# request (taken up only by a batch), then 2:1:1 is rs1, rs2, rs3, rs1.
	lbctl -e -t "$TB_VIP:$TB_VPORT" -r "$ip1:80" -g -w 1
	tb_send_requests 1
	lbctl -e -t "$TB_VIP:$TB_VPORT" -r "$ip1:80" -g -w 2
	tb_send_requests 2
	local first="${TB_RESP_COUNT[rs1]:-0} ${TB_RESP_COUNT[rs2]:-0} ${TB_RESP_COUNT[rs3]:-0}"
	# Another service's edit: a new table, this service unchanged.
	lbctl -a -t 10.0.0.101:80 -r "$ip2:80" -g -w 1
	tb_send_requests 2
	tb_check_eq "2 picks, a publication elsewhere, 2 picks: one 2:1:1 cycle (rs1 rs2 rs3)" \
		"$first / ${TB_RESP_COUNT[rs1]:-0} ${TB_RESP_COUNT[rs2]:-0} ${TB_RESP_COUNT[rs3]:-0}" \
		"1 1 0 / 1 0 1"
}

main() {
	tb_test_begin
	topo_up dr "$BACKENDS" "$WEIGHTS"
	# rs3 does not answer ARP: lbd starts without its MAC. No neighbour
	# warm-up: lbd resolves the others itself.
	run_in rs3 ip link set eth0 arp off
	topo_start_http "$LIFETIME"
	TB_HC=1
	if ! tb_lbd_start "$LIFETIME"; then
		tb_test_end
	fi
	check_unknown_mac_learned
	check_checker_restart
	check_edit_burst
	check_hangup
	check_new_vip
	check_moved_mac
	check_cycle_survives_rebuild
	tb_check "lbd still running at the end" topo_lbd_alive
	tb_test_end
}

main "$@"
