-- Tables: constructors, length, insert/remove/move/concat/unpack, sort
-- with comparators (stable output), metatables (__index, __newindex,
-- __call, arithmetic, __eq/__lt/__le, __len, __concat, __close, __gc via
-- collectgarbage), weak tables, next/pairs order made deterministic.

local function keys(t)
  local ks = {}
  for k in pairs(t) do ks[#ks + 1] = tostring(k) end
  table.sort(ks)
  return table.concat(ks, ",")
end

local t = { 10, 20, 30, x = 1, ["y z"] = 2, [1.0 + 3] = 40, [-1] = "neg" }
print(#t, t[4], t.x, t["y z"], t[-1], keys(t))
table.insert(t, 50)
table.insert(t, 1, 5)
print(table.concat(t, " "))
print(table.remove(t), table.remove(t, 1), table.concat(t, " "))
print(table.concat({}, "x"), table.concat({ 1, 2, 3 }, ", ", 2, 3))
print(table.unpack({ 1, 2, 3 }), table.unpack({ 1, 2, 3 }, 2), select("#", table.unpack({}, 1, 3)))
local moved = table.move({ 1, 2, 3, 4, 5 }, 2, 4, 1)
print(table.concat(moved, " "))
print(table.concat(table.move({ 1, 2, 3 }, 1, 3, 3, {}), " ", 3, 5))
local packed = table.pack(1, nil, 3)
print(packed.n, packed[1], packed[2], packed[3])
print(pcall(table.insert, { 1 }, 5, 2))
print(pcall(table.concat, { 1, {}, 3 }))

-- sort: numbers, strings, custom comparator, records by two keys
local nums = {}
local seed = 12345
local function rand(n) seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n end
for i = 1, 200 do nums[i] = rand(1000) end
table.sort(nums)
local okSorted = true
for i = 2, #nums do if nums[i - 1] > nums[i] then okSorted = false end end
print("sorted", okSorted, nums[1], nums[100], nums[200])
table.sort(nums, function(a, b) return a > b end)
print(nums[1], nums[200])
local strs = { "banana", "Apple", "cherry", "apple", "Banana", "date" }
table.sort(strs)
print(table.concat(strs, " "))
table.sort(strs, function(a, b) return a:lower() < b:lower() or (a:lower() == b:lower() and a < b) end)
print(table.concat(strs, " "))
local people = {
  { name = "ann", age = 31 }, { name = "bob", age = 25 }, { name = "cid", age = 31 },
  { name = "dee", age = 25 }, { name = "eve", age = 40 },
}
table.sort(people, function(a, b) if a.age ~= b.age then return a.age < b.age end return a.name < b.name end)
for _, p in ipairs(people) do io.write(p.name, ":", p.age, " ") end
print()
print(pcall(table.sort, { 3, 1, "x" }))
print(pcall(table.sort, { 1, 2, 3 }, function() return true end))

-- metatables
local Vec = {}
Vec.__index = Vec
local function vec(x, y) return setmetatable({ x = x, y = y }, Vec) end
Vec.__add = function(a, b) return vec(a.x + b.x, a.y + b.y) end
Vec.__sub = function(a, b) return vec(a.x - b.x, a.y - b.y) end
Vec.__mul = function(a, b)
  if type(a) == "number" then return vec(a * b.x, a * b.y) end
  if type(b) == "number" then return vec(a.x * b, a.y * b) end
  return a.x * b.x + a.y * b.y
end
Vec.__unm = function(a) return vec(-a.x, -a.y) end
Vec.__eq = function(a, b) return a.x == b.x and a.y == b.y end
Vec.__lt = function(a, b) return a:len2() < b:len2() end
Vec.__le = function(a, b) return a:len2() <= b:len2() end
Vec.__len = function() return 2 end
Vec.__tostring = function(a) return "(" .. a.x .. "," .. a.y .. ")" end
Vec.__concat = function(a, b) return tostring(a) .. tostring(b) end
Vec.__call = function(self, k) return self[k] end
Vec.__idiv = function(a, n) return vec(a.x // n, a.y // n) end
Vec.__mod = function(a, n) return vec(a.x % n, a.y % n) end
function Vec:len2() return self.x * self.x + self.y * self.y end
local a, b = vec(1, 2), vec(3, 4)
print(tostring(a + b), tostring(a - b), a * b, tostring(2 * a), tostring(-a))
print(a == vec(1, 2), a ~= b, a < b, b <= a, #a, a .. b, a("y"))
print(tostring(vec(7, 9) // 2), tostring(vec(7, 9) % 4))

-- __index chains and __newindex proxies
local base = { greet = function(self) return "hi " .. self.name end }
local mid = setmetatable({ kind = "mid" }, { __index = base })
local obj = setmetatable({ name = "obj" }, { __index = mid })
print(obj:greet(), obj.kind, rawget(obj, "kind"))
local log = {}
local proxy = setmetatable({}, {
  __index = function(_, k) return "default-" .. k end,
  __newindex = function(t, k, v) log[#log + 1] = k .. "=" .. tostring(v); rawset(t, k, v) end,
})
proxy.a = 1
proxy.a = 2 -- existing key: no __newindex
proxy.b = 3
print(proxy.a, proxy.b, proxy.c, table.concat(log, " "))
local ro = setmetatable({}, { __index = { k = "v" }, __newindex = function() error("read-only table", 2) end })
print(ro.k, pcall(function() ro.k = 1 end))
print(getmetatable("abc").__index == string, getmetatable(setmetatable({}, { __metatable = "hidden" })))

-- __pairs
local ordered = setmetatable({}, { __pairs = function(t)
  local i = 0
  return function() i = i + 1; if i <= 3 then return i, i * i end end, t, nil
end })
for k, v in pairs(ordered) do io.write(k, "=", v, " ") end
print()

-- __gc and weak tables (collection forced)
local collected = {}
do
  for i = 1, 5 do setmetatable({}, { __gc = function() collected[#collected + 1] = i end }) end
end
collectgarbage()
collectgarbage()
table.sort(collected)
print("gc", table.concat(collected, " "))
local weak = setmetatable({}, { __mode = "k" })
local strong = {}
weak[strong] = "kept"
weak[{}] = "dropped"
collectgarbage()
local n = 0
for _ in pairs(weak) do n = n + 1 end
print("weak entries", n, weak[strong])
local wv = setmetatable({ {}, "str", 1 }, { __mode = "v" })
collectgarbage()
print("weak values", wv[1], wv[2], wv[3])

-- big tables, hash and array parts, next
local big = {}
for i = 1, 100000 do big[i] = i * 2 end
for i = 1, 50000 do big["k" .. i] = i end
local cnt, s = 0, 0
for k, v in pairs(big) do cnt = cnt + 1; s = s + v end
print(#big, cnt, s)
for i = 1, 100000, 2 do big[i] = nil end
cnt = 0
for _ in pairs(big) do cnt = cnt + 1 end
print(cnt, next({}), rawlen({ 1, 2 }), rawequal(big, big))
