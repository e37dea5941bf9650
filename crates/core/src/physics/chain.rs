//! A chain: a source (an interface's line output or headphone output) feeding an amplifier's
//! input, the amplifier driving the headphone.
//!
//! The link between them is resistive (the source's output resistance into the amplifier's
//! input resistance), so the chain is exactly one output stage ahead of the headphone
//! ([`Chain::stage`]): its full scale is the source's at the source's volume, through the
//! link and the amplifier's gain; its rails, current limit, supply sag and output impedance
//! are the amplifier's; the source's noise joins the amplifier's own ahead of the
//! amplifier's volume; and the source's own stage clips at a fixed fraction of the
//! converter's full scale ([`OutputStage::source_clip_fs`]). The engine and every figure
//! then need nothing of their own for chains.

use super::impedance::{Impedance, Load};
use super::output::{Limit, NoiseSpec, OperatingPoint, OutputStage};
use crate::units::db_to_gain;

/// An amplifier's input: what it loads its source with, and its gain.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AmpInput {
    /// Input resistance, ohms.
    pub input_ohm: f64,
    /// Voltage gain from its input to its EMF at maximum volume, dB.
    pub gain_db: f64,
}

/// What makes a chain impossible to build.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ChainError {
    /// The amplifier's input resistance is not a positive, finite number of ohms.
    #[error("the amplifier's input impedance must be above 0 Ω (got {0} Ω)")]
    InputImpedance(f64),
    /// The amplifier's gain is not a finite number of dB.
    #[error("the amplifier's gain must be a finite number of dB (got {0})")]
    Gain(f64),
    /// The source's volume is above its maximum.
    #[error("the source's volume must be at most 0 dB, its maximum (got {0} dB)")]
    SourceVolume(f64),
    /// The source is itself a chain.
    #[error("the source is already a chain: one amplifier per chain")]
    SourceIsChain,
    /// The source has a coupling capacitor, whose high-pass into the amplifier's input the
    /// one-stage form cannot hold.
    #[error("a source with a coupling capacitor cannot feed an amplifier here")]
    CoupledSource,
    /// The noise sources have different 1/f corners, which no single spectrum sums exactly.
    #[error("the source's and the amplifier's noise have different 1/f corners")]
    FlickerCorners,
}

/// A source at a volume setting feeding an amplifier.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Chain {
    /// The source as a single output stage.
    pub source: OutputStage,
    /// The source's volume, dB (0 = maximum; a line output's is 0).
    pub source_volume_db: f64,
    /// The amplifier as a single output stage: its full scale is its largest EMF.
    pub amp: OutputStage,
    /// The amplifier's input.
    pub amp_input: AmpInput,
}

/// The stages of a chain that can clip first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainStage {
    /// The source's converter at 0 dBFS.
    SourceConverter,
    /// The source's output stage (its rails or its current into the amplifier's input).
    SourceOutput,
    /// The amplifier's rails (its largest EMF, sagging where its supply does).
    AmpRails,
    /// The amplifier's current limit.
    AmpCurrent,
}

impl ChainStage {
    /// Every stage, source first.
    pub const ALL: [ChainStage; 4] = [
        ChainStage::SourceConverter,
        ChainStage::SourceOutput,
        ChainStage::AmpRails,
        ChainStage::AmpCurrent,
    ];

    /// The stage a limit of the chain's single-stage form stands for.
    pub fn of_limit(limit: Limit) -> Self {
        match limit {
            Limit::DigitalFullScale => Self::SourceConverter,
            Limit::SourceStage => Self::SourceOutput,
            Limit::Rail => Self::AmpRails,
            Limit::Current => Self::AmpCurrent,
        }
    }

    /// What it is, in words.
    pub fn describe(self) -> &'static str {
        match self {
            Self::SourceConverter => "the source's converter's full scale (0 dBFS)",
            Self::SourceOutput => "the source's output stage",
            Self::AmpRails => "the amplifier's rails",
            Self::AmpCurrent => "the amplifier's current limit",
        }
    }
}

