-- The Redis Lua API, after Redis 7.0's script_lua.c and eval.c. Run once
-- when the Lua state is made, with the real globals; its functions see the
-- bridge to the server (`__redis_bridge`, set by scripting/mod.rs), which
-- is gone from the globals before any script runs. Functions defined here
-- live in chunk "=redis" and the error handler skips their frames, so an
-- error points at the script's line as Redis's C functions do.
local bridge = __redis_bridge
__redis_bridge = nil
-- Set by scripting/mod.rs for the functions engine's state.
local FUNCTIONS = __function_mode
__function_mode = nil
local set_env = setfenv
local dbg = debug
debug = nil
local G = _G
local error, type, tostring, select, rawget, rawset, setmetatable, unpack =
  error, type, tostring, select, rawget, rawset, setmetatable, unpack
local lua_pcall, xpcall, floor, tonumber = pcall, xpcall, math.floor, tonumber

-- Where the script called us, as luaL_where names a C function's caller
-- ("user_script:1: "), for errors C functions raise with luaL_error.
-- The API function runs behind a C trampoline (c_wrap): the frame above
-- that trampoline is the caller; a C caller (pcall) names no line.
local function where()
  local level = 2
  local i = dbg.getinfo(level, 'Sl')
  while i and (i.what == 'tail' or (i.what ~= 'C' and i.source == '=redis')) do
    level = level + 1
    i = dbg.getinfo(level, 'Sl')
  end
  if i and i.what == 'C' then
    i = dbg.getinfo(level + 1, 'Sl')
    if i and i.what == 'C' then return '' end
  end
  while true do
    if not i then return '' end
    if i.what ~= 'C' and i.what ~= 'tail' and i.source ~= '=redis' then
      return i.currentline > 0 and (i.short_src .. ':' .. i.currentline .. ': ') or ''
    end
    level = level + 1
    i = dbg.getinfo(level, 'Sl')
  end
end

-- luaL_argerror: called from C (pcall), the function has no name ('?').
local function badarg(n, fname, detail)
  local w = where()
  error(w .. 'bad argument #' .. n .. " to '" .. (w == '' and '?' or fname) .. "' (" .. detail .. ')', 0)
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
-- The debugger's session state (nil outside a debugged EVAL) and its
-- value printer, defined with the debugger below.
-- The debugger while a session runs (its module, scripting/ldb.lua).
local ldb
redis.breakpoint = function()
  if ldb then return ldb.breakpoint() end
  return false
end
redis.debug = function(...)
  if ldb then ldb.debug(...) end
end
redis.acl_check_cmd = function(...)
  if select('#', ...) < 1 then raise('Please specify at least one argument for this redis lib call') end
  local allowed = bridge.acl_check(...)
  if allowed == nil then raise('Invalid command passed to redis.acl_check_cmd()') end
  return allowed
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
    badarg(n, fname, 'number expected, got ' .. got)
  end
  return x >= 0 and floor(x) or -floor(-x)
end
math.random = function(...)
  local n = select('#', ...)
  local r = bridge.rand48()
  if n == 0 then return r end
  if n == 1 then
    local u = checkint(..., 1, 'random')
    if u < 1 then badarg(1, 'random', 'interval is empty') end
    return floor(r * u) + 1
  end
  if n == 2 then
    local l, u = ...
    l, u = checkint(l, 1, 'random'), checkint(u, 2, 'random')
    if l > u then badarg(2, 'random', 'interval is empty') end
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
    badarg(n, fname, 'number expected, got ' .. got)
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
local keep_buffer = true
-- lua-cjson's settings (json_config_t), read by scripting/bridge.rs.
local cj = {encode_max_depth = 1000, decode_max_depth = 1000, encode_invalid = 0,
            decode_invalid = true, precision = 14, sparse_convert = false,
            sparse_ratio = 2, sparse_safe = 10}
local cj_encode_raw, cj_decode_raw = bridge.cjson_encode, bridge.cjson_decode
local function cj_encode(v) return cj_encode_raw(v, cj) end
local function cj_decode(s) return cj_decode_raw(s, cj) end
-- The configuration functions' argument checks (json_arg_init,
-- json_integer_option, json_enum_option).
local function cfg_args(fname, max, ...)
  if select('#', ...) > max then
    badarg(max + 1, fname, 'found too many arguments')
  end
end
local function cfg_int(v, n, fname, min, max)
  if v == nil then return nil end
  local x = tonumber(v)
  if x == nil then
    badarg(n, fname, 'number expected, got ' .. type(v))
  end
  x = x >= 0 and floor(x) or -floor(-x)
  if x < min or x > max then
    badarg(1, fname, 'expected integer between ' .. min .. ' and ' .. max)
  end
  return x
