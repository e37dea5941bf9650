//! The "Into an amplifier" section: each slot's output feeding an amplifier of the catalog,
//! its jack, gain and source volume, and which stage clips first. A chain has parameters and
//! a failure of its own (a chain that cannot be built), so it has a file of its own.

use super::pickers::{Row, picker, search_field, with_saved};
use super::{EditorApp, gesture, slot_of, wrapped_section};
use crate::params::{GainChoice, Heard, JackChoice, NO_AMP};
use crate::view::tips;
use egui::{Color32, RichText};
use loadline_core::catalog::user::marked;
use loadline_core::catalog::{self, OutputEntry};
use loadline_core::choices::{AmpChoice, Device};
use loadline_core::scenario::{Listeners, OutputChoice, amps};

impl EditorApp {
    /// Each slot's amplifier, fed from its output's headphone or line out.
    pub(super) fn chain_section(&mut self, ui: &mut egui::Ui) {
        let intro = ("Feed an amplifier from output A or B", tips::CHAIN);
        wrapped_section(ui, "Into an amplifier", "chain", intro, |ui, width| {
            for which in [Heard::A, Heard::B] {
                self.chain_row(ui, which, width);
            }
        });
    }

    /// One slot's chain: the amplifier, the source's jack and volume, and what clips first
    /// (or why the chain cannot be built).
    fn chain_row(&mut self, ui: &mut egui::Ui, which: Heard, width: f32) {
        let params = self.params.clone();
        let (chain, letter, search) = match which {
            Heard::B => (&params.chain_b, "B", 7),
            _ => (&params.chain_a, "A", 6),
        };
        let id = format!("chain{letter}");
        let query = &mut self.search[search];
        let (heading, field) = ui
            .horizontal(|ui| {
                (
                    ui.label(format!("{letter} into")),
                    search_field(ui, &id, query),
                )
            })
            .inner;
        let builtin: Vec<String> = std::iter::once(NO_AMP.to_string())
            .chain(amps().iter().map(|&k| catalog::outputs()[k].name()))
            .collect();
        // Then the user's amplifiers, and the one saved with the project if it is none of them.
        let place = slot_of(which) as usize;
        let yours: Vec<OutputEntry> = (self.yours.catalog.outputs.iter())
            .map(|e| e.entry.clone())
            .filter(|e| e.amp_input.is_some())
            .collect();
        let saved = params.saved.get().amps[place].clone();
        let names = with_saved(builtin, &yours, saved.as_ref(), |e| marked(&e.name()));
        let current = match chain.amp.value() {
            Listeners::SAVED if saved.is_some() => names.saved_row,
            Listeners::SAVED => 0,
            v => v as usize,
        };
        let picked = picker(ui, &id, heading.id, &field, &names.rows, current, query);
        match picked.map(|k| names.row(k)) {
            Some(Row::BuiltIn(k)) => self.set(&chain.amp, k as i32),
            Some(Row::Yours(j)) => {
                let entry = yours[j].clone();
                params.saved.update(|s| s.amps[place] = Some(entry));
                self.set(&chain.amp, Listeners::SAVED);
            }
            Some(Row::Saved) => self.set(&chain.amp, Listeners::SAVED),
            None => {}
        }
        let now = params.saved.now();
        let Some(amp) = params
            .chosen(which, &now)
            .and_then(|c| c.chain)
            .map(|c| c.amp)
        else {
            return;
        };
        let Some(gui) = &self.gui else {
            return;
        };
        let setter = gui.param_setter();
        ui.horizontal(|ui| {
            // The line output is offered where the catalog has its figures (or is chosen).
            let line_out = match params.output_choice(which) {
                Some(OutputChoice::Catalog(k)) => catalog::outputs()[k].line_out.is_some(),
                _ => false,
            };
            for jack in [JackChoice::HeadphoneOut, JackChoice::LineOut] {
                let (name, offered) = match jack {
                    JackChoice::HeadphoneOut => ("Headphone out", true),
                    JackChoice::LineOut => ("Line out", line_out),
                };
                let on = chain.jack.value() == jack;
                let radio = egui::RadioButton::new(on, format!("{letter} {name}"));
                if ui.add_enabled(offered || on, radio).clicked() {
                    gesture(&setter, &chain.jack, jack);
                }
            }
        });
        let two_gains = match amp {
            AmpChoice::Device(Device::Catalog(k)) => (catalog::outputs()[k].amp_input.as_ref())
                .is_some_and(|input| input.low_gain_db.is_some()),
            AmpChoice::Figures(own) => own.low_gain_db.is_some(),
            AmpChoice::Device(Device::Yours(entry)) => {
                (entry.amp_input.as_ref()).is_some_and(|input| input.low_gain_db.is_some())
            }
        };
        if two_gains {
            ui.horizontal(|ui| {
                for (gain, name) in [
                    (GainChoice::High, "High gain"),
                    (GainChoice::Low, "Low gain"),
                ] {
                    let radio = ui.radio(chain.gain.value() == gain, format!("{letter} {name}"));
                    if radio.clicked() {
                        gesture(&setter, &chain.gain, gain);
                    }
                }
            });
        }
        if chain.jack.value() == JackChoice::HeadphoneOut {
            ui.horizontal(|ui| {
                ui.label("Source volume");
                ui.add(nice_plug_egui::widgets::ParamSlider::for_param(
                    &chain.source_volume_db,
                    &setter,
                ));
            });
        }
        let line = match params.chain_spec(which, &now) {
            Some(Err(e)) => RichText::new(format!("Plays output {letter} alone: {e}"))
                .color(Color32::from_rgb(220, 80, 60)),
            _ => RichText::new(self.shown.as_ref().map_or_else(String::new, |c| {
                let r = c.analysis.report(slot_of(which));
                let stages = r.stages_sentence().into_iter();
                stages
                    .chain(r.notes.iter().cloned())
                    .collect::<Vec<_>>()
                    .join("\n")
            })),
        };
        ui.scope(|ui| {
            ui.set_max_width(width);
            ui.add(egui::Label::new(line).wrap());
        });
    }
}
