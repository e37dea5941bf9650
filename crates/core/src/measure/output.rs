//! A headphone output measured from two recordings of the signal: open (the jack into the
//! line input alone) and loaded (a known resistor across the jack too), at one volume.
//!
//! The output is an EMF behind an impedance `Zo`. Into the input's impedance `Zin` it gives
//! `E·Zin/(Zin+Zo)`; with the resistor `R` as well, into `Zp = R∥Zin`, `E·Zp/(Zp+Zo)`. The
//! ratio `k` of the two, read at each stepped sine (the pilot corrects for a volume that moved
//! between the passes), gives `Zo`: as a resistance, and with a series coupling capacitor
//! where the bass says there is one. The open staircase gives the full scale (the EMF of a
//! 0 dBFS sine) and the rails (where it clips before 0 dBFS), the loaded one the current limit
//! (where it clips sooner), the silence the noise floor. Every figure carries a range from the
//! recordings themselves: the fits' noise, the pilot's drift, the resistor's tolerance, the
//! input impedance (given, or a range of line inputs') and the input's calibration.

use super::fit::{SineFit, band_noise, cycle_peak, sine_fit};
use super::recording::{Aligned, Recording, RecordingProblem, median};
use super::signal::{Part, PartKind};
use crate::catalog::range::valley_floor;
use crate::units::{dbu_to_vrms, gain_to_db, vrms_to_dbu};
use num_complex::Complex64;
use serde::Serialize;
use std::f64::consts::{PI, SQRT_2};

/// The line inputs' impedance assumed when none is given, ohms: from a combo jack's 10 kΩ line
/// input to a high-impedance instrument input's 1 MΩ.
pub const INPUT_OHM_ASSUMED: [f64; 2] = [10_000.0, 1_000_000.0];
/// The value taken within [`INPUT_OHM_ASSUMED`] for the central figures, ohms (a typical line
/// input's).
pub const INPUT_OHM_TYPICAL: f64 = 20_000.0;
/// How sure a calibration is, dB either way: a maker's stated input full scale is rounded to
/// a few tenths of a dB, and a multimeter's AC reading at the pilot's frequency is good to
/// about 2 %.
pub const CALIBRATION_TOLERANCE_DB: f64 = 0.2;
/// The most the pilot may differ between the passes before they count as two volumes, dB.
pub const MAX_PILOT_DRIFT_DB: f64 = 0.5;
/// The share of the pilot's correction that counts as uncertain: the two channels of a volume
/// control move together only so closely.
pub const DRIFT_TRACKING: f64 = 0.1;
/// A staircase step whose waveform peak falls this far below its fundamental's amplitude is
/// clipped (a clean sine's are equal; a sine clipped 3 % below its peak reads 0.976).
pub const CLIPPED_PEAK_RATIO: f64 = 0.99;
/// A loaded clip this far below the voltage the rails allow into the load is a current limit.
pub const CURRENT_LIMIT_MARGIN: f64 = 0.97;
/// The floor of a level ratio's relative uncertainty: what two recordings of one converter
/// agree to beyond their noise (cable, contacts), 0.001 dB.
const RATIO_FLOOR: f64 = 1.2e-4;
/// How finely the fits search, as a share of their bracket (60 golden-section steps').
const PRECISION: f64 = 1e-12;
/// The number of standard deviations a range spans either way.
const SPAN_SIGMAS: f64 = 2.5;

/// How the recordings' samples become volts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Calibration {
    /// The input's full scale from its manual: the level of a 0 dBFS sine, dBu.
    InputFullScaleDbu(f64),
    /// The pilot's voltage at the output read with a meter (open pass), V RMS; both inputs
    /// are taken to have the same gain.
    PilotVolts(f64),
}