end
local function cfg_bool(v, n, fname, options)
  if v == nil then return nil end
  if type(v) == 'boolean' then return v and 1 or 0 end
  if options and type(v) == 'string' then
    for i, o in ipairs(options) do
      if o == v then return i - 1 end
    end
  end
  if type(v) ~= 'string' and type(v) ~= 'number' then
    badarg(n, fname, 'string expected, got ' .. type(v))
  end
  badarg(n, fname, "invalid option '" .. tostring(v) .. "'")
end
local INT_MAX = 2147483647
cjson.encode_max_depth = c_wrap(function(...)
  cfg_args('encode_max_depth', 1, ...)
  cj.encode_max_depth = cfg_int((...), 1, 'encode_max_depth', 1, INT_MAX) or cj.encode_max_depth
  return cj.encode_max_depth
end)
cjson.decode_max_depth = c_wrap(function(...)
  cfg_args('decode_max_depth', 1, ...)
  cj.decode_max_depth = cfg_int((...), 1, 'decode_max_depth', 1, INT_MAX) or cj.decode_max_depth
  return cj.decode_max_depth
end)
cjson.encode_number_precision = c_wrap(function(...)
  cfg_args('encode_number_precision', 1, ...)
  cj.precision = cfg_int((...), 1, 'encode_number_precision', 1, 14) or cj.precision
  return cj.precision
end)
local invalid_options = {'off', 'on', 'null'}
-- Reported as false, true or 'null' (json_enum_option with bool_true).
local invalid_values = {false, true, 'null'}
cjson.encode_invalid_numbers = c_wrap(function(...)
  cfg_args('encode_invalid_numbers', 1, ...)
  cj.encode_invalid = cfg_bool((...), 1, 'encode_invalid_numbers', invalid_options) or cj.encode_invalid
  return invalid_values[cj.encode_invalid + 1]
end)
cjson.decode_invalid_numbers = c_wrap(function(...)
  cfg_args('decode_invalid_numbers', 1, ...)
  local v = cfg_bool((...), 1, 'decode_invalid_numbers', invalid_options)
  if v ~= nil then cj.decode_invalid = v ~= 0 end
  return cj.decode_invalid
end)
cjson.encode_sparse_array = c_wrap(function(...)
  cfg_args('encode_sparse_array', 3, ...)
  local convert, ratio, safe = ...
  local c = cfg_bool(convert, 1, 'encode_sparse_array', nil)
  if c ~= nil then cj.sparse_convert = c ~= 0 end
  cj.sparse_ratio = cfg_int(ratio, 2, 'encode_sparse_array', 0, INT_MAX) or cj.sparse_ratio
  cj.sparse_safe = cfg_int(safe, 3, 'encode_sparse_array', 0, INT_MAX) or cj.sparse_safe
  return cj.sparse_convert, cj.sparse_ratio, cj.sparse_safe
end)
cjson.encode = c_wrap(function(...)
  if select('#', ...) ~= 1 then
    badarg(1, 'encode', 'expected 1 argument')
  end
  local ok, r = cj_encode(...)
  if not ok then error(where() .. r, 0) end
  return r
end)
cjson.decode = c_wrap(function(...)
  local n, s = select('#', ...), ...
  if n ~= 1 then
    badarg(1, 'decode', 'expected 1 argument')
  end
  if type(s) == 'number' then s = tostring(s) end
  if type(s) ~= 'string' then
    local got = s == nil and 'no value' or type(s)
    badarg(1, 'decode', 'string expected, got ' .. got)
  end
  local ok, r = cj_decode(s)
  if not ok then error(where() .. r, 0) end
  return r
end)

-- struct (struct 0.2 as Redis bundles it; scripting/structlib.rs).
struct = {}
local gsub = string.gsub
local function raise_or_return(ok, ...)
  if not ok then
    local w, msg = where(), (...)
    -- Called from C (pcall), luaL_argerror names no function.
    if w == '' then msg = gsub(msg, "^(bad argument #%d+ to )'[^']*'", "%1'?'") end
    error(w .. msg, 0)
  end
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
    badarg(1, fname, 'string expected, got ' .. got)
  end
  return s
end
local function mp_int(v, n, fname, default)
  if v == nil and default ~= nil then return default end
  local x = tonumber(v)
  if x == nil then
    local got = v == nil and 'no value' or type(v)
    badarg(n, fname, 'number expected, got ' .. got)
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

