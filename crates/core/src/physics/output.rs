//! The output stage's level chain: digital full scale to volts, rails, current limit, noise,
//! and the figures a producer reads (maximum SPL and what limits it, headroom, noise floor,
//! damping factor, the 1/8 rule, the deviation span of `T`).
//!
//! Conventions: levels in dBFS follow AES17 (a full-scale sine is 0 dBFS RMS); voltages are
//! peak where the name says `_peak`, RMS where it says `_rms`; SPL is dB re 20 µPa.

use super::impedance::{Impedance, log_spaced, log_spaced_at};
use super::source::TheveninSource;
use super::supply::SupplyShare;
use crate::units::{db_to_gain, dbu_to_vrms, dbv_to_vrms, gain_to_db};
use std::f64::consts::{PI, SQRT_2};
use std::sync::OnceLock;

/// The band all figures are computed over, Hz.
pub const AUDIO_BAND_HZ: (f64, f64) = (20.0, 20_000.0);
/// RMS level of the reference signal that a target SPL refers to, dBFS (AES17).
pub const REFERENCE_DBFS_RMS: f64 = -18.0;

/// Sensitivity in dB SPL/V from dB SPL/mW and the nominal impedance it refers to.
pub fn sens_db_spl_per_v_from_mw(sens_db_spl_per_mw: f64, z_nominal_ohm: f64) -> f64 {
    sens_db_spl_per_mw + 10.0 * (1000.0 / z_nominal_ohm).log10()
}

/// IEC 61672 A-weighting as a linear amplitude factor (1.0 at 1 kHz).
pub fn a_weighting(freq_hz: f64) -> f64 {
    let f2 = freq_hz * freq_hz;
    let (c1, c2, c3, c4) = (
        20.598_997f64.powi(2),
        107.652_65f64.powi(2),
        737.862_23f64.powi(2),
        12_194.217f64.powi(2),
    );
    let ra = c4 * f2 * f2 / ((f2 + c1) * ((f2 + c2) * (f2 + c3)).sqrt() * (f2 + c4));
    // +2.00 dB normalises the curve to 0 dB at 1 kHz.
    ra * db_to_gain(2.0)
}

/// Points of the integration grid for band figures.
const BAND_GRID_POINTS: usize = 2000;

/// Integration grid for band figures: log-spaced points with their widths (trapezoid in f),
/// made as they are read, so that a band figure allocates nothing (a chain's noise is summed
/// on the audio thread).
fn band_grid() -> impl Iterator<Item = (f64, f64)> {
    let pts = |i: usize| {
        (i < BAND_GRID_POINTS)
            .then(|| log_spaced_at(AUDIO_BAND_HZ.0, AUDIO_BAND_HZ.1, BAND_GRID_POINTS, i))
    };
    let mut window = [None, pts(0), pts(1)];
    let mut next = 2;
    std::iter::from_fn(move || {
        let f = window[1]?;
        let lo = window[0].map_or(f, |p| 0.5 * (p + f));
        let hi = window[2].map_or(f, |n| 0.5 * (f + n));
        window = [window[1], window[2], pts(next)];
        next += 1;
        Some((f, hi - lo))
    })
}

/// A noise source: its level over 20 Hz–20 kHz (A-weighted or not) and an optional 1/f
/// (flicker) region below a corner frequency.
///
/// The spectral shape is `S(f) = N0²·(1 + Σ w_k / (1 + (f/f_k)²))`: the 1/f part is a sum of
/// Lorentzians, two per decade from the corner down to 2 Hz, which the real-time generator
/// realises exactly as one-pole lowpass filters; so the predicted and generated levels come
/// from one model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NoiseSpec {
    /// Level over 20 Hz–20 kHz, volts RMS (0 = silent).
    pub level_vrms: f64,
    /// Whether `level_vrms` is A-weighted.
    pub a_weighted: bool,
    /// Frequency below which 1/f noise rises above the white floor, Hz (0 = white only).
    pub flicker_corner_hz: f64,
}

/// Most Lorentzian terms the 1/f part uses.
pub const MAX_FLICKER_TERMS: usize = 16;
/// Lowest Lorentzian corner of the 1/f part, Hz.
const FLICKER_FLOOR_HZ: f64 = 2.0;

impl NoiseSpec {
    /// Silence.
    pub const SILENT: NoiseSpec = NoiseSpec {
        level_vrms: 0.0,
        a_weighted: false,
        flicker_corner_hz: 0.0,
    };

