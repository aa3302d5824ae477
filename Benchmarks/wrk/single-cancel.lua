-- Scenario 3: one single-ID cancel per request, a fresh UUID each time (the fake auto-creates it as a
-- running execution, so every answer is a real cancellation). Benchmarks/run fills in the {{…}} values.
--   gateway: POST /v1/cancel {"upstream":<UPSTREAM>,"ids":[id]} ; ok when the report says cancelled
--   proxy/direct: POST <prefix>/api/v1/executions/<id>/terminate {"reason":…} ; ok when success:true
local mode = "{{MODE}}"
local prefix = "{{PREFIX}}"
local token = "{{TOKEN}}"
local reason = "{{REASON}}"
local upstream = "{{UPSTREAM}}"

local threads = {}
local count = 0

function setup(thread)
    count = count + 1
    thread:set("tid", count)
    table.insert(threads, thread)
end

local headers
local marker

function init(args)
    math.randomseed(os.time() * 1000 + tid * 7919 + math.floor(os.clock() * 1e6))
    good = 0
    bad = 0
    if mode == "gateway" then
        headers = { ["Content-Type"] = "application/json" }
        marker = '"outcome":"cancelled"'
    else
        headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }
        marker = '"success":true'
    end
end

local function hex(n)
    local parts = {}
    for i = 1, n do
        parts[i] = string.format("%04x", math.random(0, 65535))
    end
    return table.concat(parts)
end

local function uuid()
    local h = hex(8)
    return h:sub(1, 8) .. "-" .. h:sub(9, 12) .. "-" .. h:sub(13, 16) .. "-" .. h:sub(17, 20) .. "-" .. h:sub(21, 32)
end

function request()
    local id = uuid()
    if mode == "gateway" then
        return wrk.format("POST", "/v1/cancel", headers, '{"upstream":"' .. upstream .. '","ids":["' .. id .. '"]}')
    end
    return wrk.format("POST", prefix .. "/api/v1/executions/" .. id .. "/terminate", headers, '{"reason":"' .. reason .. '"}')
end

function response(status, hdrs, body)
    if status == 200 and body and string.find(body, marker, 1, true) then
        good = good + 1
    else
        bad = bad + 1
    end
end

function done(summary, latency, requests)
    local g, b = 0, 0
    for _, thread in ipairs(threads) do
        g = g + thread:get("good")
        b = b + thread:get("bad")
    end
    local e = summary.errors
    io.write(string.format(
        'BENCHJSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"mean_us":%.1f,"good":%d,"bad":%d,' ..
        '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
        summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.mean, g, b,
        e.connect, e.read, e.write, e.status, e.timeout))
end