/// What the measurement was made with.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct OutputSetup {
    /// The resistor across the jack in the loaded pass, ohms (its marked value).
    pub load_ohm: f64,
    /// How far the resistor may be from it, as a fraction (0.01 for 1 %).
    pub load_tolerance: f64,
    /// The line input's impedance, ohms, if known.
    pub input_ohm: Option<f64>,
    /// How samples become volts.
    pub calibration: Calibration,
}

/// A figure and where its true value lies.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Ranged {
    /// The figure.
    pub value: f64,
    /// `[lowest, highest]`.
    pub range: [f64; 2],
}

impl Ranged {
    fn spanning(value: f64, values: impl IntoIterator<Item = f64>) -> Self {
        let range = values
            .into_iter()
            .fold([value, value], |[lo, hi], v| [lo.min(v), hi.max(v)]);
        Ranged { value, range }
    }
}

/// The output impedance at one stepped sine.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FrequencyRow {
    /// The frequency, Hz.
    pub freq_hz: f64,
    /// The loaded pass's level over the open one's, dB (the pilot's correction applied).
    pub loaded_over_open_db: f64,
    /// The output impedance's magnitude there, ohms, and its range.
    pub z_out_ohm: Ranged,
}

/// Where each staircase first clipped, dBFS (`None`: not up to 0 dBFS).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ClipOnsets {
    /// Open, at 1 kHz.
    pub open_1k_dbfs: Option<f64>,
    /// Loaded, at 1 kHz.
    pub loaded_1k_dbfs: Option<f64>,
    /// Open, at 100 Hz.
    pub open_100_dbfs: Option<f64>,
    /// Loaded, at 100 Hz.
    pub loaded_100_dbfs: Option<f64>,
}

/// The noise floor as measured.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct NoiseFloor {
    /// Over 20 Hz–20 kHz, dBV.
    pub dbv: Ranged,
    /// A-weighted, dBV(A).
    pub dbv_a: Ranged,
    /// Whether these are only upper bounds: the output's noise did not stand 3 dB above the
    /// input's own floor (or no recording of that floor was given), so the input's is in them.
    pub upper_bound: bool,
}

impl NoiseFloor {
    fn shifted(self, db: f64) -> Self {
        let shift = |r: Ranged| Ranged {
            value: r.value + db,
            range: r.range.map(|v| v + db),
        };
        NoiseFloor {
            dbv: shift(self.dbv),
            dbv_a: shift(self.dbv_a),
            ..self
        }
    }
}

/// Everything two recordings tell of an output.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutputMeasurement {
    /// What it was measured with.
    pub setup: OutputSetup,
    /// The input impedance used, ohms: given, or the range assumed.
    pub input_ohm: [f64; 2],
    /// The output resistance, ohms.
    pub r_out_ohm: Ranged,
    /// The series coupling capacitor, µF, where the bass shows one.
    pub coupling_cap_uf: Option<Ranged>,
    /// The EMF of a 0 dBFS sine at the volume of the recordings, volts peak.
    pub full_scale_v_peak: Ranged,
    /// The same as a level, dBu (a sine's RMS).
    pub full_scale_dbu: Ranged,
    /// The rails, EMF volts peak, where the open pass clipped before 0 dBFS.
    pub rail_v_peak: Option<Ranged>,
    /// The current limit, mA peak, where the loaded pass clipped sooner than the rails allow.
    pub i_max_ma_peak: Option<Ranged>,
    /// The noise floor at the volume of the recordings.
    pub noise: NoiseFloor,
    /// The dynamic range, dB(A) below a full-scale sine (a lower bound when the noise is an
    /// upper one).
    pub dynamic_range_db: Ranged,
    /// Where the staircases clipped.
    pub clips: ClipOnsets,
    /// The pilot in the loaded pass relative to the open one, dB (corrected for).
    pub pilot_drift_db: f64,
    /// The output impedance at each stepped sine.
    pub rows: Vec<FrequencyRow>,
}

