#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# HTTP surface: bad user ids (400 JSON), unknown paths (404), methods (405),
# header and body limits, slowloris clients cut at the request deadline,
# fail-closed without Redis (503), and a SIGTERM drain that turns health
# 503, finishes, exits 0 and returns the lease to the unified stock.
#
#   curl, bash /dev/tcp --> ticketd h1 (and h2 with no Redis) --> redis-server
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=backend/tests/lib.sh
. backend/tests/lib.sh
trap tk_cleanup EXIT INT TERM
trap '' PIPE	# writes to a socket the server closed must fail, not kill us
tk_require redis-server redis-cli curl ss timeout

readonly REQ_TIMEOUT_MS=1500

code_of() {
	curl -s -m 5 -o "$TK_TMP/body" -w '%{http_code}' "$@" || true
}

# A client that sends a header one line every 300 ms, forever. Prints
# "closed" when the server hangs up, "open" if it is still up after 10 s.
slowloris() {
	local port=$1 fd i rc line
	exec {fd}<>"/dev/tcp/127.0.0.1/$port"
	printf 'GET /health HTTP/1.1\r\nHost: x\r\n' >&"$fd"
	for i in $(seq 1 33); do
		{ printf 'X-Slow-%d: y\r\n' "$i" >&"$fd"; } 2>/dev/null || break
		rc=0
		read -r -t 0.3 -u "$fd" line || rc=$?
		if [ "$rc" -ne 0 ] && [ "$rc" -le 128 ]; then
			break	# EOF: the server closed the connection
		fi
		[ "$rc" -eq 0 ] && break	# an answer (should not happen)
	done
	exec {fd}>&-
	if [ "$i" -lt 33 ]; then
		echo closed
	else
		echo open
	fi
	: "$line"
}

is_gone() {
	! kill -0 "$1" 2>/dev/null
}

