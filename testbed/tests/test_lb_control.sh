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
#    The socket's limits: requests sent before a half-close are all answered,
#    pipelined ones too (after a conns dump); a peer that never reads its
#    replies does not grow lbd's memory; an idle connection is kept; the
#    17th peer at once is refused with err ENOMEM. A commit over another
#    client's change since begin is refused.
# 7. /metrics serves node_exporter's IPVS names with this service's labels;
#    lbctl --stats shows a service counting what its real servers count.
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

# True when <reply> is one whole success reply: "ok" first, "." last.
is_whole_reply() {
	[[ "$(head -n 1 <<<"$1")" == ok && "$(tail -n 1 <<<"$1")" == . ]]
}

check_socket_pipelining() {
	local out i whole=0
	# Several times: whether the reply was lost depended on event order.
	for i in 1 2 3 4 5; do
		out=$(sock_say conns 3)
		if is_whole_reply "$out"; then
			whole=$((whole + 1))
		fi
	done
	tb_check_eq "conns, then a half-close: the whole reply comes (5 tries)" \
		"$whole" 5
	out=$(sock_say $'conns\nlist' 3)
	tb_check_eq "conns and list in one write: two replies" \
		"$(grep -c '^ok$' <<<"$out")" 2
	tb_check "conns and list in one write: list's rows come after the dump" \
		grep -q "^svc proto=tcp vaddr=$TB_VIP:$TB_VPORT " <<<"$out"
}

# lbd's resident memory, kB.
lbd_rss_kb() {
	awk '$1 == "VmRSS:" { print $2 }' "/proc/$(topo_lbd_pid)/status"
}

# A client that writes `list` requests as fast as it can and never reads
# the replies must meet backpressure, not make lbd buffer them all.
check_socket_flood() {
	local before peak rss pid out i
	before=$(lbd_rss_kb)
	peak=$before
	yes list | run_in lb timeout 4 socat -u - \
		"UNIX-CONNECT:$(tb_kv_get lbd_socket)" >/dev/null 2>&1 &
	pid=$!
	# Sampled over the flood's life (a measurement, not a readiness wait).
	for ((i = 0; i < 35; i++)); do
		rss=$(lbd_rss_kb) || break
		if ((rss > peak)); then
			peak=$rss
		fi
		sleep 0.1
	done
	wait "$pid" || true
	tb_check "lbd still running after a client flooded it with requests" \
		topo_lbd_alive
	tb_check "a client that never reads grows lbd by < 32 MB ($before -> $peak kB)" \
		test "$((peak - before))" -lt 32768
	out=$(lbctl -L -n 2>&1 || true)
	tb_check "lbctl answers after the flood" \
		grep -q "^TCP  $TB_VIP:$TB_VPORT" <<<"$out"
}

# The read timeout is for half lines only, not for a peer between requests.
check_socket_idle() {
	local out
	out=$(run_in lb timeout 15 socat -t 3 - "UNIX-CONNECT:$(tb_kv_get lbd_socket)" \
		< <(printf 'timeouts\n'; sleep 6; printf 'timeouts\n') 2>/dev/null || true)
	tb_check_eq "a connection idle for 6 s between requests answers both" \
		"$(grep -c '^timeouts ' <<<"$out")" 2
}

# True when at least <n> of the holding clients have had their hello answered.
# shellcheck disable=SC2317  # called through wait_for
clients_held() {
	test "$(grep -lx ok "$TB_STATE"/hold.* 2>/dev/null | wc -l)" -ge "$1"
}

check_socket_clients() {
	local sock i out pids=()
	sock=$(tb_kv_get lbd_socket)
	for ((i = 1; i <= 16; i++)); do
		run_in lb timeout 20 socat -t 1 - "UNIX-CONNECT:$sock" \
			< <(printf 'hello 1\n'; sleep 5) >"$TB_STATE/hold.$i" 2>/dev/null &
		pids+=("$!")
	done
	wait_for 4 "16 clients to be answered" clients_held 16 || true
	tb_check "16 simultaneous clients are served" clients_held 16
	out=$(sock_say 'hello 1' 3)
	tb_check "the 17th simultaneous client gets err ENOMEM${out:+ ($(head -n 1 <<<"$out"))}" \
		grep -q '^err ENOMEM' <<<"$out"
	for i in "${pids[@]}"; do
		wait "$i" || true
	done
	rm -f "$TB_STATE"/hold.*
	out=$(lbctl -L -n 2>&1 || true)
	tb_check "lbctl is served again once they have gone" \
		grep -q "^TCP  $TB_VIP:$TB_VPORT" <<<"$out"
}