/// One pass read: a fit per stepped sine and per step, the pilot, the silence.
struct Pass<'a> {
    aligned: Aligned<'a>,
    tones: Vec<SineFit>,
    steps_1k: Vec<(f64, SineFit, f64)>,
    steps_100: Vec<(f64, SineFit, f64)>,
    /// The pilot's amplitude (median of its windows) and its relative standard error.
    pilot: (f64, f64),
}

impl<'a> Pass<'a> {
    fn read(recording: &'a Recording) -> Result<Self, RecordingProblem> {
        let aligned = recording.align()?;
        let rate = recording.rate_hz;
        let fit = |p: &Part| {
            sine_fit(
                aligned.span(&recording.left, p.read_from, p.read_to),
                p.freq_hz,
                rate,
            )
        };
        let step = |p: &Part| {
            let x = aligned.span(&recording.left, p.read_from, p.read_to);
            (
                p.level_dbfs,
                sine_fit(x, p.freq_hz, rate),
                cycle_peak(x, p.freq_hz, rate),
            )
        };
        let layout = &aligned.layout;
        let tones = layout.parts_of(PartKind::Tone).map(fit).collect();
        let steps_1k = layout.parts_of(PartKind::Step1k).map(step).collect();
        let steps_100 = layout.parts_of(PartKind::Step100).map(step).collect();
        let windows: Vec<f64> = aligned.pilot_windows().iter().map(|w| w.1).collect();
        let amp = median(windows.clone());
        let spread = (windows.iter().map(|a| (a / amp - 1.0).powi(2)).sum::<f64>()
            / windows.len().max(1) as f64)
            .sqrt();
        let pilot = (amp, spread / (windows.len().max(1) as f64).sqrt());
        Ok(Pass {
            aligned,
            tones,
            steps_1k,
            steps_100,
            pilot,
        })
    }

    fn problem(&self, message: String) -> RecordingProblem {
        RecordingProblem {
            file: self.aligned.recording.name.clone(),
            at_s: None,
            message,
        }
    }

    /// The first clipped step's level and the clipped steps' peaks (in full-scale units).
    fn clipped(steps: &[(f64, SineFit, f64)]) -> (Option<f64>, Vec<f64>) {
        let clipped: Vec<&(f64, SineFit, f64)> = steps
            .iter()
            .filter(|(_, fit, peak)| *peak < CLIPPED_PEAK_RATIO * fit.amp)
            .collect();
        (
            clipped.first().map(|s| s.0),
            clipped.iter().map(|s| s.2).collect(),
        )
    }

    /// The silence of the left channel, past its first quarter second.
    fn silence(&self) -> &[f64] {
        let part = self
            .aligned
            .layout
            .parts_of(PartKind::Silence)
            .next()
            .expect("the layout has a silence");
        let skip = (0.25 * self.aligned.recording.rate_hz) as usize;
        self.aligned.span(
            &self.aligned.recording.left,
            part.start + skip,
            part.start + part.len,
        )
    }
}

/// The output resistance `R` (with a series reactance `x_ohm`, ≤ 0 for a capacitor) that
/// gives the level ratio `k` between `zp_ohm` (the load with the input) and `zin_ohm`: the
/// positive root of `(q−1)R² + 2(q·Zp − Zin)R + q(Zp² + X²) − Zin² − X² = 0`, `q = k²Zin²/Zp²`
/// (from `|k|² = Zp²|Zin+Zo|² / (Zin²|Zp+Zo|²)`); 0 where noise puts `k` past what any
/// resistance gives.
pub fn r_out_from_ratio(k: f64, x_ohm: f64, zp_ohm: f64, zin_ohm: f64) -> f64 {
    let q = (k * zin_ohm / zp_ohm).powi(2);
    let (a, b) = (q - 1.0, 2.0 * (q * zp_ohm - zin_ohm));
    let c = q * (zp_ohm * zp_ohm + x_ohm * x_ohm) - zin_ohm * zin_ohm - x_ohm * x_ohm;
    let root = if a.abs() < 1e-12 {
        -c / b
    } else {
        let disc = (b * b - 4.0 * a * c).max(0.0);
        (-b + disc.sqrt()) / (2.0 * a)
    };
    if root.is_finite() { root.max(0.0) } else { 0.0 }
}

