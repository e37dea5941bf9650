//! A headphone's impedance measured with a sense-resistor jig, as REW and LIMP measure it.
//!
//! The wiring: the interface's headphone (or line) output drives a sense resistor `R_s` in
//! series with one driver of the headphone (tip and sleeve) to ground. Input 1 (recorded left)
//! reads the resistor's output side, `V1`; input 2 (recorded right) its headphone side, `V2`.
//! The current through the resistor, `(V1 − V2)/R_s`, flows into the headphone, so its
//! impedance is `Z = R_s·V2/(V1 − V2) = R_s·H/(1 − H)` with `H = V2/V1`: complex, magnitude and
//! phase, and independent of the output's own impedance and of the signal's level and shape,
//! because both inputs record the one excitation at once. Input 2's own impedance `Z_in` sits
//! across the headphone and is taken out: `Z = R_s·H/(1 − (1 + R_s/Z_in)·H)`.
//!
//! The signal is [`jig_signal`](super::signal::jig_signal)'s sweep, aligned by its markers as
//! the output's signal is. `H` is read at each of [`jig_frequencies`] (1/24 octave, 20 Hz to
//! 20 kHz) as the ratio of the two inputs' spectra over a window holding the whole sweep and
//! its decay: for a linear circuit that ratio is exactly the jig's divider at every frequency,
//! however fast the sweep passed it. A calibration recording (both inputs on the resistor's
//! output side, so that they record one voltage) measures the inputs' own mismatch, which then
//! divides out.
//!
//! Every point carries a range: the inputs' noise (read in the silence after the sweep) through
//! the ratio, the inputs' match (taken as [`UNCALIBRATED_MATCH_DB`] without a calibration, and
//! what a calibration's own noise leaves above [`CALIBRATED_MATCH`] with one), the sense
//! resistor's tolerance, and input 2's impedance (given, or the range of line inputs'). The
//! ratio's uncertainty is a disc around it; the formula maps a disc onto a disc (it is a
//! Möbius transformation), whose nearest and farthest points from the origin bound `|Z|` and
//! whose tangents from it bound the phase, exactly.
//!
//! A recording that cannot support the curve is refused with the file and, where one applies,
//! the second: the input clipped, no signal (no markers), a silent input, nothing across the
//! jig (`V2 ≈ V1`: the headphone not connected), its side shorted (`V2 ≈ 0`), the inputs
//! swapped, the signal made at another rate, a dropout.

use super::output::{INPUT_OHM_ASSUMED, INPUT_OHM_TYPICAL, Ranged};
use super::recording::{
    CLIP_LEVEL, DROPOUT_ZEROS, Markers, Recording, RecordingProblem, SILENT_LEVEL, median,
};
use super::signal::{JIG_POINTS_PER_DECADE, JigLayout, jig_frequencies};
use super::{SOURCE, ranged_text};
use crate::catalog::{
    Basis, CurveKeyPoints, Figure, HeadphoneEntry, KEY_FREQS_HZ, Sensitivity, curve_key_points,
};
use crate::physics::impedance::{ImpedancePoint, MeasuredCurve};
use crate::units::{fmt_hz, fmt_sig, gain_to_db};
use num_complex::Complex64;
use serde::Serialize;
use std::f64::consts::PI;

/// The command that writes the jig's signal, as refusals name it.
pub const JIG_COMMAND: &str = "loadline measure signal --jig JIG.wav";
/// How closely the two inputs' gains are taken to match without a calibration recording, dB
/// (and the same share of a radian in phase): two inputs of one interface at the same gain
/// setting agree to about this. It is the floor of every uncalibrated range.
pub const UNCALIBRATED_MATCH_DB: f64 = 0.1;
/// How closely the inputs match once a calibration recording has measured them, as a share of
/// the ratio: what re-plugging a lead between the recordings leaves (0.009 dB, 0.06°).
pub const CALIBRATED_MATCH: f64 = 1e-3;
/// The number of standard deviations of the noise a range spans either way.
pub const SPAN_SIGMAS: f64 = 2.5;
/// Above this across the jig (or half input 2's lowest impedance, if less), ohms, input 2
/// reads what input 1 reads: nothing is connected (a headphone's impedance stays below it).
pub const NOT_CONNECTED_OHM: f64 = 5000.0;
/// Below this across the jig, ohms, the headphone's side is shorted (no headphone is lower).
pub const SHORTED_OHM: f64 = 1.0;
/// The most a calibration's ratio may vary over the band, dB: both inputs on one point record
/// the same spectrum, and a ratio that follows the frequency means input 2 is elsewhere.
pub const CALIBRATION_SPREAD_DB: f64 = 0.5;
/// Where the sense resistor is this far (or more) from the headphone's |Z| at 1 kHz, either
/// way, the ranges widen and the text says that a resistor nearer it would narrow them.
pub const SENSE_FAR: f64 = 5.0;

