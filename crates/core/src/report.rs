//! The matching report: how well an output drives a headphone, in figures and in words. The
//! command line prints it and the editor shows its verdict; both take it from here.
//!
//! Levels follow the plugin's reference: the target SPL is that of pink noise at −18 dBFS
//! RMS, so program peaks at full scale sit 18 dB above it. An output is enough when those
//! peaks stay clean at the target: its *peak SPL* (the reference's SPL at maximum volume plus
//! the headroom left there) must reach target + 18 dB.

use crate::catalog::{self, Decides, Provenance, estimated};
use crate::physics::Impedance;
use crate::physics::headphones::HeadphoneModel;
use crate::physics::impedance::log_spaced;
use crate::physics::output::{
    AUDIO_BAND_HZ, Limit, OperatingPoint, OutputStage, REFERENCE_DBFS_RMS,
};
use crate::units::{fmt_db, fmt_hz, fmt_sig, gain_to_db};
use serde::Serialize;

/// A shortfall smaller than this is none (dB): the figures carry a few hundredths of error.
const SHORT_TOLERANCE_DB: f64 = 0.05;

/// An output driving a headphone at a target SPL: every figure, and the verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The output's name.
    pub output: String,
    /// The headphone's name.
    pub headphone: String,
    /// The target SPL of the reference (pink noise at −18 dBFS RMS), dB SPL.
    pub target_spl_db: f64,
    /// The output's resistance, ohms.
    pub r_out_ohm: f64,
    /// The coupling capacitor, µF (none for a DC-coupled output).
    pub coupling_cap_uf: Option<f64>,
    /// The loudest sine that stays clean at maximum volume, dB SPL, at the band's weakest
    /// frequency.
    pub max_sine_spl_db: f64,
    /// What limits it.
    pub max_sine_limit: LimitKind,
    /// Where in the band that sine is weakest, Hz.
    pub max_sine_freq_hz: f64,
    /// The reference's SPL at maximum volume, dB SPL.
    pub reference_spl_at_max_db: f64,
    /// The SPL clean program peaks reach at maximum volume (reference + headroom), dB SPL.
    pub peak_spl_db: f64,
    /// What the target needs of the peaks (target + 18 dB), dB SPL.
    pub needed_peak_spl_db: f64,
    /// How far the peaks fall short of that, dB (0 = enough).
    pub short_db: f64,
    /// Whether the volume control reaches the target at all.
    pub target_reachable: bool,
    /// The volume setting for the target (0 dB = maximum; 0 when out of reach).
    pub volume_db: f64,
    /// Headroom for peaks above the reference at that volume, dB (18 = all of it).
    pub headroom_at_target_db: f64,
    /// The noise floor at the eardrum at that volume, dB SPL(A).
    pub noise_floor_db_spl_a: f64,
    /// Damping factor at 1 kHz (`|Z_hp| / |Z_out|`).
    pub damping_factor: f64,
    /// The 1/8 rule as a ratio (lowest |Z_hp| over 8·R_out; ≥ 1 passes).
    pub eighth_rule_ratio: f64,
    /// Whether the 1/8 rule is met.
    pub eighth_rule_passes: bool,
    /// The level the divider loses at 1 kHz, dB (≤ 0).
    pub level_at_1k_db: f64,
    /// The spread of the tonal deviation over 20 Hz–20 kHz, dB.
    pub deviation_span_db: f64,
    /// Where the deviation is highest, Hz.
    pub deviation_peak_hz: f64,
    /// Where it is lowest, Hz.
    pub deviation_dip_hz: f64,
    /// What the deciding figures of the output and the headphone are estimates for (empty
    /// when every one is stated or measured, or the figures are the user's own).
    pub estimated: Vec<Decides>,
    /// The verdict in one sentence.
    pub verdict: String,
}

/// What sets the loudest clean sine at maximum volume, as the report tells it apart: a
/// sagging supply's rails are named apart from stiff ones, because the load itself lowers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum LimitKind {
    /// The converter's full scale.
    #[serde(rename = "full scale")]
    FullScale,
    /// The output stage's voltage rails, from a stiff supply.
    #[serde(rename = "rails")]
    Rails,
    /// The voltage rails, sagging under the load's current.
    #[serde(rename = "sagging rails")]
    SaggingRails,
    /// The output stage's current limit.
    #[serde(rename = "current limit")]
    CurrentLimit,
}

