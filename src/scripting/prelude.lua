-- The Redis Lua API, after Redis 7.0's script_lua.c and eval.c. Run once
-- when the Lua state is made, with the real globals; its functions see the
-- bridge to the server (`__redis_bridge`, set by scripting/mod.rs), which
-- is gone from the globals before any script runs. Functions defined here
-- live in chunk "=redis" and the error handler skips their frames, so an
-- error points at the script's line as Redis's C functions do.
local bridge = __redis_bridge
__redis_bridge = nil
local dbg = debug
debug = nil
local G = _G
local error, type, tostring, select, rawget, rawset, setmetatable, unpack =
  error, type, tostring, select, rawget, rawset, setmetatable, unpack
local lua_pcall, xpcall, floor, tonumber = pcall, xpcall, math.floor, tonumber

-- Where the script called us, as luaL_where names a C function's caller
-- ("user_script:1: "), for errors C functions raise with luaL_error.
local function where()
  local level = 2
  while true do
    local i = dbg.getinfo(level, 'Sl')
    if not i then return '' end
    if i.what ~= 'C' and i.what ~= 'tail' and i.source ~= '=redis' then
      return i.currentline > 0 and (i.short_src .. ':' .. i.currentline .. ': ') or ''
    end
    level = level + 1
  end
end

-- Errors raised by the API are tables, as Redis's luaPushError makes them.
local function raise(msg)
  error({err = 'ERR ' .. msg}, 0)
end

redis = {}
redis.call = bridge.call
redis.pcall = bridge.pcall
redis.sha1hex = function(...)
  if select('#', ...) ~= 1 then raise('wrong number of arguments') end
  return bridge.sha1hex(...)
end
local function single_field(field, ...)
  local n, s = select('#', ...), ...
  if n ~= 1 or type(s) ~= 'string' then
    return {err = 'ERR wrong number or type of arguments'}
  end
  return {[field] = s}
end
redis.error_reply = function(...)
  local n, s = select('#', ...), ...
  if n ~= 1 or type(s) ~= 'string' then
    return {err = 'ERR wrong number or type of arguments'}
  end
  return bridge.error_table(s)
end
redis.status_reply = function(...)
  return single_field('ok', ...)
end
redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
redis.log = function(...)
  local n, level = select('#', ...), ...
  if n < 2 then raise('redis.log() requires two arguments or more.') end
  level = tonumber(level)
  if level == nil then raise('First argument must be a number (log level).') end
  level = level >= 0 and floor(level) or -floor(-level)
  if level < 0 or level > 3 then raise('Invalid debug level.') end
  bridge.log(...)
end
redis.REDIS_VERSION = bridge.version
redis.REDIS_VERSION_NUM = bridge.version_num
redis.setresp = function(...)
  local n, v = select('#', ...), ...
  if n ~= 1 then raise('redis.setresp() requires one argument.') end
  if v ~= 2 and v ~= 3 then raise('RESP version must be 2 or 3.') end
  bridge.setresp(v)
end
redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3
redis.set_repl = function(...)
  local n, v = select('#', ...), ...
  if n ~= 1 then raise('redis.set_repl() requires two arguments.') end
  v = tonumber(v) or 0
  v = v >= 0 and floor(v) or -floor(-v)
  if v < 0 or v > 3 then
    raise('Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.')
  end
  bridge.set_repl(v)
end
redis.replicate_commands = function() return true end
redis.breakpoint = function() return false end
redis.debug = function() end
redis.acl_check_cmd = function(...)
  if select('#', ...) < 1 then raise('Please specify at least one argument for this redis lib call') end
  local known = bridge.command_exists(...)
  if not known then raise('Invalid command passed to redis.acl_check_cmd()') end
  return true
end

-- Redis's pcall: an error that is a table with an 'err' string comes back
-- as that string (scripts written for Redis before 7.0 expect one).
pcall = function(f, ...)
  local res = {lua_pcall(f, ...)}
  if not res[1] and type(res[2]) == 'table' and type(res[2].err) == 'string' then
    res[2] = res[2].err
  end
  return unpack(res, 1, table.maxn(res))
end

