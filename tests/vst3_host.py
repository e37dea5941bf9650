"""Loads the bundled Loadline.vst3 in a real VST3 host (pedalboard) and checks it.

The expected responses come from this crate's own physics through
`target/debug/examples/expected_response` (the dev profile, optimised), so Python holds
no second model.
Run by scripts/test.sh inside the project's venv (target/venv).
"""

import json
import os
import pathlib
import subprocess
import wave

import numpy as np
import pedalboard
import pytest
from pedalboard.io import AudioFile

ROOT = pathlib.Path(__file__).resolve().parent.parent
BUNDLE = ROOT / "target" / "bundled" / "Loadline.vst3"
EXPECTED = ROOT / "target" / "debug" / "examples" / "expected_response"
# The test kit's loopback recordings of a simulated interface, and the command line.
LOOPBACK = ROOT / "target" / "debug" / "examples" / "loopback"
LOADLINE = ROOT / "target" / "debug" / "loadline"
# The catalog's first five headphones (catalog/headphones.toml), which the tests use by index.
HEADPHONES = [
    "Sennheiser HD 600",
    "Audio-Technica ATH-M50x",
    "HiFiMAN Sundara",
    "Shure SE310",
    "Campfire Audio Andromeda",
]
EXACT = "Exact (12 samples; 8 above 60 kHz)"
ZERO = "Zero latency"
AT = 100  # impulse position: leaves room for the Exact mode's pre-taps


def load():
    assert BUNDLE.exists(), f"{BUNDLE} missing: run `cargo xtask bundle loadline --release`"
    return pedalboard.load_plugin(str(BUNDLE))


def expected(headphone, z_out, rate, latency, freqs):
    args = [str(EXPECTED), str(headphone), str(z_out), str(rate), str(latency)]
    out = subprocess.run(args + [repr(float(f)) for f in freqs], capture_output=True,
                         text=True, check=True).stdout
    return np.array([complex(float(l.split()[1]), float(l.split()[2])) for l in out.splitlines()])


def impulse_response(plugin, rate, seconds=1.5):
    x = np.zeros((2, int(seconds * rate)), dtype=np.float32)
    x[:, AT] = 1.0
    y = plugin.process(x, rate)
    # pedalboard removes the reported latency; the response starts `latency` samples before AT.
    return y, y[:, AT - plugin.reported_latency_samples:].astype(np.float64)


def deviation(ir, rate, headphone, z_out, latency):
    n = 1 << int(np.ceil(np.log2(len(ir))))
    spectrum = np.fft.rfft(ir, n)
    freqs = np.geomspace(20.0, min(20_000.0, 0.45 * rate), 150)
    k = np.round(freqs / (rate / n)).astype(int)
    ratio = spectrum[k] / expected(headphone, z_out, rate, latency, k * rate / n)
    return np.max(np.abs(20 * np.log10(np.abs(ratio)))), np.max(np.abs(np.degrees(np.angle(ratio))))


def test_parameters_have_names_units_and_ranges():
    p = load()
    names = set(p.parameters.keys())
    for want in ["output_a", "output_b", "heard", "a_output_impedance", "b_output_impedance",
                 "a_coupling_capacitor", "headphone", "mode", "level_match", "bypass"]:
        assert want in names, names
    z = p.parameters["a_output_impedance"]
    assert z.label.strip() == "Ω"
    # The plausible range of an output impedance, as the command line and the catalogs take it.
    assert z.range[0] == 0.0 and z.range[1] == 1000.0
    # pedalboard sets a float by the nearest of the normalised points it probes, a step of
    # about 0.2 Ω here; the text is the plugin's, with three significant digits.
    p.a_output_impedance = 47
    assert abs(float(p.parameters["a_output_impedance"].string_value) - 47.0) <= 0.25
    hps = p.parameters["headphone"].valid_values
    assert hps[:5] == HEADPHONES and len(hps) >= 24, hps
    outputs = p.parameters["output_a"].valid_values
    assert outputs[0] == "Custom" and "Focusrite Scarlett 2i2 4th gen" in outputs, outputs
    assert p.parameters["heard"].valid_values == ["A", "B", "Ideal"]
    sag = p.parameters["b_supply_sag"]
    assert sag.label.strip() == "Ω" and sag.range[0] == 0.0 and sag.range[1] == 100.0