/// A capacitor's reactance, ohms (negative; 0 for none).
fn reactance(c_uf: Option<f64>, freq_hz: f64) -> f64 {
    c_uf.map_or(0.0, |c| -1.0 / (2.0 * PI * freq_hz * c * 1e-6))
}

/// The loads a measurement may have had: each end of the resistor's tolerance with each end
/// of the input impedance, as (Zp, Zin).
fn corners(setup: &OutputSetup, input_ohm: [f64; 2]) -> Vec<(f64, f64)> {
    let mut v = Vec::new();
    for r in [1.0 - setup.load_tolerance, 1.0 + setup.load_tolerance] {
        for zin in input_ohm {
            let r = setup.load_ohm * r;
            v.push((r * zin / (r + zin), zin));
        }
    }
    v
}

/// The ratio at each stepped sine with its relative standard deviation.
struct Ratios {
    freq_hz: Vec<f64>,
    k: Vec<f64>,
    sigma: Vec<f64>,
}

impl Ratios {
    /// The ratio a resistance `r` with a capacitor `c_uf` gives at stepped sine `i`.
    fn model(&self, i: usize, r: f64, c_uf: Option<f64>, zp: f64, zin: f64) -> f64 {
        let zo = Complex64::new(r, reactance(c_uf, self.freq_hz[i]));
        zp * (zo + zin).norm() / (zin * (zo + zp).norm())
    }

    /// How far the ratios lie from those of `r` with `c_uf`, in their standard deviations
    /// (a χ²), each shifted by `shift` of them (a systematic error the range must cover).
    fn chi2_at(&self, r: f64, c_uf: Option<f64>, (zp, zin): (f64, f64), shift: f64) -> f64 {
        (0..self.k.len())
            .map(|i| {
                let k = self.k[i] * (1.0 + shift * self.sigma[i]);
                ((k - self.model(i, r, c_uf, zp, zin)) / (self.k[i] * self.sigma[i])).powi(2)
            })
            .sum()
    }

    /// The resistance that best explains the ratios with `c_uf`, and its χ².
    fn fit_r(&self, c_uf: Option<f64>, loads: (f64, f64), shift: f64) -> (f64, f64) {
        let cost = |r: f64| self.chi2_at(r, c_uf, loads, shift);
        let r = valley_floor(&cost, [0.0, crate::plausible::R_OUT_OHM.max], PRECISION);
        (r, cost(r))
    }

    /// The capacitor that best explains the ratios (`None`: a resistance alone does as
    /// well), with the range of those that explain them nearly as well.
    fn capacitor(&self, loads: (f64, f64)) -> Option<Ranged> {
        let cost = |log_c: f64| self.fit_r(Some(10f64.powf(log_c)), loads, 0.0).1;
        let (lo, hi) = (0.0, 5.0);
        let steps = 150;
        let grid: Vec<(f64, f64)> = (0..=steps)
            .map(|i| lo + (hi - lo) * i as f64 / steps as f64)
            .map(|c| (c, cost(c)))
            .collect();
        let best = grid.iter().min_by(|a, b| a.1.total_cmp(&b.1))?.0;
        let step = (hi - lo) / steps as f64;
        let best = valley_floor(
            &cost,
            [(best - step).max(lo), (best + step).min(hi)],
            PRECISION,
        );
        let with = cost(best);
        let without = self.fit_r(None, loads, 0.0).1;
        let dof = (self.k.len() as f64 - 2.0).max(1.0);
        let scale = (with / dof).max(1.0);
        // A capacitor must explain far more than noise to be claimed.
        if without - with < 25.0 * scale || best >= hi - step {
            return None;
        }
        let limit = with + 4.0 * scale;
        let edge = |outside: f64| {
            let (mut inside, mut outside) = (best, outside);
            if cost(outside) <= limit {
                return outside;
            }
            for _ in 0..50 {
                let mid = 0.5 * (inside + outside);
                if cost(mid) <= limit {
                    inside = mid;
                } else {
                    outside = mid;
                }
            }
            inside
        };
        Some(Ranged::spanning(
            10f64.powf(best),
            [10f64.powf(edge(lo)), 10f64.powf(edge(hi))],
        ))
    }
}