impl LimitKind {
    /// The kind of `limit` for `stage` (whose supply may sag).
    pub fn of(limit: Limit, stage: &OutputStage) -> Self {
        match limit {
            Limit::DigitalFullScale => Self::FullScale,
            Limit::Rail if stage.r_sag_ohm > 0.0 => Self::SaggingRails,
            Limit::Rail => Self::Rails,
            Limit::Current => Self::CurrentLimit,
        }
    }

    /// The limit in words, as the report and its JSON name it.
    pub fn name(self) -> &'static str {
        match self {
            Self::FullScale => "full scale",
            Self::Rails => "rails",
            Self::SaggingRails => "sagging rails",
            Self::CurrentLimit => "current limit",
        }
    }
}

impl Report {
    /// The report for `stage` (named `output`) driving `hp` at `target_spl_db`.
    pub fn new(output: &str, stage: &OutputStage, hp: &HeadphoneModel, target_spl_db: f64) -> Self {
        let at = |volume_db| OperatingPoint {
            stage,
            load: &hp.load,
            sens_db_spl_per_v: hp.sens_db_spl_per_v,
            volume_db,
        };
        let max = at(0.0).figures();
        let (volume_db, target_reachable) =
            OperatingPoint::volume_for_target(stage, &hp.load, hp.sens_db_spl_per_v, target_spl_db);
        let at_target = at(volume_db).figures();
        let peak_spl_db = max.reference_spl_db + max.headroom_db;
        let needed_peak_spl_db = target_spl_db - REFERENCE_DBFS_RMS;
        let short = needed_peak_spl_db - peak_spl_db;
        let short_db = if short > SHORT_TOLERANCE_DB {
            short
        } else {
            0.0
        };
        let mut r = Report {
            output: output.to_string(),
            headphone: hp.name.clone(),
            target_spl_db,
            r_out_ohm: stage.source.r_out_ohm,
            coupling_cap_uf: stage.source.coupling_cap_f.map(|c| c * 1e6),
            max_sine_spl_db: max.level_limit.max_sine_spl_db,
            max_sine_limit: LimitKind::of(max.level_limit.limit, stage),
            max_sine_freq_hz: max.level_limit.freq_hz,
            reference_spl_at_max_db: max.reference_spl_db,
            peak_spl_db,
            needed_peak_spl_db,
            short_db,
            target_reachable,
            volume_db,
            headroom_at_target_db: at_target.headroom_db,
            noise_floor_db_spl_a: at_target.noise_floor_db_spl_a,
            damping_factor: at_target.damping_factor,
            eighth_rule_ratio: at_target.eighth_rule_ratio,
            eighth_rule_passes: at_target.eighth_rule_ratio >= 1.0,
            level_at_1k_db: gain_to_db(stage.source.transfer(&hp.load, 1000.0).norm()),
            deviation_span_db: at_target.deviation_span_db,
            deviation_peak_hz: at_target.deviation_peak_hz,
            deviation_dip_hz: at_target.deviation_dip_hz,
            estimated: Vec::new(),
            verdict: String::new(),
        };
        r.verdict = r.verdict_text();
        r
    }

    /// The report, told that its figures for `estimated` are estimates (the verdict says so).
    pub fn with_estimated(mut self, estimated: Vec<Decides>) -> Self {
        self.estimated = estimated;
        self.verdict = self.verdict_text();
        self
    }

    /// What is estimated, in words: "output impedance, maximum level" (empty if nothing).
    pub fn estimated_text(&self) -> String {
        catalog::decides_text(&self.estimated)
    }

    /// The one-sentence verdict, and what it rests on when that is estimated.
    fn verdict_text(&self) -> String {
        let verdict = self.verdict_from_figures();
        if self.estimated.is_empty() {
            verdict
        } else {
            format!(
                "{verdict}; estimated, not published: {}",
                self.estimated_text()
            )
        }
    }

