//! The *Measure* panel: the user's own output measured through their interface's line inputs,
//! for hosts that route the input into the plugin (input monitoring on its track). It guides
//! the two passes, hands each take to the audio thread (which plays the signal alone and
//! records the input), checks each recording and analyses the pair on threads of their own,
//! shows the figures with their ranges and saves them as the user's output. A panel of its
//! own because it owns a small state machine the rest of the editor never reads.

use super::{COLOUR_IDEAL, COLOUR_WARN, EditorApp};
use crate::measuring::MeasureLink;
use egui::RichText;
use loadline_core::catalog::OutputKind;
use loadline_core::measure::output::{Calibration, OutputMeasurement, OutputSetup, measure_output};
use loadline_core::measure::recording::Recording;
use loadline_core::measure::take::Take;
use loadline_core::plausible::{self, Quantity};
use loadline_core::units::parse_with_unit;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};

/// Which pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Pass {
    /// The jack into the inputs alone.
    Open,
    /// The resistor across the left channel as well.
    Loaded,
}

impl Pass {
    fn name(self) -> &'static str {
        match self {
            Pass::Open => "open pass",
            Pass::Loaded => "loaded pass",
        }
    }
}

/// The panel's state between frames.
#[derive(Default)]
pub(super) struct MeasureUi {
    /// The plugin's end of the take channel (`None` in a test without a plugin).
    pub(super) link: Option<Arc<MeasureLink>>,
    /// The pass being played and recorded.
    running: Option<Pass>,
    /// The two recordings, once checked.
    pub(super) open: Option<Recording>,
    /// The loaded pass's recording, once checked.
    pub(super) loaded: Option<Recording>,
    /// A recording being checked, on a thread of its own.
    checking: Option<(Pass, Receiver<Result<Recording, String>>)>,
    /// The pair being analysed, on a thread of its own.
    analysing: Option<Receiver<Result<OutputMeasurement, String>>>,
    /// The last analysis.
    pub(super) result: Option<OutputMeasurement>,
    /// What went wrong last, or what was done.
    pub(super) message: Option<(bool, String)>,
    load_ohm: String,
    tolerance_pct: String,
    input_dbu: String,
    pilot_volts: String,
    input_ohm: String,
    /// The name to save under, "MAKER MODEL".
    save_name: String,
}

/// A figure typed into the panel: empty is `None`; otherwise within its range, or why not.
fn typed(text: &str, units: &[&str], q: Quantity) -> Result<Option<f64>, String> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    let v = parse_with_unit(text, units, 1.0)
        .ok_or_else(|| format!("{}: '{text}' is not a number in {}", q.what, units[0]))?;
    q.check(v).map(Some).map_err(|e| e.to_string())
}

impl MeasureUi {
    /// The setup the fields give, or what is wrong with them.
    fn setup(&self) -> Result<OutputSetup, String> {
        let ohm = &["ohm", "ohms", "Ω"];
        let load_ohm = typed(&self.load_ohm, ohm, plausible::MEASURE_LOAD_OHM)?.unwrap_or(33.0);
        let tolerance = typed(
            self.tolerance_pct.trim_end_matches('%'),
            &["%"],
            plausible::LOAD_TOLERANCE_PCT,
        )?
        .unwrap_or(1.0);
        let dbu = typed(&self.input_dbu, &["dbu"], plausible::INPUT_FULL_SCALE_DBU)?;
        let volts = typed(&self.pilot_volts, &["v", "vrms"], plausible::PILOT_VRMS)?;
        let calibration = match (dbu, volts) {
            (Some(d), _) => Calibration::InputFullScaleDbu(d),
            (None, Some(v)) => Calibration::PilotVolts(v),
            (None, None) => {
                return Err(
                    "give the input's full scale (dBu, from its manual) or the pilot's voltage read with a meter".into(),
                );
            }
        };
        Ok(OutputSetup {
            load_ohm,
            load_tolerance: tolerance / 100.0,
            input_ohm: typed(&self.input_ohm, ohm, plausible::LINE_INPUT_OHM)?,
            calibration,
        })
    }

