//! The plugin's parameters, with units and text entry.

use loadline_core::catalog::{
    self, AmpGain, ChainSource, ChainSpec, ChainSpecError, HeadphoneEntry, OutputEntry, SourceJack,
};
use loadline_core::dsp::design::DesignMode;
use loadline_core::listeners::{MAX_OTHER_LISTENERS, OthersOn, on_own_outputs};
use loadline_core::physics::headphones::{HeadphoneLoad, HeadphoneModel};
use loadline_core::physics::impedance::{ImpedancePoint, MeasuredCurve};
use loadline_core::physics::output::{OutputFigures, OutputStage};
use loadline_core::physics::supply::OtherOutput;
use loadline_core::plausible;
use loadline_core::scenario::{
    HeadphoneChoice, Level, Listeners, OutputChoice, amp_from_param, amp_to_param, amps,
};
use loadline_core::units::{db_to_gain, fmt_param, parse_with_unit};
use nice_plug::params::persist::PersistentField;
use nice_plug::plugin::ParamValue;
use nice_plug::prelude::*;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

/// The accuracy / latency trade-off (see `DesignMode`).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModeChoice {
    /// No latency; below 60 kHz the magnitude is matched, the phase approximately.
    #[id = "zerolat"]
    #[name = "Zero latency"]
    ZeroLatency,
    /// Magnitude and phase matched; 12 samples of latency below 60 kHz, 8 above.
    #[id = "exact"]
    #[name = "Exact (12 samples; 8 above 60 kHz)"]
    Exact,
}

impl From<ModeChoice> for DesignMode {
    fn from(m: ModeChoice) -> Self {
        match m {
            ModeChoice::ZeroLatency => DesignMode::ZeroLatency,
            ModeChoice::Exact => DesignMode::Exact,
        }
    }
}

/// How the listening level is set.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LevelMode {
    /// The output's volume control, in dB.
    #[id = "volume"]
    #[name = "Volume"]
    Volume,
    /// A target SPL for the reference signal (pink noise at −18 dBFS RMS); the volume that
    /// reaches it is derived.
    #[id = "target"]
    #[name = "Target SPL"]
    TargetSpl,
}

/// Where the other listeners' headphones are plugged in.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum OthersOnChoice {
    /// On the heard headphone's jack (a splitter, or two jacks on one driver).
    #[id = "jack"]
    #[name = "On the same jack"]
    SameJack,
    /// Each on an output of its own of a distribution amplifier, sharing its supply.
    #[id = "own"]
    #[name = "On their own outputs"]
    OwnOutputs,
}

impl From<OthersOnChoice> for OthersOn {
    fn from(c: OthersOnChoice) -> Self {
        match c {
            OthersOnChoice::SameJack => OthersOn::SameJack,
            OthersOnChoice::OwnOutputs => OthersOn::OwnOutputs,
        }
    }
}

/// Which output is heard.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heard {
    /// Slot A.
    #[id = "a"]
    #[name = "A"]
    A,
    /// Slot B.
    #[id = "b"]
    #[name = "B"]
    B,
    /// The ideal output (0 Ω, unlimited, silent): the reference.
    #[id = "ideal"]
    #[name = "Ideal"]
    Ideal,
}

/// A custom output's figures: what a slot uses when its choice is "Custom".
#[derive(Params)]
pub struct SlotParams {
    /// The output's resistance, ohms.
    #[id = "zout"]
    pub r_out_ohm: FloatParam,
    /// Whether a series coupling capacitor is in the output.
    #[id = "capon"]
    pub cap_on: BoolParam,
    /// The coupling capacitor's value, µF.
    #[id = "capuf"]
    pub coupling_cap_uf: FloatParam,
    /// The EMF a full-scale sample gives at maximum volume, no load, dBu (RMS of a full-scale
    /// sine).
    #[id = "fsdbu"]
    pub full_scale_dbu: FloatParam,
    /// The rail limit of the EMF, volts peak.
    #[id = "rail"]
    pub rail_v_peak: FloatParam,
    /// The current limit, milliamps peak.
    #[id = "imax"]
    pub i_max_ma_peak: FloatParam,
    /// Supply sag, ohms: the rails fall by this times the load's peak current (0 = a stiff
    /// supply).
    #[id = "sag"]
    pub r_sag_ohm: FloatParam,
    /// Dynamic range (noise before the volume control), dB below a full-scale sine.
    #[id = "dr"]
    pub dynamic_range_db: FloatParam,
    /// Whether the dynamic range figure is A-weighted.
    #[id = "dra"]
    pub dynamic_range_a_weighted: BoolParam,
    /// Noise after the volume control, dBV.
    #[id = "nfloor"]
    pub noise_floor_dbv: FloatParam,
    /// Whether the noise floor figure is A-weighted.
    #[id = "nfa"]
    pub noise_floor_a_weighted: BoolParam,
    /// Corner below which 1/f noise rises above the white floor, Hz (0 = white only).
    #[id = "flicker"]
    pub flicker_corner_hz: FloatParam,
}

/// Which of the source's outputs feeds the amplifier of a chain.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum JackChoice {
    /// The source's headphone output, at the source volume.
    #[id = "hpout"]
    #[name = "Headphone out"]
    HeadphoneOut,
    /// The source's line output (no volume of its own).
    #[id = "lineout"]
    #[name = "Line out"]
    LineOut,
}

impl From<JackChoice> for SourceJack {
    fn from(j: JackChoice) -> Self {
        match j {
            JackChoice::HeadphoneOut => SourceJack::HeadphoneOut,
            JackChoice::LineOut => SourceJack::LineOut,
        }
    }
}

/// Which gain a chain's amplifier runs at.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum GainChoice {
    /// Its high gain (its only one, where it has no switch).
    #[id = "high"]
    #[name = "High gain"]
    High,
    /// Its low gain.
    #[id = "low"]
    #[name = "Low gain"]
    Low,
}

impl From<GainChoice> for AmpGain {
    fn from(g: GainChoice) -> Self {
        match g {
            GainChoice::High => AmpGain::High,
            GainChoice::Low => AmpGain::Low,
        }
    }
}

/// A slot's chain: the amplifier its catalog output feeds, from which of its outputs, at
/// which source volume. With no amplifier the slot's output drives the headphone itself.
#[derive(Params)]
pub struct ChainParams {
    /// The amplifier (`scenario::amp_from_param`): 0 = none.
    #[id = "into"]
    pub amp: IntParam,
    /// Which of the source's outputs feeds it.
    #[id = "jack"]
    pub jack: EnumParam<JackChoice>,
    /// The source's own volume (its headphone output's), dB (0 = maximum).
    #[id = "srcvol"]
    pub source_volume_db: FloatParam,
    /// The amplifier's gain switch.
    #[id = "ampgain"]
    pub gain: EnumParam<GainChoice>,
}

