-- tables, strings, closures, metatables, coroutines, integer/float math
local t = {}
for i = 1, 2000 do t[i] = (i * 7919) % 1009 end
table.sort(t)
print(#t, t[1], t[500], t[2000], table.concat(t, ",", 1, 8))
table.sort(t, function(a, b) return a > b end)
print(t[1], t[2], t[1999])
local words = {}
for w in ("the quick brown fox jumps over the lazy dog again and again"):gmatch("%a+") do
  words[w] = (words[w] or 0) + 1
end
local keys = {}
for k in pairs(words) do keys[#keys + 1] = k end
table.sort(keys)
for _, k in ipairs(keys) do io.write(k, "=", words[k], " ") end
print()
print(string.format("%5d|%-6s|%x|%o|%e|%.3f|%g|%q", 42, "ab", 255, 8, 12345.678, math.pi, 1e20, "a\nb"))
print(("hello world"):rep(3, "-"), ("abc"):byte(1, -1), string.char(72, 105))
print(("  trim me  "):match("^%s*(.-)%s*$"), ("key=value"):match("(%w+)=(%w+)"))
print((string.gsub("hello world", "o", "0")), string.find("find the needle", "needle"))
print(("%d items"):format(3), #"unicode: \u{48}\u{49}", utf8.len("h\u{e9}llo"), utf8.char(72, 233, 8364))
print(string.pack(">I4i2", 0x01020304, -2):byte(1, -1))
print(string.unpack("<i8", string.pack("<i8", -123456789012)))
-- integers and floats
print(math.maxinteger, math.mininteger, math.maxinteger + 1 == math.mininteger, 7 // 2, -7 // 2, 7 % -3, -7 % 3)
print(7 / 2, 2^53, 1 << 62, 0xff ~ 0x0f, ~0, 3 | 4, 10 >> 1, math.tointeger(3.0), math.type(1), math.type(1.0))
print(string.format("%.10f %.10f %.10f %.10f", math.sqrt(2), math.sin(1), math.log(10), math.exp(1.5)))
print(math.floor(-3.5), math.ceil(-3.5), math.fmod(7, 3), math.abs(-4), math.max(3, 9, 1), math.ult(1, -1))
print(tostring(1e15), tostring(1e16), 0.1 + 0.2, 1/3, -0.0, 100 // 1.5, 2^-1074)
-- closures and varargs
local function counter()
  local n = 0
  return function(...) n = n + select("#", ...) + 1; return n end
end
local c = counter()
c(); c(1, 2); print(c(nil, nil, nil))
-- metatables
local V = {}
V.__index = V
V.__add = function(a, b) return setmetatable({x = a.x + b.x, y = a.y + b.y}, V) end
V.__tostring = function(v) return "(" .. v.x .. "," .. v.y .. ")" end
V.__eq = function(a, b) return a.x == b.x and a.y == b.y end
V.__lt = function(a, b) return a.x < b.x end
V.__len = function() return 2 end
local a, b = setmetatable({x = 1, y = 2}, V), setmetatable({x = 3, y = 4}, V)
print(tostring(a + b), a == b, a < b, #a, rawequal(a, a), rawlen({1, 2, 3}))
-- coroutines: a generator pipeline
local function gen(n)
  return coroutine.wrap(function() for i = 1, n do coroutine.yield(i) end end)
end
local function filter(p, g)
  return coroutine.wrap(function() for v in g do if p(v) then coroutine.yield(v) end end end)
end
local s = 0
for v in filter(function(x) return x % 3 == 0 end, gen(3000)) do s = s + v end
print("coroutine sum", s)
local co = coroutine.create(function(x, y)
  local z = coroutine.yield(x + y)
  local w = coroutine.yield(z * 2)
  return w, "done"
end)
print(coroutine.resume(co, 1, 2)); print(coroutine.resume(co, 10)); print(coroutine.resume(co, "w"))
print(coroutine.resume(co), coroutine.status(co))
-- errors
local ok, e = pcall(function() error({code = 7}) end)
print(ok, type(e), e.code)
print(select(2, pcall(function() error("boom", 0) end)), select(2, pcall(function() return nil + 1 end)) ~= nil)
print(xpcall(function() local x = {} ; return x.y.z end, function(m) return "handled: " .. tostring(m):gsub("^.-:%d+: ", "") end))
-- goto, integer for with step, while/repeat
local acc = {}
for i = 10, 1, -3 do acc[#acc + 1] = i end
local i = 0
repeat i = i + 1 until i * i > 50
::again:: i = i + 1; if i < 12 then goto again end
print(table.concat(acc, " "), i, table.unpack({1, 2, 3}))
print(table.move({1, 2, 3}, 1, 3, 2)[3], select(-1, "a", "b", "c"), next({}), type(print), tostring(nil))
collectgarbage(); print(collectgarbage("step"), type(collectgarbage("count")))