    /// The 1/f part's Lorentzians: (corner Hz, weight relative to the white density).
    /// Spaced two per decade; each weighted `fc/f_k · ln(10)/(2·π/2)` so that their sum
    /// follows `fc/f` between the lowest corner and `fc` (within about ±0.5 dB).
    pub fn flicker_terms(&self) -> ([(f64, f64); MAX_FLICKER_TERMS], usize) {
        let mut out = [(0.0, 0.0); MAX_FLICKER_TERMS];
        if self.flicker_corner_hz <= FLICKER_FLOOR_HZ {
            return (out, 0);
        }
        let step = 10f64.powf(0.5);
        let spacing_weight = step.ln() / (PI / 2.0);
        let mut n = 0;
        let mut fk = self.flicker_corner_hz;
        while fk >= FLICKER_FLOOR_HZ && n < MAX_FLICKER_TERMS {
            out[n] = (fk, self.flicker_corner_hz / fk * spacing_weight);
            n += 1;
            fk /= step;
        }
        (out, n)
    }

    /// The dimensionless spectral shape `S(f)/N0²`.
    pub fn shape(&self, freq_hz: f64) -> f64 {
        let (terms, n) = self.flicker_terms();
        1.0 + terms[..n]
            .iter()
            .map(|(fk, w)| w / (1.0 + (freq_hz / fk).powi(2)))
            .sum::<f64>()
    }

    /// The white density `N0²` in V²/Hz that gives `level_vrms` as specified.
    pub fn white_density_v2_per_hz(&self) -> f64 {
        if self.level_vrms <= 0.0 {
            return 0.0;
        }
        self.level_vrms * self.level_vrms / self.band_integral_hz()
    }

    /// `∫ S(f)/N0² · A(f)² df` over the band (`A` = 1 unless A-weighted), Hz: the level's
    /// square per unit of white density. White noise's two integrals are computed once and
    /// kept, so that a chain's stage can be formed on the audio thread without allocating.
    pub fn band_integral_hz(&self) -> f64 {
        static WHITE: OnceLock<[f64; 2]> = OnceLock::new();
        if self.flicker_corner_hz <= FLICKER_FLOOR_HZ {
            let white = WHITE.get_or_init(|| {
                [false, true].map(|a_weighted| {
                    NoiseSpec {
                        a_weighted,
                        ..NoiseSpec::SILENT
                    }
                    .integrate()
                })
            });
            return white[usize::from(self.a_weighted)];
        }
        self.integrate()
    }

    /// Computes the integrals `band_integral_hz` keeps, so that no later call allocates
    /// (a plugin calls it before its audio thread runs).
    pub fn warm_up() {
        NoiseSpec::SILENT.band_integral_hz();
    }

    fn integrate(&self) -> f64 {
        band_grid()
            .map(|(f, df)| {
                let a = if self.a_weighted { a_weighting(f) } else { 1.0 };
                self.shape(f) * a * a * df
            })
            .sum()
    }
}

/// What limits the level first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// The converter's full scale at the current volume (0 dBFS).
    DigitalFullScale,
    /// A chain's source stage (its rails, or its current into the amplifier's input), ahead
    /// of the amplifier's volume.
    SourceStage,
    /// The output stage's voltage rails.
    Rail,
    /// The output stage's current limit.
    Current,
}

/// A headphone output: its level chain, limits and noise.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OutputStage {
    /// The EMF a full-scale sample gives at maximum volume, no load, volts peak.
    pub v_fs_peak: f64,
    /// Output resistance and coupling capacitor.
    pub source: TheveninSource,
    /// The EMF cannot swing past ±this, volts peak (`INFINITY` = no rail limit).
    pub rail_v_peak: f64,
    /// The current into the load cannot exceed ±this, amps peak (`INFINITY` = none).
    pub i_max_peak: f64,
    /// Supply sag, ohms (0 = a stiff supply): under a steady sine the rails fall by this
    /// times the load's peak current. Only the rails sag (the converter's full scale does
    /// not), so it acts only on an output with rails.
    pub r_sag_ohm: f64,
    /// Noise before the volume control (DAC, preamp): scales with the volume.
    pub noise_pre: NoiseSpec,
    /// Noise after the volume control (output stage): a fixed floor.
    pub noise_post: NoiseSpec,
    /// Where a chain's source stage clips, as a fraction of the converter's full scale
    /// (1: at full scale, as for a single output). It acts ahead of the volume control,
    /// so it scales with the volume as the full scale does.
    pub source_clip_fs: f64,
    /// A distribution amplifier's other outputs on this output's supply: their currents sag
    /// the rails too (none for an output with the supply to itself).
    pub supply: SupplyShare,
}

