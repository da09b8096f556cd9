#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Load with a per-100 ms timeline, for the drills: curl in the client
# namespace (--parallel, one connection per request, every request a new
# buyer), each completion timestamped by perl; lbd's per-real-server
# connection counters sampled every 100 ms (SIGUSR1); drill events and
# lbd's health transitions; all folded into a CSV and a gnuplot PNG.
# Sourced after verify.sh.
#
#   client: timeout curl --parallel ... | perl (ms stamp) > <name>.load
#   tb:     sampler loop: kill -USR1 lbd every 100 ms -> lbd.log dumps
#   tb:     ld_event "text" -> <name>.events
#
# Files (state dir): <name>.load "<t_ms> <http> <curl exit> <time_total s>",
# <name>.samples "<t_ms>" per SIGUSR1, <name>.events "<t_ms> <text>",
# <name>.csv, <name>.png.

set -euo pipefail

if [[ -n "${TB_LOAD_LOADED:-}" ]]; then
	return 0
fi
TB_LOAD_LOADED=1

# shellcheck source=testbed/lib/verify.sh
source "$(dirname "${BASH_SOURCE[0]}")/verify.sh"

LD_NAME=''
LD_T0=0
LD_LOAD_PID=''
LD_SAMPLER_PID=''
LD_DUMP0=0

# Perl program that prefixes each line with the wall clock in ms.
# shellcheck disable=SC2016 # perl, not shell, expands these.
readonly LD_STAMP='BEGIN { $| = 1 } printf "%.0f %s", Time::HiRes::time() * 1000, $_ if /^\d{3} \d+ [\d.]+$/'

# Records drill event <text> at the current time.
ld_event() {
	printf '%s %s\n' "$(tb_now_ms)" "$*" >>"$TB_STATE/$LD_NAME.events"
	printf '  %6.1f s  %s\n' "$(awk -v t="$(tb_now_ms)" -v t0="$LD_T0" \
		'BEGIN { print (t - t0) / 1000 }')" "$*"
}

# The sampler: SIGUSR1 to lbd every 100 ms for at most <secs>, the send
# time of each appended to <name>.samples. Runs in the background.
ld_sampler() {
	local secs=$1 i pid='' next d
	next=$(tb_now_ms)
	for ((i = 0; i < secs * 10; i++)); do
		if [[ -z "$pid" ]] || ! kill -USR1 "$pid" 2>/dev/null; then
			# First round, or lbd was restarted: look it up again.
			pid=$(topo_lbd_pid)
			if [[ -z "$pid" ]] || ! kill -USR1 "$pid" 2>/dev/null; then
				pid=''
			fi
		fi
		if [[ -n "$pid" ]]; then
			printf '%s\n' "$(tb_now_ms)" >>"$TB_STATE/$LD_NAME.samples"
		fi
		next=$((next + 100))
		d=$((next - $(tb_now_ms)))
		if ((d > 0)); then
			sleep "0.$(printf '%03d' "$d")"
		fi
	done
}

# Starts the load for <secs> seconds as <name> with <par> parallel
# transfers: GET /buy?user=<name>-<k> (k = 1..<max>, one new buyer and
# one new connection per request; 2 s limit each), and the sampler.
ld_start() {
	local name=$1 secs=$2 par=${3:-8} max=${4:-10000000} url
	LD_NAME=$name
	: >"$TB_STATE/$name.events"
	: >"$TB_STATE/$name.samples"
	LD_DUMP0=$(vf_dumps)
	url="http://$TB_VIP:$TB_VPORT/buy?user=$name-[1-$max]"
	LD_T0=$(tb_now_ms)
	# shellcheck disable=SC2016 # $1.. expand in the inner bash.
	tb_spawn client "$name.load" "$((secs + 5))" bash -c '
		set -o pipefail
		timeout "$1" curl -s --no-progress-meter --noproxy "*" --parallel --parallel-immediate \
			--parallel-max "$2" -H "Connection: close" --connect-timeout 1 \
			--max-time 2 -o /dev/null \
			-w "%{stderr}%{http_code} %{exitcode} %{time_total}\n" "$3" \
			2>&1 >/dev/null | perl -MTime::HiRes -ne "$4"' _ \
		"$secs" "$par" "$url" "$LD_STAMP"
	LD_LOAD_PID=$TB_LAST_PID
	ld_sampler "$((secs + 1))" &
	LD_SAMPLER_PID=$!
}

