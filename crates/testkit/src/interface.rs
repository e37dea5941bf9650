//! A simulated audio interface whose headphone output is looped back into two of its own line
//! inputs, for the tests of the loopback measurement of a user's headphone output.
//!
//! The wiring: the headphone output's left channel goes by a cable to line input 1 (recorded
//! left), its right channel to line input 2 (recorded right). In the open pass nothing else is
//! connected; in the loaded pass a resistor sits across the left output only (tip to sleeve),
//! while the right output always stays open. The model is written from the circuit, not from
//! any analysis, so that an analysis tested against it is tested against physics.
//!
//! Per output channel, in order: the played sample times the volume and the full-scale EMF;
//! plus the output's own white noise; clipped at the rails; through the source resistance and
//! an optional coupling capacitor into the load (the line input's impedance, in parallel with
//! the resistor when loaded); the load current clamped at the current limit; then, at the
//! input, plus the input's own white noise, scaled by the input's full scale, clipped by the
//! converter at ±1.0 and stored as `f32`, behind the input's latency.

use loadline_core::dsp::noise::Rng;
use loadline_core::physics::output::AUDIO_BAND_HZ;
use num_complex::Complex64;
use std::f64::consts::PI;

/// The interface's headphone output, one description for both channels (each channel still has
/// its own state and its own noise).
#[derive(Debug, Clone, PartialEq)]
pub struct SimOutput {
    /// The EMF peak, volts, of a 0 dBFS sine at maximum volume: what the digital full scale
    /// becomes before the output's own resistance.
    pub full_scale_v_peak: f64,
    /// The output's source resistance, ohms, in series with the load.
    pub r_out_ohm: f64,
    /// A coupling capacitor in series with the output, µF; `None` for a DC-coupled output.
    pub coupling_cap_uf: Option<f64>,
    /// The rails, volts peak, at which the EMF clips hard; `None` for an output that never
    /// clips in voltage.
    pub rail_v_peak: Option<f64>,
    /// The most current the output can push into the load, mA peak; `None` for no limit.
    pub i_max_ma_peak: Option<f64>,
    /// The output's own noise, volts RMS over 20 Hz–20 kHz, white, added after the volume
    /// because an output's noise floor does not follow its volume control.
    pub noise_vrms: f64,
}

/// The interface's line inputs, one description for both channels.
#[derive(Debug, Clone, PartialEq)]
pub struct SimInput {
    /// The volts peak that record as 1.0 (the converter's full scale at the input's gain).
    pub input_full_scale_v_peak: f64,
    /// The input impedance, ohms, which loads the output even in the open pass; it must be
    /// finite and positive, as a real line input's is.
    pub input_ohm: f64,
    /// The input's own noise, volts RMS over 20 Hz–20 kHz, white and independent per channel.
    pub input_noise_vrms: f64,
    /// How many samples of noise the recording holds before the played signal's first sample
    /// arrives: the round trip through the converters.
    pub latency_samples: usize,
    /// How many samples of noise the recording holds after the played signal's last sample, so
    /// that a capacitor's tail and the analysis's windows have room.
    pub tail_samples: usize,
}

/// Which of the two loopback recordings is being made.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pass {
    /// Nothing but the line inputs on the output.
    Open,
    /// A resistor of `load_ohm` across the left output, in parallel with the left input; the
    /// right output stays open, so that it can serve as the unloaded reference.
    Loaded {
        /// The resistor, ohms.
        load_ohm: f64,
    },
}

/// One recording's settings: the pass, the volume and the noise's seed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimPass {
    /// Open or loaded.
    pub pass: Pass,
    /// The volume control as a linear gain (1.0 = maximum). The user leaves it alone between
    /// the passes, so it is the same in both but for a small drift (see
    /// [`SimPass::with_drift_db`]).
    pub volume_gain: f64,
    /// The seed of all the noise in this recording. Two passes with the same seed would share
    /// their noise, which no real pair of recordings does: give each pass its own.
    pub seed: u64,
}

impl SimPass {
    /// This pass with its volume moved by `drift_db`: a volume control or a level that is not
    /// perfectly repeatable between the two passes, which an analysis should tolerate or detect.
    pub fn with_drift_db(self, drift_db: f64) -> Self {
        SimPass {
            volume_gain: self.volume_gain * 10f64.powf(drift_db / 20.0),
            ..self
        }
    }
}

impl SimInput {
    /// The resistance the left output drives in `pass`: the input alone when open, the input in
    /// parallel with the resistor when loaded. (The right output always drives the input alone.)
    pub fn load_ohm(&self, pass: &Pass) -> f64 {
        match *pass {
            Pass::Open => self.input_ohm,
            Pass::Loaded { load_ohm } => 1.0 / (1.0 / self.input_ohm + 1.0 / load_ohm),
        }
    }

