-- io and os: files in /tmp (write, read formats, seek, lines, append,
-- rename, remove), tmpfile, popen in both directions, os.getenv,
-- os.execute, os.date with a fixed time, os.difftime, errors as values.

local dir = os.getenv("TMPDIR") or "/tmp"
local base = dir .. "/wasmpod-lua-io-" .. tostring(#arg) -- no pid: output must not vary
local path = base .. ".txt"
os.remove(path)

-- write and read back in every format
local f = assert(io.open(path, "w"))
print(io.type(f), io.type(io.stdout), io.type(42))
f:write("line one\n", "line two\n", 3.5, " ", 42, "\n", "no newline at end")
f:close()
print(io.type(f))

f = assert(io.open(path, "r"))
print(f:read("l"))
print(f:read("L"))
print(f:read("n", "n"))
print(f:read(3), f:read(0))
print(f:read("a"))
print(f:read("a") == "", f:read("l"), f:read(0))
print(f:seek("set", 5), f:read(3))
print(f:seek("cur"), f:seek("end"))
f:close()

-- lines with formats, io.lines
local n = 0
for l in io.lines(path) do n = n + 1 end
print("lines", n)
for a, b in io.lines(path, 4, "l") do print(a, b); break end

-- append mode and update mode
f = assert(io.open(path, "a"))
f:write("\nappended")
f:close()
f = assert(io.open(path, "r+"))
f:seek("set", 0)
f:write("LINE")
f:seek("set", 0)
print(f:read("l"))
f:close()
local all = assert(io.open(path)):read("a")
print(#all, select(2, all:gsub("\n", "")))

-- buffering modes and flush
f = assert(io.open(path, "w"))
print(f:setvbuf("full", 1024), f:setvbuf("line"), f:setvbuf("no"))
for i = 1, 1000 do f:write(i, "\n") end
print(f:flush())
f:close()
local sum = 0
for l in io.lines(path) do sum = sum + tonumber(l) end
print("sum", sum)

-- rename and remove
local path2 = base .. ".renamed"
os.remove(path2)
print(os.rename(path, path2))
print(io.open(path) == nil, io.open(path2) ~= nil)
local ok, msg, code = os.rename(path, path2)
print(ok, (msg:gsub("^.-: ", "")), code)
print(os.remove(path2))
local ok2, msg2, code2 = os.remove(path2)
print(ok2, (msg2:gsub("^.-: ", "")), code2)
local nf, nmsg, ncode = io.open(dir .. "/wasmpod-lua-no/such/file")
print(nf, (nmsg:gsub("^.-: ", "")), ncode)

-- tmpfile
local t = assert(io.tmpfile())
t:write("temporary data\n", string.rep("x", 10000))
t:seek("set")
print(t:read("l"), #t:read("a"))
t:close()

-- os.tmpname gives a name that can be created and removed
local tn = os.tmpname()
local tf = assert(io.open(tn, "w"))
tf:write("x")
tf:close()
print(os.remove(tn))

-- popen: read a command's output, write to a command's input
local p = assert(io.popen("echo popen-read; echo second", "r"))
print(p:read("l"), p:read("l"), p:read("l"))
print(p:close())
p = assert(io.popen("exit 3"))
print(p:close())
p = assert(io.popen("cat > " .. base .. ".popen", "w"))
p:write("written through a pipe\n")
print(p:close())
print(assert(io.open(base .. ".popen")):read("a"))
os.remove(base .. ".popen")

-- os.execute
print(os.execute())
print(os.execute("true"))
print(os.execute("exit 7"))
print(os.execute("kill -TERM $$"))

-- environment, dates, clocks (only deterministic parts are printed)
print(os.getenv("WASMPOD_LUA_SURELY_UNSET"))
print(os.getenv("HOME") ~= nil)
print(os.date("!%Y-%m-%d %H:%M:%S", 0))
print(os.date("!%Y-%m-%d %H:%M:%S %A %B %j", 1700000000))
local d = os.date("!*t", 86400 * 365)
print(d.year, d.month, d.day, d.hour, d.min, d.sec, d.wday, d.yday, d.isdst)
print(os.time({ year = 2000, month = 1, day = 1, hour = 12 }) - os.time({ year = 2000, month = 1, day = 2, hour = 12 }))
print(os.difftime(100, 40), type(os.time()), type(os.clock()), os.clock() >= 0)
print(pcall(os.date, "%Ez"))

-- io.write / io.read defaults with redirected output
local out = base .. ".out"
io.output(out)
io.write("via io.output\n")
io.close()
io.output(io.stdout)
io.input(out)
print(io.read("l"))
io.close(io.input())
io.input(io.stdin)
os.remove(out)
io.stdout:write("done\n")
