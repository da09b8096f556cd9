#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Helpers for the integration tests in testbed/tests: PASS/FAIL bookkeeping
# and the closing "N passed, N failed" line, skip (exit 4), the test
# lifecycle (state, traps, cleanup), tcpdump captures and their parsing,
# and the HTTP request loop through the VIP. Sourced after topo.sh.

set -euo pipefail

if [[ -n "${TB_CHECK_LOADED:-}" ]]; then
	return 0
fi
TB_CHECK_LOADED=1

# shellcheck source=testbed/lib/topo.sh
source "$(dirname "${BASH_SOURCE[0]}")/topo.sh"

TB_PASSED=0
TB_FAILED=0
TB_SUMMARY_DONE=0
TB_LBD=''
declare -gA TB_CAP_PID=()
declare -gA TB_RESP_COUNT=()
TB_RESP_OK=0
TB_RESP_FAILED=0

tb_pass() {
	TB_PASSED=$((TB_PASSED + 1))
	printf 'PASS: %s\n' "$1"
}

# Counts a failure; <detail> lines, if any, are printed indented below.
tb_fail() {
	TB_FAILED=$((TB_FAILED + 1))
	printf 'FAIL: %s\n' "$1"
	if [[ -n "${2:-}" ]]; then
		# sed reads all its input: no SIGPIPE for pipefail to trip on.
		printf '%s\n' "$2" | sed -n '1,20s/^/      /p'
	fi
}

# PASS when <cmd...> succeeds, FAIL otherwise.
tb_check() {
	local desc=$1
	shift
	if "$@"; then
		tb_pass "$desc"
	else
		tb_fail "$desc"
	fi
}

# PASS when <got> equals <want>.
tb_check_eq() {
	local desc=$1 got=$2 want=$3
	if [[ "$got" == "$want" ]]; then
		tb_pass "$desc ($got)"
	else
		tb_fail "$desc: got '$got', want '$want'"
	fi
}

# PASS when <detail> (offending lines) is empty and <n> (<unit>s checked,
# default "packets") > 0: an empty capture never passes.
tb_check_none() {
	local desc=$1 n=$2 detail=$3 unit=${4:-packets}
	if ((n == 0)); then
		tb_fail "$desc: no $unit to check"
	elif [[ -n "$detail" ]]; then
		tb_fail "$desc: $(printf '%s\n' "$detail" | wc -l) of $n $unit wrong" "$detail"
	else
		tb_pass "$desc ($n $unit)"
	fi
}

# Prints the closing line; returns 1 if anything failed. Nothing may be
# printed after it.
tb_summary() {
	TB_SUMMARY_DONE=1
	printf '%d passed, %d failed\n' "$TB_PASSED" "$TB_FAILED"
	((TB_FAILED == 0))
}

# Exits 4 (skip) with <reason> as the last line.
tb_skip() {
	printf 'SKIP: %s\n' "$1"
	exit 4
}

# Prints what helps to debug a failure: lbd's log and its state.
tb_dump_diag() {
	[[ -n "$TB_STATE" && -d "$TB_STATE" ]] || return 0
	printf -- '--- diagnostics (testbed %s)\n' "$TB_ID"
	if [[ -f "$TB_STATE/lbd.log" ]]; then
		printf -- '--- last lines of lbd.log:\n'
		tail -n 30 "$TB_STATE/lbd.log"
	fi
	if tb_ns_exists "$(tb_ns router)"; then
		printf -- '--- router neighbours:\n'
		ip -n "$(tb_ns router)" neigh show
	fi
	printf -- '--- (set TB_KEEP=1 to keep %s)\n' "$TB_STATE"
}

# EXIT trap: cleans up; if the test died before its summary, counts that as
# a failure and still ends with the summary line, so it never passes
# silently.
tb_test_cleanup() {
	local rc=$?
	if [[ "$TB_SUMMARY_DONE" != 1 ]]; then
		tb_fail "test aborted (exit $rc) before its summary"
		tb_dump_diag
		tb_cleanup
		tb_summary || true
		exit 1
	fi
	tb_cleanup
}