/// What the jig was made with.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct HeadphoneSetup {
    /// The sense resistor, ohms (its marked value).
    pub sense_ohm: f64,
    /// How far the sense resistor may be from it, as a fraction (0.01 for 1 %).
    pub sense_tolerance: f64,
    /// Input 2's impedance, ohms, if known.
    pub input_ohm: Option<f64>,
}

/// The impedance at one analysed frequency.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ImpedanceRow {
    /// The frequency, Hz.
    pub freq_hz: f64,
    /// The magnitude, ohms, and its range.
    pub z_ohm: Ranged,
    /// The phase, degrees, and its range.
    pub phase_deg: Ranged,
}

/// The impedance peak of a driver's resonance.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Resonance {
    /// Its frequency, Hz, and its range (the analysed frequencies that may hold the peak,
    /// and half a step either side).
    pub f_hz: Ranged,
    /// Its magnitude, ohms.
    pub z_ohm: Ranged,
}

/// The key points of the measured curve, as the catalog holds a headphone's, with ranges.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct HeadphoneKeyPoints {
    /// |Z| at the lowest frequency analysed (20 Hz), ohms: the DC resistance, near enough.
    pub rdc_ohm: Ranged,
    /// |Z| at 1 kHz, ohms.
    pub z_1k_ohm: Ranged,
    /// |Z| at 10 kHz, ohms.
    pub z_10k_ohm: Ranged,
    /// The resonance's peak, if the curve has one.
    pub resonance: Option<Resonance>,
}

/// Everything a jig recording tells of a headphone.
#[derive(Debug, Clone, PartialEq)]
pub struct HeadphoneMeasurement {
    /// What it was measured with.
    pub setup: HeadphoneSetup,
    /// Input 2's impedance used, ohms: given, or the range assumed.
    pub input_ohm: [f64; 2],
    /// The calibration recording's name, if one measured the inputs' match.
    pub calibration: Option<String>,
    /// The jig recording's name.
    pub file: String,
    /// The impedance at each analysed frequency.
    pub rows: Vec<ImpedanceRow>,
    /// The curve the rows make (magnitude and phase).
    pub curve: MeasuredCurve,
    /// The key points as `catalog::curve_key_points` reads them from the curve.
    pub curve_key: CurveKeyPoints,
    /// The same with their ranges.
    pub key: HeadphoneKeyPoints,
}

/// One recording of the jig's signal read: the inputs' spectra and their noise at each
/// analysed frequency.
struct Spectra {
    /// Input 1's and input 2's spectrum.
    v1: Vec<Complex64>,
    v2: Vec<Complex64>,
    /// The expected squared magnitude of each spectrum's noise.
    noise1: Vec<f64>,
    noise2: Vec<f64>,
}

impl Spectra {
    /// Input 2 over input 1 at frequency `i`, and the ratio's relative standard deviation.
    fn ratio(&self, i: usize) -> (Complex64, f64) {
        let h = self.v2[i] / self.v1[i];
        let sigma = (self.noise2[i] + h.norm_sqr() * self.noise1[i]).sqrt() / self.v1[i].norm();
        (h, sigma / h.norm().max(f64::MIN_POSITIVE))
    }
}

/// What a recording is, for its messages.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Role {
    Jig,
    Calibration,
}

