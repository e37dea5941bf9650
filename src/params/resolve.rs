//! From parameter values to what the engine plays: the output stage of a slot (through its
//! chain, with the other listeners on its supply), the listeners, and the level.
//!
//! The audio thread calls some of these methods, so they are kept apart from the parameters'
//! construction: everything here must stay allocation-free where it says so.

use super::choices::{Heard, LevelMode, OthersOnChoice};
use super::imported::ImportedHeadphone;
use super::slot::SlotParams;
use super::{DevicesNow, LoadlineParams};
use loadline_core::analysis::Slot;
use loadline_core::catalog::{self, ChainSpec, OutputEntry};
use loadline_core::choices::{
    AmpChoice, ChoiceError, Choices, Device, HeadphonePick, ListenerChoices, OtherListener, Output,
    SlotChoice,
};
use loadline_core::listeners::{MAX_OTHER_LISTENERS, on_own_outputs};
use loadline_core::physics::output::{OutputFigures, OutputStage};
use loadline_core::physics::supply::OtherOutput;
use loadline_core::scenario::{HeadphoneChoice, Level, Listeners, OtherChoice, OutputChoice};
use loadline_core::units::db_to_gain;
use nice_plug::prelude::*;
use std::sync::Mutex;
use std::sync::atomic::Ordering;

impl LoadlineParams {
    /// The output stage of slot `heard`. For `Heard::Ideal`, a perfect amplifier with the full
    /// scale of the slot it is compared with ([`Self::compared_slot`]): it sounds the same
    /// whatever its full scale (it has no limits and no noise), and its figures are then those
    /// of that output at the same volume, made perfect. `now` is what the saved devices give
    /// ([`super::SavedSlot`]). Allocation-free: the audio thread forms the stage it hears with
    /// it.
    pub fn slot_stage(&self, heard: Heard, now: &DevicesNow) -> OutputStage {
        let Some(played) = self.played(heard, now) else {
            let v_fs_peak = self
                .slot_stage(self.note_heard(Heard::Ideal), now)
                .v_fs_peak;
            return OutputStage::perfect_at_full_scale(v_fs_peak);
        };
        let (stage, outputs) =
            (played.stage()).unwrap_or_else(|_| (self.slot_figures(heard).stage(), 1));
        self.with_others_on_supply(stage, outputs, now)
    }

    /// What slot `heard` is set to (`None` for the Ideal reference, which is no slot's): a
    /// catalog output or the slot's own figures, feeding the amplifier its chain names.
    /// Allocation-free: the slot's own figures and a saved amplifier (of `now`) are unnamed
    /// here ([`Self::choices`] names them).
    pub fn chosen(&self, heard: Heard, now: &DevicesNow) -> Option<SlotChoice> {
        let (chain, choice, saved_amp) = match heard {
            Heard::A => (&self.chain_a, self.output_a.value(), now.amps[0]),
            Heard::B => (&self.chain_b, self.output_b.value(), now.amps[1]),
            Heard::Ideal => return None,
        };
        let output = match OutputChoice::from_param(choice) {
            OutputChoice::Catalog(k) => Output::Device(Device::Catalog(k)),
            OutputChoice::Custom => Output::Figures {
                name: String::new(),
                figures: self.slot_figures(heard),
                yours: None,
            },
        };
        Some(SlotChoice {
            output,
            chain: chain.choice(saved_amp),
        })
    }

    /// What slot `heard` plays: [`Self::chosen`], but a chain that makes no sense plays the
    /// output alone (the editor says why).
    pub fn played(&self, heard: Heard, now: &DevicesNow) -> Option<SlotChoice> {
        let chosen = self.chosen(heard, now)?;
        Some(match chosen.spec() {
            Ok(_) => chosen,
            Err(_) => SlotChoice::alone(chosen.output),
        })
    }

    /// The chain slot `heard` is (`None`: its output drives the headphone, or the Ideal
    /// reference), or why its chain cannot be built.
    pub fn chain_spec(
        &self,
        heard: Heard,
        now: &DevicesNow,
    ) -> Option<Result<ChainSpec, ChoiceError>> {
        self.chosen(heard, now)?.spec().transpose()
    }

