//! The user's own devices in the editor: their catalog's entries in the pickers beside the
//! built-in ones, a custom output or an imported curve saved as theirs, and their entries
//! updated and deleted. The catalog's file is read when the editor opens and written only when
//! the user saves, updates or deletes; what a project plays never depends on it (the slots'
//! figures and the saved entries travel in the project's state).

use super::{COLOUR_IDEAL, COLOUR_WARN, gesture, marked_name};
use crate::params::{Gestures, Heard, ImportedHeadphone, LoadlineParams, play_entry};
use egui::RichText;
use loadline_core::catalog::user::{UserCatalog, UserCatalogError, marked};
use loadline_core::catalog::{
    Basis, Figure, HeadphoneEntry, OutputEntry, OutputKind, Sensitivity, SensitivityUnit,
    curve_key_points,
};
use loadline_core::physics::headphones::HeadphoneLoad;
use loadline_core::scenario::HeadphoneChoice;
use nice_plug::prelude::ParamSetter;
use std::path::PathBuf;
use std::sync::Mutex;

/// Where a message of the user's catalog is shown: beside output A, output B or the headphone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Place {
    /// Output A's section.
    A,
    /// Output B's section.
    B,
    /// The headphone's section.
    Headphone,
}

impl Place {
    /// The place of output slot `heard`.
    fn of(heard: Heard) -> Self {
        if heard == Heard::B {
            Place::B
        } else {
            Place::A
        }
    }
}

/// What the save form asks: the name, and how the figures are known.
struct SaveForm {
    maker: String,
    model: String,
    variant: String,
    /// What the output is (outputs only).
    kind: OutputKind,
    /// What the transducer is, in words (headphones only).
    headphone_kind: String,
    basis: Basis,
    source: String,
    note: String,
}

impl Default for SaveForm {
    fn default() -> Self {
        SaveForm {
            maker: String::new(),
            model: String::new(),
            variant: String::new(),
            kind: OutputKind::AudioInterface,
            headphone_kind: "dynamic, closed".into(),
            basis: Basis::Measured,
            source: "own measurement".into(),
            note: String::new(),
        }
    }
}

impl SaveForm {
    /// A figure of `value` as the form says it is known.
    fn figure(&self, value: f64) -> Figure {
        Figure {
            value,
            basis: self.basis,
            source: self.source.trim().to_string(),
            note: self.note.trim().to_string(),
            range: None,
        }
    }

    /// The name fields, trimmed: maker, model, variant.
    fn names(&self) -> [&str; 3] {
        [self.maker.trim(), self.model.trim(), self.variant.trim()]
    }

    /// The fields every entry needs, in a grid.
    fn ui(&mut self, ui: &mut egui::Ui, id: &str, output: bool) {
        egui::Grid::new(format!("save-{id}"))
            .num_columns(2)
            .spacing([8.0, 2.0])
            .show(ui, |ui| {
                for (label, text, hint) in [
                    ("Maker", &mut self.maker, "e.g. Focusrite"),
                    ("Model", &mut self.model, "e.g. Scarlett 2i2"),
                    ("Variant", &mut self.variant, "e.g. 3rd gen, front jack (optional)"),
                ] {
                    let name = ui.label(label);
                    ui.add(egui::TextEdit::singleline(text).hint_text(hint))
                        .labelled_by(name.id);
                    ui.end_row();
                }
                ui.label("Kind");
                if output {
                    egui::ComboBox::from_id_salt(format!("save-{id}-kind"))
                        .selected_text(self.kind.describe())
                        .show_ui(ui, |ui| {
                            for kind in OutputKind::DEVICES {
                                ui.selectable_value(&mut self.kind, kind, kind.describe());
                            }
                        });
                } else {
                    ui.text_edit_singleline(&mut self.headphone_kind);
                }
                ui.end_row();
                ui.label("Figures are")
                    .on_hover_text("How you know them: measured yourself, stated by the maker, or estimated (then shown as a range)");
                ui.horizontal(|ui| {
                    for (basis, label) in [
                        (Basis::Measured, "measured"),
                        (Basis::Stated, "stated"),
                        (Basis::Estimated, "estimated"),
                    ] {
                        ui.selectable_value(&mut self.basis, basis, label);
                    }
                });
                ui.end_row();
                let name = ui.label("Source");
                ui.add(egui::TextEdit::singleline(&mut self.source).hint_text("own measurement"))
                    .labelled_by(name.id);
                ui.end_row();
                let name = ui.label("Note");
                ui.add(egui::TextEdit::singleline(&mut self.note).hint_text("how, at what settings (optional)"))
                    .labelled_by(name.id);
                ui.end_row();
            });
    }
}