@pytest.mark.parametrize("rate,mode,z_out,hp,latency", [
    (44_100, EXACT, 47.0, 1, 12),
    (96_000, EXACT, 150.0, 0, 8),
    (48_000, EXACT, 10.0, 4, 12),
])
def test_exact_response_matches_physics(rate, mode, z_out, hp, latency):
    p = load()
    p.a_output_impedance = z_out
    p.headphone = HEADPHONES[hp]
    p.mode = mode
    y, ir = impulse_response(p, rate)
    assert p.reported_latency_samples == latency
    assert np.argmax(np.abs(y[0])) == AT, "the impulse must come back where it went in"
    db, deg = deviation(ir[0], rate, hp, z_out, latency)
    assert db <= 0.05 and deg <= 0.5, (db, deg)
    assert np.array_equal(y[0], y[1])


def test_a_second_headphone_on_the_jack_is_heard_as_the_parallel_load():
    # The HD 600 behind 47 ohm with the DT 770 Pro 32 ohm (catalog 7) on the same jack.
    p = load()
    p.a_output_impedance = 47.0
    p.headphone = HEADPHONES[0]
    p.also_on_the_jack_1 = "Beyerdynamic DT 770 Pro 32 ohm"
    p.mode = EXACT
    _, ir = impulse_response(p, 48_000)
    db, deg = deviation(ir[0], 48_000, "0+7", 47.0, 12)
    assert db <= 0.05 and deg <= 0.5, (db, deg)
    alone, _ = deviation(ir[0], 48_000, 0, 47.0, 12)
    assert alone > 3.0, alone


def test_others_on_their_own_outputs_leave_the_heard_tone_alone():
    # The HA8000 (10 ohm, estimated) on the HD 600 with the DT 770 Pro 32 ohm: on the same jack
    # the two are in parallel; on outputs of their own the HD 600 is heard through its own
    # output alone (the other only shares the supply, which the limits bring in).
    p = load()
    p.output_a = "Behringer Powerplay HA8000"
    p.headphone = HEADPHONES[0]
    p.also_on_the_jack_1 = "Beyerdynamic DT 770 Pro 32 ohm"
    p.mode = EXACT
    _, ir = impulse_response(p, 48_000)
    db, deg = deviation(ir[0], 48_000, "0+7", 10.0, 12)
    assert db <= 0.05 and deg <= 0.5, (db, deg)
    p.other_listeners = "On their own outputs"
    p.also_on_the_jack_1_volume_db = 6.0
    _, ir = impulse_response(p, 48_000)
    db, deg = deviation(ir[0], 48_000, 0, 10.0, 12)
    assert db <= 0.05 and deg <= 0.5, (db, deg)
    shared, _ = deviation(ir[0], 48_000, "0+7", 10.0, 12)
    assert shared > 1.0, shared
    assert p.parameters["also_on_the_jack_1_volume_db"].label.strip() == "dB"


def test_a_chain_is_heard_through_its_amplifier():
    # The UMC202HD's line out into the Magni 2 (0.2 ohm) on the HD 600: the response is the
    # Magni's divider; the UMC202HD alone (10 ohm, estimated) loses level the Magni does not.
    p = load()
    p.output_a = "Behringer UMC202HD"
    amps = p.parameters["a_into_amplifier"].valid_values
    # The amplifier saved with the project comes first, so that the catalog's growing never
    # moves it; then no amplifier, then the catalog's.
    assert amps[:2] == ["Saved with the project", "No amplifier"], amps
    assert "Schiit Magni 2" in amps, amps
    assert len(set(amps)) == len(amps), amps
    p.a_into_amplifier = "Schiit Magni 2"
    p.a_source_jack = "Line out"
    p.headphone = HEADPHONES[0]
    p.mode = EXACT
    _, ir = impulse_response(p, 48_000)
    db, deg = deviation(ir[0], 48_000, 0, 0.2, 12)
    assert db <= 0.05 and deg <= 0.5, (db, deg)
    p.a_into_amplifier = "No amplifier"
    _, ir = impulse_response(p, 48_000)
    alone, _ = deviation(ir[0], 48_000, 0, 0.2, 12)
    assert alone > 0.2, alone
    db, deg = deviation(ir[0], 48_000, 0, 10.0, 12)
    assert db <= 0.05 and deg <= 0.5, (db, deg)
    # A's own figures (47 ohm) feed the Magni 2 too.
    p.output_a = "Custom"
    p.a_output_impedance = 47.0
    p.a_source_jack = "Headphone out"
    p.a_into_amplifier = "Schiit Magni 2"
    _, ir = impulse_response(p, 48_000)
    db, deg = deviation(ir[0], 48_000, 0, 0.2, 12)
    assert db <= 0.05 and deg <= 0.5, (db, deg)


