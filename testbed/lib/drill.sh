#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Failover drills for `tb drill NAME`, each on a testbed already up with
# --app ticketd --hc: a 12 s load (lib/load.sh), one fault at 3 s, then a
# timeline CSV, a PNG plot, a one-line verdict and a status (0 met, 1
# missed). Sourced by tb after load.sh.
#
#   client --(curl, 1 conn/request)--> VIP (lbd) --> rs1..rs4 ticketd --> redis
#   faults: backend-kill   SIGKILL ticketd on rs2
#           backend-flap   SIGKILL + restart ticketd on rs2, twice
#           backend-drain  lbctl -e ... -w 0 for rs2
#           redis-outage   SIGSTOP redis-server for 3 s
#           director-restart  SIGTERM lbd, start it again
#
# What a drill needs from lbd is checked before the testbed is built
# (dr_need_*), so a missing feature ends it with exit 4 and the reason.

set -euo pipefail

if [[ -n "${TB_DRILL_LOADED:-}" ]]; then
	return 0
fi
TB_DRILL_LOADED=1

# shellcheck source=testbed/lib/load.sh
source "$(dirname "${BASH_SOURCE[0]}")/load.sh"

readonly DR_SECS=12		# load duration
readonly DR_FAULT_AT=3		# seconds into the load
readonly DR_VICTIM=2		# rs<i> that the backend drills hit
readonly DR_DETECT_MAX=5	# seconds lbd may take to mark a server down/up
# The issue's target: with delay_loop 0.2, connect_timeout 0.1 and fall 2,
# a killed backend gets no new flow within 1 s of its death.
readonly DR_DOWN_TARGET_MS=1000
DR_VERDICT=''
DR_MISSED=0

# Prints why lbd cannot run the health drills, or nothing when it can: lbd
# must log one line per health transition ("real server ADDR:PORT up ->
# down: REASON"). Judged from the binary's format strings; TB_LBD_HC=1
# overrides.
dr_hc_missing() {
	local lbd=$1
	if [[ "${TB_LBD_HC:-0}" == 1 ]]; then
		return 0
	fi
	if ! grep -aEq -- '(up|down|%s) -> (up|down|%s)' "$lbd"; then
		printf '%s logs no health transitions ("... up -> down: reason"): health checks are not wired into lbd yet\n' "$lbd"
	fi
}

# Prints why lbctl cannot drain a server, or nothing: needs bin/lbctl and an
# lbd that takes --socket PATH (so the testbed's lbd has its own socket).
dr_drain_missing() {
	local lbd=$1 lbctl=$2 help
	if [[ ! -x "$lbctl" ]]; then
		printf '%s not built\n' "$lbctl"
		return 0
	fi
	help=$(timeout 5 "$lbd" -h 2>&1 || true)
	if [[ "$help" != *--socket* ]]; then
		printf '%s has no --socket PATH option (no control socket for lbctl)\n' "$lbd"
	fi
}

# Sleeps until <secs> after the load's start.
dr_at() {
	local secs=$1 now
	now=$(tb_now_ms)
	if ((LD_T0 + secs * 1000 > now)); then
		sleep "$(awk -v d="$((LD_T0 + secs * 1000 - now))" 'BEGIN { printf "%.3f", d / 1000 }')"
	fi
}

# Prints progress every second until the load ends.
dr_progress_until_end() {
	local i
	for ((i = 0; i < DR_SECS + 5; i++)); do
		if ! kill -0 "$LD_LOAD_PID" 2>/dev/null; then
			break
		fi
		if ((i % 2 == 1)); then
			printf '  load: %6d requests done\n' "$(ld_done_count)"
		fi
		sleep 1
	done
}

# Prints "<rs ip>:<port>" of real server <i>.
dr_rs_addr() {
	local mode
	mode=$(tb_kv_get mode)
	printf '%s:%s\n' "$(topo_rs_ip "$mode" "$1")" "$(topo_rs_port "$mode")"
}

# Returns 0 when lbd.log has a "<addr> ... -> <state>" line after line
# <from>.
dr_logged() {
	local addr=$1 state=$2 from=$3
	tail -n "+$((from + 1))" "$TB_STATE/lbd.log" | grep -F -- "$addr" |
		grep -Eq -- "-> $state"
}

# Prints the number of lines in lbd.log.
dr_log_lines() {
	wc -l <"$TB_STATE/lbd.log"
}

# Waits up to DR_DETECT_MAX s for lbd to log <addr> -> <state> after line
# <from>; prints the time it was seen (ms), or nothing.
dr_wait_transition() {
	local addr=$1 state=$2 from=$3
	if wait_for "$DR_DETECT_MAX" "lbd to log $addr -> $state" \
		dr_logged "$addr" "$state" "$from"; then
		tb_now_ms
	fi
}