/// The measurement `jig` supports, with `calibration` (the same signal recorded with both
/// inputs on the resistor's output side) to take the inputs' mismatch out; or the first
/// reason they support none.
pub fn measure_headphone(
    jig: &Recording,
    calibration: Option<&Recording>,
    setup: HeadphoneSetup,
) -> Result<HeadphoneMeasurement, RecordingProblem> {
    let freqs = jig_frequencies();
    let spectra = read(jig, Role::Jig, &freqs)?;
    let input_ohm = setup.input_ohm.map_or(INPUT_OHM_ASSUMED, |z| [z; 2]);
    let zin = setup.input_ohm.unwrap_or(INPUT_OHM_TYPICAL);
    let cal = match calibration {
        Some(c) => {
            if c.rate_hz != jig.rate_hz {
                return Err(problem(
                    c,
                    None,
                    format!(
                        "recorded at {} Hz, the jig at {} Hz: record the calibration at the jig's rate",
                        c.rate_hz, jig.rate_hz
                    ),
                ));
            }
            let s = read(c, Role::Calibration, &freqs)?;
            check_calibration(c, &s, &freqs)?;
            Some(s)
        }
        None => None,
    };
    let ratio = |i: usize| {
        let (h, s_h) = spectra.ratio(i);
        let (g, s_g) = cal
            .as_ref()
            .map_or((Complex64::from(1.0), 0.0), |c| c.ratio(i));
        (h / g, s_h.hypot(s_g))
    };
    let ratios: Vec<Complex64> = (0..freqs.len()).map(|i| ratio(i).0).collect();
    check_jig(jig, &ratios, &freqs, setup.sense_ohm, input_ohm[0])?;
    let floor = match cal {
        Some(_) => CALIBRATED_MATCH,
        None => 10f64.powf(UNCALIBRATED_MATCH_DB / 20.0) - 1.0,
    };
    let mut rows = Vec::with_capacity(freqs.len());
    let mut shape = Vec::with_capacity(freqs.len());
    for (i, &f) in freqs.iter().enumerate() {
        let (h, sigma) = ratio(i);
        let rho = h.norm() * (floor + SPAN_SIGMAS * sigma);
        let row = row(f, h, rho, &setup, input_ohm, zin).ok_or_else(|| {
            let z = impedance(h, setup.sense_ohm, zin).norm();
            problem(
                jig,
                None,
                format!(
                    "at {} the headphone's {} Ω is too much more than the sense resistor's {} Ω to be told from an open jig; measure again with a sense resistor nearer the headphone's impedance",
                    fmt_hz(f),
                    fmt_sig(z),
                    fmt_sig(setup.sense_ohm)
                ),
            )
        })?;
        rows.push(row);
        // How far this point alone may move against its neighbours: the ratio's disc at the
        // marked resistor (whose tolerance moves every point together).
        let (c, radius) = image_disc(h, rho, setup.sense_ohm, zin).expect("the row is bounded");
        shape.push(radius / c.norm());
    }
    let points = rows
        .iter()
        .map(|r| ImpedancePoint {
            freq_hz: r.freq_hz,
            mag_ohm: r.z_ohm.value,
            phase_deg: r.phase_deg.value,
        })
        .collect();
    let curve = MeasuredCurve::new(points).map_err(|e| problem(jig, None, e.0))?;
    let curve_key = curve_key_points(&curve).map_err(|e| problem(jig, None, e))?;
    let key = key_points(&rows, &shape, &curve_key);
    Ok(HeadphoneMeasurement {
        setup,
        input_ohm,
        calibration: calibration.map(|c| c.name.clone()),
        file: jig.name.clone(),
        rows,
        curve,
        curve_key,
        key,
    })
}

/// The problem of `recording` at sample `at`.
fn problem(recording: &Recording, at: Option<usize>, message: String) -> RecordingProblem {
    RecordingProblem {
        file: recording.name.clone(),
        at_s: at.map(|i| i as f64 / recording.rate_hz),
        message,
    }
}

/// The jig's markers at `layout`.
fn markers(layout: &JigLayout) -> Markers {
    Markers {
        lead: layout.lead,
        marker_len: layout.marker_len,
        end_marker: layout.end_marker,
        command: JIG_COMMAND,
    }
}

