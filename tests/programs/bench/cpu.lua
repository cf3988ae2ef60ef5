-- The CPU-bound lua benchmark of `cargo xtask bench programs`: recursive
-- calls, float arithmetic on tables (n-body), string building and pattern
-- matching, table sorting, closures. Prints a checksum per part so that the
-- runs can be compared.

local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
print("fib", fib(30))

-- n-body (the classic benchmark's algorithm, written from its description)
local PI = math.pi
local SOLAR_MASS = 4 * PI * PI
local DAYS = 365.24
local bodies = {
  { x = 0, y = 0, z = 0, vx = 0, vy = 0, vz = 0, mass = SOLAR_MASS },
  { x = 4.84143144246472090e+00, y = -1.16032004402742839e+00, z = -1.03622044471123109e-01,
    vx = 1.66007664274403694e-03 * DAYS, vy = 7.69901118419740425e-03 * DAYS,
    vz = -6.90460016972063023e-05 * DAYS, mass = 9.54791938424326609e-04 * SOLAR_MASS },
  { x = 8.34336671824457987e+00, y = 4.12479856412430479e+00, z = -4.03523417114321381e-01,
    vx = -2.76742510726862411e-03 * DAYS, vy = 4.99852801234917238e-03 * DAYS,
    vz = 2.30417297573763929e-05 * DAYS, mass = 2.85885980666130812e-04 * SOLAR_MASS },
  { x = 1.28943695621391310e+01, y = -1.51111514016986312e+01, z = -2.23307578892655734e-01,
    vx = 2.96460137564761618e-03 * DAYS, vy = 2.37847173959480950e-03 * DAYS,
    vz = -2.96589568540237556e-05 * DAYS, mass = 4.36624404335156298e-05 * SOLAR_MASS },
  { x = 1.53796971148509165e+01, y = -2.59193146099879641e+01, z = 1.79258772950371181e-01,
    vx = 2.68067772490389322e-03 * DAYS, vy = 1.62824170038242295e-03 * DAYS,
    vz = -9.51592254519715870e-05 * DAYS, mass = 5.15138902046611451e-05 * SOLAR_MASS },
}
local function advance(n, dt)
  for i = 1, n do
    local bi = bodies[i]
    for j = i + 1, n do
      local bj = bodies[j]
      local dx, dy, dz = bi.x - bj.x, bi.y - bj.y, bi.z - bj.z
      local d2 = dx * dx + dy * dy + dz * dz
      local mag = dt / (d2 * math.sqrt(d2))
      local bm, jm = bi.mass * mag, bj.mass * mag
      bi.vx, bi.vy, bi.vz = bi.vx - dx * jm, bi.vy - dy * jm, bi.vz - dz * jm
      bj.vx, bj.vy, bj.vz = bj.vx + dx * bm, bj.vy + dy * bm, bj.vz + dz * bm
    end
  end
  for i = 1, n do
    local b = bodies[i]
    b.x, b.y, b.z = b.x + dt * b.vx, b.y + dt * b.vy, b.z + dt * b.vz
  end
end
local function energy(n)
  local e = 0
  for i = 1, n do
    local b = bodies[i]
    e = e + 0.5 * b.mass * (b.vx * b.vx + b.vy * b.vy + b.vz * b.vz)
    for j = i + 1, n do
      local c = bodies[j]
      local dx, dy, dz = b.x - c.x, b.y - c.y, b.z - c.z
      e = e - b.mass * c.mass / math.sqrt(dx * dx + dy * dy + dz * dz)
    end
  end
  return e
end
local px, py, pz = 0, 0, 0
for _, b in ipairs(bodies) do px, py, pz = px + b.vx * b.mass, py + b.vy * b.mass, pz + b.vz * b.mass end
bodies[1].vx, bodies[1].vy, bodies[1].vz = -px / SOLAR_MASS, -py / SOLAR_MASS, -pz / SOLAR_MASS
print("nbody", string.format("%.9f", energy(#bodies)))
for _ = 1, 200000 do advance(#bodies, 0.01) end
print("nbody", string.format("%.9f", energy(#bodies)))

-- strings: building, formatting, gsub, find
local parts = {}
for i = 1, 200000 do parts[#parts + 1] = string.format("%d:%x;", i, i * 7) end
local s = table.concat(parts)
local n = 0
for a, b in s:gmatch("(%d+):(%x+);") do if tonumber(b, 16) == tonumber(a) * 7 then n = n + 1 end end
local replaced, count = s:gsub("(%d)(%d)", "%2%1")
print("strings", #s, n, count, #replaced)
local acc = ""
for i = 1, 20000 do acc = acc .. (i % 10) end
print("concat", #acc, acc:sub(-10))

-- tables: fill, sort with a comparator, closures
local seed = 42
local function rand() seed = (seed * 1103515245 + 12345) % 2147483648; return seed end
local t = {}
for i = 1, 300000 do t[i] = rand() end
table.sort(t)
table.sort(t, function(a, b) return a % 1000 < b % 1000 or (a % 1000 == b % 1000 and a < b) end)
local sum = 0
for i = 1, #t, 1000 do sum = (sum + t[i]) % 1000000007 end
print("sort", sum)
local counters = {}
for i = 1, 1000 do local c = 0; counters[i] = function() c = c + i; return c end end
local total = 0
for _ = 1, 300 do for i = 1, 1000 do total = total + counters[i]() end end
print("closures", total)