# Prints the number of requests completed so far.
ld_done_count() {
	wc -l <"$TB_STATE/$LD_NAME.load.log"
}

# Waits for the load and the sampler to finish.
ld_wait() {
	local rc=0
	wait "$LD_LOAD_PID" 2>/dev/null || rc=$?
	wait "$LD_SAMPLER_PID" 2>/dev/null || rc=$?
	LD_LOAD_PID=''
	LD_SAMPLER_PID=''
}

# Stops the load and the sampler early (cleanup paths).
ld_stop() {
	if [[ -n "$LD_SAMPLER_PID" ]]; then
		kill "$LD_SAMPLER_PID" 2>/dev/null || true
		wait "$LD_SAMPLER_PID" 2>/dev/null || true
	fi
	if [[ -n "$LD_LOAD_PID" ]]; then
		tb_stop "$LD_LOAD_PID" 2 || true
	fi
	LD_LOAD_PID=''
	LD_SAMPLER_PID=''
}

# Prints lbd's health transitions from lbd.log as "<t_ms> <text>": lines
# with "-> up" or "-> down", time from the line's own stamp.
ld_health_events() {
	local stamp rest ms
	while read -r stamp rest; do
		ms=$(date -d "${stamp/T/ }" +%s%3N 2>/dev/null) || continue
		if ((ms >= LD_T0)); then
			printf '%s %s\n' "$ms" "$rest"
		fi
	done < <(grep -E -- '-> (up|down)' "$TB_STATE/lbd.log" 2>/dev/null || true)
}

# Prints the per-sample new connections per real server: "<t_ms> c1 .. cN",
# pairing the k-th counter dump after the start with the k-th sample time.
ld_sample_deltas() {
	local mode n i addrs=''
	mode=$(tb_kv_get mode)
	n=$(tb_kv_get backends)
	for ((i = 1; i <= n; i++)); do
		addrs+="$(topo_rs_ip "$mode" "$i"):$(topo_rs_port "$mode") "
	done
	awk -v d0="$LD_DUMP0" -v addrs="$addrs" -v sf="$TB_STATE/$LD_NAME.samples" '
		BEGIN {
			n = split(addrs, a, " ")
			for (i = 1; i <= n; i++) idx[a[i]] = i
			k = 0
			while ((getline t < sf) > 0) ts[++k] = t
		}
		/^lbd counters:/ { d++; if (d > d0) cur = d - d0; next }
		cur > 0 && /^    -> / && ($2 in idx) { c[cur, idx[$2]] = $4; got[cur] = 1 }
		END {
			for (j = 1; j <= k; j++) {
				if (!(j in got)) continue
				line = ts[j]
				for (i = 1; i <= n; i++) {
					v = c[j, i] + 0
					dv = (j > 1 && (j - 1) in got) ? v - prev[i] : 0
					if (dv < 0) dv = 0	# a restarted lbd counts from 0
					prev[i] = v
					line = line " " dv
				}
				print line
			}
		}' "$TB_STATE/lbd.log"
}