/// The recording checked (rate, silence, markers, clipping, dropouts) and its spectra at
/// `freqs`.
fn read(r: &Recording, role: Role, freqs: &[f64]) -> Result<Spectra, RecordingProblem> {
    if r.rate_hz < 44_100.0 {
        return Err(problem(
            r,
            None,
            format!(
                "recorded at {} Hz; the jig's signal reaches 20 kHz and needs 44100 Hz or more",
                r.rate_hz
            ),
        ));
    }
    let peak = |x: &[f64]| x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let level = |p: f64| {
        if p == 0.0 {
            "it holds digital silence".to_string()
        } else {
            format!("its peak is {:.0} dBFS", gain_to_db(p))
        }
    };
    let p1 = peak(&r.left);
    if p1 < SILENT_LEVEL {
        return Err(problem(
            r,
            None,
            format!(
                "input 1 (left: the output's side of the sense resistor) is silent ({}): check that input 1 is on the output's side of the resistor and recorded, and that the signal plays",
                level(p1)
            ),
        ));
    }
    let layout = JigLayout::new(r.rate_hz);
    let first = r.locate(&markers(&layout))?;
    let end = (first + layout.end_marker + layout.marker_len).min(r.left.len());
    for (k, channel) in [(1, &r.left), (2, &r.right)] {
        if let Some(i) = (first..end).find(|&i| channel[i].abs() >= CLIP_LEVEL) {
            return Err(problem(
                r,
                Some(i),
                format!(
                    "input {k} clipped (a sample at full scale): turn the output's volume or the inputs' gain down and record again"
                ),
            ));
        }
    }
    let [sweep_from, sweep_to] = layout.sweep.map(|i| first + i);
    let mut run = 0;
    for (i, &v) in r.left.iter().enumerate().take(sweep_to).skip(sweep_from) {
        run = if v == 0.0 { run + 1 } else { 0 };
        if run == DROPOUT_ZEROS {
            return Err(problem(
                r,
                Some(i + 1 - DROPOUT_ZEROS),
                "a dropout (the audio stops for a moment): record again with a larger buffer and nothing else running".into(),
            ));
        }
    }
    let p2 = peak(&r.right[sweep_from..sweep_to]);
    if p2 < SILENT_LEVEL {
        let message = match role {
            Role::Jig => format!(
                "input 2 (right: the headphone's side of the sense resistor) is silent while input 1 records the sweep ({}): the headphone's side is shorted to ground (a shorted cable or jig), or input 2 is not connected there or not recorded",
                level(p2)
            ),
            Role::Calibration => format!(
                "input 2 is silent ({}): for the calibration, connect both inputs to the output's side of the sense resistor and record both",
                level(p2)
            ),
        };
        return Err(problem(r, None, message));
    }
    let [noise_from, noise_to] = layout.noise.map(|i| first + i);
    let [from, to] = layout.window.map(|i| first + i);
    let rate = r.rate_hz;
    // Each input's offset and noise, from the silence after the sweep.
    let silence = |x: &[f64]| {
        let silence = &x[noise_from..noise_to];
        let offset = silence.iter().sum::<f64>() / silence.len() as f64;
        let psd = noise_psd(silence, rate);
        let noise: Vec<f64> = freqs
            .iter()
            .map(|&f| (to - from) as f64 * psd.at(f))
            .collect();
        (offset, noise)
    };
    let (o1, noise1) = silence(&r.left);
    let (o2, noise2) = silence(&r.right);
    let (w1, w2) = (&r.left[from..to], &r.right[from..to]);
    let both = crate::cores::map_in_order(freqs, |&f| dtft_pair(w1, o1, w2, o2, f / rate));
    Ok(Spectra {
        v1: both.iter().map(|p| p.0).collect(),
        v2: both.iter().map(|p| p.1).collect(),
        noise1,
        noise2,
    })
}

/// The spectra of `x` and `y` (less their offsets) at `cycles` per sample: the discrete-time
/// Fourier transform of each over its whole length, from one rotating phasor (set exactly
/// every few thousand samples, so that its rounding never builds up).
fn dtft_pair(x: &[f64], ox: f64, y: &[f64], oy: f64, cycles: f64) -> (Complex64, Complex64) {
    let w = -2.0 * PI * cycles;
    let step = Complex64::from_polar(1.0, w);
    let (mut sx, mut sy) = (Complex64::default(), Complex64::default());
    let mut phasor = Complex64::from(1.0);
    for (n, (a, b)) in x.iter().zip(y).enumerate() {
        if n % 4096 == 0 {
            phasor = Complex64::from_polar(1.0, w * n as f64);
        }
        sx += phasor * (a - ox);
        sy += phasor * (b - oy);
        phasor *= step;
    }
    (sx, sy)
}

/// A noise's power spectral density, per sample (a white noise of variance σ² reads σ² at
/// every frequency), by Welch's method with Hann windows half overlapped.
struct NoisePsd {
    bin_hz: f64,
    psd: Vec<f64>,
}

impl NoisePsd {
    /// The density around `freq_hz`: the mean over a third of an octave (at least the three
    /// nearest bins), which steadies it at the cost of smearing a hum over its neighbours.
    fn at(&self, freq_hz: f64) -> f64 {
        let centre = (freq_hz / self.bin_hz).round() as usize;
        let lo = ((freq_hz * 2f64.powf(-1.0 / 6.0) / self.bin_hz).floor() as usize)
            .min(centre.saturating_sub(1));
        let hi = ((freq_hz * 2f64.powf(1.0 / 6.0) / self.bin_hz).ceil() as usize)
            .max(centre + 1)
            .min(self.psd.len() - 1);
        let lo = lo.min(hi);
        self.psd[lo..=hi].iter().sum::<f64>() / (hi - lo + 1) as f64
    }
}

