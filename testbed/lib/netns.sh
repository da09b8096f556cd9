#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Network-namespace plumbing for the testbed, sourced by testbed/tb and the
# tests: per-run names, a state dir that records everything made (so cleanup
# works after a crash), veth/bridge helpers, background jobs under timeout,
# polling with a deadline. Topology-free; testbed/lib/topo.sh builds on it.
#
# State dir: $TB_OUT/<id>/ (default testbed/out/<id>/, gitignored) holds
#   nodes   one namespace name per line, written before the namespace exists
#   pids    "<pid> <node> <name>" per background job started through tb_spawn
#   kv/     one file per recorded setting (mode, backends, ...)
#   *.log, *.pcap, lbd.conf   job output, captures, generated config
# Every name made here starts with "<id>-", where <id> is "tb" and 6 random hex
# digits, so two testbeds never collide and cleanup touches only its own.

set -euo pipefail

if [[ -n "${TB_NETNS_LOADED:-}" ]]; then
	return 0
fi
TB_NETNS_LOADED=1

TB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TB_OUT=${TB_OUT:-"$TB_DIR/out"}
TB_ID=''
TB_PREFIX=''
TB_STATE=''
TB_NODES=()
TB_LAST_PID=''

# Prints "<tool> " for every named tool not on PATH; prints nothing if all are.
tb_missing_tools() {
	local t
	for t in "$@"; do
		if ! command -v "$t" >/dev/null 2>&1; then
			printf '%s ' "$t"
		fi
	done
}

# Returns 0 when running as root.
tb_is_root() {
	[[ "$(id -u)" -eq 0 ]]
}

# Prints a fresh testbed id: "tb" and 6 random hex digits.
tb_new_id() {
	local hex
	hex=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
	printf 'tb%s\n' "$hex"
}

# Returns 0 when <id> has the shape tb_new_id gives; guards every rm and
# netns delete against a corrupted state file or a bad argument.
tb_is_id() {
	[[ "$1" =~ ^tb[0-9a-f]{6}$ ]]
}

# Sets the globals for testbed <id> (no side effects).
tb_select() {
	local id=$1
	if ! tb_is_id "$id"; then
		printf 'bad testbed id: %s\n' "$id" >&2
		return 1
	fi
	TB_ID=$id
	TB_PREFIX="$id-"
	TB_STATE="$TB_OUT/$id"
	TB_NODES=()
}

# Creates the state dir of a new testbed, with <id> or a random one. mkdir
# is the lock: of two runs that draw the same id, the second draws again.
tb_state_init() {
	local id=${1:-} tries
	mkdir -p "$TB_OUT"
	for ((tries = 0; tries < 5; tries++)); do
		if [[ -z "${1:-}" ]]; then
			id=$(tb_new_id)
		fi
		tb_select "$id"
		if mkdir "$TB_STATE" 2>/dev/null; then
			mkdir "$TB_STATE/kv"
			: >"$TB_STATE/nodes"
			: >"$TB_STATE/pids"
			return 0
		fi
		if [[ -n "${1:-}" ]]; then
			break
		fi
	done
	printf 'cannot create a state dir for testbed %s in %s\n' "$id" "$TB_OUT" >&2
	TB_ID=''
	TB_STATE=''
	return 1
}

# Opens the recorded state of testbed <id>; returns 1 if there is none.
tb_state_open() {
	local id=$1 ns
	tb_select "$id" || return 1
	if [[ ! -f "$TB_STATE/nodes" ]]; then
		return 1
	fi
	while IFS= read -r ns; do
		if [[ -n "$ns" ]]; then
			TB_NODES+=("${ns#"$TB_PREFIX"}")
		fi
	done <"$TB_STATE/nodes"
}

# Records setting <key> = <value> in the state dir.
tb_kv_set() {
	printf '%s\n' "$2" >"$TB_STATE/kv/$1"
}

# Prints setting <key>, or <default> (empty if none given) when unset.
tb_kv_get() {
	if [[ -f "$TB_STATE/kv/$1" ]]; then
		cat "$TB_STATE/kv/$1"
	else
		printf '%s\n' "${2:-}"
	fi
}

# Prints the namespace name of <node> ("client" -> "tb1a2b3c-client").
tb_ns() {
	printf '%s%s\n' "$TB_PREFIX" "$1"
}

# Returns 0 when namespace <ns> exists.
tb_ns_exists() {
	[[ -e "/run/netns/$1" ]]
}

