-- Drives headless Ardour 7 (ardour7-lua) for tests/ardour/run.sh.
--
--   ardour7-lua session.lua create SESSION_DIR NAME CAPTURE_DIR SECONDS name=value...
--     New session at 48 kHz on the Dummy backend, one stereo track whose processors are
--     "Loadline Test Tones" (a Lua DSP generator, see tones.lua) and "Loadline Test Probe" (a
--     Lua DSP recorder, see probe.lua); captures CAPTURE_DIR/reference.wav through the bare
--     track, then inserts the Loadline VST3 between them, sets each name=value (the parameter's
--     exact name in the host, the value in the host's units: ohms, dB, list index), captures
--     CAPTURE_DIR/loadline.wav, sets each !name=value (a value set and saved at once, with no
--     audio processed in between), saves and closes.
--   ardour7-lua session.lua reopen SESSION_DIR NAME CAPTURE_DIR SECONDS name...
--     Loads the saved session, reads the named parameters back, captures
--     CAPTURE_DIR/reopened.wav, closes without saving.
--
-- A capture is SECONDS of the probe's input, recorded while the engine runs in real time (the
-- Dummy backend's clock), as 32-bit float WAV.
--
-- Every result is a line "LL <key> <value>" on stdout, for check.py; any failure raises
-- a Lua error, which makes ardour7-lua exit non-zero.

local RATE = 48000
local PLUGIN = "Loadline"
local GENERATOR = "Loadline Test Tones"
local PROBE = "Loadline Test Probe"

local mode, dir, name, capture_dir, seconds = arg[1], arg[2], arg[3], arg[4], tonumber(arg[5])
assert(mode == "create" or mode == "reopen", "usage: create|reopen SESSION_DIR NAME CAPTURE_DIR SECONDS ...")
assert(dir and name and capture_dir and seconds, "missing arguments")

local function emit(key, value)
	print(string.format("LL %s %s", key, tostring(value)))
end

local function fail(msg)
	emit("error", msg)
	error(msg)
end

-- The plugin's input controls by name: name -> { n = control index for LuaAPI, port = port }.
local function controls(proc)
	local plug = proc:to_insert():plugin(0)
	local map = {}
	local n = 0
	for port = 0, plug:parameter_count() - 1 do
		if plug:parameter_is_control(port) then
			if plug:parameter_is_input(port) then
				map[plug:parameter_label(port)] = { n = n, port = port }
			end
			n = n + 1
		end
	end
	return map, plug
end

local function control(map, pname)
	local c = map[pname]
	if not c then fail("no parameter named '" .. pname .. "'") end
	return c
end

local function get_param(proc, map, pname)
	local v, ok = ARDOUR.LuaAPI.get_processor_param(proc, control(map, pname).n, true)
	-- addRefFunction returns the value, then a table of the reference arguments
	if type(ok) == "table" then ok = ok[3] end
	if not ok then fail("cannot read '" .. pname .. "'") end
	return v
end

local function describe(proc, map, plug, pname)
	local c = control(map, pname)
	local _, t = plug:get_parameter_descriptor(c.port, ARDOUR.ParameterDescriptor())
	local pd = t[2]
	emit("range " .. pname:gsub(" ", "_"), string.format("%g..%g normal=%g toggled=%s enum=%s integer=%s",
		pd.lower, pd.upper, pd.normal, tostring(pd.toggled), tostring(pd.enumeration), tostring(pd.integer_step)))
end

-- Writes channels (two arrays of n floats, indexed from 1) as a 32-bit float stereo WAV.
local function write_wav(path, left, right, n)
	local f = io.open(path, "wb")
	if not f then fail("cannot write " .. path) end
	local bytes = n * 8
	f:write("RIFF", string.pack("<I4", 36 + bytes), "WAVE")
	f:write("fmt ", string.pack("<I4I2I2I4I4I2I2", 16, 3, 2, RATE, RATE * 8, 8, 32))
	f:write("data", string.pack("<I4", bytes))
	local chunk = {}
	for i = 1, n do
		chunk[#chunk + 1] = string.pack("<ff", left[i], right[i])
		if #chunk == 4096 then f:write(table.concat(chunk)); chunk = {} end
	end
	f:write(table.concat(chunk))
	f:close()
end

-- Records SECONDS of what reaches the probe (see probe.lua for its shared memory) into
-- CAPTURE_DIR/FILE_NAME.wav.
local function capture(probe, file_name)
	local STATE, COUNT, CAPACITY, WANTED, HEADER, ARMED, DONE = 0, 1, 2, 3, 4, 1, 2
	local shm = probe:to_insert():plugin(0):to_luaproc():shmem()
	local frames, capacity = seconds * RATE, shm:atomic_get_int(CAPACITY)
	if frames > capacity then fail("the probe holds " .. capacity .. " frames, not " .. frames) end
	shm:atomic_set_int(WANTED, frames)
	shm:atomic_set_int(COUNT, 0)
	shm:atomic_set_int(STATE, ARMED)
	-- Real time on the Dummy backend: SECONDS, and twice that plus 10 s before giving up.
	local waited_ms = 0
	while shm:atomic_get_int(STATE) ~= DONE do
		if waited_ms > (2 * seconds + 10) * 1000 then
			fail(string.format("the probe recorded %d of %d frames for %s", shm:atomic_get_int(COUNT), frames, file_name))
		end
		ARDOUR.LuaAPI.usleep(10000)
		waited_ms = waited_ms + 10
	end
	local path = capture_dir .. "/" .. file_name .. ".wav"
	write_wav(path, shm:to_float(HEADER):array(), shm:to_float(HEADER + capacity):array(), frames)
	emit("captured", path)
end

local function find_plugin(route, wanted)
	for i = 0, 16 do
		local p = route:nth_plugin(i)
		if p:isnil() then break end
		if p:display_name() == wanted or p:to_insert():plugin(0):name() == wanted then
			return p, i
		end
	end
	return nil
end

local function order(route)
	local names = {}
	for i = 0, 16 do
		local p = route:nth_plugin(i)
		if p:isnil() then break end
		names[#names + 1] = p:display_name()
	end
	return table.concat(names, " > ")
end

local backend = AudioEngine:set_backend("None (Dummy)", "", "")
if not backend or AudioEngine:current_backend_name() ~= "Dummy" then fail("no Dummy backend") end

if mode == "create" then
	if not create_session(dir, name, RATE) then fail("create_session failed") end
	emit("rate", Session:nominal_sample_rate())

	local tracks = Session:new_audio_track(2, 2, nil, 1, "Signal",
		ARDOUR.PresentationInfo.max_order, ARDOUR.TrackMode.Normal, true)
	local track = tracks:front()
	if not track then fail("no track") end

	local gen = ARDOUR.LuaAPI.new_luaproc(Session, GENERATOR)
	if gen:isnil() then fail("no Lua DSP '" .. GENERATOR .. "' (HOME/.config/ardour7/scripts)") end
	track:add_processor_by_index(gen, 0, nil, true)
	local probe = ARDOUR.LuaAPI.new_luaproc(Session, PROBE)
	if probe:isnil() then fail("no Lua DSP '" .. PROBE .. "' (HOME/.config/ardour7/scripts)") end
	track:add_processor_by_index(probe, 1, nil, true)
	capture(probe, "reference")

	local found = false
	for p in ARDOUR.LuaAPI.list_plugins():iter() do
		if p.type == ARDOUR.PluginType.VST3 then
			emit("vst3", p.name .. " | " .. p.unique_id .. " | " .. p.path)
			if p.name == PLUGIN then found = true end
		end
	end
	if not found then fail("Ardour lists no VST3 named " .. PLUGIN .. " (scan cache?)") end

	local proc = ARDOUR.LuaAPI.new_plugin(Session, PLUGIN, ARDOUR.PluginType.VST3, "")
	if proc:isnil() then fail("cannot instantiate the VST3 " .. PLUGIN) end
	if track:add_processor_by_index(proc, 1, nil, true) ~= 0 then fail("cannot insert the plugin") end
	local o = order(track)
	emit("order", o)
	if not o:find(GENERATOR .. " > " .. PLUGIN .. " > " .. PROBE, 1, true) then
		fail("the plugin is not between the generator and the probe")
	end

	local map, plug = controls(proc)
	local count = 0
	for _ in pairs(map) do count = count + 1 end
	emit("parameters", count)
	local function set(assignment)
		local pname, value = assignment:match("^(.-)=(.*)$")
		value = tonumber(value)
		if not pname or not value then fail("bad assignment '" .. assignment .. "'") end
		describe(proc, map, plug, pname)
		if not ARDOUR.LuaAPI.set_processor_param(proc, control(map, pname).n, value) then
			fail("cannot set '" .. pname .. "' to " .. value .. " (out of range?)")
		end
		return pname
	end
	local late = {}
	for i = 6, #arg do
		if arg[i]:sub(1, 1) == "!" then
			late[#late + 1] = arg[i]:sub(2)
		else
			set(arg[i])
		end
	end
	-- Let a few engine cycles pass so the values reach the plugin and its controller.
	ARDOUR.LuaAPI.wait_for_process_callback(8, 2000)
	for i = 6, #arg do
		if arg[i]:sub(1, 1) ~= "!" then
			local pname = arg[i]:match("^(.-)=")
			emit("set " .. pname:gsub(" ", "_"), string.format("%.6f", get_param(proc, map, pname)))
		end
	end
	capture(probe, "loadline")
	-- The plugin reports its latency (Mode) through restartComponent; Ardour takes it up on a
	-- later cycle, so read it after the capture has run the engine.
	ARDOUR.LuaAPI.wait_for_process_callback(8, 2000)
	emit("latency", proc:to_insert():signal_latency())
	-- Set and saved at once: the plugin's saved state must have these values although it has
	-- processed no audio since (on reopening, the plugin's state is what Ardour restores).
	for _, assignment in ipairs(late) do
		local pname = set(assignment)
		emit("set " .. pname:gsub(" ", "_"), string.format("%.6f", get_param(proc, map, pname)))
	end
	if Session:save_state("", false, false, false, false, false) ~= 0 then fail("save_state failed") end
	emit("saved", dir .. "/" .. name .. ".ardour")
	close_session()
	emit("closed", "ok")
else
	if not load_session(dir, name) then fail("load_session failed") end
	local track = Session:route_by_name("Signal")
	if track:isnil() then fail("track 'Signal' missing after reopen") end
	local proc = find_plugin(track, PLUGIN)
	if not proc then fail("the Loadline VST3 is missing after reopen (order: " .. order(track) .. ")") end
	local probe = find_plugin(track, PROBE)
	if not probe then fail("the probe is missing after reopen (order: " .. order(track) .. ")") end
	emit("order", order(track))
	local map = controls(proc)
	ARDOUR.LuaAPI.wait_for_process_callback(8, 2000)
	for i = 6, #arg do
		local pname = arg[i]:match("^([^=]*)")
		emit("reopened " .. pname:gsub(" ", "_"), string.format("%.6f", get_param(proc, map, pname)))
	end
	emit("latency", proc:to_insert():signal_latency())
	capture(probe, "reopened")
	close_session()
	emit("closed", "ok")
end
quit()