/// The noise density of `x` (recorded at `rate_hz`).
fn noise_psd(x: &[f64], rate_hz: f64) -> NoisePsd {
    let seg = ((rate_hz / 6.0) as usize)
        .next_power_of_two()
        .min(x.len().next_power_of_two() / 2)
        .max(64);
    let (psd, _) = super::fit::welch(x, seg).unwrap_or_else(|| (vec![0.0; seg / 2 + 1], 0));
    NoisePsd {
        bin_hz: rate_hz / seg as f64,
        psd,
    }
}

/// The refusals a jig recording's ratios (input 2 over input 1 at each of `freqs`, the
/// inputs' mismatch taken out where a calibration measured it) call for: nothing across the
/// jig, the inputs swapped, the headphone's side shorted.
fn check_jig(
    r: &Recording,
    ratios: &[Complex64],
    freqs: &[f64],
    sense_ohm: f64,
    input_low_ohm: f64,
) -> Result<(), RecordingProblem> {
    let raw: Vec<Complex64> = ratios.iter().map(|h| sense_ohm * h / (1.0 - h)).collect();
    let at_1k = freqs
        .iter()
        .position(|&f| (f - KEY_FREQS_HZ[0]).abs() < 1e-6)
        .expect("the frequencies hold 1 kHz");
    let magnitude = median(raw.iter().map(|z| z.norm()).collect());
    if magnitude > NOT_CONNECTED_OHM.min(input_low_ohm / 2.0) {
        return Err(problem(
            r,
            None,
            format!(
                "input 2 reads what input 1 reads (|Z| across the jig comes out {} Ω): nothing is across the jig; the headphone is not connected (check its plug and the jig's wiring), or both inputs are on the same side of the sense resistor",
                fmt_sig(magnitude)
            ),
        ));
    }
    let h_median = median(ratios.iter().map(|h| h.norm()).collect());
    if h_median > 1.0 && median(raw.iter().map(|z| z.re).collect()) < 0.0 {
        return Err(problem(
            r,
            None,
            format!(
                "input 2 reads more than input 1 ({:+.1} dB at 1 kHz): the inputs are swapped; input 1 (left) goes on the output's side of the sense resistor, input 2 (right) on the headphone's side",
                gain_to_db(ratios[at_1k].norm())
            ),
        ));
    }
    if magnitude < SHORTED_OHM {
        return Err(problem(
            r,
            None,
            format!(
                "the headphone reads {} Ω at 1 kHz: its side of the sense resistor is shorted (a shorted cable or jig), or this is not a headphone",
                fmt_sig(raw[at_1k].norm())
            ),
        ));
    }
    Ok(())
}

/// The refusal a calibration's ratios call for: input 2 not on input 1's point.
fn check_calibration(r: &Recording, s: &Spectra, freqs: &[f64]) -> Result<(), RecordingProblem> {
    let levels: Vec<f64> = (0..freqs.len())
        .map(|i| gain_to_db(s.ratio(i).0.norm()))
        .collect();
    let lo = levels.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = levels.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if hi - lo > CALIBRATION_SPREAD_DB {
        return Err(problem(
            r,
            None,
            format!(
                "input 2 over input 1 varies by {:.1} dB over the band: in a calibration both inputs record one point (the output's side of the sense resistor), and then they differ by their gains alone",
                hi - lo
            ),
        ));
    }
    Ok(())
}

/// The headphone's impedance for the ratio `h` with the sense resistor `r_ohm` and input 2's
/// impedance `zin_ohm` across the headphone.
fn impedance(h: Complex64, r_ohm: f64, zin_ohm: f64) -> Complex64 {
    r_ohm * h / (1.0 - (1.0 + r_ohm / zin_ohm) * h)
}

/// The disc of impedances the disc of ratios `|H − h| ≤ rho` maps onto, as its centre and
/// radius; `None` when the ratios' disc reaches the pole (an open jig's ratio), so that the
/// impedance is unbounded. With `k = 1 + R/Z_in`, `Z = (R/k)·(1/u − 1)` where `u = 1 − k·H`
/// runs over the disc of centre `1 − k·h` and radius `k·ρ`; inverting a disc that leaves out
/// the origin gives the disc of centre `conj(u₀)/(|u₀|² − ρ_u²)` and radius
/// `ρ_u/(|u₀|² − ρ_u²)`.
fn image_disc(h: Complex64, rho: f64, r_ohm: f64, zin_ohm: f64) -> Option<(Complex64, f64)> {
    let k = 1.0 + r_ohm / zin_ohm;
    let u0 = 1.0 - k * h;
    let rho_u = k * rho;
    let d = u0.norm_sqr() - rho_u * rho_u;
    if d <= 0.0 {
        return None;
    }
    let scale = r_ohm / k;
    Some((scale * (u0.conj() / d - 1.0), scale * rho_u / d))
}

