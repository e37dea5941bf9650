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
//!
//! This file holds the schema and the embedded files; `lookup` finds entries by name,
//! `provenance` tells where each figure comes from, `stage` derives an output's stage, `fit`
//! fits a headphone's circuit model, `validate` checks every entry, and `user` reads and
//! writes the user's own catalog.

use crate::physics::headphones::{HeadphoneLoad, HeadphoneModel};
use crate::physics::impedance::Load;
use crate::physics::output::{OutputStage, sens_db_spl_per_v_from_mw};
use crate::physics::supply::OtherOutput;
use crate::units::dbu_to_vrms;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

mod chain;
mod fit;
mod headphone_range;
mod lookup;
mod provenance;
pub(crate) mod range;
mod stage;
pub mod user;
mod validate;

pub use chain::{
    AmpGain, CHAIN_ARROWS, ChainAmp, ChainSource, ChainSpec, ChainSpecError, ChainWords, OwnAmp,
    OwnSource, SourceJack, chain, chain_notes, chain_of,
};
pub use fit::{CurveKeyPoints, curve_key_points};
pub use headphone_range::{
    HeadphoneEstimateRange, entry_headphone_range, entry_headphones_across,
    headphone_estimate_range, headphones_across,
};
pub use lookup::{LookupError, find_headphone, find_output, lookup, name_matches};
pub use provenance::{Decides, Provenance, decides_text, estimated};
pub(crate) use range::hull;
pub use range::{
    EstimateRange, R_OUT_POINTS, R_OUT_POINTS_RANGED_LEVELS, R_SAG_POINTS, SUPPLY_SAG_SPAN,
    entry_estimate_range, entry_stages_across, estimate_range, fitted_sag_range, stages_across,
};
pub use validate::{
    KEY_POINT_TOLERANCE, KeyPointFit, key_point_fits, problems, user_headphone_problems,
};

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
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Figure {
    /// The value, in the unit the field's name gives.
    pub value: f64,
    /// How it is known.
    pub basis: Basis,
    /// Where it comes from (a URL, or the reference file it was taken from).
    pub source: String,
    /// For estimates, how the value was derived; otherwise optional context.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
    /// Where the true value lies, `[lowest, highest]` in the value's unit, when the source
    /// says how sure it is (a measurement's uncertainty): what depends on the figure is then
    /// reported across it, as for an estimate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<[f64; 2]>,
}

/// A stated or measured maximum output into a resistive load (one of `vrms`, `mw`, `dbu`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MaxOutput {
    /// The load, ohms.
    pub load_ohm: f64,
    /// Maximum voltage across it, V RMS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vrms: Option<f64>,
    /// Maximum power into it, mW.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mw: Option<f64>,
    /// Maximum voltage across it, dBu.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dbu: Option<f64>,
    /// How it is known.
    pub basis: Basis,
    /// Where it comes from.
    pub source: String,
    /// Context or derivation.
    #[serde(default, skip_serializing_if = "String::is_empty")]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
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

impl OutputKind {
    /// Every kind a device can be (all but the reference).
    pub const DEVICES: [OutputKind; 5] = [
        OutputKind::AudioInterface,
        OutputKind::DedicatedAmp,
        OutputKind::Computer,
        OutputKind::PhoneOrAdapter,
        OutputKind::MultiChannelAmp,
    ];

    /// What it is, in words.
    pub fn describe(self) -> &'static str {
        match self {
            OutputKind::Reference => "the ideal reference",
            OutputKind::AudioInterface => "audio interface",
            OutputKind::DedicatedAmp => "headphone amplifier",
            OutputKind::Computer => "computer",
            OutputKind::PhoneOrAdapter => "phone or adapter",
            OutputKind::MultiChannelAmp => "distribution amplifier",
        }
    }
}