/// The measurement `open` and `loaded` support, with `floor` (a recording of the input with
/// nothing plugged in, at the same gain) to take the input's own noise out; or the first
/// reason they support none.
pub fn measure_output(
    open: &Recording,
    loaded: &Recording,
    floor: Option<&Recording>,
    setup: OutputSetup,
) -> Result<OutputMeasurement, RecordingProblem> {
    let o = Pass::read(open)?;
    let l = Pass::read(loaded)?;
    let pilot_drift_db = gain_to_db(l.pilot.0 / o.pilot.0);
    if pilot_drift_db.abs() > MAX_PILOT_DRIFT_DB {
        return Err(l.problem(format!(
            "the pilot on input 2 is {pilot_drift_db:+.2} dB from {}'s: the volume changed between the passes; record both at one volume setting",
            open.name
        )));
    }
    let drift_sigma =
        (DRIFT_TRACKING * (l.pilot.0 / o.pilot.0 - 1.0)).abs() + o.pilot.1.hypot(l.pilot.1);
    let correction = o.pilot.0 / l.pilot.0;
    let ratios = ratios(&o, &l, correction, drift_sigma);
    let at_1k = (ratios.freq_hz.iter())
        .position(|&f| (f - 1000.0).abs() < 1.0)
        .expect("the sweep holds 1 kHz");
    let k_1k = ratios.k[at_1k];
    if k_1k > 1.0 + SPAN_SIGMAS * k_1k * ratios.sigma[at_1k] {
        return Err(l.problem(format!(
            "it is {:+.2} dB louder than {} at 1 kHz, where the resistor can only lower it: are the two files swapped, or was the resistor on in the open pass?",
            gain_to_db(k_1k),
            open.name
        )));
    }
    let input_ohm = setup.input_ohm.map_or(INPUT_OHM_ASSUMED, |z| [z; 2]);
    let zin = setup.input_ohm.unwrap_or(INPUT_OHM_TYPICAL);
    let r = setup.load_ohm;
    let zp = r * zin / (r + zin);
    let cap = ratios.capacitor((zp, zin)).map(|c| {
        // The resistor's tolerance and the input's impedance move the capacitor as they
        // move the resistance: its range spans the fits at every load it may have had.
        let ends = corners(&setup, input_ohm)
            .into_iter()
            .filter_map(|loads| ratios.capacitor(loads))
            .flat_map(|c| c.range);
        Ranged::spanning(c.value, ends.chain(c.range))
    });
    let c_uf = cap.map(|c| c.value);
    let (r_fit, _) = ratios.fit_r(c_uf, (zp, zin), 0.0);
    let r_out_ohm = r_out_range(&ratios, &setup, input_ohm, cap, r_fit);
    let rows = rows(&ratios, &setup, input_ohm, cap, (zp, zin));
    let volts = volts_per_unit(&setup, &o);
    let zo_1k = Complex64::new(r_out_ohm.value, reactance(c_uf, 1000.0));
    let open_emf = |zin: f64| (Complex64::from(zin) + zo_1k).norm() / zin;
    let emf_ends = input_ohm.map(open_emf);
    let full_scale_v_peak = full_scale(&o, volts, open_emf(zin), emf_ends)
        .ok_or_else(|| o.problem("the 1 kHz staircase clipped from its lowest step: turn the volume down and record both passes again".into()))?;
    let full_scale_dbu = Ranged {
        value: vrms_to_dbu(full_scale_v_peak.value / SQRT_2),
        range: full_scale_v_peak.range.map(|v| vrms_to_dbu(v / SQRT_2)),
    };
    let (open_1k, open_peaks) = Pass::clipped(&o.steps_1k);
    let (loaded_1k, loaded_peaks) = Pass::clipped(&l.steps_1k);
    let rail_v_peak = (!open_peaks.is_empty()).then(|| {
        let peak = median(open_peaks.clone()) * volts;
        let ends = emf_ends.map(|e| peak * e);
        let mid = Ranged::spanning(peak * open_emf(zin), ends);
        let k = 10f64.powf(CALIBRATION_TOLERANCE_DB / 20.0);
        Ranged::spanning(mid.value, [mid.range[0] / k, mid.range[1] * k])
    });
    let i_max_ma_peak = current_limit(
        &setup,
        input_ohm,
        zin,
        zo_1k,
        rail_v_peak,
        &loaded_peaks,
        volts,
    );
    // The noise was read at the open jack, behind the divider the input makes.
    let noise = noise_floor(&o, floor, volts)?.shifted(gain_to_db(open_emf(zin)));
    let fs_dbv = gain_to_db(full_scale_v_peak.value / SQRT_2);
    let dynamic_range_db = Ranged {
        value: fs_dbv - noise.dbv_a.value,
        range: [
            gain_to_db(full_scale_v_peak.range[0] / SQRT_2) - noise.dbv_a.range[1],
            gain_to_db(full_scale_v_peak.range[1] / SQRT_2) - noise.dbv_a.range[0],
        ],
    };
    let clips = ClipOnsets {
        open_1k_dbfs: open_1k,
        loaded_1k_dbfs: loaded_1k,
        open_100_dbfs: Pass::clipped(&o.steps_100).0,
        loaded_100_dbfs: Pass::clipped(&l.steps_100).0,
    };
    Ok(OutputMeasurement {
        setup,
        input_ohm,
        r_out_ohm,
        coupling_cap_uf: cap,
        full_scale_v_peak,
        full_scale_dbu,
        rail_v_peak,
        i_max_ma_peak,
        noise,
        dynamic_range_db,
        clips,
        pilot_drift_db,
        rows,
    })
}

