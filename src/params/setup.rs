//! A setup (`core::setups`) turned into parameter values and back: the one mapping the
//! editor's setup menu loads through (each value a host gesture) and saves from, and the
//! presets a host lists are made with (each value set on a fresh set of parameters, then saved
//! as a state).

use super::{
    GainChoice, Heard, ImportedHeadphone, LevelMode, LoadlineParams, ModeChoice, OthersOnChoice,
};
use loadline_core::catalog::{self, HeadphoneEntry, OutputEntry, SourceJack};
use loadline_core::choices::{AmpChoice, Choices, Device, HeadphonePick, Output, SlotChoice};
use loadline_core::figures::OUTPUT_FIGURES;
use loadline_core::listeners::{MAX_OTHER_LISTENERS, OthersOn};
use loadline_core::physics::output::OutputFigures;
use loadline_core::scenario::{
    HeadphoneChoice, Listeners, OtherChoice, OutputChoice, amp_from_param, amp_to_param,
};
use loadline_core::setups::{
    AmpSetup, DeviceSetup, FiguresSetup, GainSetup, HeadphoneSetup, HeardSetup, JackSetup,
    LevelSetup, ModeSetup, OtherSetup, OthersOnSetup, Setup, SlotSetup,
};
use nice_plug::prelude::*;

/// Where parameter values go: the host, as gestures, or a fresh set of parameters.
pub trait SetValue {
    /// Sets `param` to `value`.
    fn set<P: Param>(&mut self, param: &P, value: P::Plain);
}

/// Sets each value as one gesture (begin, set, end), as a host expects from a click.
pub struct Gestures<'a>(pub &'a ParamSetter<'a>);

impl SetValue for Gestures<'_> {
    fn set<P: Param>(&mut self, param: &P, value: P::Plain) {
        self.0.begin_set_parameter(param);
        self.0.set_parameter(param, value);
        self.0.end_set_parameter(param);
    }
}

/// Sets each value straight on parameters no host holds (a fresh set made to be saved as a
/// preset's state), and remembers which it set.
#[derive(Default)]
pub struct Direct {
    /// The parameters set, in order.
    pub set: Vec<nice_plug::params::internals::ParamPtr>,
}

impl SetValue for Direct {
    fn set<P: Param>(&mut self, param: &P, value: P::Plain) {
        let ptr = param.as_ptr();
        // The parameters are this value's alone (no host or audio thread holds them), so
        // setting them as the wrapper would is safe.
        unsafe { ptr._internal_set_normalized_value(param.preview_normalized(value)) };
        self.set.push(ptr);
    }
}

/// Sets every parameter (and the devices saved with the project) that `choices`, resolved
/// from `setup`, decide.
pub fn load_setup(p: &LoadlineParams, setup: &Setup, choices: &Choices, to: &mut impl SetValue) {
    for (i, heard) in [Heard::A, Heard::B].into_iter().enumerate() {
        load_slot(p, to, heard, i, &choices.slots[i]);
    }
    load_listeners(p, choices, to);
    match choices.volume_db {
        Some(v) => {
            to.set(&p.level_mode, LevelMode::Volume);
            to.set(&p.volume_db, v as f32);
        }
        None => {
            to.set(&p.level_mode, LevelMode::TargetSpl);
            to.set(&p.target_spl_db, choices.target_spl_db as f32);
        }
    }
    let heard = match setup.heard {
        HeardSetup::A => Heard::A,
        HeardSetup::B => Heard::B,
        HeardSetup::Ideal => Heard::Ideal,
    };
    to.set(&p.heard, heard);
    let mode = match setup.mode {
        ModeSetup::ZeroLatency => ModeChoice::ZeroLatency,
        ModeSetup::Exact => ModeChoice::Exact,
    };
    to.set(&p.mode, mode);
    to.set(&p.level_match, setup.level_match);
}

