#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `tb bench`: lbd against the kernel doing the same job, on the same
# testbed and the same 4 backends (haproxy `http-request return`, one
# thread each, weights 1:2:3:4), variants alternated A B A B ... within each
# repetition, wrk from the client, keep-alive and one connection per request.
# Sourced by tb after demo.sh.
#
#   DR testbed:  lbd-dr | nft-dr (netdev ingress: ether daddr set jhash map,
#                fwd to eth0) | haproxy (mode tcp on the director, VIP on lo)
#                | direct (client -> router -> rs1, no director)
#   NAT testbed: lbd-nat | nft-nat (dnat to numgen inc mod 10 map) | kfwd
#                (director as a plain router to rs1, ip_forward=1)
#
# Every variant's set-up is undone before the next one starts.

set -euo pipefail

if [[ -n "${TB_BENCH_LOADED:-}" ]]; then
	return 0
fi
TB_BENCH_LOADED=1

BN_SECS=3
BN_CONNS=32
BN_OUT=''

# Prints the weighted map body "0 : A, 1-2 : B, 3-5 : C, 6-9 : D" for the
# four values <v1..v4> and weights 1:2:3:4.
bn_map() {
	printf '0 : %s, 1-2 : %s, 3-5 : %s, 6-9 : %s' "$1" "$2" "$3" "$4"
}

# Starts the static haproxy responder on every real server (job
# static-rs<i>): 200 "ok" to anything, one thread.
bn_start_static() {
	local n i port cfg
	n=$(tb_kv_get backends)
	port=$(topo_rs_port "$(tb_kv_get mode)")
	for ((i = 1; i <= n; i++)); do
		cfg="$TB_STATE/static-rs$i.cfg"
		{
			printf 'global\n    nbthread 1\n    maxconn 8000\n'
			printf 'defaults\n    mode http\n    timeout client 10s\n'
			printf '    timeout server 10s\n    timeout connect 2s\n'
			printf 'frontend static\n    bind 0.0.0.0:%s\n' "$port"
			printf '    http-request return status 200 content-type text/plain string ok\n'
		} >"$cfg"
		tb_spawn "rs$i" "static-rs$i" 3600 haproxy -db -f "$cfg"
	done
	for ((i = 1; i <= n; i++)); do
		wait_for 10 "static responder on rs$i" topo_http_ok "rs$i" 127.0.0.1 "$port"
	done
}

# Stops lbd (the current instance) if it runs.
bn_lbd_stop() {
	local wrapper
	wrapper=$(tb_kv_get lbd_wrapper_pid)
	if [[ -n "$wrapper" ]] && tb_pid_in_node "$wrapper" lb; then
		tb_stop "$wrapper" 3 || true
	fi
}

# Starts lbd with the testbed's config and waits until a request passes.
bn_lbd_start() {
	topo_start_lbd "$(tb_kv_get lbd_path)" "$TB_STATE/lbd.conf" 3600
	wait_for 10 "lbd to forward" topo_http_ok client "$TB_VIP" "$TB_VPORT"
}

# Puts the VIP on the director's lo, so its kernel answers ARP for it.
bn_vip_on() {
	ip -n "$(tb_ns lb)" addr add "$TB_VIP/32" dev lo
}

bn_vip_off() {
	ip -n "$(tb_ns lb)" addr del "$TB_VIP/32" dev lo 2>/dev/null || true
}

# Sets up variant <v> on the director; bn_down <v> undoes it.
bn_up() {
	local v=$1 lbmac m1 m2 m3 m4 cfg i
	case $v in
	lbd-dr | lbd-nat) bn_lbd_start ;;
	nft-dr)
		lbmac=$(tb_mac lb eth0)
		m1=$(tb_mac rs1 eth0); m2=$(tb_mac rs2 eth0)
		m3=$(tb_mac rs3 eth0); m4=$(tb_mac rs4 eth0)
		bn_vip_on
		run_in lb nft -f - <<EOF