impl OutputStage {
    /// An ideal output: 0 Ω, unlimited, silent. Its full scale is set so high (1 kV peak) that
    /// the volume control reaches any level a headphone can take before it runs out.
    pub const IDEAL: OutputStage = OutputStage {
        v_fs_peak: 1000.0,
        source: TheveninSource {
            r_out_ohm: 0.0,
            coupling_cap_f: None,
        },
        rail_v_peak: f64::INFINITY,
        i_max_peak: f64::INFINITY,
        r_sag_ohm: 0.0,
        noise_pre: NoiseSpec::SILENT,
        noise_post: NoiseSpec::SILENT,
        source_clip_fs: 1.0,
        supply: SupplyShare::NONE,
    };

    /// A perfect amplifier with the full scale `v_fs_peak` (volts peak): 0 Ω, unlimited,
    /// silent. It is what the plugin's Ideal reference is measured as, with the full scale of
    /// the output it is compared with, so that its levels are those that output would give at
    /// the same volume if it were perfect.
    pub fn perfect_at_full_scale(v_fs_peak: f64) -> OutputStage {
        OutputStage {
            v_fs_peak,
            ..OutputStage::IDEAL
        }
    }

    /// Pre-volume noise from a dynamic-range figure: the noise sits `dr_db` below a
    /// full-scale sine at maximum volume.
    pub fn noise_from_dynamic_range(
        v_fs_peak: f64,
        dr_db: f64,
        a_weighted: bool,
        flicker_corner_hz: f64,
    ) -> NoiseSpec {
        NoiseSpec {
            level_vrms: v_fs_peak / SQRT_2 * db_to_gain(-dr_db),
            a_weighted,
            flicker_corner_hz,
        }
    }
}

/// An output described by the figures a user types (the plugin's custom slots, the command
/// line's flags). Every absent figure is the ideal output's: a full scale beyond any
/// headphone's needs, no rails, no current limit, no noise.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct OutputFigures {
    /// EMF of a full-scale sine at maximum volume, dBu.
    pub full_scale_dbu: Option<f64>,
    /// Output resistance, ohms.
    pub r_out_ohm: f64,
    /// Series coupling capacitor, µF.
    pub coupling_cap_uf: Option<f64>,
    /// Rail limit of the EMF, V peak.
    pub rail_v_peak: Option<f64>,
    /// Current limit, mA peak.
    pub i_max_ma_peak: Option<f64>,
    /// Supply sag, ohms (see `OutputStage::r_sag_ohm`; absent = a stiff supply).
    pub r_sag_ohm: Option<f64>,
    /// Dynamic range below a full-scale sine at maximum volume, dB, and whether A-weighted.
    pub dynamic_range_db: Option<(f64, bool)>,
    /// Noise floor after the volume control, dBV, and whether A-weighted.
    pub noise_floor_dbv: Option<(f64, bool)>,
    /// 1/f corner of both noise sources, Hz (0 = white only).
    pub flicker_corner_hz: f64,
}

impl OutputFigures {
    /// Whether they say how loud the output gets: a full scale, rails or a current limit.
    /// Without one, the stage's full scale is the ideal output's, which reaches any level.
    pub fn gives_level(&self) -> bool {
        self.full_scale_dbu.is_some() || self.rail_v_peak.is_some() || self.i_max_ma_peak.is_some()
    }

