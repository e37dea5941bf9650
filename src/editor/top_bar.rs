//! The bar across the top of the editor: the A / B / Ideal switch, level matching, the clip
//! light and the verdict of what is heard. It has a fixed height of its own
//! (`TOP_BAR_HEIGHT`), so it is kept apart from the column below, whose layout it must not
//! move.

use super::{COLOUR_A, COLOUR_B, COLOUR_IDEAL, COLOUR_MAYBE, COLOUR_WARN, EditorApp};
use crate::params::Heard;
use crate::view::tips;
use egui::{Color32, RichText};
use loadline_core::report::Standing;

impl EditorApp {
    /// The switch of what is heard, level matching and the clip light on one line, then the
    /// verdict of what is heard on at most two.
    pub(super) fn top_bar(&mut self, ui: &mut egui::Ui) {
        let heard = self.params.heard.value();
        ui.horizontal(|ui| {
            ui.heading(RichText::new("Loadline").strong());
            ui.add_space(16.0);
            for (choice, label, colour) in [
                (Heard::A, "A", COLOUR_A),
                (Heard::B, "B", COLOUR_B),
                (Heard::Ideal, "Ideal", COLOUR_IDEAL),
            ] {
                let on = heard == choice;
                let text = RichText::new(format!("  {label}  ")).size(24.0).strong();
                let text = if on {
                    text.color(Color32::BLACK)
                } else {
                    text.color(colour)
                };
                let button = egui::Button::new(text).fill(if on {
                    colour
                } else {
                    ui.visuals().widgets.inactive.bg_fill
                });
                if ui
                    .add(button)
                    .on_hover_text("Which output you hear: A, B, or the ideal reference (0 Ω, unlimited, silent)")
                    .clicked()
                {
                    self.set(&self.params.heard, choice);
                }
            }
            ui.add_space(12.0);
            let mut matched = self.params.level_match.value();
            if ui
                .checkbox(&mut matched, RichText::new("Level match").size(16.0))
                .on_hover_text(tips::LEVEL_MATCH)
                .changed()
            {
                self.set(&self.params.level_match, matched);
            }
            ui.add_space(12.0);
            let clip = self.meter.clip_held;
            let light = egui::Button::new(RichText::new(" CLIP ").strong().color(if clip {
                Color32::WHITE
            } else {
                Color32::GRAY
            }))
            .fill(if clip {
                COLOUR_WARN
            } else {
                ui.visuals().widgets.inactive.bg_fill
            });
            if ui
                .add(light)
                .on_hover_text("Lights when a limit acted (rails, current, full scale) and holds; click to reset")
                .clicked()
            {
                self.meter.clip_held = false;
            }
            ui.add_space(12.0);
            self.setup_menu(ui);
            if let Some((ok, message)) = &self.setups.message {
                let colour = if *ok { COLOUR_MAYBE } else { COLOUR_WARN };
                ui.add(egui::Label::new(RichText::new("!").strong().color(colour)))
                    .on_hover_text(message);
            }
        });
        if let Some(c) = &self.shown {
            let (_, report) = c.heard(heard);
            // Amber when the answer is open: enough at the estimates but short somewhere across
            // their ranges, or a level not modelled. An estimate is never shown as a green fact.
            let colour = match report.standing() {
                Standing::Short => COLOUR_WARN,
                Standing::MayFallShort | Standing::NotKnown => COLOUR_MAYBE,
                Standing::Enough => COLOUR_IDEAL,
            };
            // Two lines at most (the bar's height); a longer verdict ends in "…" and reads in
            // full on hover.
            let mut job = egui::text::LayoutJob::simple(
                report.verdict.clone(),
                egui::FontId::proportional(15.0),
                colour,
                ui.available_width(),
            );
            job.wrap.max_rows = 2;
            job.wrap.overflow_character = Some('…');
            ui.add(egui::Label::new(job)).on_hover_text(&report.verdict);
        }
    }
}
