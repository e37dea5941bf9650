//! The device catalog: headphone outputs and headphones, from `catalog/outputs.toml` and
//! `catalog/headphones.toml` (embedded at build time). Every figure carries its basis
//! (measured, stated by the maker, or estimated) and its source; estimates say how they were
//! derived. This module turns the published figures into the models the physics and the
//! engine use:
//!
//! - an output's full-scale EMF, current limit, rails and noise from its stated maximum
//!   levels into loads and its noise figures ([`OutputEntry::stage`]);
//! - a headphone's circuit model from the key points of a published impedance curve: DC
//!   resistance, resonance frequency and peak, impedance at 1 kHz and 10 kHz
//!   ([`HeadphoneEntry::load`]).
//!
//! Entries are never renumbered: `index` is what a saved project stores, so new entries are
//! appended.

use crate::physics::headphones::{HeadphoneLoad, HeadphoneModel};
use crate::physics::impedance::{Impedance, Load};
use crate::physics::output::{NoiseSpec, OutputStage, sens_db_spl_per_v_from_mw};
use crate::physics::source::TheveninSource;
use crate::units::{db_to_gain, dbu_to_vrms, dbv_to_vrms};
use serde::{Deserialize, Serialize};
use std::f64::consts::SQRT_2;
use std::sync::OnceLock;

/// How a figure is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Basis {
    /// Measured by a third party.
    Measured,
    /// Stated by the maker.
    Stated,
    /// Estimated; the figure's note says how.
    Estimated,
}

/// One figure with its provenance.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Figure {
    /// The value, in the unit the field's name gives.
    pub value: f64,
    /// How it is known.
    pub basis: Basis,
    /// Where it comes from (a URL, or the reference file it was taken from).
    pub source: String,
    /// For estimates, how the value was derived; otherwise optional context.
    #[serde(default)]
    pub note: String,
}

/// Where one figure of a device comes from, as a producer reads it: what the figure is, how
/// it is known, its source and its note.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Provenance {
    /// The figure, in words ("output impedance", "maximum output into 32 Ω").
    pub figure: String,
    /// What it decides, in words (see [`Decides`]).
    pub decides: Decides,
    /// How it is known.
    pub basis: Basis,
    /// Where it comes from.
    pub source: String,
    /// How it was derived, or context.
    pub note: String,
}

/// What a figure decides in a report: the figures a producer's question turns on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decides {
    /// The output impedance: the tonal change and the damping.
    OutputImpedance,
    /// How loud the output gets before it clips (its maximum outputs, rails, supply).
    MaximumLevel,
    /// The noise floor.
    Noise,
    /// The headphone's sensitivity: every SPL.
    Sensitivity,
    /// The headphone's impedance curve: the tonal change.
    ImpedanceCurve,
}

impl Decides {
    /// In words, as reports list what is estimated.
    pub fn name(self) -> &'static str {
        match self {
            Self::OutputImpedance => "output impedance",
            Self::MaximumLevel => "maximum level",
            Self::Noise => "noise",
            Self::Sensitivity => "headphone sensitivity",
            Self::ImpedanceCurve => "headphone impedance curve",
        }
    }
}

/// What `provenance` decides from estimates alone, each once, in order.
pub fn estimated(provenance: &[Provenance]) -> Vec<Decides> {
    let mut v: Vec<Decides> = provenance
        .iter()
        .filter(|p| p.basis == Basis::Estimated)
        .map(|p| p.decides)
        .collect();
    v.sort();
    v.dedup();
    v
}

impl Figure {
    fn provenance(&self, figure: impl Into<String>, decides: Decides) -> Provenance {
        Provenance {
            figure: figure.into(),
            decides,
            basis: self.basis,
            source: self.source.clone(),
            note: self.note.clone(),
        }
    }
}

/// A stated or measured maximum output into a resistive load (one of `vrms`, `mw`, `dbu`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaxOutput {
    /// The load, ohms.
    pub load_ohm: f64,
    /// Maximum voltage across it, V RMS.
    #[serde(default)]
    pub vrms: Option<f64>,
    /// Maximum power into it, mW.
    #[serde(default)]
    pub mw: Option<f64>,
    /// Maximum voltage across it, dBu.
    #[serde(default)]
    pub dbu: Option<f64>,
    /// How it is known.
    pub basis: Basis,
    /// Where it comes from.
    pub source: String,
    /// Context or derivation.
    #[serde(default)]
    pub note: String,
}

impl MaxOutput {
    /// The figure as V RMS across the load (`None` unless exactly one form is given).
    pub fn load_vrms(&self) -> Option<f64> {
        match (self.vrms, self.mw, self.dbu) {
            (Some(v), None, None) => Some(v),
            (None, Some(p), None) => Some((p * 1e-3 * self.load_ohm).sqrt()),
            (None, None, Some(d)) => Some(dbu_to_vrms(d)),
            _ => None,
        }
    }
}