/// Where one stage of a chain clips, for a headphone at an amplifier volume.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClipOnset {
    /// The stage.
    pub stage: ChainStage,
    /// SPL of the loudest sine this stage alone passes, at the band's frequency where it is
    /// lowest, dB SPL (`INFINITY`: the stage has no limit).
    pub max_sine_spl_db: f64,
}

impl Chain {
    /// A chain of `source` at `source_volume_db` into `amp`, checked.
    pub fn new(
        source: OutputStage,
        source_volume_db: f64,
        amp: OutputStage,
        amp_input: AmpInput,
    ) -> Result<Self, ChainError> {
        if !(amp_input.input_ohm > 0.0 && amp_input.input_ohm.is_finite()) {
            return Err(ChainError::InputImpedance(amp_input.input_ohm));
        }
        if !amp_input.gain_db.is_finite() {
            return Err(ChainError::Gain(amp_input.gain_db));
        }
        if source_volume_db.is_nan() || source_volume_db > 0.0 {
            return Err(ChainError::SourceVolume(source_volume_db));
        }
        if source.source_clip_fs < 1.0 || amp.source_clip_fs < 1.0 {
            return Err(ChainError::SourceIsChain);
        }
        if source.source.coupling_cap_f.is_some() {
            return Err(ChainError::CoupledSource);
        }
        let chain = Chain {
            source,
            source_volume_db,
            amp,
            amp_input,
        };
        chain.noise_pre()?;
        Ok(chain)
    }

    /// The link's gain: the amplifier's input resistance over it plus the source's output
    /// resistance.
    pub fn link_gain(&self) -> f64 {
        let r_in = self.amp_input.input_ohm;
        r_in / (r_in + self.source.source.r_out_ohm)
    }

    /// The source's EMF (volts peak) for a full-scale sample at its volume.
    pub fn source_fs_emf_peak(&self) -> f64 {
        self.source.v_fs_peak * db_to_gain(self.source_volume_db)
    }

    /// The gain from the source's EMF to the amplifier's EMF at maximum volume.
    fn through_gain(&self) -> f64 {
        self.link_gain() * db_to_gain(self.amp_input.gain_db)
    }

    /// The largest source EMF (volts peak) that clips nothing in the source: its converter's
    /// full scale at its volume, or its rails or current into the amplifier's input.
    fn source_emf_limit_peak(&self) -> f64 {
        let load = Load::R(self.amp_input.input_ohm);
        OperatingPoint {
            stage: &self.source,
            load: &load,
            sens_db_spl_per_v: 0.0,
            volume_db: self.source_volume_db,
        }
        .emf_limit_peak(1000.0)
        .0
    }

    /// The amplifier's pre-volume noise with the source's joined to it: the source's noise
    /// before its volume (scaled by it) and after, through the link and the amplifier's gain.
    fn noise_pre(&self) -> Result<NoiseSpec, ChainError> {
        let through = self.through_gain();
        let parts = [
            (self.amp.noise_pre, 1.0),
            (
                self.source.noise_pre,
                through * db_to_gain(self.source_volume_db),
            ),
            (self.source.noise_post, through),
        ];
        sum_noise(&parts).ok_or(ChainError::FlickerCorners)
    }

    /// The chain as one output stage ahead of the headphone, its volume the amplifier's.
    pub fn stage(&self) -> OutputStage {
        let source_limit = self.source_emf_limit_peak();
        OutputStage {
            v_fs_peak: self.source_fs_emf_peak() * self.through_gain(),
            // The amplifier's catalog full scale is the largest EMF it swings: here, a rail.
            rail_v_peak: self.amp.rail_v_peak.min(self.amp.v_fs_peak),
            noise_pre: self.noise_pre().expect("checked by Chain::new"),
            source_clip_fs: (source_limit / self.source_fs_emf_peak()).min(1.0),
            ..self.amp
        }
    }

