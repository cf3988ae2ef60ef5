-- Errors: pcall/xpcall with strings, tables, levels, nested handlers,
-- error objects with __tostring, runtime errors from the VM, assert,
-- to-be-closed variables on the error path, stack overflow, load errors.

print(pcall(error, "plain"))
print(pcall(error, "no position", 0))
print(pcall(function() error("level 1") end))
print(pcall(function() local function inner() error("level 2", 2) end inner() end))
print(pcall(error))
print(pcall(error, nil))
print(select("#", pcall(error)))

-- tables as error values
local ok, e = pcall(error, { code = 404, msg = "not found" })
print(ok, type(e), e.code, e.msg)
local E = setmetatable({}, { __tostring = function(self) return "E(" .. self.what .. ")" end })
E.__index = E
local function raise(what) error(setmetatable({ what = what }, getmetatable(E)), 2) end
ok, e = pcall(raise, "custom")
print(ok, tostring(e), e.what)

-- xpcall with a handler that sees the original error and adds to it
print(xpcall(function() error("oops") end, function(m) return "handled: " .. m end))
print(xpcall(function(a, b) return a + b end, print, 3, 4))
print(xpcall(function() error({ 1, 2, 3 }) end, function(t) return #t end))
-- error inside the handler
print(xpcall(function() error("first") end, function() error("second") end))

-- nested pcall: inner errors don't leak out
print(pcall(function()
  local ok1, m1 = pcall(error, "inner")
  return "outer saw: " .. tostring(ok1) .. " " .. m1
end))

-- runtime errors raised by the VM
local cases = {
  function() return nil + 1 end,
  function() local t = nil; return t.x end,
  function() return #5 end,
  function() return {} < {} end,
  function() return "a" < 1 end,
  function() return ("x")() end,
  function() return 1 // 0 end,
  function() return 1 % 0 end,
  function() return math.maxinteger < "x" end,
  function() return ("abc"):bad() end,
  function() local a = {}; a[nil] = 1 end,
  function() local a = {}; a[0 / 0] = 1 end,
  function() return 2 ^ "x" end,
  function() return 1 & 1.5 end,
  function() return "10" + 1 end,
  function() return tostring(setmetatable({}, { __index = function(t, k) error("no field " .. k) end }).foo) end,
  function() return undefined_global.x end,
  function() return string.rep("x", -1) .. 1 end,
  function() for i = 1, 10, 0 do end end,
  function() return setmetatable({}, { __metatable = "locked" }) end,
  function() return setmetatable(setmetatable({}, { __metatable = "locked" }), {}) end,
}
for i, f in ipairs(cases) do
  local okc, msg = pcall(f)
  print(i, okc, type(msg) == "table" and "table" or msg)
end

-- assert
print(pcall(assert, false))
print(pcall(assert, nil, "custom assert message"))
local okt, et = pcall(assert, false, { "table message" })
print(okt, type(et), et[1])
print(select("#", assert(1, 2, 3)), assert(1, 2, 3))

-- to-be-closed variables run on the error path, in reverse order
local log = {}
local function closer(name)
  return setmetatable({}, { __close = function(_, err) log[#log + 1] = name .. ":" .. tostring(err) end })
end
print(pcall(function()
  local a <close> = closer("a")
  local b <close> = closer("b")
  error("with closers", 0)
end))
print(table.concat(log, " "))

-- stack overflow is caught
local function recurse(n) return recurse(n + 1) + 1 end
local oko, msgo = pcall(recurse, 1)
print(oko, (msgo:gsub("^.-:%d+: ", "")))
local function deep(n) if n == 0 then return 0 end return 1 + deep(n - 1) end
print(pcall(deep, 10000))
-- C stack overflow through nested pcall/metamethods
local mt = {}
mt.__index = function(t, k) return setmetatable({}, mt)[k] end
local okm, msgm = pcall(function() return setmetatable({}, mt).x end)
print(okm, (msgm:gsub("^.-:%d+: ", "")))

-- load errors and load with env
print(load("return +"))
print(load("x ="))
print(type(load(function() return nil end)))
local env = { y = 5 }
print(load("return y * 2", "chunk", "t", env)())
print(pcall(load("error('from loaded chunk')", "=loaded")))
print(pcall(load("local t = {} t.x.y = 1", "@file.lua")))
print(load("\27Lua", "bin", "t"))

-- error with non-string, non-table values
print(pcall(error, 42))
print(pcall(error, true))
print(pcall(error, 1.5))

-- tostring of error messages carrying positions from different chunks
local f = load("local x = ...\nif x then\n  error('line three')\nend", "=multi")
print(pcall(f, true))