-- Globals are read-only for scripts and a missing one is an error, as
-- Redis 7.0's readonly tables make them. Redis marks tables read-only
-- inside its Lua VM; here the libraries are empty proxies over the real
-- tables, every metatable answers getmetatable with a read-only proxy of
-- itself, and setmetatable and rawset refuse the protected tables.
local function readonly() error('Attempt to modify a readonly table', 2) end
local protected = setmetatable({}, {__mode = 'k'})
local real_setmetatable, real_rawset = setmetatable, rawset
local function protect_mt(mt)
  mt.__metatable = real_setmetatable({}, {__index = mt, __newindex = readonly})
  protected[mt.__metatable] = true
  protected[mt] = true
  return mt
end
local function proxy(t)
  local p = real_setmetatable({}, protect_mt({__index = t, __newindex = readonly}))
  protected[p] = true
  protected[t] = true
  return p
end
cjson.encode_keep_buffer = c_wrap(function(...)
  cfg_args('encode_keep_buffer', 1, ...)
  local v = cfg_bool((...), 1, 'encode_keep_buffer', nil)
  if v ~= nil then keep_buffer = v ~= 0 end
  return keep_buffer
end)
for _, name in ipairs({'redis', 'string', 'table', 'math', 'coroutine', 'bit', 'cjson', 'struct', 'cmsgpack'}) do
  G[name] = proxy(G[name])
end
-- (Assigned through G: `setmetatable` and `rawset` are locals here.)
G.setmetatable = c_wrap(function(t, mt)
  if protected[t] then error('Attempt to modify a readonly table', 0) end
  return real_setmetatable(t, mt)
end)
G.rawset = c_wrap(function(t, k, v)
  if protected[t] then error('Attempt to modify a readonly table', 0) end
  return real_rawset(t, k, v)
end)
-- Redis's Lua refuses precompiled chunks.
local real_loadstring = loadstring
G.loadstring = function(s, ...)
  if type(s) == 'string' and s:byte(1) == 27 then
    return nil, 'binary chunks are not allowed'
  end
  return real_loadstring(s, ...)
end
-- Scripts see the globals through an environment whose misses go to the
-- real table (a plain table lookup, fast) and only then to the error.
local env_mt = protect_mt({__index = G, __newindex = readonly})
local env = real_setmetatable({}, env_mt)
protected[env] = true
real_setmetatable(G, protect_mt({
  __newindex = readonly,
  __index = function(_, k)
    error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
  end,
}))
protected[G] = true