    /// Slot `heard`'s own figures (the Ideal reference has none: an ideal output's).
    fn slot_figures(&self, heard: Heard) -> OutputFigures {
        self.slot(heard)
            .map_or_else(OutputFigures::default, |(slot, _)| slot.figures())
    }

    /// Everything chosen, for the analysis: the slots with their own figures named (as the
    /// user's output they hold, where they do) and their saved amplifiers as the user's, the
    /// listeners and the level (locks: not for the audio thread).
    pub fn choices(&self, headphone: HeadphonePick) -> Choices {
        let (now, saved) = (self.saved.now(), self.saved.get());
        let slot = |heard: Heard, letter: &str, amp: &Option<OutputEntry>| {
            let mut chosen = self.played(heard, &now).expect("A and B are slots");
            if let Output::Figures { name, yours, .. } = &mut chosen.output {
                *name = format!("Custom output {letter}");
                *yours = self.user_output(heard).map(Box::new);
            }
            if let (Some(chain), Some(entry)) = (&mut chosen.chain, amp)
                && matches!(chain.amp, AmpChoice::Figures(_))
            {
                chain.amp = AmpChoice::Device(Device::Yours(Box::new(entry.clone())));
            }
            chosen
        };
        let places = self.others_on_jack().into_iter().zip(self.others_volumes());
        let others = (places.zip(&saved.others))
            .filter_map(|((place, volume), saved)| {
                let headphone = match Listeners::other_from_param(place.value(), 0)? {
                    OtherChoice::Catalog(k) => HeadphonePick::Catalog(k),
                    OtherChoice::Saved { .. } => saved_pick(saved.as_ref()?)?,
                };
                Some(OtherListener {
                    headphone,
                    volume_offset_db: volume.value() as f64,
                })
            })
            .collect();
        Choices {
            slots: [
                slot(Heard::A, "A", &saved.amps[0]),
                slot(Heard::B, "B", &saved.amps[1]),
            ],
            ideal_of: if self.compared_slot() == Heard::B {
                Slot::B
            } else {
                Slot::A
            },
            listeners: ListenerChoices {
                heard: headphone,
                others,
                on: self.others_on.value().into(),
            },
            target_spl_db: self.target_spl_db.value() as f64,
            volume_db: (self.level_mode.value() == LevelMode::Volume)
                .then(|| self.volume_db.value() as f64),
        }
    }

    /// The parameter of slot `heard`'s output (slot A's for the Ideal reference, which has
    /// none of its own).
    pub fn output_param(&self, heard: Heard) -> &IntParam {
        if heard == Heard::B {
            &self.output_b
        } else {
            &self.output_a
        }
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
            others: (self.others_on_jack())
                .map(|p| Listeners::other_from_param(p.value(), self.saved.generation())),
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
    /// (the audio thread forms the stage it hears); a saved headphone's output is `now`'s.
    fn with_others_on_supply(
        &self,
        stage: OutputStage,
        outputs: usize,
        now: &DevicesNow,
    ) -> OutputStage {
        if self.others_on.value() == OthersOnChoice::SameJack {
            return stage;
        }
        let mut others = [OtherOutput::NONE; MAX_OTHER_LISTENERS];
        let mut n = 0;
        let places = self.others_on_jack().into_iter().zip(self.others_volumes());
        for (i, (place, volume)) in places.enumerate() {
            let other = match Listeners::other_from_param(place.value(), now.generation) {
                Some(OtherChoice::Catalog(k)) => catalog::other_output(k),
                Some(OtherChoice::Saved { .. }) => now.others[i],
                None => None,
            };
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
    pub(super) fn note_heard(&self, heard: Heard) -> Heard {
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
    pub fn heard_stage(&self, now: &DevicesNow) -> OutputStage {
        self.compared_slot();
        self.slot_stage(self.heard.value(), now)
    }
}

/// A headphone saved for another listener's place, as the analysis takes it: the model, and
/// for one of the user's its sources and ranges (`None`: a saved curve that is unusable).
fn saved_pick(saved: &ImportedHeadphone) -> Option<HeadphonePick> {
    let entry = saved.entry.as_ref();
    Some(HeadphonePick::Given {
        model: Box::new(saved.model().ok()?),
        provenance: entry.map_or_else(Vec::new, |e| e.provenance()),
        across: entry.map_or_else(Vec::new, catalog::entry_headphones_across),
    })
}
