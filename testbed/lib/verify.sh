#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tcpdump verdicts on a testbed, shared by `tb verify` and the tests: lbd's
# per-real-server counters (SIGUSR1), the DR and NAT frame checks, ARP for
# the VIP, checksums and the exact wrr distribution. Sourced after check.sh.
# Captures are named <pfx><where> ("v-rs1", "v-client", ... for tb verify,
# "rs1", "client", ... in the tests) and stay in the state dir.
#
#   client eth0 --- router eth1 --[lan]-- lb eth0 (lbd)   [NAT: lb eth1 --[inside]--]
#      ^cap            ^cap (tcp+arp)       ^cap              rs<i> eth0 ^cap each

set -euo pipefail

if [[ -n "${TB_VERIFY_LOADED:-}" ]]; then
	return 0
fi
TB_VERIFY_LOADED=1

# shellcheck source=testbed/lib/check.sh
source "$(dirname "${BASH_SOURCE[0]}")/check.sh"

# --- lbd counters -----------------------------------------------------------

# Prints the number of counter dumps ("lbd counters:" lines) in lbd.log.
vf_dumps() {
	local n
	n=$(grep -c '^lbd counters:' "$TB_STATE/lbd.log" 2>/dev/null) || n=0
	printf '%s\n' "$n"
}

# Returns 0 when lbd.log holds more than <n> complete dumps: the last one is
# followed by its <backends> "->" lines.
vf_dump_done() {
	local n=$1 backends=$2
	awk -v n="$n" -v b="$backends" '
		/^lbd counters:/ { d++; r = 0; next }
		/^    -> / { r++ }
		END { exit !(d > n && r >= b) }' "$TB_STATE/lbd.log"
}

# Asks lbd for its counters (SIGUSR1) and prints "<rs ip:port> <conns>" for
# each real server, from the fresh dump. Returns 1 if lbd does not answer
# within 3 s.
vf_lbd_conns() {
	local pid n backends
	pid=$(topo_lbd_pid)
	[[ -n "$pid" ]] || return 1
	backends=$(tb_kv_get backends)
	n=$(vf_dumps)
	kill -USR1 "$pid"
	wait_for 3 "lbd counters on SIGUSR1" vf_dump_done "$n" "$backends" || return 1
	awk -v n="$n" '
		/^lbd counters:/ { d++; next }
		d > n && /^    -> / { print $2, $4 }' "$TB_STATE/lbd.log" |
		awk '{ last[$1] = $2; if (!($1 in seen)) { seen[$1] = 1; order[++k] = $1 } }
		END { for (i = 1; i <= k; i++) print order[i], last[order[i]] }'
}

# Prints "<i> <conns>" per real server: <after> minus <before>, two outputs
# of vf_lbd_conns.
vf_conns_delta() {
	local before=$1 after=$2 mode n i addr b a
	mode=$(tb_kv_get mode)
	n=$(tb_kv_get backends)
	for ((i = 1; i <= n; i++)); do
		addr="$(topo_rs_ip "$mode" "$i"):$(topo_rs_port "$mode")"
		b=$(awk -v a="$addr" '$1 == a { print $2 }' <<<"$before")
		a=$(awk -v a="$addr" '$1 == a { print $2 }' <<<"$after")
		printf '%d %d\n' "$i" "$((${a:-0} - ${b:-0}))"
	done
}

# Checks that the new connections per real server (<delta>, "<i> <conns>"
# lines) match the recorded weights exactly for <n> connections.
vf_check_wrr_delta() {
	local delta=$1 n=$2 sum=0 w i got want
	local -a ws=()
	IFS=, read -r -a ws <<<"$(tb_kv_get weights)"
	for w in "${ws[@]}"; do
		sum=$((sum + w))
	done
	if ((sum == 0 || n % sum != 0)); then
		tb_fail "wrr check needs connections ($n) to be a multiple of the weight sum ($sum)"
		return 0
	fi
	while read -r i got; do
		w=${ws[$((i - 1))]}
		want=$((n * w / sum))
		tb_check_eq "distribution: lbd gave rs$i (weight $w) $want of $n new connections" \
			"$got" "$want"
	done <<<"$delta"
}

# --- frame checks -------------------------------------------------------------

