//! The matching report: how well an output drives a headphone, in figures and in words. The
//! command line prints it and the editor shows its verdict; both take it from here.
//!
//! Levels follow the plugin's reference: the target SPL is that of pink noise at −18 dBFS
//! RMS, so program peaks at full scale sit 18 dB above it. An output is enough when those
//! peaks stay clean at the target: its *peak SPL* (the reference's SPL at maximum volume plus
//! the headroom left there) must reach target + 18 dB.

use crate::catalog::{self, Decides, Provenance};
use crate::physics::Impedance;
use crate::physics::chain::stage_onsets;
use crate::physics::headphones::HeadphoneModel;
use crate::physics::impedance::log_spaced;
use crate::physics::output::{
    AUDIO_BAND_HZ, Limit, OperatingPoint, OutputStage, REFERENCE_DBFS_RMS,
};
use crate::units::{TEXT_WIDTH, fmt_db, fmt_hz, fmt_sig, fmt_span, gain_to_db, labelled};
use serde::Serialize;

/// A shortfall smaller than this is none (dB): the figures carry a few hundredths of error.
const SHORT_TOLERANCE_DB: f64 = 0.05;

/// A noise floor above this at the eardrum, at the listening volume, is hiss a listener can
/// hear, dB SPL(A). The ear hears broadband noise by the critical band where it is most
/// sensitive (around 3–4 kHz, about 500 Hz wide, threshold near −3 dB SPL); white noise puts
/// about 15 dB less into that band than its A-weighted total, so it becomes audible near
/// 10 dB SPL(A). A headphone seals out most of the room, and hiss is heard in the programme's
/// pauses and fades, so the threshold, not the room's noise, is the line.
pub const AUDIBLE_NOISE_DB_SPL_A: f64 = 10.0;

/// Where a report leaves the question "is it enough?": what the editor's verdict colour and
/// the command line's ranking show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Standing {
    /// Clean peaks at the target, every deciding figure taken as it is.
    Enough,
    /// Enough at the estimates, short somewhere across their ranges.
    MayFallShort,
    /// Short of the target.
    Short,
    /// Not known: the output's level is not modelled (no maximum level given).
    NotKnown,
}

/// What a report's ranges are of, for the words that name them: an estimate's range and a
/// measurement's are both ranges of the truth, but a producer must know which they read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RangesOf {
    /// Estimated figures' (the catalog's spread of sourced peers).
    #[default]
    Estimates,
    /// A measurement's (its uncertainty).
    Measurement,
    /// Both.
    Both,
}

impl RangesOf {
    /// The words for the ranges: "the estimates' ranges".
    pub fn phrase(self) -> &'static str {
        match self {
            Self::Estimates => "the estimates' ranges",
            Self::Measurement => "the measurement's ranges",
            Self::Both => "the estimates' and the measurement's ranges",
        }
    }

    /// What `provenance`'s ranges are of.
    pub fn of(provenance: &[crate::catalog::Provenance]) -> Self {
        use crate::catalog::Basis;
        let estimated = provenance.iter().any(|p| p.basis == Basis::Estimated);
        let measured = (provenance.iter()).any(|p| p.ranged && p.basis != Basis::Estimated);
        match (estimated, measured) {
            (true, true) => Self::Both,
            (false, true) => Self::Measurement,
            _ => Self::Estimates,
        }
    }
}

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
    /// With estimated figures of the output or the headphone: the lowest and highest of the
    /// figures that depend on them, across the estimates' ranges (`catalog::stages_across`,
    /// `catalog::headphones_across`). The single values above are those of the estimates
    /// themselves.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub range: Option<FigureRange>,
    /// What the ranges are of: estimates, a measurement, or both (the words the text uses).
    #[serde(skip)]
    pub ranges_of: RangesOf,
    /// For a chain: where each of its stages alone would clip at maximum volume, the first
    /// to clip first (`physics::chain::stage_onsets`); empty for a single output.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<StageOnset>,
    /// What is not modelled and changes a figure, in sentences (empty: nothing to add).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Whether the output's level is modelled: false for figures without a maximum level,
    /// whose level figures then say nothing (the tone, the damping and the noise still hold).
    pub level_modelled: bool,
    /// The verdict in one sentence.
    pub verdict: String,
}

/// Where one stage of a chain clips, as a report gives it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageOnset {
    /// The stage, in words.
    pub stage: String,
    /// The loudest clean sine it alone passes at maximum volume, dB SPL.
    pub max_sine_spl_db: f64,
}