/// The loaded-over-open ratio at each stepped sine, corrected by the pilot.
fn ratios(o: &Pass, l: &Pass, correction: f64, drift_sigma: f64) -> Ratios {
    let layout = &o.aligned.layout;
    let freq_hz: Vec<f64> = layout.parts_of(PartKind::Tone).map(|p| p.freq_hz).collect();
    let (mut k, mut sigma) = (Vec::new(), Vec::new());
    for (a, b) in o.tones.iter().zip(&l.tones) {
        k.push(b.amp * correction / a.amp);
        let rel = (a.amp_sigma() / a.amp).hypot(b.amp_sigma() / b.amp);
        sigma.push(rel.hypot(drift_sigma).hypot(RATIO_FLOOR));
    }
    Ratios { freq_hz, k, sigma }
}

/// The output resistance across every load the measurement may have had, the ratios' noise
/// (all of them shifted together, as a drift would) and the capacitor's range.
fn r_out_range(
    ratios: &Ratios,
    setup: &OutputSetup,
    input_ohm: [f64; 2],
    cap: Option<Ranged>,
    value: f64,
) -> Ranged {
    let caps: Vec<Option<f64>> = match cap {
        Some(c) => vec![Some(c.range[0]), Some(c.value), Some(c.range[1])],
        None => vec![None],
    };
    let mut ends = Vec::new();
    for loads in corners(setup, input_ohm) {
        for &c_uf in &caps {
            for shift in [-SPAN_SIGMAS, SPAN_SIGMAS] {
                ends.push(ratios.fit_r(c_uf, loads, shift).0);
            }
        }
    }
    Ranged::spanning(value, ends)
}

