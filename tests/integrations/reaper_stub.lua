-- A stub of REAPER's `reaper` table for running integrations/reaper/sfxgen_generate.lua under lua5.4.
-- Everything comes from environment variables (set by tests/integrations/test_reaper_script.py):
--   SFXGEN_SCRIPT    the ReaScript to run
--   SFXGEN_RESOURCE  what reaper.GetResourcePath() returns
--   SFXGEN_INPUT     what the GetUserInputs dialog returns ("" = the user pressed Cancel)
--   SFXGEN_CFG_*     SFXGEN_CONFIG overrides (send_cmd, port, out_dir, timeout_s, accept_timeout_s)
--   SFXGEN_PROJECT_SRATE / SFXGEN_DEVICE_SRATE  the project's pinned sample rate (unset: follows the
--                    device) and the audio device's (default 48000)
-- ExecProcess really runs the command (io.popen); defer callbacks run in a bounded loop with a
-- simulated clock that advances 0.05 s per round (plus a real 0.05 s sleep so the bridge can work).
-- Output lines: DIALOG, EXEC, INSERT <mode> <path>, MSG <text>, UNDO <name>, END <rounds> <left>.

local function out(...) print(table.concat({ ... }, "\t")) end
local clock, queue = 1000.0, {}

reaper = {
  GetUserInputs = function(title, n, captions, default)
    out("DIALOG", title, n, (captions:gsub("\n", "\\n")))
    local v = os.getenv("SFXGEN_INPUT") or ""
    if v == "" then return false, "" end
    return true, v
  end,
  GetResourcePath = function() return os.getenv("SFXGEN_RESOURCE") end,
  RecursiveCreateDirectory = function(path) os.execute('mkdir -p "' .. path .. '"'); return 1 end,
  ExecProcess = function(cmd, timeout)
    out("EXEC", cmd, timeout)
    local f = io.popen(cmd .. " 2>&1")
    if not f then return nil end
    local output = f:read("a")
    local _, _, code = f:close()
    return tostring(code) .. "\n" .. output
  end,
  time_precise = function() return clock end,
  defer = function(fn) queue[#queue + 1] = fn end,
  InsertMedia = function(path, mode) out("INSERT", mode, path); return 1 end,
  ShowMessageBox = function(msg, title, kind) out("MSG", (msg:gsub("\n", " | "))); return 1 end,
  Undo_BeginBlock = function() end,
  Undo_EndBlock = function(name, flags) out("UNDO", name) end,
  UpdateArrange = function() end,
  GetExtState = function(section, key) return "" end,
  GetSetProjectInfo = function(proj, key, value, set) -- SFXGEN_PROJECT_SRATE set: the project pins that rate
    local rate = tonumber(os.getenv("SFXGEN_PROJECT_SRATE") or "")
    if key == "PROJECT_SRATE_USE" then return rate and 1 or 0 end
    if key == "PROJECT_SRATE" then return rate or 44100 end
    return 0
  end,
  GetAudioDeviceInfo = function(attr) return true, os.getenv("SFXGEN_DEVICE_SRATE") or "48000" end,
}

SFXGEN_CONFIG = {}
for _, key in ipairs({ "send_cmd", "host", "out_dir" }) do
  SFXGEN_CONFIG[key] = os.getenv("SFXGEN_CFG_" .. key:upper())
end
for _, key in ipairs({ "port", "timeout_s", "accept_timeout_s" }) do
  SFXGEN_CONFIG[key] = tonumber(os.getenv("SFXGEN_CFG_" .. key:upper()) or "")
end

dofile(os.getenv("SFXGEN_SCRIPT"))

local rounds, max_rounds = 0, 400 -- at most ~20 s of real time
while #queue > 0 and rounds < max_rounds do
  local due = queue
  queue = {}
  for _, fn in ipairs(due) do fn() end
  clock = clock + 0.05
  os.execute("sleep 0.05")
  rounds = rounds + 1
end
out("END", rounds, #queue)
