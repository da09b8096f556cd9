/* SPDX-License-Identifier: MIT */
/*
 * scripts: the Lua scripts that own every state change of the sale.
 * L0: data only. backend/README.md lists the keys and the invariant
 *   remaining + sum(leases) + sold == total
 * that each script keeps. Time comes from Redis TIME (scripts replicate by
 * effects in Redis 7), so ticketd clocks never matter.
 */
#include "scripts.h"

/* Milliseconds since the epoch, from the Redis clock. */
#define LUA_NOW \
	"local t = redis.call('TIME')\n" \
	"local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"

/*
 * buy: one ticket per user; sells only out of the seller's lease. Returns
 * {"dup", order, lease}, {"sold_out", "", lease} or {"ok", order, lease}.
 */
static const char lua_buy[] =
	"local p, u, node, s = ARGV[1], ARGV[2], ARGV[3], ARGV[4]\n"
	"local lease = tonumber(redis.call('HGET', p..'leases', s) or '0')\n"
	"local o = redis.call('HGET', p..'users', u)\n"
	"if o then return {'dup', o, lease} end\n"
	"if lease <= 0 then return {'sold_out', '', 0} end\n"
	LUA_NOW
	"local ttl = tonumber(redis.call('GET', p..'ttl') or '0')\n"
	"local dl = now + ttl * 1000\n"
	"lease = redis.call('HINCRBY', p..'leases', s, -1)\n"
	"local id = tostring(redis.call('INCR', p..'seq'))\n"
	"redis.call('HSET', p..'users', u, id)\n"
	"redis.call('HSET', p..'order:'..id, 'user', u, 'node', node,\n"
	"    'status', 'pending', 'deadline', dl, 'created', now)\n"
	"redis.call('ZADD', p..'pending', dl, id)\n"
	"redis.call('INCR', p..'sold')\n"
	"redis.call('HINCRBY', p..'bynode', node, 1)\n"
	"redis.call('XADD', p..'orders', '*', 'type', 'order_created',\n"
	"    'order', id, 'user', u, 'node', node, 'deadline', dl)\n"
	"return {'ok', id, lease}\n";

/*
 * lease: heartbeat plus top-up. Refreshes the seller's liveness deadline and
 * moves up to target - lease tickets from remaining into its lease. Returns
 * {lease, got, remaining after}.
 */
static const char lua_lease[] =
	"local p, s = ARGV[1], ARGV[2]\n"
	"local target, ttl = tonumber(ARGV[3]), tonumber(ARGV[4])\n"
	LUA_NOW
	"redis.call('ZADD', p..'sellers', now + ttl, s)\n"
	"local lease = tonumber(redis.call('HGET', p..'leases', s) or '0')\n"
	"local rem = tonumber(redis.call('GET', p..'remaining') or '0')\n"
	"local got = 0\n"
	"if target > lease and rem > 0 then\n"
	"  got = math.min(target - lease, rem)\n"
	"  redis.call('DECRBY', p..'remaining', got)\n"
	"  lease = redis.call('HINCRBY', p..'leases', s, got)\n"
	"  rem = rem - got\n"
	"end\n"
	"return {lease, got, rem}\n";

/* release: a draining or idle seller returns its whole lease. */
static const char lua_release[] =
	"local p, s = ARGV[1], ARGV[2]\n"
	"local lease = tonumber(redis.call('HGET', p..'leases', s) or '0')\n"
	"if lease > 0 then redis.call('INCRBY', p..'remaining', lease) end\n"
	"redis.call('HDEL', p..'leases', s)\n"
	"redis.call('ZREM', p..'sellers', s)\n"
	"return lease\n";

/*
 * sweep: expires up to batch unpaid orders past their deadline (ticket back
 * to remaining, user free to buy again, order_expired on the stream) and
 * reclaims the leases of up to batch sellers whose heartbeat lapsed. Safe
 * to run from every ticketd at once: each order and lease moves once.
 */