/// The user's catalog as the editor has it, and its forms.
pub(super) struct Yours {
    /// The catalog (empty when there is none or it cannot be used).
    pub(super) catalog: UserCatalog,
    /// Why the user's file is not used, as "FILE:LINE: …" lines.
    pub(super) problem: Option<String>,
    /// Whether the platform has a place for it.
    writable: bool,
    /// The save forms of outputs A and B and of the headphone.
    forms: [SaveForm; 3],
    /// Which of the save forms are open.
    open: [bool; 3],
    /// The last save's, update's or delete's outcome: where, whether it worked, what it said.
    pub(super) message: Option<(Place, bool, String)>,
}

impl Yours {
    /// The catalog at `path` (`None`: the platform has no configuration directory). A file
    /// that cannot be used leaves the catalog empty and says why.
    pub(super) fn load(path: Option<PathBuf>) -> Self {
        let (catalog, problem) = match path.as_deref().map(UserCatalog::load) {
            Some(Ok(c)) => (c, None),
            Some(Err(e)) => (
                UserCatalog {
                    path: path.clone().unwrap_or_default(),
                    ..UserCatalog::default()
                },
                Some(format!("Your devices are not shown: {e}")),
            ),
            None => (UserCatalog::default(), None),
        };
        Yours {
            catalog,
            problem,
            writable: path.is_some(),
            forms: Default::default(),
            open: [false; 3],
            message: None,
        }
    }

    /// The output picker's names: `builtin` (custom, then the catalog), then the user's.
    pub(super) fn output_names(&self, builtin: &[String]) -> Vec<String> {
        let yours = self
            .catalog
            .outputs
            .iter()
            .map(|e| marked_name(marked(&e.entry.name()), &e.entry.provenance()));
        builtin.iter().cloned().chain(yours).collect()
    }

    /// The headphone picker's names: `builtin` (the catalog, then the imported curve), then
    /// the user's.
    pub(super) fn headphone_names(&self, builtin: &[String]) -> Vec<String> {
        let yours = self
            .catalog
            .headphones
            .iter()
            .map(|e| marked_name(marked(&e.entry.name()), &e.entry.provenance()));
        builtin.iter().cloned().chain(yours).collect()
    }

    /// The position among the user's outputs of the one slot `heard` plays.
    pub(super) fn output_playing(&self, params: &LoadlineParams, heard: Heard) -> Option<usize> {
        let entry = params.user_output(heard)?;
        self.catalog
            .outputs
            .iter()
            .position(|e| e.entry.name() == entry.name())
    }

    /// The position among the user's headphones of the one played.
    pub(super) fn headphone_playing(&self, params: &LoadlineParams) -> Option<usize> {
        if !matches!(params.headphone_choice(), HeadphoneChoice::Imported { .. }) {
            return None;
        }
        let entry = params.imported.get()?.entry?;
        self.catalog
            .headphones
            .iter()
            .position(|e| e.entry.name() == entry.name())
    }

    /// Plays the user's output `k` in slot `heard`: the slot becomes custom, holding its
    /// figures, and keeps the entry. Says what the slot could not hold.
    pub(super) fn pick_output(
        &mut self,
        params: &LoadlineParams,
        setter: &ParamSetter,
        heard: Heard,
        k: usize,
    ) {
        let Some(e) = self.catalog.outputs.get(k) else {
            return;
        };
        let differs = play_entry(params, &mut Gestures(setter), heard, e.entry.clone());
        self.message = (!differs.is_empty()).then(|| {
            (
                Place::of(heard),
                true,
                format!("As near as the slot goes: {}", differs.join("; ")),
            )
        });
    }

    /// Plays the user's headphone `k`.
    pub(super) fn pick_headphone(
        &mut self,
        params: &LoadlineParams,
        setter: &ParamSetter,
        k: usize,
    ) {
        if let Some(e) = self.catalog.headphones.get(k) {
            params
                .imported
                .set(Some(ImportedHeadphone::from_entry(e.entry.clone())));
            gesture(setter, &params.headphone, HeadphoneChoice::imported_param());
            self.message = None;
        }
    }

