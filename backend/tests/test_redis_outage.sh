#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Outage: Redis stops for 2 s mid-rush (graceful shutdown, AOF kept) and
# comes back on the same port. ticketd fails closed (503, no sale), does not
# crash, reconnects with backoff and sells the rest; nothing is oversold.
# A paused Redis (SIGSTOP) is caught by the reply deadline the same way.
#
#   4 curl buyers --> ticketd n1, n2 --> redis-server (stopped, restarted)
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=backend/tests/lib.sh
. backend/tests/lib.sh
trap tk_cleanup EXIT INT TERM
tk_require redis-server redis-cli curl ss timeout

readonly TOTAL=4000
readonly ROUNDS=10

sold_at_least() {
	[ "$(tk_sold "$1")" -ge "$2" ]
}

is_gone() {
	! kill -0 "$1" 2>/dev/null
}

buy_says() {
	curl -s -m 3 -X POST "http://127.0.0.1:$1/buy?user=$2" | grep -q "$3"
}

main() {
	local rport p1 p2 out round sold bpid pid1 pid2 rdir code
	rport=$(tk_free_port)
	p1=$(tk_free_port)
	p2=$(tk_free_port)
	out="$TK_TMP/out"
	rdir="$TK_TMP/redis"
	mkdir -p "$out" "$rdir"
	local ropts=(--appendonly yes --appendfsync always --dir "$rdir")
	tk_start_redis "$rport" "${ropts[@]}"
	tk_check "init a sale of $TOTAL" tk_ctl "$rport" init --total "$TOTAL" --ttl 600
	local opts=(--quota 100 --lease-ttl-ms 3000 --redis-timeout-ms 500)
	tk_start_ticketd n1 "$p1" "$rport" "${opts[@]}"
	pid1=$TK_LAST_PID
	tk_start_ticketd n2 "$p2" "$rport" "${opts[@]}"
	pid2=$TK_LAST_PID

	TK_USERS_PER=1500
	tk_buyers "$out" 1 "$p1" "$p2" "$p1" "$p2" &
	bpid=$!
	tk_check "the rush is under way" \
		tk_wait "300 sold" 30 sold_at_least "$rport" 300
	kill -TERM "$TK_REDIS_PID"
	tk_check "redis stopped" tk_wait "redis exit" 10 is_gone "$TK_REDIS_PID"
	tk_check "while Redis is down a buy answers 503 unavailable" \
		tk_wait "503" 3 buy_says "$p1" down_1 '"status":"unavailable"'
	code=$(curl -s -m 3 -o /dev/null -w '%{http_code}' -X POST \
		"http://127.0.0.1:$p2/buy?user=down_2")
	tk_eq "HTTP status is 503" 503 "$code"
	sleep 2		# the outage itself, not a readiness wait
	wait "$bpid" || true
	tk_check "ticketd n1 survived the outage" kill -0 "$pid1"
	tk_check "ticketd n2 survived the outage" kill -0 "$pid2"
	tk_eq "no order for users answered 503" "" \
		"$(redis-cli -p "$rport" HGET tk:users down_1 2>/dev/null || true)"
	tk_start_redis "$rport" "${ropts[@]}"
	tk_check "n1 reconnected" tk_wait "n1 reconnect" 15 tk_connected "$p1" 1
	tk_check "n2 reconnected" tk_wait "n2 reconnect" 15 tk_connected "$p2" 1
	tk_check "after restart: invariants hold" tk_ctl "$rport" report
	tk_eq "a user answered 503 never got an order" "" \
		"$(redis-cli -p "$rport" HGET tk:users down_1)"

	# A paused Redis: the reply deadline answers 503 instead of hanging.
	# (n1 first needs a lease again: until then it answers 503 without
	# asking Redis, and this check is about the reply deadline.)
	tk_check "n1 holds quota again" tk_wait "n1 quota" 10 bash -c \
		"curl -s -m 1 http://127.0.0.1:$p1/stats | grep -q '\"quota_left\":[1-9]'"
	# (TK_REDIS_PID is the timeout wrapper; pause redis-server itself.)
	local rpid
	rpid=$(redis-cli -p "$rport" INFO server | tr -d '\r' |
		sed -n 's/^process_id://p')
	kill -STOP "$rpid"
	code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' -X POST \
		"http://127.0.0.1:$p1/buy?user=paused_1")
	kill -CONT "$rpid"
	tk_eq "paused Redis: 503 within the reply deadline" 503 "$code"
	tk_check "n1 reconnected after the pause" \
		tk_wait "n1 reconnect" 15 tk_connected "$p1" 1

	# A seller whose first lease is not answered yet knows nothing of the
	# stock: 503, never a false sold_out while tickets remain. CLIENT PAUSE
	# WRITE holds the lease script; SCRIPT LOAD, not a write, goes through.
	local p3
	p3=$(tk_free_port)
	redis-cli -p "$rport" CLIENT PAUSE 4000 WRITE >/dev/null
	tk_start_ticketd n3 "$p3" "$rport" "${opts[@]}"
	tk_check "a seller not yet leased answers unavailable, not sold_out" \
		buy_says "$p3" fresh_1 '"status":"unavailable"'
	redis-cli -p "$rport" CLIENT UNPAUSE >/dev/null
	tk_check "... and sells once its lease arrives" \
		tk_wait "n3 sells" 10 buy_says "$p3" fresh_2 '"status":"ok"'

	for round in $(seq 2 "$ROUNDS"); do
		sold=$(tk_sold "$rport")
		[ "$sold" -ge "$TOTAL" ] && break
		tk_buyers "$out" "$round" "$p1" "$p2" "$p1" "$p2"
	done
	tk_eq "sold == total after recovery" "$TOTAL" "$(tk_sold "$rport")"
	tk_check "503s were answered during the outage" \
		test "$(tk_count "$out" unavailable)" -gt 0
	tk_check "report: zero oversell, every invariant holds" \
		tk_ctl "$rport" report
	tk_summary
}

main "$@"