# DR at each real server: every TCP frame to the VIP has dst IP:port =
# VIP:80, dst MAC = that real server, src MAC = director, src IP = client.
vf_check_dr_rs() {
	local pfx=$1 lbmac rsmac i n bad smac dmac src dst backends
	backends=$(tb_kv_get backends)
	lbmac=$(tb_mac lb eth0)
	for ((i = 1; i <= backends; i++)); do
		rsmac=$(tb_mac "rs$i" eth0)
		n=0
		bad=''
		while read -r smac dmac src dst; do
			n=$((n + 1))
			if [[ "$dst" != "$TB_VIP.$TB_VPORT" || "$dmac" != "$rsmac" ||
				"$smac" != "$lbmac" || "${src%.*}" != "$TB_CLIENT_IP" ]]; then
				bad+="$smac > $dmac $src > $dst"$'\n'
			fi
		done < <(tb_cap_flows "${pfx}rs$i" "tcp and dst host $TB_VIP")
		tb_check_none "DR at rs$i: dst IP = VIP, dst MAC = rs$i $rsmac, src MAC = director $lbmac, src IP = client" \
			"$n" "${bad%$'\n'}"
	done
}

# DR at the router: requests go to the director's MAC; replies come from
# the real servers' MACs, never from the director's.
vf_check_dr_router() {
	local pfx=$1 rsmacs='' i backends
	backends=$(tb_kv_get backends)
	for ((i = 1; i <= backends; i++)); do
		rsmacs+=" $(tb_mac "rs$i" eth0) "
	done
	vf_check_router "$pfx" DR "$rsmacs" '' "a real server's MAC, not the director's"
}

# The router half of the DR and NAT checks, on capture <pfx>router: every
# frame to VIP:80 has dst MAC = the director's (outside MAC); every frame
# from VIP:80 goes to the client, from one of <srcmacs> (" mac " each) and,
# unless <dstmac> is empty, to <dstmac>; any other frame is wrong. <kind>
# (DR, NAT) and <from> (who the replies come from) name the checks.
vf_check_router() {
	local pfx=$1 kind=$2 srcmacs=$3 dstmac=$4 from=$5
	local lbmac nin=0 nout=0 badin='' badout='' smac dmac src dst
	lbmac=$(tb_mac lb eth0)
	while read -r smac dmac src dst; do
		if [[ "$dst" == "$TB_VIP.$TB_VPORT" ]]; then
			nin=$((nin + 1))
			if [[ "$dmac" != "$lbmac" ]]; then
				badin+="$smac > $dmac $src > $dst"$'\n'
			fi
		elif [[ "$src" == "$TB_VIP.$TB_VPORT" ]]; then
			nout=$((nout + 1))
			if [[ "$srcmacs" != *" $smac "* || ( -n "$dstmac" && "$dmac" != "$dstmac" ) ||
				"${dst%.*}" != "$TB_CLIENT_IP" ]]; then
				badout+="$smac > $dmac $src > $dst"$'\n'
			fi
		else
			badin+="unexpected: $smac > $dmac $src > $dst"$'\n'
		fi
	done < <(tb_cap_flows "${pfx}router")
	tb_check_none "$kind at router: every frame to the VIP has dst MAC = director $lbmac" \
		"$nin" "${badin%$'\n'}"
	tb_check_none "$kind at router: every reply from the VIP comes from $from" \
		"$nout" "${badout%$'\n'}"
}

# DR: replies reach the client from the VIP, and the director's capture
# holds no VIP -> client packet (it saw the requests, so it was capturing).
vf_check_dr_bypass() {
	local pfx=$1 smac dmac src dst nreq=0 nrep=0 bad='' ncl=0
	while read -r smac dmac src dst; do
		if [[ "$dst" == "$TB_VIP.$TB_VPORT" ]]; then
			nreq=$((nreq + 1))
		elif [[ "$src" == "$TB_VIP".* ]]; then
			nrep=$((nrep + 1))
			bad+="$smac > $dmac $src > $dst"$'\n'
		fi
	done < <(tb_cap_flows "${pfx}lb")
	while read -r smac dmac src dst; do
		if [[ "$src" == "$TB_VIP.$TB_VPORT" && "${dst%.*}" == "$TB_CLIENT_IP" ]]; then
			ncl=$((ncl + 1))
		fi
	done < <(tb_cap_flows "${pfx}client")
	if ((ncl > 0)); then
		tb_pass "DR at client: replies from the VIP arrive ($ncl packets)"
	else
		tb_fail "DR at client: replies from the VIP arrive (none captured)"
	fi
	if ((nreq == 0)); then
		tb_fail "DR at director: no VIP -> client packet (but the capture saw no request either)"
	elif ((nrep > 0)); then
		tb_fail "DR at director: no VIP -> client packet ($nrep of them)" "${bad%$'\n'}"
	else
		tb_pass "DR at director: no VIP -> client packet ($nreq requests seen, 0 replies)"
	fi
}

