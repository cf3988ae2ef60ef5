-- Coroutines: generators, passing values both ways, wrap, status,
-- errors inside coroutines, yield across pcall, close.

local function gen(n)
  return coroutine.wrap(function()
    for i = 1, n do coroutine.yield(i) end
    return "done"
  end)
end
local g = gen(3)
print(g(), g(), g(), g())
print(pcall(g))

local co = coroutine.create(function(a, b)
  print("start", a, b)
  local c = coroutine.yield(a + b)
  print("got", c)
  local d, e = coroutine.yield(c * 2)
  print("got", d, e)
  return "end", a + b + c + d + e
end)
print(coroutine.status(co))
print(coroutine.resume(co, 1, 2))
print(coroutine.status(co))
print(coroutine.resume(co, 10))
print(coroutine.resume(co, 3, 4))
print(coroutine.status(co))
print(coroutine.resume(co))

-- errors
local bad = coroutine.create(function() local x = nil; return x.field end)
local ok, msg = coroutine.resume(bad)
print(ok, msg, coroutine.status(bad))
local bad2 = coroutine.create(function() error({ code = 42 }) end)
local ok2, obj = coroutine.resume(bad2)
print(ok2, type(obj), obj.code)

-- yield across pcall
local co3 = coroutine.create(function()
  local ok3, v = pcall(function()
    local x = coroutine.yield("inside pcall")
    if x == "boom" then error("exploded", 0) end
    return x
  end)
  coroutine.yield(tostring(ok3) .. ":" .. tostring(v))
  return "finished"
end)
print(coroutine.resume(co3))
print(coroutine.resume(co3, "boom"))
print(coroutine.resume(co3))

-- isyieldable, running
print(coroutine.isyieldable())
local main, ismain = coroutine.running()
print(type(main), ismain)
coroutine.wrap(function() print(coroutine.isyieldable(), select(2, coroutine.running())) end)()

-- producer / consumer pipeline with filters
local function producer(items)
  return coroutine.create(function()
    for _, it in ipairs(items) do coroutine.yield(it) end
  end)
end
local function filter(src, pred)
  return coroutine.create(function()
    while true do
      local _, v = coroutine.resume(src)
      if v == nil then return end
      if pred(v) then coroutine.yield(v) end
    end
  end)
end
local items = {}
for i = 1, 20 do items[i] = i end
local evens = filter(producer(items), function(v) return v % 2 == 0 end)
local sq = filter(evens, function(v) return v % 3 ~= 0 end)
local out = {}
while true do
  local _, v = coroutine.resume(sq)
  if v == nil then break end
  out[#out + 1] = v
end
print(table.concat(out, " "))

-- coroutine.close with a pending to-be-closed variable
local co4 = coroutine.create(function()
  local res <close> = setmetatable({}, { __close = function() print("closed resource") end })
  coroutine.yield(1)
end)
print(coroutine.resume(co4))
print(coroutine.close(co4), coroutine.status(co4))

-- deep recursion of resumes
local function nest(n)
  if n == 0 then return 0 end
  local c = coroutine.wrap(function() return nest(n - 1) + 1 end)
  return c()
end
print(nest(100))

-- many coroutines alive at once
local cos = {}
for i = 1, 1000 do
  cos[i] = coroutine.create(function(x) local y = coroutine.yield(x * 2); return x + y end)
end
local sum = 0
for i = 1, 1000 do local _, v = coroutine.resume(cos[i], i); sum = sum + v end
for i = 1, 1000 do local _, v = coroutine.resume(cos[i], 1); sum = sum + v end
print(sum)
