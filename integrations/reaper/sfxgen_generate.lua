-- @description sfxgen: generate a sound from a text prompt and insert it at the edit cursor
-- @about
--   Asks for a prompt, sends /sfxgen/generate to a running `sfxgen osc` bridge, waits for the
--   finished WAV without freezing REAPER, and inserts it with reaper.InsertMedia at the edit cursor.
--
--   REAPER's Lua has no UDP sockets, and REAPER's own OSC cannot hand a string to a script, so:
--     1. the request is written to a small JSON file (no shell quoting of the prompt, any Unicode);
--     2. `python -m sfxgen.osc.send --wait accepted --json FILE` sends it over OSC and returns as
--        soon as the bridge has accepted it (reaper.ExecProcess, a few hundred milliseconds);
--     3. the bridge writes <out>/replies/<req_id>.json atomically (tmp + rename) when the sound is
--        done, and this script polls that file from reaper.defer, so REAPER stays responsive.
--   See integrations/reaper/README.md.

local M = {}

-- Settings. Change them here, or per machine with
--   reaper.SetExtState("sfxgen", "<key>", "<value>", true)   (e.g. from the ReaScript console).
M.config = {
  send_cmd = "python3 -m sfxgen.osc.send", -- the bridge's Python, e.g. "/home/me/sfxgen/.venv/bin/python -m sfxgen.osc.send"
  host = "127.0.0.1",                      -- where `sfxgen osc` runs
  port = 9000,                             -- its --port
  out_dir = "",                            -- its --out (absolute); "" = learn it from the bridge's reply
  duration = 2.0,                          -- seconds, suggested in the dialog
  variations = 1,                          -- files to make; all are inserted one after the other
  loop_ms = 0,                             -- loop crossfade suggested in the dialog: 0 = one-shots, e.g. 500 = loops
  stereo = 0,                              -- suggested in the dialog: 1 = stereo takes (ambiences), 0 = mono
  timeout_s = 300,                         -- give up waiting for the sound after this long
  accept_timeout_s = 5,                    -- how long the sender waits for "accepted"
  insert_mode = 0,                         -- reaper.InsertMedia mode: 0 = current track at the edit cursor, 1 = new track
  poll_s = 0.1,                            -- reply-file polling interval
}

local function load_overrides()
  if reaper.GetExtState then
    for key, value in pairs(M.config) do
      local s = reaper.GetExtState("sfxgen", key)
      if s ~= nil and s ~= "" then
        M.config[key] = type(value) == "number" and (tonumber(s) or value) or s
      end
    end
  end
  if type(SFXGEN_CONFIG) == "table" then -- tests and wrappers may pre-set a global table
    for key, value in pairs(SFXGEN_CONFIG) do M.config[key] = value end
  end
end

