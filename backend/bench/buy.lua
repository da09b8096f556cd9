-- SPDX-License-Identifier: MIT
-- wrk script: POST /buy with a distinct user per request (the Redis path).
-- Users are "w<thread>_<run>_<n>", so threads and repeated runs never collide.
local threads = {}
local counter = 1

function setup(thread)
   thread:set("id", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

function init(args)
   n = 0
   tag = (args[1] or "r") .. "_" .. id
end

function request()
   n = n + 1
   return wrk.format("POST", "/buy?user=w" .. tag .. "_" .. n)
end

function response(status, headers, body)
   if status ~= 200 then
      bad = (bad or 0) + 1
   end
end

function done(summary, latency, requests)
   io.write(string.format("BENCH rps=%.0f p50_ms=%.3f p99_ms=%.3f non2xx=%d errors=%d requests=%d\n",
      summary.requests / (summary.duration / 1e6),
      latency:percentile(50) / 1000, latency:percentile(99) / 1000,
      summary.errors.status, summary.errors.connect + summary.errors.read +
      summary.errors.write + summary.errors.timeout, summary.requests))
end
