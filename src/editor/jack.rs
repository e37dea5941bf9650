//! The others' headphones: on the jack of the one heard or on outputs of their own, each
//! listener's picker and volume, and a sentence per listener on what they get. It is the only
//! section whose title and intro change with a parameter, and the tests read its sentences
//! through `listener_line`.

use super::pickers::{Row, picker, search_field, with_saved};
use super::{COLOUR_WARN, EditorApp, slot_of, wrapped_section};
use crate::params::{ImportedHeadphone, NOBODY, OthersOnChoice};
use crate::view::tips;
use egui::RichText;
use loadline_core::catalog;
use loadline_core::scenario::Listeners;

impl EditorApp {
    /// The other listeners' headphones: on the jack of the one heard, or on outputs of their
    /// own (a distribution amplifier's, each at its own volume), and what each listener gets.
    pub(super) fn jack_section(&mut self, ui: &mut egui::Ui) {
        let own = self.params.others_on.value() == OthersOnChoice::OwnOutputs;
        let (title, intro) = if own {
            (
                "On the other outputs",
                (
                    "Headphones on outputs of their own (a distribution amplifier): they share its supply",
                    tips::OWN_OUTPUTS,
                ),
            )
        } else {
            (
                "Also on this jack",
                (
                    "Headphones sharing the output (a splitter, two jacks on one driver)",
                    tips::JACK,
                ),
            )
        };
        wrapped_section(ui, title, "jack", intro, |ui, width| {
            let builtin: Vec<String> = std::iter::once(NOBODY.to_string())
                .chain(
                    self.headphone_names
                        .iter()
                        .take(catalog::headphones().len())
                        .cloned(),
                )
                .collect();
            let params = self.params.clone();
            // Then the user's headphones and the imported curve, each saved with the project
            // for the place it is picked in.
            let yours: Vec<ImportedHeadphone> = (self.yours.catalog.headphones.iter())
                .map(|h| ImportedHeadphone::from_entry(h.entry.clone()))
                .chain(params.imported.get())
                .collect();
            let saved = params.saved.get().others;
            let volumes = params.others_volumes();
            for (i, param) in params.others_on_jack().into_iter().enumerate() {
                let query = &mut self.search[3 + i];
                let id = format!("jack{}", i + 1);
                let (heading, field) = ui
                    .horizontal(|ui| {
                        let heading = ui.label(format!("Listener {}", i + 2));
                        (heading, search_field(ui, &id, query))
                    })
                    .inner;
                let names = with_saved(builtin.clone(), &yours, saved[i].as_ref(), |h| {
                    h.name.clone()
                });
                let current = match param.value() {
                    Listeners::SAVED if saved[i].is_some() => names.saved_row,
                    Listeners::SAVED => 0,
                    v => v as usize,
                };
                let picked = picker(ui, &id, heading.id, &field, &names.rows, current, query);
                match picked.map(|k| names.row(k)) {
                    Some(Row::BuiltIn(k)) => self.set(param, k as i32),
                    Some(Row::Yours(j)) => {
                        let headphone = yours[j].clone();
                        params.saved.update(|s| s.others[i] = Some(headphone));
                        self.set(param, Listeners::SAVED);
                    }
                    Some(Row::Saved) => self.set(param, Listeners::SAVED),
                    None => {}
                }
                if let (true, Some(gui)) = (own && current > 0, &self.gui) {
                    ui.horizontal(|ui| {
                        ui.label(format!("Listener {} volume, against yours", i + 2));
                        let setter = gui.param_setter();
                        ui.add(nice_plug_egui::widgets::ParamSlider::for_param(
                            volumes[i], &setter,
                        ));
                    });
                }
            }
            ui.horizontal(|ui| {
                for (choice, name) in [
                    (OthersOnChoice::SameJack, "On the same jack"),
                    (OthersOnChoice::OwnOutputs, "On their own outputs"),
                ] {
                    let radio = ui.radio(params.others_on.value() == choice, name);
                    if radio.clicked() {
                        self.set(&params.others_on, choice);
                    }
                }
            });
            let heard = slot_of(self.params.heard.value());
            if let Some(jack) = self
                .shown
                .as_ref()
                .and_then(|c| c.analysis.jack[heard as usize].as_ref())
            {
                // Wrapped: each line is a sentence about one listener.
                ui.scope(|ui| {
                    ui.set_max_width(width);
                    for (label, sentence) in jack.sentences() {
                        ui.add(egui::Label::new(listener_line(label, &sentence)).wrap());
                    }
                });
            }
            // Who has no output of their own (a device with fewer outputs than listeners).
            let left_out = self.shown.as_ref().and_then(|c| {
                let outputs = &c.analysis.outputs;
                outputs[heard as usize].left_out.clone()
            });
            if let Some(note) = left_out {
                ui.scope(|ui| {
                    ui.set_max_width(width);
                    ui.add(egui::Label::new(RichText::new(note).color(COLOUR_WARN)).wrap());
                });
            }
        });
    }
}

/// A listener's sentence after its label, as the section shows it ("heard", then what the
/// heard pair gets).
pub(super) fn listener_line(label: &str, sentence: &str) -> String {
    format!("{label:<13} {sentence}")
}
