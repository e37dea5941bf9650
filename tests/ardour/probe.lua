ardour {
	["type"]    = "dsp",
	name        = "Loadline Test Probe",
	category    = "Utility",
	license     = "MIT",
	author      = "Loadline tests",
	description = [[Passes its two channels through unchanged. When the driver (session.lua) arms
it, it records the next frames it asks for (up to 10 s) of both channels into its shared
memory, where the driver reads them and writes a WAV file. The tests capture this way rather
than with Ardour's export: in Ardour 7.3 the export's freewheeling corrupts the heap in about
one run in four, even in a session with no plugin at all.]]
}

-- Shared memory: four ints, then CAPACITY floats per channel. The probe sets CAPACITY; the
-- driver sets WANTED (at most CAPACITY), COUNT to 0 and then STATE to ARMED; the probe counts
-- the frames it records in COUNT and sets STATE to DONE when it has WANTED of them.
local STATE, COUNT, CAPACITY, WANTED, HEADER = 0, 1, 2, 3, 4
local ARMED, DONE = 1, 2
local CHANNELS = 2
local capacity = 0

function dsp_ioconfig ()
	return { { audio_in = CHANNELS, audio_out = CHANNELS } }
end

function dsp_init (rate)
	capacity = 10 * rate
	local shm = self:shmem ()
	shm:allocate (HEADER + CHANNELS * capacity)
	shm:clear ()
	shm:atomic_set_int (CAPACITY, capacity)
end

function dsp_run (ins, outs, n_samples)
	for c = 1, #outs do
		if ins[c] ~= outs[c] then ARDOUR.DSP.copy_vector (outs[c], ins[c], n_samples) end
	end
	local shm = self:shmem ()
	if shm:atomic_get_int (STATE) ~= ARMED then return end
	local done, wanted = shm:atomic_get_int (COUNT), shm:atomic_get_int (WANTED)
	local n = math.min (n_samples, wanted - done)
	for c = 1, CHANNELS do
		ARDOUR.DSP.copy_vector (shm:to_float (HEADER + (c - 1) * capacity + done), outs[c], n)
	end
	shm:atomic_set_int (COUNT, done + n)
	if done + n == wanted then shm:atomic_set_int (STATE, DONE) end
end
