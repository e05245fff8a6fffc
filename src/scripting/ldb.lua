-- The Lua debugger (Redis's LDB, eval.c): SCRIPT DEBUG YES|SYNC, then an
-- EVAL stops at lines for the client (scripting/ldb.rs reads its commands
-- and writes the log). Compiled by prelude.lua on a session's first EVAL,
-- as chunk "=redis" (the API's own code, which the hook skips), with the
-- prelude's private helpers as arguments; returns the module's functions.
-- The hook runs on every line of the script and every 100,000
-- instructions (the timeout check). The REPL's commands look at the
-- script's frame, which is 4 levels up from them: command, REPL, hook,
-- script (none of these calls is a tail call, which would shift levels).
local bridge, dbg, sethook, count_hook, G, lua_pcall, unpack = ...
-- The session's state (nil outside one).
local ldb
local ldb_repr, ldb_src_line, ldb_list
do
  local format, find, lower, concat = string.format, string.find, string.lower, table.concat
  local loadstring, next, tostring, abs = loadstring, next, tostring, math.abs
  local redis_call = bridge.call
  local SCRIPT_LEVEL = 4
  local function log(s) bridge.ldb_log(s) end

  -- ldbCatStackValueRec.
  ldb_repr = function(v, level)
    if level == 10 then return '<max recursion level reached! Nested table?>' end
    level = level + 1
    local t = type(v)
    if t == 'string' then return bridge.ldb_repr(v) end
    if t == 'boolean' then return v and 'true' or 'false' end
    if t == 'number' then return format('%g', v) end
    if t == 'nil' then return 'nil' end
    if t == 'table' then
      local expected, is_array, r1, r2 = 1, true, {}, {}
      for k, val in next, v do
        if is_array and (type(k) ~= 'number' or k ~= expected) then is_array = false end
        local sv = ldb_repr(val, level)
        r1[#r1 + 1] = sv
        r2[#r2 + 1] = '[' .. ldb_repr(k, level) .. ']=' .. sv
        expected = expected + 1
      end
      return '{' .. concat(is_array and r1 or r2, '; ') .. '}'
    end
    local addr = tostring(v):match(': (.*)$') or '?'
    if t == 'function' or t == 'userdata' or t == 'thread' then
      return '"' .. t .. '@' .. addr .. '"'
    end
    return '"<unknown-lua-type>"'
  end

  ldb_src_line = function(n)
    local line = (n >= 1 and n <= #ldb.src) and ldb.src[n] or '<out of range source code line>'
    local bp, cur = ldb.isbp[n], ldb.current == n
    local prefix = (cur and bp) and '->#' or cur and '-> ' or bp and '  #' or '   '
    log(format('%s%-3d ', prefix, n) .. line)
  end

  ldb_list = function(around, ctx)
    for j = 1, #ldb.src do
      if around == 0 or abs(around - j) <= ctx then ldb_src_line(j) end
    end
  end

  -- C's atoi, and Redis's strict string2l.
  local function atoi(s)
    return tonumber(s:match('^%s*([-+]?%d+)') or '0') or 0
  end
  local function string2l(s)
    if s == '0' or s:match('^%-?[1-9]%d*$') then return tonumber(s) end
  end

  local function print_var(name)
    local l = SCRIPT_LEVEL
    while dbg.getinfo(l, 'S') do
      local i = 1
      while true do
        local n, v = dbg.getlocal(l, i)
        if not n then break end
        if n == name then
          bridge.ldb_log_max('<value> ' .. ldb_repr(v, 0))
          return
        end
        i = i + 1
      end
      l = l + 1
    end
    if name == 'ARGV' or name == 'KEYS' then
      bridge.ldb_log_max('<value> ' .. ldb_repr(rawget(G, name), 0))
    else
      log('No such variable.')
    end
  end

  local function print_all()
    local vars, i = 0, 1
    if dbg.getinfo(SCRIPT_LEVEL, 'S') then
      while true do
        local n, v = dbg.getlocal(SCRIPT_LEVEL, i)
        if not n then break end
        if not find(n, '(*temporary)', 1, true) then
          bridge.ldb_log_max('<value> ' .. n .. ' = ' .. ldb_repr(v, 0))
          vars = vars + 1
        end
        i = i + 1
      end
    end
    if vars == 0 then log('No local variables in the current context.') end
  end

  local function add_bp(line)
    if line <= 0 or line > #ldb.src then return false end
    if not ldb.isbp[line] and #ldb.bp ~= 64 then
      ldb.bp[#ldb.bp + 1] = line
      ldb.isbp[line] = true
      return true
    end
    return false
  end

  local function del_bp(line)
    for j = 1, #ldb.bp do
      if ldb.bp[j] == line then
        table.remove(ldb.bp, j)
        ldb.isbp[line] = nil
        return true
      end
    end
    return false
  end

  local function break_cmd(argv)
    if #argv == 1 then
      if #ldb.bp == 0 then
        log("No breakpoints set. Use 'b <line>' to add one.")
        return
      end
      log(#ldb.bp .. ' breakpoints set:')
      for j = 1, #ldb.bp do ldb_src_line(ldb.bp[j]) end
      return
    end
    for j = 2, #argv do
      local line = string2l(argv[j])
      if not line then
        log("Invalid argument:'" .. argv[j] .. "'")
      elseif line == 0 then
        ldb.bp, ldb.isbp = {}, {}
        log('All breakpoints removed.')
      elseif line > 0 then
        if #ldb.bp == 64 then
          log('Too many breakpoints set.')
        elseif add_bp(line) then
          ldb_list(line, 1)
        else
          log('Wrong line number.')
        end
      elseif del_bp(-line) then
        log('Breakpoint removed.')
      else
        log('No breakpoint in the specified line.')
      end
    end
  end

  local function eval_cmd(argv)
    local code = concat(argv, ' ', 2)
    local f = loadstring('return ' .. code, '@ldb_eval')
    if not f then
      local err
      f, err = loadstring(code, '@ldb_eval')
      if not f then
        log('<error> ' .. tostring(err))
        return
      end
    end
    local ok, res = lua_pcall(f)
    if not ok then
      log('<error> ' .. tostring(res))
      return
    end
    bridge.ldb_log_max('<retval> ' .. ldb_repr(res, 0))
  end

  local function redis_cmd(argv)
    bridge.ldb_step(true) -- redis.call logs the command and its reply
    lua_pcall(redis_call, unpack(argv, 2, #argv))
    bridge.ldb_step(false)
  end

  local function trace()
    local level = 0
    while true do
      local i = dbg.getinfo(SCRIPT_LEVEL + level, 'Snl')
      if not i then break end
      if find(i.short_src, 'user_script', 1, true) then
        log(format('%s %s:', level == 0 and 'In' or 'From', i.name or 'top level'))
        ldb_src_line(i.currentline)
      end
      level = level + 1
    end
    if level == 0 then log("<error> Can't retrieve Lua stack.") end
  end

  local help = {
    'Redis Lua debugger help:',
    '[h]elp               Show this help.',
    '[s]tep               Run current line and stop again.',
    '[n]ext               Alias for step.',
    '[c]ontinue           Run till next breakpoint.',
    '[l]ist               List source code around current line.',
    '[l]ist [line]        List source code around [line].',
    '                     line = 0 means: current position.',
    '[l]ist [line] [ctx]  In this form [ctx] specifies how many lines',
    '                     to show before/after [line].',
    "[w]hole              List all source code. Alias for 'list 1 1000000'.",
    '[p]rint              Show all the local variables.',
    '[p]rint <var>        Show the value of the specified variable.',
    '                     Can also show global vars KEYS and ARGV.',
    '[b]reak              Show all breakpoints.',
    '[b]reak <line>       Add a breakpoint to the specified line.',
    '[b]reak -<line>      Remove breakpoint from the specified line.',
    '[b]reak 0            Remove all breakpoints.',
    '[t]race              Show a backtrace.',
    '[e]val <code>        Execute some Lua code (in a different callframe).',
    '[r]edis <cmd>        Execute a Redis command.',
    '[m]axlen [len]       Trim logged Redis replies and Lua var dumps to len.',
    '                     Specifying zero as <len> means unlimited.',
    '[a]bort              Stop the execution of the script. In sync',
    '                     mode dataset changes will be retained.',
    '',
    'Debugger functions you can call from Lua scripts:',
    'redis.debug()        Produce logs in the debugger console.',
    'redis.breakpoint()   Stop execution like if there was a breakpoint in the',
    '                     next line of code.',
  }

  -- ldbRepl: true to go on with the script, false when the client left.
  local function repl()
    while true do
      local argv, err = bridge.ldb_read()
      if not argv then
        if err then error({err = 'ERR ' .. err}, 0) end
        ldb.bp, ldb.isbp = {}, {}
        return false
      end
      local cmd, argc = lower(argv[1]), #argv
      if cmd == 'h' or cmd == 'help' then
        for j = 1, #help do log(help[j]) end
      elseif cmd == 's' or cmd == 'step' or cmd == 'n' or cmd == 'next' then
        bridge.ldb_step(true)
        return true
      elseif cmd == 'c' or cmd == 'continue' then
        return true
      elseif cmd == 't' or cmd == 'trace' then
        trace()
      elseif cmd == 'm' or cmd == 'maxlen' then
        bridge.ldb_maxlen(argc == 2 and argv[2] or nil)
      elseif cmd == 'b' or cmd == 'break' then
        break_cmd(argv)
      elseif cmd == 'e' or cmd == 'eval' then
        eval_cmd(argv)
      elseif cmd == 'a' or cmd == 'abort' then
        error({err = 'ERR script aborted for user request'}, 0)
      elseif argc > 1 and (cmd == 'r' or cmd == 'redis') then
        redis_cmd(argv)
      elseif cmd == 'p' or cmd == 'print' then
        if argc == 2 then print_var(argv[2]) else print_all() end
      elseif cmd == 'l' or cmd == 'list' then
        local around, ctx = ldb.current, 5
        if argc > 1 then
          local num = atoi(argv[2])
          if num > 0 then around = num end
        end
        if argc > 2 then ctx = atoi(argv[3]) end
        ldb_list(around, ctx)
      elseif cmd == 'w' or cmd == 'whole' then
        ldb_list(1, 1000000)
      else
        log('<error> Unknown Redis Lua debugger command or wrong number of arguments.')
      end
      bridge.ldb_send()
    end
  end

  -- luaLdbLineHook.
  local function hook(event)
    local i = dbg.getinfo(2, 'Sl')
    -- Only the script's lines: the API's own Lua (chunk "=redis") is C
    -- in Redis, which no line hook sees.
    if not i or not ldb or not find(i.short_src, 'user_script', 1, true) then return end
    ldb.current = i.currentline
    local bp = ldb.isbp[i.currentline] or ldb.luabp
    local timeout = false
    if event == 'count' and not bridge.ldb_step() and not bp then
      if not bridge.ldb_timed_out() then return end
      timeout = true
      bridge.ldb_step(true)
    end
    if bridge.ldb_step() or bp then
      local reason = 'step over'
      if bp then
        reason = ldb.luabp and 'redis.breakpoint() called' or 'break point'
      elseif timeout then
        reason = 'timeout reached, infinite loop?'
      end
      bridge.ldb_step(false)
      ldb.luabp = false
      log(format('* Stopped at %d, stop reason = %s', ldb.current, reason))
      ldb_src_line(ldb.current)
      bridge.ldb_send()
      local going_on = repl()
      if not going_on and timeout then
        error({err = 'ERR timeout during Lua debugging with client closing connection'}, 0)
      end
      bridge.ldb_reset_clock()
    end
  end

  -- What prelude.lua calls: around a debugged run, and for
  -- redis.breakpoint() and redis.debug().
  return {
    begin = function(src)
      ldb = {src = src, bp = {}, isbp = {}, luabp = false, current = 0}
      sethook(hook, 'l', 100000)
    end,
    finish = function()
      sethook(count_hook, '', 100000)
      ldb = nil
    end,
    breakpoint = function()
      if not ldb then return false end
      ldb.luabp = true
      return true
    end,
    debug = function(...)
      if not ldb then return end
      local parts = {}
      for i = 1, select('#', ...) do parts[i] = ldb_repr((select(i, ...)), 0) end
      bridge.ldb_log('<debug> line ' .. ldb.current .. ': ' .. concat(parts, ', '))
    end,
  }
end