---------------------------------------------------------------------------------------------------
-- JSON (just enough: we write one request object and read the bridge's reply object)

function M.json_string(s)
  local out = s:gsub('[%c"\\]', function(c)
    if c == '"' then return '\\"' elseif c == "\\" then return "\\\\"
    elseif c == "\n" then return "\\n" elseif c == "\t" then return "\\t" elseif c == "\r" then return "\\r" end
    return string.format("\\u%04x", c:byte())
  end)
  return '"' .. out .. '"'
end

function M.json_encode(v)
  local t = type(v)
  if t == "string" then return M.json_string(v)
  elseif t == "number" then
    if math.type(v) == "integer" then return string.format("%d", v) end
    return string.format("%.17g", v):find("[%.eEn]") and string.format("%.17g", v) or string.format("%.1f", v)
  elseif t == "boolean" then return tostring(v)
  elseif t == "table" then
    if #v > 0 or next(v) == nil then
      local parts = {}
      for i = 1, #v do parts[i] = M.json_encode(v[i]) end
      return "[" .. table.concat(parts, ",") .. "]"
    end
    local parts, keys = {}, {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys)
    for _, k in ipairs(keys) do parts[#parts + 1] = M.json_string(k) .. ":" .. M.json_encode(v[k]) end
    return "{" .. table.concat(parts, ",") .. "}"
  end
  error("cannot encode " .. t)
end

function M.json_decode(s)
  local pos = 1
  local function ws() pos = s:find("[^ \t\r\n]", pos) or (#s + 1) end
  local function fail(what) error(string.format("bad JSON at %d: %s", pos, what), 0) end
  local value
  local function str()
    pos = pos + 1 -- opening quote
    local buf = {}
    while true do
      local c = s:sub(pos, pos)
      if c == "" then fail("unterminated string") end
      if c == '"' then pos = pos + 1; return table.concat(buf) end
      if c == "\\" then
        local e = s:sub(pos + 1, pos + 1)
        local simple = ({ ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" })[e]
        if simple then buf[#buf + 1] = simple; pos = pos + 2
        elseif e == "u" then
          local cp = tonumber(s:sub(pos + 2, pos + 5), 16) or fail("bad \\u escape")
          pos = pos + 6
          if cp >= 0xD800 and cp <= 0xDBFF and s:sub(pos, pos + 1) == "\\u" then -- surrogate pair
            local lo = tonumber(s:sub(pos + 2, pos + 5), 16) or fail("bad \\u escape")
            cp = 0x10000 + (cp - 0xD800) * 0x400 + (lo - 0xDC00)
            pos = pos + 6
          end
          buf[#buf + 1] = utf8.char(cp)
        else fail("bad escape \\" .. e) end
      else
        local stop = s:find('["\\]', pos) or (#s + 1)
        buf[#buf + 1] = s:sub(pos, stop - 1)
        pos = stop
      end
    end
  end
  function value()
    ws()
    local c = s:sub(pos, pos)
    if c == "{" then
      pos = pos + 1
      local obj = {}
      ws()
      if s:sub(pos, pos) == "}" then pos = pos + 1; return obj end
      while true do
        ws()
        if s:sub(pos, pos) ~= '"' then fail("expected a key") end
        local k = str()
        ws()
        if s:sub(pos, pos) ~= ":" then fail("expected ':'") end
        pos = pos + 1
        obj[k] = value()
        ws()
        local d = s:sub(pos, pos)
        pos = pos + 1
        if d == "}" then return obj end
        if d ~= "," then fail("expected ',' or '}'") end
      end
    elseif c == "[" then
      pos = pos + 1
      local arr = {}
      ws()
      if s:sub(pos, pos) == "]" then pos = pos + 1; return arr end
      while true do
        arr[#arr + 1] = value()
        ws()
        local d = s:sub(pos, pos)
        pos = pos + 1
        if d == "]" then return arr end
        if d ~= "," then fail("expected ',' or ']'") end
      end
    elseif c == '"' then return str()
    elseif s:sub(pos, pos + 3) == "true" then pos = pos + 4; return true
    elseif s:sub(pos, pos + 4) == "false" then pos = pos + 5; return false
    elseif s:sub(pos, pos + 3) == "null" then pos = pos + 4; return nil
    else
      local num = s:match("^-?%d+%.?%d*[eE]?[-+]?%d*", pos)
      if not num or num == "" then fail("unexpected " .. (c == "" and "end" or c)) end
      pos = pos + #num
      return tonumber(num)
    end
  end
  local ok, result = pcall(value)
  if not ok then return nil, result end
  return result
end

---------------------------------------------------------------------------------------------------
-- Files and the sender process

local SEP = package.config:sub(1, 1) -- "\\" on Windows, "/" elsewhere

function M.join(...) return table.concat({ ... }, SEP) end

function M.read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local data = f:read("a")
  f:close()
  return data
end

function M.write_file(path, data)
  local f, err = io.open(path, "wb")
  if not f then return nil, err end
  f:write(data)
  f:close()
  return true
end

function M.new_req_id()
  return string.format("reaper-%d-%06d", os.time(), math.random(0, 999999))
end

-- reaper.ExecProcess returns "<exit code>\n<output>" (nil when the process could not start).
function M.parse_exec(ret)
  if ret == nil then return nil, {} end
  local code, rest = ret:match("^(%-?%d+)\r?\n?(.*)$")
  local lines = {}
  for line in (rest or ret):gmatch("[^\r\n]+") do lines[#lines + 1] = line end
  return tonumber(code), lines
end

function M.build_command(cfg, request_file)
  if request_file:find('"', 1, true) then return nil, "the request file path contains a double quote" end
  return string.format('%s --host %s --port %d --wait accepted --timeout %g --json "%s"',
    cfg.send_cmd, cfg.host, math.tointeger(cfg.port) or 9000, cfg.accept_timeout_s, request_file)
end

-- The sample rate to ask for: the project's (or, when it follows the device, the device's), 44.1 kHz for
-- that family (44.1, 88.2, 176.4 kHz), else 48 kHz; REAPER resamples anything else on playback.
function M.project_rate()
  local rate = 0
  if reaper.GetSetProjectInfo and reaper.GetSetProjectInfo(0, "PROJECT_SRATE_USE", 0, false) ~= 0 then
    rate = reaper.GetSetProjectInfo(0, "PROJECT_SRATE", 0, false) or 0
  end
  if rate <= 0 and reaper.GetAudioDeviceInfo then
    local _, device_rate = reaper.GetAudioDeviceInfo("SRATE")
    rate = tonumber(device_rate) or 0
  end
  rate = math.floor(rate + 0.5)
  return (rate > 0 and rate % 44100 == 0) and 44100 or 48000
end

-- Send the request; returns the reply-file path to poll, or nil and a message for the user.
function M.send_request(cfg, req_id, prompt, duration, variations, work_dir, loop_ms, stereo)
  local request_file = M.join(work_dir, req_id .. ".request.json")
  local args = { req_id, prompt, duration + 0.0, math.tointeger(variations) or 1, -1, -1.0, "reply_file", 1,
    "sample_rate", M.project_rate() }
  if loop_ms and loop_ms > 0 then -- seamless loops: the tail crossfaded into the head over loop_ms
    args[#args + 1] = "loop"
    args[#args + 1] = loop_ms + 0.0
  end
  if stereo then -- two decorrelated draws of each take, left and right
    args[#args + 1] = "channels"
    args[#args + 1] = 2
  end
  local body = M.json_encode({ address = "/sfxgen/generate", args = args })
  local ok, err = M.write_file(request_file, body)
  if not ok then return nil, "could not write " .. request_file .. ": " .. tostring(err) end
  local cmd, cerr = M.build_command(cfg, request_file)
  if not cmd then return nil, cerr end
  local code, lines = M.parse_exec(reaper.ExecProcess(cmd, math.floor((cfg.accept_timeout_s + 10) * 1000)))
  os.remove(request_file)
  local first = lines[1] or ""
  local fallback = cfg.out_dir ~= "" and M.join(cfg.out_dir, "replies", req_id .. ".json") or nil
  if code == nil then
    return nil, "could not run the sender:\n" .. cmd .. "\nSet send_cmd to the bridge's Python (see README)."
  elseif code == 0 and first:match("^accepted") then
    local path = lines[2] or fallback
    if path then return path end
    return nil, "the bridge accepted the request but did not say where it replies; set out_dir"
  elseif code == 2 then
    return nil, "The sfxgen bridge is busy (queue full). Try again in a moment."
  elseif code == 1 then
    return nil, "sfxgen refused the request:\n" .. table.concat(lines, "\n", 2)
  elseif code == 3 and fallback then
    return fallback -- replies go to a --reply-port (e.g. for Max): the reply file still comes
  elseif code == 3 then
    return nil, string.format("No reply from the sfxgen bridge at %s:%s.\nIs `sfxgen osc --port %s` running?",
      cfg.host, cfg.port, cfg.port)
  end
  return nil, "the sender failed (exit " .. tostring(code) .. "):\n" .. table.concat(lines, "\n")
end

---------------------------------------------------------------------------------------------------
-- Poll the reply file from reaper.defer, then insert

function M.insert_files(cfg, files)
  local inserted = 0
  reaper.Undo_BeginBlock()
  for _, path in ipairs(files) do
    if M.read_file(path) == nil then
      reaper.ShowMessageBox("sfxgen: the bridge reported a file that does not exist:\n" .. path, "sfxgen", 0)
    else
      reaper.InsertMedia(path, cfg.insert_mode)
      inserted = inserted + 1
    end
  end
  reaper.Undo_EndBlock("sfxgen: insert generated sound", -1)
  reaper.UpdateArrange()
  return inserted
end

function M.poll(cfg, reply_file, deadline, on_finish)
  local next_check = 0
  local function step()
    local now = reaper.time_precise()
    if now >= next_check then
      next_check = now + cfg.poll_s
      local data = M.read_file(reply_file)
      local reply = data and M.json_decode(data)
      if reply and reply.status ~= "accepted" then
        os.remove(reply_file)
        if reply.status == "done" then
          M.insert_files(cfg, reply.files or {})
        elseif reply.status == "busy" then
          reaper.ShowMessageBox("The sfxgen bridge is busy (queue full). Try again in a moment.", "sfxgen", 0)
        else
          reaper.ShowMessageBox("sfxgen: " .. tostring(reply.message or reply.status), "sfxgen", 0)
        end
        if on_finish then on_finish(reply) end
        return
      end
      if now > deadline then
        reaper.ShowMessageBox(string.format("sfxgen: no sound after %g s; still waiting for\n%s",
          cfg.timeout_s, reply_file), "sfxgen", 0)
        if on_finish then on_finish(nil) end
        return
      end
    end
    reaper.defer(step)
  end
  step()
end

function M.main()
  load_overrides()
  local cfg = M.config
  local default = string.format("%s\n%g\n%d\n%g\n%d", "", cfg.duration, cfg.variations, cfg.loop_ms, cfg.stereo)
  local ok, csv = reaper.GetUserInputs("sfxgen: generate a sound", 5,
    "Prompt,Duration (s),Variations,Loop crossfade (ms; 0 = one-shot),Stereo (1 = yes),separator=\n,extrawidth=320",
    default)
  if not ok then return end
  local prompt, duration_s, variations_s, loop_s, stereo_s =
    csv:match("^([^\n]*)\n([^\n]*)\n([^\n]*)\n([^\n]*)\n([^\n]*)$")
  prompt = prompt and prompt:match("^%s*(.-)%s*$") or ""
  local duration, variations = tonumber(duration_s), math.tointeger(tonumber(variations_s))
  local loop_ms = tonumber(loop_s)
  if prompt == "" then reaper.ShowMessageBox("Type what the sound should be.", "sfxgen", 0); return end
  if not duration or duration < 0.25 or duration > 30 then
    reaper.ShowMessageBox("Duration must be a number of seconds from 0.25 to 30.", "sfxgen", 0); return
  end
  if not variations or variations < 1 or variations > 64 then
    reaper.ShowMessageBox("Variations must be a whole number from 1 to 64.", "sfxgen", 0); return
  end
  if not loop_ms or loop_ms < 0 or loop_ms > 1000 * duration then
    reaper.ShowMessageBox("Loop crossfade must be 0 (one-shot) or milliseconds up to the duration.", "sfxgen", 0)
    return
  end
  local stereo = tonumber(stereo_s)
  if stereo ~= 0 and stereo ~= 1 then
    reaper.ShowMessageBox("Stereo must be 1 (stereo takes, for ambiences) or 0 (mono).", "sfxgen", 0); return
  end
  local work_dir = M.join(reaper.GetResourcePath(), "Data", "sfxgen")
  reaper.RecursiveCreateDirectory(work_dir, 0)
  local req_id = M.new_req_id()
  local reply_file, err = M.send_request(cfg, req_id, prompt, duration, variations, work_dir, loop_ms, stereo == 1)
  if not reply_file then reaper.ShowMessageBox(err, "sfxgen", 0); return end
  M.poll(cfg, reply_file, reaper.time_precise() + cfg.timeout_s)
end

if SFXGEN_TEST then return M end -- tests load the functions without running the dialog
math.randomseed(os.time())
M.main()