    /// The verdict the figures give, as if each were known.
    fn verdict_from_figures(&self) -> String {
        if self.short_db == 0.0 {
            return format!(
                "{} drives {} to {} dB SPL with all 18 dB of headroom for peaks (clean up to {:.0} dB SPL)",
                self.output,
                self.headphone,
                fmt_db(self.target_spl_db),
                self.peak_spl_db
            );
        }
        let why = if !self.target_reachable && self.max_sine_limit == LimitKind::FullScale {
            "the volume runs out before anything clips".to_string()
        } else {
            format!("its {} clip first", self.limit_words())
        };
        format!(
            "{} reaches {:.0} dB SPL peak on {}: {} dB short of your target ({} dB SPL needs {} dB SPL peaks; {why})",
            self.output,
            self.peak_spl_db,
            self.headphone,
            fmt_db(self.short_db),
            fmt_db(self.target_spl_db),
            fmt_db(self.needed_peak_spl_db),
        )
    }

    /// The limit at maximum volume, as the subject of "clip first".
    fn limit_words(&self) -> String {
        match self.max_sine_limit {
            LimitKind::CurrentLimit => format!(
                "current limit (at {}, where the load is lowest)",
                fmt_hz(self.max_sine_freq_hz)
            ),
            LimitKind::Rails => "voltage rails".into(),
            LimitKind::SaggingRails => "voltage rails (sagging under the load's current)".into(),
            LimitKind::FullScale => "converter's full scale".into(),
        }
    }

    /// The report in words and figures, for people.
    pub fn text(&self) -> String {
        let cap = self
            .coupling_cap_uf
            .map_or(String::new(), |c| format!(" and {} µF", fmt_sig(c)));
        let volume = if self.target_reachable {
            format!("{} dB on the volume", fmt_db(self.volume_db))
        } else {
            "maximum volume, and still short".into()
        };
        let rule = if self.eighth_rule_passes {
            "meets"
        } else {
            "breaks"
        };
        let basis = if self.estimated.is_empty() {
            "every deciding figure stated, measured or yours".to_string()
        } else {
            format!(
                "estimated: {} (--sources lists each figure)",
                self.estimated_text()
            )
        };
        [
            format!("{} → {}", self.output, self.headphone),
            format!("  verdict       {}", self.verdict),
            format!("  basis         {basis}"),
            format!(
                "  loudest       {:.1} dB SPL clean sine at maximum volume (limited by the {} at {})",
                self.max_sine_spl_db,
                self.max_sine_limit.name(),
                fmt_hz(self.max_sine_freq_hz)
            ),
            format!(
                "  peaks         clean up to {:.1} dB SPL; {} dB SPL needs {:.1}",
                self.peak_spl_db,
                fmt_db(self.target_spl_db),
                self.needed_peak_spl_db
            ),
            format!(
                "  at target     {volume}; headroom {:.1} dB of 18",
                self.headroom_at_target_db
            ),
            format!(
                "  noise floor   {}{}",
                noise_text(self.noise_floor_db_spl_a),
                if self.noise_floor_db_spl_a.is_finite() {
                    " at that volume"
                } else {
                    ""
                }
            ),
            format!(
                "  impedance     {} Ω{cap}: damping factor {:.1} at 1 kHz; {rule} the 1/8 rule (ratio {:.2})",
                fmt_sig(self.r_out_ohm),
                self.damping_factor,
                self.eighth_rule_ratio
            ),
            format!(
                "  tone          {:.2} dB span over 20 Hz–20 kHz (highest at {}, lowest at {}); {:.2} dB level at 1 kHz",
                self.deviation_span_db,
                fmt_hz(self.deviation_peak_hz),
                fmt_hz(self.deviation_dip_hz),
                self.level_at_1k_db
            ),
        ]
        .join("\n")
    }
}

/// Where the figures of the device `name` come from, one per line: the figure, how it is
/// known, the source, and the note when there is one.
pub fn provenance_text(name: &str, provenance: &[Provenance]) -> String {
    if provenance.is_empty() {
        return format!("{name}: your own figures");
    }
    let mut lines = vec![format!("{name}:")];
    for p in provenance {
        let basis = match p.basis {
            catalog::Basis::Measured => "measured",
            catalog::Basis::Stated => "stated by the maker",
            catalog::Basis::Estimated => "ESTIMATED",
        };
        lines.push(format!("  {:<28} {basis}: {}", p.figure, p.source));
        if !p.note.is_empty() {
            lines.push(format!("  {:<28} {}", "", p.note));
        }
    }
    lines.join("\n")
}

