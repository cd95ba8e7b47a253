-- GET a path (BENCH_PATH) with tokens from BENCH_TOKENS (one per line), in
-- turn; BENCH_IDS (optional) appends buyer_id_number= lookups in turn.
local tokens, ids = {}, {}
local counter = 0

function init(args)
  for line in io.lines(os.getenv("BENCH_TOKENS")) do
    if #line > 0 then tokens[#tokens + 1] = line end
  end
  local f = os.getenv("BENCH_IDS")
  if f and #f > 0 then
    for line in io.lines(f) do
      if #line > 0 then ids[#ids + 1] = line end
    end
  end
end

function request()
  counter = counter + 1
  local path = os.getenv("BENCH_PATH")
  if #ids > 0 then path = path .. "&buyer_id_number=" .. ids[(counter % #ids) + 1] end
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. tokens[(counter % #tokens) + 1] })
end