    /// The custom slot `heard`'s buttons, on its heading's line (where they move nothing):
    /// delete the user's output it plays, update the one it was set from with its figures
    /// now, or open the form that saves them as the user's.
    pub(super) fn output_actions(
        &mut self,
        ui: &mut egui::Ui,
        params: &LoadlineParams,
        heard: Heard,
    ) {
        let Some((slot, saved)) = params.slot(heard) else {
            return;
        };
        let place = Place::of(heard);
        let playing = self.output_playing(params, heard);
        let mut outcome = None;
        if let Some(k) = playing {
            let name = marked(&self.catalog.outputs[k].entry.name());
            let tip = format!("Deletes {name} from your devices; the slot keeps its figures");
            if ui.small_button("Delete").on_hover_text(tip).clicked() {
                let done = self.catalog.remove_output(k);
                if done.is_ok() {
                    *saved.lock().unwrap_or_else(|e| e.into_inner()) = None;
                }
                outcome = Some(done.map(|c| (c, format!("Deleted {name}"))));
            }
        } else if let Some((k, old)) = self.changed_output(saved) {
            let name = marked(&old.name());
            let tip = format!(
                "Saves these figures as {name}, in its place; they are known as the form under \
                 \"Save as yours…\" says"
            );
            if ui.small_button("Update").on_hover_text(tip).clicked() {
                let names = [old.maker.as_str(), &old.model, &old.variant];
                let form = &self.forms[place as usize];
                let entry =
                    OutputEntry::from_figures(names, old.kind, &slot.figures(), |v| form.figure(v));
                let done = self.catalog.replace_output(k, &entry);
                if done.is_ok() {
                    *saved.lock().unwrap_or_else(|e| e.into_inner()) = Some(entry);
                }
                outcome = Some(done.map(|c| (c, format!("Updated {name}"))));
            }
        }
        if playing.is_none() && self.writable {
            self.form_toggle(ui, place, "Saves these figures in your own catalog, to pick in any project and in the command line");
        }
        self.settle(place, outcome);
    }

    /// The user's output `saved` names, when the slot no longer holds its figures: its place
    /// in their catalog and the entry.
    fn changed_output(&self, saved: &Mutex<Option<OutputEntry>>) -> Option<(usize, OutputEntry)> {
        let old = saved.lock().unwrap_or_else(|e| e.into_inner()).clone()?;
        let k = self
            .catalog
            .outputs
            .iter()
            .position(|e| e.entry.name() == old.name())?;
        Some((k, old))
    }

    /// The button that opens and closes the save form at `place`.
    fn form_toggle(&mut self, ui: &mut egui::Ui, place: Place, tip: &str) {
        let open = &mut self.open[place as usize];
        let label = if place == Place::Headphone {
            "Save curve as yours…"
        } else {
            "Save as yours…"
        };
        if ui
            .selectable_label(*open, label)
            .on_hover_text(tip)
            .clicked()
        {
            *open = !*open;
        }
    }

    /// The custom slot `heard`'s save form, when it is open, and the outcome of the last
    /// save, update or delete there.
    pub(super) fn output_form(&mut self, ui: &mut egui::Ui, params: &LoadlineParams, heard: Heard) {
        let Some((slot, saved)) = params.slot(heard) else {
            return;
        };
        let place = Place::of(heard);
        let mut outcome = None;
        if self.open[place as usize] && self.output_playing(params, heard).is_none() {
            let form = &mut self.forms[place as usize];
            form.ui(ui, &format!("output-{place:?}"), true);
            if ui.button("Save to your devices").clicked() {
                let entry =
                    OutputEntry::from_figures(form.names(), form.kind, &slot.figures(), |v| {
                        form.figure(v)
                    });
                let name = marked(&entry.name());
                let done = self.catalog.add_output(&entry);
                if done.is_ok() {
                    *saved.lock().unwrap_or_else(|e| e.into_inner()) = Some(entry);
                    self.open[place as usize] = false;
                }
                outcome = Some(done.map(|c| (c, format!("Saved as {name}"))));
            }
        }
        self.settle(place, outcome);
        self.show_message(ui, place);
    }

    /// The headphone's buttons, on its heading's line: delete the user's headphone played, or
    /// open the form that saves the imported curve as the user's.
    pub(super) fn headphone_actions(&mut self, ui: &mut egui::Ui, params: &LoadlineParams) {
        let mut outcome = None;
        if let Some(k) = self.headphone_playing(params) {
            let name = marked(&self.catalog.headphones[k].entry.name());
            let tip = format!("Deletes {name} from your devices; this project keeps it");
            if ui.small_button("Delete").on_hover_text(tip).clicked() {
                let done = self.catalog.remove_headphone(k);
                outcome = Some(done.map(|c| (c, format!("Deleted {name}"))));
            }
        } else if self.curve_to_save(params).is_some() && self.writable {
            self.form_toggle(
                ui,
                Place::Headphone,
                "Saves the imported curve's key points and sensitivity in your own catalog",
            );
        }
        self.settle(Place::Headphone, outcome);
    }