# Sends SIGKILL to ticketd on rs<i> (the program, not its wrapper).
dr_kill_ticketd() {
	local i=$1 pid
	pid=$(topo_ticketd_pid "$i")
	[[ -n "$pid" ]] || return 1
	kill -KILL "$pid"
}

# Records the verdict of a target: "<desc>" met when <cond> is 0.
dr_target() {
	local desc=$1 ok=$2
	if [[ "$ok" == 0 ]]; then
		printf '  target met:    %s\n' "$desc"
	else
		printf '  target MISSED: %s\n' "$desc"
		DR_MISSED=$((DR_MISSED + 1))
		DR_VERDICT+="${DR_VERDICT:+; }missed: $desc"
	fi
}

# Runs `ticketctl report` and prints it indented; returns its status.
dr_report() {
	local out rc=0
	out=$(topo_ticketctl report 2>&1) || rc=$?
	printf '%s\n' "$out" | sed 's/^/    /'
	return "$rc"
}

# Prints the sold count from `ticketctl --json report`, or nothing.
dr_sold() {
	topo_ticketctl --json report 2>/dev/null | jq -r '.sold // empty' 2>/dev/null || true
}

# Share of new connections rs<i> got from <from_s> to <to_s> (seconds, CSV
# rows), in percent, with the total: "<pct> <total>".
dr_share() {
	local i=$1 from=$2 to=$3
	awk -F, -v c="$((i + 4))" -v f="$from" -v t="$to" '
		NR == 1 { for (k = 5; k < NF; k++) nrs = NF - 5; next }
		$1 + 0 >= f && $1 + 0 < t {
			for (k = 5; k < NF; k++) tot += $k
			mine += $c
		}
		END { printf "%.1f %d\n", tot ? 100 * mine / tot : 0, tot }' \
		"$TB_STATE/$LD_NAME.csv"
}

# Ends a drill: timeline, plot, totals, the verdict line. Returns 1 when a
# target was missed.
dr_finish() {
	local name=$1
	ld_timeline
	if ld_plot "drill $name ($(tb_kv_get mode), testbed $TB_ID)"; then
		printf '  timeline: %s\n  plot:     %s\n' "$TB_STATE/$name.csv" "$TB_STATE/$name.png"
	else
		printf '  timeline: %s (gnuplot failed: %s)\n' "$TB_STATE/$name.csv" \
			"$TB_STATE/$name.gnuplot.log"
		DR_MISSED=$((DR_MISSED + 1))
		DR_VERDICT+="${DR_VERDICT:+; }no plot"
	fi
	local -a t=()
	read -r -a t <<<"$(ld_totals)"
	printf '  requests: %s ok, %s failed (%s of them HTTP 5xx)\n' "${t[0]}" "${t[1]}" "${t[2]}"
	if ((DR_MISSED == 0)); then
		printf 'VERDICT %s: PASS%s\n' "$name" "${DR_VERDICT:+ ($DR_VERDICT)}"
		return 0
	fi
	printf 'VERDICT %s: FAIL (%s)\n' "$name" "$DR_VERDICT"
	return 1
}

# --- the drills ------------------------------------------------------------------

