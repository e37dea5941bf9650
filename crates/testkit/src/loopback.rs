//! A loopback measurement's recordings, as a producer's DAW would write them: one simulated
//! interface (a 10 Ω headphone output with a 3 V full scale, a 40 mA current limit and 40 µV
//! of noise, into its own 10 kΩ line inputs at +16.7 dBu) playing a signal open, then loaded
//! by a 33 Ω resistor that is really 33.1 Ω with the volume 0.03 dB up, and the inputs' floor
//! alone. The command line's tests, the plugin's round trip and the VST3 test all measure
//! these, so that each checks the same device.

use crate::interface::{Pass, SimInput, SimOutput, SimPass, record};
use std::path::{Path, PathBuf};

/// The simulated output.
pub fn output() -> SimOutput {
    SimOutput {
        full_scale_v_peak: 3.0,
        r_out_ohm: 10.0,
        coupling_cap_uf: None,
        rail_v_peak: None,
        i_max_ma_peak: Some(40.0),
        noise_vrms: 40e-6,
    }
}

/// The simulated input: its floor 112 dB below its full scale.
pub fn input() -> SimInput {
    let full_scale_v_peak = 7.5;
    SimInput {
        input_full_scale_v_peak: full_scale_v_peak,
        input_ohm: 10_000.0,
        input_noise_vrms: full_scale_v_peak / 2f64.sqrt() * 10f64.powf(-112.0 / 20.0),
        latency_samples: 700,
        tail_samples: 24_000,
    }
}

/// The input's full scale as `--input-full-scale-dbu` takes it.
pub fn input_full_scale_dbu() -> f64 {
    loadline_core::units::vrms_to_dbu(input().input_full_scale_v_peak / 2f64.sqrt())
}

/// The resistor as marked, and as it really is.
pub const LOAD_OHM: (f64, f64) = (33.0, 33.1);

/// The open and loaded recordings of `played` and the inputs' floor (four seconds).
pub fn recordings(played: &[[f32; 2]], rate_hz: f64) -> [Vec<[f32; 2]>; 3] {
    let (out, input) = (output(), input());
    let pass = |pass, seed| SimPass {
        pass,
        volume_gain: 1.0,
        seed,
    };
    let loaded = pass(
        Pass::Loaded {
            load_ohm: LOAD_OHM.1,
        },
        2,
    )
    .with_drift_db(0.03);
    [
        record(played, rate_hz, &out, &input, &pass(Pass::Open, 1)),
        record(played, rate_hz, &out, &input, &loaded),
        input.recorded_floor((4.0 * rate_hz) as usize, rate_hz, 3),
    ]
}

/// Writes `frames` as a 24-bit stereo WAV, as a DAW records.
pub fn write_24(path: &Path, frames: &[[f32; 2]], rate_hz: f64) -> hound::Result<()> {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: rate_hz as u32,
        bits_per_sample: 24,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec)?;
    for f in frames {
        for v in f {
            w.write_sample((f64::from(*v) * 8_388_607.0).round() as i32)?;
        }
    }
    w.finalize()
}

/// Writes the recordings of `played` into `dir` as `open.wav`, `loaded.wav` and `floor.wav`,
/// and returns their paths in that order.
pub fn write_recordings(
    dir: &Path,
    played: &[[f32; 2]],
    rate_hz: f64,
) -> hound::Result<[PathBuf; 3]> {
    let paths = ["open.wav", "loaded.wav", "floor.wav"].map(|n| dir.join(n));
    for (path, frames) in paths.iter().zip(recordings(played, rate_hz)) {
        write_24(path, &frames, rate_hz)?;
    }
    Ok(paths)
}
