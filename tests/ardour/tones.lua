ardour {
	["type"]    = "dsp",
	name        = "Loadline Test Tones",
	category    = "Utility",
	license     = "MIT",
	author      = "Loadline tests",
	description = [[Replaces its input with a fixed sum of sines (100 Hz, 1 kHz, 10 kHz), each at
-12 dBFS peak, identical on every channel. The phase is a pure function of the sample count
since activation, so the signal is exact (no parameter smoothing).]]
}

-- Frequencies and the peak amplitude of each tone; the checker (check.py) uses the same.
local FREQS = { 100, 1000, 10000 }
local AMP = 10 ^ (-12 / 20)
local rate = 48000
local count = 0

function dsp_ioconfig ()
	return { { audio_in = 2, audio_out = 2 } }
end

function dsp_init (r)
	rate = r
	count = 0
end

function dsp_run (ins, outs, n_samples)
	local a = {}
	for s = 1, n_samples do
		local t = (count + s - 1) % rate -- integer frequencies: the tones repeat every second
		local v = 0
		for k = 1, #FREQS do v = v + AMP * math.sin (2 * math.pi * FREQS[k] * t / rate) end
		a[s] = v
	end
	-- Write through set_table, as Ardour's own singen.lua does: a script error in dsp_run is
	-- silent under ardour7-lua (the processor just outputs silence).
	for c = 1, #outs do
		outs[c]:set_table (a, n_samples)
	end
	count = (count + n_samples) % rate
end
