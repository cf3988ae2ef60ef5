-- Chunks: load/string.dump round trips, luac compiling a script that lua
-- then runs (through os.execute and io.popen), luac -p on a broken file,
-- require of a module found through package.path, and lua's command line.

local function run(cmd)
  local p = assert(io.popen(cmd .. " 2>&1"))
  local out = p:read("a")
  local ok, how, code = p:close()
  return out, ok, how, code
end

-- string.dump and load of the binary chunk, with and without debug info
local function adder(a)
  return function(b) return a + b, debug.getinfo(1, "S").short_src end
end
local dumped = string.dump(adder)
local loaded = assert(load(dumped, "dumped", "b"))
print(loaded(2)(3))
local stripped = assert(load(string.dump(adder, true), "stripped", "b"))
print(stripped(4)(5))
print(load(dumped, "x", "t"))

-- a private work directory in /tmp
local dir = (os.getenv("TMPDIR") or "/tmp") .. "/wasmpod-lua-chunks"
os.execute("rm -rf " .. dir)
assert(os.execute("mkdir -p " .. dir))
local function write(name, text)
  local f = assert(io.open(dir .. "/" .. name, "w"))
  f:write(text)
  f:close()
end

-- luac -o, then lua runs the bytecode file
write("prog.lua", "local t = {} for i = 1, 10 do t[i] = i * i end print(table.concat(t, ' '), ...)\n")
print(run("luac -o " .. dir .. "/prog.luac " .. dir .. "/prog.lua"))
print(run("lua " .. dir .. "/prog.luac one two"))
-- luac -s (stripped) output also runs, and is smaller
print(run("luac -s -o " .. dir .. "/prog.s.luac " .. dir .. "/prog.lua"))
local full = assert(io.open(dir .. "/prog.luac")):seek("end")
local small = assert(io.open(dir .. "/prog.s.luac")):seek("end")
print(small < full, (run("lua " .. dir .. "/prog.s.luac")))
-- luac -p: syntax errors, exit status 1
write("bad.lua", "local x = = 1\n")
local out, ok, how, code = run("cd " .. dir .. " && luac -p bad.lua")
print((out:gsub("^[^:]*luac: ", "luac: ")), ok, how, code)
print(run("luac -p " .. dir .. "/prog.lua"))
-- luac -v
print((run("luac -v"):match("^Lua %d+%.%d+")))

-- require through package.path
write("mymod.lua", "local M = {} function M.twice(x) return 2 * x end M.name = ... return M\n")
package.path = dir .. "/?.lua;" .. package.path
local m = require("mymod")
print(m.twice(21), m.name, package.loaded.mymod == m, require("mymod") == m)
local okr, err = pcall(require, "no_such_module_here")
print(okr, err:match("module 'no_such_module_here' not found") ~= nil)

-- lua's command line: -e, -l, -v, -, arg table, script exit codes
print(run("lua -e 'print(1 + 1)' -e 'print(#arg, arg[0])'"))
print(run("cd " .. dir .. " && lua -l mymod -e 'print(mymod.twice(5))'"))
print((run("lua -v"):match("^Lua %d+%.%d+%.%d+")))
print(run("echo 'print(\"from stdin\", ...)' | lua - a b"))
write("args.lua", "print(#arg, arg[0], arg[1], arg[2], arg[-1] ~= nil, ...)\n")
print(run("cd " .. dir .. " && lua args.lua x y"))
write("exit.lua", "os.exit(5)\n")
print(run("lua " .. dir .. "/exit.lua"))
write("exit2.lua", "io.write('buffered') os.exit(true, true)\n")
print(run("lua " .. dir .. "/exit2.lua"))
write("err.lua", "error('script failed')\n")
local eout, eok, ehow, ecode = run("cd " .. dir .. " && lua err.lua")
print(eout:match("err.lua:1: script failed") ~= nil, eout:match("stack traceback") ~= nil, eok, ehow, ecode)

os.execute("rm -rf " .. dir)
print(io.open(dir) == nil)