    /// The stage these figures describe.
    pub fn stage(&self) -> OutputStage {
        let v_fs_peak = self
            .full_scale_dbu
            .map_or(OutputStage::IDEAL.v_fs_peak, |dbu| {
                dbu_to_vrms(dbu) * SQRT_2
            });
        OutputStage {
            v_fs_peak,
            source: TheveninSource {
                r_out_ohm: self.r_out_ohm,
                coupling_cap_f: self.coupling_cap_uf.map(|uf| uf * 1e-6),
            },
            rail_v_peak: self.rail_v_peak.unwrap_or(f64::INFINITY),
            i_max_peak: self.i_max_ma_peak.map_or(f64::INFINITY, |ma| ma * 1e-3),
            r_sag_ohm: self.r_sag_ohm.unwrap_or(0.0),
            noise_pre: self
                .dynamic_range_db
                .map_or(NoiseSpec::SILENT, |(dr_db, a_weighted)| {
                    OutputStage::noise_from_dynamic_range(
                        v_fs_peak,
                        dr_db,
                        a_weighted,
                        self.flicker_corner_hz,
                    )
                }),
            noise_post: self
                .noise_floor_dbv
                .map_or(NoiseSpec::SILENT, |(dbv, a_weighted)| NoiseSpec {
                    level_vrms: dbv_to_vrms(dbv),
                    a_weighted,
                    flicker_corner_hz: self.flicker_corner_hz,
                }),
            source_clip_fs: 1.0,
            supply: SupplyShare::NONE,
        }
    }
}

/// An output driving a headphone at a volume setting: the figures the plugin shows.
pub struct OperatingPoint<'a> {
    /// The output.
    pub stage: &'a OutputStage,
    /// The headphone's impedance.
    pub load: &'a dyn Impedance,
    /// The headphone's sensitivity, dB SPL for 1 V RMS at 1 kHz.
    pub sens_db_spl_per_v: f64,
    /// Volume control setting, dB (0 = maximum).
    pub volume_db: f64,
}

/// The worst-case level limit over the band.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LevelLimit {
    /// SPL of the loudest sine that does not clip, at the frequency where it is lowest.
    pub max_sine_spl_db: f64,
    /// What clips first there.
    pub limit: Limit,
    /// That frequency, Hz.
    pub freq_hz: f64,
}

/// Every figure of an operating point, for display (editor, command line).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figures {
    /// The volume the figures are for, dB.
    pub volume_db: f64,
    /// The loudest unclipped sine and what limits it.
    pub level_limit: LevelLimit,
    /// SPL of the reference (pink noise at −18 dBFS RMS), dB SPL.
    pub reference_spl_db: f64,
    /// Headroom above the reference, dB.
    pub headroom_db: f64,
    /// Noise floor at the eardrum, dB SPL(A).
    pub noise_floor_db_spl_a: f64,
    /// Damping factor at 1 kHz.
    pub damping_factor: f64,
    /// The 1/8 rule as a ratio (≥ 1 passes).
    pub eighth_rule_ratio: f64,
    /// Deviation span of `T` over the band, dB, and where it peaks and dips (Hz).
    pub deviation_span_db: f64,
    /// Frequency of the deviation's highest point, Hz.
    pub deviation_peak_hz: f64,
    /// Frequency of the deviation's lowest point, Hz.
    pub deviation_dip_hz: f64,
}

