#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Integration, the control plane: health checks, lbctl, reload, metrics.
#
#   client -- router --[bridge lan]-- lb (lbd, VIP 10.0.0.100, --socket, --metrics)
#                              |----- rs1..rs3 10.0.0.11-13:80 (HTTP_GET /health)
#
# 1. lbctl -L -n prints ipvsadm's columns for what lbd.conf says.
# 2. A killed backend is marked down (one log line with the reason) and gets
#    no new flows; brought back, it rejoins after `rise` checks.
# 3. lbctl -e ... -w 0 drains it with zero failed requests.
# 4. lbctl -S | lbctl -C; lbctl -R round-trips, traffic flowing after.
# 5. SIGHUP with a broken file keeps serving the old configuration; with a
#    good one it applies the change.
# 6. Bad input on the control socket (garbage, an oversized line, a client
#    that stalls mid-line) gets an error or a timeout; lbd answers others
#    meanwhile.
# 7. /metrics serves node_exporter's IPVS names with this service's labels.
# 8. lbctl -L --drops shows the table fill and counts a datagram to a port
#    with no service as a no_service drop.
# Runs from the repo root.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=testbed/lib/check.sh
source testbed/lib/check.sh

readonly BACKENDS=3
readonly WEIGHTS=1,1,1
readonly LIFETIME=170		# seconds any job may live; the test takes about 40
readonly METRICS_PORT=9110	# inside the director's namespace, loopback

lbctl() {
	run_in lb timeout 10 bin/lbctl --socket "$(tb_kv_get lbd_socket)" "$@"
}

# The PID of rs<i>'s HTTP responder wrapper, from the testbed's records.
responder_pid() {
	awk -v n="http-rs$1" '$3 == n { p = $1 } END { print p }' "$TB_STATE/pids"
}

responder_start() {
	local port
	port=$(topo_rs_port dr)
	tb_spawn "rs$1" "http-rs$1" "$LIFETIME" socat -T 5 \
		"TCP4-LISTEN:$port,fork,reuseaddr,backlog=256" \
		"EXEC:$TB_DIR/lib/http-responder.sh rs$1"
	wait_for 10 "HTTP responder on rs$1" topo_http_ok "rs$1" 127.0.0.1 "$port"
}

# True when lbd's log has a line "<addr>:80 <from> -> <to>" after line <n>.
# shellcheck disable=SC2317  # called through wait_for
logged() {
	tail -n "+$(($1 + 1))" "$TB_STATE/lbd.log" | grep -q "real server $2:80 $3 -> $4"
}

# True when lbd's log has <pattern> after line <n>; re-reads it on every call.
# shellcheck disable=SC2317  # called through wait_for
logged_since() {
	tail -n "+$(($1 + 1))" "$TB_STATE/lbd.log" | grep -q "$2"
}

log_lines() {
	wc -l <"$TB_STATE/lbd.log"
}

check_list() {
	local out
	out=$(lbctl -L -n)
	tb_check "lbctl -L -n prints ipvsadm's header" \
		grep -q '^Prot LocalAddress:Port Scheduler Flags$' <<<"$out"
	tb_check "lbctl -L -n lists the service" \
		grep -q "^TCP  $TB_VIP:$TB_VPORT wrr" <<<"$out"
	tb_check_eq "lbctl -L -n lists every real server as Route" \
		"$(grep -c ' Route ' <<<"$out")" "$BACKENDS"
}

