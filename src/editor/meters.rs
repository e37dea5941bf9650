//! The live meters along the bottom: the voltage and current the output is asked for against
//! its limits, and the headroom, SPL, noise floor and volume. It is the one panel fed by the
//! audio thread (through `Meters`' atomics), so it is kept apart from the panels that only
//! show the analysis.

use super::{COLOUR_MAYBE, COLOUR_WARN, EditorApp};
use crate::view::{self, MeterScale, tips};
use egui::{Color32, RichText};
use loadline_core::units::db_to_gain;
use std::time::Instant;

impl EditorApp {
    /// Takes this frame's meter readings (unless the settings just changed), then draws the
    /// meters of what is heard.
    pub(super) fn meters_panel(&mut self, ui: &mut egui::Ui) {
        let now = Instant::now();
        let dt = self
            .last_frame
            .map_or(0.0, |t| now.duration_since(t).as_secs_f64());
        self.last_frame = Some(now);
        let reading = self.meters.take();
        if self.meter_settle_until.is_none_or(|t| now >= t) {
            self.meter.update(&reading, dt);
        }
        let Some(c) = &self.shown else {
            return;
        };
        let p = &self.params;
        let heard = p.heard.value();
        let (stage, report) = c.heard(heard);
        let volume_db = p.level().volume_db(Some(report.volume_db));
        let scale = MeterScale::new(
            stage,
            db_to_gain(volume_db),
            c.headphone().sens_db_spl_per_v,
        );
        let d = self.meter.display(&scale);
        let bar = |ui: &mut egui::Ui, label: &str, tip: &str, (frac, text): &(f64, String)| {
            ui.label(RichText::new(label).strong()).on_hover_text(tip);
            let colour = if *frac >= 1.0 {
                COLOUR_WARN
            } else if *frac > 0.7 {
                COLOUR_MAYBE
            } else {
                Color32::from_rgb(60, 140, 80)
            };
            ui.add(
                egui::ProgressBar::new(frac.clamp(0.0, 1.0) as f32)
                    .text(RichText::new(text).color(Color32::WHITE))
                    .fill(colour)
                    .desired_width(330.0),
            );
        };
        ui.add_space(4.0);
        ui.horizontal(|ui| {
            bar(
                ui,
                "Voltage",
                "The EMF the output is asked for, against the rails or full scale",
                &d.voltage,
            );
            ui.add_space(16.0);
            bar(
                ui,
                "Current",
                "The current the headphone draws, against the output's limit",
                &d.current,
            );
        });
        ui.horizontal(|ui| {
            let noise = view::noise_floor_text(report);
            for (label, tip, value) in [
                ("Headroom", tips::HEADROOM, d.headroom.1.as_str()),
                ("SPL", tips::DB_SPL, d.spl.as_str()),
                ("Noise floor", tips::NOISE_FLOOR, noise.as_str()),
            ] {
                ui.label(RichText::new(label).strong()).on_hover_text(tip);
                ui.label(value);
                ui.add_space(14.0);
            }
            ui.label(RichText::new("Volume").strong());
            ui.label(format!("{volume_db:.1} dB"));
        });
        ui.add_space(2.0);
    }
}