/// The headphone heard and the other listeners, with where they are.
fn load_listeners(p: &LoadlineParams, choices: &Choices, to: &mut impl SetValue) {
    match &choices.listeners.heard {
        HeadphonePick::Catalog(k) => to.set(&p.headphone, *k as i32),
        HeadphonePick::Yours(entry) => {
            p.imported
                .set(Some(ImportedHeadphone::from_entry((**entry).clone())));
            to.set(&p.headphone, HeadphoneChoice::imported_param());
        }
        // A setup names its headphone; it never gives a model whole.
        HeadphonePick::Given { .. } => {}
    }
    let places = p.others_on_jack().into_iter().zip(p.others_volumes());
    for (i, (place, volume)) in places.enumerate().take(MAX_OTHER_LISTENERS) {
        let other = choices.listeners.others.get(i);
        let value = match other.map(|o| &o.headphone) {
            None => 0,
            Some(HeadphonePick::Catalog(k)) => *k as i32 + 1,
            Some(HeadphonePick::Yours(entry)) => {
                let saved = ImportedHeadphone::from_entry((**entry).clone());
                p.saved.update(|s| s.others[i] = Some(saved));
                Listeners::SAVED
            }
            Some(HeadphonePick::Given { .. }) => 0,
        };
        to.set(place, value);
        let offset = other.map_or(0.0, |o| o.volume_offset_db);
        to.set(volume, offset as f32);
    }
    let on = match choices.listeners.on {
        OthersOn::SameJack => OthersOnChoice::SameJack,
        OthersOn::OwnOutputs => OthersOnChoice::OwnOutputs,
    };
    to.set(&p.others_on, on);
}

/// Sets slot `heard` (the `i`-th) to `slot`: its output, and the amplifier it feeds.
fn load_slot(
    p: &LoadlineParams,
    to: &mut impl SetValue,
    heard: Heard,
    i: usize,
    slot: &SlotChoice,
) {
    match &slot.output {
        Output::Device(Device::Catalog(k)) => {
            to.set(p.output_param(heard), OutputChoice::Catalog(*k).to_param());
        }
        Output::Device(Device::Yours(entry)) => {
            play_entry(p, to, heard, (**entry).clone());
        }
        Output::Figures { figures, .. } => {
            hold_figures(p, to, heard, figures, None);
        }
    }
    let chain = if heard == Heard::B {
        &p.chain_b
    } else {
        &p.chain_a
    };
    let Some(c) = &slot.chain else {
        to.set(&chain.amp, 0);
        return;
    };
    let amp = match &c.amp {
        AmpChoice::Device(Device::Catalog(k)) => amp_to_param(Some(*k)),
        AmpChoice::Device(Device::Yours(entry)) => {
            let entry = (**entry).clone();
            p.saved.update(|s| s.amps[i] = Some(entry));
            Listeners::SAVED
        }
        // A setup names its amplifier; it never gives its figures alone.
        AmpChoice::Figures(_) => 0,
    };
    to.set(&chain.amp, amp);
    to.set(&chain.jack, c.jack.into());
    to.set(&chain.source_volume_db, c.source_volume_db as f32);
    to.set(&chain.gain, c.gain.into());
}

/// Plays the user's output `entry` in slot `heard`: the slot becomes custom, holding its
/// figures, and keeps the entry. What the slot could not hold, each in words.
pub fn play_entry(
    params: &LoadlineParams,
    to: &mut impl SetValue,
    heard: Heard,
    entry: OutputEntry,
) -> Vec<String> {
    let figures = entry.model_figures();
    hold_figures(params, to, heard, &figures, Some(entry))
}

/// Sets slot `heard` custom, holding `figures` (and keeping `entry`, the user's output they
/// are, if any). What the slot could not hold, each in words.
pub fn hold_figures(
    params: &LoadlineParams,
    to: &mut impl SetValue,
    heard: Heard,
    figures: &OutputFigures,
    entry: Option<OutputEntry>,
) -> Vec<String> {
    let Some((slot, saved)) = params.slot(heard) else {
        return Vec::new();
    };
    let (values, differs) = slot.values_for(figures);
    *saved.lock().unwrap_or_else(|e| e.into_inner()) = entry;
    let to = std::cell::RefCell::new(to);
    slot.assign(
        &values,
        |p, v| to.borrow_mut().set(p, v),
        |p, v| to.borrow_mut().set(p, v),
    );
    to.into_inner()
        .set(params.output_param(heard), OutputChoice::Custom.to_param());
    differs
}