drill_backend_kill() {
	local addr from t_kill t_down split errs before after
	addr=$(dr_rs_addr "$DR_VICTIM")
	ld_start backend-kill "$DR_SECS"
	dr_at "$DR_FAULT_AT"
	from=$(dr_log_lines)
	dr_kill_ticketd "$DR_VICTIM"
	t_kill=$(tb_now_ms)
	ld_event "SIGKILL ticketd rs$DR_VICTIM"
	t_down=$(dr_wait_transition "$addr" down "$from")
	if [[ -n "$t_down" ]]; then
		ld_event "lbd marks rs$DR_VICTIM down (seen)"
	fi
	dr_progress_until_end
	ld_wait
	if [[ -z "$t_down" ]]; then
		dr_target "lbd marks rs$DR_VICTIM down within ${DR_DETECT_MAX}s" 1
		t_down=$(tb_now_ms)
	else
		printf '  detection: %d ms from SIGKILL to the "-> down" line\n' "$((t_down - t_kill))"
		dr_target "detection within $DR_DOWN_TARGET_MS ms ($((t_down - t_kill)) ms)" \
			"$((t_down - t_kill > DR_DOWN_TARGET_MS))"
	fi
	split=$(ld_errors_split "$t_down")
	errs=${split% *}
	before=${split#* }
	after=$((errs - before))
	printf '  failed requests: %d before detection, %d after\n' "$before" "$after"
	dr_target "0 failed requests started after detection (got $after)" "$((after > 0))"
	printf '  ticketctl report (after the load):\n'
	if dr_report; then
		dr_target "rush invariants hold (ticketctl report exit 0)" 0
	else
		dr_target "rush invariants hold (ticketctl report exit 0)" 1
	fi
	dr_finish backend-kill
}

drill_backend_flap() {
	local addr from t_kill t_down t_up round at job errs=0 split
	addr=$(dr_rs_addr "$DR_VICTIM")
	ld_start backend-flap "$DR_SECS"
	for round in 1 2; do
		at=$((DR_FAULT_AT + (round - 1) * 4))
		dr_at "$at"
		from=$(dr_log_lines)
		dr_kill_ticketd "$DR_VICTIM" || true
		t_kill=$(tb_now_ms)
		ld_event "SIGKILL ticketd rs$DR_VICTIM (round $round)"
		t_down=$(dr_wait_transition "$addr" down "$from")
		if [[ -z "$t_down" ]]; then
			dr_target "round $round: lbd marks rs$DR_VICTIM down within ${DR_DETECT_MAX}s" 1
		else
			dr_target "round $round: down detected in $((t_down - t_kill)) ms" 0
			split=$(ld_errors_split "$t_down")
			errs=$((errs + 0))
		fi
		dr_at "$((at + 2))"
		from=$(dr_log_lines)
		job="ticketd-rs$DR_VICTIM.r$round"
		topo_start_ticketd_one "$DR_VICTIM" "$((DR_SECS + 30))" "$job"
		ld_event "restart ticketd rs$DR_VICTIM (round $round)"
		t_up=$(dr_wait_transition "$addr" up "$from")
		if [[ -z "$t_up" ]]; then
			dr_target "round $round: lbd marks rs$DR_VICTIM up within ${DR_DETECT_MAX}s" 1
		else
			dr_target "round $round: up detected in $((t_up - t_kill)) ms after the kill" 0
		fi
	done
	dr_progress_until_end
	ld_wait
	ld_timeline
	split=$(dr_share "$DR_VICTIM" "$((DR_SECS - 2))" "$DR_SECS")
	printf '  rs%d share of new connections in the last 2 s: %s%%\n' "$DR_VICTIM" "${split% *}"
	dr_target "rs$DR_VICTIM takes new connections again after the flaps" \
		"$(awk -v s="${split% *}" 'BEGIN { print (s > 0) ? 0 : 1 }')"
	printf '  ticketctl report:\n'
	if dr_report; then
		dr_target "rush invariants hold" 0
	else
		dr_target "rush invariants hold" 1
	fi
	dr_finish backend-flap
}

drill_backend_drain() {
	local addr fwd out rc=0 tot share
	addr=$(dr_rs_addr "$DR_VICTIM")
	fwd=-g
	if [[ "$(tb_kv_get mode)" == nat ]]; then
		fwd=-m
	fi
	ld_start backend-drain "$DR_SECS"
	dr_at "$DR_FAULT_AT"
	out=$("$(tb_kv_get lbctl)" --socket "$(tb_kv_get lbd_socket)" -e -t \
		"$TB_VIP:$TB_VPORT" -r "$addr" "$fwd" -w 0 2>&1) || rc=$?
	ld_event "lbctl -e rs$DR_VICTIM -w 0 (exit $rc)"
	dr_target "lbctl -e ... -w 0 succeeds${out:+ ($out)}" "$((rc != 0))"
	dr_progress_until_end
	ld_wait
	ld_timeline
	tot=$(ld_totals)
	dr_target "0 failed requests during the drain (got $(awk '{ print $2 }' <<<"$tot"))" \
		"$(awk '{ print ($2 > 0) }' <<<"$tot")"
	share=$(dr_share "$DR_VICTIM" "$((DR_FAULT_AT + 1))" "$DR_SECS")
	dr_target "rs$DR_VICTIM share of new connections falls to 0 (from +1 s: ${share% *}%)" \
		"$(awk -v s="${share% *}" 'BEGIN { print (s > 0) }')"
	dr_finish backend-drain
}

drill_redis_outage() {
	local pid t_stop t_cont rec tot sold total rc=0
	pid=$(topo_child_pid "$(tb_pid_of redis | tail -n 1)")
	[[ -n "$pid" ]] || { printf 'redis-server PID not found\n' >&2; return 1; }
	ld_start redis-outage "$DR_SECS"
	dr_at "$DR_FAULT_AT"
	kill -STOP "$pid"
	t_stop=$(tb_now_ms)
	ld_event "SIGSTOP redis-server"
	dr_at "$((DR_FAULT_AT + 3))"
	kill -CONT "$pid"
	t_cont=$(tb_now_ms)
	ld_event "SIGCONT redis-server"
	dr_progress_until_end
	ld_wait
	ld_timeline
	tot=$(ld_totals)
	printf '  during the outage: %s HTTP 5xx answers (503 unavailable expected)\n' \
		"$(awk '{ print $3 }' <<<"$tot")"
	dr_target "failed requests are all HTTP 503, no connection errors ($(awk '{ print $2 - $3 }' <<<"$tot") others)" \
		"$(awk '{ print ($2 - $3 > 0) }' <<<"$tot")"
	# Recovery: first 100 ms bucket after SIGCONT with successes and no 5xx.
	rec=$(awk -F, -v t="$(((t_cont - LD_T0) / 100))" 'NR > 1 && NR - 2 >= t && $2 > 0 && $4 == 0 {
		print int(($1 * 10 - t) * 100); exit }' "$TB_STATE/$LD_NAME.csv")
	if [[ -n "$rec" ]]; then
		printf '  recovery: %s ms from SIGCONT to a clean 100 ms bucket (outage %d ms)\n' \
			"$rec" "$((t_cont - t_stop))"
		dr_target "recovery within 3000 ms ($rec ms)" "$((rec > 3000))"
	else
		dr_target "recovery after SIGCONT" 1
	fi
	printf '  ticketctl report:\n'
	dr_report || rc=$?
	sold=$(dr_sold)
	total=$(tb_kv_get tickets)
	dr_target "zero oversell (sold ${sold:-?} <= total $total, report exit $rc)" \
		"$([[ "$rc" == 0 && -n "$sold" ]] && ((sold <= total)) && echo 0 || echo 1)"
	dr_finish redis-outage
}

drill_director_restart() {
	local pid wrapper t_kill t_start first ka_conn ka_err rc=0
	# One keep-alive connection making a request every 20 ms across the
	# restart: what happens to an established flow.
	# shellcheck disable=SC2016 # $1 expands in the inner bash.
	tb_spawn client ka.load "$((DR_SECS + 5))" bash -c '
		timeout "$1" curl -s --noproxy "*" --max-time 2 -o /dev/null \
			--rate 50/s -w "%{stderr}%{http_code} %{exitcode} %{num_connects}\n" \
			"$2" 2>&1 >/dev/null' _ "$DR_SECS" \
		"http://$TB_VIP:$TB_VPORT/health?k=[1-600]"
	local ka_pid=$TB_LAST_PID
	ld_start director-restart "$DR_SECS"
	dr_at "$DR_FAULT_AT"
	pid=$(topo_lbd_pid)
	wrapper=$(tb_kv_get lbd_wrapper_pid)
	kill -TERM "$pid"
	t_kill=$(tb_now_ms)
	ld_event "SIGTERM lbd"
	tb_stop "$wrapper" 3 || rc=$?
	topo_start_lbd "$(tb_kv_get lbd_path)" "$(tb_kv_get lbd_conf)" "$((DR_SECS + 30))"
	t_start=$(tb_now_ms)
	ld_event "lbd started again"
	dr_progress_until_end
	ld_wait
	wait "$ka_pid" 2>/dev/null || true
	ld_timeline
	printf '  lbd down for %d ms (SIGTERM to new start; old lbd exit %d)\n' \
		"$((t_start - t_kill))" "$rc"
	# First success of a request that started after the new lbd did.
	first=$(awk -v t="$t_start" '$2 ~ /^2/ && $3 == 0 && $1 - $4 * 1000 >= t {
		print $1 - t; exit }' "$TB_STATE/$LD_NAME.load.log")
	if [[ -n "$first" ]]; then
		printf '  new flows: first success %d ms after the new lbd started\n' "$first"
		dr_target "new flows succeed within 2000 ms of the restart ($first ms)" "$((first > 2000))"
	else
		dr_target "new flows succeed after the restart" 1
	fi
	ka_conn=$(awk 'NR > 1 && $3 > 0' "$TB_STATE/ka.load.log" | wc -l)
	ka_err=$(awk '!($1 ~ /^2/ && $2 == 0)' "$TB_STATE/ka.load.log" | wc -l)
	printf '  established keep-alive flow: %d requests, %d failed, %d new connections after the first\n' \
		"$(wc -l <"$TB_STATE/ka.load.log")" "$ka_err" "$ka_conn"
	if ((ka_err == 0 && ka_conn == 0)); then
		printf '  (the established flow survived the restart)\n'
	else
		printf '  (the established flow did not survive: lbd keeps no conn state across a restart)\n'
	fi
	dr_finish director-restart
}
