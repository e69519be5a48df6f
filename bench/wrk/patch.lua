-- An authenticated PATCH load: each wrk thread owns its own set of articles and sends
-- `If-Match` with the ETag the server returned for that article last time, so every change
-- is made against the current version (2xx, not 412).
--
-- Arguments (after `--`): TARGETS_FILE TOKEN THREADS (THREADS must equal wrk's -t: wrk runs
-- each thread's init() right after its setup(), before the later threads exist, so the count
-- cannot be learnt from setup()).
-- TARGETS_FILE has one line per article: `SLUG ETAG`. Slugs, not ids, because a response is
-- matched to its article by the slug in its body: the body blocks have `id`s of their own.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("thread_number", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local ids, etags, index_of, busy = {}, {}, {}, {}
local next_index = 0
statuses = {} -- global: done() reads it from each thread with thread:get
local token = ""
local body = '{"standfirst":"Updated by the benchmark."}'

function init(args)
  local file = args[1]
  token = args[2] or ""
  thread_count = tonumber(args[3]) or 1
  local n = 0
  for line in io.lines(file) do
    local id, etag = line:match("^(%S+)%s+(.+)$")
    if id then
      -- Each thread takes every thread_count-th article, so no two threads touch the same one.
      if n % thread_count == thread_number then
        table.insert(ids, id)
        etags[#ids] = etag
        index_of[id] = #ids
      end
      n = n + 1
    end
  end
end

function request()
  local count = #ids
  local chosen = nil
  for _ = 1, count do
    next_index = next_index % count + 1
    if not busy[next_index] then chosen = next_index break end
  end
  chosen = chosen or (next_index % count + 1)
  busy[chosen] = true
  return wrk.format("PATCH", "/v1/articles/" .. ids[chosen], {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
    ["If-Match"] = etags[chosen],
  }, body)
end

function response(status, headers, response_body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  local id = response_body and response_body:match('"slug"%s*:%s*"([^"]+)"')
  local i = id and index_of[id]
  if i then
    local etag = headers["ETag"] or headers["etag"] or headers["Etag"]
    if etag then etags[i] = etag end
    busy[i] = nil
  end
end

function done(summary, latency, requests)
  local merged = {}
  for _, t in ipairs(threads) do
    local s = t:get("statuses") or {}
    for k, v in pairs(s) do merged[k] = (merged[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(merged) do table.insert(parts, string.format('"%s":%d', k, v)) end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f,'
      .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},"statuses":{%s}}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    e.connect, e.read, e.write, e.status, e.timeout, table.concat(parts, ",")))
end