/// The name of "no amplifier".
pub const NO_AMP: &str = "No amplifier";

impl ChainParams {
    /// Slot `letter`'s chain ("A", "B"): no amplifier, the headphone output at maximum.
    pub fn new(letter: &str) -> Self {
        let names: Vec<String> = std::iter::once(NO_AMP.to_string())
            .chain(amps().iter().map(|&k| catalog::outputs()[k].name()))
            .collect();
        let shown = names.clone();
        ChainParams {
            amp: IntParam::new(
                format!("{letter} into amplifier"),
                0,
                IntRange::Linear {
                    min: 0,
                    max: amps().len() as i32,
                },
            )
            .with_value_to_string(Arc::new(move |v| {
                let k = amp_to_param(amp_from_param(v));
                shown[k as usize].clone()
            }))
            .with_string_to_value(Arc::new(move |s| parse_choice(s, &names))),
            jack: EnumParam::new(format!("{letter} source jack"), JackChoice::HeadphoneOut),
            gain: EnumParam::new(format!("{letter} amplifier gain"), GainChoice::High),
            source_volume_db: physical(
                &format!("{letter} source volume"),
                0.0,
                plausible::SOURCE_VOLUME_DB.range_f32(),
                0.0,
                " dB",
                &["db"],
            ),
        }
    }

    /// The chain from `source` these parameters describe (`None`: no amplifier). A line
    /// output has no volume, so the source volume is then 0 dB.
    pub fn spec(&self, source: ChainSource) -> Option<ChainSpec> {
        let amp = amp_from_param(self.amp.value())?;
        let jack = SourceJack::from(self.jack.value());
        let source_volume_db = match jack {
            SourceJack::HeadphoneOut => self.source_volume_db.value() as f64,
            SourceJack::LineOut => 0.0,
        };
        Some(ChainSpec {
            source,
            jack,
            source_volume_db,
            amp,
            gain: AmpGain::from(self.gain.value()),
        })
    }
}

/// The built-in test signal, played instead of the input.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestSignal {
    /// The input plays.
    #[id = "off"]
    #[name = "Off (input)"]
    Off,
    /// Pink noise at −18 dBFS RMS: the level the target SPL refers to.
    #[id = "pink"]
    #[name = "Pink noise at the reference level"]
    PinkNoise,
}

/// The editor's size in logical pixels when the project was saved.
pub const EDITOR_DEFAULT_SIZE: [f32; 2] = [1100.0, 800.0];

/// Every parameter of Loadline. Slot A keeps the ids of the single output of 0.1.x, so
/// projects saved then reopen with their output as slot A's custom figures.
#[derive(Params)]
pub struct LoadlineParams {
    /// Output A: 0 = custom (slot A's figures), k ≥ 1 = catalog output k − 1.
    #[id = "outa"]
    pub output_a: IntParam,
    /// Output B, as output A.
    #[id = "outb"]
    pub output_b: IntParam,
    /// Which output is heard: A, B or the ideal reference.
    #[id = "heard"]
    pub heard: EnumParam<Heard>,
    /// Slot A's custom figures.
    #[nested(group = "Output A")]
    pub slot_a: SlotParams,
    /// Slot B's custom figures.
    #[nested(id_prefix = "b", group = "Output B")]
    pub slot_b: SlotParams,
    /// Slot A's chain (none: its output drives the headphone).
    #[nested(group = "Output A")]
    pub chain_a: ChainParams,
    /// Slot B's chain.
    #[nested(id_prefix = "b", group = "Output B")]
    pub chain_b: ChainParams,
    /// The headphone being driven: a catalog index, or one past the catalog for the imported
    /// curve.
    #[id = "hp"]
    pub headphone: IntParam,
    /// A second headphone on the same jack as the one heard (a splitter, or two jacks on one
    /// driver): 0 = nobody, k ≥ 1 = catalog headphone k − 1.
    #[id = "with1"]
    pub with_1: IntParam,
    /// A third headphone on the jack, as the second.
    #[id = "with2"]
    pub with_2: IntParam,
    /// A fourth headphone on the jack, as the second.
    #[id = "with3"]
    pub with_3: IntParam,
    /// Where the others are plugged in: the heard one's jack, or outputs of their own (a
    /// distribution amplifier's).
    #[id = "otherson"]
    pub others_on: EnumParam<OthersOnChoice>,
    /// On outputs of their own: the second headphone's volume relative to the heard one's,
    /// dB.
    #[id = "with1vol"]
    pub with_1_volume_db: FloatParam,
    /// The third headphone's, as the second's.
    #[id = "with2vol"]
    pub with_2_volume_db: FloatParam,
    /// The fourth headphone's, as the second's.
    #[id = "with3vol"]
    pub with_3_volume_db: FloatParam,
    /// The user's output slot A holds (its custom figures are that entry's), saved with the
    /// project so that it reopens named and sourced on a machine without the user's file.
    #[persist = "user-output-a"]
    pub user_output_a: Arc<Mutex<Option<OutputEntry>>>,
    /// The user's output slot B holds, as slot A's.
    #[persist = "user-output-b"]
    pub user_output_b: Arc<Mutex<Option<OutputEntry>>>,
    /// The imported impedance curve, saved with the project so it reopens without the file.
    #[persist = "imported-hp"]
    pub imported: ImportedSlot,
    /// Accuracy / latency mode.
    #[id = "mode"]
    pub mode: EnumParam<ModeChoice>,
    /// Removes the broadband level loss, normalised at 1 kHz.
    #[id = "lvlmatch"]
    pub level_match: BoolParam,
    /// Real bypass (latency-aligned, ramped).
    #[id = "bypass"]
    pub bypass: BoolParam,
    /// Whether the output's limits act: the converter's full scale, the rails, the current
    /// limit.
    #[id = "limits"]
    pub limits_on: BoolParam,
    /// Whether the output's noise is heard.
    #[id = "noise"]
    pub noise_on: BoolParam,
    /// How the listening level is set.
    #[id = "lvlmode"]
    pub level_mode: EnumParam<LevelMode>,
    /// The volume control, dB (0 = maximum).
    #[id = "volume"]
    pub volume_db: FloatParam,
    /// The target SPL of the reference signal (pink noise at −18 dBFS RMS), dB SPL.
    #[id = "target"]
    pub target_spl_db: FloatParam,
    /// A test signal to play instead of the input.
    #[id = "testsig"]
    pub test_signal: EnumParam<TestSignal>,
    /// The slot the Ideal reference is compared with: B when true, else A (the slot heard
    /// last before Ideal; saved with the project so that it reopens the same).
    #[persist = "ideal-compared-b"]
    pub ideal_compared_b: AtomicBool,
    /// The editor's size, logical pixels (saved with the project).
    #[persist = "editor-size"]
    pub editor_size: Arc<Mutex<[f32; 2]>>,
}

