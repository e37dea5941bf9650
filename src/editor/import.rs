//! The import of a measured impedance curve: the file's path and the sensitivity, the file
//! read on a thread of its own (a large or slow file must not hold up the GUI), and the curve
//! made the headphone only if it is good. The thread and its result are this file's alone.

use super::{ANALYSIS_POLL, COLOUR_IDEAL, COLOUR_WARN, EditorApp};
use crate::params::ImportedHeadphone;
use crate::view::tips;
use egui::RichText;
use loadline_core::import::{ImportError, ImportedCurve, parse_sensitivity, read_impedance_file};
use loadline_core::physics::Impedance;
use loadline_core::scenario::HeadphoneChoice;

impl EditorApp {
    /// The collapsing section of the import: the path, the sensitivity, the button (a spinner
    /// while the file is read) and the last import's outcome.
    pub(super) fn import_section(&mut self, ui: &mut egui::Ui) {
        egui::CollapsingHeader::new("Import a measured curve")
            .id_salt("import")
            .show(ui, |ui| {
                ui.label("REW / ARTA .txt, DATS .zma or CSV (Hz, Ω[, degrees])");
                ui.add(
                    egui::TextEdit::singleline(&mut self.import_path)
                        .hint_text("/path/to/headphone.zma")
                        .desired_width(f32::INFINITY),
                );
                ui.horizontal(|ui| {
                    ui.label("Sensitivity").on_hover_text(tips::DB_SPL);
                    ui.add(
                        egui::TextEdit::singleline(&mut self.import_sens)
                            .hint_text("102 dB/V or 97 dB/mW")
                            .desired_width(140.0),
                    );
                    let reading = self.import_job.is_some();
                    if ui
                        .add_enabled(!reading, egui::Button::new("Load curve"))
                        .clicked()
                    {
                        self.start_import();
                    }
                    if reading {
                        ui.spinner();
                    }
                });
                self.finish_import(ui.ctx());
                if let Some((ok, msg)) = &self.import_message {
                    ui.label(RichText::new(msg).color(if *ok {
                        COLOUR_IDEAL
                    } else {
                        COLOUR_WARN
                    }));
                }
            });
    }

    /// Starts reading the file named in the import field, on a thread of its own.
    fn start_import(&mut self) {
        let path = std::path::PathBuf::from(self.import_path.trim());
        let reading = path.clone();
        let handle = std::thread::Builder::new()
            .name("loadline-import".into())
            .spawn(move || read_impedance_file(&reading))
            .expect("a thread for the import");
        self.import_message = None;
        self.import_job = Some(ImportJob { path, handle });
    }

    /// Takes the import's result once its thread is done (asking for frames until then).
    fn finish_import(&mut self, ctx: &egui::Context) {
        let Some(job) = self.import_job.take_if(|j| j.handle.is_finished()) else {
            if self.import_job.is_some() {
                ctx.request_repaint_after(ANALYSIS_POLL);
            }
            return;
        };
        self.import_message = Some(match job.handle.join() {
            Ok(read) => self.import(&job.path, read),
            Err(_) => (false, "Not loaded: reading the file failed".into()),
        });
    }

    /// Makes the curve read from `path` the headphone, only if it is good: a bad file leaves
    /// the headphone playing as it was.
    fn import(
        &mut self,
        path: &std::path::Path,
        read: Result<ImportedCurve, ImportError>,
    ) -> (bool, String) {
        let curve = match read {
            Ok(c) => c,
            Err(e) => return (false, format!("Not loaded: {e}")),
        };
        let z_1k = curve.curve.z_ohm(1000.0).norm();
        let sens = if self.import_sens.trim().is_empty() {
            match &self.shown {
                Some(c) => c.headphone().sens_db_spl_per_v,
                None => return (false, "Not loaded: give a sensitivity".into()),
            }
        } else {
            match parse_sensitivity(&self.import_sens, z_1k) {
                Ok(s) => s,
                Err(e) => return (false, format!("Not loaded: {e}")),
            }
        };
        let name = path
            .file_name()
            .map_or_else(|| "imported".into(), |n| n.to_string_lossy().to_string());
        let points = curve.curve.points().len();
        let notes = curve.notes.join("; ");
        self.params
            .imported
            .set(Some(ImportedHeadphone::new(&name, sens, &curve)));
        self.set(&self.params.headphone, HeadphoneChoice::imported_param());
        (
            true,
            format!(
                "Loaded {name}: {points} points, {sens:.1} dB SPL/V{}{notes}",
                if notes.is_empty() { "" } else { "; " }
            ),
        )
    }
}

/// An impedance file being read for the import: its path, and the thread reading it.
pub(super) struct ImportJob {
    path: std::path::PathBuf,
    handle: std::thread::JoinHandle<Result<ImportedCurve, ImportError>>,
}