/// Every catalog output (but the ideal reference) driving `hp` at `target_spl_db`, best
/// first: those whose peaks reach the target before those that fall short (by how far), then
/// by the smaller tonal deviation, then by the lower noise floor.
/// `hp_provenance` is where the headphone's figures come from (empty for the user's own).
pub fn rank(
    hp: &HeadphoneModel,
    hp_provenance: &[Provenance],
    target_spl_db: f64,
) -> Vec<(usize, Report)> {
    let mut v: Vec<(usize, Report)> = catalog::outputs()
        .iter()
        .enumerate()
        .filter(|(_, e)| e.kind != catalog::OutputKind::Reference)
        .filter_map(|(k, e)| {
            let provenance = [e.provenance(), hp_provenance.to_vec()].concat();
            let report = Report::new(&e.name(), &catalog::output_stage(k)?, hp, target_spl_db);
            Some((k, report.with_estimated(estimated(&provenance))))
        })
        .collect();
    // Shortfalls within a tenth of a dB of each other tie; tone and noise decide.
    let key = |r: &Report| (r.short_db * 10.0).round() as i64;
    v.sort_by(|(_, a), (_, b)| {
        key(a)
            .cmp(&key(b))
            .then(a.deviation_span_db.total_cmp(&b.deviation_span_db))
            .then(a.noise_floor_db_spl_a.total_cmp(&b.noise_floor_db_spl_a))
    });
    v
}

/// One frequency of the response curves.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResponsePoint {
    /// Frequency, Hz.
    pub freq_hz: f64,
    /// |Z| of the headphone, ohms.
    pub z_mag_ohm: f64,
    /// Phase of Z, degrees.
    pub z_phase_deg: f64,
    /// Per output: the tonal deviation, dB relative to 1 kHz.
    pub deviation_db: Vec<f64>,
    /// Per output: |T| in dB (the level loss included).
    pub level_db: Vec<f64>,
}

/// The headphone's impedance and each output's deviation at `n` log-spaced frequencies over
/// 20 Hz–20 kHz.
pub fn response(stages: &[OutputStage], load: &dyn Impedance, n: usize) -> Vec<ResponsePoint> {
    log_spaced(AUDIO_BAND_HZ.0, AUDIO_BAND_HZ.1, n)
        .map(|f| {
            let z = load.z_ohm(f);
            ResponsePoint {
                freq_hz: f,
                z_mag_ohm: z.norm(),
                z_phase_deg: z.arg().to_degrees(),
                deviation_db: stages
                    .iter()
                    .map(|s| s.source.deviation_db(load, f))
                    .collect(),
                level_db: stages
                    .iter()
                    .map(|s| gain_to_db(s.source.transfer(load, f).norm()))
                    .collect(),
            }
        })
        .collect()
}