    /// What the inputs record with nothing plugged in: their own noise alone, `frames` long, as
    /// a calibration of the floor. Its noise is drawn from streams of its own, so that it is
    /// independent of the noise of a [`record`] with the same seed, as a separate recording is.
    pub fn recorded_floor(&self, frames: usize, sample_rate_hz: f64, seed: u64) -> Vec<[f32; 2]> {
        let sigma = white_sigma(self.input_noise_vrms, sample_rate_hz);
        let mut noise = [
            Gaussian::new(stream_seed(seed, Stream::FloorLeft)),
            Gaussian::new(stream_seed(seed, Stream::FloorRight)),
        ];
        (0..frames)
            .map(|_| {
                let mut frame = [0.0f32; 2];
                for (out, n) in frame.iter_mut().zip(&mut noise) {
                    *out = self.convert(sigma * n.sample());
                }
                frame
            })
            .collect()
    }

    /// The converter: volts at the input to a recorded sample, clipped at full scale.
    fn convert(&self, volts: f64) -> f32 {
        (volts / self.input_full_scale_v_peak).clamp(-1.0, 1.0) as f32
    }
}

impl SimOutput {
    /// The analytic divider from EMF to jack voltage at `freq_hz` into `load_ohm`, while nothing
    /// clips: `R_L / (R_L + r_out + 1/(jωC))`. It is what the simulation's steady state matches,
    /// and what a test of an analysis can compare its findings with.
    pub fn divider(&self, load_ohm: f64, freq_hz: f64) -> Complex64 {
        let cap = self.coupling_cap_uf.map_or(Complex64::new(0.0, 0.0), |uf| {
            1.0 / Complex64::new(0.0, 2.0 * PI * freq_hz * uf * 1e-6)
        });
        load_ohm / (load_ohm + self.r_out_ohm + cap)
    }
}

/// The per-sample standard deviation, volts, of white noise whose RMS within 20 Hz–20 kHz is
/// `vrms_in_band` at `sample_rate_hz`: white noise spreads its power evenly up to Nyquist, so
/// the whole band holds `(fs/2)/(20000 − 20)` times the audio band's power.
pub fn white_sigma(vrms_in_band: f64, sample_rate_hz: f64) -> f64 {
    let (lo, hi) = AUDIO_BAND_HZ;
    vrms_in_band * (sample_rate_hz / 2.0 / (hi - lo)).sqrt()
}

/// What the line inputs record when the interface plays `played` (stereo frames, 1.0 = 0 dBFS
/// peak) at `sample_rate_hz` through its headphone output, looped back as the module describes.
///
/// The recording is `input.latency_samples + played.len() + input.tail_samples` frames long.
/// The output runs throughout it, playing silence outside `played`, so the lead-in and the
/// tail hold the output's noise through the network as well as the input's: the cable is
/// plugged in and the output is on before the first sample arrives and after the last. The
/// coupling capacitor starts discharged at the recording's first sample.
///
/// The network is simulated with the capacitor integrated by the trapezoidal rule (the bilinear
/// transform). A sine's steady state then matches [`SimOutput::divider`] but for the bilinear
/// frequency warping, which for a high-pass corner `f_c = 1/(2π(r_out + R_L)C)` costs at most
/// about `0.014·(f_c/1 kHz)²` dB over 20 Hz–20 kHz at 44.1 kHz (less at higher rates): under
/// 0.01 dB for any corner below about 800 Hz, which covers real coupling capacitors. The phase
/// is warped too, most near Nyquist: with 100 µF into 33 Ω at 44.1 kHz it is 0.08° off at
/// 20 kHz, where the reactance is a fraction of an ohm.
///
/// # Panics
/// If the input impedance is not finite and positive, or the sample rate not positive.
pub fn record(
    played: &[[f32; 2]],
    sample_rate_hz: f64,
    out: &SimOutput,
    input: &SimInput,
    pass: &SimPass,
) -> Vec<[f32; 2]> {
    assert!(
        input.input_ohm.is_finite() && input.input_ohm > 0.0,
        "a line input's impedance is finite and positive"
    );
    assert!(sample_rate_hz > 0.0, "the sample rate must be positive");
    let loads = [input.load_ohm(&pass.pass), input.load_ohm(&Pass::Open)];
    let streams = [
        (Stream::OutputLeft, Stream::InputLeft),
        (Stream::OutputRight, Stream::InputRight),
    ];
    let mut channels: Vec<Channel> = loads
        .iter()
        .zip(streams)
        .map(|(&load, (out_stream, in_stream))| {
            Channel::new(
                out,
                input,
                load,
                sample_rate_hz,
                Gaussian::new(stream_seed(pass.seed, out_stream)),
                Gaussian::new(stream_seed(pass.seed, in_stream)),
            )
        })
        .collect();
    let emf_per_unit = pass.volume_gain * out.full_scale_v_peak;
    let frames = input.latency_samples + played.len() + input.tail_samples;
    (0..frames)
        .map(|n| {
            let digital = n
                .checked_sub(input.latency_samples)
                .and_then(|i| played.get(i))
                .copied()
                .unwrap_or([0.0; 2]);
            let mut frame = [0.0f32; 2];
            for ((rec, ch), x) in frame.iter_mut().zip(&mut channels).zip(digital) {
                *rec = input.convert(ch.step(f64::from(x) * emf_per_unit));
            }
            frame
        })
        .collect()
}