/// The setup the parameters (and the devices saved with the project) describe now, named
/// `name`; an imported curve that is none of the user's headphones has no place in a setup
/// (one is named or carried as an entry), so it is refused with what to do.
pub fn setup_of(p: &LoadlineParams, name: &str) -> Result<Setup, String> {
    let saved = p.saved.get();
    let slot = |heard: Heard, i: usize| -> SlotSetup {
        let output = match OutputChoice::from_param(p.output_param(heard).value()) {
            OutputChoice::Catalog(k) => (Some(device(k)), None),
            OutputChoice::Custom => match p.user_output(heard) {
                Some(entry) => (Some(device_yours(entry)), None),
                None => {
                    let figures = p.slot(heard).map(|(s, _)| s.figures()).unwrap_or_default();
                    (None, Some(figures_setup(&figures)))
                }
            },
        };
        let chain = if heard == Heard::B {
            &p.chain_b
        } else {
            &p.chain_a
        };
        let amp = match chain.amp.value() {
            Listeners::SAVED => saved.amps[i].clone().map(|e| (e.name(), Some(e))),
            v => amp_from_param(v).map(|k| (catalog::outputs()[k].name(), None)),
        };
        SlotSetup {
            output: output.0,
            figures: output.1,
            amp: amp.map(|(name, yours)| AmpSetup {
                name,
                yours,
                jack: match SourceJack::from(chain.jack.value()) {
                    SourceJack::HeadphoneOut => JackSetup::HeadphoneOut,
                    SourceJack::LineOut => JackSetup::LineOut,
                },
                source_volume_db: chain.source_volume_db.value() as f64,
                gain: match chain.gain.value() {
                    GainChoice::High => GainSetup::High,
                    GainChoice::Low => GainSetup::Low,
                },
            }),
        }
    };
    let headphone = match p.headphone_choice() {
        HeadphoneChoice::Catalog(k) => headphone_setup(catalog::headphones()[k].name(), None),
        HeadphoneChoice::Imported { .. } => match p.imported.get().and_then(|h| h.entry) {
            Some(entry) => headphone_setup(entry.name(), Some(entry)),
            None => return Err(CURVE_IN_A_SETUP.into()),
        },
    };
    let mut others = Vec::new();
    let places = p.others_on_jack().into_iter().zip(p.others_volumes());
    for (i, (place, volume)) in places.enumerate() {
        let (name, yours) = match Listeners::other_from_param(place.value(), 0) {
            None => continue,
            Some(OtherChoice::Catalog(k)) => (catalog::headphones()[k].name(), None),
            Some(OtherChoice::Saved { .. }) => {
                match saved.others[i].clone().and_then(|h| h.entry) {
                    Some(entry) => (entry.name(), Some(entry)),
                    None => return Err(CURVE_IN_A_SETUP.into()),
                }
            }
        };
        others.push(OtherSetup {
            name,
            yours,
            volume_db: volume.value() as f64,
        });
    }
    Ok(Setup {
        name: name.into(),
        question: String::new(),
        a: slot(Heard::A, 0),
        b: slot(Heard::B, 1),
        headphone,
        others,
        others_on: match p.others_on.value() {
            OthersOnChoice::SameJack => OthersOnSetup::SameJack,
            OthersOnChoice::OwnOutputs => OthersOnSetup::OwnOutputs,
        },
        level: match p.level_mode.value() {
            LevelMode::Volume => LevelSetup {
                target_spl_db: None,
                volume_db: Some(p.volume_db.value() as f64),
            },
            LevelMode::TargetSpl => LevelSetup {
                target_spl_db: Some(p.target_spl_db.value() as f64),
                volume_db: None,
            },
        },
        heard: match p.heard.value() {
            Heard::A => HeardSetup::A,
            Heard::B => HeardSetup::B,
            Heard::Ideal => HeardSetup::Ideal,
        },
        mode: match p.mode.value() {
            ModeChoice::ZeroLatency => ModeSetup::ZeroLatency,
            ModeChoice::Exact => ModeSetup::Exact,
        },
        level_match: p.level_match.value(),
    })
}

/// Why an imported curve cannot go into a setup, and what to do.
const CURVE_IN_A_SETUP: &str = "an imported curve cannot go into a setup: save it as your headphone first (Save as yours), then pick that";

/// Catalog output `k` as a setup names it.
fn device(k: usize) -> DeviceSetup {
    DeviceSetup {
        name: catalog::outputs()[k].name(),
        yours: None,
    }
}

/// The user's output `entry`, carried whole.
fn device_yours(entry: OutputEntry) -> DeviceSetup {
    DeviceSetup {
        name: entry.name(),
        yours: Some(entry),
    }
}

/// A headphone as a setup names it (carrying the user's entry).
fn headphone_setup(name: String, yours: Option<HeadphoneEntry>) -> HeadphoneSetup {
    HeadphoneSetup { name, yours }
}

/// A slot's figures as a setup gives them, by the keys of `figures::OUTPUT_FIGURES`.
fn figures_setup(figures: &OutputFigures) -> FiguresSetup {
    FiguresSetup {
        values: (OUTPUT_FIGURES.iter())
            .filter_map(|d| Some((d.key.to_string(), (d.get)(figures)?)))
            .collect(),
    }
}