/// A measured headphone curve the user imported, as the project saves it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportedHeadphone {
    /// The name shown (the file's name, by default).
    pub name: String,
    /// Sensitivity, dB SPL for 1 V RMS at 1 kHz.
    pub sens_db_spl_per_v: f64,
    /// Whether the phase was derived from the magnitude (the file had none).
    pub phase_derived: bool,
    /// The curve: frequency (Hz), magnitude (ohm), phase (degrees); empty for a headphone of
    /// the user's catalog.
    pub points: Vec<[f64; 3]>,
    /// The user's headphone this is, when it was picked from their catalog: saved whole, so
    /// that the project reopens the same on a machine without the user's file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<HeadphoneEntry>,
}

impl ImportedHeadphone {
    /// Wraps a curve read from a file.
    pub fn new(
        name: &str,
        sens_db_spl_per_v: f64,
        curve: &loadline_core::import::ImportedCurve,
    ) -> Self {
        ImportedHeadphone {
            name: name.to_string(),
            sens_db_spl_per_v,
            phase_derived: curve.phase_derived,
            points: curve
                .curve
                .points()
                .iter()
                .map(|p| [p.freq_hz, p.mag_ohm, p.phase_deg])
                .collect(),
            entry: None,
        }
    }

    /// The user's headphone `entry`, as a project keeps it.
    pub fn from_entry(entry: HeadphoneEntry) -> Self {
        ImportedHeadphone {
            name: catalog::user::marked(&entry.name()),
            sens_db_spl_per_v: entry.sens_db_spl_per_v(),
            phase_derived: false,
            points: Vec::new(),
            entry: Some(entry),
        }
    }

    /// The headphone model, or why the saved curve is unusable (a damaged project).
    pub fn model(&self) -> Result<HeadphoneModel, String> {
        if let Some(entry) = &self.entry {
            let problems = catalog::user_headphone_problems(entry);
            if !problems.is_empty() {
                return Err(problems.join("; "));
            }
            return Ok(HeadphoneModel {
                name: self.name.clone(),
                ..entry.model()
            });
        }
        if !(self.sens_db_spl_per_v.is_finite()) {
            return Err("the saved sensitivity is not a number".into());
        }
        let curve = MeasuredCurve::new(
            self.points
                .iter()
                .map(|&[freq_hz, mag_ohm, phase_deg]| ImpedancePoint {
                    freq_hz,
                    mag_ohm,
                    phase_deg,
                })
                .collect(),
        )
        .map_err(|e| e.0)?;
        Ok(HeadphoneModel {
            name: self.name.clone(),
            kind: "imported measurement".into(),
            nominal_ohm: loadline_core::physics::Impedance::z_ohm(&curve, 1000.0).norm(),
            source: if self.phase_derived {
                "imported curve (phase derived from the magnitude)".into()
            } else {
                "imported curve".into()
            },
            sens_db_spl_per_v: self.sens_db_spl_per_v,
            sens_source: "given with the import".into(),
            load: HeadphoneLoad::Measured(curve),
        })
    }
}

/// The imported curve, shared by the saved state, the editor and the designer thread (which
/// lock it) and the audio thread (which only reads the generation, an atomic).
#[derive(Debug, Clone, Default)]
pub struct ImportedSlot(Arc<ImportedInner>);

#[derive(Debug, Default)]
struct ImportedInner {
    curve: Mutex<Option<ImportedHeadphone>>,
    generation: AtomicU32,
}

impl ImportedSlot {
    /// Counts the curves set so far: a change means the designer must redesign.
    pub fn generation(&self) -> u32 {
        self.0.generation.load(Ordering::Acquire)
    }

    /// The curve, if one was imported (locks: not for the audio thread).
    pub fn get(&self) -> Option<ImportedHeadphone> {
        self.0
            .curve
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Replaces the curve (locks: not for the audio thread).
    pub fn set(&self, curve: Option<ImportedHeadphone>) {
        *self.0.curve.lock().unwrap_or_else(|e| e.into_inner()) = curve;
        self.0.generation.fetch_add(1, Ordering::AcqRel);
    }
}

impl PersistentField<'_, Option<ImportedHeadphone>> for ImportedSlot {
    fn set(&self, new_value: Option<ImportedHeadphone>) {
        ImportedSlot::set(self, new_value);
    }

