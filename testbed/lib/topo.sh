#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The LVS testbed topology on top of netns.sh: client, router, a switch
# namespace holding the bridges, the director (lb) and real servers rs1..rsN,
# in DR or NAT mode; plus the HTTP responders, lbd's config and lbd itself.
# Sourced. Addresses are 10.x constants that exist only inside the namespaces;
# no namespace has a route out, and nothing is configured in the root one.
#
# DR (lb_kind DR): one LAN; the real servers answer the client via the router.
#
#   client              router                 sw            lb (director)
#   eth0 10.9.0.2 ----- eth0 10.9.0.1     +--[lb]-------- eth0 10.0.0.2
#   gw 10.9.0.1         eth1 10.0.0.1 ---[rt]  bridge       gw 10.0.0.1, ip_forward=0
#                       ip_forward=1      |    "lan"        VIP 10.0.0.100: ARP by lbd
#                                         +--[rs1]------- rs1 eth0 10.0.0.11
#                                         |               lo 10.0.0.100/32, gw 10.0.0.1
#                                         +--[rsN]------- rsN eth0 10.0.0.(10+N)
#                                         +--[redis]----- redis eth0 10.0.0.50:6379
#
# NAT (lb_kind NAT): the director is two-armed; the real servers sit on an
# inside LAN with the director as their gateway and listen on port 8080.
#
#   client -- router eth1 10.0.0.1 --[rt]  bridge "lan"  [lb]-- eth0 10.0.0.2  lb
#                                                               eth1 10.1.0.1  (director)
#                                          bridge "inside" [lbin]--'
#                                            +--[rs1]-- rs1 eth0 10.1.0.11, gw 10.1.0.1
#                                            +--[rsN]-- rsN eth0 10.1.0.(10+N)
#                                            +--[redis]-- redis eth0 10.1.0.50:6379
#
# The real servers run either a socat HTTP responder ("echo", the default)
# or ticketd ("ticketd", --app), which keeps its stock in the redis node.
#
# Both bridges live in the "sw" namespace; its port names are in [brackets].
# Every MAC except the switch ports' is 02:00 followed by the IP's four bytes,
# so tcpdump -e output reads at a glance.

set -euo pipefail

if [[ -n "${TB_TOPO_LOADED:-}" ]]; then
	return 0
fi
TB_TOPO_LOADED=1

# shellcheck source=testbed/lib/netns.sh
source "$(dirname "${BASH_SOURCE[0]}")/netns.sh"

readonly TB_CLIENT_IP=10.9.0.2
readonly TB_RT_CLIENT_IP=10.9.0.1
readonly TB_RT_LAN_IP=10.0.0.1
readonly TB_LB_LAN_IP=10.0.0.2
readonly TB_LB_IN_IP=10.1.0.1
readonly TB_VIP=10.0.0.100
readonly TB_VPORT=80
readonly TB_LAN_PLEN=24
readonly TB_RS_DR_BASE=10.0.0.	# rs<i> is <base>(10+i)
readonly TB_RS_NAT_BASE=10.1.0.
readonly TB_RS_DR_PORT=80	# DR cannot change the port
readonly TB_RS_NAT_PORT=8080	# NAT rewrites 80 -> 8080 on the way in
readonly TB_BACKENDS_MAX=8
readonly TB_REDIS_DR_IP=10.0.0.50	# redis on the LAN (DR)
readonly TB_REDIS_NAT_IP=10.1.0.50	# redis on the inside LAN (NAT)
readonly TB_REDIS_PORT=6379

# Prints the MAC the testbed gives the interface holding <ip>.
topo_mac_for() {
	local a b c d
	IFS=. read -r a b c d <<<"$1"
	printf '02:00:%02x:%02x:%02x:%02x\n' "$a" "$b" "$c" "$d"
}

# Prints the address of real server <i> (1-based) in <mode> (dr|nat).
topo_rs_ip() {
	local mode=$1 i=$2
	if [[ "$mode" == nat ]]; then
		printf '%s%d\n' "$TB_RS_NAT_BASE" "$((10 + i))"
	else
		printf '%s%d\n' "$TB_RS_DR_BASE" "$((10 + i))"
	fi
}

