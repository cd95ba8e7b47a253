-- POST /registrations with a new, valid buyer every time (so every rule runs
-- and passes), signed in as one of 6,400 clerks in turn, each with its own
-- Idempotency-Key.
local W = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
local C = {"1", "0", "X", "9", "8", "7", "6", "5", "4", "3", "2"}
local threads = 0
local tokens = {}
local counter = 0

function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

-- distinct keys across runs of the bench against the same database
local run = os.time()

function init(args)
  for line in io.lines(os.getenv("BENCH_DIR") .. "/clerk_tokens.txt") do
    if #line > 0 then tokens[#tokens + 1] = line end
  end
end

local function id_number(n)
  -- born 1970–2002: every buyer is an adult; 12,000 days × 999 = 12 million buyers
  local days = math.floor(n / 999) % 12000
  local d = os.date("!%Y%m%d", 43200 + days * 86400)
  local base = "420103" .. d .. string.format("%03d", n % 999 + 1)
  local s = 0
  for i = 1, 17 do s = s + tonumber(base:sub(i, i)) * W[i] end
  return base .. C[s % 11 + 1]
end

function request()
  counter = counter + 1
  -- a slot of 100,000 buyers per thread and run: repeated runs against the
  -- same database do not push the same buyers over the rolling window
  local n = tid * 6000000 + (run % 60) * 100000 + counter
  local body = '{"buyer":{"name":"压测购买人","id_number":"' .. id_number(n) ..
    '"},"items":[{"barcode":"6901234560015","quantity":1,"batch_no":"B2026"}]}'
  return wrk.format("POST", "/api/v1/registrations", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. tokens[(n % #tokens) + 1],
    -- as the mini-program sends with every sale (a fresh key per sale)
    ["Idempotency-Key"] = "bench-" .. run .. "-" .. n,
  }, body)
end