def test_zero_latency_mode_reports_no_latency_and_matches_magnitude():
    p = load()
    p.a_output_impedance = 75.0
    p.headphone = HEADPHONES[3]
    p.mode = ZERO
    _, ir = impulse_response(p, 48_000)
    assert p.reported_latency_samples == 0
    db, _ = deviation(ir[0], 48_000, 3, 75.0, 0)
    assert db <= 0.05, db


def test_level_match_restores_unity_at_1khz():
    p = load()
    p.a_output_impedance = 150.0
    p.headphone = HEADPHONES[1]
    p.level_match = True
    assert abs(gain_at_1khz_db(p)) <= 0.05
    p.level_match = False
    assert gain_at_1khz_db(p) < -6.0  # 150 ohm into a 38 ohm load loses most of the level


def test_bypass_is_exact_and_silence_stays_silent():
    p = load()
    p.a_output_impedance = 150.0
    p.mode = EXACT
    p.bypass = True
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((2, 48_000)) * 0.1).astype(np.float32)
    y = p.process(x, 48_000)
    assert np.array_equal(y, x), np.max(np.abs(y - x))
    p.bypass = False
    y = p.process(np.zeros((2, 48_000), dtype=np.float32), 48_000)
    assert not np.any(y)


def gain_at_1khz_db(plugin, rate=48_000):
    t = np.arange(rate) / rate
    x = np.stack([np.sin(2 * np.pi * 1000 * t)] * 2).astype(np.float32) * 0.25
    y = plugin.process(x, rate)
    rms = lambda v: np.sqrt(np.mean(v[rate // 2:] ** 2))
    return 20 * np.log10(rms(y[0]) / rms(x[0]))


def test_state_round_trip():
    p = load()
    p.a_output_impedance = 68.0
    p.headphone = HEADPHONES[3]
    p.a_coupling_capacitor = True
    p.output_b = "Topping A50s"
    saved_gain = gain_at_1khz_db(p)
    # What pedalboard set (the nearest of its probed points, see above), to be restored exactly.
    saved_z = p.parameters["a_output_impedance"].string_value
    state = p.raw_state
    q = load()
    assert abs(gain_at_1khz_db(q) - saved_gain) > 3.0, "defaults must sound different"
    q.raw_state = state
    # The restored state is heard at once; pedalboard refreshes its parameter view as it
    # processes, so the parameters are read after the audio.
    assert abs(gain_at_1khz_db(q) - saved_gain) < 1e-3
    assert q.parameters["a_output_impedance"].string_value == saved_z
    assert abs(float(saved_z) - 68.0) <= 0.25
    assert q.headphone == HEADPHONES[3]
    assert q.a_coupling_capacitor
    assert q.output_b == "Topping A50s"
    assert q.heard == "A"


def test_a_b_switch_is_heard_and_saved():
    # A: a 150 Ω custom output; B: the catalog's Topping A50s (about 0.04 Ω). On the SE310
    # model, A loses several dB at 1 kHz and B almost nothing; the choice of B survives a
    # state round trip.
    p = load()
    p.a_output_impedance = 150.0
    p.headphone = HEADPHONES[3]
    p.output_b = "Topping A50s"
    p.heard = "A"
    a = gain_at_1khz_db(p)
    p.heard = "B"
    b = gain_at_1khz_db(p)
    assert a < -10.0 and b > -0.1, (a, b)
    q = load()
    q.raw_state = p.raw_state
    assert abs(gain_at_1khz_db(q) - b) < 1e-3
    assert q.heard == "B"


def test_hot_signal_clips_and_noise_shows_in_silence():
    p = load()
    p.a_output_impedance = 10.0
    p.headphone = HEADPHONES[1]
    rate = 48_000
    t = np.arange(rate) / rate
    x = np.stack([np.sin(2 * np.pi * 1000 * t)] * 2).astype(np.float32)
    free = p.process(x, rate)
    # pedalboard names parameters with their units.
    p.a_full_scale_level_dbu = 10.0
    p.a_current_limit_ma = 20.0
    p.output_limits = True
    limited = p.process(x, rate)
    # 20 mA into about 40 ohm: far below the unlimited peak.
    assert np.max(np.abs(limited[0, rate // 2:])) < 0.5 * np.max(np.abs(free[0, rate // 2:]))
    p.output_limits = False
    p.output_noise = True
    p.a_noise_floor_dbv = -90.0
    quiet = p.process(np.zeros((2, rate), dtype=np.float32), rate)
    rms = np.sqrt(np.mean(quiet[0, rate // 2:] ** 2))
    assert rms > 1e-7 and not np.array_equal(quiet[0], quiet[1])
    p.output_noise = False
    assert not np.any(p.process(np.zeros((2, rate), dtype=np.float32), rate))


def test_a_value_set_before_processing_is_in_the_state_saved_at_once():
    p = load()
    p.a_output_impedance = 33.0
    state = p.raw_state
    q = load()
    q.raw_state = state
    q.process(np.zeros((2, 480), dtype=np.float32), 48_000)
    assert q.parameters["a_output_impedance"].string_value == "33.0"


def test_a_value_set_while_processing_is_in_the_state_saved_at_once():
    # After its first render pedalboard keeps the plugin processing; a value set then reaches
    # the plugin through setParamNormalized, and a state saved at once, before any further
    # audio, must have it.
    p = load()
    p.process(np.zeros((2, 4800), dtype=np.float32), 48_000)
    p.a_output_impedance = 68.0
    p.output_b = "Topping A50s"
    state = p.raw_state
    q = load()
    q.raw_state = state
    q.process(np.zeros((2, 480), dtype=np.float32), 48_000)
    assert abs(float(q.parameters["a_output_impedance"].string_value) - 68.0) <= 0.25
    assert q.output_b == "Topping A50s"


def test_identity_is_real():
    p = load()
    assert p.manufacturer_name == "Loadline"
    cargo = (ROOT / "Cargo.toml").read_text()
    version = next(l.split('"')[1] for l in cargo.splitlines() if l.startswith("version = "))
    assert p.version == version, (p.version, version)
    assert "Fx" in p.category and "Analyzer" in p.category, p.category
    assert p.is_effect and not p.is_instrument


def test_switching_the_mode_between_renders_reports_the_new_latency_aligned():
    # nice-plug asks the host to restart the component (kLatencyChanged); pedalboard then
    # reports the new latency and removes it, so the impulse comes back where it went in.
    p = load()
    p.a_output_impedance = 47.0
    p.mode = ZERO
    y, _ = impulse_response(p, 48_000)
    assert p.reported_latency_samples == 0
    p.mode = EXACT
    for _ in range(20):
        y, _ = impulse_response(p, 48_000, seconds=0.2)
        if p.reported_latency_samples == 12:
            break
    assert p.reported_latency_samples == 12
    y, _ = impulse_response(p, 48_000)
    assert np.argmax(np.abs(y[0])) == AT


def test_a_measured_output_travels_to_a_clean_catalog_and_is_heard(tmp_path):
    # The test kit's simulated interface (10 Ω) recorded open and loaded, measured and saved by
    # the command line in one producer's catalog, exported, imported into another's clean
    # catalog, and heard in the VST3 as slot A's output impedance: its tone is that impedance's.
    dbu = subprocess.run([str(LOOPBACK), str(tmp_path)], capture_output=True, text=True,
                         check=True).stdout.strip()

    def cli(config, *args):
        env = dict(os.environ, LOADLINE_CONFIG_DIR=str(tmp_path / config))
        return subprocess.run([str(LOADLINE), *args], env=env, capture_output=True, text=True,
                              check=True).stdout

    cli("mine", "measure", "output", "--open", str(tmp_path / "open.wav"),
        "--loaded", str(tmp_path / "loaded.wav"), "--load-ohm", "33",
        "--input-full-scale-dbu", dbu, "--input-ohm", "10k",
        "--input-floor", str(tmp_path / "floor.wav"), "--save", "Bench Box")
    shared = tmp_path / "bench-box.toml"
    cli("mine", "user", "export", "Bench Box", str(shared))
    cli("theirs", "user", "import", str(shared))
    rows = json.loads(cli("theirs", "list", "outputs", "--json"))
    yours = [r for r in rows if r["yours"]]
    assert [r["name"] for r in yours] == ["Bench Box (yours)"], yours
    r_out = yours[0]["r_out_ohm"]
    assert abs(r_out - 10.0) < 0.25, r_out
    p = load()
    p.a_output_impedance = r_out
    p.headphone = HEADPHONES[1]
    p.mode = EXACT
    z_set = float(p.parameters["a_output_impedance"].string_value)
    assert abs(z_set - r_out) <= 0.25, (z_set, r_out)
    y, ir = impulse_response(p, 48_000)
    db, deg = deviation(ir[0], 48_000, 1, z_set, 12)
    assert db <= 0.05 and deg <= 0.5, (db, deg)


PRESETS = ROOT / "target" / "bundled" / "presets"


def factory_setups():
    """The factory's setups, by name, as the command line lists them (a clean config)."""
    out = subprocess.run([str(LOADLINE), "setup", "list"], capture_output=True, text=True,
                         check=True, env={**os.environ, "LOADLINE_CONFIG_DIR": "/nonexistent"})
    lines = out.stdout.split("\nYours")[0].splitlines()
    return [l.strip() for l in lines if l.startswith("  ") and not l.startswith("    ")]


def test_every_factory_setup_has_its_vstpreset():
    names = sorted(factory_setups())
    assert len(names) >= 10, names
    assert sorted(p.stem for p in PRESETS.glob("*.vstpreset")) == names


def tones(rate):
    """Three tones at once (60 Hz, 1 kHz, 8 kHz), loud enough that the weaker outputs clip,
    as 16-bit samples (so that the file and the plugin get the same values)."""
    t = np.arange(rate // 2) / rate
    x = 0.3 * np.sin(2 * np.pi * 60 * t) + 0.2 * np.sin(2 * np.pi * 1000 * t) \
        + 0.1 * np.sin(2 * np.pi * 8000 * t)
    pcm = np.round(x * 32767).astype(np.int16)
    return pcm, np.stack([pcm, pcm]).astype(np.float32) / 32768.0


def write_wav16(path, pcm, rate):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.stack([pcm, pcm], axis=1).tobytes())


def rms_db(x):
    power = np.mean(np.asarray(x, dtype=np.float64) ** 2)
    return 10 * np.log10(power) if power > 0 else -np.inf


@pytest.mark.parametrize("name", factory_setups())
def test_a_factory_vstpreset_is_heard_as_render_setup(name, tmp_path):
    """Each factory setup loaded from its .vstpreset plays as `loadline render --setup` renders
    it, A and B (limits on and noise off, as rendered), within 0.05 dB."""
    rate = 48_000
    pcm, x = tones(rate)
    wav_in = tmp_path / "in.wav"
    write_wav16(wav_in, pcm, rate)
    out = tmp_path / "out.wav"
    subprocess.run([str(LOADLINE), "render", str(wav_in), str(out), "--setup", name,
                    "--no-noise"], check=True, capture_output=True,
                   env={**os.environ, "LOADLINE_CONFIG_DIR": str(tmp_path)})
    apart_from_defaults = -np.inf
    for heard in ["A", "B"]:
        p = load()
        p.output_limits = True
        p.output_noise = False
        p.heard = heard
        default = p.process(x, rate)
        p = load()
        p.load_preset(str(PRESETS / f"{name}.vstpreset"))
        # The preset sets which slot is heard: choose after loading it.
        p.heard = heard
        p.output_limits = True
        p.output_noise = False
        y = p.process(x, rate)
        with AudioFile(str(out.with_suffix(f".{heard}.wav"))) as f:
            cli = f.read(f.frames)
        for ch in range(2):
            level = rms_db(y[ch]) - rms_db(cli[ch])
            assert abs(level) <= 0.05, f"{name} {heard}: {level:+.4f} dB from the command line's"
        apart_from_defaults = max(apart_from_defaults, rms_db(y[0] - default[0]) - rms_db(y[0]))
    # Were the preset not loaded, the plugin would play its defaults.
    assert apart_from_defaults > -40, f"{name}: plays as the defaults"