table netdev tbbench {
	chain in {
		type filter hook ingress device "eth0" priority 0; policy accept;
		ip daddr $TB_VIP tcp dport $TB_VPORT ether saddr set $lbmac ether daddr set jhash ip saddr . tcp sport mod 10 map { $(bn_map "$m1" "$m2" "$m3" "$m4") } fwd to "eth0"
	}
}
EOF
		wait_for 10 "nft-dr to forward" topo_http_ok client "$TB_VIP" "$TB_VPORT"
		;;
	nft-nat)
		bn_vip_on
		tb_sysctl lb net.ipv4.ip_forward=1 \
			net.netfilter.nf_conntrack_tcp_timeout_time_wait=1
		run_in lb nft -f - <<EOF
table ip tbbench {
	chain pre {
		type nat hook prerouting priority -100;
		ip daddr $TB_VIP tcp dport $TB_VPORT dnat to numgen inc mod 10 map { $(bn_map 10.1.0.11 10.1.0.12 10.1.0.13 10.1.0.14) } : $TB_RS_NAT_PORT
	}
}
EOF
		wait_for 10 "nft-nat to forward" topo_http_ok client "$TB_VIP" "$TB_VPORT"
		;;
	haproxy)
		bn_vip_on
		cfg="$TB_STATE/haproxy-lb.cfg"
		{
			printf 'global\n    nbthread 2\n    maxconn 8000\n'
			printf 'defaults\n    mode tcp\n    timeout client 10s\n'
			printf '    timeout server 10s\n    timeout connect 2s\n'
			printf 'listen vip\n    bind %s:%s\n    balance roundrobin\n' "$TB_VIP" "$TB_VPORT"
			for i in 1 2 3 4; do
				printf '    server rs%d %s:%s weight %d\n' "$i" \
					"$(topo_rs_ip dr "$i")" "$TB_RS_DR_PORT" "$i"
			done
		} >"$cfg"
		tb_spawn lb haproxy-lb 3600 haproxy -db -f "$cfg"
		tb_kv_set haproxy_pid "$TB_LAST_PID"
		wait_for 10 "haproxy to forward" topo_http_ok client "$TB_VIP" "$TB_VPORT"
		;;
	kfwd)
		tb_sysctl lb net.ipv4.ip_forward=1 \
			net.netfilter.nf_conntrack_tcp_timeout_time_wait=1
		ip -n "$(tb_ns router)" route add "$(tb_kv_get rs_net)" via "$TB_LB_LAN_IP"
		wait_for 10 "forwarding to rs1" topo_http_ok client 10.1.0.11 "$TB_RS_NAT_PORT"
		;;
	direct) ;;
	esac
}

bn_down() {
	local v=$1
	case $v in
	lbd-dr | lbd-nat) bn_lbd_stop ;;
	nft-dr) run_in lb nft delete table netdev tbbench; bn_vip_off ;;
	nft-nat)
		run_in lb nft delete table ip tbbench
		tb_sysctl lb net.ipv4.ip_forward=0
		bn_vip_off
		;;
	haproxy) tb_stop "$(tb_kv_get haproxy_pid)" 3 || true; bn_vip_off ;;
	kfwd)
		ip -n "$(tb_ns router)" route del "$(tb_kv_get rs_net)" via "$TB_LB_LAN_IP"
		tb_sysctl lb net.ipv4.ip_forward=0
		;;
	direct) ;;
	esac
}

# Prints the URL variant <v> is measured on.
bn_url() {
	case $1 in
	direct) printf 'http://%s:%s/\n' "$(topo_rs_ip dr 1)" "$TB_RS_DR_PORT" ;;
	kfwd) printf 'http://%s:%s/\n' "$(topo_rs_ip nat 1)" "$TB_RS_NAT_PORT" ;;
	*) printf 'http://%s:%s/\n' "$TB_VIP" "$TB_VPORT" ;;
	esac
}