/// A headphone output.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OutputEntry {
    /// Position in the plugin's output choices; never changes once published. A user's entry
    /// has none (it is not written, and ignored when read).
    #[serde(default, skip_serializing)]
    pub index: usize,
    /// Maker.
    pub maker: String,
    /// Model.
    pub model: String,
    /// Variant (revision, output used), or empty.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub variant: String,
    /// What it is.
    pub kind: OutputKind,
    /// Output resistance, ohms.
    pub r_out_ohm: Figure,
    /// Series coupling capacitor, µF (none when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coupling_cap_uf: Option<Figure>,
    /// Maximum outputs into loads (at least one, unless the entry is the reference or gives
    /// its full scale instead).
    #[serde(default)]
    pub max_output: Vec<MaxOutput>,
    /// EMF of a full-scale sine at maximum volume with no load, dBu: the output given by the
    /// figures the model takes (as the editor saves a custom output) instead of by maximum
    /// outputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_scale_dbu: Option<Figure>,
    /// Current limit, mA peak (with `full_scale_dbu` only: otherwise the maximum outputs
    /// give it; none is no current limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub i_max_ma_peak: Option<Figure>,
    /// Rail limit of the EMF, V peak (none: the converter's full scale is the limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rail_v_peak: Option<Figure>,
    /// Supply sag, ohms (`OutputStage::r_sag_ohm`): with it, the maximum outputs fix a
    /// sagging rail instead of a full scale and a current limit (see `stage`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r_sag_ohm: Option<Figure>,
    /// Dynamic range, dB below a full-scale sine at maximum volume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dynamic_range_db: Option<Figure>,
    /// Whether the dynamic range is A-weighted.
    #[serde(default)]
    pub dynamic_range_a_weighted: bool,
    /// Output noise floor, dBV (after the volume control).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(alias = "noise_dbv")]
    pub noise_floor_dbv: Option<Figure>,
    /// Whether the noise floor is A-weighted.
    #[serde(default)]
    pub noise_a_weighted: bool,
    /// Corner below which 1/f noise rises above both noise figures, Hz (none: white noise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flicker_corner_hz: Option<Figure>,
    /// The device's line output, when the catalog knows its figures: a chain can feed an
    /// amplifier from it instead of from this headphone output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_out: Option<LineOut>,
    /// An amplifier's input: with it, the entry can be a chain's amplifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amp_input: Option<AmpInputFigures>,
    /// A distribution amplifier's outputs and their shared supply: with it, each listener can
    /// have an output of their own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distribution: Option<Distribution>,
}

/// A distribution amplifier: several headphone outputs, each an output stage of its own (with
/// the entry's figures), fed from one input and one supply.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Distribution {
    /// How many outputs have a stage (and a volume control) of their own.
    pub outputs: Figure,
    /// The shared supply's sag, ohms: every output's rails fall by this times the sum of the
    /// outputs' peak currents (`OutputStage::r_sag_ohm`). The entry's `rail_v_peak` is the
    /// rail it sags from.
    pub supply_sag_ohm: Figure,
}

impl Distribution {
    /// The number of outputs (the figure, rounded; at least one).
    pub fn output_count(&self) -> usize {
        self.outputs.value.round().max(1.0) as usize
    }
}

/// A line output: its level at full scale, its output impedance and its noise. It drives an
/// amplifier's input (10 kΩ or more), far below any current limit, so it has none.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LineOut {
    /// Level of a full-scale sine, dBu (its maximum output level).
    pub full_scale_dbu: Figure,
    /// Output resistance, ohms.
    pub r_out_ohm: Figure,
    /// Dynamic range, dB below a full-scale sine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dynamic_range_db: Option<Figure>,
    /// Whether the dynamic range is A-weighted.
    #[serde(default)]
    pub dynamic_range_a_weighted: bool,
}

/// An amplifier's input figures.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AmpInputFigures {
    /// Input resistance, ohms.
    pub input_ohm: Figure,
    /// Voltage gain from its input to its output at maximum volume, dB (at its high gain,
    /// where it has two).
    pub gain_db: Figure,
    /// Its low gain, dB, where a switch selects one of two.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub low_gain_db: Option<Figure>,
}

/// A measured or published key point's frequency for the 1 kHz and 10 kHz points.
pub const KEY_FREQS_HZ: [f64; 2] = [1_000.0, 10_000.0];

/// The published impedance curve's key points.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KeyPoints {
    /// DC resistance (or the curve's value at its lowest frequency), ohms.
    pub rdc_ohm: Figure,
    /// Frequency of the impedance peak, Hz (none for a curve without one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub f_res_hz: Option<Figure>,
    /// Impedance at that peak, ohms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub z_res_ohm: Option<Figure>,
    /// Quality factor of the peak (its width), when known or estimated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<Figure>,
    /// |Z| at 1 kHz, ohms.
    pub z_1k_ohm: Figure,
    /// |Z| at 10 kHz, ohms.
    pub z_10k_ohm: Figure,
}

/// What a sensitivity figure is referred to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum SensitivityUnit {
    /// dB SPL for 1 V RMS.
    #[serde(rename = "dB SPL/V")]
    PerVolt,
    /// dB SPL for 1 mW at the nominal impedance.
    #[serde(rename = "dB SPL/mW")]
    PerMilliwatt,
}

/// A headphone's sensitivity, in the unit its maker gives.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
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
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// A headphone.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HeadphoneEntry {
    /// Position in the plugin's headphone choices; never changes once published. A user's
    /// entry has none (it is not written, and ignored when read).
    #[serde(default, skip_serializing)]
    pub index: usize,
    /// Maker.
    pub maker: String,
    /// Model.
    pub model: String,
    /// Variant (impedance version, revision), or empty.
    #[serde(default, skip_serializing_if = "String::is_empty")]
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
const OUTPUTS_TOML: &str = include_str!("../../catalog/outputs.toml");
const HEADPHONES_TOML: &str = include_str!("../../catalog/headphones.toml");

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