/// The row at `freq_hz` for the ratio `h` known within `rho`: its value with `zin` and the
/// marked resistor, its range over every resistor and input impedance it may have had; `None`
/// when the range is unbounded.
fn row(
    freq_hz: f64,
    h: Complex64,
    rho: f64,
    setup: &HeadphoneSetup,
    input_ohm: [f64; 2],
    zin: f64,
) -> Option<ImpedanceRow> {
    let z = impedance(h, setup.sense_ohm, zin);
    let phase = |z: Complex64| z.arg().to_degrees().clamp(-90.0, 90.0);
    let mut mag = [z.norm(); 2];
    let mut ph = [phase(z); 2];
    let tolerance = setup.sense_tolerance;
    for r in [1.0 - tolerance, 1.0, 1.0 + tolerance].map(|t| setup.sense_ohm * t) {
        for zin in [input_ohm[0], zin, input_ohm[1]] {
            let (c, radius) = image_disc(h, rho, r, zin)?;
            let centre = c.norm();
            mag = [
                mag[0].min((centre - radius).max(0.0)),
                mag[1].max(centre + radius),
            ];
            let (lo, hi) = if radius < centre {
                let half = (radius / centre).asin();
                (c.arg() - half, c.arg() + half)
            } else {
                (-PI, PI)
            };
            ph = [
                ph[0].min(lo.to_degrees().clamp(-90.0, 90.0)),
                ph[1].max(hi.to_degrees().clamp(-90.0, 90.0)),
            ];
        }
    }
    Some(ImpedanceRow {
        freq_hz,
        z_ohm: Ranged {
            value: z.norm(),
            range: mag,
        },
        phase_deg: Ranged {
            value: phase(z),
            range: ph,
        },
    })
}

/// `value` with `range` widened, if need be, to hold it.
fn holding(value: f64, range: [f64; 2]) -> Ranged {
    Ranged {
        value,
        range: [range[0].min(value), range[1].max(value)],
    }
}

/// The key points with their ranges: each from the row it was read at. The peak's frequency
/// spans the rows that may be the peak, given how far each may move against the others
/// (`shape`, relative).
fn key_points(rows: &[ImpedanceRow], shape: &[f64], k: &CurveKeyPoints) -> HeadphoneKeyPoints {
    let nearest = |f: f64| {
        (0..rows.len())
            .min_by(|&a, &b| {
                (rows[a].freq_hz / f)
                    .ln()
                    .abs()
                    .total_cmp(&(rows[b].freq_hz / f).ln().abs())
            })
            .expect("rows")
    };
    let at = |f: f64, value: f64| holding(value, rows[nearest(f)].z_ohm.range);
    let resonance = k.resonance.map(|(f, z)| {
        let i = nearest(f);
        // The rows that may reach the peak's lowest may hold the true peak; it lies within
        // half a step of the outermost of them.
        let floor = rows[i].z_ohm.value * (1.0 - shape[i]);
        let could = |j: &usize| rows[*j].z_ohm.value * (1.0 + shape[*j]) >= floor;
        let first = (0..=i).rev().take_while(could).last().unwrap_or(i);
        let last = (i..rows.len()).take_while(could).last().unwrap_or(i);
        let half = 10f64.powf(0.5 / f64::from(JIG_POINTS_PER_DECADE));
        Resonance {
            f_hz: holding(f, [rows[first].freq_hz / half, rows[last].freq_hz * half]),
            z_ohm: holding(z, rows[i].z_ohm.range),
        }
    });
    HeadphoneKeyPoints {
        rdc_ohm: holding(k.rdc_ohm, rows[0].z_ohm.range),
        z_1k_ohm: at(KEY_FREQS_HZ[0], k.z_1k_ohm),
        z_10k_ohm: at(KEY_FREQS_HZ[1], k.z_10k_ohm),
        resonance,
    }
}

impl HeadphoneMeasurement {
    /// What the setup was, in words, for the entry's note and the text.
    pub fn setup_text(&self) -> String {
        let s = &self.setup;
        let input = match s.input_ohm {
            Some(z) => format!("input 2 {} Ω", fmt_sig(z)),
            None => format!(
                "input 2's impedance not given (taken as {}–{} Ω)",
                fmt_sig(self.input_ohm[0]),
                fmt_sig(self.input_ohm[1])
            ),
        };
        let matched = match &self.calibration {
            Some(c) => format!("inputs matched by the calibration {c}"),
            None => format!(
                "inputs taken to match within {} dB (no calibration)",
                fmt_sig(UNCALIBRATED_MATCH_DB)
            ),
        };
        format!(
            "sense-resistor jig: {} Ω ±{} % in series, {input}, {matched}",
            fmt_sig(s.sense_ohm),
            fmt_sig(s.sense_tolerance * 100.0)
        )
    }

