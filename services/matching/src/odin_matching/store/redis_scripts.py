"""The Lua scripts of the Redis task store.

Each one touches the keys of a single task queue (one Redis Cluster hash slot) and runs
atomically, which is what makes add idempotent and a requeue neither lose nor duplicate a
task. Stream entries have the fields ``d`` (dedup key), ``t`` (the task as JSON), ``q`` (when
it was first queued, epoch seconds) and ``r`` (the request id of an earlier delivery, set
when an entry is requeued). The ``queued`` hash maps each dedup key to the id of the one
entry holding the task: only that entry may be requeued, and acking it forgets the key.
"""

from __future__ import annotations

ADD = """
-- KEYS: stream, queued. ARGV: enqueue time, then (dedup key, task JSON) pairs.
local added = 0
for i = 2, #ARGV, 2 do
  local dedup = ARGV[i]
  if redis.call('HEXISTS', KEYS[2], dedup) == 0 then
    local id = redis.call('XADD', KEYS[1], '*', 'd', dedup, 't', ARGV[i + 1], 'q', ARGV[1])
    redis.call('HSET', KEYS[2], dedup, id)
    added = added + 1
  end
end
return added
"""

ACK = """
-- KEYS: stream, queued. ARGV: group, entry id, dedup key.
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
if redis.call('HGET', KEYS[2], ARGV[3]) == ARGV[2] then
  redis.call('HDEL', KEYS[2], ARGV[3])
end
return 1
"""

REQUEUE = """
-- KEYS: stream, queued. ARGV: group, entry id, dedup key, task JSON, enqueue time, request id.
-- Only the entry the queued hash points at is re-added: if another process already
-- requeued or delivered the task, this copy is just dropped.
local requeued = 0
if redis.call('HGET', KEYS[2], ARGV[3]) == ARGV[2] then
  local id = redis.call('XADD', KEYS[1], '*', 'd', ARGV[3], 't', ARGV[4], 'q', ARGV[5],
                        'r', ARGV[6])
  redis.call('HSET', KEYS[2], ARGV[3], id)
  requeued = 1
end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
return requeued
"""

WITHDRAW = """
-- KEYS: stream, queued. ARGV: group, dedup key.
-- Takes the task out whether it waits or was delivered: forgetting the dedup key makes a
-- later ack or requeue of the delivery a no-op.
local id = redis.call('HGET', KEYS[2], ARGV[2])
if not id then
  return 0
end
redis.call('HDEL', KEYS[2], ARGV[2])
redis.pcall('XACK', KEYS[1], ARGV[1], id)
redis.call('XDEL', KEYS[1], id)
return 1
"""

PUBLISH_ANSWER = """
-- KEYS: answer list, answered marker (one query). ARGV: answer JSON, time to live in ms.
-- Only the first answer is pushed: the marker outlives any wait for the query.
if redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[2]) then
  redis.call('RPUSH', KEYS[1], ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"""

RECLAIM = """
-- KEYS: stream, queued. ARGV: group, reclaiming consumer, min idle ms, cursor, count,
-- idle ms after which a consumer with nothing pending is forgotten.
-- Returns {next cursor, tasks requeued}.
local claimed = redis.pcall('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4],
                            'COUNT', ARGV[5])
if type(claimed) ~= 'table' or claimed.err then
  return {'0-0', 0}
end
local requeued = 0
for _, entry in ipairs(claimed[2]) do
  local id = entry[1]
  local raw = entry[2]
  if raw then
    local f = {}
    for j = 1, #raw, 2 do f[raw[j]] = raw[j + 1] end
    if f['d'] and redis.call('HGET', KEYS[2], f['d']) == id then
      local nid = redis.call('XADD', KEYS[1], '*', 'd', f['d'], 't', f['t'], 'q', f['q'],
                             'r', f['r'] or id)
      redis.call('HSET', KEYS[2], f['d'], nid)
      requeued = requeued + 1
    end
  end
  redis.call('XACK', KEYS[1], ARGV[1], id)
  redis.call('XDEL', KEYS[1], id)
end
if ARGV[4] == '0-0' then
  -- Every process start adds a consumer to the group; forget the long-gone ones.
  local consumers = redis.pcall('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])
  if type(consumers) == 'table' and not consumers.err then
    for _, raw in ipairs(consumers) do
      local c = {}
      for j = 1, #raw, 2 do c[raw[j]] = raw[j + 1] end
      if c['pending'] == 0 and c['idle'] > tonumber(ARGV[6]) then
        redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], c['name'])
      end
    end
  end
end
return {claimed[1], requeued}
"""

DESCRIBE = """
-- KEYS: stream. ARGV: group. Returns {tasks waiting for a poller, enqueue time of the first
-- of them or false}.
local length = redis.call('XLEN', KEYS[1])
if length == 0 then
  return {0, false}
end
local pending = 0
local last = '0-0'
local groups = redis.pcall('XINFO', 'GROUPS', KEYS[1])
if type(groups) == 'table' and not groups.err then
  for _, raw in ipairs(groups) do
    local g = {}
    for j = 1, #raw, 2 do g[raw[j]] = raw[j + 1] end
    if g['name'] == ARGV[1] then
      pending = g['pending']
      last = g['last-delivered-id']
    end
  end
end
local oldest = false
local first = redis.call('XRANGE', KEYS[1], '(' .. last, '+', 'COUNT', 1)
if #first > 0 then
  local raw = first[1][2]
  for j = 1, #raw, 2 do
    if raw[j] == 'q' then oldest = raw[j + 1] end
  end
end
local waiting = length - pending
if waiting < 0 then waiting = 0 end
return {waiting, oldest}
"""