check_kill_and_return() {
	local from ip2
	ip2=$(topo_rs_ip dr 2)
	from=$(log_lines)
	tb_stop "$(responder_pid 2)" 2 || true
	if wait_for 5 "lbd to mark rs2 down" logged "$from" "$ip2" up down; then
		tb_pass "killed rs2 is marked down: $(tail -n "+$((from + 1))" \
			"$TB_STATE/lbd.log" | grep -m1 -o 'up -> down.*')"
	else
		tb_fail "killed rs2 is marked down within 5 s"
	fi
	tb_check "lbctl --health shows rs2 down" \
		grep -q "$ip2:80 .* down " <<<"$(lbctl -L -n --health)"
	tb_send_requests 30
	tb_check_eq "30 requests with rs2 down: all answered" "$TB_RESP_OK" 30
	tb_check_eq "30 requests with rs2 down: none went to rs2" \
		"${TB_RESP_COUNT[rs2]:-0}" 0
	from=$(log_lines)
	responder_start 2
	if wait_for 5 "lbd to mark rs2 up" logged "$from" "$ip2" down up; then
		tb_pass "rs2 rejoins after rise checks"
	else
		tb_fail "rs2 rejoins within 5 s"
	fi
	tb_send_requests 30
	tb_check_eq "30 requests after rs2 returned: all answered" "$TB_RESP_OK" 30
	tb_check_eq "rs2 takes its share again (exactly 10 of 30, wrr 1:1:1)" \
		"${TB_RESP_COUNT[rs2]:-0}" 10
}

check_drain() {
	local ip3 rc=0 out
	ip3=$(topo_rs_ip dr 3)
	out=$(lbctl -e -t "$TB_VIP:$TB_VPORT" -r "$ip3:80" -g -w 0 2>&1) || rc=$?
	tb_check_eq "lbctl -e ... -w 0 succeeds${out:+ ($out)}" "$rc" 0
	tb_send_requests 30
	tb_check_eq "drained: 30 requests, none failed" "$TB_RESP_FAILED" 0
	tb_check_eq "drained: rs3 gets no new flows" "${TB_RESP_COUNT[rs3]:-0}" 0
	tb_check "lbctl -L -n shows weight 0 for rs3" \
		grep -q "$ip3:80 .*Route   0 " <<<"$(lbctl -L -n)"
}

check_save_restore() {
	local saved after rc=0
	saved=$(lbctl -S)
	lbctl -C
	tb_check_eq "lbctl -C leaves no service" "$(lbctl -S)" ""
	run_in lb timeout 10 bin/lbctl --socket "$(tb_kv_get lbd_socket)" -R \
		<<<"$saved" || rc=$?
	tb_check_eq "lbctl -R exit status" "$rc" 0
	after=$(lbctl -S)
	tb_check_eq "lbctl -S after -C and -R is what it was" "$after" "$saved"
	tb_send_requests 20
	tb_check_eq "traffic after restore: 20 answered" "$TB_RESP_OK" 20
}

check_reload() {
	local conf="$TB_STATE/lbd.conf" pid from
	pid=$(topo_lbd_pid)
	cp "$conf" "$TB_STATE/good.conf"
	sed -i 's/lb_algo wrr/lb_algoo wrr/' "$conf"
	from=$(log_lines)
	kill -HUP "$pid"
	if wait_for 5 "lbd to refuse the broken file" \
		logged_since "$from" "reload failed"; then
		tb_pass "SIGHUP with a broken file is refused, with file:line: $(tail -n "+$((from + 1))" \
			"$TB_STATE/lbd.log" | grep -m1 -o 'lbd.conf:[0-9]*: .*')"
	else
		tb_fail "SIGHUP with a broken file is refused and logged"
	fi
	tb_send_requests 20
	tb_check_eq "still serving after the refused reload: 20 answered" "$TB_RESP_OK" 20
	tb_check "lbd still running after the refused reload" topo_lbd_alive
	cp "$TB_STATE/good.conf" "$conf"
	sed -i '0,/weight 1/s//weight 2/' "$conf"
	from=$(log_lines)
	kill -HUP "$pid"
	if wait_for 5 "lbd to reload" logged_since "$from" "reloaded"; then
		tb_pass "SIGHUP with a good file reloads"
	else
		tb_fail "SIGHUP with a good file reloads"
	fi
	tb_check "the reloaded weight shows in lbctl -L -n" \
		grep -q "$(topo_rs_ip dr 1):80 .*Route   2 " <<<"$(lbctl -L -n)"
}