    /// The key points and every third-octave's impedance, as a producer reads them, each with
    /// its range.
    pub fn text(&self) -> String {
        let mut lines = vec![format!("  setup       {}", self.setup_text())];
        let mut line = |label: &str, text: String| lines.push(format!("  {label:<11} {text}"));
        let k = &self.key;
        line(
            "R_dc",
            format!(
                "{} (|Z| at {})",
                ranged_text(&k.rdc_ohm, "Ω"),
                fmt_hz(self.rows[0].freq_hz)
            ),
        );
        line("1 kHz", ranged_text(&k.z_1k_ohm, "Ω"));
        line("10 kHz", ranged_text(&k.z_10k_ohm, "Ω"));
        line(
            "resonance",
            k.resonance.map_or_else(
                || "none: the curve has no peak (a flat curve, as a planar's)".into(),
                |r| {
                    format!(
                        "{} at {}",
                        ranged_text(&r.z_ohm, "Ω"),
                        ranged_text(&r.f_hz, "Hz")
                    )
                },
            ),
        );
        let ratio = k.z_1k_ohm.value / self.setup.sense_ohm;
        if !(1.0 / SENSE_FAR..=SENSE_FAR).contains(&ratio) {
            line(
                "note",
                format!(
                    "the sense resistor is {}× the headphone's |Z| at 1 kHz; one nearer {} Ω would narrow the ranges",
                    fmt_sig(1.0 / ratio),
                    fmt_sig(k.z_1k_ohm.value)
                ),
            );
        }
        lines.push("  frequency   |Z|                          phase".into());
        let third_octave = (JIG_POINTS_PER_DECADE / 10) as usize;
        for (i, row) in self.rows.iter().enumerate() {
            if i % third_octave != 0 {
                continue;
            }
            let p = &row.phase_deg;
            lines.push(format!(
                "  {:>9}   {:<28} {:+.1}° ({:+.1}…{:+.1})",
                fmt_hz(row.freq_hz),
                ranged_text(&row.z_ohm, "Ω"),
                p.value,
                p.range[0],
                p.range[1]
            ));
        }
        lines.join("\n")
    }

    /// The measurement as a headphone of the user's catalog, `maker` `model` of `kind`,
    /// measured on `date`, with `sensitivity` (which the jig does not measure): its key points
    /// read from the curve as `loadline user add-headphone --curve-file` reads them, each
    /// measured, with its range and the setup in its note; its nominal impedance its |Z| at
    /// 1 kHz.
    pub fn to_entry(
        &self,
        maker: &str,
        model: &str,
        kind: &str,
        sensitivity: Sensitivity,
        date: &str,
    ) -> HeadphoneEntry {
        let note = format!("{}; {date}", self.setup_text());
        let figure = |value: f64| Figure {
            value,
            basis: Basis::Measured,
            source: SOURCE.into(),
            note: note.clone(),
            range: None,
        };
        let ranged = |r: &Ranged| Figure {
            range: Some(r.range),
            ..figure(r.value)
        };
        let mut points = self.curve_key.key_points(figure);
        let k = &self.key;
        points.rdc_ohm = ranged(&k.rdc_ohm);
        points.z_1k_ohm = ranged(&k.z_1k_ohm);
        points.z_10k_ohm = ranged(&k.z_10k_ohm);
        if let Some(r) = &k.resonance {
            points.f_res_hz = Some(ranged(&r.f_hz));
            points.z_res_ohm = Some(ranged(&r.z_ohm));
        }
        HeadphoneEntry {
            index: 0,
            maker: maker.into(),
            model: model.into(),
            variant: String::new(),
            kind: kind.into(),
            nominal_ohm: ranged(&k.z_1k_ohm),
            sensitivity,
            curve: format!("{SOURCE}: {} (sense-resistor jig)", self.file),
            points,
        }
    }
}

/// One analysed frequency as `loadline measure headphone --json` prints it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ImpedanceJsonRow {
    /// The frequency, Hz.
    pub freq_hz: f64,
    /// |Z|, ohms.
    pub mag_ohm: f64,
    /// Its range, `[low, high]`.
    pub mag_ohm_range: [f64; 2],
    /// The phase, degrees.
    pub phase_deg: f64,
    /// Its range.
    pub phase_deg_range: [f64; 2],
}

