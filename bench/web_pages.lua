-- wrk script of bench/web_server.py: spreads the requests over many pages, one path a
-- line in the file named after "--", each thread from its own point in the list, and
-- prints the figures as one JSON line at the end (latencies in microseconds).
local counter = 0

function setup(thread)
  thread:set("start", counter)
  counter = counter + 1
end

local paths = {}
local i = 0

function init(args)
  for line in io.lines(args[1]) do
    paths[#paths + 1] = line
  end
  i = ((start or 0) * 7919) % #paths
end

function request()
  i = i % #paths + 1
  return wrk.format(nil, paths[i])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"connect_errors":%d,"read_errors":%d,' ..
    '"write_errors":%d,"status_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,' ..
    '"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