-- Every 100,000 instructions (Redis's luaMaskCountHook): let the server
-- serve others past busy-reply-threshold; once SCRIPT KILL asked, raise
-- Redis's error on every line of the script so a pcall cannot keep it
-- alive (lines of this prelude, run between the script's, are spared).
local interrupt, sethook = bridge.interrupt, dbg.sethook
local ldb_begin, ldb_end
local function killed_hook()
  local i = dbg.getinfo(2, 'S')
  if i and i.source ~= '=redis' then
    error({err = 'ERR Script killed by user with SCRIPT KILL...'}, 0)
  end
end
local function count_hook()
  if interrupt() then
    sethook(killed_hook, 'l')
    local i = dbg.getinfo(2, 'S')
    if i and i.source ~= '=redis' then
      error({err = 'ERR Script killed by user with SCRIPT KILL...'}, 0)
    end
  end
end

-- The Lua debugger (Redis's LDB, eval.c; scripting/ldb.lua) is compiled
-- on a debugging session's first EVAL, not with every Lua state: its code
-- would weigh on used_memory_lua for every server.
local ldb_module
local function ldb_load()
  if not ldb_module then
    local chunk = assert(real_loadstring(bridge.ldb_source(), '=redis'))
    ldb_module = chunk(bridge, dbg, sethook, count_hook, G, lua_pcall, unpack)
  end
  return ldb_module
end
ldb_begin = function(src)
  ldb = ldb_load()
  ldb.begin(src)
end
ldb_end = function()
  ldb.finish()
  ldb = nil
end

-- The functions engine (a Lua state of its own, as Redis's function_lua.c
-- keeps): a library's code runs once at FUNCTION LOAD with nothing but
-- the load API in sight, and registers its functions; they run later with
-- the whole API, through the same environment table.
local loader
if FUNCTIONS then
  local registered
  local function missing(_, k)
    error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
  end
  local protect = {__index = missing, __newindex = readonly}
  local flag_names = {['no-writes'] = true, ['allow-oom'] = true, ['allow-stale'] = true,
                      ['no-cluster'] = true, ['allow-cross-slot-keys'] = true}
  local lower, find, next = string.lower, string.find, next
  local function is_string(v) return type(v) == 'string' or type(v) == 'number' end
  local function read_flags(t)
    local flags, j = {}, 1
    while true do
      local f = t[j]
      if f == nil then return flags end
      if not is_string(f) or not flag_names[lower(f)] then raise('unknown flag given') end
      flags[#flags + 1] = lower(f)
      j = j + 1
    end
  end
  local function register(...)
    if not registered then
      raise('redis.register_function can only be called on FUNCTION LOAD command')
    end
    local n = select('#', ...)
    if n < 1 or n > 2 then raise('wrong number of arguments to redis.register_function') end
    local name, callback, flags, desc
    if n == 1 then
      local t = ...
      if type(t) ~= 'table' then
        raise('calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).')
      end
      for k, v in next, t do
        if not is_string(k) then raise('named argument key given to redis.register_function is not a string') end
        k = lower(k)
        if k == 'function_name' then
          if not is_string(v) then raise('function_name argument given to redis.register_function must be a string') end
          name = tostring(v)
        elseif k == 'description' then
          if not is_string(v) then raise('description argument given to redis.register_function must be a string') end
          desc = tostring(v)
        elseif k == 'callback' then
          if type(v) ~= 'function' then raise('callback argument given to redis.register_function must be a function') end
          callback = v
        elseif k == 'flags' then
          if type(v) ~= 'table' then raise('flags argument to redis.register_function must be a table representing function flags') end
          flags = read_flags(v)
        else
          raise('unknown argument given to redis.register_function')
        end
      end
      if not name then raise('redis.register_function must get a function name argument') end
      if not callback then raise('redis.register_function must get a callback argument') end
    else
      name, callback = ...
      if not is_string(name) then raise('first argument to redis.register_function must be a string') end
      name = tostring(name)
      if type(callback) ~= 'function' then raise('second argument to redis.register_function must be a function') end
    end
    if not find(name, '^[%w_]+$') then
      raise('Library names can only contain letters, numbers, or underscores(_) and must be at least one character long')
    end
    if registered[name] then raise('Function already exists in the library') end
    registered[name] = true
    registered[#registered + 1] = {name, callback, flags or {}, desc}
  end
  local lib_redis = setmetatable({
    register_function = c_wrap(register),
    log = redis.log,
    LOG_DEBUG = redis.LOG_DEBUG, LOG_VERBOSE = redis.LOG_VERBOSE,
    LOG_NOTICE = redis.LOG_NOTICE, LOG_WARNING = redis.LOG_WARNING,
    REDIS_VERSION = redis.REDIS_VERSION, REDIS_VERSION_NUM = redis.REDIS_VERSION_NUM,
  }, protect)
  local lib_api = setmetatable({redis = lib_redis}, protect)
  -- FUNCTION LOAD's time limit (Redis's luaEngineLoadHook); none when
  -- limit is 0 (loading from the AOF or an RDB).
  local load_deadline
  local function load_hook()
    if bridge.now_ms() > load_deadline then
      sethook(load_hook, 'l')
      -- Only in the library's code: the loader's own lines must run.
      local i = dbg.getinfo(2, 'S')
      if i and i.source ~= '=redis' then
        error({err = 'ERR FUNCTION LOAD timeout'}, 0)
      end
    end
  end
  -- Run a library's compiled code: true and its functions as {name,
  -- callback, flags, description}, or false and the error.
  loader = function(chunk, limit_ms)
    set_env(chunk, env)
    registered = {}
    env_mt.__index = lib_api
    if limit_ms > 0 then
      load_deadline = bridge.now_ms() + limit_ms
      sethook(load_hook, '', 100000)
    else
      sethook()
    end
    local ok, err = lua_pcall(chunk)
    sethook(count_hook, '', 100000)
    env_mt.__index = G
    local r = registered
    registered = nil
    if not ok then return false, err end
    local list = {}
    for i = 1, #r do list[i] = r[i] end
    return true, list
  end
end

-- What scripting/mod.rs calls: run a script function under the handler
-- (a function gets KEYS and ARGV as its two arguments).
-- The scripts' hook, set once here and again after a SCRIPT KILL or a
-- library load changed it (scripting/mod.rs calls `arm`).
local function arm() sethook(count_hook, '', 100000) end

-- What scripting/mod.rs gets: the environment scripts run in, the error
-- handler it runs them under (lua_pcall from Rust, as Redis's
-- luaCallFunction: no Lua frame of ours in between), `arm`, and the
-- functions engine's library loader.
return env, handler, arm, loader, ldb_begin, ldb_end
