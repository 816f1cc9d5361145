-- What the benchmark's wrk scripts share, loaded with dofile() (run wrk from the
-- repository root): a number per thread (the id its random seed is drawn from) and the
-- "WRK_JSON {...}" line the benchmark scripts read (latencies in microseconds).

local threads = 0

function setup(thread)
   thread:set("id", threads)
   threads = threads + 1
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect_errors":%d,' ..
      '"read_errors":%d,"write_errors":%d,"status_errors":%d,"timeouts":%d,' ..
      '"p50_us":%d,"p95_us":%d,"p99_us":%d,"mean_us":%.1f,"max_us":%d}\n',
      summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
      e.status, e.timeout, latency:percentile(50), latency:percentile(95),
      latency:percentile(99), latency.mean, latency.max))
end
