-- String library: patterns, gsub with every replacement kind, format,
-- byte/char/rep/reverse, pack/unpack.

local function show(...)
  local t = table.pack(...)
  for i = 1, t.n do t[i] = tostring(t[i]) end
  print(table.concat(t, " | "))
end

-- find / match / gmatch
show(string.find("hello world", "o w"))
show(string.find("hello world", "o", 6))
show(string.find("a.b.c", ".", 1, true))
show(string.match("key = value", "(%w+)%s*=%s*(%w+)"))
show(string.match("2026-11-22", "(%d+)-(%d+)-(%d+)"))
show(string.match("  trim me  ", "^%s*(.-)%s*$"))
show(string.match("[[nested]]", "%[(%b[])%]"))
show(string.match("THE (quick) fox", "%f[%a]%a+%f[%A]"))
show(string.match("hello", "()ll()"))
local words = {}
for w in string.gmatch("one two  three,four", "%a+") do words[#words + 1] = w end
print(table.concat(words, ","))
for k, v in string.gmatch("a=1, b=2, c=3", "(%w+)=(%w+)") do io.write(k, "->", v, ";") end
print()

-- gsub: string, table, function replacements, %0 and %1, limits
show(string.gsub("hello world", "o", "0"))
show(string.gsub("hello world", "(o)", "[%1%1]", 1))
show(string.gsub("$name is $age", "%$(%w+)", { name = "lua", age = 30 }))
show(string.gsub("abc", "%w", function(c) return c:upper() .. "." end))
show(string.gsub("abc", "", "-"))
show(string.gsub("x = 1 + 2", "%s", "%%"))
show(string.gsub("keep", "e", function() return nil end))
show(("camelCaseString"):gsub("(%u)", function(c) return "_" .. c:lower() end))

-- format
print(string.format("%5d|%-5d|%05d|%x|%X|%o", 42, 42, 42, 255, 255, 8))
print(string.format("%.3f|%10.2f|%-10.2f|%e|%g|%g", math.pi, 2.5, 2.5, 12345.678, 0.0001, 1e20))
print(string.format("%q", 'a "quoted"\n\0string\\'))
print(string.format("%q|%q|%q", 1 / 0, -1 / 0, math.mininteger))
print(string.format("%s|%10s|%-10s|%.2s", "abc", "right", "left", "truncate"))
print(string.format("%c%c%c", 76, 117, 97))
print(string.format("%i %u", -7, 7))
print(string.format("%a", 1.0))

-- misc
print(("abc"):rep(3, "-"), ("abc"):reverse(), ("MiXeD"):lower(), ("MiXeD"):upper())
print(("hello"):byte(1, -1))
print(string.char(72, 105), #"\u{10FFFF}", ("x"):rep(0) == "")
print(("hello world"):sub(-5), ("hello"):sub(2, 3), ("hello"):sub(10) == "")
print(tostring(12), tostring(1.5), tostring(-0.0), tostring(1e100), 2^53, 10 // 3, 10.0 // 3)
print(string.len("\0\1\2"), #string.format("%099d", 1))

-- pack / unpack
local packed = string.pack("<i4 >i2 z s1 d", -2, 513, "zstr", "len", 0.5)
print(#packed, string.unpack("<i4 >i2 z s1 d", packed))
print(string.packsize("i4i8"), string.unpack("B", "\255"))

-- errors from the string library
print(pcall(string.rep))
print(pcall(string.format, "%d", 1.5))
print(pcall(string.find, "x", "[a"))
print(pcall(string.gsub, "x", "(", ""))
