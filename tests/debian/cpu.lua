-- CPU-bound: n-queens, a sieve, string building and sorting (scale with arg[1])
local scale = tonumber(arg[1]) or 1
local function queens(n)
  local count, cols, d1, d2 = 0, {}, {}, {}
  local function place(r)
    if r > n then count = count + 1; return end
    for c = 1, n do
      if not cols[c] and not d1[r + c] and not d2[r - c + n] then
        cols[c], d1[r + c], d2[r - c + n] = true, true, true
        place(r + 1)
        cols[c], d1[r + c], d2[r - c + n] = false, false, false
      end
    end
  end
  place(1)
  return count
end
local function sieve(n)
  local comp, count = {}, 0
  for i = 2, n do
    if not comp[i] then
      count = count + 1
      for j = i * i, n, i do comp[j] = true end
    end
  end
  return count
end
for _ = 1, scale do
  print("queens", queens(8))
  print("primes", sieve(200000))
  local parts = {}
  for i = 1, 20000 do parts[#parts + 1] = string.format("%05d", (i * 7919) % 100000) end
  table.sort(parts)
  local s = table.concat(parts)
  local h = 0
  for i = 1, #s, 7 do h = (h * 31 + s:byte(i)) % 1000000007 end
  print("hash", h, #s)
  local fib = {}
  local function f(n) if n < 2 then return n end if fib[n] then return fib[n] end local v = f(n - 1) + f(n - 2); fib[n] = v; return v end
  local function g(n) if n < 2 then return n end return g(n - 1) + g(n - 2) end
  print("fib", f(80), g(24))
end
