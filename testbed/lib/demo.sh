#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The ticket rush through the VIP, for `tb demo` and test_rush.sh: wrk in
# the client namespace with lib/rush.lua (every buyer once, keep-alive
# connections, a multiple of the weight sum so lbd's wrr shows exactly),
# progress from Redis every second, then connections per backend against
# the weights, `ticketctl report` and its invariants. Sourced by tb after
# drill.sh (which brings load.sh and verify.sh).
#
#   client wrk (rush.lua) --> VIP 10.0.0.100:80 (lbd) --> rs1..rs4 ticketd --> redis

set -euo pipefail

if [[ -n "${TB_DEMO_LOADED:-}" ]]; then
	return 0
fi
TB_DEMO_LOADED=1

# shellcheck source=testbed/lib/verify.sh
source "$(dirname "${BASH_SOURCE[0]}")/verify.sh"

RUSH_LINE=''
RUSH_LAT=''

# Prints Redis's count of sold tickets (key tk:sold), or "?".
rush_sold_now() {
	local addr v
	addr=$(topo_redis_addr)
	v=$(run_in redis timeout 2 redis-cli -h "${addr%:*}" -p "${addr##*:}" \
		GET tk:sold 2>/dev/null) || v=''
	printf '%s\n' "${v:-?}"
}

# Returns 0 when all <n> wrk threads have created their done file.
rush_threads_done() {
	local n=$1 t
	for ((t = 0; t < n; t++)); do
		[[ -e "$TB_STATE/rush.done.$t" ]] || return 1
	done
}

# Returns 0 when process <pid> has ended.
rush_wrk_gone() {
	! kill -0 "$1" 2>/dev/null || [[ "$(ps -o stat= -p "$1" 2>/dev/null)" == Z* ]]
}

# Prints field <key> of a "RUSH k=v ..." or "LAT k=v ..." line.
rush_field() {
	local line=$1 key=$2
	awk -v k="$key" '{ for (i = 2; i <= NF; i++) { split($i, kv, "=");
		if (kv[1] == k) print kv[2] } }' <<<"$line"
}

# Runs the rush of <users> distinct buyers with <conns> keep-alive
# connections (at most <secs> seconds), printing progress; leaves wrk's
# RUSH and LAT lines in RUSH_LINE and RUSH_LAT. Counts PASS/FAIL. One wrk
# thread (one loop is far faster than 4 ticketd on this box), so that wrk
# opens exactly <conns> connections plus the probe connection it makes
# (connect, close) before starting.
rush_run() {
	local users=$1 conns=$2 secs=$3 threads=1 pid t0 i sold tickets log
	tickets=$(tb_kv_get tickets)
	log="$TB_STATE/rush.wrk.log"
	rm -f -- "$TB_STATE"/rush.done.*
	tb_spawn client rush.wrk "$((secs + 5))" wrk -t "$threads" -c "$conns" \
		-d "${secs}s" --timeout 3s -s "$TB_DIR/lib/rush.lua" \
		"http://$TB_VIP:$TB_VPORT" -- "$users" "$threads" "$TB_STATE/rush.done"
	pid=$TB_LAST_PID
	t0=$(tb_now_ms)
	for ((i = 0; i < (secs + 5) * 4; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			break
		fi
		if rush_threads_done "$threads"; then
			# wrk runs for its whole -d; SIGINT makes it report now.
			kill -INT "$(topo_child_pid "$pid")" 2>/dev/null || true
			wait_for 5 "wrk to exit after SIGINT" rush_wrk_gone "$pid" || true
			break
		fi
		sleep 0.25
		if ((i % 4 == 3)); then
			sold=$(rush_sold_now)
			printf '  %3d s  sold %s / %s\n' "$(((($(tb_now_ms) - t0) + 500) / 1000))" \
				"$sold" "$tickets"
		fi
	done
	tb_stop "$pid" 2 || true
	RUSH_LINE=$(grep '^RUSH ' "$log" || true)
	RUSH_LAT=$(grep '^LAT ' "$log" || true)
	printf '  rush took %.1f s\n' "$(awk -v d="$(($(tb_now_ms) - t0))" 'BEGIN { print d / 1000 }')"
	if [[ -z "$RUSH_LINE" ]]; then
		tb_fail "wrk finished the rush" "$(tail -n 5 "$log")"
		return 0
	fi
	printf '  wrk: %s\n       %s\n' "${RUSH_LINE#RUSH }" "${RUSH_LAT#LAT }"
	tb_check_eq "every buyer got an answer (buys answered)" \
		"$(rush_field "$RUSH_LINE" buys)" "$users"
	tb_check_eq "no answer other than ok/duplicate/sold_out/unavailable" \
		"$(rush_field "$RUSH_LINE" other)" 0
	tb_check_eq "tickets sold to buyers (ok answers)" \
		"$(rush_field "$RUSH_LINE" ok)" "$tickets"
}

# Prints the new connections per backend (<delta>) against the weights
# and checks them: exact when <conns> is a multiple of the weight sum.
rush_conns_table() {
	local delta=$1 conns=$2 i got w sum=0
	local -a ws=()
	IFS=, read -r -a ws <<<"$(tb_kv_get weights)"
	for w in "${ws[@]}"; do
		sum=$((sum + w))
	done
	printf '  %-4s %-15s %6s %8s %8s\n' rs address weight conns expected
	while read -r i got; do
		w=${ws[$((i - 1))]}
		printf '  rs%-2s %-15s %6s %8s %8s\n' "$i" "$(topo_rs_ip "$(tb_kv_get mode)" "$i")" \
			"$w" "$got" "$((conns * w / sum))"
	done <<<"$delta"
	vf_check_wrr_delta "$delta" "$conns"
}

# Runs `ticketctl report` and checks: exit 0 (every invariant), sold ==
# total, one order per user (orders == sold with no duplicate user).
rush_report() {
	local out rc=0 json sold total orders
	out=$(topo_ticketctl report 2>&1) || rc=$?
	printf '%s\n' "$out" | sed 's/^/  /'
	tb_check_eq "ticketctl report: every invariant holds (exit status)" "$rc" 0
	json=$(topo_ticketctl --json report 2>/dev/null) || json='{}'
	sold=$(jq -r '.sold // "?"' <<<"$json" 2>/dev/null || printf '?')
	total=$(jq -r '.total // "?"' <<<"$json" 2>/dev/null || printf '?')
	orders=$(jq -r '.orders // "?"' <<<"$json" 2>/dev/null || printf '?')
	tb_check_eq "sold $sold/$total" "$sold" "$total"
	tb_check_eq "orders == sold (one order per ticket, no duplicate user)" "$orders" "$sold"
}
