//! The plugin's parameters, with units and text entry.
//!
//! This module holds the parameter tree itself (`LoadlineParams` and its defaults); the rest
//! is split by what it is about, so that each part can be read on its own:
//!
//! - `choices`: the enumerations (mode, level mode, heard slot, a chain's jack and gain…);
//! - `slot`: a slot's custom figures and its chain;
//! - `imported`: the imported headphone curve and the headphone models a choice names;
//! - `resolve`: from parameter values to the stage heard, the listeners and the level;
//! - `saved`: the devices saved with the project, and the audio thread's copy of them;
//! - `setup`: a setup turned into parameter values (the editor's menu and the presets);
//! - `migrate`: bringing states saved by older versions up to this one;
//! - `text`: the builders of parameters with text entry, and its parsing.
//!
//! Every public item is re-exported here, so that `crate::params::X` names it wherever it
//! lives.

mod choices;
mod imported;
mod migrate;
mod resolve;
mod saved;
mod setup;
mod slot;
#[cfg(test)]
mod tests;
mod text;

pub use choices::{
    GainChoice, Heard, JackChoice, LevelMode, ModeChoice, OthersOnChoice, TestSignal,
};
pub use imported::{
    IMPORTED_HEADPHONE_NAME, ImportedHeadphone, ImportedSlot, headphone_model, heard_model,
};
pub use migrate::migrate_state;
pub use saved::{DevicesNow, SavedDevices, SavedSlot};
pub use setup::{Direct, Gestures, SetValue, hold_figures, load_setup, play_entry, setup_of};
pub use slot::{ChainParams, NO_AMP, SlotParams, SlotValues};
pub use text::{NOBODY, SAVED_DEVICE};

use loadline_core::catalog::{self, OutputEntry};
use loadline_core::plausible;
use loadline_core::scenario::OutputChoice;
use nice_plug::prelude::*;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use text::{other_listener, other_volume, output_choice, parse_choice, physical, switch};

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
    /// The user's amplifiers and the other listeners' headphones the parameters pick as
    /// "saved with the project" (`Listeners::SAVED`), saved whole.
    #[persist = "saved-devices"]
    pub saved: SavedSlot,
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

/// Slot A starts as the custom output (as the single output of 0.1.x did).
const DEFAULT_OUTPUT_A: OutputChoice = OutputChoice::Custom;
/// Slot B starts as a common interface: the Focusrite Scarlett 2i2 4th gen (catalog 1).
const DEFAULT_OUTPUT_B: OutputChoice = OutputChoice::Catalog(1);

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
            saved: SavedSlot::default(),
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
