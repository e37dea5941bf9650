//! The left column: the headphone's picker and its line, then the sections below it in their
//! order; and the searchable picker every section uses (its search field on the heading's line,
//! the choice below it). The column decides what sits where; each section draws itself in a
//! file of its own.

use super::{COLOUR_WARN, EditorApp};
use crate::params::{Heard, SAVED_DEVICE};
use crate::view;
use egui::RichText;
use loadline_core::physics::Impedance;
use loadline_core::units::fmt_sig;

impl EditorApp {
    /// The whole left column, top to bottom: the headphone, the import, outputs A and B, the
    /// level, the others on the jack and the chain.
    pub(super) fn pickers(&mut self, ui: &mut egui::Ui) {
        if let Some(problem) = &self.yours.problem {
            ui.add(egui::Label::new(RichText::new(problem).color(COLOUR_WARN)).truncate())
                .on_hover_text(problem);
        }
        let (heading, field) = ui
            .horizontal(|ui| {
                let heading = ui.label(RichText::new("Headphone").strong().size(16.0));
                self.yours.headphone_actions(ui, &self.params);
                (heading, search_field(ui, "hp", &mut self.search[0]))
            })
            .inner;
        let builtin = self.headphone_names.len();
        let current = self
            .yours
            .headphone_playing(&self.params)
            .map_or(self.params.headphone.value() as usize, |k| builtin + k);
        let names = self.yours.headphone_names(&self.headphone_names);
        match picker(
            ui,
            "hp",
            heading.id,
            &field,
            &names,
            current,
            &mut self.search[0],
        ) {
            Some(k) if k >= builtin => {
                if let Some(gui) = &self.gui {
                    let setter = gui.param_setter();
                    self.yours
                        .pick_headphone(&self.params, &setter, k - builtin);
                }
            }
            Some(k) => self.set(&self.params.headphone, k as i32),
            None => {}
        }
        if let Some(c) = &self.shown {
            // One line, cut short if need be: the layout below must not move.
            ui.add(
                egui::Label::new(format!(
                    "{}; {:.1} dB SPL/V; |Z| {} Ω at 1 kHz",
                    c.headphone().kind,
                    c.headphone().sens_db_spl_per_v,
                    fmt_sig(c.headphone().load.z_ohm(1000.0).norm())
                ))
                .truncate(),
            )
            .on_hover_text(&c.analysis.sources[2]);
        }
        self.import_section(ui);
        self.yours.headphone_form(ui, &self.params);
        ui.separator();
        self.output_section(ui, Heard::A);
        ui.separator();
        self.output_section(ui, Heard::B);
        ui.separator();
        self.level_section(ui);
        ui.separator();
        self.jack_section(ui);
        ui.separator();
        self.chain_section(ui);
        ui.separator();
        self.measure_section(ui);
    }
}

/// Width of a picker's search field, logical pixels.
const SEARCH_WIDTH: f32 = 110.0;

/// A picker's search field, at the visible end of its heading's line (`ui`, a horizontal one):
/// on the heading's line, it leaves the choice below the column's whole width.
pub(super) fn search_field(ui: &mut egui::Ui, id: &str, query: &mut String) -> egui::Response {
    // The visible edge, not the laid-out one: the column may be laid out wider than it shows.
    let start = ui.clip_rect().right() - 8.0 - SEARCH_WIDTH;
    ui.add_space((start - ui.cursor().left()).max(0.0));
    ui.add(
        egui::TextEdit::singleline(query)
            .id_salt(format!("{id}-search"))
            .hint_text("type to search")
            .desired_width(SEARCH_WIDTH),
    )
}

/// A searchable picker: the current choice as a drop-down of every name matching the text of
/// `search` (the field `search_field` drew for `query`); Enter there picks the only match. The
/// choice is shown whole, its name and marks wrapped at the column's visible edge. Returns the
/// index picked this frame.
pub(super) fn picker(
    ui: &mut egui::Ui,
    id: &str,
    label: egui::Id,
    search: &egui::Response,
    names: &[String],
    current: usize,
    query: &mut String,
) -> Option<usize> {
    let mut picked = None;
    let hits = view::matching(names, query);
    if search.lost_focus()
        && ui.input(|i| i.key_pressed(egui::Key::Enter))
        && let [k] = hits.as_slice()
    {
        picked = Some(*k);
    }
    ui.scope(|ui| {
        // Wrapped where the column ends on screen: cut there, a long name would hide its marks.
        ui.set_max_width(ui.clip_rect().right() - ui.cursor().left() - 8.0);
        let combo = egui::ComboBox::from_id_salt(format!("{id}-pick"))
            .width(ui.available_width())
            .selected_text(names.get(current).cloned().unwrap_or_default())
            .wrap()
            .height(360.0)
            .show_ui(ui, |ui| {
                for &k in &hits {
                    if ui.selectable_label(k == current, &names[k]).clicked() {
                        picked = Some(k);
                    }
                }
            });
        // A screen reader (and the editor's tests) name the picker by the heading above it.
        combo.response.labelled_by(label);
    });
    if picked.is_some() {
        query.clear();
    }
    picked
}

/// A picker's rows: the built-in choices (whose row is their parameter's value), then the
/// user's devices, then the one saved with the project where it is none of them.
pub(super) struct SavedRows {
    /// The names shown.
    pub(super) rows: Vec<String>,
    /// How many are built in.
    builtin: usize,
    /// How many are the user's.
    yours: usize,
    /// The row of the saved device (the user's it is, or the row of its own).
    pub(super) saved_row: usize,
}

/// What a row of [`SavedRows`] stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Row {
    /// A built-in choice: the parameter's value.
    BuiltIn(usize),
    /// The user's device at this position.
    Yours(usize),
    /// The device saved with the project.
    Saved,
}

impl SavedRows {
    /// What row `k` stands for.
    pub(super) fn row(&self, k: usize) -> Row {
        if k < self.builtin {
            Row::BuiltIn(k)
        } else if k < self.builtin + self.yours {
            Row::Yours(k - self.builtin)
        } else {
            Row::Saved
        }
    }
}

/// The rows of a picker offering `builtin`, then the user's devices `yours` (named by
/// `name`, as shown), then `saved` (the device saved with the project) when it is none of them,
/// marked so.
pub(super) fn with_saved<T>(
    builtin: Vec<String>,
    yours: &[T],
    saved: Option<&T>,
    name: impl Fn(&T) -> String,
) -> SavedRows {
    let n = builtin.len();
    let mut rows = builtin;
    rows.extend(yours.iter().map(&name));
    let saved_at = saved.and_then(|s| yours.iter().position(|e| name(e) == name(s)));
    if let (Some(s), None) = (saved, saved_at) {
        rows.push(format!("{} ({})", name(s), SAVED_DEVICE.to_lowercase()));
    }
    SavedRows {
        rows,
        builtin: n,
        yours: yours.len(),
        saved_row: n + saved_at.unwrap_or(yours.len()),
    }
}
