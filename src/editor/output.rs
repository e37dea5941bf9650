//! An output slot's section, A or B: its picker (the catalog, custom, then the user's), its
//! figures on two lines of fixed height, and a custom output's figures and save form. Both
//! slots are drawn by the same code, so it sits apart from the column that places them.

use super::pickers::{picker, search_field};
use super::{COLOUR_A, COLOUR_B, EditorApp, gesture};
use crate::params::{Heard, SlotParams};
use crate::view::{self, tips};
use egui::RichText;
use loadline_core::analysis::Slot;
use loadline_core::figures::OUTPUT_FIGURES;
use loadline_core::scenario::OutputChoice;

impl EditorApp {
    /// Output `which`'s section: its heading (with the user's buttons on a custom output's),
    /// its picker and figures, then a custom output's figures and save form.
    pub(super) fn output_section(&mut self, ui: &mut egui::Ui, which: Heard) {
        let (param, slot, letter, colour, search) = match which {
            Heard::B => (&self.params.output_b, &self.params.slot_b, "B", COLOUR_B, 2),
            _ => (&self.params.output_a, &self.params.slot_a, "A", COLOUR_A, 1),
        };
        let custom = OutputChoice::from_param(param.value()) == OutputChoice::Custom;
        let (heading, field) = ui
            .horizontal(|ui| {
                let heading = ui.label(
                    RichText::new(format!("Output {letter}"))
                        .strong()
                        .size(16.0)
                        .color(colour),
                );
                if custom {
                    self.yours.output_actions(ui, &self.params, which);
                }
                (heading, search_field(ui, letter, &mut self.search[search]))
            })
            .inner;
        let builtin = self.output_names.len();
        let current = self
            .yours
            .output_playing(&self.params, which)
            .map_or(param.value() as usize, |k| builtin + k);
        let names = self.yours.output_names(&self.output_names);
        let mut search_text = std::mem::take(&mut self.search[search]);
        let picked = picker(
            ui,
            letter,
            heading.id,
            &field,
            &names,
            current,
            &mut search_text,
        );
        self.search[search] = search_text;
        match picked {
            Some(k) if k >= builtin => {
                if let Some(gui) = &self.gui {
                    let setter = gui.param_setter();
                    self.yours
                        .pick_output(&self.params, &setter, which, k - builtin);
                }
            }
            Some(k) => {
                // A built-in choice (or Custom) forgets the user's output the slot was set from.
                if let Some((_, saved)) = self.params.slot(which) {
                    *saved.lock().unwrap_or_else(|e| e.into_inner()) = None;
                }
                self.set(param, k as i32);
            }
            None => {}
        }
        if let Some(c) = &self.shown {
            let (r, sources) = if which == Heard::B {
                (c.analysis.report(Slot::B), &c.analysis.sources[1])
            } else {
                (c.analysis.report(Slot::A), &c.analysis.sources[0])
            };
            // Two lines of fixed height, whatever the figures: the layout below must not move.
            ui.horizontal(|ui| {
                ui.label(view::impedance_text(r))
                    .on_hover_text(format!("{}\n\n{sources}", tips::OUTPUT_IMPEDANCE));
                ui.label("·");
                let damping = if r.damping_factor.is_finite() {
                    format!("damping factor {:.1}", r.damping_factor)
                } else {
                    "damping factor unbounded (0 Ω)".to_string()
                };
                ui.label(damping).on_hover_text(tips::DAMPING_FACTOR);
                ui.label("·");
                ui.label(format!(
                    "1/8 rule {}",
                    if r.eighth_rule_passes {
                        "met"
                    } else {
                        "broken"
                    }
                ))
                .on_hover_text(tips::EIGHTH_RULE);
            });
            ui.add(egui::Label::new(view::peaks_text(r)).truncate())
                .on_hover_text(format!("{}\n\n{sources}", tips::DB_SPL));
        }
        if custom {
            self.custom_figures(ui, slot, letter);
            self.yours.output_form(ui, &self.params, which);
        }
    }

    /// The figures of custom slot `slot` (`letter`), one row each in a grid of sliders.
    fn custom_figures(&self, ui: &mut egui::Ui, slot: &SlotParams, letter: &str) {
        let Some(gui) = &self.gui else {
            return;
        };
        let setter = gui.param_setter();
        egui::Grid::new(format!("custom-{letter}"))
            .num_columns(2)
            .spacing([8.0, 2.0])
            .show(ui, |ui| {
                // One row per figure, in the order and with the words the core declares.
                for d in &OUTPUT_FIGURES {
                    let Some(param) = slot.param(d.key) else {
                        continue;
                    };
                    let label = d.param.trim_end_matches(" value");
                    let label = format!("{}{}", label[..1].to_uppercase(), &label[1..]);
                    ui.label(label).on_hover_text(d.tip);
                    if d.key == "coupling_cap_uf" {
                        ui.horizontal(|ui| {
                            let mut on = slot.cap_on.value();
                            let check = ui.checkbox(&mut on, "").on_hover_text("In the circuit");
                            check.widget_info(|| {
                                egui::WidgetInfo::selected(
                                    egui::Role::CheckBox,
                                    true,
                                    on,
                                    "Coupling capacitor",
                                )
                            });
                            if check.changed() {
                                gesture(&setter, &slot.cap_on, on);
                            }
                            ui.add(nice_plug_egui::widgets::ParamSlider::for_param(
                                param, &setter,
                            ));
                        });
                    } else {
                        ui.add(nice_plug_egui::widgets::ParamSlider::for_param(
                            param, &setter,
                        ));
                    }
                    ui.end_row();
                }
            });
    }
}