/// What an output is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutputKind {
    /// The ideal reference.
    Reference,
    /// An audio interface's headphone jack.
    AudioInterface,
    /// A dedicated headphone amplifier.
    DedicatedAmp,
    /// A computer's headphone jack.
    Computer,
    /// A phone's jack or a phone adapter.
    PhoneOrAdapter,
    /// A multi-channel headphone amplifier (distribution amp).
    MultiChannelAmp,
}

/// A headphone output.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputEntry {
    /// Position in the plugin's output choices; never changes once published.
    pub index: usize,
    /// Maker.
    pub maker: String,
    /// Model.
    pub model: String,
    /// Variant (revision, output used), or empty.
    #[serde(default)]
    pub variant: String,
    /// What it is.
    pub kind: OutputKind,
    /// Output resistance, ohms.
    pub r_out_ohm: Figure,
    /// Series coupling capacitor, µF (none when absent).
    #[serde(default)]
    pub coupling_cap_uf: Option<Figure>,
    /// Maximum outputs into loads (at least one unless the entry is the reference).
    #[serde(default)]
    pub max_output: Vec<MaxOutput>,
    /// Rail limit of the EMF, V peak (none: the converter's full scale is the limit).
    #[serde(default)]
    pub rail_v_peak: Option<Figure>,
    /// Supply sag, ohms (`OutputStage::r_sag_ohm`): with it, the maximum outputs fix a
    /// sagging rail instead of a full scale and a current limit (see `stage`).
    #[serde(default)]
    pub r_sag_ohm: Option<Figure>,
    /// Dynamic range, dB below a full-scale sine at maximum volume.
    #[serde(default)]
    pub dynamic_range_db: Option<Figure>,
    /// Whether the dynamic range is A-weighted.
    #[serde(default)]
    pub dynamic_range_a_weighted: bool,
    /// Output noise floor, dBV (after the volume control).
    #[serde(default)]
    pub noise_dbv: Option<Figure>,
    /// Whether the noise floor is A-weighted.
    #[serde(default)]
    pub noise_a_weighted: bool,
}

/// A measured or published key point's frequency for the 1 kHz and 10 kHz points.
pub const KEY_FREQS_HZ: [f64; 2] = [1_000.0, 10_000.0];

/// The published impedance curve's key points.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyPoints {
    /// DC resistance (or the curve's value at its lowest frequency), ohms.
    pub rdc_ohm: Figure,
    /// Frequency of the impedance peak, Hz (none for a curve without one).
    #[serde(default)]
    pub f_res_hz: Option<Figure>,
    /// Impedance at that peak, ohms.
    #[serde(default)]
    pub z_res_ohm: Option<Figure>,
    /// Quality factor of the peak (its width), when known or estimated.
    #[serde(default)]
    pub q: Option<Figure>,
    /// |Z| at 1 kHz, ohms.
    pub z_1k_ohm: Figure,
    /// |Z| at 10 kHz, ohms.
    pub z_10k_ohm: Figure,
}

/// What a sensitivity figure is referred to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum SensitivityUnit {
    /// dB SPL for 1 V RMS.
    #[serde(rename = "dB SPL/V")]
    PerVolt,
    /// dB SPL for 1 mW at the nominal impedance.
    #[serde(rename = "dB SPL/mW")]
    PerMilliwatt,
}

/// A headphone's sensitivity, in the unit its maker gives.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sensitivity {
    /// The value.
    pub value: f64,
    /// Per volt or per milliwatt.
    pub unit: SensitivityUnit,
    /// How it is known.
    pub basis: Basis,
    /// Where it comes from.
    pub source: String,
    /// Context or derivation.
    #[serde(default)]
    pub note: String,
}

/// A headphone.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeadphoneEntry {
    /// Position in the plugin's headphone choices; never changes once published.
    pub index: usize,
    /// Maker.
    pub maker: String,
    /// Model.
    pub model: String,
    /// Variant (impedance version, revision), or empty.
    #[serde(default)]
    pub variant: String,
    /// Kind of transducer, in words.
    pub kind: String,
    /// Nominal impedance, ohms.
    pub nominal_ohm: Figure,
    /// Sensitivity.
    pub sensitivity: Sensitivity,
    /// The impedance curve the key points were read from (or how they were estimated).
    pub curve: String,
    /// The curve's key points.
    pub points: KeyPoints,
}

#[derive(Deserialize)]
struct OutputsFile {
    output: Vec<OutputEntry>,
}

#[derive(Deserialize)]
struct HeadphonesFile {
    headphone: Vec<HeadphoneEntry>,
}

/// The embedded catalog files.
const OUTPUTS_TOML: &str = include_str!("../catalog/outputs.toml");
const HEADPHONES_TOML: &str = include_str!("../catalog/headphones.toml");

/// Every output, in index order (parsed once; the embedded file is checked by the tests).
pub fn outputs() -> &'static [OutputEntry] {
    static OUTPUTS: OnceLock<Vec<OutputEntry>> = OnceLock::new();
    OUTPUTS.get_or_init(|| {
        let mut v = toml::from_str::<OutputsFile>(OUTPUTS_TOML)
            .expect("catalog/outputs.toml parses (checked by the tests)")
            .output;
        v.sort_by_key(|e| e.index);
        v
    })
}