    fn map<F, R>(&self, f: F) -> R
    where
        F: Fn(&Option<ImportedHeadphone>) -> R,
    {
        f(&self.0.curve.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// The name of the headphone choice one past the catalog.
pub const IMPORTED_HEADPHONE_NAME: &str = "Imported curve";

/// The headphone `choice` names: a catalog model, or the imported curve; when no usable curve
/// was imported, the catalog's first headphone, named so that the figures say it.
pub fn headphone_model(
    choice: HeadphoneChoice,
    catalog_models: &[HeadphoneModel],
    imported: &ImportedSlot,
) -> HeadphoneModel {
    if let HeadphoneChoice::Catalog(k) = choice {
        return catalog_models[k].clone();
    }
    let fallback = |why: &str| HeadphoneModel {
        name: format!("{} ({why})", catalog_models[0].name),
        ..catalog_models[0].clone()
    };
    match imported.get().map(|h| h.model()) {
        Some(Ok(m)) => m,
        Some(Err(e)) => fallback(&format!("the saved curve is unusable: {e}")),
        None => fallback("no curve imported"),
    }
}

/// The headphone heard as the output sees it: [`headphone_model`] of the heard choice, with
/// the others in parallel when they are on its jack.
pub fn heard_model(
    listeners: Listeners,
    catalog_models: &[HeadphoneModel],
    imported: &ImportedSlot,
) -> HeadphoneModel {
    let others: Vec<HeadphoneModel> = listeners
        .others()
        .map(|k| catalog_models[k].clone())
        .collect();
    // On outputs of their own they load the supply, not the jack: the stage has them.
    listeners.on.as_seen(
        &headphone_model(listeners.heard, catalog_models, imported),
        &others,
    )
}

/// Slot A starts as the custom output (as the single output of 0.1.x did).
const DEFAULT_OUTPUT_A: OutputChoice = OutputChoice::Custom;
/// Slot B starts as a common interface: the Focusrite Scarlett 2i2 4th gen (catalog 1).
const DEFAULT_OUTPUT_B: OutputChoice = OutputChoice::Catalog(1);

impl SlotParams {
    /// Slot `letter`'s custom figures ("A", "B"), named after it.
    pub fn new(letter: &str) -> Self {
        let n = |what: &str| format!("{letter} {what}");
        SlotParams {
            r_out_ohm: physical(
                &n("output impedance"),
                10.0,
                plausible::R_OUT_OHM.range_f32(),
                -2.0,
                " Ω",
                &["ohms", "ohm", "Ω", "r"],
            ),
            cap_on: switch(&n("coupling capacitor"), false),
            coupling_cap_uf: physical(
                &n("coupling capacitor value"),
                220.0,
                plausible::COUPLING_CAP_UF.range_f32(),
                -2.0,
                " µF",
                &["µf", "uf", "μf"],
            )
            .with_string_to_value(Arc::new(|s| {
                parse_param(s, &["µf", "uf", "μf"], 1.0).or_else(|| parse_param(s, &["mf"], 1000.0))
            })),
            full_scale_dbu: physical(
                &n("full-scale level"),
                10.0,
                plausible::FULL_SCALE_DBU.range_f32(),
                0.0,
                " dBu",
                &["dbu"],
            ),
            rail_v_peak: physical(
                &n("rail limit"),
                15.0,
                plausible::RAIL_V_PEAK.range_f32(),
                -2.0,
                " V",
                &["vpk", "v"],
            ),
            i_max_ma_peak: physical(
                &n("current limit"),
                500.0,
                plausible::I_MAX_MA_PEAK.range_f32(),
                -2.5,
                " mA",
                &["ma"],
            ),
            r_sag_ohm: physical(
                &n("supply sag"),
                0.0,
                plausible::R_SAG_OHM.range_f32(),
                -1.5,
                " Ω",
                &["ohms", "ohm", "Ω", "r"],
            ),
            dynamic_range_db: physical(
                &n("dynamic range"),
                115.0,
                plausible::DYNAMIC_RANGE_DB.range_f32(),
                0.0,
                " dB",
                &["db"],
            ),
            dynamic_range_a_weighted: switch(&n("dynamic range A-weighted"), true),
            noise_floor_dbv: physical(
                &n("noise floor"),
                -110.0,
                plausible::NOISE_DBV.range_f32(),
                0.0,
                " dBV",
                &["dbv"],
            ),
            noise_floor_a_weighted: switch(&n("noise floor A-weighted"), true),
            flicker_corner_hz: physical(
                &n("1/f corner"),
                0.0,
                plausible::FLICKER_CORNER_HZ.range_f32(),
                -1.5,
                " Hz",
                &["hz"],
            ),
        }
    }

    /// The figures the slot holds.
    pub fn figures(&self) -> OutputFigures {
        let v = self.values();
        OutputFigures {
            full_scale_dbu: Some(v.full_scale_dbu as f64),
            r_out_ohm: v.r_out_ohm as f64,
            coupling_cap_uf: v.coupling_cap_uf.map(f64::from),
            rail_v_peak: Some(v.rail_v_peak as f64),
            i_max_ma_peak: Some(v.i_max_ma_peak as f64),
            r_sag_ohm: Some(v.r_sag_ohm as f64),
            dynamic_range_db: Some((v.dynamic_range_db.0 as f64, v.dynamic_range_db.1)),
            noise_floor_dbv: Some((v.noise_floor_dbv.0 as f64, v.noise_floor_dbv.1)),
            flicker_corner_hz: v.flicker_corner_hz as f64,
        }
    }

    /// The output stage these figures describe.
    pub fn stage(&self) -> OutputStage {
        self.figures().stage()
    }

    /// The parameters' values now.
    pub fn values(&self) -> SlotValues {
        SlotValues {
            r_out_ohm: self.r_out_ohm.value(),
            coupling_cap_uf: self.cap_on.value().then(|| self.coupling_cap_uf.value()),
            full_scale_dbu: self.full_scale_dbu.value(),
            rail_v_peak: self.rail_v_peak.value(),
            i_max_ma_peak: self.i_max_ma_peak.value(),
            r_sag_ohm: self.r_sag_ohm.value(),
            dynamic_range_db: (
                self.dynamic_range_db.value(),
                self.dynamic_range_a_weighted.value(),
            ),
            noise_floor_dbv: (
                self.noise_floor_dbv.value(),
                self.noise_floor_a_weighted.value(),
            ),
            flicker_corner_hz: self.flicker_corner_hz.value(),
        }
    }

    /// The values that make the slot hold `figures` as nearly as its ranges allow, and what
    /// differs, in words: a figure beyond its parameter's range is held at the range's end,
    /// and an absent limit or noise, which a slot cannot switch off, is the end that acts
    /// least (the highest rail, full scale and current, the widest dynamic range, the lowest
    /// noise floor).
    pub fn values_for(&self, figures: &OutputFigures) -> (SlotValues, Vec<String>) {
        let mut differs = Vec::new();
        let mut held = |p: &FloatParam, value: Option<f64>, least: Least| {
            let ends = [p.range().unnormalize(0.0), p.range().unnormalize(1.0)];
            let what = p.name().split_once(' ').map_or(p.name(), |(_, w)| w);
            let (v, why) = match value {
                None => (ends[least as usize], "none given"),
                Some(v) => (
                    (v as f32).clamp(ends[0], ends[1]),
                    "beyond the slot's range",
                ),
            };
            if value.is_none_or(|given| given as f32 != v) {
                let shown = p.normalized_value_to_string(p.preview_normalized(v), true);
                differs.push(format!("{what}: {why}, held at {shown}"));
            }
            v
        };
        let f = figures;
        let values = SlotValues {
            r_out_ohm: held(&self.r_out_ohm, Some(f.r_out_ohm), Least::Low),
            coupling_cap_uf: f
                .coupling_cap_uf
                .map(|c| held(&self.coupling_cap_uf, Some(c), Least::High)),
            full_scale_dbu: held(&self.full_scale_dbu, f.full_scale_dbu, Least::High),
            rail_v_peak: held(&self.rail_v_peak, f.rail_v_peak, Least::High),
            i_max_ma_peak: held(&self.i_max_ma_peak, f.i_max_ma_peak, Least::High),
            r_sag_ohm: held(
                &self.r_sag_ohm,
                Some(f.r_sag_ohm.unwrap_or(0.0)),
                Least::Low,
            ),
            dynamic_range_db: (
                held(
                    &self.dynamic_range_db,
                    f.dynamic_range_db.map(|d| d.0),
                    Least::High,
                ),
                f.dynamic_range_db.is_some_and(|d| d.1),
            ),
            noise_floor_dbv: (
                held(
                    &self.noise_floor_dbv,
                    f.noise_floor_dbv.map(|n| n.0),
                    Least::Low,
                ),
                f.noise_floor_dbv.is_some_and(|n| n.1),
            ),
            flicker_corner_hz: held(
                &self.flicker_corner_hz,
                Some(f.flicker_corner_hz),
                Least::Low,
            ),
        };
        (values, differs)
    }

    /// Whether the slot holds `figures` as [`Self::values_for`] sets them. A value set
    /// through a host travels as a normalised `f32` and comes back within a few parts in 10⁷;
    /// a part in 10⁴ is far below anything audible and far above that rounding.
    pub fn holds(&self, figures: &OutputFigures) -> bool {
        let (want, _) = self.values_for(figures);
        want.close_to(&self.values())
    }

    /// Sets the slot to `v`: every figure through `float`, every switch through `switch` (in
    /// the editor, a host gesture each).
    pub fn assign(
        &self,
        v: &SlotValues,
        mut float: impl FnMut(&FloatParam, f32),
        mut switch: impl FnMut(&BoolParam, bool),
    ) {
        float(&self.r_out_ohm, v.r_out_ohm);
        switch(&self.cap_on, v.coupling_cap_uf.is_some());
        if let Some(c) = v.coupling_cap_uf {
            float(&self.coupling_cap_uf, c);
        }
        float(&self.full_scale_dbu, v.full_scale_dbu);
        float(&self.rail_v_peak, v.rail_v_peak);
        float(&self.i_max_ma_peak, v.i_max_ma_peak);
        float(&self.r_sag_ohm, v.r_sag_ohm);
        float(&self.dynamic_range_db, v.dynamic_range_db.0);
        switch(&self.dynamic_range_a_weighted, v.dynamic_range_db.1);
        float(&self.noise_floor_dbv, v.noise_floor_dbv.0);
        switch(&self.noise_floor_a_weighted, v.noise_floor_dbv.1);
        float(&self.flicker_corner_hz, v.flicker_corner_hz);
    }
}

/// Which end of a parameter's range acts least, for a figure that is not given.
#[derive(Clone, Copy)]
enum Least {
    Low = 0,
    High = 1,
}

/// The plain values of a slot's custom figures, in their parameters' units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SlotValues {
    /// Output impedance, ohms.
    pub r_out_ohm: f32,
    /// The coupling capacitor, µF, when it is in the circuit.
    pub coupling_cap_uf: Option<f32>,
    /// Full-scale level, dBu.
    pub full_scale_dbu: f32,
    /// Rail limit, V peak.
    pub rail_v_peak: f32,
    /// Current limit, mA peak.
    pub i_max_ma_peak: f32,
    /// Supply sag, ohms.
    pub r_sag_ohm: f32,
    /// Dynamic range, dB, and whether A-weighted.
    pub dynamic_range_db: (f32, bool),
    /// Noise floor, dBV, and whether A-weighted.
    pub noise_floor_dbv: (f32, bool),
    /// 1/f corner, Hz.
    pub flicker_corner_hz: f32,
}

impl SlotValues {
    /// Whether every value agrees with `other`'s to a part in 10⁴ (see [`SlotParams::holds`]).
    fn close_to(&self, other: &SlotValues) -> bool {
        let close = |a: f32, b: f32| (a - b).abs() <= 1e-4 * a.abs().max(b.abs()).max(1.0);
        let caps = match (self.coupling_cap_uf, other.coupling_cap_uf) {
            (Some(a), Some(b)) => close(a, b),
            (a, b) => a.is_none() && b.is_none(),
        };
        caps && close(self.r_out_ohm, other.r_out_ohm)
            && close(self.full_scale_dbu, other.full_scale_dbu)
            && close(self.rail_v_peak, other.rail_v_peak)
            && close(self.i_max_ma_peak, other.i_max_ma_peak)
            && close(self.r_sag_ohm, other.r_sag_ohm)
            && close(self.dynamic_range_db.0, other.dynamic_range_db.0)
            && self.dynamic_range_db.1 == other.dynamic_range_db.1
            && close(self.noise_floor_dbv.0, other.noise_floor_dbv.0)
            && self.noise_floor_dbv.1 == other.noise_floor_dbv.1
            && close(self.flicker_corner_hz, other.flicker_corner_hz)
    }
}

/// The choice whose name `text` picks (`catalog::lookup`), or a plain number.
fn parse_choice(text: &str, names: &[String]) -> Option<i32> {
    match catalog::lookup(text, names) {
        Ok(k) => Some(k as i32),
        Err(_) => text.trim().parse().ok(),
    }
}

/// A place on the jack beside the heard headphone: "Nobody", then every catalog headphone.
fn other_listener(name: &str) -> IntParam {
    let names: Vec<String> = std::iter::once(NOBODY.to_string())
        .chain(catalog::headphones().iter().map(|h| h.name()))
        .collect();
    let shown = names.clone();
    IntParam::new(
        name,
        0,
        IntRange::Linear {
            min: 0,
            max: catalog::headphones().len() as i32,
        },
    )
    .with_value_to_string(Arc::new(move |v| {
        let k = Listeners::other_to_param(Listeners::other_from_param(v));
        shown[k as usize].clone()
    }))
    .with_string_to_value(Arc::new(move |s| parse_choice(s, &names)))
}

/// Another listener's volume on an output of their own, relative to the heard one's.
fn other_volume(name: &str) -> FloatParam {
    physical(
        name,
        0.0,
        plausible::OTHER_VOLUME_DB.range_f32(),
        0.0,
        " dB",
        &["db"],
    )
}

/// The name of an empty place on the jack.
pub const NOBODY: &str = "Nobody";

/// An output choice: "Custom", then every catalog output by name.
fn output_choice(name: &str, default: i32) -> IntParam {
    let names: Vec<String> = std::iter::once("Custom".to_string())
        .chain(catalog::outputs().iter().map(|e| e.name()))
        .collect();
    IntParam::new(
        name,
        default,
        IntRange::Linear {
            min: 0,
            max: catalog::outputs().len() as i32,
        },
    )
    .with_value_to_string(Arc::new(|v| OutputChoice::from_param(v).name()))
    .with_string_to_value(Arc::new(move |s| parse_choice(s, &names)))
}

impl Default for LoadlineParams {
    fn default() -> Self {
        let hp_names: Arc<Vec<String>> = Arc::new(
            catalog::headphones()
                .iter()
                .map(|h| h.name())
                .chain(std::iter::once(IMPORTED_HEADPHONE_NAME.to_string()))
                .collect(),
        );
        let names = hp_names.clone();
        LoadlineParams {
            output_a: output_choice("Output A", DEFAULT_OUTPUT_A.to_param()),
            output_b: output_choice("Output B", DEFAULT_OUTPUT_B.to_param()),
            heard: EnumParam::new("Heard", Heard::A),
            slot_a: SlotParams::new("A"),
            slot_b: SlotParams::new("B"),
            chain_a: ChainParams::new("A"),
            chain_b: ChainParams::new("B"),
            headphone: IntParam::new(
                "Headphone",
                0,
                IntRange::Linear {
                    min: 0,
                    max: hp_names.len() as i32 - 1,
                },
            )
            .with_value_to_string(Arc::new(move |k| {
                hp_names
                    .get(k as usize)
                    .cloned()
                    .unwrap_or_else(|| k.to_string())
            }))
            .with_string_to_value(Arc::new(move |s| parse_choice(s, &names))),
            with_1: other_listener("Also on the jack 1"),
            with_2: other_listener("Also on the jack 2"),
            with_3: other_listener("Also on the jack 3"),
            others_on: EnumParam::new("Other listeners", OthersOnChoice::SameJack),
            with_1_volume_db: other_volume("Also on the jack 1 volume"),
            with_2_volume_db: other_volume("Also on the jack 2 volume"),
            with_3_volume_db: other_volume("Also on the jack 3 volume"),
            imported: ImportedSlot::default(),
            user_output_a: Arc::default(),
            user_output_b: Arc::default(),
            mode: EnumParam::new("Mode", ModeChoice::ZeroLatency),
            level_match: switch("Level match", false),
            bypass: BoolParam::new("Bypass", false).make_bypass(),
            limits_on: switch("Output limits", false),
            noise_on: switch("Output noise", false),
            level_mode: EnumParam::new("Level mode", LevelMode::Volume),
            volume_db: physical(
                "Volume",
                0.0,
                plausible::VOLUME_DB.range_f32(),
                0.0,
                " dB",
                &["db"],
            ),
            target_spl_db: physical(
                "Target SPL",
                85.0,
                plausible::TARGET_SPL_DB.range_f32(),
                0.0,
                " dB SPL",
                &["db spl", "dbspl", "db"],
            ),
            test_signal: EnumParam::new("Test signal", TestSignal::Off),
            ideal_compared_b: AtomicBool::new(false),
            editor_size: Arc::new(Mutex::new(EDITOR_DEFAULT_SIZE)),
        }
    }
}

impl LoadlineParams {
    /// The output stage of slot `heard`. For `Heard::Ideal`, a perfect amplifier with the full
    /// scale of the slot it is compared with ([`Self::compared_slot`]): it sounds the same
    /// whatever its full scale (it has no limits and no noise), and its figures are then those
    /// of that output at the same volume, made perfect.
    pub fn slot_stage(&self, heard: Heard) -> OutputStage {
        let (choice, slot) = match heard {
            Heard::A => (self.output_a.value(), &self.slot_a),
            Heard::B => (self.output_b.value(), &self.slot_b),
            Heard::Ideal => {
                let v_fs_peak = self.slot_stage(self.note_heard(Heard::Ideal)).v_fs_peak;
                return OutputStage::perfect_at_full_scale(v_fs_peak);
            }
        };
        let (direct, outputs) = match OutputChoice::from_param(choice) {
            OutputChoice::Catalog(k) => match catalog::output_stage(k) {
                Some(stage) => (stage, catalog::outputs()[k].own_outputs()),
                None => (slot.stage(), 1),
            },
            OutputChoice::Custom => (slot.stage(), 1),
        };
        // A chain that makes no sense plays the output alone (the editor says why).
        let (stage, outputs) = match self.chain_spec(heard) {
            Some(Ok(spec)) => match spec.stage() {
                Ok(stage) => (stage, spec.own_outputs()),
                Err(_) => (direct, outputs),
            },
            _ => (direct, outputs),
        };
        self.with_others_on_supply(stage, outputs)
    }

    /// The chain slot `heard` is (`None`: its output drives the headphone, or the Ideal
    /// reference), or why its chain cannot be built.
    pub fn chain_spec(&self, heard: Heard) -> Option<Result<ChainSpec, ChainSpecError>> {
        let (chain, choice, slot) = match heard {
            Heard::A => (&self.chain_a, self.output_a.value(), &self.slot_a),
            Heard::B => (&self.chain_b, self.output_b.value(), &self.slot_b),
            Heard::Ideal => return None,
        };
        // The slot's own figures (a user's output among them) feed it as they play alone.
        let source = match OutputChoice::from_param(choice) {
            OutputChoice::Catalog(k) => ChainSource::Catalog(k),
            OutputChoice::Custom => ChainSource::Own(slot.stage()),
        };
        chain.spec(source).map(|spec| spec.stage().map(|_| spec))
    }

    /// The output slot `heard` uses (`None` for the Ideal reference, which is no slot's).
    pub fn output_choice(&self, heard: Heard) -> Option<OutputChoice> {
        match heard {
            Heard::A => Some(OutputChoice::from_param(self.output_a.value())),
            Heard::B => Some(OutputChoice::from_param(self.output_b.value())),
            Heard::Ideal => None,
        }
    }

    /// Slot `heard`'s custom figures and the user's output saved with them (`None` for the
    /// Ideal reference).
    pub fn slot(&self, heard: Heard) -> Option<(&SlotParams, &Mutex<Option<OutputEntry>>)> {
        match heard {
            Heard::A => Some((&self.slot_a, &self.user_output_a)),
            Heard::B => Some((&self.slot_b, &self.user_output_b)),
            Heard::Ideal => None,
        }
    }

    /// The user's output slot `heard` plays: the one saved with it, while the slot is custom
    /// and its figures are still that output's.
    pub fn user_output(&self, heard: Heard) -> Option<OutputEntry> {
        let (slot, saved) = self.slot(heard)?;
        let entry = saved.lock().unwrap_or_else(|e| e.into_inner()).clone()?;
        let custom = self.output_choice(heard) == Some(OutputChoice::Custom);
        (custom && slot.holds(&entry.model_figures())).then_some(entry)
    }

    /// The headphone being driven.
    pub fn headphone_choice(&self) -> HeadphoneChoice {
        HeadphoneChoice::from_param(self.headphone.value(), self.imported.generation())
    }

    /// The headphone heard and the others on its jack.
    pub fn listeners(&self) -> Listeners {
        Listeners {
            heard: self.headphone_choice(),
            others: self
                .others_on_jack()
                .map(|p| Listeners::other_from_param(p.value())),
            on: self.others_on.value().into(),
        }
    }

    /// The parameters of the other listeners' volumes on outputs of their own.
    pub fn others_volumes(&self) -> [&FloatParam; MAX_OTHER_LISTENERS] {
        [
            &self.with_1_volume_db,
            &self.with_2_volume_db,
            &self.with_3_volume_db,
        ]
    }

    /// With the others on outputs of their own, `stage` (of a device with `outputs` outputs)
    /// with their outputs on its supply, each at its volume; otherwise `stage`. Allocation-free
    /// (the audio thread forms the stage it hears).
    fn with_others_on_supply(&self, stage: OutputStage, outputs: usize) -> OutputStage {
        if self.others_on.value() == OthersOnChoice::SameJack {
            return stage;
        }
        let mut others = [OtherOutput::NONE; MAX_OTHER_LISTENERS];
        let mut n = 0;
        for (place, volume) in self.others_on_jack().iter().zip(self.others_volumes()) {
            let other = Listeners::other_from_param(place.value()).and_then(catalog::other_output);
            let ratio = db_to_gain(volume.value() as f64);
            if let Some(o) = other.and_then(|o| o.at_ratio(ratio).ok()) {
                others[n] = o;
                n += 1;
            }
        }
        on_own_outputs(&stage, outputs, &others[..n]).0
    }

    /// The parameters of the places on the jack beside the heard headphone.
    pub fn others_on_jack(&self) -> [&IntParam; MAX_OTHER_LISTENERS] {
        [&self.with_1, &self.with_2, &self.with_3]
    }

    /// How the listening level is set.
    pub fn level(&self) -> Level {
        match self.level_mode.value() {
            LevelMode::Volume => Level::VolumeDb(self.volume_db.value() as f64),
            LevelMode::TargetSpl => Level::TargetSplDb(self.target_spl_db.value() as f64),
        }
    }

    /// The slot (A or B) the Ideal reference is compared with: the one heard now, or while
    /// Ideal is heard, the one heard before it. Reading it while A or B is heard records that
    /// slot (an atomic store, so the audio thread may call it).
    pub fn compared_slot(&self) -> Heard {
        self.note_heard(self.heard.value())
    }

    /// [`Self::compared_slot`] with `heard` heard (with `Heard::Ideal`, only a read).
    fn note_heard(&self, heard: Heard) -> Heard {
        match heard {
            Heard::Ideal => {
                if self.ideal_compared_b.load(Ordering::Relaxed) {
                    Heard::B
                } else {
                    Heard::A
                }
            }
            slot => {
                self.ideal_compared_b
                    .store(slot == Heard::B, Ordering::Relaxed);
                slot
            }
        }
    }

    /// The output stage heard now (recording the slot Ideal is compared with).
    pub fn heard_stage(&self) -> OutputStage {
        self.compared_slot();
        self.slot_stage(self.heard.value())
    }
}

/// Brings a state saved by an older version up to this one (nice-plug calls it before
/// loading): 0.1.x stored the headphone as one of five named models and had a single output,
/// which becomes slot A's custom figures.
pub fn migrate_state(state: &mut PluginState) {
    let params = &mut state.params;
    if let Some(ParamValue::String(id)) = params.get("hp") {
        // The five models of 0.1.x are the catalog's first five headphones, in order.
        let index = ["dyn300", "dyn38", "planar37", "ba1", "bamulti"]
            .iter()
            .position(|k| k == id)
            .unwrap_or(0);
        params.insert("hp".into(), ParamValue::I32(index as i32));
    }
    if state.version.starts_with("0.1.") && !params.contains_key("outa") {
        params.insert(
            "outa".into(),
            ParamValue::I32(OutputChoice::Custom.to_param()),
        );
        params.insert("heard".into(), ParamValue::String("a".into()));
    }
}

/// A float parameter in physical units: skewed range (`skew` as for
/// `FloatRange::skew_factor`, 0 for linear), three significant digits, and text entry
/// that accepts the number with any of `units` and an SI prefix.
fn physical(
    name: &str,
    default: f32,
    (min, max): (f32, f32),
    skew: f32,
    unit: &'static str,
    units: &'static [&'static str],
) -> FloatParam {
    let range = if skew == 0.0 {
        FloatRange::Linear { min, max }
    } else {
        FloatRange::Skewed {
            min,
            max,
            factor: FloatRange::skew_factor(skew),
        }
    };
    FloatParam::new(name, default, range)
        .with_unit(unit)
        .with_value_to_string(Arc::new(|v| fmt_param(v, 3)))
        .with_string_to_value(Arc::new(move |s| parse_param(s, units, 1.0)))
}

/// An on/off parameter with text entry.
fn switch(name: &str, default: bool) -> BoolParam {
    BoolParam::new(name, default)
        .with_value_to_string(Arc::new(|v| if v { "On" } else { "Off" }.into()))
        .with_string_to_value(Arc::new(parse_on_off))
}

/// Parses `text` in one of `units` (`units::parse_with_unit`) into a parameter's value.
fn parse_param(text: &str, units: &[&str], scale: f64) -> Option<f32> {
    parse_with_unit(text, units, scale).map(|v| v as f32)
}

fn parse_on_off(s: &str) -> Option<bool> {
    match s.trim().to_lowercase().as_str() {
        "on" | "1" | "true" | "yes" => Some(true),
        "off" | "0" | "false" | "no" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_settles_after_one_round_trip() {
        // A value just below a decade rounds up into it: its text must be that of the decade
        // (0.100, not 0.1000), so that text → value → text gives the same text.
        let p = LoadlineParams::default();
        let sag = &p.slot_a.r_sag_ohm;
        for k in 0..=1000 {
            let norm = k as f32 / 1000.0;
            let text = sag.normalized_value_to_string(norm, false);
            let back = sag.string_to_normalized_value(&text).unwrap();
            assert_eq!(
                sag.normalized_value_to_string(back, false),
                text,
                "at {norm}"
            );
        }
    }

    #[test]
    fn parameters_round_trip_through_text() {
        let p = LoadlineParams::default();
        let a = &p.slot_a;
        let norm = a.r_out_ohm.string_to_normalized_value("47 ohm").unwrap();
        let back = a.r_out_ohm.preview_plain(norm);
        assert!((back - 47.0).abs() < 1e-3, "{back}");
        assert_eq!(a.r_out_ohm.normalized_value_to_string(norm, true), "47.0 Ω");
        let c = a
            .coupling_cap_uf
            .string_to_normalized_value("100µF")
            .unwrap();
        assert!((a.coupling_cap_uf.preview_plain(c) - 100.0).abs() < 1e-2);
        let c = a
            .coupling_cap_uf
            .string_to_normalized_value("0.47 mF")
            .unwrap();
        assert!((a.coupling_cap_uf.preview_plain(c) - 470.0).abs() < 1e-2);
        assert_eq!(p.level_match.string_to_normalized_value("on"), Some(1.0));
    }

    #[test]
    fn catalog_choices_are_picked_by_name() {
        let p = LoadlineParams::default();
        let pick = |param: &IntParam, text: &str| {
            param
                .string_to_normalized_value(text)
                .map(|n| param.preview_plain(n))
        };
        let k = pick(&p.output_a, "Scarlett 2i2 4th gen").unwrap();
        assert_eq!(
            OutputChoice::from_param(k).name(),
            "Focusrite Scarlett 2i2 4th gen"
        );
        assert_eq!(
            pick(&p.output_a, "custom"),
            Some(OutputChoice::Custom.to_param())
        );
        // "Scarlett" alone is ambiguous and no number: refused.
        assert_eq!(pick(&p.output_b, "Scarlett"), None);
        let hp = pick(&p.headphone, "dt 990 pro 250").unwrap();
        assert_eq!(
            catalog::headphones()[hp as usize].name(),
            "Beyerdynamic DT 990 Pro 250 ohm"
        );
        assert_eq!(
            p.headphone
                .normalized_value_to_string(p.headphone.preview_normalized(hp), true),
            "Beyerdynamic DT 990 Pro 250 ohm"
        );
    }

    /// Sets a parameter as a host does: through its normalised value.
    fn host_set<P: Param>(p: &P, plain: P::Plain) {
        // SAFETY: `p` is a parameter of the test's own `LoadlineParams`, alive for the call.
        unsafe {
            p.as_ptr()
                ._internal_set_normalized_value(p.preview_normalized(plain))
        };
    }

    #[test]
    fn a_slot_holds_every_catalog_outputs_figures_through_the_host() {
        for e in catalog::outputs() {
            let p = LoadlineParams::default();
            let figures = e.model_figures();
            let (values, differs) = p.slot_a.values_for(&figures);
            assert!(!p.slot_a.holds(&figures), "{}: not before", e.name());
            p.slot_a.assign(&values, host_set, host_set);
            assert!(p.slot_a.holds(&figures), "{}", e.name());
            // What the slot could not hold is said; an entry it holds whole plays as itself.
            let whole = figures.rail_v_peak.is_some()
                && figures.i_max_ma_peak.is_some()
                && figures.dynamic_range_db.is_some()
                && figures.noise_floor_dbv.is_some()
                && figures.full_scale_dbu.is_some_and(|fs| fs <= 30.0);
            assert_eq!(differs.is_empty(), whole, "{}: {differs:?}", e.name());
            if whole {
                let (got, want) = (p.slot_a.stage(), e.stage());
                let close = |a: f64, b: f64| (a - b).abs() <= 1e-4 * a.abs().max(b.abs()).max(1e-3);
                assert!(close(got.v_fs_peak, want.v_fs_peak), "{}", e.name());
                assert!(
                    close(got.source.r_out_ohm, want.source.r_out_ohm),
                    "{}",
                    e.name()
                );
                assert!(close(got.rail_v_peak, want.rail_v_peak), "{}", e.name());
                assert!(close(got.i_max_peak, want.i_max_peak), "{}", e.name());
                assert!(
                    close(got.noise_post.level_vrms, want.noise_post.level_vrms),
                    "{}",
                    e.name()
                );
            }
            // Moving one figure means the slot no longer holds the entry.
            host_set(&p.slot_a.r_out_ohm, values.r_out_ohm + 1.0);
            assert!(!p.slot_a.holds(&figures), "{}: after a change", e.name());
        }
    }

    #[test]
    fn a_slots_own_figures_are_its_values() {
        let p = LoadlineParams::default();
        let (values, differs) = p.slot_b.values_for(&p.slot_b.figures());
        assert_eq!(values, p.slot_b.values());
        assert!(differs.is_empty(), "{differs:?}");
        let (_, differs) = p.slot_b.values_for(&OutputFigures::default());
        let said: Vec<&str> = differs
            .iter()
            .map(|d| d.split(':').next().unwrap())
            .collect();
        assert_eq!(
            said,
            [
                "full-scale level",
                "rail limit",
                "current limit",
                "dynamic range",
                "noise floor"
            ]
        );
    }

    #[test]
    fn ideal_takes_the_full_scale_of_the_slot_heard_before_it() {
        let p = LoadlineParams::default();
        // A: the custom slot at its default +10 dBu; B: a catalog output.
        let (a, b) = (p.slot_stage(Heard::A), p.slot_stage(Heard::B));
        assert!(
            (a.v_fs_peak / b.v_fs_peak - 1.0).abs() > 0.01,
            "A and B differ"
        );
        assert_eq!(p.compared_slot(), Heard::A);
        assert_eq!(
            p.slot_stage(Heard::Ideal),
            OutputStage::perfect_at_full_scale(a.v_fs_peak)
        );
        assert_eq!(p.note_heard(Heard::B), Heard::B);
        assert_eq!(p.note_heard(Heard::Ideal), Heard::B, "Ideal keeps B");
        let i = p.slot_stage(Heard::Ideal);
        assert_eq!(i.v_fs_peak, b.v_fs_peak);
        assert_eq!(i.source.r_out_ohm, 0.0);
        assert!(i.rail_v_peak.is_infinite() && i.i_max_peak.is_infinite());
        assert_eq!(
            i.noise_pre,
            loadline_core::physics::output::NoiseSpec::SILENT
        );
    }

    #[test]
    fn old_states_migrate() {
        let mut state: PluginState = serde_json::from_str(include_str!(
            "../tests/fixtures/state-0.1.0-before-catalog.json"
        ))
        .unwrap();
        migrate_state(&mut state);
        assert!(matches!(state.params["hp"], ParamValue::I32(1)));
        assert!(matches!(
            state.params["outa"],
            ParamValue::I32(v) if OutputChoice::from_param(v) == OutputChoice::Custom
        ));
        assert!(matches!(state.params["zout"], ParamValue::F32(v) if v == 33.0));
    }
}