    /// Starts `pass`: a take at the plugin's rate, handed to the audio thread.
    fn start(&mut self, pass: Pass) {
        let Some(link) = &self.link else {
            return;
        };
        let Some(rate_hz) = link.rate_hz() else {
            self.message = Some((
                false,
                "The plugin is not running: start the transport or the audio engine first".into(),
            ));
            return;
        };
        let mut control = link.control.lock().unwrap_or_else(|e| e.into_inner());
        // A take that came back while no editor was open to receive it is stale.
        while control.finished().is_some() {}
        if control.start(Take::new(rate_hz)).is_ok() {
            self.running = Some(pass);
            self.message = None;
            self.result = None;
        } else {
            self.message = Some((
                false,
                "A pass started before this editor opened is still playing: wait for it, or cancel it".into(),
            ));
        }
    }

    /// Takes a finished take back and starts checking it; takes a checked recording or an
    /// analysis when it is done.
    fn poll(&mut self, ctx: &egui::Context) {
        if let (Some(pass), Some(link)) = (self.running, &self.link) {
            let mut control = link.control.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(take) = control.finished() {
                self.running = None;
                if take.is_whole() {
                    let (tx, rx) = channel();
                    std::thread::spawn(move || {
                        let recording = take.recording(pass.name());
                        let checked = recording.align().map(|_| ()).map_err(|e| e.to_string());
                        let _ = tx.send(checked.map(|()| recording));
                    });
                    self.checking = Some((pass, rx));
                } else {
                    self.message = Some((false, format!("The {} was cancelled", pass.name())));
                }
            }
            ctx.request_repaint_after(std::time::Duration::from_millis(100));
        }
        if let Some((pass, rx)) = &self.checking
            && let Ok(checked) = rx.try_recv()
        {
            let pass = *pass;
            self.checking = None;
            match checked {
                Ok(recording) => {
                    let seconds = recording.left.len() as f64 / recording.rate_hz;
                    self.message = Some((
                        true,
                        format!("The {} is recorded ({seconds:.1} s)", pass.name()),
                    ));
                    match pass {
                        Pass::Open => self.open = Some(recording),
                        Pass::Loaded => self.loaded = Some(recording),
                    }
                }
                Err(e) => self.message = Some((false, e)),
            }
        }
        if let Some(rx) = &self.analysing
            && let Ok(done) = rx.try_recv()
        {
            self.analysing = None;
            match done {
                Ok(m) => {
                    self.result = Some(m);
                    self.message = None;
                }
                Err(e) => self.message = Some((false, e)),
            }
        }
        if self.checking.is_some() || self.analysing.is_some() {
            ctx.request_repaint_after(std::time::Duration::from_millis(100));
        }
    }

    /// Analyses the two recordings on a thread of their own.
    fn analyse(&mut self) {
        let (Some(open), Some(loaded)) = (self.open.clone(), self.loaded.clone()) else {
            return;
        };
        match self.setup() {
            Ok(setup) => {
                let (tx, rx) = channel();
                std::thread::spawn(move || {
                    let _ = tx.send(
                        measure_output(&open, &loaded, None, setup).map_err(|e| e.to_string()),
                    );
                });
                self.analysing = Some(rx);
                self.message = None;
            }
            Err(e) => self.message = Some((false, e)),
        }
    }
}

/// What to do, step by step.
const STEPS: &str = "1. A TRS cable from the headphone jack: tip (left) to input 1, ring (right) to input 2. \
On this track: input monitoring on, direct monitoring off; Loadline last, nothing after it.\n\
2. Set the volume where you listen (or at maximum). Both inputs at one gain, the pilot (right) near −20 dBFS.\n\
3. Record the open pass. Then put a 33 Ω resistor across the left channel (16 Ω for outputs below 2 Ω) and, \
without touching the volume, record the loaded pass. While a pass plays, the output is the signal alone.";

impl EditorApp {
    /// The *Measure your output* section.
    pub(super) fn measure_section(&mut self, ui: &mut egui::Ui) {
        self.measure.poll(ui.ctx());
        egui::CollapsingHeader::new("Measure your output")
            .id_salt("measure")
            .show(ui, |ui| {
                ui.label(STEPS);
                self.measure_fields(ui);
                self.measure_passes(ui);
                self.measure_result(ui);
            });
    }