# One request line on the socket with socat; prints lbd's reply.
sock_say() {
	run_in lb timeout "$2" socat -t "$2" - "UNIX-CONNECT:$(tb_kv_get lbd_socket)" \
		<<<"$1" 2>/dev/null || true
}

check_socket_abuse() {
	local long hang_pid t0 out
	tb_check "garbage gets err EPROTO" \
		grep -q '^err EPROTO' <<<"$(sock_say 'bogus request here' 3)"
	long=$(head -c 6000 /dev/zero | tr '\0' 'x')
	tb_check "an oversized line gets err EPROTO line too long" \
		grep -q '^err EPROTO line too long' <<<"$(sock_say "$long" 3)"
	# A client that writes half a line and stalls must not hold lbd. socat
	# reads the socket too, so it ends when lbd hangs up on it.
	run_in lb timeout 20 socat - "UNIX-CONNECT:$(tb_kv_get lbd_socket)" \
		< <(printf 'list'; sleep 15) >/dev/null 2>&1 &
	hang_pid=$!
	t0=$(tb_now_ms)
	out=$(lbctl -L -n 2>&1 || true)
	tb_check "lbctl answered at once while another client stalls" \
		grep -q "^TCP  $TB_VIP:$TB_VPORT" <<<"$out"
	tb_check "... within 2 s ($(($(tb_now_ms) - t0)) ms)" \
		test "$(($(tb_now_ms) - t0))" -lt 2000
	if wait_for 10 "lbd to drop the stalled client" \
		test ! -e "/proc/$hang_pid"; then
		tb_pass "the stalled client is dropped by lbd's timeout"
	else
		tb_fail "the stalled client is dropped by lbd's timeout"
		kill "$hang_pid" 2>/dev/null || true
	fi
	wait "$hang_pid" 2>/dev/null || true
}

check_metrics() {
	local m
	m=$(run_in lb timeout 5 curl -s "http://127.0.0.1:$METRICS_PORT/metrics" || true)
	tb_check "metrics: node_ipvs_connections_total present" \
		grep -q '^node_ipvs_connections_total [1-9]' <<<"$m"
	tb_check "metrics: backend gauges carry node_exporter's labels" \
		grep -q "^node_ipvs_backend_weight{local_address=\"$TB_VIP\",local_port=\"$TB_VPORT\",remote_address=\"$(topo_rs_ip dr 1)\",remote_port=\"80\",proto=\"TCP\",local_mark=\"\"} 2$" <<<"$m"
	tb_check "metrics: health check latency histogram" \
		grep -q '^lbd_health_check_duration_seconds_count [1-9]' <<<"$m"
}

no_service_drops() {
	lbctl -L --drops | awk '$1 == "no_service" { print $2 }'
}

check_drops() {
	local out before after
	out=$(lbctl -L --drops)
	tb_check "lbctl -L --drops shows the connection table's fill" \
		grep -q '^Connection table: [0-9]* of 262144 entries' <<<"$out"
	before=$(no_service_drops)
	run_in client timeout 3 socat -u - "UDP4:$TB_VIP:9" <<<"x" || true
	wait_for 3 "the datagram to be counted" \
		test "$(no_service_drops)" -gt "${before:-0}" || true
	after=$(no_service_drops)
	tb_check "a UDP datagram to a port with no service counts as no_service ($before -> $after)" \
		test "${after:-0}" -gt "${before:-0}"
}

main() {
	tb_test_begin
	topo_up dr "$BACKENDS" "$WEIGHTS"
	topo_warm_neigh 5
	topo_start_http "$LIFETIME"
	TB_HC=1
	if ! tb_lbd_start "$LIFETIME" --metrics "127.0.0.1:$METRICS_PORT"; then
		tb_test_end
	fi
	check_list
	check_kill_and_return
	check_drain
	check_save_restore
	check_reload
	check_socket_abuse
	check_metrics
	check_drops
	tb_check "lbd still running at the end" topo_lbd_alive
	tb_test_end
}

main "$@"