/// The output stage of catalog output `index` (derived once; allocation-free after that, so
/// the audio thread may call it).
pub fn output_stage(index: usize) -> Option<OutputStage> {
    static STAGES: OnceLock<Vec<OutputStage>> = OnceLock::new();
    STAGES
        .get_or_init(|| outputs().iter().map(OutputEntry::stage).collect())
        .get(index)
        .copied()
}

/// Every headphone entry, in index order.
pub fn headphones() -> &'static [HeadphoneEntry] {
    static HEADPHONES: OnceLock<Vec<HeadphoneEntry>> = OnceLock::new();
    HEADPHONES.get_or_init(|| {
        let mut v = toml::from_str::<HeadphonesFile>(HEADPHONES_TOML)
            .expect("catalog/headphones.toml parses (checked by the tests)")
            .headphone;
        v.sort_by_key(|e| e.index);
        v
    })
}

/// Every headphone as the model the physics and the designer use, in index order (fitted
/// once).
pub fn headphone_models() -> Vec<HeadphoneModel> {
    static MODELS: OnceLock<Vec<HeadphoneModel>> = OnceLock::new();
    MODELS
        .get_or_init(|| headphones().iter().map(HeadphoneEntry::model).collect())
        .clone()
}

/// The index of the name in `names` that `text` picks, as people type names: case, spaces,
/// hyphens and other punctuation do not matter ("HD600", "hd-600" and "HD 600" are alike), nor
/// do "Ω" and "ohm". The whole name picks it; otherwise the one name that contains every word
/// of `text` ("dt990 600" picks "Beyerdynamic DT 990 600 ohm", "m50x" the ATH-M50x).
/// Otherwise the reason, in words; when several names match, what tells them apart
/// ("Focusrite Scarlett 2i2: 4th gen or 3rd gen?").
pub fn lookup(text: &str, names: &[String]) -> Result<usize, String> {
    let whole = compact(text);
    if whole.is_empty() {
        return Err("an empty name".into());
    }
    if let Some(k) = names.iter().position(|n| compact(n) == whole) {
        return Ok(k);
    }
    let hits: Vec<usize> = (0..names.len())
        .filter(|&k| name_matches(&names[k], text))
        .collect();
    match hits.as_slice() {
        [k] => Ok(*k),
        [] => Err(format!("no entry matches '{}'", text.trim())),
        many => Err(format!(
            "'{}' matches {} entries: {}",
            text.trim(),
            many.len(),
            what_tells_apart(&many.iter().map(|&k| names[k].as_str()).collect::<Vec<_>>())
        )),
    }
}