    fn measure_fields(&mut self, ui: &mut egui::Ui) {
        let m = &mut self.measure;
        egui::Grid::new("measure-fields")
            .num_columns(2)
            .show(ui, |ui| {
                for (label, text, hint) in [
                    ("Resistor", &mut m.load_ohm, "33 Ω"),
                    ("Tolerance", &mut m.tolerance_pct, "1 %"),
                    ("Input full scale", &mut m.input_dbu, "+16 dBu (manual)"),
                    ("or pilot voltage", &mut m.pilot_volts, "0.35 V (meter)"),
                    (
                        "Input impedance",
                        &mut m.input_ohm,
                        "10k (manual; optional)",
                    ),
                ] {
                    let name = ui.label(label);
                    ui.add(
                        egui::TextEdit::singleline(text)
                            .hint_text(hint)
                            .desired_width(160.0),
                    )
                    .labelled_by(name.id);
                    ui.end_row();
                }
            });
    }

    fn measure_passes(&mut self, ui: &mut egui::Ui) {
        let m = &mut self.measure;
        let busy = m.running.is_some() || m.checking.is_some() || m.analysing.is_some();
        ui.horizontal(|ui| {
            for (pass, label) in [
                (Pass::Open, "Record open pass"),
                (Pass::Loaded, "Record loaded pass"),
            ] {
                let done = match pass {
                    Pass::Open => m.open.is_some(),
                    Pass::Loaded => m.loaded.is_some(),
                };
                let text = if done {
                    format!("{label} (recorded)")
                } else {
                    label.to_string()
                };
                if ui
                    .add_enabled(!busy && m.link.is_some(), egui::Button::new(text))
                    .clicked()
                {
                    m.start(pass);
                }
            }
        });
        let playing = m.link.as_ref().and_then(|link| {
            let control = link.control.lock().unwrap_or_else(|e| e.into_inner());
            control
                .is_running()
                .then(|| (link.clone(), control.progress()))
        });
        if let Some((link, progress)) = playing {
            let what = m.running.map_or("a pass", Pass::name);
            ui.horizontal(|ui| {
                ui.add(
                    egui::ProgressBar::new(progress)
                        .text(format!("{what} playing"))
                        .desired_width(240.0),
                );
                if ui.button("Cancel").clicked() {
                    link.control
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .cancel();
                }
            });
        }
        if m.checking.is_some() || m.analysing.is_some() {
            ui.spinner();
        }
        let ready = m.open.is_some() && m.loaded.is_some() && !busy;
        if ui
            .add_enabled(ready, egui::Button::new("Analyse"))
            .clicked()
        {
            m.analyse();
        }
        if let Some((ok, text)) = &m.message {
            ui.label(RichText::new(text).color(if *ok { COLOUR_IDEAL } else { COLOUR_WARN }));
        }
    }

    fn measure_result(&mut self, ui: &mut egui::Ui) {
        let Some(result) = &self.measure.result else {
            return;
        };
        let text: String = result.text().lines().take(9).collect::<Vec<_>>().join("\n");
        ui.label(RichText::new(text).monospace().size(11.0));
        let mut save = false;
        ui.horizontal(|ui| {
            let name = ui.label("Name");
            ui.add(
                egui::TextEdit::singleline(&mut self.measure.save_name)
                    .hint_text("MAKER MODEL")
                    .desired_width(160.0),
            )
            .labelled_by(name.id);
            save = ui.button("Save as yours").clicked();
        });
        if save {
            let name = self.measure.save_name.trim().to_string();
            self.measure.message = Some(match name.split_once(char::is_whitespace) {
                Some((maker, model)) => {
                    let entry = result.to_entry(
                        maker.trim(),
                        model.trim(),
                        OutputKind::AudioInterface,
                        &loadline_core::units::today_utc(),
                    );
                    self.yours.save_measured(&entry)
                }
                None => (false, "Give the maker and the model: \"MOTU M2\"".into()),
            });
        }
    }
}