/// The lowest and highest of a report's figures across the ranges of its estimates, each as
/// `[lowest, highest]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FigureRange {
    /// The output impedance, ohms.
    pub r_out_ohm: [f64; 2],
    /// The SPL clean program peaks reach at maximum volume, dB SPL.
    pub peak_spl_db: [f64; 2],
    /// How far the peaks fall short of the target, dB (0 = enough).
    pub short_db: [f64; 2],
    /// The spread of the tonal deviation over 20 Hz–20 kHz, dB.
    pub deviation_span_db: [f64; 2],
    /// The noise floor at the volume for the target, dB SPL(A).
    pub noise_floor_db_spl_a: [f64; 2],
}

impl FigureRange {
    /// Whether the peaks' range is wide enough to tell (a twentieth of a dB).
    fn peaks_differ(&self) -> bool {
        self.peak_spl_db[1] - self.peak_spl_db[0] >= 0.05
    }
}

/// What sets the loudest clean sine at maximum volume, as the report tells it apart: a
/// sagging supply's rails are named apart from stiff ones, because the load itself lowers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum LimitKind {
    /// The converter's full scale.
    #[serde(rename = "full scale")]
    FullScale,
    /// A chain's source stage, ahead of the amplifier.
    #[serde(rename = "source stage")]
    SourceStage,
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
            Limit::SourceStage => Self::SourceStage,
            Limit::Rail if stage.r_sag_ohm > 0.0 => Self::SaggingRails,
            Limit::Rail => Self::Rails,
            Limit::Current => Self::CurrentLimit,
        }
    }

    /// The limit in words, as the report and its JSON name it.
    pub fn name(self) -> &'static str {
        match self {
            Self::FullScale => "full scale",
            Self::SourceStage => "source stage",
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
            range: None,
            ranges_of: RangesOf::Estimates,
            stages: Vec::new(),
            notes: Vec::new(),
            level_modelled: true,
            verdict: String::new(),
        };
        r.verdict = r.verdict_text();
        r
    }

    /// The report of an output whose level is not modelled (no maximum level given): its
    /// verdict says so, and no level figure stands as an answer.
    pub fn with_level_unmodelled(mut self) -> Self {
        self.level_modelled = false;
        self.verdict = self.verdict_text();
        self
    }

    /// The report with `clause` (if any) added to its verdict: what another part of the answer
    /// has to say (the other listeners whose peaks clip, `analysis::with_listeners`).
    pub fn with_verdict_clause(mut self, clause: Option<String>) -> Self {
        if let Some(clause) = clause {
            self.verdict = format!("{}; {clause}", self.verdict);
        }
        self
    }

    /// Where the report leaves the question "is it enough?".
    pub fn standing(&self) -> Standing {
        if !self.level_modelled {
            Standing::NotKnown
        } else if self.short_db > 0.0 {
            Standing::Short
        } else if self.may_fall_short() {
            Standing::MayFallShort
        } else {
            Standing::Enough
        }
    }

    /// The report with `notes` on what is not modelled.
    pub fn with_notes(mut self, notes: Vec<String>) -> Self {
        self.notes = notes;
        self
    }

    /// The report of a chain (`stage`, its single-stage form, driving `hp`): where each of its
    /// stages alone would clip at maximum volume, first first; stages without a limit are left
    /// out.
    pub fn with_stages(mut self, stage: &OutputStage, hp: &HeadphoneModel) -> Self {
        let mut onsets: Vec<_> = stage_onsets(stage, &hp.load, hp.sens_db_spl_per_v, 0.0)
            .into_iter()
            .filter(|o| o.max_sine_spl_db.is_finite())
            .collect();
        onsets.sort_by(|a, b| a.max_sine_spl_db.total_cmp(&b.max_sine_spl_db));
        self.stages = onsets
            .iter()
            .map(|o| StageOnset {
                stage: o.stage.describe().to_string(),
                max_sine_spl_db: o.max_sine_spl_db,
            })
            .collect();
        if let [first, second, ..] = self.stages.as_slice() {
            self.verdict = format!(
                "{}; first to clip: {}, {:.1} dB before {}",
                self.verdict,
                first.stage,
                second.max_sine_spl_db - first.max_sine_spl_db,
                second.stage
            );
        }
        self
    }

    /// A chain's stages in a sentence: which clips first, and how much later the others
    /// ("first to clip: the amplifier's rails, at a 115.5 dB SPL sine; then …"); `None` for a
    /// single output.
    pub fn stages_sentence(&self) -> Option<String> {
        let (first, rest) = self.stages.split_first()?;
        let later: Vec<String> = rest
            .iter()
            .map(|o| {
                format!(
                    "{}, {:.1} dB later",
                    o.stage,
                    o.max_sine_spl_db - first.max_sine_spl_db
                )
            })
            .collect();
        Some(format!(
            "first to clip: {}, at a {:.1} dB SPL sine{}{}",
            first.stage,
            first.max_sine_spl_db,
            if later.is_empty() { "" } else { "; then " },
            later.join(", ")
        ))
    }

    /// The report, told that its figures for `estimated` are estimates (the verdict says so).
    pub fn with_estimated(mut self, estimated: Vec<Decides>) -> Self {
        self.estimated = estimated;
        self.verdict = self.verdict_text();
        self
    }

    /// The report with its ranges named as `ranges_of`'s (estimates' by default).
    pub fn with_ranges_of(mut self, ranges_of: RangesOf) -> Self {
        self.ranges_of = ranges_of;
        self.verdict = self.verdict_text();
        self
    }

    /// The report with the ranges of its estimates: the figures are computed again for `stage`
    /// and each of `stages` (the output stages spanning the output's estimates,
    /// `catalog::stages_across`) driving `hp` and each of `hps` (the models spanning the
    /// headphone's, `catalog::headphones_across`), every pair of them, and the range of each
    /// figure is the lowest and highest of those. Nothing to span, no range.
    pub fn with_range(
        mut self,
        stage: &OutputStage,
        stages: &[OutputStage],
        hp: &HeadphoneModel,
        hps: &[HeadphoneModel],
    ) -> Self {
        if stages.is_empty() && hps.is_empty() {
            return self;
        }
        let all_stages: Vec<&OutputStage> = std::iter::once(stage).chain(stages).collect();
        let all_hps: Vec<&HeadphoneModel> = std::iter::once(hp).chain(hps).collect();
        let ends: Vec<Report> = all_stages
            .iter()
            .flat_map(|s| all_hps.iter().map(move |h| (s, h)))
            .skip(1)
            .map(|(s, h)| Report::new(&self.output, s, h, self.target_spl_db))
            .collect();
        let span = |f: fn(&Report) -> f64| {
            ends.iter()
                .map(f)
                .fold([f(&self), f(&self)], |[lo, hi], v| [lo.min(v), hi.max(v)])
        };
        self.range = Some(FigureRange {
            r_out_ohm: span(|r| r.r_out_ohm),
            peak_spl_db: span(|r| r.peak_spl_db),
            short_db: span(|r| r.short_db),
            deviation_span_db: span(|r| r.deviation_span_db),
            noise_floor_db_spl_a: span(|r| r.noise_floor_db_spl_a),
        });
        self.verdict = self.verdict_text();
        self
    }

    /// Whether it reaches the target at the estimates but falls short somewhere across their
    /// ranges, as the verdict then says ("up to 4.4 dB short of your target").
    pub fn may_fall_short(&self) -> bool {
        self.short_db == 0.0
            && self
                .range
                .filter(FigureRange::peaks_differ)
                .is_some_and(|g| g.short_db[1] > 0.0)
    }

    /// What is estimated, in words: "output impedance, maximum level" (empty if nothing).
    pub fn estimated_text(&self) -> String {
        catalog::decides_text(&self.estimated)
    }

    /// The one-sentence verdict: the level, audible hiss, and what it rests on when that is
    /// estimated.
    fn verdict_text(&self) -> String {
        let mut verdict = if self.level_modelled {
            self.verdict_from_figures()
        } else {
            format!(
                "{} on {}: level not modelled (no maximum level given), so whether it reaches {} dB SPL is not known; the tone, damping and noise below still hold",
                self.output,
                self.headphone,
                fmt_db(self.target_spl_db)
            )
        };
        if let Some(hiss) = self.hiss_text() {
            verdict = format!("{verdict}; {hiss}");
        }
        if self.estimated.is_empty() {
            verdict
        } else {
            format!(
                "{verdict}; estimated, not published: {}",
                self.estimated_text()
            )
        }
    }

    /// Audible hiss in words, when the noise floor at the listening volume is above
    /// [`AUDIBLE_NOISE_DB_SPL_A`] (or may be, across the estimates' ranges).
    fn hiss_text(&self) -> Option<String> {
        let floor = self.noise_floor_db_spl_a;
        let highest = self.range.map_or(floor, |r| r.noise_floor_db_spl_a[1]);
        if floor > AUDIBLE_NOISE_DB_SPL_A {
            Some(format!(
                "audible hiss: its noise floor reaches {floor:.0} dB SPL(A) at that volume (audible above {AUDIBLE_NOISE_DB_SPL_A:.0})"
            ))
        } else if highest > AUDIBLE_NOISE_DB_SPL_A {
            Some(format!(
                "hiss may be audible: up to {highest:.0} dB SPL(A) at that volume across {} (audible above {AUDIBLE_NOISE_DB_SPL_A:.0})",
                self.ranges_of.phrase()
            ))
        } else {
            None
        }
    }

    /// The verdict the figures give: across the estimates' ranges when there are any, and
    /// otherwise as if each figure were known.
    fn verdict_from_figures(&self) -> String {
        if let Some(range) = self.range.filter(FigureRange::peaks_differ) {
            return self.verdict_across(&range);
        }
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
            "at maximum volume its converter reaches full scale (0 dBFS) before anything analogue clips".to_string()
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

    /// The verdict across the estimates' ranges: "98–106 dB SPL peak: up to 5.0 dB short".
    fn verdict_across(&self, range: &FigureRange) -> String {
        let peaks = fmt_span(range.peak_spl_db, 0);
        let [short_lo, short_hi] = range.short_db;
        if short_hi == 0.0 {
            return format!(
                "{} drives {} to {} dB SPL with all 18 dB of headroom for peaks (clean up to {peaks} dB SPL across {})",
                self.output,
                self.headphone,
                fmt_db(self.target_spl_db),
                self.ranges_of.phrase(),
            );
        }
        let short = if short_lo == 0.0 {
            format!("up to {} dB short of your target", fmt_db(short_hi))
        } else {
            format!(
                "{}–{} dB short of your target",
                fmt_db(short_lo),
                fmt_db(short_hi)
            )
        };
        format!(
            "{} reaches {peaks} dB SPL peak on {} across {}: {short} ({} dB SPL needs {} dB SPL peaks)",
            self.output,
            self.headphone,
            self.ranges_of.phrase(),
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
            LimitKind::FullScale => "converter's full scale (0 dBFS)".into(),
            LimitKind::SourceStage => "source's output stage, ahead of the amplifier".into(),
        }
    }

    /// " (98.0–106.2 across the estimates' ranges)" for the figure `f` of the range, with
    /// `decimals` and `unit`; empty without a range or when its ends print the same.
    fn across(&self, f: fn(&FigureRange) -> [f64; 2], decimals: usize, unit: &str) -> String {
        match self.range.map(|r| fmt_span(f(&r), decimals)) {
            Some(span) if span.contains('–') => {
                format!(" ({span}{unit} across {})", self.ranges_of.phrase())
            }
            _ => String::new(),
        }
    }

    /// The damping factor and the 1/8 rule in words (`rule`: "meets" or "breaks"); a 0 Ω
    /// output's are unbounded, and said so rather than printed as infinities.
    fn damping_text(&self, rule: &str) -> String {
        if !self.damping_factor.is_finite() {
            return "no output impedance, so no damping factor to speak of (unbounded) and the 1/8 rule met".into();
        }
        format!(
            "damping factor {:.1} at 1 kHz; {rule} the 1/8 rule (the headphone's lowest impedance is {} × the output's; 8 × meets it)",
            self.damping_factor,
            fmt_sig(8.0 * self.eighth_rule_ratio)
        )
    }

    /// The report in words and figures, for people.
    pub fn text(&self) -> String {
        let cap = self
            .coupling_cap_uf
            .map_or(String::new(), |c| format!(" and {} µF", fmt_sig(c)));
        let volume = if self.target_reachable {
            format!("{} dB on the volume", fmt_db(self.volume_db))
        } else {
            format!(
                "out of reach: maximum volume gives the reference {:.1} dB SPL, {} dB below {}",
                self.reference_spl_at_max_db,
                fmt_db(self.target_spl_db - self.reference_spl_at_max_db),
                fmt_db(self.target_spl_db)
            )
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
        let mut lines = vec![
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
                "  peaks         clean up to {:.1} dB SPL{}; {} dB SPL needs {:.1}",
                self.peak_spl_db,
                self.across(|r| r.peak_spl_db, 1, ""),
                fmt_db(self.target_spl_db),
                self.needed_peak_spl_db
            ),
            format!(
                "  at target     {volume}; headroom {:.1} dB of 18",
                self.headroom_at_target_db
            ),
            format!(
                "  noise floor   {}{}{}",
                noise_text(self.noise_floor_db_spl_a),
                if self.noise_floor_db_spl_a.is_finite() {
                    " at that volume"
                } else {
                    ""
                },
                self.across(|r| r.noise_floor_db_spl_a, 1, " dB SPL(A)")
            ),
            format!(
                "  impedance     {} Ω{}{cap}: {}",
                fmt_sig(self.r_out_ohm),
                self.across(|r| r.r_out_ohm, 1, " Ω"),
                self.damping_text(rule)
            ),
            format!(
                "  tone          {:.2} dB span over 20 Hz–20 kHz{} (highest at {}, lowest at {}); {:.2} dB level at 1 kHz",
                self.deviation_span_db,
                self.across(|r| r.deviation_span_db, 2, " dB"),
                fmt_hz(self.deviation_peak_hz),
                fmt_hz(self.deviation_dip_hz),
                self.level_at_1k_db
            ),
        ];
        if !self.level_modelled {
            let level = "  level         not modelled: no maximum level given (a full scale, or rails and a current limit)";
            lines.splice(3..6, [level.to_string()]);
        }
        if let Some(stages) = self.stages_sentence() {
            lines.insert(4, format!("  stages        {stages}"));
        }
        lines.extend(self.notes.iter().map(|n| format!("  note          {n}")));
        // Every figure's line in the column, wrapped; the title stands as it is.
        let wrapped = lines.iter().skip(1).map(|line| match line.get(..16) {
            Some(head) if line.chars().count() > TEXT_WIDTH => labelled(head.trim(), &line[16..]),
            _ => line.clone(),
        });
        std::iter::once(lines[0].clone())
            .chain(wrapped)
            .collect::<Vec<_>>()
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
        lines.push(format!(
            "  {:<28} {:<14} {basis}: {}",
            p.figure, p.value, p.source
        ));
        if !p.note.is_empty() {
            lines.push(format!("  {:<28} {:<14} {}", "", "", p.note));
        }
    }
    lines.join("\n")
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

    #[test]
    fn a_report_names_whose_ranges_it_spans() {
        use crate::catalog::{Basis, Decides, Provenance};
        let figure = |basis, ranged| Provenance {
            figure: "output impedance".into(),
            value: "10 Ω".into(),
            decides: Decides::OutputImpedance,
            basis,
            source: "own measurement".into(),
            note: String::new(),
            ranged,
        };
        let measured = figure(Basis::Measured, true);
        let estimated = figure(Basis::Estimated, false);
        let stated = figure(Basis::Stated, false);
        assert_eq!(
            RangesOf::of(&[measured.clone(), stated.clone()]),
            RangesOf::Measurement
        );
        assert_eq!(RangesOf::of(&[measured, estimated.clone()]), RangesOf::Both);
        assert_eq!(RangesOf::of(&[estimated, stated]), RangesOf::Estimates);
        assert_eq!(RangesOf::Measurement.phrase(), "the measurement's ranges");
    }
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

    /// The ranges are the physics: their ends are the lowest and highest figures of full
    /// reports at the stages spanning the estimates, and any stage inside the ranges (an
    /// output impedance, a full scale, a current limit and a supply sag drawn between their
    /// ends) gives figures within them, to the report's resolution.
    #[test]
    fn ranges_are_the_physics_at_their_ends_and_hold_every_stage_inside() {
        let mut rng = crate::dsp::noise::Rng::new(11);
        let mut checked = 0;
        let mut worst_excess = 0.0f64;
        for (k, entry) in catalog::outputs().iter().enumerate() {
            let Some(range) = catalog::estimate_range(k) else {
                continue;
            };
            let stages = catalog::stages_across(k);
            for hp in ["dt 990 600", "dt 770 32", "andromeda"] {
                let h = &headphone_models()[find_headphone(hp).unwrap()];
                let own =
                    report(&entry.name(), hp, 85.0).with_range(&entry.stage(), &stages, h, &[]);
                let r = own.range.expect("a ranged output's report has a range");
                let ends: Vec<Report> = stages
                    .iter()
                    .map(|s| Report::new(&own.output, s, h, 85.0))
                    .collect();
                let lowest = ends
                    .iter()
                    .map(|e| e.peak_spl_db)
                    .fold(own.peak_spl_db, f64::min);
                assert_eq!(r.peak_spl_db[0], lowest);
                // Inside: a random output impedance, full scale and current limit between the
                // ends (the stage the entry's figures give at that impedance, with those levels).
                for _ in 0..8 {
                    let mut e = entry.clone();
                    let mut draw = |[lo, hi]: [f64; 2]| {
                        let t = 0.5 + rng.unit() / 12f64.sqrt();
                        if hi.is_finite() {
                            lo + (hi - lo) * t
                        } else {
                            lo / (1.0 - t).max(1e-3)
                        }
                    };
                    if let Some(ends) = range.r_out_ohm {
                        e.r_out_ohm.value = draw(ends);
                    }
                    if let (Some(ends), Some(sag)) = (range.r_sag_ohm, e.r_sag_ohm.as_mut()) {
                        sag.value = draw(ends);
                    }
                    let mut stage = e.stage();
                    if let (Some(v), Some(i)) = (range.v_fs_peak, range.i_max_peak) {
                        // A distribution amplifier's rail is its full scale's estimate.
                        let v_fs_peak = draw(v);
                        if e.distribution.is_some() {
                            stage.rail_v_peak *= v_fs_peak / stage.v_fs_peak;
                        }
                        stage.v_fs_peak = v_fs_peak;
                        stage.i_max_peak = draw(i);
                        if let Some(dr) = &e.dynamic_range_db {
                            stage.noise_pre = OutputStage::noise_from_dynamic_range(
                                stage.v_fs_peak,
                                dr.value,
                                e.dynamic_range_a_weighted,
                                0.0,
                            );
                        }
                    }
                    if let Some(ends) = range.supply_sag_ohm {
                        stage.r_sag_ohm = draw(ends);
                    }
                    let inside = Report::new(&own.output, &stage, h, 85.0);
                    for (v, [lo, hi]) in [
                        (inside.peak_spl_db, r.peak_spl_db),
                        (inside.deviation_span_db, r.deviation_span_db),
                        (inside.short_db, r.short_db),
                    ] {
                        worst_excess = worst_excess.max(lo - v).max(v - hi);
                    }
                    checked += 1;
                }
            }
        }
        // The output impedance is a grid (`catalog::R_OUT_POINTS`): between its points a figure can
        // pass the grid's extremes where the stage its stated maxima imply changes regime
        // (current-limited or not), by less than the 0.1 dB the report prints.
        assert!(
            worst_excess < 0.1,
            "a stage inside passes the range by {worst_excess} dB"
        );
        assert!(checked > 150, "{checked} stages checked");
    }

    /// The verdict gives the range: "reaches 104–111 dB SPL peak … up to 4.0 dB short".
    #[test]
    fn the_verdict_across_a_range_says_how_far_it_may_fall_short() {
        let k = find_output("motu m2").unwrap();
        let h = &headphone_models()[find_headphone("dt 990 600").unwrap()];
        let stage = catalog::output_stage(k).unwrap();
        let r = report("motu m2", "dt 990 600", 90.0).with_range(
            &stage,
            &catalog::stages_across(k),
            h,
            &[],
        );
        let g = r.range.unwrap();
        assert!(g.short_db[0] == 0.0 && g.short_db[1] > 1.0, "{g:?}");
        let expected = format!(
            "MOTU M2 reaches {} dB SPL peak on {} across the estimates' ranges: up to {} dB short of your target",
            fmt_span(g.peak_spl_db, 0),
            h.name,
            fmt_db(g.short_db[1])
        );
        assert!(r.verdict.starts_with(&expected), "{}", r.verdict);
        // Short at the estimates (3.9 dB at 90 dB SPL), it does not merely "may" fall short.
        assert!(r.short_db > 0.0 && !r.may_fall_short());
        // With a target 0.1 dB under what its peaks reach at the estimates, it reaches it there
        // and may fall short across their ranges; at 70 dB SPL it is enough across the whole
        // of them.
        let at = |target_spl_db: f64| {
            report("motu m2", "dt 990 600", target_spl_db).with_range(
                &stage,
                &catalog::stages_across(k),
                h,
                &[],
            )
        };
        let open = at(r.peak_spl_db - 18.0 - 0.1);
        assert!(open.short_db == 0.0 && open.range.unwrap().short_db[1] > 0.0);
        assert!(open.may_fall_short());
        let enough = at(70.0);
        assert!(enough.range.unwrap().short_db[1] == 0.0 && !enough.may_fall_short());
        // A stated output has no range, and its verdict one figure.
        assert!(
            report("scarlett 2i2 4th", "dt 990 600", 90.0)
                .range
                .is_none()
        );
    }
}
