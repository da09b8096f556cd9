#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Backend benchmark: wrk against one ticketd (1 loop) on loopback, keep-alive.
#   1. Redis path: every request a distinct user, so every request runs the
#      buy script (EVALSHA) once; compared, alternating, with redis-benchmark
#      running the same EVALSHA at the same concurrency.
#   2. Sold-out path: a node with an empty local quota answers sold_out
#      without touching Redis.
# Besides req/s and p99 it reports CPU time per request (Redis from INFO cpu,
# ticketd from /proc), which stays meaningful on a busy shared machine.
# Usage: backend/bench/run.sh [SECONDS] [CONNECTIONS] [REPEATS]
#
#   wrk --> ticketd (127.0.0.1:H) --> redis-server (127.0.0.1:R)
#   redis-benchmark ----------------> redis-server (same EVALSHA)
set -euo pipefail
cd "$(dirname "$0")/../.."

readonly SECS=${1:-10}
readonly CONNS=${2:-50}
readonly REPEATS=${3:-3}
PIDS=()
TMP=$(mktemp -d /tmp/tk-bench.XXXXXX)
readonly TMP
TICK=$(getconf CLK_TCK)
readonly TICK

cleanup() {
	local pid
	for pid in "${PIDS[@]+"${PIDS[@]}"}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]+"${PIDS[@]}"}"; do
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$TMP" || true
}
trap cleanup EXIT INT TERM

for c in redis-server redis-cli redis-benchmark wrk curl ss timeout pgrep; do
	if ! command -v "$c" >/dev/null 2>&1; then
		echo "skipped: $c not installed"
		exit 4
	fi
done
if [ ! -x bin/ticketd ] || [ ! -x bin/ticketctl ]; then
	echo "skipped: run make backend first"
	exit 4
fi

free_port() {
	local p
	while :; do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
		if [ -z "$(ss -ltnH "sport = :$p")" ]; then
			echo "$p"
			return 0
		fi
	done
}

wait_for() {
	local secs=$1 deadline
	shift
	deadline=$((SECONDS + secs))
	while [ "$SECONDS" -lt "$deadline" ]; do
		"$@" && return 0
		sleep 0.05
	done
	echo "timed out: $*" >&2
	return 1
}

redis_up() {
	[ "$(redis-cli -p "$1" ping 2>/dev/null)" = PONG ]
}

ticketd_ready() {
	curl -s -m 1 "http://127.0.0.1:$1/stats" | grep -q '"redis_connected":1,'
}

# Redis CPU seconds so far (user + sys).
redis_cpu() {
	redis-cli -p "$1" INFO cpu | tr -d '\r' |
		awk -F: '/^used_cpu_(user|sys):/ { s += $2 } END { printf "%.4f\n", s }'
}

# A process's CPU seconds so far (user + sys).
proc_cpu() {
	awk -v t="$TICK" '{ printf "%.4f\n", ($14 + $15) / t }' "/proc/$1/stat"
}

# us_per DELTA_SECONDS REQUESTS: CPU microseconds per request.
us_per() {
	awk -v d="$1" -v n="$2" 'BEGIN { printf "%.1f\n", n ? d * 1e6 / n : 0 }'
}

# One wrk run; prints "rps p99_ms redis_us/req ticketd_us/req".
run_wrk() {
	local port=$1 script=$2 tag=$3 rport=$4 tpid=$5 line r0 r1 t0 t1 n
	r0=$(redis_cpu "$rport")
	t0=$(proc_cpu "$tpid")
	line=$(timeout $((SECS + 30)) wrk -t1 -c"$CONNS" -d"${SECS}s" \
		-s "$script" "http://127.0.0.1:$port" -- "$tag" | grep '^BENCH')
	r1=$(redis_cpu "$rport")
	t1=$(proc_cpu "$tpid")
	echo "wrk $line" >>"$TMP/raw"
	n=$(sed -E 's/.*requests=([0-9]+).*/\1/' <<<"$line")
	printf '%s %s %s\n' \
		"$(sed -E 's/.*rps=([0-9]+) p50_ms=[0-9.]+ p99_ms=([0-9.]+).*/\1 \2/' <<<"$line")" \
		"$(us_per "$(awk -v a="$r0" -v b="$r1" 'BEGIN { print b - a }')" "$n")" \
		"$(us_per "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" "$n")"
}

# One redis-benchmark run of the buy EVALSHA; prints "rps p99_ms redis_us/req".
run_rb() {
	local rport=$1 sha=$2 n=$3 line r0 r1
	r0=$(redis_cpu "$rport")
	line=$(timeout $((SECS + 30)) redis-benchmark -p "$rport" -c "$CONNS" \
		-n "$n" -r 1000000000 --csv \
		EVALSHA "$sha" 0 tk: rb__rand_int__ bench bench/0 | tail -n 1)
	r1=$(redis_cpu "$rport")
	echo "redis-benchmark $line" >>"$TMP/raw"
	printf '%s %s\n' \
		"$(awk -F'","' '{ gsub(/"/, "", $2); gsub(/"/, "", $7);
			printf "%.0f %s\n", $2, $7 }' <<<"$line")" \
		"$(us_per "$(awk -v a="$r0" -v b="$r1" 'BEGIN { print b - a }')" "$n")"
}