static const char lua_sweep[] =
	"local p, batch = ARGV[1], tonumber(ARGV[2])\n"
	LUA_NOW
	"local nexp, nrec = 0, 0\n"
	"local ids = redis.call('ZRANGEBYSCORE', p..'pending', '-inf', now,\n"
	"    'LIMIT', 0, batch)\n"
	"for _, id in ipairs(ids) do\n"
	"  local k = p..'order:'..id\n"
	"  redis.call('ZREM', p..'pending', id)\n"
	"  local f = redis.call('HMGET', k, 'user', 'status')\n"
	"  if f[2] == 'pending' then\n"
	"    redis.call('HSET', k, 'status', 'expired', 'expired_at', now)\n"
	"    if f[1] and redis.call('HGET', p..'users', f[1]) == id then\n"
	"      redis.call('HDEL', p..'users', f[1])\n"
	"    end\n"
	"    redis.call('DECR', p..'sold')\n"
	"    redis.call('INCR', p..'remaining')\n"
	"    redis.call('INCR', p..'expired')\n"
	"    redis.call('XADD', p..'orders', '*', 'type', 'order_expired',\n"
	"        'order', id, 'user', f[1] or '')\n"
	"    nexp = nexp + 1\n"
	"  end\n"
	"end\n"
	"local dead = redis.call('ZRANGEBYSCORE', p..'sellers', '-inf', now,\n"
	"    'LIMIT', 0, batch)\n"
	"for _, s in ipairs(dead) do\n"
	"  local l = tonumber(redis.call('HGET', p..'leases', s) or '0')\n"
	"  if l > 0 then\n"
	"    redis.call('INCRBY', p..'remaining', l)\n"
	"    nrec = nrec + l\n"
	"  end\n"
	"  redis.call('HDEL', p..'leases', s)\n"
	"  redis.call('ZREM', p..'sellers', s)\n"
	"end\n"
	"return {nexp, nrec}\n";

/*
 * pay: marks a pending order paid before its deadline. Idempotent: paying a
 * paid order answers "paid" again. Returns {"paid"}, {"expired"} or
 * {"not_found"} (no such order, or it belongs to another user).
 */
static const char lua_pay[] =
	"local p, id, u = ARGV[1], ARGV[2], ARGV[3]\n"
	"local k = p..'order:'..id\n"
	"local f = redis.call('HMGET', k, 'user', 'status', 'deadline')\n"
	"if not f[1] or f[1] ~= u then return {'not_found'} end\n"
	"if f[2] == 'paid' then return {'paid'} end\n"
	"if f[2] ~= 'pending' then return {'expired'} end\n"
	LUA_NOW
	"if tonumber(f[3]) <= now then return {'expired'} end\n"
	"redis.call('HSET', k, 'status', 'paid', 'paid_at', now)\n"
	"redis.call('ZREM', p..'pending', id)\n"
	"redis.call('INCR', p..'paid')\n"
	"redis.call('XADD', p..'orders', '*', 'type', 'order_paid',\n"
	"    'order', id, 'user', u)\n"
	"return {'paid'}\n";

/* init: starts a sale; refuses when one exists (ticketctl --force wipes). */
static const char lua_init[] =
	"local p, total, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])\n"
	"if redis.call('EXISTS', p..'total') == 1 then\n"
	"  return redis.error_reply('EXISTS a sale is running; use --force')\n"
	"end\n"
	"redis.call('SET', p..'total', total)\n"
	"redis.call('SET', p..'remaining', total)\n"
	"redis.call('SET', p..'ttl', ttl)\n"
	"for _, k in ipairs({'sold', 'paid', 'expired', 'seq'}) do\n"
	"  redis.call('SET', p..k, 0)\n"
	"end\n"
	"return 'OK'\n";

/*
 * counts: one atomic snapshot of the counters: {total, remaining, sold,
 * paid, expired, seq, leased, pending, users, ttl, initialised}.
 */
static const char lua_counts[] =
	"local p = ARGV[1]\n"
	"local function n(k) return tonumber(redis.call('GET', p..k) or '0') end\n"
	"local leased = 0\n"
	"local l = redis.call('HVALS', p..'leases')\n"
	"for _, v in ipairs(l) do leased = leased + tonumber(v) end\n"
	"return {n('total'), n('remaining'), n('sold'), n('paid'), n('expired'),\n"
	"    n('seq'), leased, redis.call('ZCARD', p..'pending'),\n"
	"    redis.call('HLEN', p..'users'), n('ttl'),\n"
	"    redis.call('EXISTS', p..'total')}\n";

const struct scripts_entry scripts_table[SCRIPTS_COUNT] = {
	[SCRIPTS_BUY] = { "buy", lua_buy },
	[SCRIPTS_LEASE] = { "lease", lua_lease },
	[SCRIPTS_RELEASE] = { "release", lua_release },
	[SCRIPTS_SWEEP] = { "sweep", lua_sweep },
	[SCRIPTS_PAY] = { "pay", lua_pay },
	[SCRIPTS_INIT] = { "init", lua_init },
	[SCRIPTS_COUNTS] = { "counts", lua_counts },
};