-- math.random and math.randomseed on Redis's own rand48, so every machine
-- draws the same sequence (Redis's redis_math_random).
local function checkint(v, n, fname)
  local x = tonumber(v)
  if x == nil then
    local got = v == nil and 'no value' or type(v)
    error(where() .. "bad argument #" .. n .. " to '" .. fname .. "' (number expected, got " .. got .. ")", 0)
  end
  return x >= 0 and floor(x) or -floor(-x)
end
math.random = function(...)
  local n = select('#', ...)
  local r = bridge.rand48()
  if n == 0 then return r end
  if n == 1 then
    local u = checkint(..., 1, 'random')
    if u < 1 then error(where() .. "bad argument #1 to 'random' (interval is empty)", 0) end
    return floor(r * u) + 1
  end
  if n == 2 then
    local l, u = ...
    l, u = checkint(l, 1, 'random'), checkint(u, 2, 'random')
    if l > u then error(where() .. "bad argument #2 to 'random' (interval is empty)", 0) end
    return floor(r * (u - l + 1)) + l
  end
  error(where() .. 'wrong number of arguments', 0)
end
math.randomseed = function(...)
  bridge.srand48(checkint((...), 1, 'randomseed'))
end

-- Behind C functions, as Redis's are (see lua_c_wrap in mod.rs).
local c_wrap = bridge.c_wrap
for _, name in ipairs({'sha1hex', 'error_reply', 'status_reply', 'log', 'setresp',
                       'set_repl', 'replicate_commands', 'breakpoint', 'debug', 'acl_check_cmd'}) do
  redis[name] = c_wrap(redis[name])
end
math.random = c_wrap(math.random)
math.randomseed = c_wrap(math.randomseed)
pcall = c_wrap(pcall)

-- The bit library (LuaBitOp, as Redis bundles it): 32-bit operations on
-- Lua numbers, results as signed 32-bit numbers.
bit = {}
local function checknumber(v, n, fname)
  local x = tonumber(v)
  if x == nil then
    local got = v == nil and 'no value' or type(v)
    error(where() .. "bad argument #" .. n .. " to '" .. fname .. "' (number expected, got " .. got .. ")", 0)
  end
  return x
end
local bitop = bridge.bitop
local function variadic(name)
  bit[name] = function(...)
    local n = select('#', ...)
    local args = {...}
    for i = 1, math.max(n, 1) do args[i] = checknumber(args[i], i, name) end
    return bitop(name, unpack(args, 1, math.max(n, 1)))
  end
end
for _, name in ipairs({'band', 'bor', 'bxor'}) do variadic(name) end
for _, name in ipairs({'tobit', 'bnot', 'bswap'}) do
  bit[name] = function(x) return bitop(name, checknumber(x, 1, name)) end
end
for _, name in ipairs({'lshift', 'rshift', 'arshift', 'rol', 'ror'}) do
  bit[name] = function(x, n) return bitop(name, checknumber(x, 1, name), checknumber(n, 2, name)) end
end
bit.tohex = function(x, n)
  x = checknumber(x, 1, 'tohex')
  if n == nil then n = 8 else n = checknumber(n, 2, 'tohex') end
  return bridge.tohex(x, n)
end
for name, f in pairs(bit) do bit[name] = c_wrap(f) end

-- cjson (lua-cjson 2.1 as Redis bundles it; scripting/cjson.rs).
cjson = {null = bridge.cjson_null}
local cj_encode, cj_decode = bridge.cjson_encode, bridge.cjson_decode
cjson.encode = c_wrap(function(...)
  if select('#', ...) ~= 1 then
    error(where() .. "bad argument #1 to 'encode' (expected 1 argument)", 0)
  end
  local ok, r = cj_encode(...)
  if not ok then error(where() .. r, 0) end
  return r
end)
cjson.decode = c_wrap(function(...)
  local n, s = select('#', ...), ...
  if n ~= 1 then
    error(where() .. "bad argument #1 to 'decode' (expected 1 argument)", 0)
  end
  if type(s) == 'number' then s = tostring(s) end
  if type(s) ~= 'string' then
    local got = s == nil and 'no value' or type(s)
    error(where() .. "bad argument #1 to 'decode' (string expected, got " .. got .. ")", 0)
  end
  local ok, r = cj_decode(s)
  if not ok then error(where() .. r, 0) end
  return r
end)

-- struct (struct 0.2 as Redis bundles it; scripting/structlib.rs).
struct = {}
local function raise_or_return(ok, ...)
  if not ok then error(where() .. (...), 0) end
  return ...
end
local s_pack, s_unpack, s_size = bridge.struct_pack, bridge.struct_unpack, bridge.struct_size
struct.pack = c_wrap(function(...) return raise_or_return(s_pack(...)) end)
struct.unpack = c_wrap(function(...) return raise_or_return(s_unpack(...)) end)
struct.size = c_wrap(function(...) return raise_or_return(s_size(...)) end)

-- cmsgpack (lua-cmsgpack as Redis bundles it; scripting/cmsgpack.rs).
cmsgpack = {}
local mp_pack, mp_unpack = bridge.mp_pack, bridge.mp_unpack
local function mp_string(s, fname)
  if type(s) == 'number' then return tostring(s) end
  if type(s) ~= 'string' then
    local got = s == nil and 'no value' or type(s)
    error(where() .. "bad argument #1 to '" .. fname .. "' (string expected, got " .. got .. ")", 0)
  end
  return s
end
local function mp_int(v, n, fname, default)
  if v == nil and default ~= nil then return default end
  local x = tonumber(v)
  if x == nil then
    local got = v == nil and 'no value' or type(v)
    error(where() .. "bad argument #" .. n .. " to '" .. fname .. "' (number expected, got " .. got .. ")", 0)
  end
  return x >= 0 and floor(x) or -floor(-x)
end
cmsgpack.pack = c_wrap(function(...) return raise_or_return(mp_pack(...)) end)
cmsgpack.unpack = c_wrap(function(s)
  return raise_or_return(mp_unpack(mp_string(s, 'unpack'), 0, 0))
end)
cmsgpack.unpack_one = c_wrap(function(s, offset)
  offset = mp_int(offset, 2, 'unpack_one', 0)
  return raise_or_return(mp_unpack(mp_string(s, 'unpack_one'), 1, offset))
end)
cmsgpack.unpack_limit = c_wrap(function(s, limit, offset)
  limit = mp_int(limit, 2, 'unpack_limit')
  offset = mp_int(offset, 3, 'unpack_limit', 0)
  return raise_or_return(mp_unpack(mp_string(s, 'unpack_limit'), limit, offset))
end)

-- What the sandbox does not offer, as in Redis 7.0.
loadfile, dofile, print, require, module, setfenv, getfenv, newproxy = nil
package, os, io = nil

-- The pcall error handler (Redis's __redis__err__handler): the error as a
-- table with the script's source and line.
function __redis__err__handler(err)
  local level, i = 2, nil
  repeat
    i = dbg.getinfo(level, 'nSl')
    level = level + 1
  until not i or (i.what ~= 'C' and i.what ~= 'tail' and i.source ~= '=redis')
  if type(err) ~= 'table' then
    err = {err = 'ERR ' .. tostring(err)}
  end
  if i then
    err['source'] = i.source
    err['line'] = i.currentline
  end
  return err
end
local handler = __redis__err__handler

-- Globals are read-only for scripts and a missing one is an error.
local function readonly() error('Attempt to modify a readonly table', 2) end
for _, name in ipairs({'redis', 'string', 'table', 'math', 'coroutine', 'bit', 'cjson', 'struct', 'cmsgpack'}) do
  setmetatable(G[name], {__newindex = readonly})
end
-- Scripts see the globals through an environment whose misses go to the
-- real table (a plain table lookup, fast) and only then to the error.
local env = setmetatable({}, {__index = G, __newindex = readonly})
setmetatable(G, {
  __newindex = readonly,
  __index = function(_, k)
    error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
  end,
})

-- Every 100,000 instructions (Redis's luaMaskCountHook): let the server
-- serve others past busy-reply-threshold; once SCRIPT KILL asked, raise
-- Redis's error on every line of the script so a pcall cannot keep it
-- alive (lines of this prelude, run between the script's, are spared).
local interrupt, sethook = bridge.interrupt, dbg.sethook
local function killed_hook()
  local i = dbg.getinfo(2, 'S')
  if i and i.source ~= '=redis' then
    error({err = 'ERR Script killed by user with SCRIPT KILL...'}, 0)
  end
end
local function count_hook()
  if interrupt() then
    sethook(killed_hook, 'l')
    error({err = 'ERR Script killed by user with SCRIPT KILL...'}, 0)
  end
end

-- What scripting/mod.rs calls: run a script function under the handler.
return env, function(f, keys, argv)
  rawset(G, 'KEYS', keys)
  rawset(G, 'ARGV', argv)
  sethook(count_hook, '', 100000)
  return xpcall(f, handler)
end
