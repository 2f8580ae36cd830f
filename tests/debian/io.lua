-- io library and os: read the input file in several ways, write a file
local name = arg[1]
local f = assert(io.open(name, "rb"))
local all = f:read("a")
f:close()
print(#all)
local lines, total = 0, 0
for line in io.lines(name) do
  lines = lines + 1
  for n in line:gmatch("%d+") do total = total + tonumber(n) end
end
print(lines, total)
local f2 = assert(io.open(name))
print(f2:read("n", "n", "l"))
print(f2:seek("set", 10), f2:read(5), f2:seek("cur"), f2:seek("end"))
f2:close()
local out = assert(io.open("lua-out.txt", "w"))
for i = 1, 100 do out:write(i, " ", i * i, "\n") end
out:close()
local sum = 0
for l in io.lines("lua-out.txt") do sum = sum + tonumber(l:match(" (%d+)")) end
print(sum, os.remove("lua-out.txt"), io.open("lua-out.txt") == nil)
print(os.time({year = 2000, month = 1, day = 1, hour = 12}) - os.time({year = 1999, month = 12, day = 31, hour = 12}))
print(os.date("!%Y-%m-%d %H:%M:%S", 1234567890), os.getenv("MIMIC_NOPE"), type(os.clock()))
for l in io.stdin:lines() do io.write("[", l:upper(), "]") end
print()