/// Catalog headphone `k` as the load of another output on a shared supply, at the heard
/// output's volume (formed once; allocation-free after that, so the audio thread may call it).
pub fn other_output(k: usize) -> Option<OtherOutput> {
    static OTHERS: OnceLock<Vec<Option<OtherOutput>>> = OnceLock::new();
    OTHERS
        .get_or_init(|| {
            (headphones().iter())
                .map(|h| OtherOutput::of(&h.load(), 1.0).ok())
                .collect()
        })
        .get(k)
        .copied()
        .flatten()
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
    /// An output named `[maker, model, variant]` of `kind` with output impedance
    /// `r_out_ohm` and no other figure: the base that an entry's literal takes what it does not
    /// give from (`..OutputEntry::new(…)`), so that a new figure is absent from it unless it
    /// sets one.
    pub fn new([maker, model, variant]: [&str; 3], kind: OutputKind, r_out_ohm: Figure) -> Self {
        OutputEntry {
            index: 0,
            maker: maker.into(),
            model: model.into(),
            variant: variant.into(),
            kind,
            r_out_ohm,
            coupling_cap_uf: None,
            max_output: Vec::new(),
            full_scale_dbu: None,
            i_max_ma_peak: None,
            rail_v_peak: None,
            r_sag_ohm: None,
            dynamic_range_db: None,
            dynamic_range_a_weighted: false,
            noise_floor_dbv: None,
            noise_a_weighted: false,
            flicker_corner_hz: None,
            line_out: None,
            amp_input: None,
            distribution: None,
        }
    }

    /// The name shown in menus.
    pub fn name(&self) -> String {
        display_name(&self.maker, &self.model, &self.variant)
    }

    /// Every figure of the entry, with its field name (for validation and reports).
    pub fn figures(&self) -> Vec<(&'static str, &Figure)> {
        let mut v = vec![("r_out_ohm", &self.r_out_ohm)];
        for (name, f) in [
            ("coupling_cap_uf", &self.coupling_cap_uf),
            ("full_scale_dbu", &self.full_scale_dbu),
            ("i_max_ma_peak", &self.i_max_ma_peak),
            ("rail_v_peak", &self.rail_v_peak),
            ("r_sag_ohm", &self.r_sag_ohm),
            ("dynamic_range_db", &self.dynamic_range_db),
            ("noise_floor_dbv", &self.noise_floor_dbv),
            ("flicker_corner_hz", &self.flicker_corner_hz),
        ] {
            if let Some(f) = f {
                v.push((name, f));
            }
        }
        if let Some(line) = &self.line_out {
            v.push(("line_out.full_scale_dbu", &line.full_scale_dbu));
            v.push(("line_out.r_out_ohm", &line.r_out_ohm));
            v.extend(
                line.dynamic_range_db
                    .as_ref()
                    .map(|f| ("line_out.dynamic_range_db", f)),
            );
        }
        if let Some(d) = &self.distribution {
            v.push(("distribution.outputs", &d.outputs));
            v.push(("distribution.supply_sag_ohm", &d.supply_sag_ohm));
        }
        if let Some(input) = &self.amp_input {
            v.push(("amp_input.input_ohm", &input.input_ohm));
            v.push(("amp_input.gain_db", &input.gain_db));
            v.extend(
                input
                    .low_gain_db
                    .as_ref()
                    .map(|f| ("amp_input.low_gain_db", f)),
            );
        }
        v
    }

    /// How its level figures are known: every maximum output's basis, and the full scale's
    /// and the current limit's when it gives them (empty for the reference).
    pub fn level_bases(&self) -> Vec<Basis> {
        let given = [&self.full_scale_dbu, &self.i_max_ma_peak];
        self.max_output
            .iter()
            .map(|m| m.basis)
            .chain(given.into_iter().flatten().map(|f| f.basis))
            .collect()
    }

    /// How many listeners it gives an output (a stage and a volume control) of their own: a
    /// distribution amplifier's outputs, else one.
    pub fn own_outputs(&self) -> usize {
        self.distribution
            .as_ref()
            .map_or(1, Distribution::output_count)
    }

    /// Whether any of its level figures is an estimate.
    pub fn levels_estimated(&self) -> bool {
        self.level_bases().contains(&Basis::Estimated)
    }

    /// Whether it has level figures and none is an estimate.
    pub fn levels_sourced(&self) -> bool {
        let bases = self.level_bases();
        !bases.is_empty() && !bases.contains(&Basis::Estimated)
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
        fit::fit_load(&self.points)
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