/// The output impedance's magnitude at each stepped sine, with its range (across every
/// load, the ratio's noise and the capacitor's range).
fn rows(
    ratios: &Ratios,
    setup: &OutputSetup,
    input_ohm: [f64; 2],
    cap: Option<Ranged>,
    (zp, zin): (f64, f64),
) -> Vec<FrequencyRow> {
    let caps: Vec<Option<f64>> = match cap {
        Some(c) => vec![Some(c.range[0]), Some(c.range[1])],
        None => vec![None],
    };
    (0..ratios.k.len())
        .map(|i| {
            let f = ratios.freq_hz[i];
            let z = |k: f64, c_uf: Option<f64>, zp: f64, zin: f64| {
                let x = reactance(c_uf, f);
                r_out_from_ratio(k, x, zp, zin).hypot(x)
            };
            let dk = ratios.k[i] * SPAN_SIGMAS * ratios.sigma[i];
            let mut ends = Vec::new();
            for (zp, zin) in corners(setup, input_ohm) {
                for &c_uf in &caps {
                    ends.push(z(ratios.k[i] - dk, c_uf, zp, zin));
                    ends.push(z(ratios.k[i] + dk, c_uf, zp, zin));
                }
            }
            FrequencyRow {
                freq_hz: f,
                loaded_over_open_db: gain_to_db(ratios.k[i]),
                z_out_ohm: Ranged::spanning(z(ratios.k[i], cap.map(|c| c.value), zp, zin), ends),
            }
        })
        .collect()
}

/// Volts per full-scale unit on input 1.
fn volts_per_unit(setup: &OutputSetup, open: &Pass) -> f64 {
    match setup.calibration {
        Calibration::InputFullScaleDbu(dbu) => dbu_to_vrms(dbu) * SQRT_2,
        Calibration::PilotVolts(vrms) => vrms * SQRT_2 / open.pilot.0,
    }
}

/// The EMF of a 0 dBFS sine: from the open 1 kHz steps below any clipping, at −24 dBFS and
/// above (where the input's noise is far below them); `None` when the lowest step clipped.
fn full_scale(o: &Pass, volts: f64, emf: f64, emf_ends: [f64; 2]) -> Option<Ranged> {
    let clean: Vec<&(f64, SineFit, f64)> = o
        .steps_1k
        .iter()
        .take_while(|(_, fit, peak)| *peak >= CLIPPED_PEAK_RATIO * fit.amp)
        .collect();
    let usable: Vec<&&(f64, SineFit, f64)> = clean.iter().filter(|s| s.0 >= -24.0).collect();
    let chosen: Vec<&(f64, SineFit, f64)> = if usable.is_empty() {
        clean.to_vec()
    } else {
        usable.into_iter().copied().collect()
    };
    if chosen.is_empty() {
        return None;
    }
    let each = |(level, fit, _): &(f64, SineFit, f64)| fit.amp * volts / 10f64.powf(level / 20.0);
    let at_jack = median(chosen.iter().map(|s| each(s)).collect());
    let rel_sigma = chosen
        .iter()
        .map(|(_, fit, _)| fit.amp_sigma() / fit.amp)
        .fold(0.0, f64::max);
    let k = 10f64.powf(CALIBRATION_TOLERANCE_DB / 20.0) * (1.0 + SPAN_SIGMAS * rel_sigma);
    let mid = at_jack * emf;
    let ends = emf_ends.map(|e| at_jack * e);
    Some(Ranged::spanning(
        mid,
        [ends[0].min(mid) / k, ends[1].max(mid) * k],
    ))
}