/// One channel's path from EMF to the volts at its line input, with its state.
struct Channel {
    /// The output's noise, and its per-sample standard deviation.
    out_noise: Gaussian,
    out_sigma: f64,
    /// The input's noise, and its per-sample standard deviation.
    in_noise: Gaussian,
    in_sigma: f64,
    /// The rails, volts peak (infinite when there are none).
    rail: f64,
    /// The current limit, amperes peak (infinite when there is none).
    i_max: f64,
    /// The load, and the whole loop's resistance `r_out + R_L`.
    r_load: f64,
    r_loop: f64,
    /// The trapezoidal rule's `T/(2C)`, ohms: zero without a capacitor, which then never
    /// charges and drops nothing.
    k: f64,
    /// The capacitor's voltage and the loop current at the previous sample.
    v_cap: f64,
    i_prev: f64,
}

impl Channel {
    fn new(
        out: &SimOutput,
        input: &SimInput,
        r_load: f64,
        sample_rate_hz: f64,
        out_noise: Gaussian,
        in_noise: Gaussian,
    ) -> Self {
        Channel {
            out_noise,
            out_sigma: white_sigma(out.noise_vrms, sample_rate_hz),
            in_noise,
            in_sigma: white_sigma(input.input_noise_vrms, sample_rate_hz),
            rail: out.rail_v_peak.unwrap_or(f64::INFINITY),
            i_max: out.i_max_ma_peak.map_or(f64::INFINITY, |ma| ma * 1e-3),
            r_load,
            r_loop: out.r_out_ohm + r_load,
            k: out
                .coupling_cap_uf
                .map_or(0.0, |uf| 1.0 / (2.0 * sample_rate_hz * uf * 1e-6)),
            v_cap: 0.0,
            i_prev: 0.0,
        }
    }

    /// One sample: from the signal's EMF (volts, after the volume) to the volts at the input,
    /// its noise included.
    fn step(&mut self, emf_signal: f64) -> f64 {
        let emf =
            (emf_signal + self.out_sigma * self.out_noise.sample()).clamp(-self.rail, self.rail);
        // The loop e = i·(r_out + R_L) + v_C with v_C[n] = v_C[n−1] + T/(2C)·(i[n] + i[n−1])
        // (trapezoidal), solved for i[n]; the capacitor then integrates the current that
        // actually flows, clamped or not, which is what a limited output delivers.
        let history = self.v_cap + self.k * self.i_prev;
        let i = ((emf - history) / (self.r_loop + self.k)).clamp(-self.i_max, self.i_max);
        self.v_cap = history + self.k * i;
        self.i_prev = i;
        // The load is a resistor: its voltage is its current times its resistance, whatever
        // the output had to give up to limit that current.
        i * self.r_load + self.in_sigma * self.in_noise.sample()
    }
}

/// The independent noise streams one seed gives, one per source per channel.
#[derive(Clone, Copy)]
enum Stream {
    OutputLeft = 1,
    OutputRight,
    InputLeft,
    InputRight,
    FloorLeft,
    FloorRight,
}

/// A generator's seed for `stream` of `seed`: SplitMix64's finaliser, so that nearby seeds and
/// streams start xorshift far apart rather than with correlated first outputs.
fn stream_seed(seed: u64, stream: Stream) -> u64 {
    let mut z = seed.wrapping_add((stream as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Unit Gaussian samples from the core's seeded generator by the Box–Muller transform, which
/// gives them in pairs: the second is kept for the next call.
struct Gaussian {
    rng: Rng,
    spare: Option<f64>,
}

impl Gaussian {
    fn new(seed: u64) -> Self {
        Gaussian {
            rng: Rng::new(seed),
            spare: None,
        }
    }

    fn sample(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        // Uniform on (0, 1]: never zero, whose logarithm is infinite.
        let mut uniform = || ((self.rng.next_u64() >> 11) + 1) as f64 / (1u64 << 53) as f64;
        let (u1, u2) = (uniform(), uniform());
        let radius = (-2.0 * u1.ln()).sqrt();
        let (sin, cos) = (2.0 * PI * u2).sin_cos();
        self.spare = Some(radius * sin);
        radius * cos
    }
}
