//! The central panel: the headphone's impedance (and, when asked, its phase), and the tonal
//! deviation outputs A and B cause. The plots share a log-frequency axis of their own, which
//! no other panel needs.

use super::{COLOUR_A, COLOUR_B, EditorApp};
use crate::params::Heard;
use crate::view;
use egui::{Color32, RichText};
use egui_plot::{GridInput, GridMark, HoverPosition, Legend, Line, Plot};
use loadline_core::analysis::Slot;

impl EditorApp {
    /// The impedance plot of the headphone analysed, then the deviation A and B cause, the
    /// one heard drawn bold.
    pub(super) fn plots(&mut self, ui: &mut egui::Ui) {
        let Some(c) = &self.shown else {
            return;
        };
        let heard = self.params.heard.value();
        let h = (ui.available_height() - 30.0).max(200.0);
        ui.horizontal(|ui| {
            ui.checkbox(&mut self.show_phase, "phase");
            ui.label(RichText::new(format!("{}: impedance", c.headphone().name)).strong());
        });
        let z = Line::new("|Z| (Ω)", c.curves.z_mag_ohm.clone())
            .color(Color32::LIGHT_GRAY)
            .width(2.0);
        let z_plot = log_freq_plot("impedance", "Ω").height(h * 0.42);
        if self.show_phase {
            ui.columns(2, |cols| {
                z_plot
                    .width(cols[0].available_width())
                    .show(&mut cols[0], |p| p.line(z));
                log_freq_plot("phase", "°")
                    .height(h * 0.42)
                    .include_y(-90.0)
                    .include_y(90.0)
                    .show(&mut cols[1], |p| {
                        p.line(
                            Line::new("phase (°)", c.curves.z_phase_deg.clone())
                                .color(Color32::GRAY)
                                .width(2.0),
                        )
                    });
            });
        } else {
            z_plot.include_y(0.0).show(ui, |p| p.line(z));
        }
        ui.label(RichText::new("Tonal deviation A and B cause (dB, relative to 1 kHz)").strong());
        let width = |slot| if heard == slot { 3.5 } else { 1.5 };
        let a = Line::new(
            c.analysis.report(Slot::A).output.clone(),
            c.curves.deviation_a_db.clone(),
        )
        .color(COLOUR_A)
        .width(width(Heard::A))
        .highlight(heard == Heard::A);
        let b = Line::new(
            c.analysis.report(Slot::B).output.clone(),
            c.curves.deviation_b_db.clone(),
        )
        .color(COLOUR_B)
        .width(width(Heard::B))
        .highlight(heard == Heard::B);
        log_freq_plot("deviation", "dB")
            .height(h * 0.48)
            .include_y(-1.0)
            .include_y(1.0)
            .legend(Legend::default())
            .show(ui, |p| {
                p.line(a);
                p.line(b);
            });
    }
}

/// Grid marks at 1–9 × each decade, for x = log10(f).
fn log_freq_marks(input: GridInput) -> Vec<GridMark> {
    let (lo, hi) = input.bounds;
    let mut marks = Vec::new();
    for decade in (lo.floor() as i32 - 1)..=(hi.ceil() as i32) {
        for k in 1..10 {
            let value = decade as f64 + (k as f64).log10();
            if (lo..=hi).contains(&value) {
                marks.push(GridMark {
                    value,
                    step_size: if k == 1 { 1.0 } else { 0.1 },
                });
            }
        }
    }
    marks
}

/// A plot over log frequency, 20 Hz–20 kHz, with hover read-outs in `unit`.
fn log_freq_plot<'a>(id: &'a str, unit: &'a str) -> Plot<'a> {
    Plot::new(id)
        .x_grid_spacer(log_freq_marks)
        .x_axis_formatter(|mark, _| {
            let k = 10f64.powf(mark.value - mark.value.floor()).round() as i32;
            if matches!(k, 1 | 2 | 5) {
                view::freq_label(mark.value)
            } else {
                String::new()
            }
        })
        .default_x_bounds(20f64.log10(), 20_000f64.log10())
        .allow_scroll(false)
        .allow_zoom(false)
        .allow_drag(false)
        .label_formatter(|pos| match pos {
            HoverPosition::NearDataPoint {
                plot_name,
                position,
                ..
            } => Some(view::hover_text(plot_name, position.x, position.y, unit)),
            HoverPosition::Elsewhere { position } => Some(view::freq_label(position.x)),
        })
}
