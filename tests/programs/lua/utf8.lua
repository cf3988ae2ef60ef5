-- utf8 library and byte-level handling of UTF-8 text.

local s = "héllo wörld ✓ 𝄞"
print(#s, utf8.len(s))
for p, c in utf8.codes("aé✓𝄞") do io.write(p, ":", c, " ") end
print()
print(utf8.char(72, 233, 0x2713, 0x1D11E, 0x7FFFFFFF):byte(1, -1))
print(utf8.codepoint(s, 1, -1))
print(utf8.offset(s, 3), utf8.offset(s, -1), utf8.offset(s, 0, 3), utf8.offset(s, 100))
print(utf8.len("\xff"), utf8.len("abc\xe4"), utf8.len(s, 3), pcall(utf8.len, s, 3, 100))
print(utf8.charpattern == "[\0-\x7F\xC2-\xFD][\x80-\xBF]*")
local chars = {}
for ch in s:gmatch(utf8.charpattern) do chars[#chars + 1] = ch end
print(#chars, chars[2], chars[#chars], table.concat(chars, "|"))
print(pcall(utf8.codepoint, "\xff"))
print(pcall(utf8.char, -1))
print(utf8.len("\u{7FF}\u{800}\u{FFFF}\u{10000}"), "\u{48}\u{49}")
-- lax mode accepts surrogates and values beyond U+10FFFF
print(utf8.len("\u{D800}"), utf8.len("\u{D800}", 1, -1, true), utf8.codepoint("\u{7FFFFFFF}", 1, 1, true))
-- reversing by code points
local rev = {}
for _, c in utf8.codes("ab✓c") do table.insert(rev, 1, utf8.char(c)) end
print(table.concat(rev))
-- upper/lower only change ASCII in the C locale
print(("ÀÉ abc"):upper(), ("ÀÉ ABC"):lower())
print(string.format("%q", "tab\there é"))