# Starts a test: root and tools first (exit 4 with the reason), then the lbd
# binary ($LBD or bin/lbd, relative to the repo root, the cwd), then a fresh
# testbed state and the traps. Sets TB_LBD to lbd's absolute path.
tb_test_begin() {
	local missing lbd=${LBD:-bin/lbd}
	tb_is_root || tb_skip "must run as root"
	missing=$(tb_missing_tools ip ethtool tcpdump curl socat timeout sysctl \
		awk ps od grep sed)
	[[ -z "$missing" ]] || tb_skip "missing tools: ${missing% }"
	[[ -x "$lbd" ]] || tb_skip "$lbd not built"
	if [[ "$lbd" != /* ]]; then
		lbd="$PWD/$lbd"
	fi
	TB_LBD=$lbd
	tb_state_init ""
	trap tb_test_cleanup EXIT
	# Signals exit through the EXIT trap, which cleans up.
	trap 'exit 130' INT
	trap 'exit 143' TERM
	printf 'testbed %s, lbd %s\n' "$TB_ID" "$TB_LBD"
}

# Ends a test: diagnostics on failure, cleanup, the summary line last, and
# exit 0 or 1.
tb_test_end() {
	if ((TB_FAILED > 0)); then
		tb_dump_diag
	fi
	tb_cleanup
	if tb_summary; then
		exit 0
	fi
	exit 1
}

# --- scenarios -------------------------------------------------------------

# Starts a scenario test (tb_test_begin), then a <mode> testbed of <backends>
# real servers weighted <weights>, warm neighbours and an HTTP responder on
# every real server for at most <secs>.
tb_scenario_up() {
	local mode=$1 backends=$2 weights=$3 secs=$4
	tb_test_begin
	topo_up "$mode" "$backends" "$weights"
	topo_warm_neigh 5
	topo_start_http "$secs"
}

# Starts lbd for at most <secs> (the test ends there if it is not usable),
# sends <n> requests through the VIP and checks them: all answered, the
# exact wrr split, the addresses every responder saw (<local_kind> "vip" or
# "rip", see tb_check_bodies), lbd still running.
tb_scenario_traffic() {
	local secs=$1 n=$2 local_kind=$3
	if ! tb_lbd_start "$secs"; then
		tb_test_end
	fi
	tb_send_requests "$n"
	tb_check_wrr "$n"
	tb_check_bodies "$local_kind"
	tb_check "lbd still running after $n connections" topo_lbd_alive
}

# --- lbd -------------------------------------------------------------------

# Writes the config, checks `lbd -t`, starts lbd for at most <secs> (with
# any further arguments) and waits until it answers ARP for the VIP. Counts
# PASS/FAIL; returns 1 if lbd is not usable (the caller stops there).
tb_lbd_start() {
	local secs=$1 conf="$TB_STATE/lbd.conf" out t0 waited=0
	shift
	topo_write_lbd_conf "$conf" "${TB_HC:-0}"
	if out=$(run_in lb timeout 10 "$TB_LBD" -t -f "$conf" 2>&1); then
		tb_pass "lbd -t accepts the generated config"
	else
		tb_fail "lbd -t rejects the generated config" "$out"
		return 1
	fi
	t0=$(tb_now_ms)
	topo_start_lbd "$TB_LBD" "$conf" "$secs" "$@"
	# Which of the two ended the wait is sorted out below.
	wait_for 10 "lbd to answer ARP for $TB_VIP" \
		topo_vip_resolved_or_lbd_dead || waited=$?
	if ! topo_lbd_alive; then
		tb_fail "lbd keeps running after start" "$(tail -n 5 "$TB_STATE/lbd.log")"
		return 1
	fi
	if topo_vip_resolved; then
		tb_pass "lbd answers ARP for the VIP within 10 s ($(($(tb_now_ms) - t0)) ms)"
	else
		tb_fail "lbd answers ARP for the VIP within 10 s (waited $(($(tb_now_ms) - t0)) ms, status $waited)" \
			"$(tb_lbd_proc_state)"
		return 1
	fi
	tb_check_eq "router resolves VIP $TB_VIP to the director's MAC" \
		"$(topo_neigh_mac router eth1 "$TB_VIP")" "$(tb_mac lb eth0)"
	if wait_for 10 "first HTTP answer through the VIP" \
		topo_http_ok client "$TB_VIP" "$TB_VPORT"; then
		tb_pass "first HTTP request through the VIP answered within 10 s"
	else
		tb_fail "first HTTP request through the VIP answered within 10 s"
		return 1
	fi
}

# Prints where lbd's process is (state, kernel wait channel), for failures.
tb_lbd_proc_state() {
	local pid
	pid=$(topo_lbd_pid)
	if [[ -z "$pid" || ! -r "/proc/$pid/status" ]]; then
		printf 'lbd process not found\n'
		return 0
	fi
	printf 'lbd pid %s %s wchan %s\n' "$pid" \
		"$(grep '^State:' "/proc/$pid/status" | tr -s '\t ' ' ')" \
		"$(cat "/proc/$pid/wchan" 2>/dev/null || printf '?')"
}

# Returns 0 when <file> is now bigger than <size> bytes.
tb_file_grew() {
	local size
	size=$(stat -c %s "$1")
	((size > $2))
}

# Checks that SIGUSR1 makes lbd write to stderr and keeps it running, then
# that SIGTERM ends it with status 0 within 5 s.
tb_lbd_signals() {
	local pid wrapper size0 rc=0
	pid=$(topo_lbd_pid)
	wrapper=$(tb_kv_get lbd_wrapper_pid)
	if [[ -z "$pid" ]]; then
		tb_fail "lbd's PID found (the child of its timeout wrapper)"
		return 0
	fi
	size0=$(stat -c %s "$TB_STATE/lbd.log")
	kill -USR1 "$pid"
	if wait_for 3 "lbd to print counters on SIGUSR1" \
		tb_file_grew "$TB_STATE/lbd.log" "$size0"; then
		tb_pass "SIGUSR1: lbd writes its counters to stderr"
	else
		tb_fail "SIGUSR1: lbd writes its counters to stderr"
	fi
	tb_check "lbd still running after SIGUSR1" topo_lbd_alive
	kill -TERM "$pid"
	if wait_for 5 "lbd to exit on SIGTERM" test ! -e "/proc/$pid"; then
		tb_stop "$wrapper" 1 || rc=$?
		tb_check_eq "SIGTERM: lbd exits with status" "$rc" 0
	else
		tb_fail "SIGTERM: lbd exits within 5 s"
	fi
}

# --- traffic ---------------------------------------------------------------

# Sends <n> HTTP requests from the client to the VIP (path /req<i>, or
# <path> for every one), one curl (one TCP connection) each, each bounded in time; the whole loop stops after
# <budget> seconds (default 60) or 10 failures in a row, and what was not
# sent counts as failed, so a broken lbd cannot stretch the test past its
# two minutes. Appends each body (or "FAILED <curl status>") to
# $TB_STATE/responses and fills TB_RESP_COUNT[<rs>], TB_RESP_OK and
# TB_RESP_FAILED.
tb_send_requests() {
	local n=$1 budget=${2:-60} path=${3:-} url i body rc name deadline streak=0
	TB_RESP_COUNT=()
	TB_RESP_OK=0
	TB_RESP_FAILED=0
	: >"$TB_STATE/responses"
	deadline=$(($(tb_now_ms) + budget * 1000))
	for ((i = 0; i < n; i++)); do
		if ((streak >= 10 || $(tb_now_ms) > deadline)); then
			TB_RESP_FAILED=$((TB_RESP_FAILED + n - i))
			printf 'FAILED not sent: %d requests left after %d failures in a row or %d s\n' \
				"$((n - i))" "$streak" "$budget" >>"$TB_STATE/responses"
			break
		fi
		rc=0
		url="http://$TB_VIP:$TB_VPORT${path:-/req$i}"
		body=$(run_in client timeout 4 curl -sS --noproxy '*' \
			--connect-timeout 1 --max-time 2 "$url" 2>&1) || rc=$?
		if ((rc != 0)); then
			TB_RESP_FAILED=$((TB_RESP_FAILED + 1))
			streak=$((streak + 1))
			printf 'FAILED %s %s\n' "$rc" "$body" >>"$TB_STATE/responses"
			continue
		fi
		streak=0
		printf '%s\n' "$body" >>"$TB_STATE/responses"
		name=${body%% *}
		if ! [[ "$name" =~ ^[A-Za-z0-9_.-]+$ ]]; then
			name=other
		fi
		TB_RESP_OK=$((TB_RESP_OK + 1))
		TB_RESP_COUNT[$name]=$((${TB_RESP_COUNT[$name]:-0} + 1))
	done
}

# Checks that all <n> requests succeeded and that rs<i> answered exactly
# n * w_i / sum(w) of them (the recorded weights; <n> must be a multiple of
# the sum, which makes any <n> consecutive picks of an exact WRR exact).
tb_check_wrr() {
	local n=$1 backends sum=0 i w want got
	local -a ws=()
	backends=$(tb_kv_get backends)
	IFS=, read -r -a ws <<<"$(tb_kv_get weights)"
	for w in "${ws[@]}"; do
		sum=$((sum + w))
	done
	if ((TB_RESP_OK == n)); then
		tb_pass "all $n requests through the VIP answered"
	else
		tb_fail "all $n requests through the VIP answered: $TB_RESP_OK were" \
			"$(grep '^FAILED' "$TB_STATE/responses" | sed 's/ after [0-9]* ms//' |
				sort | uniq -c | sed -n 1,5p)"
	fi
	if ((sum == 0 || n % sum != 0)); then
		tb_fail "wrr check needs requests ($n) to be a multiple of the weight sum ($sum)"
		return 0
	fi
	for ((i = 1; i <= backends; i++)); do
		w=${ws[$((i - 1))]}
		want=$((n * w / sum))
		got=${TB_RESP_COUNT[rs$i]:-0}
		tb_check_eq "wrr: rs$i (weight $w) answered $want of $n" "$got" "$want"
	done
	got=0
	for i in "${!TB_RESP_COUNT[@]}"; do
		if ! [[ "$i" =~ ^rs[0-9]+$ ]] || ((${i#rs} > backends)); then
			got=$((got + ${TB_RESP_COUNT[$i]}))
		fi
	done
	tb_check_eq "responses from anything but rs1..rs$backends" "$got" 0
}

# Checks the addresses each responder saw (body "<rs> <local> <peer>"):
# local must be the VIP:80 (<local_kind> "vip", DR) or the rs's own
# address:port ("rip", NAT), and the peer's IP the client's (lbd never
# hides the client).
tb_check_bodies() {
	local local_kind=$1 mode bad='' name loc peer rest want n=0 i
	mode=$(tb_kv_get mode)
	while read -r name loc peer rest; do
		[[ "$name" == FAILED ]] && continue
		n=$((n + 1))
		i=${name#rs}
		if [[ "$local_kind" == vip ]]; then
			want="$TB_VIP:$TB_VPORT"
		else
			want="$(topo_rs_ip "$mode" "$i"):$(topo_rs_port "$mode")"
		fi
		if [[ "$loc" != "$want" || "${peer%:*}" != "$TB_CLIENT_IP" || -n "$rest" ]]; then
			bad+="$name $loc $peer (want local $want, peer $TB_CLIENT_IP)"$'\n'
		fi
	done <"$TB_STATE/responses"
	tb_check_none "every real server saw local $local_kind and peer = client $TB_CLIENT_IP" \
		"$n" "${bad%$'\n'}" responses
}

# --- captures --------------------------------------------------------------

# Starts `tcpdump -i <ifname> -c 5000 -w <name>.pcap <filter>` in <node>
# under timeout <secs> and waits until it listens.
tb_cap_start() {
	local node=$1 ifname=$2 name=$3 secs=$4 filter=$5
	# --immediate-mode: without it tcpdump reads the ring a block at a time
	# and drops what is still in the ring when TERM ends it.
	tb_spawn "$node" "cap-$name" "$secs" tcpdump -i "$ifname" -nn -U -Z root \
		--immediate-mode -c 5000 -w "$TB_STATE/$name.pcap" "$filter"
	TB_CAP_PID[$name]=$TB_LAST_PID
	wait_for 10 "tcpdump $name to listen" \
		grep -q 'listening on' "$TB_STATE/cap-$name.log"
}

# Prints the total size of every capture file.
tb_cap_bytes() {
	local name total=0 size
	for name in "${!TB_CAP_PID[@]}"; do
		size=$(stat -c %s "$TB_STATE/$name.pcap" 2>/dev/null || printf '0')
		total=$((total + size))
	done
	printf '%s\n' "$total"
}

# Stops every capture started by tb_cap_start once the files have stopped
# growing for 0.3 s (at most 3 s), so late frames are not cut off; tcpdump
# flushes on TERM.
tb_cap_stop_all() {
	local name i last now stable=0 rc=0
	last=$(tb_cap_bytes)
	for ((i = 0; i < 30 && stable < 3; i++)); do
		sleep 0.1
		now=$(tb_cap_bytes)
		if ((now == last)); then
			stable=$((stable + 1))
		else
			stable=0
		fi
		last=$now
	done
	for name in "${!TB_CAP_PID[@]}"; do
		# Its exit status (timeout's, after TERM) says nothing useful.
		tb_stop "${TB_CAP_PID[$name]}" 3 || rc=$?
	done
	TB_CAP_PID=()
}

# Prints capture <name> as "<src mac> <dst mac> <src ip.port> <dst ip.port>"
# lines, parsed from `tcpdump -nn -e -r`; with <filter>, only the frames it
# matches (a pcap-filter expression applied when reading).
tb_cap_flows() {
	local name=$1 filter=${2:-}
	local -a expr=()
	if [[ -n "$filter" ]]; then
		expr=("$filter")
	fi
	tcpdump -nn -e -r "$TB_STATE/$name.pcap" "${expr[@]}" 2>/dev/null | awk '
	{
		smac = $2; dmac = $4; sub(/,$/, "", dmac)
		for (i = 5; i + 4 <= NF; i++) {
			if ($i == "length") {
				dst = $(i + 4); sub(/:$/, "", dst)
				print smac, dmac, $(i + 2), dst
				break
			}
		}
	}'
}