/// `s` as names are compared: lower case, letters and digits only, "Ω" (either code point)
/// spelt "ohm".
fn compact(s: &str) -> String {
    s.replace(['Ω', '\u{2126}'], "ohm")
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether `name` contains every word of `query`, each compared in its compact form (letters and digits, lower case) (so
/// "dt990" is found in "DT 990", and "80Ω" is two words, "80" and "ohm"). An empty query
/// matches every name.
pub fn name_matches(name: &str, query: &str) -> bool {
    let n = compact(name);
    query
        .replace(['Ω', '\u{2126}'], " ohm")
        .split_whitespace()
        .map(compact)
        .all(|w| n.contains(&w))
}

/// Several names in the words that tell them apart: the words they all start with, then how
/// each goes on ("Beyerdynamic DT 770 Pro: 32 ohm, 80 ohm or 250 ohm?"); the whole names when
/// they share no first word.
fn what_tells_apart(names: &[&str]) -> String {
    let words: Vec<Vec<&str>> = names
        .iter()
        .map(|n| n.split_whitespace().collect())
        .collect();
    let shortest = words.iter().map(Vec::len).min().unwrap_or(0);
    // Leave every name at least one word of its own.
    let common = (0..shortest.saturating_sub(1))
        .take_while(|&i| words.iter().all(|w| w[i] == words[0][i]))
        .count();
    let rests: Vec<String> = words.iter().map(|w| w[common..].join(" ")).collect();
    let (last, rest) = rests.split_last().expect("several names");
    let choices = format!("{} or {last}?", rest.join(", "));
    if common == 0 {
        choices
    } else {
        format!("{}: {choices}", words[0][..common].join(" "))
    }
}

/// The catalog output that `text` names (see `lookup`).
pub fn find_output(text: &str) -> Result<usize, String> {
    let names: Vec<String> = outputs().iter().map(OutputEntry::name).collect();
    lookup(text, &names).map_err(|e| format!("output: {e} (see `loadline list outputs`)"))
}

/// The catalog headphone that `text` names (see `lookup`).
pub fn find_headphone(text: &str) -> Result<usize, String> {
    let names: Vec<String> = headphones().iter().map(HeadphoneEntry::name).collect();
    lookup(text, &names).map_err(|e| format!("headphone: {e} (see `loadline list headphones`)"))
}

/// "Maker Model Variant", the name shown in menus.
fn display_name(maker: &str, model: &str, variant: &str) -> String {
    let mut s = format!("{maker} {model}");
    if !variant.is_empty() {
        s.push(' ');
        s.push_str(variant);
    }
    s
}

impl OutputEntry {
    /// The name shown in menus.
    pub fn name(&self) -> String {
        display_name(&self.maker, &self.model, &self.variant)
    }

    /// Where each of the entry's figures comes from (none for the ideal reference).
    pub fn provenance(&self) -> Vec<Provenance> {
        if self.kind == OutputKind::Reference {
            return Vec::new();
        }
        let mut v = vec![
            self.r_out_ohm
                .provenance("output impedance", Decides::OutputImpedance),
        ];
        let optional = [
            (
                &self.coupling_cap_uf,
                "coupling capacitor",
                Decides::OutputImpedance,
            ),
            (&self.rail_v_peak, "voltage rails", Decides::MaximumLevel),
            (&self.r_sag_ohm, "supply sag", Decides::MaximumLevel),
            (&self.dynamic_range_db, "dynamic range", Decides::Noise),
            (&self.noise_dbv, "noise floor", Decides::Noise),
        ];
        v.extend(self.max_output.iter().map(|m| Provenance {
            figure: format!(
                "maximum output into {} Ω",
                crate::units::fmt_sig(m.load_ohm)
            ),
            decides: Decides::MaximumLevel,
            basis: m.basis,
            source: m.source.clone(),
            note: m.note.clone(),
        }));
        v.extend(
            optional
                .into_iter()
                .filter_map(|(f, name, decides)| Some(f.as_ref()?.provenance(name, decides))),
        );
        v
    }

    /// The output stage these figures describe. The highest EMF any maximum-output figure
    /// needs (`V·(R_L + Z_out)/R_L` at 1 kHz) is the full scale; a figure that needs less
    /// EMF than that was current-limited (`V/R_L`, peak). The current limit is the geometric
    /// mean of the lowest and highest such currents, which splits the worst error in dB
    /// between them (they agree when the output really has one current limit).
    ///
    /// An entry with a supply sag is instead limited by sagging rails: each figure needs a
    /// rail of `V·(|R_L + Z_out| + R_sag)/R_L`, and the rail (and full scale) is the geometric
    /// mean of the lowest and highest of these, again splitting the worst error in dB.
    /// Without noise figures the output is silent.
    pub fn stage(&self) -> OutputStage {
        if self.kind == OutputKind::Reference {
            return OutputStage::IDEAL;
        }
        let source = TheveninSource {
            r_out_ohm: self.r_out_ohm.value,
            coupling_cap_f: self.coupling_cap_uf.as_ref().map(|c| c.value * 1e-6),
        };
        let z_out = source.z_out();
        let r_sag_ohm = self.r_sag_ohm.as_ref().map_or(0.0, |f| f.value);
        let (v_fs_peak, rail_v_peak, i_max_peak) = if r_sag_ohm > 0.0 {
            let (lo, hi) = self
                .max_output
                .iter()
                .filter_map(|m| {
                    let z_total = (z_out.z_ohm(1000.0) + m.load_ohm).norm();
                    Some(m.load_vrms()? * SQRT_2 * (z_total + r_sag_ohm) / m.load_ohm)
                })
                .fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
                    (lo.min(v), hi.max(v))
                });
            let rail = (lo * hi).sqrt();
            (rail, rail, f64::INFINITY)
        } else {
            let rail = self.rail_v_peak.as_ref().map_or(f64::INFINITY, |r| r.value);
            let (fs, i_max) = self.full_scale_and_current_limit(&z_out);
            (fs, rail, i_max)
        };
        OutputStage {
            v_fs_peak,
            source,
            rail_v_peak,
            i_max_peak,
            r_sag_ohm,
            noise_pre: self
                .dynamic_range_db
                .as_ref()
                .map_or(NoiseSpec::SILENT, |dr| {
                    OutputStage::noise_from_dynamic_range(
                        v_fs_peak,
                        dr.value,
                        self.dynamic_range_a_weighted,
                        0.0,
                    )
                }),
            noise_post: self
                .noise_dbv
                .as_ref()
                .map_or(NoiseSpec::SILENT, |n| NoiseSpec {
                    level_vrms: dbv_to_vrms(n.value),
                    a_weighted: self.noise_a_weighted,
                    flicker_corner_hz: 0.0,
                }),
        }
    }

    /// Without a supply sag: the full-scale EMF and the current limit (`INFINITY` = none) that
    /// the maximum outputs fix (see `stage`), volts and amps peak.
    fn full_scale_and_current_limit(&self, z_out: &dyn Impedance) -> (f64, f64) {
        let emf_and_current: Vec<(f64, f64)> = self
            .max_output
            .iter()
            .filter_map(|m| {
                let v_peak = m.load_vrms()? * SQRT_2;
                let z_total = (z_out.z_ohm(1000.0) + m.load_ohm).norm();
                Some((v_peak * z_total / m.load_ohm, v_peak / m.load_ohm))
            })
            .collect();
        let v_fs_peak = emf_and_current
            .iter()
            .map(|(e, _)| *e)
            .fold(f64::NAN, f64::max);
        let v_fs_peak = if v_fs_peak.is_finite() {
            v_fs_peak
        } else {
            1.0
        };
        // A figure 0.05 dB or more below the full-scale EMF was held back by the current.
        let limited: Vec<f64> = emf_and_current
            .iter()
            .filter(|(e, _)| *e < v_fs_peak * db_to_gain(-0.05))
            .map(|(_, i)| *i)
            .collect();
        let i_max_peak = if limited.is_empty() {
            f64::INFINITY
        } else {
            let lo = limited.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = limited.iter().copied().fold(0.0, f64::max);
            (lo * hi).sqrt()
        };
        (v_fs_peak, i_max_peak)
    }

    /// Every figure of the entry, with its field name (for validation and reports).
    pub fn figures(&self) -> Vec<(&'static str, &Figure)> {
        let mut v = vec![("r_out_ohm", &self.r_out_ohm)];
        for (name, f) in [
            ("coupling_cap_uf", &self.coupling_cap_uf),
            ("rail_v_peak", &self.rail_v_peak),
            ("r_sag_ohm", &self.r_sag_ohm),
            ("dynamic_range_db", &self.dynamic_range_db),
            ("noise_dbv", &self.noise_dbv),
        ] {
            if let Some(f) = f {
                v.push((name, f));
            }
        }
        v
    }
}