# NAT at each real server, every TCP frame on the real-server port: in, dst =
# rip:rport from the client via the director's inside MAC; out, back to the
# client via the director; anything else is wrong. The director's own health
# checks (from its inside address, not forwarded by lbd) are left out.
vf_check_nat_rs() {
	local pfx=$1 inmac rsmac rip i n bad smac dmac src dst port backends
	backends=$(tb_kv_get backends)
	inmac=$(tb_mac lb eth1)
	port=$(topo_rs_port nat)
	for ((i = 1; i <= backends; i++)); do
		rsmac=$(tb_mac "rs$i" eth0)
		rip=$(topo_rs_ip nat "$i")
		n=0
		bad=''
		while read -r smac dmac src dst; do
			n=$((n + 1))
			if [[ "$dst" == "$rip.$port" ]]; then
				if [[ "${src%.*}" != "$TB_CLIENT_IP" || "$smac" != "$inmac" ||
					"$dmac" != "$rsmac" ]]; then
					bad+="in:  $smac > $dmac $src > $dst"$'\n'
				fi
			elif [[ "$src" == "$rip.$port" ]]; then
				if [[ "${dst%.*}" != "$TB_CLIENT_IP" || "$dmac" != "$inmac" ]]; then
					bad+="out: $smac > $dmac $src > $dst"$'\n'
				fi
			else
				bad+="?:   $smac > $dmac $src > $dst"$'\n'
			fi
		done < <(tb_cap_flows "${pfx}rs$i" "tcp port $port and not host $TB_LB_IN_IP")
		tb_check_none "NAT at rs$i: in dst = $rip:$port from client $TB_CLIENT_IP via director $inmac; out to the client via the director (health checks from $TB_LB_IN_IP left out)" \
			"$n" "${bad%$'\n'}"
	done
}

# NAT at the client: every packet is client <-> VIP:80.
vf_check_nat_client() {
	local pfx=$1 n=0 bad='' smac dmac src dst
	while read -r smac dmac src dst; do
		n=$((n + 1))
		if [[ "${dst%.*}" == "$TB_CLIENT_IP" && "$src" == "$TB_VIP.$TB_VPORT" ]]; then
			continue
		fi
		if [[ "${src%.*}" == "$TB_CLIENT_IP" && "$dst" == "$TB_VIP.$TB_VPORT" ]]; then
			continue
		fi
		bad+="$smac > $dmac $src > $dst"$'\n'
	done < <(tb_cap_flows "${pfx}client")
	tb_check_none "NAT at client: every packet is client <-> VIP $TB_VIP:$TB_VPORT (src = VIP on every reply)" \
		"$n" "${bad%$'\n'}"
}

# NAT at the router: both directions cross the LAN through the director's
# outside MAC.
vf_check_nat_router() {
	local pfx=$1 lbmac rtmac
	lbmac=$(tb_mac lb eth0)
	rtmac=$(tb_mac router eth1)
	vf_check_router "$pfx" NAT " $lbmac " "$rtmac" "director $lbmac to the router $rtmac"
}