# Prints the port the real servers listen on in <mode>.
topo_rs_port() {
	if [[ "$1" == nat ]]; then
		printf '%s\n' "$TB_RS_NAT_PORT"
	else
		printf '%s\n' "$TB_RS_DR_PORT"
	fi
}

# Checks <mode> <n> <weights-csv>; prints why and returns 1 when invalid.
topo_validate() {
	local mode=$1 n=$2 weights=$3
	local -a w=()
	if [[ "$mode" != dr && "$mode" != nat ]]; then
		printf 'mode must be dr or nat, not "%s"\n' "$mode" >&2
		return 1
	fi
	if ! [[ "$n" =~ ^[1-9][0-9]*$ ]] || ((n > TB_BACKENDS_MAX)); then
		printf 'backends must be 1..%d, not "%s"\n' "$TB_BACKENDS_MAX" "$n" >&2
		return 1
	fi
	if ! [[ "$weights" =~ ^[0-9]+(,[0-9]+)*$ ]]; then
		printf 'weights must be a comma-separated list of integers, not "%s"\n' \
			"$weights" >&2
		return 1
	fi
	IFS=, read -r -a w <<<"$weights"
	if ((${#w[@]} != n)); then
		printf '%d weights given for %d backends\n' "${#w[@]}" "$n" >&2
		return 1
	fi
}

# Prints the weight of real server <i> from the recorded weights.
topo_weight() {
	local -a w=()
	IFS=, read -r -a w <<<"$(tb_kv_get weights)"
	printf '%s\n' "${w[$(($1 - 1))]}"
}

# Builds the whole topology for <mode> with <n> real servers weighted
# <weights-csv> into the testbed opened by tb_state_init. Records mode,
# backends and weights in the state dir. Returns non-zero on any failure
# (the caller's cleanup removes what was made).
topo_up() {
	local mode=$1 n=$2 weights=$3
	local i rs ip rs_net
	topo_validate "$mode" "$n" "$weights" || return 1
	tb_kv_set mode "$mode"
	tb_kv_set backends "$n"
	tb_kv_set weights "$weights"

	local -a nodes=(client router sw lb)
	for ((i = 1; i <= n; i++)); do
		nodes+=("rs$i")
	done
	nodes+=(redis)
	setup_ns "${nodes[@]}"

	bridge_add sw lan
	if [[ "$mode" == nat ]]; then
		bridge_add sw inside
	fi
	# The switch only switches. Where the kernel has br_netfilter (built
	# in on some, a module others load), every bridged IPv4 frame would
	# also run sw's netfilter hooks and a route lookup: about a tenth of
	# lbd's CPU in NAT, and a cost no real switch adds.
	if run_in sw test -e /proc/sys/net/bridge/bridge-nf-call-iptables; then
		tb_sysctl sw net.bridge.bridge-nf-call-iptables=0 \
			net.bridge.bridge-nf-call-ip6tables=0 \
			net.bridge.bridge-nf-call-arptables=0
	fi

	# client <-> router, point to point.
	veth_pair client eth0 router eth0 \
		"$(topo_mac_for "$TB_CLIENT_IP")" "$(topo_mac_for "$TB_RT_CLIENT_IP")"
	addr_add client eth0 "$TB_CLIENT_IP/$TB_LAN_PLEN"
	ip -n "$(tb_ns client)" route add default via "$TB_RT_CLIENT_IP"
	addr_add router eth0 "$TB_RT_CLIENT_IP/$TB_LAN_PLEN"

	# router <-> LAN. The router has no route to the inside LAN: in NAT
	# mode only the VIP can be reached.
	veth_pair router eth1 sw rt "$(topo_mac_for "$TB_RT_LAN_IP")"
	bridge_port sw lan rt
	addr_add router eth1 "$TB_RT_LAN_IP/$TB_LAN_PLEN"
	tb_sysctl router net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0 net.ipv4.conf.eth0.rp_filter=0 \
		net.ipv4.conf.eth1.rp_filter=0

	# Director: an address in each subnet, never the VIP, no forwarding.
	veth_pair lb eth0 sw lb "$(topo_mac_for "$TB_LB_LAN_IP")"
	bridge_port sw lan lb
	addr_add lb eth0 "$TB_LB_LAN_IP/$TB_LAN_PLEN"
	ip -n "$(tb_ns lb)" route add default via "$TB_RT_LAN_IP" dev eth0
	tb_sysctl lb net.ipv4.ip_forward=0 net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0 net.ipv4.conf.eth0.rp_filter=0
	if [[ "$mode" == nat ]]; then
		veth_pair lb eth1 sw lbin "$(topo_mac_for "$TB_LB_IN_IP")"
		bridge_port sw inside lbin
		addr_add lb eth1 "$TB_LB_IN_IP/$TB_LAN_PLEN"
		tb_sysctl lb net.ipv4.conf.eth1.rp_filter=0
	fi

	for ((i = 1; i <= n; i++)); do
		rs="rs$i"
		ip=$(topo_rs_ip "$mode" "$i")
		veth_pair "$rs" eth0 sw "$rs" "$(topo_mac_for "$ip")"
		addr_add "$rs" eth0 "$ip/$TB_LAN_PLEN"
		if [[ "$mode" == nat ]]; then
			bridge_port sw inside "$rs"
			ip -n "$(tb_ns "$rs")" route add default via "$TB_LB_IN_IP"
		else
			bridge_port sw lan "$rs"
			ip -n "$(tb_ns "$rs")" route add default via "$TB_RT_LAN_IP"
			# The VIP on lo: accept it, never announce it.
			addr_add "$rs" lo "$TB_VIP/32"
			tb_sysctl "$rs" net.ipv4.conf.all.arp_ignore=1 \
				net.ipv4.conf.all.arp_announce=2 \
				net.ipv4.conf.eth0.arp_ignore=1 \
				net.ipv4.conf.eth0.arp_announce=2 \
				net.ipv4.conf.all.rp_filter=0 \
				net.ipv4.conf.default.rp_filter=0 \
				net.ipv4.conf.eth0.rp_filter=0 \
				net.ipv4.conf.lo.rp_filter=0
		fi
	done
	rs_net=$(topo_rs_ip "$mode" 0)
	tb_kv_set rs_net "${rs_net%.*}.0/$TB_LAN_PLEN"

	# Redis: one more host on the real servers' LAN, no route anywhere.
	ip=$(topo_redis_ip "$mode")
	veth_pair redis eth0 sw redis "$(topo_mac_for "$ip")"
	if [[ "$mode" == nat ]]; then
		bridge_port sw inside redis
	else
		bridge_port sw lan redis
	fi
	addr_add redis eth0 "$ip/$TB_LAN_PLEN"
}

# Prints the address of the redis node in <mode>.
topo_redis_ip() {
	if [[ "$1" == nat ]]; then
		printf '%s\n' "$TB_REDIS_NAT_IP"
	else
		printf '%s\n' "$TB_REDIS_DR_IP"
	fi
}

# Prints "<redis ip>:<port>" of the recorded testbed.
topo_redis_addr() {
	printf '%s:%s\n' "$(topo_redis_ip "$(tb_kv_get mode)")" "$TB_REDIS_PORT"
}

# Sends one UDP datagram from <node> to <ip> port 9 (discard), which makes
# the kernel resolve <ip> by ARP. Always returns 0: its status (an earlier
# ICMP port unreachable) says nothing about ARP.
topo_poke() {
	local node=$1 ip=$2 rc=0
	# shellcheck disable=SC2016 # $1 expands in the inner bash.
	run_in "$node" timeout 2 bash -c 'printf x >"/dev/udp/$1/9"' _ "$ip" \
		>/dev/null 2>&1 || rc=$?
	return 0
}

# Returns 0 when <node> has a neighbour entry with a MAC for <ip> on
# <ifname>; pokes <ip> first so polling drives resolution.
topo_has_neigh() {
	local node=$1 ifname=$2 ip=$3
	topo_poke "$node" "$ip"
	ip -n "$(tb_ns "$node")" neigh show "$ip" dev "$ifname" | grep -q lladdr
}

# Prints the MAC <node> has learned for <ip> on <ifname>, or nothing.
topo_neigh_mac() {
	local node=$1 ifname=$2 ip=$3
	ip -n "$(tb_ns "$node")" neigh show "$ip" dev "$ifname" |
		awk '{ for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1) }'
}

# Fills the director's neighbour table with the router and every real
# server, so lbd finds their MACs there from its first packet. Waits at
# most <secs> (default 5) per address.
topo_warm_neigh() {
	local secs=${1:-5} mode n i ifname ip
	mode=$(tb_kv_get mode)
	n=$(tb_kv_get backends)
	wait_for "$secs" "director ARP for router $TB_RT_LAN_IP" \
		topo_has_neigh lb eth0 "$TB_RT_LAN_IP"
	ifname=eth0
	if [[ "$mode" == nat ]]; then
		ifname=eth1
	fi
	for ((i = 1; i <= n; i++)); do
		ip=$(topo_rs_ip "$mode" "$i")
		wait_for "$secs" "director ARP for rs$i $ip" \
			topo_has_neigh lb "$ifname" "$ip"
	done
}

# Returns 0 when <node> gets an HTTP 200 from http://<ip>:<port>/.
topo_http_ok() {
	local node=$1 ip=$2 port=$3
	run_in "$node" timeout 3 curl -sf --noproxy '*' --connect-timeout 1 \
		--max-time 2 -o /dev/null "http://$ip:$port/"
}

# Starts an HTTP responder on every real server (port by mode), each alive
# for at most <secs>, and waits until each answers locally. The body names
# the server and the addresses it saw: "rs1 <local ip:port> <peer ip:port>".
topo_start_http() {
	local secs=$1 mode n port i responder
	mode=$(tb_kv_get mode)
	n=$(tb_kv_get backends)
	port=$(topo_rs_port "$mode")
	responder="$TB_DIR/lib/http-responder.sh"
	# socat splits EXEC's argument on blanks and treats :,! as syntax.
	if ! [[ "$responder" =~ ^[A-Za-z0-9_./+-]+$ ]]; then
		printf 'testbed path unusable by socat EXEC: %s\n' "$responder" >&2
		return 1
	fi
	for ((i = 1; i <= n; i++)); do
		tb_spawn "rs$i" "http-rs$i" "$secs" socat -T 5 \
			"TCP4-LISTEN:$port,fork,reuseaddr,backlog=256" \
			"EXEC:$responder rs$i"
	done
	for ((i = 1; i <= n; i++)); do
		wait_for 10 "HTTP responder on rs$i" topo_http_ok "rs$i" 127.0.0.1 "$port"
	done
}

# Returns 0 when redis in the redis node answers PING.
topo_redis_ok() {
	local addr
	addr=$(topo_redis_addr)
	[[ "$(run_in redis timeout 2 redis-cli -h "${addr%:*}" -p "${addr##*:}" \
		ping 2>/dev/null)" == PONG ]]
}

# Starts redis-server in the redis node for at most <secs> (job "redis", no
# persistence: the testbed's sale lives as long as the testbed) and waits
# until it answers.
topo_start_redis() {
	local secs=$1 addr
	addr=$(topo_redis_addr)
	tb_spawn redis redis "$secs" redis-server --bind "${addr%:*}" \
		--port "${addr##*:}" --protected-mode no --save '' --appendonly no \
		--dir "$TB_STATE" --maxclients 4096 --tcp-backlog 511
	wait_for 10 "redis-server on ${addr}" topo_redis_ok
}

# Runs `ticketctl --redis <redis> <args...>` in the redis node (the only
# place the 10.x address is reachable besides the real servers).
topo_ticketctl() {
	run_in redis timeout 30 "$(tb_kv_get ticketctl)" --redis "$(topo_redis_addr)" "$@"
}

# Starts (or re-starts) a sale of <tickets> with payment TTL <ttl> seconds,
# deleting any earlier one.
topo_sale_init() {
	local tickets=$1 ttl=${2:-600}
	topo_ticketctl init --total "$tickets" --ttl "$ttl" --force >/dev/null
}

# Returns 0 when <node> gets a 200 from GET http://<ip>:<port>/health.
topo_health_ok() {
	local node=$1 ip=$2 port=$3
	run_in "$node" timeout 3 curl -sf --noproxy '*' --connect-timeout 1 \
		--max-time 2 -o /dev/null "http://$ip:$port/health"
}

# Starts ticketd on real server <i> as job "<job>" (default ticketd-rs<i>)
# for at most <secs>: listening on every address (the VIP on lo in DR), the
# port by mode, node id rs<i>, the recorded quota and threads. Does not
# wait; see topo_wait_ticketd.
topo_start_ticketd_one() {
	local i=$1 secs=$2 job=${3:-"ticketd-rs$1"} port
	port=$(topo_rs_port "$(tb_kv_get mode)")
	tb_spawn "rs$i" "$job" "$secs" "$(tb_kv_get ticketd)" \
		--listen "0.0.0.0:$port" --redis "$(topo_redis_addr)" \
		--node "rs$i" --quota "$(tb_kv_get quota 200)" \
		--threads "$(tb_kv_get threads 1)" --drain-ms 300
	tb_kv_set "ticketd_wrapper_rs$i" "$TB_LAST_PID"
}

# Waits until ticketd on real server <i> answers /health locally.
topo_wait_ticketd() {
	local i=$1 port
	port=$(topo_rs_port "$(tb_kv_get mode)")
	wait_for 10 "ticketd on rs$i" topo_health_ok "rs$i" 127.0.0.1 "$port"
}

# Starts ticketd on every real server and waits until each is healthy.
topo_start_ticketd() {
	local secs=$1 n i
	n=$(tb_kv_get backends)
	for ((i = 1; i <= n; i++)); do
		topo_start_ticketd_one "$i" "$secs"
	done
	for ((i = 1; i <= n; i++)); do
		topo_wait_ticketd "$i"
	done
}

# Prints the PID of the first child of <wrapper> (a timeout wrapper started
# by tb_spawn): the real program. Prints nothing if there is none.
topo_child_pid() {
	local wrapper=$1
	[[ -n "$wrapper" ]] || return 0
	ps -o pid= --ppid "$wrapper" 2>/dev/null | awk 'NR == 1 { print $1 }'
}

# Prints the PID of ticketd itself on real server <i>, or nothing.
topo_ticketd_pid() {
	topo_child_pid "$(tb_kv_get "ticketd_wrapper_rs$1")"
}

# Writes lbd's keepalived-style config for the recorded topology to <file>.
# With <hc> = 1, each real server gets an HTTP_GET check on /health.
topo_write_lbd_conf() {
	local file=$1 hc=${2:-0} mode n port i kind
	mode=$(tb_kv_get mode)
	n=$(tb_kv_get backends)
	port=$(topo_rs_port "$mode")
	kind=DR
	if [[ "$mode" == nat ]]; then
		kind=NAT
	fi
	{
		printf '# Generated by testbed/lib/topo.sh for testbed %s.\n' "$TB_ID"
		printf 'global_defs {\n    lbd_conn_max 262144\n}\n\n'
		printf 'virtual_server %s %s {\n' "$TB_VIP" "$TB_VPORT"
		printf '    delay_loop 0.2\n    lb_algo wrr\n    lb_kind %s\n' "$kind"
		printf '    protocol TCP\n'
		for ((i = 1; i <= n; i++)); do
			printf '\n    real_server %s %s {\n' "$(topo_rs_ip "$mode" "$i")" "$port"
			printf '        weight %s\n' "$(topo_weight "$i")"
			if [[ "$hc" == 1 ]]; then
				printf '        HTTP_GET {\n'
				printf '            url {\n                path /health\n'
				printf '                status_code 200\n            }\n'
				printf '            connect_timeout 0.1\n'
				printf '            retry 0\n        }\n'
				printf '        fall 2\n        rise 2\n'
			fi
			printf '    }\n'
		done
		printf '}\n'
	} >"$file"
}

# Starts <lbd> with config <conf> in the director namespace for at most
# <secs>, logging to $TB_STATE/lbd.log, extra arguments after <secs>.
# Leaves the timeout wrapper's PID in TB_LAST_PID. No -p: lbd's PID is the
# wrapper's only child.
# When lbd's usage mentions --socket, it gets a control socket in the state
# dir (recorded as kv lbd_socket) so that lbctl talks to this testbed's lbd.
# A restart (director-restart drill) appends to lbd.log.
topo_start_lbd() {
	local lbd=$1 conf=$2 secs=$3 help
	local -a extra=()
	shift 3
	help=$(timeout 5 "$lbd" -h 2>&1 || true)
	if [[ "$help" == *--socket* ]]; then
		extra=(--socket "$TB_STATE/lbd.sock")
		tb_kv_set lbd_socket "$TB_STATE/lbd.sock"
	fi
	tb_kv_set lbd_path "$lbd"
	tb_kv_set lbd_conf "$conf"
	if [[ -f "$TB_STATE/lbd.log" ]]; then
		ip netns exec "$(tb_ns lb)" timeout --kill-after=2 "$secs" "$lbd" \
			-f "$conf" "${extra[@]+"${extra[@]}"}" "$@" \
			>>"$TB_STATE/lbd.log" 2>&1 </dev/null &
		TB_LAST_PID=$!
		printf '%s %s %s\n' "$TB_LAST_PID" lb lbd >>"$TB_STATE/pids"
	else
		tb_spawn lb lbd "$secs" "$lbd" -f "$conf" "${extra[@]+"${extra[@]}"}" "$@"
	fi
	tb_kv_set lbd_wrapper_pid "$TB_LAST_PID"
}

# Prints the PID of lbd itself (the child of its timeout wrapper), or
# nothing.
topo_lbd_pid() {
	topo_child_pid "$(tb_kv_get lbd_wrapper_pid)"
}

# Returns 0 when lbd's timeout wrapper is still running.
topo_lbd_alive() {
	local wrapper
	wrapper=$(tb_kv_get lbd_wrapper_pid)
	[[ -n "$wrapper" ]] && tb_pid_in_node "$wrapper" lb
}

# Returns 0 when the router has resolved the VIP by ARP (lbd answered).
topo_vip_resolved() {
	topo_has_neigh router eth1 "$TB_VIP"
}

# Returns 0 when the VIP is resolved or lbd has died: the condition to poll
# on, so a crashing lbd does not cost the whole deadline.
topo_vip_resolved_or_lbd_dead() {
	topo_vip_resolved || ! topo_lbd_alive
}

# Prints the testbed's nodes, addresses and jobs.
topo_status() {
	local node pid name state
	printf 'testbed %s  mode %s  backends %s  weights %s  app %s\n' "$TB_ID" \
		"$(tb_kv_get mode '?')" "$(tb_kv_get backends '?')" \
		"$(tb_kv_get weights '?')" "$(tb_kv_get app echo)"
	printf 'state   %s\n' "$TB_STATE"
	for node in "${TB_NODES[@]+"${TB_NODES[@]}"}"; do
		if ! tb_ns_exists "$(tb_ns "$node")"; then
			printf '%-7s %s (missing)\n' "$node" "$(tb_ns "$node")"
			continue
		fi
		printf '%-7s %s\n' "$node" "$(tb_ns "$node")"
		ip -n "$(tb_ns "$node")" -br addr show | awk '$1 != "lo" || NF > 2' |
			sed 's/^/          /'
	done
	if [[ -s "$TB_STATE/pids" ]]; then
		printf 'jobs:\n'
		while read -r pid node name; do
			state=gone
			if tb_pid_in_node "$pid" "$node"; then
				state=running
			fi
			printf '  %-8s %-10s %-6s %s\n' "$pid" "$name" "$node" "$state"
		done <"$TB_STATE/pids"
	fi
}
