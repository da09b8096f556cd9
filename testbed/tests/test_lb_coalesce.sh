#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Integration: lbd_rx_coalesce_us, applied by a reload. In NAT every packet
# of a request crosses lbd, each one a round of its own when the requests
# come one at a time, so a 1000 us wait after every short round must add
# milliseconds to each request, and taking it out again must take them
# away. Every request must still be answered, and SIGUSR1 must report the
# setting in force.
#
#   client -- router --[bridge lan]-- lb eth0 (lbd, VIP 10.0.0.100) / eth1
#                      [bridge inside]-- rs1, rs2 10.1.0.11-12:8080
# Runs from the repo root.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=testbed/lib/verify.sh
source testbed/lib/verify.sh

readonly BACKENDS=2
readonly WEIGHTS=1,1
readonly REQUESTS=31
readonly WAIT_US=1000
readonly LIFETIME=120	# seconds any job may live; the test takes about 15

# One request from the client to the VIP, one connection; prints
# "<http code> <time_total in s>".
vip_get() {
	run_in client timeout 5 curl -s --noproxy '*' --max-time 3 -o /dev/null \
		-w '%{http_code} %{time_total}\n' "http://$TB_VIP:$TB_VPORT/"
}

# Prints the median time_total in microseconds of REQUESTS sequential
# requests through the VIP, one connection each, and the number answered,
# as "<median_us> <answered>" (-1 for the median when none was). Three
# requests before them, not counted, warm every path.
median_us() {
	local i t ok=0
	local -a ts=()
	for ((i = 0; i < 3; i++)); do
		vip_get >/dev/null || true
	done
	for ((i = 0; i < REQUESTS; i++)); do
		if t=$(vip_get); then
			if [[ "$t" == 200\ * ]]; then
				ok=$((ok + 1))
				ts+=("${t#* }")
			fi
		fi
	done
	if ((ok == 0)); then
		printf -- '-1 0\n'
		return 0
	fi
	printf '%s\n' "${ts[@]}" | sort -g |
		awk -v ok="$ok" '{ x[NR] = $1 }
			END { printf "%d %d\n", x[int((NR + 1) / 2)] * 1000000, ok }'
}

# Returns 0 when lbd's last counter dump says rx_coalesce_us <us>.
# shellcheck disable=SC2317  # called through wait_for and tb_check
reports() {
	local pid n
	pid=$(topo_lbd_pid)
	n=$(vf_dumps)
	kill -USR1 "$pid"
	wait_for 3 "lbd counters on SIGUSR1" vf_dump_done "$n" 0 || return 1
	grep '^lbd counters:' "$TB_STATE/lbd.log" | tail -n 1 |
		grep -q " rx_coalesce_us $1\$"
}

# Rewrites lbd.conf with lbd_rx_coalesce_us <us> and reloads lbd.
set_wait() {
	local us=$1 conf="$TB_STATE/lbd.conf"
	sed -i '/lbd_rx_coalesce_us/d' "$conf"
	sed -i "s/^global_defs {\$/global_defs {\n    lbd_rx_coalesce_us $us/" "$conf"
	kill -HUP "$(topo_lbd_pid)"
	if wait_for 5 "lbd to report rx_coalesce_us $us" reports "$us"; then
		tb_pass "after a reload lbd reports rx_coalesce_us $us"
	else
		tb_fail "after a reload lbd reports rx_coalesce_us $us"
	fi
}

main() {
	local base slow back ok
	tb_scenario_up nat "$BACKENDS" "$WEIGHTS" "$LIFETIME"
	tb_lbd_start "$LIFETIME" || tb_test_end
	tb_check "lbd reports rx_coalesce_us 0 by default" reports 0
	read -r base ok < <(median_us)
	tb_check_eq "no wait: $REQUESTS requests answered" "$ok" "$REQUESTS"
	set_wait "$WAIT_US"
	read -r slow ok < <(median_us)
	tb_check_eq "$WAIT_US us wait: $REQUESTS requests answered" "$ok" "$REQUESTS"
	set_wait 0
	read -r back ok < <(median_us)
	tb_check_eq "wait removed: $REQUESTS requests answered" "$ok" "$REQUESTS"
	printf '  median time_total: %d us without, %d us with the wait, %d us after\n' \
		"$base" "$slow" "$back"
	# Two hops of a request through lbd come while it waits, the SYN-ACK
	# and the request (about 2 ms here); the answer may come later.
	tb_check "a $WAIT_US us wait adds over 1 ms to a request" \
		test "$slow" -gt $((base + 1000))
	tb_check "taking it out takes it away again" \
		test "$back" -lt $((slow - 1000))
	tb_check "lbd still running" topo_lbd_alive
	tb_test_end
}

main "$@"
