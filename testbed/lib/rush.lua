-- SPDX-License-Identifier: MIT
-- wrk script for the ticket rush (tb demo, test_rush.sh): every buyer
-- "u<k>", k = 0 .. users-1, sends exactly one POST /buy?user=u<k>; thread t
-- of n takes k = t, t+n, t+2n, ... Once a thread has sent its buyers it
-- sends GET /health (counted apart) until its last buy is answered (or
-- 2000 /health answers say none is in flight), then stops. Usage: wrk -s rush.lua URL -- USERS THREADS
-- Prints one line at the end:
--   RUSH buys=B ok=O duplicate=D sold_out=S unavailable=U other=X health=H

local threads = {}

function setup(thread)
	thread:set("tid", #threads)
	table.insert(threads, thread)
end

function init(args)
	users = tonumber(args[1]) or 1000
	nthreads = tonumber(args[2]) or 1
	donefile = args[3]
	nextu = tid
	share = 0
	for k = tid, users - 1, nthreads do
		share = share + 1
	end
	buys, ok, duplicate, sold_out, unavailable, other, health = 0, 0, 0, 0, 0, 0, 0
	-- wrk calls request() once on thread 0 to check it, and never sends
	-- that one: it must not use up a buyer.
	verify_call = (tid == 0)
	if share == 0 then
		finish()
	end
end

function finish()
	if donefile then
		local f = io.open(donefile .. "." .. tid, "w")
		if f then
			f:close()
		end
	end
	wrk.thread:stop()
end

function request()
	if verify_call then
		verify_call = false
		return wrk.format("GET", "/health")
	end
	if nextu < users then
		local u = nextu
		nextu = nextu + nthreads
		return wrk.format("POST", "/buy?user=u" .. u, nil, "")
	end
	return wrk.format("GET", "/health")
end

function response(status, headers, body)
	if body:find('"order"', 1, true) then
		buys = buys + 1
		if body:find('"duplicate"', 1, true) then
			duplicate = duplicate + 1
		else
			ok = ok + 1
		end
	elseif body:find('"sold_out"', 1, true) then
		buys = buys + 1
		sold_out = sold_out + 1
	elseif body:find('"unavailable"', 1, true) then
		buys = buys + 1
		unavailable = unavailable + 1
	elseif status == 200 and body:find('"ok"', 1, true) then
		health = health + 1
	else
		buys = buys + 1
		other = other + 1
	end
	-- A buy lost with its connection (wrk reconnects without an error)
	-- must not keep the thread waiting: once every connection has had many
	-- /health answers, nothing is in flight any more.
	if buys >= share or health >= 2000 then
		finish()
	end
end

function done(summary, latency, requests)
	local t = { buys = 0, ok = 0, duplicate = 0, sold_out = 0,
		unavailable = 0, other = 0, health = 0 }
	for _, th in ipairs(threads) do
		for k, _ in pairs(t) do
			t[k] = t[k] + (th:get(k) or 0)
		end
	end
	io.write(string.format(
		"RUSH buys=%d ok=%d duplicate=%d sold_out=%d unavailable=%d other=%d health=%d\n",
		t.buys, t.ok, t.duplicate, t.sold_out, t.unavailable, t.other, t.health))
	io.write(string.format("LAT p50_us=%d p99_us=%d requests=%d duration_us=%d errors=%d\n",
		latency:percentile(50), latency:percentile(99), summary.requests,
		summary.duration, summary.errors.connect + summary.errors.read +
		summary.errors.write + summary.errors.timeout + summary.errors.status))
end
