#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# High-concurrency rush: wrk with 3 x 64 keep-alive connections of distinct
# users hammers 3 ticketd processes (2 loops each) for a sale of 5000
# tickets. Every ticket is sold exactly once: sold == total, one order per
# user, and every answer is a 200.
#
#   wrk x3 (64 connections each) --> ticketd n1, n2, n3 --> redis-server
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=backend/tests/lib.sh
. backend/tests/lib.sh
trap tk_cleanup EXIT INT TERM
tk_require redis-server redis-cli curl ss timeout wrk

readonly TOTAL=5000
readonly SECS=4

main() {
	local rport ports=() port i pids=() sold non2xx=0 n
	rport=$(tk_free_port)
	tk_start_redis "$rport"
	tk_check "init a sale of $TOTAL" tk_ctl "$rport" init --total "$TOTAL" --ttl 600
	for i in 1 2 3; do
		port=$(tk_free_port)
		ports+=("$port")
		tk_start_ticketd "n$i" "$port" "$rport" --threads=2 --quota 200 \
			--redis-timeout-ms 5000
	done
	i=0
	for port in "${ports[@]}"; do
		i=$((i + 1))
		timeout $((SECS + 30)) wrk -t2 -c64 -d"${SECS}s" \
			-s backend/bench/buy.lua "http://127.0.0.1:$port" -- "n$i" \
			>"$TK_TMP/wrk-$i.out" 2>&1 &
		pids+=("$!")
	done
	for i in "${pids[@]}"; do
		wait "$i" || true
	done
	for i in 1 2 3; do
		n=$(sed -n 's/.*non2xx=\([0-9]*\).*/\1/p' "$TK_TMP/wrk-$i.out")
		tk_check "wrk $i ran" test -n "$n"
		non2xx=$((non2xx + ${n:-1}))
	done
	sold=$(tk_sold "$rport")
	tk_eq "every answer was a 200" 0 "$non2xx"
	tk_eq "sold == total under wrk load" "$TOTAL" "$sold"
	tk_eq "orders created == total" "$TOTAL" \
		"$(redis-cli -p "$rport" GET tk:seq)"
	tk_eq "stream holds one order_created per order" "$TOTAL" \
		"$(redis-cli -p "$rport" XLEN tk:orders)"
	tk_check "report: every invariant holds" tk_ctl "$rport" report
	tk_summary
}

main "$@"