impl OperatingPoint<'_> {
    /// All the figures at once.
    pub fn figures(&self) -> Figures {
        let (span, peak, dip) = self.deviation_span();
        Figures {
            volume_db: self.volume_db,
            level_limit: self.level_limit(),
            reference_spl_db: self.reference_spl_db(),
            headroom_db: self.headroom_db(),
            noise_floor_db_spl_a: self.noise_floor_db_spl_a(),
            damping_factor: self.damping_factor(),
            eighth_rule_ratio: self.eighth_rule_ratio(),
            deviation_span_db: span,
            deviation_peak_hz: peak,
            deviation_dip_hz: dip,
        }
    }

    /// The volume as a gain.
    pub fn volume_gain(&self) -> f64 {
        db_to_gain(self.volume_db)
    }

    /// The largest EMF (volts peak) of a steady sine at `freq_hz` that clips nothing, and what
    /// limits it: full scale at this volume (or a chain's source stage below it), the rails,
    /// or the current limit (the EMF that drives `I_max` through `Z_hp + Z_out`). Sagging
    /// rails hold the EMF `e` where `e = V_rail − R_sag·(e/|Z_hp + Z_out| + I_others)`: the
    /// supply also feeds the other outputs on it (`OutputStage::supply`), each at its volume
    /// ratio `r_k` to this one and held to its own current limit,
    /// `I_others = Σ min(r_k·e/|Z_k + Z_out|, I_max)`.
    pub fn emf_limit_peak(&self, freq_hz: f64) -> (f64, Limit) {
        let digital = self.stage.v_fs_peak * self.volume_gain();
        let z_total = (self.load.z_ohm(freq_hz) + self.stage.source.z_out().z_ohm(freq_hz)).norm();
        let current = self.stage.i_max_peak * z_total;
        let st = self.stage;
        let limits = (st.rail_v_peak, st.r_sag_ohm, st.i_max_peak);
        let rail = (st.supply).sagged_rail_peak(&st.source, freq_hz, limits, 1.0 / z_total);
        let mut best = if self.stage.source_clip_fs < 1.0 {
            (digital * self.stage.source_clip_fs, Limit::SourceStage)
        } else {
            (digital, Limit::DigitalFullScale)
        };
        if rail < best.0 {
            best = (rail, Limit::Rail);
        }
        if current < best.0 {
            best = (current, Limit::Current);
        }
        best
    }

    /// The largest load voltage (peak) of an unclipped sine at `freq_hz`.
    pub fn max_load_voltage_peak(&self, freq_hz: f64) -> f64 {
        self.emf_limit_peak(freq_hz).0 * self.stage.source.transfer(self.load, freq_hz).norm()
    }

    /// SPL of a sine with load voltage `v_peak`.
    pub fn spl_of_load_voltage_peak(&self, v_peak: f64) -> f64 {
        self.sens_db_spl_per_v + gain_to_db(v_peak / SQRT_2)
    }

    /// The loudest unclipped sine's SPL at the band's weakest frequency, and what limits it.
    pub fn level_limit(&self) -> LevelLimit {
        log_spaced(AUDIO_BAND_HZ.0, AUDIO_BAND_HZ.1, 400)
            .map(|f| LevelLimit {
                max_sine_spl_db: self.spl_of_load_voltage_peak(self.max_load_voltage_peak(f)),
                limit: self.emf_limit_peak(f).1,
                freq_hz: f,
            })
            .min_by(|a, b| a.max_sine_spl_db.total_cmp(&b.max_sine_spl_db))
            .expect("a non-empty grid")
    }

    /// SPL of the reference signal (pink noise at −18 dBFS RMS) at this volume: the power of
    /// pink noise through `T`, averaged per octave across the band.
    pub fn reference_spl_db(&self) -> f64 {
        let emf_rms =
            db_to_gain(REFERENCE_DBFS_RMS) * self.stage.v_fs_peak / SQRT_2 * self.volume_gain();
        let pts: Vec<f64> = log_spaced(AUDIO_BAND_HZ.0, AUDIO_BAND_HZ.1, 400).collect();
        let mean_t2 = pts
            .iter()
            .map(|&f| self.stage.source.transfer(self.load, f).norm_sqr())
            .sum::<f64>()
            / pts.len() as f64;
        self.sens_db_spl_per_v + gain_to_db(emf_rms * mean_t2.sqrt())
    }

    /// How far program peaks may rise above the reference before anything clips, dB: the
    /// reference's full-scale equivalent sits 18 dB above it, so an unlimited output gives
    /// 18 dB; less means the rails or the current limit bite first; negative means the
    /// reference level itself clips.
    pub fn headroom_db(&self) -> f64 {
        let limit = self.level_limit();
        let full_scale_emf = self.stage.v_fs_peak * self.volume_gain();
        let worst_emf = self.emf_limit_peak(limit.freq_hz).0.min(full_scale_emf);
        -REFERENCE_DBFS_RMS + gain_to_db(worst_emf / full_scale_emf)
    }

    /// The A-weighted noise floor at the eardrum, dB SPL(A): both sources through `T`.
    pub fn noise_floor_db_spl_a(&self) -> f64 {
        let g2 = self.volume_gain().powi(2);
        let (pre, post) = (&self.stage.noise_pre, &self.stage.noise_post);
        let (n_pre, n_post) = (
            pre.white_density_v2_per_hz(),
            post.white_density_v2_per_hz(),
        );
        let v2: f64 = band_grid()
            .map(|(f, df)| {
                let s = n_pre * pre.shape(f) * g2 + n_post * post.shape(f);
                s * self.stage.source.transfer(self.load, f).norm_sqr()
                    * a_weighting(f).powi(2)
                    * df
            })
            .sum();
        self.sens_db_spl_per_v + 10.0 * v2.log10()
    }

    /// Damping factor `|Z_hp| / |Z_out|` at 1 kHz.
    pub fn damping_factor(&self) -> f64 {
        self.stage.source.damping_factor(self.load, 1000.0)
    }

    /// The 1/8 rule as a ratio: the headphone's lowest impedance over the band divided by
    /// eight times the output impedance. At least 1 keeps the deviation within about 1 dB.
    pub fn eighth_rule_ratio(&self) -> f64 {
        let z_min = log_spaced(AUDIO_BAND_HZ.0, AUDIO_BAND_HZ.1, 400)
            .map(|f| self.load.z_ohm(f).norm())
            .fold(f64::INFINITY, f64::min);
        z_min / (8.0 * self.stage.source.r_out_ohm)
    }

    /// The deviation of `T` over the band: (span dB, frequency of the loudest point,
    /// frequency of the quietest point), normalised at 1 kHz.
    pub fn deviation_span(&self) -> (f64, f64, f64) {
        let mut hi = (f64::NEG_INFINITY, 0.0);
        let mut lo = (f64::INFINITY, 0.0);
        for f in log_spaced(AUDIO_BAND_HZ.0, AUDIO_BAND_HZ.1, 400) {
            let db = self.stage.source.deviation_db(self.load, f);
            if db > hi.0 {
                hi = (db, f);
            }
            if db < lo.0 {
                lo = (db, f);
            }
        }
        (hi.0 - lo.0, hi.1, lo.1)
    }

    /// The volume (dB) that puts the reference at `target_db_spl`, clamped to the maximum
    /// (0 dB); `false` when the output cannot reach the target even at maximum volume.
    pub fn volume_for_target(
        stage: &OutputStage,
        load: &dyn Impedance,
        sens_db_spl_per_v: f64,
        target_db_spl: f64,
    ) -> (f64, bool) {
        let at_max = OperatingPoint {
            stage,
            load,
            sens_db_spl_per_v,
            volume_db: 0.0,
        }
        .reference_spl_db();
        let needed = target_db_spl - at_max;
        (needed.min(0.0), needed <= 0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::physics::impedance::Load;
    use crate::units::vrms_to_dbu;

    #[test]
    fn unit_conversions_by_hand() {
        assert!((dbu_to_vrms(0.0) - 0.7746).abs() < 1e-4);
        assert!((dbu_to_vrms(10.0) - 2.449).abs() < 1e-3);
        assert!((vrms_to_dbu(1.03) - 2.476).abs() < 1e-3);
        assert!((dbv_to_vrms(-100.0) - 1e-5).abs() < 1e-12);
        // 99 dB SPL/mW at 38 Ω: 1 V into 38 Ω is 26.3 mW, +14.2 dB.
        assert!((sens_db_spl_per_v_from_mw(99.0, 38.0) - 113.20).abs() < 0.01);
    }

    #[test]
    fn a_weighting_matches_the_standard_table() {
        // IEC 61672-1 table (nominal frequencies are base-10 exact: "20 Hz" is 10^1.3 Hz).
        let f20 = 10f64.powf(1.3);
        for (f, db) in [
            (100.0, -19.1),
            (1000.0, 0.0),
            (10_000.0, -2.5),
            (f20, -50.5),
        ] {
            let got = 20.0 * a_weighting(f).log10();
            assert!((got - db).abs() < 0.1, "{f}: {got}");
        }
    }

    #[test]
    fn white_noise_a_weighted_reads_about_two_db_low() {
        let flat = NoiseSpec {
            level_vrms: 1e-5,
            a_weighted: false,
            flicker_corner_hz: 0.0,
        };
        let weighted = NoiseSpec {
            a_weighted: true,
            ..flat
        };
        // The same specified number means more real noise when it was read A-weighted.
        let ratio_db =
            10.0 * (weighted.white_density_v2_per_hz() / flat.white_density_v2_per_hz()).log10();
        assert!((ratio_db - 2.0).abs() < 0.3, "{ratio_db}");
    }

    #[test]
    fn flicker_terms_follow_one_over_f() {
        let n = NoiseSpec {
            level_vrms: 1e-6,
            a_weighted: false,
            flicker_corner_hz: 1000.0,
        };
        for f in [10.0, 31.0, 100.0, 300.0] {
            let excess = n.shape(f) - 1.0;
            let want = 1000.0 / f;
            assert!(
                (10.0 * (excess / want).log10()).abs() < 0.6,
                "{f}: {excess} vs {want}"
            );
        }
        assert!(n.shape(20_000.0) < 1.01);
    }

    #[test]
    fn spl_and_limits_by_hand() {
        // 1 V peak full scale, 10 Ω, rails 0.5 V, into 30 Ω resistive, 100 dB SPL/V.
        let stage = OutputStage {
            v_fs_peak: 1.0,
            source: TheveninSource {
                r_out_ohm: 10.0,
                coupling_cap_f: None,
            },
            rail_v_peak: 0.5,
            ..OutputStage::IDEAL
        };
        let op = OperatingPoint {
            stage: &stage,
            load: &Load::R(30.0),
            sens_db_spl_per_v: 100.0,
            volume_db: 0.0,
        };
        let lim = op.level_limit();
        assert_eq!(lim.limit, Limit::Rail);
        // 0.5 V peak EMF → 0.375 V peak at the load → 0.265 V RMS → 100 − 11.53 dB.
        assert!((lim.max_sine_spl_db - (100.0 + gain_to_db(0.375 / SQRT_2))).abs() < 1e-9);
        // Headroom: rails at 0.5 of full scale: 18 − 6.02 dB.
        assert!((op.headroom_db() - (18.0 - 6.0206)).abs() < 1e-3);
        // Reference: −18 dBFS of a 1 V-peak full scale, through 0.75.
        let want = 100.0 + gain_to_db(10f64.powf(-0.9) / SQRT_2 * 0.75);
        assert!((op.reference_spl_db() - want).abs() < 1e-9);
        assert!((op.damping_factor() - 3.0).abs() < 1e-12);
        assert!((op.eighth_rule_ratio() - 30.0 / 80.0).abs() < 1e-12);
        let (vol, ok) =
            OperatingPoint::volume_for_target(&stage, &Load::R(30.0), 100.0, want - 6.0);
        assert!(ok && (vol + 6.0).abs() < 1e-9);
        let (vol, ok) =
            OperatingPoint::volume_for_target(&stage, &Load::R(30.0), 100.0, want + 3.0);
        assert!(!ok && vol == 0.0);
    }

    #[test]
    fn sagging_rails_hold_less_into_a_heavier_load() {
        // Rails of 5 V peak that sag 10 Ω: into 30 Ω the EMF stops at 5/(1 + 10/30) = 3.75 V,
        // into 270 Ω at 5/(1 + 10/270) = 4.82 V; a stiff supply holds 5 V into both.
        let stage = OutputStage {
            v_fs_peak: 10.0,
            rail_v_peak: 5.0,
            r_sag_ohm: 10.0,
            ..OutputStage::IDEAL
        };
        for (load_ohm, want) in [(30.0, 3.75), (270.0, 5.0 * 270.0 / 280.0)] {
            let load = Load::R(load_ohm);
            let op = OperatingPoint {
                stage: &stage,
                load: &load,
                sens_db_spl_per_v: 100.0,
                volume_db: 0.0,
            };
            let (emf, limit) = op.emf_limit_peak(1000.0);
            assert_eq!(limit, Limit::Rail);
            assert!((emf - want).abs() < 1e-12, "{load_ohm} Ω: {emf}");
            let stiff = OutputStage {
                r_sag_ohm: 0.0,
                ..stage
            };
            let op = OperatingPoint {
                stage: &stiff,
                ..op
            };
            assert_eq!(op.emf_limit_peak(1000.0).0, 5.0);
        }
    }

    #[test]
    fn current_limit_bites_on_low_impedance_at_its_minimum() {
        // 2 mA peak into a load with a bass resonance: the limit is lowest where |Z| is.
        let load = Load::dynamic_driver(30.0, 0.0, 0.0, 0.0, 30.0, 100.0, 2.0);
        let stage = OutputStage {
            i_max_peak: 0.002,
            v_fs_peak: 10.0,
            ..OutputStage::IDEAL
        };
        let op = OperatingPoint {
            stage: &stage,
            load: &load,
            sens_db_spl_per_v: 100.0,
            volume_db: 0.0,
        };
        let lim = op.level_limit();
        assert_eq!(lim.limit, Limit::Current);
        assert!(
            lim.freq_hz > 2000.0 || lim.freq_hz < 30.0,
            "{}",
            lim.freq_hz
        );
        let v = op.max_load_voltage_peak(5000.0);
        assert!((v - 0.002 * load.z_ohm(5000.0).norm()).abs() < 1e-9);
    }
}
