#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Shared helpers for the backend integration suites (sourced, not run).
# Each suite runs a private redis-server and ticketd processes on free
# loopback ports, under timeout, and kills only the PIDs it started.
#
#   curl/buyers --> ticketd n1..nN (127.0.0.1:Pi) --> redis-server (127.0.0.1:R)

TK_PIDS=()
TK_PASS=0
TK_FAIL=0
TK_PORTS=()
TK_TMP=$(mktemp -d /tmp/tk-test.XXXXXX)
readonly TK_TMP
readonly TK_RUN_LIMIT=300	# seconds any helper process may live
# Where ticketd and ticketctl come from; e.g. TK_BIN=build/asan/bin runs
# the suites against sanitizer builds.
TK_BIN=${TK_BIN:-bin}
readonly TK_BIN

tk_cleanup() {
	local pid
	for pid in "${TK_PIDS[@]+"${TK_PIDS[@]}"}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${TK_PIDS[@]+"${TK_PIDS[@]}"}"; do
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$TK_TMP" || true
}

# tk_require CMD...: exit 4 (skip) when a tool is missing.
tk_require() {
	local c
	for c in "$@"; do
		if ! command -v "$c" >/dev/null 2>&1; then
			echo "skipped: $c not installed"
			exit 4
		fi
	done
	if [ ! -x "$TK_BIN"/ticketd ] || [ ! -x "$TK_BIN"/ticketctl ]; then
		echo "skipped: $TK_BIN/ticketd or $TK_BIN/ticketctl not built (make backend)"
		exit 4
	fi
}

tk_ok() {
	TK_PASS=$((TK_PASS + 1))
	printf 'ok   %s\n' "$1"
}

tk_not_ok() {
	TK_FAIL=$((TK_FAIL + 1))
	printf 'FAIL %s\n' "$1"
}

# tk_check DESC CMD...: one test case.
tk_check() {
	local desc=$1
	shift
	if "$@"; then
		tk_ok "$desc"
	else
		tk_not_ok "$desc"
	fi
}

# tk_eq DESC EXPECTED ACTUAL
tk_eq() {
	if [ "$2" = "$3" ]; then
		tk_ok "$1"
	else
		tk_not_ok "$1 (expected '$2', got '$3')"
	fi
}

tk_summary() {
	printf '%d passed, %d failed\n' "$TK_PASS" "$TK_FAIL"
	[ "$TK_FAIL" -eq 0 ]
}

# tk_free_port: prints a free loopback TCP port not handed out before.
tk_free_port() {
	local p i used
	for i in $(seq 1 200); do
		# Below the ephemeral range, so no client socket holds it.
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
		used=0
		if [ -n "$(ss -ltnH "sport = :$p")" ]; then
			used=1
		fi
		if [[ " ${TK_PORTS[*]+"${TK_PORTS[*]}"} " == *" $p "* ]]; then
			used=1
		fi
		if [ "$used" -eq 0 ]; then
			TK_PORTS+=("$p")
			echo "$p"
			return 0
		fi
		: "$i"
	done
	return 1
}

# tk_wait DESC SECONDS CMD...: polls CMD every 50 ms until it succeeds.
tk_wait() {
	local desc=$1 secs=$2 deadline
	shift 2
	deadline=$((SECONDS + secs))
	while [ "$SECONDS" -lt "$deadline" ]; do
		if "$@"; then
			return 0
		fi
		sleep 0.05
	done
	echo "timed out after ${secs}s waiting for: $desc" >&2
	return 1
}

tk_redis_up() {
	[ "$(redis-cli -p "$1" ping 2>/dev/null)" = "PONG" ]
}

# tk_start_redis PORT [ARGS...]: sets TK_REDIS_PID.
tk_start_redis() {
	local port=$1
	shift
	timeout "$TK_RUN_LIMIT" redis-server --port "$port" --bind 127.0.0.1 \
		--save '' --appendonly no --daemonize no "$@" \
		>>"$TK_TMP/redis-$port.log" 2>&1 &
	TK_REDIS_PID=$!
	TK_PIDS+=("$TK_REDIS_PID")
	if ! tk_wait "redis on $port" 10 tk_redis_up "$port"; then
		tail -n 5 "$TK_TMP/redis-$port.log" >&2
		return 1
	fi
}

# tk_connected PORT N: the ticketd on PORT has N loops with Redis ready.
tk_connected() {
	curl -s -m 2 "http://127.0.0.1:$1/stats" 2>/dev/null |
		grep -q "\"redis_connected\":$2,"
}

# tk_start_ticketd NAME PORT REDISPORT [ARGS...]: sets TK_LAST_PID (the
# timeout wrapper, which forwards TERM) and TK_LAST_TICKETD (ticketd itself,
# for SIGKILL, which timeout cannot forward), and waits until every loop is
# connected (the default is one thread).
tk_start_ticketd() {
	local name=$1 port=$2 rport=$3 threads=1 a
	shift 3
	for a in "$@"; do
		case "$a" in
		--threads=*) threads=${a#--threads=} ;;
		esac
	done
	timeout "$TK_RUN_LIMIT" "$TK_BIN"/ticketd --listen "127.0.0.1:$port" \
		--redis "127.0.0.1:$rport" --node "$name" "$@" \
		>>"$TK_TMP/ticketd-$name.log" 2>&1 &
	TK_LAST_PID=$!
	TK_PIDS+=("$TK_LAST_PID")
	tk_wait "ticketd $name on $port" 10 tk_connected "$port" "$threads"
	# shellcheck disable=SC2034 # read by the suites
	TK_LAST_TICKETD=$(pgrep -P "$TK_LAST_PID" ticketd)
}

# tk_ctl REDISPORT ARGS...: runs ticketctl against the test Redis.
tk_ctl() {
	local rport=$1
	shift
	timeout 30 "$TK_BIN"/ticketctl --redis "127.0.0.1:$rport" "$@"
}

# tk_field NAME: reads one numeric field of a JSON object on stdin.
tk_field() {
	grep -o "\"$1\":[0-9-]*" | head -n 1 | cut -d: -f2
}

# tk_sold REDISPORT: tickets sold now (live orders).
tk_sold() {
	redis-cli -p "$1" GET tk:sold 2>/dev/null || echo 0
}

# tk_buyers OUTDIR ROUND PORT... : one curl per port, each buying
# TK_USERS_PER distinct users "r<ROUND>b<i>_<n>" over one keep-alive
# connection (curl URL globbing), in parallel; waits for all of them.
tk_buyers() {
	local out=$1 round=$2 i=0 port pids=()
	shift 2
	for port in "$@"; do
		i=$((i + 1))
		timeout 120 curl -s -m 60 -X POST \
			"http://127.0.0.1:$port/buy?user=r${round}b${i}_[1-${TK_USERS_PER:-200}]" \
			>"$out/buy-r$round-b$i.out" 2>/dev/null &
		pids+=("$!")
	done
	for port in "${pids[@]}"; do
		wait "$port" || true
	done
}

# tk_count OUTDIR PATTERN: lines matching PATTERN in every buy output.
tk_count() {
	cat "$1"/buy-*.out 2>/dev/null | grep -c "$2" || true
}

# tk_orders OUTDIR: the order ids of every successful buy, one a line.
tk_orders() {
	cat "$1"/buy-*.out 2>/dev/null | grep '"status":"ok"' |
		grep -o '"order":"[0-9]*"' | cut -d'"' -f4 || true
}