/// Quality factor of a resonance when its width was not published: typical of headphone
/// drivers' impedance peaks (an estimate, labelled where it is used).
pub const DEFAULT_Q: f64 = 1.5;

impl HeadphoneEntry {
    /// The name shown in menus.
    pub fn name(&self) -> String {
        display_name(&self.maker, &self.model, &self.variant)
    }

    /// Where each of the entry's figures comes from.
    pub fn provenance(&self) -> Vec<Provenance> {
        let s = &self.sensitivity;
        let mut v = vec![Provenance {
            figure: "sensitivity".into(),
            decides: Decides::Sensitivity,
            basis: s.basis,
            source: s.source.clone(),
            note: s.note.clone(),
        }];
        let p = &self.points;
        let curve = [
            (Some(&p.rdc_ohm), "DC resistance"),
            (p.f_res_hz.as_ref(), "resonance frequency"),
            (p.z_res_ohm.as_ref(), "impedance at resonance"),
            (p.q.as_ref(), "resonance Q"),
            (Some(&p.z_1k_ohm), "impedance at 1 kHz"),
            (Some(&p.z_10k_ohm), "impedance at 10 kHz"),
        ];
        v.extend(
            curve
                .into_iter()
                .filter_map(|(f, name)| Some(f?.provenance(name, Decides::ImpedanceCurve))),
        );
        v
    }

    /// Sensitivity in dB SPL per volt.
    pub fn sens_db_spl_per_v(&self) -> f64 {
        match self.sensitivity.unit {
            SensitivityUnit::PerMilliwatt => {
                sens_db_spl_per_v_from_mw(self.sensitivity.value, self.nominal_ohm.value)
            }
            SensitivityUnit::PerVolt => self.sensitivity.value,
        }
    }

    /// The model used everywhere else.
    pub fn model(&self) -> HeadphoneModel {
        HeadphoneModel {
            name: self.name(),
            kind: self.kind.clone(),
            nominal_ohm: self.nominal_ohm.value,
            source: format!("fitted to the key points of: {}", self.curve),
            sens_db_spl_per_v: self.sens_db_spl_per_v(),
            sens_source: format!("{:?}: {}", self.sensitivity.basis, self.sensitivity.source),
            load: HeadphoneLoad::Circuit(self.load()),
        }
    }

    /// The circuit model through the key points: DC resistance in series with a lossy
    /// voice-coil inductance (`L_e`, and `L_2 ∥ R_2`) and, when the curve has a peak, a
    /// parallel resonance at its frequency with its quality factor. The resonance's height,
    /// the inductances and `R_2` are solved so that |Z| passes through the peak, 1 kHz and
    /// 10 kHz (Levenberg–Marquardt in the logarithms of the unknowns).
    pub fn load(&self) -> Load {
        fit_load(&self.points)
    }

    /// Every figure of the entry, with its field name.
    pub fn figures(&self) -> Vec<(&'static str, &Figure)> {
        let p = &self.points;
        let mut v = vec![
            ("nominal_ohm", &self.nominal_ohm),
            ("rdc_ohm", &p.rdc_ohm),
            ("z_1k_ohm", &p.z_1k_ohm),
            ("z_10k_ohm", &p.z_10k_ohm),
        ];
        for (name, f) in [
            ("f_res_hz", &p.f_res_hz),
            ("z_res_ohm", &p.z_res_ohm),
            ("q", &p.q),
        ] {
            if let Some(f) = f {
                v.push((name, f));
            }
        }
        v
    }
}