    /// Where each stage alone would clip on `load` (sensitivity `sens_db_spl_per_v`) at the
    /// amplifier's volume `amp_volume_db` ([`stage_onsets`] of [`Chain::stage`]).
    pub fn clip_onsets(
        &self,
        load: &dyn Impedance,
        sens_db_spl_per_v: f64,
        amp_volume_db: f64,
    ) -> [ClipOnset; 4] {
        stage_onsets(&self.stage(), load, sens_db_spl_per_v, amp_volume_db)
    }
}

/// Where each stage of a chain's single-stage form `whole` alone would clip on `load`
/// (sensitivity `sens_db_spl_per_v`) at the amplifier's volume `amp_volume_db`: one entry per
/// [`ChainStage::ALL`], in that order.
pub fn stage_onsets(
    whole: &OutputStage,
    load: &dyn Impedance,
    sens_db_spl_per_v: f64,
    amp_volume_db: f64,
) -> [ClipOnset; 4] {
    ChainStage::ALL.map(|stage| {
        let only = only_stage(whole, stage);
        let lim = OperatingPoint {
            stage: &only,
            load,
            sens_db_spl_per_v,
            volume_db: amp_volume_db,
        }
        .level_limit();
        let limited = ChainStage::of_limit(lim.limit) == stage;
        ClipOnset {
            stage,
            max_sine_spl_db: if limited {
                lim.max_sine_spl_db
            } else {
                f64::INFINITY
            },
        }
    })
}

/// `whole` with only `stage`'s limit left (the others removed).
fn only_stage(whole: &OutputStage, stage: ChainStage) -> OutputStage {
    let converter_only = OutputStage {
        rail_v_peak: f64::INFINITY,
        i_max_peak: f64::INFINITY,
        source_clip_fs: 1.0,
        ..*whole
    };
    // A full scale far above every limit, so that only the kept one can act; the source's
    // clip, a fraction of full scale, is rescaled to stay at the same EMF.
    let boundless_fs = whole.v_fs_peak * 1e6;
    let unlimited = OutputStage {
        v_fs_peak: boundless_fs,
        ..converter_only
    };
    match stage {
        ChainStage::SourceConverter => converter_only,
        ChainStage::SourceOutput if whole.source_clip_fs < 1.0 => OutputStage {
            source_clip_fs: whole.source_clip_fs * whole.v_fs_peak / boundless_fs,
            ..unlimited
        },
        ChainStage::SourceOutput => unlimited,
        ChainStage::AmpRails => OutputStage {
            rail_v_peak: whole.rail_v_peak,
            ..unlimited
        },
        ChainStage::AmpCurrent => OutputStage {
            i_max_peak: whole.i_max_peak,
            ..unlimited
        },
    }
}

/// The sum of independent noise sources, each scaled by its gain, as one spectrum (`None`
/// when the sounding ones have different 1/f corners, which no single spectrum holds).
/// Allocation-free for white noise (`NoiseSpec::band_integral_hz`).
pub fn sum_noise(parts: &[(NoiseSpec, f64)]) -> Option<NoiseSpec> {
    let mut sounding = parts.iter().filter(|(n, g)| n.level_vrms > 0.0 && *g > 0.0);
    let Some((first, _)) = sounding.clone().next() else {
        return Some(NoiseSpec::SILENT);
    };
    let corner = first.flicker_corner_hz;
    if sounding.clone().any(|(n, _)| n.flicker_corner_hz != corner) {
        return None;
    }
    // One shape: the densities add, and the unweighted level follows the density's root.
    let density: f64 = sounding
        .by_ref()
        .map(|(n, g)| n.white_density_v2_per_hz() * g * g)
        .sum();
    let unit = NoiseSpec {
        level_vrms: 1.0,
        a_weighted: false,
        flicker_corner_hz: corner,
    };
    Some(NoiseSpec {
        level_vrms: (density * unit.band_integral_hz()).sqrt(),
        ..unit
    })
}