    /// The imported curve played, when it is one the user could save (not one of theirs).
    fn curve_to_save(&self, params: &LoadlineParams) -> Option<ImportedHeadphone> {
        let imported = matches!(params.headphone_choice(), HeadphoneChoice::Imported { .. });
        params
            .imported
            .get()
            .filter(|i| imported && i.entry.is_none())
    }

    /// The headphone's save form, when it is open, and the last outcome there.
    pub(super) fn headphone_form(&mut self, ui: &mut egui::Ui, params: &LoadlineParams) {
        let mut outcome = None;
        if self.open[Place::Headphone as usize]
            && let Some(imported) = self.curve_to_save(params)
        {
            let form = &mut self.forms[Place::Headphone as usize];
            form.ui(ui, "headphone", false);
            if ui.button("Save to your devices").clicked() {
                outcome = Some(headphone_entry(&imported, form).and_then(|entry| {
                    let name = marked(&entry.name());
                    self.catalog.add_headphone(&entry).map(|c| {
                        (
                            c,
                            format!("Saved as {name} (its key points: pick it in the list)"),
                        )
                    })
                }));
                if matches!(outcome, Some(Ok(_))) {
                    self.open[Place::Headphone as usize] = false;
                }
            }
        }
        self.settle(Place::Headphone, outcome);
        self.show_message(ui, Place::Headphone);
    }

    /// Takes the new catalog a save, update or delete wrote, or says why it did not.
    fn settle(
        &mut self,
        place: Place,
        outcome: Option<Result<(UserCatalog, String), UserCatalogError>>,
    ) {
        match outcome {
            Some(Ok((catalog, said))) => {
                self.message = Some((place, true, format!("{said} in {}", catalog.path.display())));
                self.catalog = catalog;
                self.problem = None;
            }
            Some(Err(e)) => self.message = Some((place, false, format!("Not saved: {e}"))),
            None => {}
        }
    }

    /// Adds `entry` (an output the user measured) to their catalog: what it says, and
    /// whether it worked.
    pub(super) fn save_measured(&mut self, entry: &OutputEntry) -> (bool, String) {
        let name = marked(&entry.name());
        match self.catalog.add_output(entry) {
            Ok(catalog) => {
                let said = format!("Saved as {name} in {}", catalog.path.display());
                self.catalog = catalog;
                self.problem = None;
                (true, said)
            }
            Err(e) => (false, format!("Not saved: {e}")),
        }
    }

    fn show_message(&self, ui: &mut egui::Ui, place: Place) {
        if let Some((at, ok, text)) = &self.message
            && *at == place
        {
            ui.label(RichText::new(text).color(if *ok { COLOUR_IDEAL } else { COLOUR_WARN }));
        }
    }
}

/// The user's headphone entry of an imported curve: its key points, its sensitivity (per volt,
/// as imported) and its |Z| at 1 kHz as the nominal impedance, all known as the form says.
fn headphone_entry(
    imported: &ImportedHeadphone,
    form: &SaveForm,
) -> Result<HeadphoneEntry, UserCatalogError> {
    let invalid = |message: String| UserCatalogError::Invalid {
        path: PathBuf::new(),
        problems: vec![loadline_core::catalog::user::Problem { line: 0, message }],
    };
    let model = imported.model().map_err(invalid)?;
    let HeadphoneLoad::Measured(curve) = &model.load else {
        return Err(invalid("only a measured curve is saved this way".into()));
    };
    let key = curve_key_points(curve).map_err(invalid)?;
    let [maker, model_name, variant] = form.names();
    Ok(HeadphoneEntry {
        index: 0,
        maker: maker.into(),
        model: model_name.into(),
        variant: variant.into(),
        kind: form.headphone_kind.trim().into(),
        nominal_ohm: form.figure(key.z_1k_ohm),
        sensitivity: Sensitivity {
            value: imported.sens_db_spl_per_v,
            unit: SensitivityUnit::PerVolt,
            basis: form.basis,
            source: form.source.trim().into(),
            note: form.note.trim().into(),
        },
        curve: format!("own measurement: {}", imported.name),
        points: key.key_points(|v| form.figure(v)),
    })
}