/// The noise floor in words: "-8.3 dB SPL(A)", or that the output has no noise figures.
pub fn noise_text(db_spl_a: f64) -> String {
    if db_spl_a.is_finite() {
        format!("{db_spl_a:.1} dB SPL(A)")
    } else {
        "none modelled (no noise figures)".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{find_headphone, find_output, headphone_models, output_stage};
    use crate::units::fmt_si;

    fn report(output: &str, hp: &str, target: f64) -> Report {
        let o = find_output(output).unwrap();
        let h = &headphone_models()[find_headphone(hp).unwrap()];
        Report::new(
            &catalog::outputs()[o].name(),
            &output_stage(o).unwrap(),
            h,
            target,
        )
    }

    #[test]
    fn the_ideal_output_has_full_headroom_and_no_deviation() {
        let r = report("ideal", "hd 600", 85.0);
        assert_eq!(r.short_db, 0.0);
        assert!(r.deviation_span_db < 1e-9);
        assert!((r.headroom_at_target_db - 18.0).abs() < 1e-9);
        assert!(r.verdict.contains("all 18 dB of headroom"), "{}", r.verdict);
    }

    #[test]
    fn shortfall_is_the_missing_peak_level_and_the_verdict_says_it() {
        // A target far beyond what a phone jack gives a 600 Ω headphone.
        let r = report("iphone 6s", "dt 880 600", 100.0);
        assert!(r.short_db > 1.0, "{r:?}");
        assert!(
            (r.short_db - (r.needed_peak_spl_db - r.peak_spl_db)).abs() < 1e-12,
            "{r:?}"
        );
        assert!((r.needed_peak_spl_db - 118.0).abs() < 1e-12);
        let want = format!("{} dB short of your target", fmt_db(r.short_db));
        assert!(r.verdict.contains(&want), "{}", r.verdict);
        // At a quiet target the same pairing is enough.
        let quiet = report("iphone 6s", "dt 880 600", 60.0);
        assert_eq!(quiet.short_db, 0.0, "{quiet:?}");
        assert!(quiet.target_reachable && quiet.volume_db < 0.0);
    }

    #[test]
    fn the_eighth_rule_and_damping_follow_the_impedances() {
        // HD 600's lowest |Z| is near 300 Ω: under 8 × 50 Ω, above 8 × the L30's fraction of
        // an ohm.
        let r = report("scarlett 2i2 4th", "hd 600", 85.0);
        assert!(!r.eighth_rule_passes && r.eighth_rule_ratio > 0.7, "{r:?}");
        assert!(r.text().contains("breaks the 1/8 rule"));
        assert!(report("topping l30", "hd 600", 85.0).eighth_rule_passes);
        let o = find_output("scarlett 2i2 4th").unwrap();
        let hp = &headphone_models()[0];
        let z_1k = hp.load.z_ohm(1000.0).norm();
        let want = z_1k / output_stage(o).unwrap().source.r_out_ohm;
        assert!((r.damping_factor - want).abs() < 1e-9);
    }

    #[test]
    fn ranking_puts_enough_before_short_and_skips_the_reference() {
        let hp = &headphone_models()[find_headphone("dt 990 600").unwrap()];
        let ranked = rank(hp, &[], 95.0);
        assert_eq!(ranked.len(), catalog::outputs().len() - 1);
        assert!(ranked.iter().all(|(_, r)| r.output != "Loadline Ideal"));
        let shorts: Vec<f64> = ranked.iter().map(|(_, r)| r.short_db).collect();
        assert!(
            shorts
                .windows(2)
                .all(|w| (w[0] * 10.0).round() <= (w[1] * 10.0).round())
        );
        assert_eq!(shorts[0], 0.0);
        assert!(*shorts.last().unwrap() > 0.0);
    }

    #[test]
    fn response_deviation_is_zero_at_1k_and_matches_the_span() {
        let o = find_output("iphone 6s").unwrap();
        let hp = &headphone_models()[find_headphone("andromeda").unwrap()];
        let st = [output_stage(o).unwrap(), OutputStage::IDEAL];
        let pts = response(&st, &hp.load, 400);
        let r = report("iphone 6s", "andromeda", 85.0);
        let hi = pts
            .iter()
            .map(|p| p.deviation_db[0])
            .fold(f64::MIN, f64::max);
        let lo = pts
            .iter()
            .map(|p| p.deviation_db[0])
            .fold(f64::MAX, f64::min);
        assert!((hi - lo - r.deviation_span_db).abs() < 1e-9);
        assert!(pts.iter().all(|p| p.deviation_db[1].abs() < 1e-9));
    }

    #[test]
    fn formatting() {
        assert_eq!(fmt_db(-0.04), "0.0");
        assert_eq!(fmt_db(6.25), "6.2");
        assert_eq!(fmt_hz(48.2), "48 Hz");
        assert_eq!(fmt_hz(1234.0), "1.23 kHz");
        assert_eq!(fmt_hz(999.7), "1 kHz");
        assert_eq!(fmt_si(2.449, "V"), "2.45 V");
        assert_eq!(fmt_si(0.0123, "V"), "12.3 mV");
        assert_eq!(fmt_si(-8.5e-4, "A"), "-850 µA");
        assert_eq!(fmt_si(2.38e-8, "V"), "23.8 nV");
        assert_eq!(fmt_si(1e-12, "V"), "0 V");
        assert_eq!(fmt_sig(10.0), "10");
        assert_eq!(fmt_sig(0.047), "0.047");
        assert_eq!(fmt_sig(220.0), "220");
    }
}