/// The current limit: where the loaded 1 kHz staircase clipped below the voltage the rails
/// allow into the load (or clipped at all, with no rails), its peak voltage over the load.
fn current_limit(
    setup: &OutputSetup,
    input_ohm: [f64; 2],
    zin: f64,
    zo_1k: Complex64,
    rails: Option<Ranged>,
    loaded_peaks: &[f64],
    volts: f64,
) -> Option<Ranged> {
    if loaded_peaks.is_empty() {
        return None;
    }
    let peak = median(loaded_peaks.to_vec()) * volts;
    let zp = setup.load_ohm * zin / (setup.load_ohm + zin);
    if let Some(rail) = rails {
        let allowed = rail.value * zp / (Complex64::from(zp) + zo_1k).norm();
        if peak >= CURRENT_LIMIT_MARGIN * allowed {
            return None;
        }
    }
    let k = 10f64.powf(CALIBRATION_TOLERANCE_DB / 20.0);
    let ends = corners(setup, input_ohm)
        .into_iter()
        .flat_map(|(zp, _)| [peak / zp / k, peak / zp * k])
        .map(|a| a * 1000.0)
        .collect::<Vec<_>>();
    Some(Ranged::spanning(peak / zp * 1000.0, ends))
}

/// The noise floor in the open pass's silence, with the input's own floor taken out where
/// the output's stands 3 dB above it.
fn noise_floor(
    o: &Pass,
    floor: Option<&Recording>,
    volts: f64,
) -> Result<NoiseFloor, RecordingProblem> {
    let rate = o.aligned.recording.rate_hz;
    let own = band_noise(o.silence(), rate)
        .ok_or_else(|| o.problem("the silence is too short to read a noise floor from".into()))?;
    let floor_noise = match floor {
        Some(f) => {
            if f.rate_hz != rate {
                return Err(RecordingProblem {
                    file: f.name.clone(),
                    at_s: None,
                    message: format!(
                        "recorded at {} Hz, the passes at {rate} Hz: record the input's floor at the passes' rate",
                        f.rate_hz
                    ),
                });
            }
            let skip = (0.25 * rate) as usize;
            let x = &f.left[skip.min(f.left.len())..f.left.len().saturating_sub(skip)];
            Some(band_noise(x, rate).ok_or_else(|| RecordingProblem {
                file: f.name.clone(),
                at_s: None,
                message: "too short to read a noise floor from: record a few seconds".into(),
            })?)
        }
        None => None,
    };
    let cal_k = 10f64.powf(CALIBRATION_TOLERANCE_DB / 10.0);
    let v2 = volts * volts;
    // Each figure's range: the estimates' noise (a spread of SPAN_SIGMAS of them) and the
    // calibration; with the input's floor taken out, the floor's own noise too.
    let level = |(total, n): (f64, f64), floor: Option<(f64, f64)>| -> (Ranged, bool) {
        let rel = SPAN_SIGMAS / n.sqrt();
        match floor {
            Some((fl, floor_n)) if total >= 2.0 * fl => {
                let frel = SPAN_SIGMAS / floor_n.sqrt();
                let out = total - fl;
                let lo = (total * (1.0 - rel) - fl * (1.0 + frel)).max(out * 0.1);
                let hi = total * (1.0 + rel) - fl * (1.0 - frel);
                let range = [
                    10.0 * (lo * v2 / cal_k).log10(),
                    10.0 * (hi * v2 * cal_k).log10(),
                ];
                let value = 10.0 * (out * v2).log10();
                (Ranged { value, range }, false)
            }
            _ => {
                let range = [
                    crate::plausible::NOISE_DBV.min,
                    10.0 * (total * (1.0 + rel) * v2 * cal_k).log10(),
                ];
                let value = 10.0 * (total * v2).log10();
                (Ranged { value, range }, true)
            }
        }
    };
    let (dbv, bound) = level(
        (own.flat, own.estimates_flat),
        floor_noise.map(|f| (f.flat, f.estimates_flat)),
    );
    let (dbv_a, bound_a) = level(
        (own.weighted, own.estimates_weighted),
        floor_noise.map(|f| (f.weighted, f.estimates_weighted)),
    );
    Ok(NoiseFloor {
        dbv,
        dbv_a,
        upper_bound: bound || bound_a,
    })
}