/// A measurement as `loadline measure headphone --json` prints it: each key point flat, with
/// its range beside it (`null` where the curve has no resonance), and every analysed
/// frequency's row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeadphoneJson {
    /// |Z| at 20 Hz (the DC resistance, near enough), ohms.
    pub rdc_ohm: f64,
    /// Its range.
    pub rdc_ohm_range: [f64; 2],
    /// |Z| at 1 kHz, ohms.
    pub z_1k_ohm: f64,
    /// Its range.
    pub z_1k_ohm_range: [f64; 2],
    /// |Z| at 10 kHz, ohms.
    pub z_10k_ohm: f64,
    /// Its range.
    pub z_10k_ohm_range: [f64; 2],
    /// The resonance's frequency, Hz (`null`: no peak).
    pub f_res_hz: Option<f64>,
    /// Its range.
    pub f_res_hz_range: Option<[f64; 2]>,
    /// |Z| at the resonance, ohms.
    pub z_res_ohm: Option<f64>,
    /// Its range.
    pub z_res_ohm_range: Option<[f64; 2]>,
    /// The sense resistor, ohms, and its tolerance, %.
    pub sense_ohm: f64,
    /// The sense resistor's tolerance, %.
    pub sense_tolerance_pct: f64,
    /// Input 2's impedance used, ohms (given, or the range assumed).
    pub input_ohm: [f64; 2],
    /// Whether a calibration recording measured the inputs' match.
    pub calibrated: bool,
    /// The setup in words.
    pub setup: String,
    /// The impedance at each analysed frequency (1/24 octave, 20 Hz–20 kHz).
    pub rows: Vec<ImpedanceJsonRow>,
}

impl From<&HeadphoneMeasurement> for HeadphoneJson {
    fn from(m: &HeadphoneMeasurement) -> Self {
        let k = &m.key;
        HeadphoneJson {
            rdc_ohm: k.rdc_ohm.value,
            rdc_ohm_range: k.rdc_ohm.range,
            z_1k_ohm: k.z_1k_ohm.value,
            z_1k_ohm_range: k.z_1k_ohm.range,
            z_10k_ohm: k.z_10k_ohm.value,
            z_10k_ohm_range: k.z_10k_ohm.range,
            f_res_hz: k.resonance.map(|r| r.f_hz.value),
            f_res_hz_range: k.resonance.map(|r| r.f_hz.range),
            z_res_ohm: k.resonance.map(|r| r.z_ohm.value),
            z_res_ohm_range: k.resonance.map(|r| r.z_ohm.range),
            sense_ohm: m.setup.sense_ohm,
            sense_tolerance_pct: m.setup.sense_tolerance * 100.0,
            input_ohm: m.input_ohm,
            calibrated: m.calibration.is_some(),
            setup: m.setup_text(),
            rows: m
                .rows
                .iter()
                .map(|r| ImpedanceJsonRow {
                    freq_hz: r.freq_hz,
                    mag_ohm: r.z_ohm.value,
                    mag_ohm_range: r.z_ohm.range,
                    phase_deg: r.phase_deg.value,
                    phase_deg_range: r.phase_deg.range,
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_image_of_a_disc_of_ratios_bounds_the_impedance_exactly() {
        let (r, zin) = (100.0, 20_000.0);
        let h = Complex64::new(0.3, -0.05);
        let rho = 0.01;
        let (c, radius) = image_disc(h, rho, r, zin).unwrap();
        for i in 0..360 {
            let a = f64::from(i).to_radians();
            let z = impedance(h + Complex64::from_polar(rho, a), r, zin);
            assert!(
                ((z - c).norm() - radius).abs() < 1e-9 * radius.max(1.0),
                "{i}"
            );
        }
        assert!((impedance(h, r, zin) - c).norm() < radius);
        assert!(image_disc(Complex64::new(0.99, 0.0), 0.02, r, f64::INFINITY).is_none());
    }

    #[test]
    fn the_spectra_of_a_sine_give_its_amplitude_and_phase() {
        let rate = 48_000.0;
        let x: Vec<f64> = (0..48_000)
            .map(|n| 0.5 * (2.0 * PI * 1000.0 * n as f64 / rate + 0.3).cos())
            .collect();
        let y: Vec<f64> = x.iter().map(|v| 0.25 * v + 0.1).collect();
        let (a, b) = dtft_pair(&x, 0.0, &y, 0.1, 1000.0 / rate);
        assert!((a.norm() - 0.25 * 48_000.0).abs() < 1e-6 * 48_000.0, "{a}");
        assert!((a.arg() - 0.3).abs() < 1e-9, "{a}");
        assert!(((b / a) - Complex64::from(0.25)).norm() < 1e-12);
    }
}