# median FILE: the median of the numbers in FILE, one a line.
median() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		if (NR % 2) print v[(NR + 1) / 2];
		else printf "%g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

row() {
	printf '%-30s %9s %8s %11s %11s\n' "$@"
}

main() {
	local rport h1 h2 sha lsha i w rb n t1pid t2pid a
	rport=$(free_port)
	h1=$(free_port)
	h2=$(free_port)
	timeout 3600 redis-server --port "$rport" --bind 127.0.0.1 --save '' \
		--appendonly no --daemonize no >"$TMP/redis.log" 2>&1 &
	PIDS+=("$!")
	wait_for 10 redis_up "$rport"
	bin/ticketctl --redis "127.0.0.1:$rport" init --total 1000000000 \
		--ttl 3600 >/dev/null
	bin/ticketctl --redis "127.0.0.1:$rport" scripts >"$TMP/shas"
	sha=$(awk '$1 == "buy" { print $2 }' "$TMP/shas")
	lsha=$(awk '$1 == "lease" { print $2 }' "$TMP/shas")
	# redis-benchmark sells from its own big lease, as seller bench/0.
	redis-cli -p "$rport" EVALSHA "$lsha" 0 tk: bench/0 100000000 \
		3600000000 >/dev/null

	timeout 3600 bin/ticketd --listen "127.0.0.1:$h1" \
		--redis "127.0.0.1:$rport" --node bench1 --quota 1000000 \
		>"$TMP/ticketd1.log" 2>&1 &
	PIDS+=("$!")
	t1pid=$!
	# The sold-out node uses another prefix where no sale exists.
	timeout 3600 bin/ticketd --listen "127.0.0.1:$h2" \
		--redis "127.0.0.1:$rport" --node bench2 --prefix none: \
		>"$TMP/ticketd2.log" 2>&1 &
	PIDS+=("$!")
	t2pid=$!
	wait_for 10 ticketd_ready "$h1"
	wait_for 10 ticketd_ready "$h2"
	t1pid=$(pgrep -P "$t1pid" ticketd)
	t2pid=$(pgrep -P "$t2pid" ticketd)

	echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs)"
	row "run (${SECS}s, ${CONNS} conns)" "req/s" "p99 ms" "redis us/req" "tkd us/req"
	for i in $(seq 1 "$REPEATS"); do
		read -r -a a <<<"$(run_wrk "$h1" backend/bench/buy.lua "r$i" "$rport" "$t1pid")"
		row "ticketd redis path #$i" "${a[@]}"
		w=${a[0]}
		echo "$w" >>"$TMP/m.redis"
		echo "${a[1]}" >>"$TMP/m.redis99"
		echo "${a[2]}" >>"$TMP/m.rcpu"
		echo "${a[3]}" >>"$TMP/m.tcpu"
		# As many requests as wrk served, so the runs last alike.
		n=$((w * SECS))
		read -r -a a <<<"$(run_rb "$rport" "$sha" "$n")"
		row "redis-benchmark EVALSHA #$i" "${a[@]}" "-"
		rb=${a[0]}
		echo "$rb" >>"$TMP/m.rb"
		echo "${a[2]}" >>"$TMP/m.rbcpu"
		awk -v x="$w" -v y="$rb" 'BEGIN { printf "%.2f\n", x / y }' >>"$TMP/m.ratio"
		row "  ratio ticketd/redis-benchmark" "$(tail -n 1 "$TMP/m.ratio")" "" "" ""
	done
	for i in $(seq 1 "$REPEATS"); do
		read -r -a a <<<"$(run_wrk "$h2" backend/bench/soldout.lua "s$i" "$rport" "$t2pid")"
		row "ticketd sold-out path #$i" "${a[@]}"
		echo "${a[0]}" >>"$TMP/m.so"
		echo "${a[1]}" >>"$TMP/m.so99"
		echo "${a[3]}" >>"$TMP/m.socpu"
	done
	echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
	printf 'ticketd redis path: %s\n' \
		"$(curl -s "http://127.0.0.1:$h1/stats" | grep -o '"errors":[0-9]*')"
	echo "raw:"
	sed 's/^/  /' "$TMP/raw"
	# "name value unit" lines for tools/bench: medians over the repeats.
	printf 'ticketd_redis_path_rps %s req/s\n' "$(median "$TMP/m.redis")"
	printf 'ticketd_redis_path_p99 %s ms\n' "$(median "$TMP/m.redis99")"
	printf 'redis_benchmark_evalsha_rps %s req/s\n' "$(median "$TMP/m.rb")"
	printf 'ticketd_redis_path_ratio %s x\n' "$(median "$TMP/m.ratio")"
	printf 'redis_cpu_per_buy_via_ticketd %s us\n' "$(median "$TMP/m.rcpu")"
	printf 'redis_cpu_per_buy_via_redis_benchmark %s us\n' "$(median "$TMP/m.rbcpu")"
	printf 'ticketd_cpu_per_buy %s us\n' "$(median "$TMP/m.tcpu")"
	printf 'ticketd_soldout_path_rps %s req/s\n' "$(median "$TMP/m.so")"
	printf 'ticketd_soldout_path_p99 %s ms\n' "$(median "$TMP/m.so99")"
	printf 'ticketd_cpu_per_soldout %s us\n' "$(median "$TMP/m.socpu")"
}

main "$@"