/// How far above the first stage to clip (`onsets`' lowest) the next one clips, dB
/// (`INFINITY` when no other stage clips).
pub fn margin_to_next_db(onsets: &[ClipOnset]) -> f64 {
    let mut spl: Vec<f64> = onsets.iter().map(|o| o.max_sine_spl_db).collect();
    spl.sort_by(f64::total_cmp);
    match spl.as_slice() {
        [first, second, ..] if second.is_finite() => second - first,
        _ => f64::INFINITY,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::physics::output::REFERENCE_DBFS_RMS;
    use crate::physics::source::TheveninSource;
    use crate::units::gain_to_db;
    use std::f64::consts::SQRT_2;

    /// A line output: 2 V peak at full scale behind 100 Ω, rails at 1.5 V peak, with noise
    /// before and after its (absent) volume.
    fn line_out() -> OutputStage {
        OutputStage {
            v_fs_peak: 2.0,
            source: TheveninSource {
                r_out_ohm: 100.0,
                coupling_cap_f: None,
            },
            rail_v_peak: 1.5,
            noise_pre: NoiseSpec {
                level_vrms: 4e-6,
                a_weighted: false,
                flicker_corner_hz: 0.0,
            },
            noise_post: NoiseSpec {
                level_vrms: 3e-6,
                a_weighted: false,
                flicker_corner_hz: 0.0,
            },
            ..OutputStage::IDEAL
        }
    }

    /// An amplifier that swings 10 V peak, delivers 0.1 A peak, 1 Ω, with 2 µV of its own
    /// noise after its volume.
    fn amp() -> OutputStage {
        OutputStage {
            v_fs_peak: 10.0,
            source: TheveninSource {
                r_out_ohm: 1.0,
                coupling_cap_f: None,
            },
            i_max_peak: 0.1,
            noise_post: NoiseSpec {
                level_vrms: 2e-6,
                a_weighted: false,
                flicker_corner_hz: 0.0,
            },
            ..OutputStage::IDEAL
        }
    }

    const INPUT: AmpInput = AmpInput {
        input_ohm: 9_900.0,
        gain_db: 20.0,
    };

    #[test]
    fn the_chain_is_one_stage_by_circuit_theory() {
        let chain = Chain::new(line_out(), -6.0, amp(), INPUT).unwrap();
        let s = chain.stage();
        // The link: 9.9 kΩ against 100 Ω is 0.99; the gain 10.
        let g_s = db_to_gain(-6.0);
        assert!((s.v_fs_peak - 2.0 * g_s * 0.99 * 10.0).abs() < 1e-12);
        // The amplifier's largest EMF becomes its rail; its output impedance and current stay.
        assert_eq!(s.rail_v_peak, 10.0);
        assert_eq!(s.i_max_peak, 0.1);
        assert_eq!(s.source.r_out_ohm, 1.0);
        // The source's rails (1.5 V) against its full scale at −6 dB (1.002 V): no clip
        // ahead of full scale.
        assert_eq!(s.source_clip_fs, 1.0);
        // The noise ahead of the amplifier's volume: both of the source's, through 9.9 V/V.
        let want = ((4e-6 * g_s * 9.9).powi(2) + (3e-6 * 9.9f64).powi(2)).sqrt();
        assert!((s.noise_pre.level_vrms / want - 1.0).abs() < 1e-9);
        assert_eq!(s.noise_post, amp().noise_post);
        // At full source volume the source's rails clip first, at 1.5/2 of full scale.
        let loud = Chain::new(line_out(), 0.0, amp(), INPUT).unwrap().stage();
        assert!((loud.source_clip_fs - 0.75).abs() < 1e-12);
    }

    #[test]
    fn each_stage_clips_where_circuit_theory_puts_it() {
        let chain = Chain::new(line_out(), 0.0, amp(), INPUT).unwrap();
        let load = Load::R(32.0);
        let sens = 100.0;
        let spl = |v_load_peak: f64| sens + gain_to_db(v_load_peak / SQRT_2);
        let divider = 32.0 / 33.0;
        let through = 0.99 * 10.0;
        for amp_volume_db in [0.0, -12.0] {
            let g_a = db_to_gain(amp_volume_db);
            let onsets = chain.clip_onsets(&load, sens, amp_volume_db);
            let want = [
                // The converter: a full-scale sample.
                spl(2.0 * through * g_a * divider),
                // The source's rails at 1.5 V.
                spl(1.5 * through * g_a * divider),
                // The amplifier's 10 V.
                spl(10.0 * divider),
                // 0.1 A into 32 Ω.
                spl(0.1 * 32.0),
            ];
            for (onset, want) in onsets.iter().zip(want) {
                assert!(
                    (onset.max_sine_spl_db - want).abs() < 1e-9,
                    "{:?} at {amp_volume_db} dB: {} vs {want}",
                    onset.stage,
                    onset.max_sine_spl_db
                );
            }
            // The whole chain clips at the lowest, and says which.
            let op = OperatingPoint {
                stage: &chain.stage(),
                load: &load,
                sens_db_spl_per_v: sens,
                volume_db: amp_volume_db,
            };
            let lim = op.level_limit();
            let first = onsets
                .iter()
                .min_by(|a, b| a.max_sine_spl_db.total_cmp(&b.max_sine_spl_db))
                .unwrap();
            assert_eq!(ChainStage::of_limit(lim.limit), first.stage);
            assert!((lim.max_sine_spl_db - first.max_sine_spl_db).abs() < 1e-9);
        }
        // At full volume the current (0.1 A: 3.2 V) clips first, the source's rails
        // (1.5·9.9·32/33 = 14.4 V) far later: 13.05 dB of margin.
        let onsets = chain.clip_onsets(&load, sens, 0.0);
        let margin = margin_to_next_db(&onsets);
        assert!((margin - gain_to_db(10.0 * divider / 3.2)).abs() < 1e-9);
    }

    #[test]
    fn the_amplifier_volume_for_a_target_is_exact() {
        let s = Chain::new(line_out(), -10.0, amp(), INPUT).unwrap().stage();
        let load = Load::R(300.0);
        let (vol, ok) = OperatingPoint::volume_for_target(&s, &load, 97.0, 80.0);
        assert!(ok);
        // The reference's EMF at that amplifier volume, by hand, through a resistive divider.
        let emf_rms = db_to_gain(REFERENCE_DBFS_RMS)
            * 2.0
            * db_to_gain(-10.0)
            * 0.99
            * 10.0
            * db_to_gain(vol)
            / SQRT_2;
        let spl = 97.0 + gain_to_db(emf_rms * 300.0 / 301.0);
        assert!((spl - 80.0).abs() < 1e-9, "{spl}");
    }

    #[test]
    fn chains_that_make_no_sense_are_refused() {
        let zero_in = AmpInput {
            input_ohm: 0.0,
            ..INPUT
        };
        assert_eq!(
            Chain::new(line_out(), 0.0, amp(), zero_in),
            Err(ChainError::InputImpedance(0.0))
        );
        assert!(matches!(
            Chain::new(line_out(), 3.0, amp(), INPUT),
            Err(ChainError::SourceVolume(_))
        ));
        let chained = Chain::new(line_out(), 0.0, amp(), INPUT).unwrap().stage();
        assert_eq!(
            Chain::new(chained, 0.0, amp(), INPUT),
            Err(ChainError::SourceIsChain)
        );
        let coupled = OutputStage {
            source: TheveninSource {
                r_out_ohm: 10.0,
                coupling_cap_f: Some(220e-6),
            },
            ..line_out()
        };
        assert_eq!(
            Chain::new(coupled, 0.0, amp(), INPUT),
            Err(ChainError::CoupledSource)
        );
        let mut pink = amp();
        pink.noise_post.flicker_corner_hz = 0.0;
        pink.noise_pre = NoiseSpec {
            level_vrms: 1e-6,
            a_weighted: true,
            flicker_corner_hz: 500.0,
        };
        assert_eq!(
            Chain::new(line_out(), 0.0, pink, INPUT),
            Err(ChainError::FlickerCorners)
        );
    }
}