# Creates one namespace per <node>: recorded first, then made, with lo up
# and IPv6 off so neither router solicitations nor DAD frames reach the
# captures or lbd.
setup_ns() {
	local node ns
	for node in "$@"; do
		ns=$(tb_ns "$node")
		printf '%s\n' "$ns" >>"$TB_STATE/nodes"
		TB_NODES+=("$node")
		ip netns add "$ns"
		ip -n "$ns" link set lo up
		run_in "$node" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1
	done
}

# Runs <cmd...> inside the namespace of <node>.
run_in() {
	local node=$1
	shift
	ip netns exec "$(tb_ns "$node")" "$@"
}

# Sets each <key=value> sysctl inside <node>.
tb_sysctl() {
	local node=$1
	shift
	run_in "$node" sysctl -qw "$@"
}

# Turns off tx checksumming, TSO, GSO and GRO on <ifname> in <node>: lbd sees
# and injects whole frames with real checksums only when the veths do not
# defer that work to a NIC that does not exist.
offload_off() {
	local node=$1 ifname=$2
	run_in "$node" ethtool -K "$ifname" tx off tso off gso off gro off >/dev/null
}

# Prints the MAC address of <ifname> in <node>.
tb_mac() {
	local node=$1 ifname=$2
	ip -n "$(tb_ns "$node")" -br link show dev "$ifname" | awk '{ print $3 }'
}

# Creates a veth pair <if_a> in <node_a> <-> <if_b> in <node_b>, offloads
# off on both ends, both up. Optional <mac_a>, <mac_b> set the MACs (empty
# keeps the kernel's random one). The pair is made directly in the two
# namespaces, so no name ever appears in the root namespace.
veth_pair() {
	local node_a=$1 if_a=$2 node_b=$3 if_b=$4 mac_a=${5:-} mac_b=${6:-}
	local ns_a ns_b
	ns_a=$(tb_ns "$node_a")
	ns_b=$(tb_ns "$node_b")
	ip -n "$ns_a" link add "$if_a" type veth peer name "$if_b" netns "$ns_b"
	if [[ -n "$mac_a" ]]; then
		ip -n "$ns_a" link set "$if_a" address "$mac_a"
	fi
	if [[ -n "$mac_b" ]]; then
		ip -n "$ns_b" link set "$if_b" address "$mac_b"
	fi
	offload_off "$node_a" "$if_a"
	offload_off "$node_b" "$if_b"
	ip -n "$ns_a" link set "$if_a" up
	ip -n "$ns_b" link set "$if_b" up
}

# Creates bridge <br> in <node>: no STP (ports forward at once), no
# multicast snooping, up.
bridge_add() {
	local node=$1 br=$2 ns
	ns=$(tb_ns "$node")
	ip -n "$ns" link add "$br" type bridge stp_state 0 forward_delay 0 \
		mcast_snooping 0
	ip -n "$ns" link set "$br" up
}

# Enslaves <ifname> to bridge <br> in <node>.
bridge_port() {
	local node=$1 br=$2 ifname=$3
	ip -n "$(tb_ns "$node")" link set "$ifname" master "$br" up
}

# Adds <cidr> to <ifname> in <node>.
addr_add() {
	local node=$1 ifname=$2 cidr=$3
	ip -n "$(tb_ns "$node")" addr add "$cidr" dev "$ifname"
}

# Starts <cmd...> in <node> in the background under `timeout <secs>`, output
# to $TB_STATE/<name>.log, records the PID and leaves it in TB_LAST_PID.
# timeout makes itself a process group leader, so on expiry it also ends
# children (socat's forks); tb_stop and cleanup send TERM to that PID.
tb_spawn() {
	local node=$1 name=$2 secs=$3
	shift 3
	ip netns exec "$(tb_ns "$node")" timeout --kill-after=2 "$secs" "$@" \
		>"$TB_STATE/$name.log" 2>&1 </dev/null &
	TB_LAST_PID=$!
	printf '%s %s %s\n' "$TB_LAST_PID" "$node" "$name" >>"$TB_STATE/pids"
}

# Prints the PID recorded for job <name>, or nothing.
tb_pid_of() {
	local pid node name
	[[ -f "$TB_STATE/pids" ]] || return 0
	while read -r pid node name; do
		if [[ "$name" == "$1" ]]; then
			printf '%s\n' "$pid"
		fi
	done <"$TB_STATE/pids"
}