# shellcheck disable=SC2317  # called through wait_for
file_has() {
	grep -q "$2" "$1"
}

# A transaction begun before another client's change must not revert it.
check_txn_conflict() {
	local ip3 out pid rc=0
	ip3=$(topo_rs_ip dr 3)
	out="$TB_STATE/txn.out"
	run_in lb timeout 15 socat -t 3 - "UNIX-CONNECT:$(tb_kv_get lbd_socket)" \
		< <(printf 'hello 1\nbegin\nrs-edit tcp %s:%s %s:80 dr 5\n' \
			"$TB_VIP" "$TB_VPORT" "$ip3"
		    sleep 2; printf 'commit\n') >"$out" 2>/dev/null &
	pid=$!
	wait_for 5 "the transaction to begin" file_has "$out" '^ok$' || true
	lbctl -e -t "$TB_VIP:$TB_VPORT" -r "$ip3:80" -g -w 0 || rc=$?
	tb_check_eq "an edit while another client is in a transaction" "$rc" 0
	wait "$pid" || true
	tb_check "commit after another client's change: err EPROTO ($(tail -n 1 "$out"))" \
		grep -q '^err EPROTO configuration changed since begin' "$out"
	tb_check "... and the transaction's change is not applied" \
		grep -q "$ip3:80 .*Route   0 " <<<"$(lbctl -L -n)"
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
	tb_check_eq "metrics: HEAD is answered like GET" \
		"$(run_in lb timeout 5 curl -s -o /dev/null -w '%{http_code}' -I \
			"http://127.0.0.1:$METRICS_PORT/metrics" || true)" 200
}

# lbctl -L -n --stats --exact: the service's columns against the sum of its
# real servers' (lbd derives a service's counters from its servers').
check_stats() {
	local out svc sum
	lbctl -Z >/dev/null
	tb_send_requests 20
	out=$(lbctl -L -n --stats --exact)
	svc=$(awk -v s="$TB_VIP:$TB_VPORT" '$2 == s { print $3, $4, $6 }' <<<"$out")
	sum=$(awk '$1 == "->" && $2 ~ /:/ { c += $3; p += $4; b += $6 }
		END { print c, p, b }' <<<"$out")
	tb_check "lbctl --stats after -Z and 20 requests: the service counted them ($svc)" \
		test "${svc%% *}" -ge 20
	tb_check_eq "... conns, packets and bytes equal the sum over its real servers" \
		"$svc" "$sum"
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

# A second lbd on the same control socket is another lbd on the same VIPs:
# it must refuse before it captures or announces anything.
check_second_lbd() {
	local rc=0 out
	out=$(run_in lb timeout 10 "$TB_LBD" -f "$TB_STATE/lbd.conf" \
		--socket "$(tb_kv_get lbd_socket)" 2>&1) || rc=$?
	tb_check_eq "a second lbd on the same socket exits with status" "$rc" 1
	tb_check "... saying the socket is in use" \
		grep -q "in use by another lbd" <<<"$out"
	tb_check "... and does not announce the VIP (no gratuitous ARP logged)" \
		test -z "$(grep -i 'forwarding on' <<<"$out")"
	tb_check "the first lbd still answers lbctl" \
		grep -q "^TCP  $TB_VIP:$TB_VPORT" <<<"$(lbctl -L -n)"
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
	check_stats		# the table lbd started with
	check_kill_and_return
	check_drain
	check_save_restore
	check_reload
	check_socket_abuse
	check_socket_pipelining
	check_socket_flood
	check_socket_idle
	check_socket_clients
	check_txn_conflict
	check_metrics
	check_stats		# after many publications, a -C and a -R
	check_drops
	check_second_lbd
	tb_check "lbd still running at the end" topo_lbd_alive
	tb_test_end
}

main "$@"