# Converts a wrk latency ("512.00us", "1.23ms", "2.00s") to microseconds.
bn_us() {
	awk -v v="$1" 'BEGIN {
		n = v + 0
		if (v ~ /us$/) print int(n); else if (v ~ /ms$/) print int(n * 1000);
		else if (v ~ /s$/) print int(n * 1000000); else print -1 }'
}

# Runs wrk for variant <v>, load <kind> (ka|close) and prints
# "<rps> <p50 us> <p99 us> <errors>".
bn_wrk() {
	local v=$1 kind=$2 out rps p50 p99 errs
	local -a hdr=()
	if [[ "$kind" == close ]]; then
		hdr=(-H 'Connection: close')
	fi
	out=$(run_in client timeout $((BN_SECS + 10)) wrk -t1 -c "$BN_CONNS" \
		-d "${BN_SECS}s" --timeout 2s --latency "${hdr[@]}" "$(bn_url "$v")" 2>&1) || true
	rps=$(awk '/^Requests\/sec:/ { printf "%d", $2 }' <<<"$out")
	p50=$(bn_us "$(awk '$1 == "50%" { print $2 }' <<<"$out")")
	p99=$(bn_us "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
	errs=$(awk '/Socket errors|Non-2xx/ { for (i = 1; i <= NF; i++) if ($i + 0 > 0) s += $i } END { print s + 0 }' <<<"$out")
	printf '%s %s %s %s\n' "${rps:-0}" "$p50" "$p99" "$errs"
}

# Runs <reps> repetitions of <variants...> on the opened testbed, appending
# "<rep> <variant> <kind> <rps> <p50> <p99> <errors>" to $BN_OUT.
bn_series() {
	local reps=$1 r v kind res
	local -a f=()
	shift
	for ((r = 1; r <= reps; r++)); do
		for v in "$@"; do
			bn_up "$v"
			for kind in ka close; do
				res=$(bn_wrk "$v" "$kind")
				printf '%d %s %s %s\n' "$r" "$v" "$kind" "$res" >>"$BN_OUT"
				read -r -a f <<<"$res"
				printf '  rep %d %-8s %-5s rps %-7s p50 %6s us p99 %7s us err %s\n' \
					"$r" "$v" "$kind" "${f[0]}" "${f[1]}" "${f[2]}" "${f[3]}"
			done
			bn_down "$v"
		done
	done
}

# Prints the median and min-max of the paired ratios <a>/<b> for <kind>
# (metric: rps) over the repetitions in $BN_OUT.
bn_ratio() {
	local a=$1 b=$2 kind=$3
	awk -v a="$a" -v b="$b" -v k="$kind" '
		$3 == k && $2 == a { ra[$1] = $4 }
		$3 == k && $2 == b { rb[$1] = $4 }
		END {
			n = 0
			for (r in ra) if ((r in rb) && rb[r] > 0) x[++n] = ra[r] / rb[r]
			for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
				if (x[j] < x[i]) { t = x[i]; x[i] = x[j]; x[j] = t }
			if (n == 0) { print "n/a"; exit }
			med = (n % 2) ? x[(n + 1) / 2] : (x[n / 2] + x[n / 2 + 1]) / 2
			printf "%.2f (min %.2f, max %.2f, n=%d)\n", med, x[1], x[n], n
		}' "$BN_OUT"
}

# Prints the median rps, p50 and p99 of variant <v>, load <kind>.
bn_median() {
	local v=$1 kind=$2 col
	for col in 4 5 6; do
		awk -v v="$v" -v k="$kind" -v c="$col" '$2 == v && $3 == k { x[++n] = $c }
			END {
				for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
					if (x[j] < x[i]) { t = x[i]; x[i] = x[j]; x[j] = t }
				printf "%s ", n ? ((n % 2) ? x[(n + 1) / 2] : int((x[n / 2] + x[n / 2 + 1]) / 2)) : "n/a"
			}' "$BN_OUT"
	done
	printf '\n'
}
