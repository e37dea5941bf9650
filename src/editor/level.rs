//! The level section: whether a target SPL or the volume sets the level, the output's limits
//! and noise, the test signal and the mode; with the volume set by hand, what it gives. These
//! hold for A, B and the ideal alike, so they have a section of their own rather than a place in
//! an output's.

use super::{COLOUR_IDEAL, COLOUR_WARN, EditorApp, gesture, slot_of};
use crate::params::LevelMode;
use crate::view::{self, tips};
use egui::RichText;

impl EditorApp {
    /// The level's heading and grid, then, with the volume set by hand, the SPL and headroom
    /// it gives.
    pub(super) fn level_section(&mut self, ui: &mut egui::Ui) {
        let Some(gui) = &self.gui else {
            return;
        };
        let setter = gui.param_setter();
        let p = &self.params;
        ui.label(RichText::new("Level").strong().size(16.0));
        egui::Grid::new("level")
            .num_columns(2)
            .spacing([8.0, 2.0])
            .show(ui, |ui| {
                ui.label("Set by");
                ui.horizontal(|ui| {
                    for (mode, label) in [(LevelMode::Volume, "Volume"), (LevelMode::TargetSpl, "Target SPL")] {
                        if ui.selectable_label(p.level_mode.value() == mode, label).clicked() {
                            gesture(&setter, &p.level_mode, mode);
                        }
                    }
                });
                ui.end_row();
                ui.label("Target SPL").on_hover_text(tips::DB_SPL);
                ui.add(nice_plug_egui::widgets::ParamSlider::for_param(&p.target_spl_db, &setter));
                ui.end_row();
                ui.label("Volume");
                ui.add(nice_plug_egui::widgets::ParamSlider::for_param(&p.volume_db, &setter));
                ui.end_row();
                for (param, label, tip) in [
                    (&p.limits_on, "Output limits", "Clip where the output's rails, current limit and full scale say (oversampled, so it does not alias)"),
                    (&p.noise_on, "Output noise", tips::NOISE_FLOOR),
                ] {
                    let name = ui.label(label).on_hover_text(tip);
                    let mut on = param.value();
                    if ui.checkbox(&mut on, "").labelled_by(name.id).changed() {
                        gesture(&setter, param, on);
                    }
                    ui.end_row();
                }
                ui.label("Test signal").on_hover_text("Pink noise at −18 dBFS RMS, the level the target SPL refers to, instead of the input");
                let mut pink = p.test_signal.value() == crate::params::TestSignal::PinkNoise;
                if ui.checkbox(&mut pink, "pink noise").changed() {
                    let v = if pink {
                        crate::params::TestSignal::PinkNoise
                    } else {
                        crate::params::TestSignal::Off
                    };
                    gesture(&setter, &p.test_signal, v);
                }
                ui.end_row();
                ui.label("Mode");
                ui.add(nice_plug_egui::widgets::ParamSlider::for_param(&p.mode, &setter));
                ui.end_row();
            });
        // With the volume set by hand, what it gives (the verdict above is for the target).
        if p.level_mode.value() == LevelMode::Volume
            && let Some(f) = self
                .shown
                .as_ref()
                .and_then(|c| c.analysis.figures_at_volume(slot_of(p.heard.value())))
        {
            let (text, clips) = view::volume_text(f.reference_spl_db, f.headroom_db);
            let colour = if clips { COLOUR_WARN } else { COLOUR_IDEAL };
            ui.label(RichText::new(text).color(colour))
                .on_hover_text(tips::HEADROOM);
        }
    }
}