# Writes <name>.csv: one row per 100 ms from the load's start, columns
# t_s, ok (HTTP 2xx), err (connection errors and HTTP >= 500), http5xx,
# rs1..rsN (new connections lbd gave each), events (drill events and lbd
# health transitions, ";"-separated).
ld_timeline() {
	local n i hdr
	n=$(tb_kv_get backends)
	hdr='t_s,ok,err,http5xx'
	for ((i = 1; i <= n; i++)); do
		hdr+=",rs$i"
	done
	hdr+=',events'
	{
		ld_health_events | sed 's/^/E /'
		sed 's/^/E /' "$TB_STATE/$LD_NAME.events"
	} >"$TB_STATE/$LD_NAME.allevents"
	{
		printf '%s\n' "$hdr"
		{
			sed 's/^/L /' "$TB_STATE/$LD_NAME.load.log"
			ld_sample_deltas | sed 's/^/S /'
			cat "$TB_STATE/$LD_NAME.allevents"
		} | awk -v t0="$LD_T0" -v n="$n" '
			function bk(t) { return int((t - t0) / 100) }
			$1 == "L" && NF >= 5 {
				b = bk($2); if (b > maxb) maxb = b
				if ($3 ~ /^2/ && $4 == 0) ok[b]++
				else { err[b]++; if ($3 ~ /^5/) e5[b]++ }
				next
			}
			$1 == "S" {
				b = bk($2); if (b > maxb) maxb = b
				for (i = 1; i <= n; i++) cs[b, i] += $(i + 2)
				next
			}
			$1 == "E" {
				b = bk($2); if (b > maxb) maxb = b
				txt = $3; for (i = 4; i <= NF; i++) txt = txt " " $i
				gsub(/[,"]/, " ", txt)
				if (b in ev) ev[b] = ev[b] "; " txt
				else ev[b] = txt
			}
			END {
				for (b = 0; b <= maxb; b++) {
					line = sprintf("%.1f,%d,%d,%d", b / 10, ok[b], err[b], e5[b])
					for (i = 1; i <= n; i++) line = line "," (cs[b, i] + 0)
					print line "," ev[b]
				}
			}'
	} >"$TB_STATE/$LD_NAME.csv"
}

# Writes <name>.png from <name>.csv with gnuplot: requests per 100 ms (ok,
# errors) on top, each real server's share of new connections below, and a
# vertical line per event. <title> heads the plot.
ld_plot() {
	local title=$1 n i csv png gp
	n=$(tb_kv_get backends)
	csv="$TB_STATE/$LD_NAME.csv"
	png="$TB_STATE/$LD_NAME.png"
	gp="$TB_STATE/$LD_NAME.gp"
	{
		printf 'set terminal pngcairo size 1100,700 font "sans,10"\n'
		printf 'set output "%s"\n' "$png"
		printf 'set datafile separator ","\n'
		printf 'set multiplot layout 2,1 title "%s"\n' "${title//\"/}"
		printf 'set grid\nset key outside right top\n'
		printf 'set xlabel "seconds since load start"\n'
		awk -F, 'NR > 1 && $NF != "" {
			txt = $NF; gsub(/"/, "", txt)
			if (length(txt) > 40) txt = substr(txt, 1, 40) "..."
			printf "set arrow from %s, graph 0 to %s, graph 1 nohead lc rgb \"#888888\" dt 2\n", $1, $1
			printf "set label \"%s\" at %s, graph 0.98 rotate by 90 right font \",8\" tc rgb \"#555555\"\n", txt, $1 + 0.05
		}' "$csv"
		printf 'set ylabel "requests / 100 ms"\n'
		printf 'plot "%s" using 1:2 skip 1 with steps lw 2 lc rgb "#2a9d2a" title "ok (2xx)", ' "$csv"
		printf '"%s" using 1:3 skip 1 with steps lw 2 lc rgb "#d62728" title "errors", ' "$csv"
		printf '"%s" using 1:4 skip 1 with steps lw 1 lc rgb "#ff9900" title "of which 5xx"\n' "$csv"
		printf 'unset label\n'
		awk -F, 'NR > 1 && $NF != "" {
			printf "set arrow from %s, graph 0 to %s, graph 1 nohead lc rgb \"#888888\" dt 2\n", $1, $1
		}' "$csv"
		printf 'set ylabel "share of new connections (%%)"\nset yrange [0:100]\n'
		printf 'sum(c) = ('
		for ((i = 1; i <= n; i++)); do
			printf '%s$%d' "$([[ $i == 1 ]] || printf '+')" "$((i + 4))"
		done
		printf ')\n'
		printf 'plot '
		for ((i = 1; i <= n; i++)); do
			printf '"%s" using 1:(sum(0) > 0 ? 100.0 * $%d / sum(0) : 1/0) skip 1 with lines lw 2 title "rs%d (w %s)"' \
				"$csv" "$((i + 4))" "$i" "$(topo_weight "$i")"
			if ((i < n)); then
				printf ', '
			fi
		done
		printf '\nunset multiplot\n'
	} >"$gp"
	timeout 30 gnuplot "$gp" >"$TB_STATE/$LD_NAME.gnuplot.log" 2>&1
}

# Prints "<errors> <of which started before <t_ms>>" over the whole load:
# a request's start is its completion minus its time_total.
ld_errors_split() {
	local t=$1
	awk -v t="$t" 'NF >= 4 && !($2 ~ /^2/ && $3 == 0) {
		e++; s = $1 - $4 * 1000; if (s < t) b++
	} END { printf "%d %d\n", e, b }' "$TB_STATE/$LD_NAME.load.log"
}

# Prints "<ok> <errors> <5xx>" over the whole load.
ld_totals() {
	awk 'NF >= 4 { if ($2 ~ /^2/ && $3 == 0) ok++; else { e++; if ($2 ~ /^5/) f++ } }
		END { printf "%d %d %d\n", ok, e, f }' "$TB_STATE/$LD_NAME.load.log"
}