# Returns 0 when <pid> is alive in the namespace of <node>; a PID recycled
# by an unrelated process after a crash fails this test. -ef compares the
# nsfs inodes behind /proc/<pid>/ns/net and /run/netns/<ns>.
tb_pid_in_node() {
	local pid=$1 node=$2
	[[ -n "$TB_PREFIX" && "$pid" =~ ^[0-9]+$ ]] || return 1
	[[ "/proc/$pid/ns/net" -ef "/run/netns/$(tb_ns "$node")" ]]
}

# Milliseconds since the epoch (bash 5 EPOCHREALTIME, no fork).
tb_now_ms() {
	local t=${EPOCHREALTIME/[.,]/}
	printf '%s\n' "$((t / 1000))"
}

# Polls <cmd...> every 0.1 s until it succeeds or <secs> have passed.
# Returns 0 on success, 1 on timeout (with "timed out: <desc>" on stderr).
wait_for() {
	local secs=$1 desc=$2
	shift 2
	local deadline tries max
	deadline=$(($(tb_now_ms) + secs * 1000))
	max=$((secs * 10 + 10))
	for ((tries = 0; tries < max; tries++)); do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		if (($(tb_now_ms) >= deadline)); then
			break
		fi
		sleep 0.1
	done
	printf 'timed out after %ss: %s\n' "$secs" "$desc" >&2
	return 1
}

# Stops background job <pid> (one we recorded): TERM, then KILL after
# <grace> seconds (default 3). Reaps it if it is our child. Returns the
# job's exit status when it is our child, else 0.
tb_stop() {
	local pid=$1 grace=${2:-3} i rc=0
	if kill -TERM "$pid" 2>/dev/null; then
		for ((i = 0; i < grace * 10; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			# A zombie child still answers kill -0; wait reaps it.
			if [[ "$(ps -o stat= -p "$pid" 2>/dev/null)" == Z* ]]; then
				break
			fi
			sleep 0.1
		done
		# It may have gone meanwhile; wait below has the final word.
		kill -KILL "$pid" 2>/dev/null || rc=$?
	fi
	rc=0
	wait "$pid" 2>/dev/null || rc=$?
	return "$rc"
}

# Tears down testbed $TB_ID: kills recorded jobs that are still in our
# namespaces, then anything else left inside them (socat children), deletes
# the namespaces (their veths and bridges go with them) and, unless
# TB_KEEP=1, the state dir. Idempotent and silent; safe after a crash or a
# half-finished setup. `|| true` is allowed here only.
tb_cleanup() {
	local pid node name ns i
	local -a nss=() left=()
	[[ -n "$TB_ID" && -n "$TB_STATE" ]] || return 0
	if [[ -f "$TB_STATE/pids" ]]; then
		while read -r pid node name; do
			if tb_pid_in_node "$pid" "$node"; then
				kill -TERM "$pid" 2>/dev/null || true
			fi
		done <"$TB_STATE/pids" || true
	fi
	if [[ -f "$TB_STATE/nodes" ]]; then
		while IFS= read -r ns; do
			if [[ "$ns" == "$TB_PREFIX"* ]] && tb_ns_exists "$ns"; then
				nss+=("$ns")
			fi
		done <"$TB_STATE/nodes" || true
	fi
	for ((i = 0; i < 30; i++)); do
		left=()
		for ns in "${nss[@]+"${nss[@]}"}"; do
			while read -r pid; do
				[[ -n "$pid" ]] && left+=("$pid")
			done < <(ip netns pids "$ns" 2>/dev/null || true)
		done
		((${#left[@]} == 0)) && break
		if ((i < 20)); then
			kill -TERM "${left[@]}" 2>/dev/null || true
		else
			kill -KILL "${left[@]}" 2>/dev/null || true
		fi
		sleep 0.1
	done
	# Reap our own children so no zombie outlives the run.
	if [[ -f "$TB_STATE/pids" ]]; then
		while read -r pid node name; do
			wait "$pid" 2>/dev/null || true
		done <"$TB_STATE/pids" || true
	fi
	for ns in "${nss[@]+"${nss[@]}"}"; do
		ip netns del "$ns" 2>/dev/null || true
	done
	if [[ "${TB_KEEP:-0}" != 1 && -d "$TB_STATE" && "$TB_STATE" == "$TB_OUT/$TB_ID" ]]; then
		rm -rf -- "$TB_STATE" || true
	fi
	if [[ -f "$TB_OUT/current" && "$(cat "$TB_OUT/current" 2>/dev/null)" == "$TB_ID" ]]; then
		rm -f -- "$TB_OUT/current" || true
	fi
	TB_NODES=()
}