/// The model's shape for given unknowns (`res`, `le`, `l2`, `r2`, all ≥ 0).
fn model_load(p: &KeyPoints, res: f64, le: f64, l2: f64, r2: f64) -> Load {
    let re = p.rdc_ohm.value;
    match &p.f_res_hz {
        Some(f0) => Load::dynamic_driver(
            re,
            le,
            l2,
            r2,
            res,
            f0.value,
            p.q.as_ref().map_or(DEFAULT_Q, |q| q.value),
        ),
        None => {
            let mut series = vec![Load::R(re)];
            if le > 0.0 {
                series.push(Load::L(le));
            }
            if l2 > 0.0 {
                series.push(Load::Parallel(vec![Load::L(l2), Load::R(r2)]));
            }
            Load::Series(series)
        }
    }
}

/// The targets the fit passes through: (frequency, |Z|).
fn fit_targets(p: &KeyPoints) -> Vec<(f64, f64)> {
    let mut t = vec![
        (KEY_FREQS_HZ[0], p.z_1k_ohm.value),
        (KEY_FREQS_HZ[1], p.z_10k_ohm.value),
    ];
    if let (Some(f), Some(z)) = (&p.f_res_hz, &p.z_res_ohm) {
        t.push((f.value, z.value));
    }
    t
}

fn fit_load(p: &KeyPoints) -> Load {
    // Several starting points (inductances and R_2 spread over two decades); the best fit
    // wins. With more unknowns than points the damped steps settle near their start.
    let mut best: Option<(f64, Load)> = None;
    for l_scale in [0.1, 1.0, 10.0] {
        for r2_scale in [0.25, 1.0, 4.0] {
            let (cost, load) = fit_from(p, l_scale, r2_scale);
            if best.as_ref().is_none_or(|(c, _)| cost < *c) {
                best = Some((cost, load));
            }
        }
    }
    best.expect("at least one start").1
}

/// One Levenberg–Marquardt run from the given start; returns (cost, model).
fn fit_from(p: &KeyPoints, l_scale: f64, r2_scale: f64) -> (f64, Load) {
    let targets = fit_targets(p);
    let re = p.rdc_ohm.value;
    let has_peak = targets.len() == 3;
    // Unknowns as logarithms: res, le, l2, r2 (res only with a peak). Start: the peak's
    // excess over R_dc, inductances giving `l_scale` tenths of R_dc at 10 kHz,
    // R_2 = `r2_scale`·R_dc.
    let mut x: Vec<f64> = Vec::new();
    if has_peak {
        x.push((targets[2].1 - re).max(0.01 * re).ln());
    }
    let l0 = (l_scale * 0.1 * re / (2.0 * std::f64::consts::PI * 1e4)).max(1e-9);
    x.push(l0.ln());
    x.push(l0.ln());
    x.push((r2_scale * re).ln());
    // Physical bounds (log): a peak up to 100 × R_dc, inductances from 10 nH to 1 H, R_2
    // within a decade and a half of R_dc. They keep the circuit's poles where audio lives,
    // which the filter design needs.
    let mut bounds: Vec<(f64, f64)> = Vec::new();
    if has_peak {
        bounds.push(((1e-3 * re).ln(), (100.0 * re).ln()));
    }
    bounds.push((1e-8f64.ln(), 0.0));
    bounds.push((1e-8f64.ln(), 0.0));
    bounds.push(((0.03 * re).ln(), (30.0 * re).ln()));
    let unpack = |x: &[f64]| -> (f64, f64, f64, f64) {
        let e = |k: usize| x[k].exp();
        if has_peak {
            (e(0), e(1), e(2), e(3))
        } else {
            (0.0, e(0), e(1), e(2))
        }
    };
    let residuals = |x: &[f64]| -> Vec<f64> {
        let (res, le, l2, r2) = unpack(x);
        let load = model_load(p, res, le, l2, r2);
        targets
            .iter()
            .map(|(f, z)| (load.z_ohm(*f).norm() / z).ln())
            .collect()
    };
    let cost = |r: &[f64]| r.iter().map(|v| v * v).sum::<f64>();
    let n = x.len();
    let mut lambda = 1e-3;
    let mut r = residuals(&x);
    for _ in 0..200 {
        if cost(&r) < 1e-14 {
            break;
        }
        // Jacobian by forward differences in the log parameters.
        let jac: Vec<Vec<f64>> = (0..n)
            .map(|j| {
                let mut xp = x.clone();
                xp[j] += 1e-6;
                residuals(&xp)
                    .iter()
                    .zip(&r)
                    .map(|(a, b)| (a - b) / 1e-6)
                    .collect()
            })
            .collect();
        // Levenberg–Marquardt step: (JᵀJ + λ·diag) δ = −Jᵀr.
        let mut a = vec![vec![0.0; n]; n];
        let mut g = vec![0.0; n];
        for i in 0..n {
            for k in 0..n {
                a[i][k] = jac[i].iter().zip(&jac[k]).map(|(u, v)| u * v).sum();
            }
            g[i] = -jac[i].iter().zip(&r).map(|(u, v)| u * v).sum::<f64>();
        }
        let mut improved = false;
        for _ in 0..20 {
            let mut m = a.clone();
            for (i, row) in m.iter_mut().enumerate() {
                row[i] += lambda * (a[i][i] + 1e-12);
            }
            let Some(delta) = solve(m, g.clone()) else {
                lambda *= 10.0;
                continue;
            };
            let xn: Vec<f64> = x
                .iter()
                .zip(&delta)
                .zip(&bounds)
                .map(|((v, d), (lo, hi))| (v + d.clamp(-3.0, 3.0)).clamp(*lo, *hi))
                .collect();
            let rn = residuals(&xn);
            if cost(&rn) < cost(&r) {
                x = xn;
                r = rn;
                lambda = (lambda / 3.0).max(1e-9);
                improved = true;
                break;
            }
            lambda *= 10.0;
        }
        if !improved {
            break;
        }
    }
    let (res, le, l2, r2) = unpack(&x);
    (cost(&r), model_load(p, res, le, l2, r2))
}