# NAT: no real-server address appears in the client's or the router's
# capture (the client side of the director).
vf_check_nat_no_leak() {
	local pfx=$1 net name n leaks
	net=$(tb_kv_get rs_net)
	net=${net%.0/*}.
	for name in client router; do
		n=$(tcpdump -nn -r "$TB_STATE/${pfx}$name.pcap" 2>/dev/null | wc -l)
		leaks=$(tcpdump -nn -r "$TB_STATE/${pfx}$name.pcap" 2>/dev/null |
			grep -F "$net" || true)
		tb_check_none "NAT at $name: no real-server address ($net*) leaks to the client side" \
			"$n" "$leaks"
	done
}

# Checks with tcpdump -vv that no IP or TCP checksum in capture <pfx><name>
# is flagged wrong.
vf_check_csum() {
	local pfx=$1 name=$2 n bad
	n=$(tcpdump -nn -r "$TB_STATE/${pfx}$name.pcap" ip 2>/dev/null | wc -l)
	bad=$(tcpdump -nn -vv -r "$TB_STATE/${pfx}$name.pcap" ip 2>/dev/null |
		grep -Ei 'incorrect|bad (tcp|udp|ip)? ?cksum' || true)
	tb_check_none "checksums valid at $name (tcpdump -vv)" "$n" "$bad"
}

# ARP for the VIP, seen by the router: at least one reply, every one from
# the director's MAC and naming it; and no real server sends one.
vf_check_arp() {
	local pfx=$1 lbmac line n=0 bad='' i backends rsbad=''
	lbmac=$(tb_mac lb eth0)
	backends=$(tb_kv_get backends)
	while IFS= read -r line; do
		n=$((n + 1))
		if [[ "$line" != *" $lbmac > "* || "$line" != *"is-at $lbmac"* ]]; then
			bad+="$line"$'\n'
		fi
	done < <(tcpdump -nn -e -r "$TB_STATE/${pfx}arp.pcap" 2>/dev/null |
		grep -F "Reply $TB_VIP is-at" || true)
	tb_check_none "ARP for the VIP $TB_VIP answered by the director $lbmac only" \
		"$n" "${bad%$'\n'}" "ARP replies"
	if [[ "$(tb_kv_get mode)" == dr ]]; then
		for ((i = 1; i <= backends; i++)); do
			rsbad+=$(tcpdump -nn -e -r "$TB_STATE/${pfx}rs$i.pcap" arp 2>/dev/null |
				grep -F "Reply $TB_VIP is-at" || true)
		done
		tb_check_eq "DR: ARP replies for the VIP sent by real servers" \
			"$(printf '%s' "$rsbad" | grep -c . || true)" 0
	fi
}

# --- tb verify ----------------------------------------------------------------

# Runs the whole verification on the opened, running testbed: captures on
# the client, router, director and every real server, <n> connections from
# the client (one curl each; <n> must be a multiple of the weight sum), then
# every check. Captures stay as $TB_STATE/v-*.pcap.
vf_run() {
	local n=$1 mode backends app path port i before after delta
	mode=$(tb_kv_get mode)
	backends=$(tb_kv_get backends)
	app=$(tb_kv_get app echo)
	port=$(topo_rs_port "$mode")
	path=''
	if [[ "$app" == ticketd ]]; then
		path=/health
	fi
	if ! topo_lbd_alive; then
		tb_fail "lbd is running on the director"
		return 0
	fi
	rm -f -- "$TB_STATE"/v-*.pcap
	for ((i = 1; i <= backends; i++)); do
		tb_cap_start "rs$i" eth0 "v-rs$i" 120 "tcp port $port or arp"
	done
	tb_cap_start client eth0 v-client 120 ip
	tb_cap_start router eth1 v-router 120 "tcp and host $TB_VIP"
	tb_cap_start router eth1 v-arp 120 arp
	tb_cap_start lb eth0 v-lb 120 "tcp and host $TB_VIP"
	# A cold ARP entry: the first request makes the router ask for the VIP.
	ip -n "$(tb_ns router)" neigh del "$TB_VIP" dev eth1 2>/dev/null ||
		printf 'verify: no neighbour entry for the VIP to delete\n'
	before=$(vf_lbd_conns) || before=''
	tb_send_requests "$n" 60 "$path"
	after=$(vf_lbd_conns) || after=''
	tb_cap_stop_all
	if ((TB_RESP_OK == n)); then
		tb_pass "all $n connections through the VIP answered"
	else
		tb_fail "all $n connections through the VIP answered: $TB_RESP_OK were" \
			"$(grep '^FAILED' "$TB_STATE/responses" | sort | uniq -c | sed -n 1,5p)"
	fi
	if [[ -z "$before" || -z "$after" ]]; then
		tb_fail "lbd prints its counters on SIGUSR1"
	else
		delta=$(vf_conns_delta "$before" "$after")
		vf_check_wrr_delta "$delta" "$n"
	fi
	vf_check_arp v-
	if [[ "$mode" == dr ]]; then
		vf_check_dr_rs v-
		vf_check_dr_router v-
		vf_check_dr_bypass v-
	else
		vf_check_nat_rs v-
		vf_check_nat_client v-
		vf_check_nat_router v-
		vf_check_nat_no_leak v-
	fi
	vf_check_csum v- client
	for ((i = 1; i <= backends; i++)); do
		vf_check_csum v- "rs$i"
	done
	printf 'captures kept: %s/v-*.pcap\n' "$TB_STATE"
}