main() {
	local rport p1 p2 u c pid t0 t1 big
	rport=$(tk_free_port)
	p1=$(tk_free_port)
	p2=$(tk_free_port)
	tk_start_redis "$rport"
	tk_check "init" tk_ctl "$rport" init --total 100 --ttl 60
	tk_start_ticketd h1 "$p1" "$rport" --quota 10 --drain-ms 1500 \
		--request-timeout-ms "$REQ_TIMEOUT_MS" --idle-timeout 5 \
		--redis-timeout-ms 5000
	pid=$TK_LAST_PID

	tk_eq "health 200" 200 "$(code_of "http://127.0.0.1:$p1/health")"
	tk_eq "stats 200" 200 "$(code_of "http://127.0.0.1:$p1/stats")"
	tk_check "stats is JSON with node, quota, sold, errors, latency" grep -q \
		'^{"node":"h1",.*"quota_left":[0-9]*,.*"sold":0,.*"errors":0,.*"redis_rtt_us":[0-9]*}$' \
		"$TK_TMP/body"
	tk_eq "a good buy: 200 ok" 200 \
		"$(code_of -X POST "http://127.0.0.1:$p1/buy?user=good_1")"
	tk_check "a good buy: ok JSON with order" grep -q \
		'^{"status":"ok","order":"[0-9]*"}$' "$TK_TMP/body"
	tk_eq "GET /buy is accepted" 200 \
		"$(code_of "http://127.0.0.1:$p1/buy?user=good_2")"

	# Bad user ids: 400 with a JSON error, and no order.
	big=$(printf 'u%.0s' $(seq 1 65))
	for u in "" "$big" "a%20b" "a.b" "a/b" "%C3%BC" "x%00y" "%zz" "a'b" "a%22b"; do
		c=$(code_of -X POST "http://127.0.0.1:$p1/buy?user=$u")
		tk_eq "user id '$u': 400" 400 "$c"
		tk_check "user id '$u': JSON error" grep -q \
			'^{"status":"error","error":"[^"]*"}$' "$TK_TMP/body"
	done
	tk_eq "missing user: 400" 400 "$(code_of -X POST "http://127.0.0.1:$p1/buy")"
	tk_eq "64-char user id is fine" 200 \
		"$(code_of -X POST "http://127.0.0.1:$p1/buy?user=${big:1}")"
	tk_eq "bad ids sold nothing" 3 "$(tk_sold "$rport")"

	tk_eq "unknown path: 404" 404 "$(code_of "http://127.0.0.1:$p1/admin")"
	tk_check "404 is JSON" grep -q '"error":"not found"' "$TK_TMP/body"
	tk_eq "PUT /buy: 405" 405 \
		"$(code_of -X PUT "http://127.0.0.1:$p1/buy?user=x")"
	tk_eq "GET /pay: 405" 405 \
		"$(code_of "http://127.0.0.1:$p1/pay?user=x&order=1")"

	# Limits: 8 KiB of headers, 4 KiB of body.
	head -c 16384 /dev/zero | tr '\0' 'h' >"$TK_TMP/hdr"
	c=$(code_of -H "X-Big: $(cat "$TK_TMP/hdr")" "http://127.0.0.1:$p1/health")
	tk_eq "16 KiB header: 400 from the header limit" 400 "$c"
	head -c 10000 /dev/zero | tr '\0' 'b' >"$TK_TMP/post"
	c=$(code_of -X POST --data-binary "@$TK_TMP/post" \
		"http://127.0.0.1:$p1/buy?user=bodyuser")
	tk_eq "10 KB body: 413" 413 "$c"
	c=$(code_of "http://127.0.0.1:$p1/buy?user=$(head -c 3000 /dev/zero | tr '\0' 'a')")
	tk_eq "3000-byte request target: 414" 414 "$c"

	# Slowloris: cut within the request deadline, server still serving.
	t0=$SECONDS
	tk_eq "slowloris client is disconnected" closed "$(slowloris "$p1")"
	t1=$SECONDS
	tk_check "... within the deadline ($((t1 - t0)) s)" \
		test $((t1 - t0)) -le $((REQ_TIMEOUT_MS / 1000 + 3))
	tk_eq "server still serves after slowloris" 200 \
		"$(code_of "http://127.0.0.1:$p1/health")"

	# Fail closed: a ticketd whose Redis is unreachable answers 503.
	timeout "$TK_RUN_LIMIT" "$TK_BIN"/ticketd --listen "127.0.0.1:$p2" \
		--redis "127.0.0.1:$(tk_free_port)" --node h2 \
		>>"$TK_TMP/ticketd-h2.log" 2>&1 &
	TK_PIDS+=("$!")
	tk_check "h2 up" tk_wait "h2 health" 10 bash -c \
		"curl -s -m 1 http://127.0.0.1:$p2/health | grep -q ok"
	tk_eq "no Redis: buy answers 503" 503 \
		"$(code_of -X POST "http://127.0.0.1:$p2/buy?user=nobody")"
	tk_check "no Redis: JSON unavailable" grep -q \
		'^{"status":"unavailable"}$' "$TK_TMP/body"
	tk_check "no Redis: still alive after retries" kill -0 "${TK_PIDS[-1]}"

	# Drain: health 503 while in-flight work finishes, then exit 0 and
	# the lease is back in the unified stock.
	tk_check "h1 holds a lease before the drain" test \
		"$(redis-cli -p "$rport" HGET tk:leases h1/0)" -gt 0
	# A buy in flight when SIGTERM arrives still gets its answer: Redis is
	# paused so the buy waits, the drain starts, then Redis resumes.
	local rpid cpid
	rpid=$(redis-cli -p "$rport" INFO server | tr -d '\r' |
		sed -n 's/^process_id://p')
	kill -STOP "$rpid"
	timeout 10 curl -s -m 8 -X POST "http://127.0.0.1:$p1/buy?user=inflight_1" \
		>"$TK_TMP/inflight.out" &
	cpid=$!
	tk_check "a buy is in flight" tk_wait "inflight" 5 bash -c \
		"curl -s -m 1 http://127.0.0.1:$p1/stats | grep -q '\"inflight\":1,'"
	kill -TERM "$pid"
	tk_check "draining: health turns 503" tk_wait "health 503" 5 bash -c \
		"[ \"\$(curl -s -m 1 -o /dev/null -w '%{http_code}' http://127.0.0.1:$p1/health)\" = 503 ]"
	kill -CONT "$rpid"
	wait "$cpid" || true
	tk_check "the in-flight buy finished with its order" grep -q \
		'^{"status":"ok","order":"[0-9]*"}$' "$TK_TMP/inflight.out"
	tk_eq "draining: buys still served" 200 \
		"$(code_of -X POST "http://127.0.0.1:$p1/buy?user=late_1")"
	tk_check "drained ticketd exits" tk_wait "h1 exit" 10 is_gone "$pid"
	c=0
	wait "$pid" || c=$?
	tk_eq "exit status 0" 0 "$c"
	tk_eq "the drained node returned its lease" "" \
		"$(redis-cli -p "$rport" HGET tk:leases h1/0)"
	tk_eq "remaining + sold == total after the drain" 100 \
		$(($(redis-cli -p "$rport" GET tk:remaining) + $(tk_sold "$rport")))
	tk_check "report: every invariant holds" tk_ctl "$rport" report
	tk_summary
}

main "$@"