/// Solves the small dense system `a·x = b` (LU with partial pivoting), `None` if singular.
fn solve(a: Vec<Vec<f64>>, b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    let m = nalgebra::DMatrix::from_fn(n, n, |i, k| a[i][k]);
    m.lu()
        .solve(&nalgebra::DVector::from_vec(b))
        .map(|x| x.as_slice().to_vec())
}

/// Everything wrong with the catalog, as readable lines (empty when it is sound): every
/// figure sourced and plausible, estimates explained, indices unique and contiguous, maximum
/// outputs well-formed.
pub fn problems() -> Vec<String> {
    let mut out = Vec::new();
    // Every figure, maximum output and sensitivity names its source; an estimate says how.
    let provenance = |out: &mut Vec<String>, what: &str, basis: Basis, source: &str, note: &str| {
        if source.trim().is_empty() {
            out.push(format!("{what} has no source"));
        }
        if basis == Basis::Estimated && note.trim().is_empty() {
            out.push(format!("{what} is estimated without saying how"));
        }
    };
    let check = |out: &mut Vec<String>, who: &str, name: &str, f: &Figure, range: (f64, f64)| {
        provenance(out, &format!("{who}: {name}"), f.basis, &f.source, &f.note);
        if !(f.value.is_finite() && f.value >= range.0 && f.value <= range.1) {
            out.push(format!(
                "{who}: {name} = {} is outside {:?}",
                f.value, range
            ));
        }
    };
    let ranges = |name: &str| -> (f64, f64) {
        match name {
            "r_out_ohm" => (0.0, 1000.0),
            "coupling_cap_uf" => (1.0, 10_000.0),
            "rail_v_peak" => (0.1, 100.0),
            "r_sag_ohm" => (0.0, 100.0),
            "dynamic_range_db" => (60.0, 140.0),
            "noise_dbv" => (-150.0, -60.0),
            "nominal_ohm" | "rdc_ohm" | "z_1k_ohm" | "z_10k_ohm" | "z_res_ohm" => (1.0, 2000.0),
            "f_res_hz" => (5.0, 20_000.0),
            "q" => (0.2, 20.0),
            _ => (f64::MIN, f64::MAX),
        }
    };
    for (k, e) in outputs().iter().enumerate() {
        let who = e.name();
        if e.index != k {
            out.push(format!("{who}: index {} where {k} was expected", e.index));
        }
        for (name, f) in e.figures() {
            check(&mut out, &who, name, f, ranges(name));
        }
        if e.kind != OutputKind::Reference && e.max_output.is_empty() {
            out.push(format!("{who}: no maximum output figure"));
        }
        if e.r_sag_ohm.is_some() && (e.rail_v_peak.is_some() || e.max_output.len() < 2) {
            out.push(format!(
                "{who}: a supply sag is fitted to two or more maximum outputs, without a rail figure"
            ));
        }
        for m in &e.max_output {
            if m.load_vrms().is_none_or(|v| !(v > 0.0 && v < 100.0)) {
                out.push(format!(
                    "{who}: a maximum output into {} Ω needs exactly one positive vrms, mw or dbu",
                    m.load_ohm
                ));
            }
            if !(m.load_ohm > 1.0 && m.load_ohm <= 1000.0) {
                out.push(format!("{who}: maximum output load {} Ω", m.load_ohm));
            }
            let what = format!("{who}: the maximum output into {} Ω", m.load_ohm);
            provenance(&mut out, &what, m.basis, &m.source, &m.note);
        }
    }
    for (k, h) in headphones().iter().enumerate() {
        let who = h.name();
        if h.index != k {
            out.push(format!("{who}: index {} where {k} was expected", h.index));
        }
        for (name, f) in h.figures() {
            check(&mut out, &who, name, f, ranges(name));
        }
        let s = &h.sensitivity;
        let what = format!("{who}: sensitivity");
        provenance(&mut out, &what, s.basis, &s.source, &s.note);
        if !(70.0..=140.0).contains(&s.value) {
            out.push(format!("{what} {} is outside 70–140 dB", s.value));
        }
        if h.points.f_res_hz.is_some() != h.points.z_res_ohm.is_some() {
            out.push(format!(
                "{who}: a resonance needs both its frequency and its peak"
            ));
        }
        if h.curve.trim().is_empty() {
            out.push(format!("{who}: no impedance curve named"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_found_as_people_type_them() {
        let hp: Vec<String> = headphones().iter().map(HeadphoneEntry::name).collect();
        let out: Vec<String> = outputs().iter().map(OutputEntry::name).collect();
        for (names, typed, want) in [
            (&hp, "HD600", "Sennheiser HD 600"),
            (&hp, "hd-600", "Sennheiser HD 600"),
            (&hp, "hd 650", "Sennheiser HD 650"),
            (&hp, "dt990 600", "Beyerdynamic DT 990 600 ohm"),
            (&hp, "DT990PRO 250", "Beyerdynamic DT 990 Pro 250 ohm"),
            (&hp, "dt770 80", "Beyerdynamic DT 770 Pro 80 ohm"),
            (&hp, "DT 770 PRO 32Ω", "Beyerdynamic DT 770 Pro 32 ohm"),
            (&hp, "m50x", "Audio-Technica ATH-M50x"),
            (&hp, "ATHM50X", "Audio-Technica ATH-M50x"),
            (&hp, "mdr7506", "Sony MDR-7506"),
            (&hp, "hd280pro", "Sennheiser HD 280 Pro"),
            (&hp, "lcd-x", "Audeze LCD-X 2021"),
            (&hp, "se-215", "Shure SE215"),
            (&hp, "er4 xr", "Etymotic ER4XR"),
            (
                &out,
                "scarlett 2i2 4th gen",
                "Focusrite Scarlett 2i2 4th gen",
            ),
            (&out, "2i2 3rd", "Focusrite Scarlett 2i2 3rd gen"),
            (&out, "studio24c", "PreSonus Studio 24c"),
            (&out, "motu m2", "MOTU M2"),
            (&out, "umc 202 hd", "Behringer UMC202HD"),
            (&out, "apollo twin", "Universal Audio Apollo Twin X"),
            (&out, "ha-8000", "Behringer Powerplay HA8000"),
            (&out, "hm4", "Mackie HM-4"),
            (&out, "magni2", "Schiit Magni 2"),
            (&out, "Topping-L30", "Topping L30"),
        ] {
            let got = lookup(typed, names).map(|k| names[k].as_str());
            assert_eq!(got, Ok(want), "{typed:?}");
        }
        // Ambiguous names say what tells the candidates apart.
        let err = lookup("scarlett 2i2", &out).unwrap_err();
        assert!(
            err.ends_with("matches 2 entries: Focusrite Scarlett 2i2: 4th gen or 3rd gen?"),
            "{err}"
        );
        let err = lookup("dt770", &hp).unwrap_err();
        assert!(
            err.ends_with("Beyerdynamic DT 770 Pro: 32 ohm, 80 ohm or 250 ohm?"),
            "{err}"
        );
        let err = lookup("600", &hp).unwrap_err();
        assert!(
            err.ends_with(
                "Sennheiser HD 600, Beyerdynamic DT 990 600 ohm or Beyerdynamic DT 880 600 ohm?"
            ),
            "{err}"
        );
        assert_eq!(
            lookup("hd 6000", &hp),
            Err("no entry matches 'hd 6000'".into())
        );
        assert_eq!(lookup(" - ", &hp), Err("an empty name".into()));
    }

    #[test]
    fn the_fit_passes_through_consistent_key_points() {
        // Key points taken from a known circuit: the fit must find them again.
        let truth = Load::dynamic_driver(250.0, 0.2e-3, 0.5e-3, 500.0, 280.0, 90.0, DEFAULT_Q);
        let fig = |v: f64| Figure {
            value: v,
            basis: Basis::Estimated,
            source: "test".into(),
            note: "test".into(),
        };
        let p = KeyPoints {
            rdc_ohm: fig(250.0),
            f_res_hz: Some(fig(90.0)),
            z_res_ohm: Some(fig(truth.z_ohm(90.0).norm())),
            q: None,
            z_1k_ohm: fig(truth.z_ohm(1000.0).norm()),
            z_10k_ohm: fig(truth.z_ohm(10_000.0).norm()),
        };
        let fitted = fit_load(&p);
        for (f, z) in fit_targets(&p) {
            let got = fitted.z_ohm(f).norm();
            assert!((got / z - 1.0).abs() < 1e-4, "{f} Hz: {got} vs {z}");
        }
    }
}
