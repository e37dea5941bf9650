//! The editor (nice-plug-egui, egui_plot): pickers, the A / B / Ideal switch, the impedance and
//! deviation plots, the live meters and the verdict. What it shows is computed in `view` and
//! `report`; this module lays it out. This file holds the editor's state, what it asks to be
//! analysed and the frame that places the panels; each panel draws itself in a file of its own
//! under `editor/`, so that a change to one panel reads apart from the others. It reads the
//! meters from atomics and never touches the audio thread otherwise.

use crate::measuring::MeasureLink;
use crate::meters::Meters;
use crate::params::{EDITOR_DEFAULT_SIZE, Heard, LevelMode, LoadlineParams, headphone_model};
use crate::view::{self, Curves, MeterState};
use egui::Color32;
use loadline_core::analysis::{Analysis, Analyst, Scenario, Slot};
use loadline_core::catalog::{self, Provenance, estimated};
use loadline_core::choices::{HeadphonePick, resolve};
use loadline_core::listeners::MAX_OTHER_LISTENERS;
use loadline_core::physics::headphones::HeadphoneModel;
use loadline_core::physics::output::OutputStage;
use loadline_core::report::Report;
use loadline_core::scenario::{HeadphoneChoice, Listeners, OutputChoice};
use nice_plug::context::gui::GuiContext;
use nice_plug::prelude::*;
use nice_plug_egui::{EguiEditor, EguiEditorState, EguiNiceSettings, NiceEguiApp, RepaintNotifier};
use std::sync::Arc;
use std::time::Instant;

mod chain;
mod import;
mod jack;
mod level;
mod measure;
mod meters;
mod output;
mod pickers;
mod plots;
mod setups;
mod top_bar;
mod yours;

/// Colours of outputs A and B in the plots and the switch.
const COLOUR_A: Color32 = Color32::from_rgb(80, 160, 255);
const COLOUR_B: Color32 = Color32::from_rgb(255, 150, 60);
const COLOUR_IDEAL: Color32 = Color32::from_rgb(150, 210, 120);
const COLOUR_WARN: Color32 = Color32::from_rgb(255, 90, 80);
/// A verdict that the estimates' ranges leave open, and a meter near its limit.
const COLOUR_MAYBE: Color32 = Color32::from_rgb(230, 200, 60);

/// Height of the top bar (the switch and two lines of verdict), logical pixels.
const TOP_BAR_HEIGHT: f32 = 78.0;

/// How long the meters ignore readings after the settings change (a new design takes a few
/// milliseconds to arrive, and blocks in flight were processed with the old settings).
const METER_SETTLE: std::time::Duration = std::time::Duration::from_millis(150);

/// How soon the editor looks again for an analysis it is waiting for.
const ANALYSIS_POLL: std::time::Duration = std::time::Duration::from_millis(10);

/// Smallest editor size, logical pixels.
const MIN_SIZE: [f32; 2] = [900.0, 600.0];

/// Builds the editor; its size comes from (and goes back to) the saved state.
pub fn create(
    params: Arc<LoadlineParams>,
    meters: Arc<Meters>,
    measure: Arc<MeasureLink>,
    repaint: RepaintNotifier,
) -> Option<EguiEditor<EditorApp>> {
    let [w, h] = *params.editor_size.lock().unwrap_or_else(|e| e.into_inner());
    let (w, h) = if w.is_finite() && h.is_finite() && w >= MIN_SIZE[0] && h >= MIN_SIZE[1] {
        (w, h)
    } else {
        (EDITOR_DEFAULT_SIZE[0], EDITOR_DEFAULT_SIZE[1])
    };
    let state = EguiEditorState::from_size(
        nice_plug::editor::dpi::LogicalSize::new(w as f64, h as f64),
        1.0,
    );
    let settings = EguiNiceSettings::new()
        .with_tile("Loadline")
        .with_resize_hint(ResizeHint::resizable().with_min_logical_size(
            nice_plug::editor::dpi::LogicalSize::new(MIN_SIZE[0], MIN_SIZE[1]),
        ));
    let app = EditorApp::new(params, meters, catalog::user::default_path()).with_measure(measure);
    nice_plug_egui::create_egui_editor(state, repaint, settings, app)
}

/// What the analysis shown was asked for: cheap to build every frame and compare.
#[derive(Debug, Clone, PartialEq)]
struct Inputs {
    /// Outputs A and B, and the Ideal reference: a perfect output with the full scale of the
    /// slot it is compared with (`LoadlineParams::slot_stage`).
    stages: [OutputStage; 3],
    compared: Heard,
    headphone: Listeners,
    target_spl_db: f64,
    /// The volume, when it is set by hand.
    volume_db: Option<f64>,
    /// The names of the user's outputs slots A and B play.
    user_outputs: [Option<String>; 2],
}

/// The analysis shown, and its curves as the plots take them.
struct Shown {
    analysis: Arc<Analysis>,
    curves: Curves,
}

impl Shown {
    /// The stage and the report of what is heard as `heard`.
    fn heard(&self, heard: Heard) -> (&OutputStage, &Report) {
        let slot = slot_of(heard);
        let stage = &self.analysis.outputs[slot as usize].stage;
        (stage, self.analysis.report(slot))
    }

    /// The headphone analysed, as the output sees it (with the others on its jack).
    fn headphone(&self) -> &HeadphoneModel {
        &self.analysis.heard
    }
}

/// The analysis slot of what is heard.
fn slot_of(heard: Heard) -> Slot {
    match heard {
        Heard::A => Slot::A,
        Heard::B => Slot::B,
        Heard::Ideal => Slot::Ideal,
    }
}

/// The editor's state between frames.
pub struct EditorApp {
    params: Arc<LoadlineParams>,
    meters: Arc<Meters>,
    gui: Option<GuiContext>,
    catalog_models: Vec<HeadphoneModel>,
    output_names: Vec<String>,
    headphone_names: Vec<String>,
    /// The pickers' search texts: headphone, output A, output B, then the places on the jack.
    search: [String; 5 + MAX_OTHER_LISTENERS],
    meter: MeterState,
    /// Readings before this instant are dropped: they were measured with the settings just
    /// changed.
    meter_settle_until: Option<Instant>,
    last_frame: Option<Instant>,
    /// Computes the analyses, on a thread of its own.
    analyst: Analyst,
    /// What the newest analysis was asked for, and the scenario that made.
    asked: Option<(Inputs, Scenario)>,
    shown: Option<Shown>,
    show_phase: bool,
    import_path: String,
    import_sens: String,
    /// The last import's outcome: (ok, message).
    import_message: Option<(bool, String)>,
    /// A file being read and parsed for the import, on a thread of its own (a large or slow
    /// file must not hold up the GUI): its path, and the curve or why there is none.
    import_job: Option<import::ImportJob>,
    /// The user's own devices.
    yours: yours::Yours,
    /// The *Measure* panel's state.
    measure: measure::MeasureUi,
    /// The setup menu's state.
    setups: setups::SetupsUi,
}

impl EditorApp {
    /// The editor of `params`, with the user's catalog at `user_catalog` (`None`: there is no
    /// place for one).
    fn new(
        params: Arc<LoadlineParams>,
        meters: Arc<Meters>,
        user_catalog: Option<std::path::PathBuf>,
    ) -> Self {
        // The pickers say which entries' deciding figures are estimates, before one is picked.
        let output_names = (0..=catalog::outputs().len() as i32)
            .map(|v| match OutputChoice::from_param(v) {
                OutputChoice::Catalog(k) => marked_name(
                    catalog::outputs()[k].name(),
                    &catalog::outputs()[k].provenance(),
                ),
                OutputChoice::Custom => OutputChoice::Custom.name(),
            })
            .collect();
        let headphone_names = catalog::headphones()
            .iter()
            .map(|h| marked_name(h.name(), &h.provenance()))
            .chain(std::iter::once(
                crate::params::IMPORTED_HEADPHONE_NAME.to_string(),
            ))
            .collect();
        EditorApp {
            params,
            meters,
            gui: None,
            catalog_models: catalog::headphone_models(),
            output_names,
            headphone_names,
            search: Default::default(),
            meter: MeterState::default(),
            meter_settle_until: None,
            last_frame: None,
            analyst: Analyst::spawn(),
            asked: None,
            shown: None,
            show_phase: false,
            import_path: String::new(),
            import_sens: String::new(),
            import_message: None,
            import_job: None,
            yours: yours::Yours::load(user_catalog),
            measure: measure::MeasureUi::default(),
            setups: setups::SetupsUi::default(),
        }
    }

    /// This editor measuring through `link` (the plugin's; without one, the panel says the
    /// plugin is not running).
    fn with_measure(mut self, link: Arc<MeasureLink>) -> Self {
        self.measure.link = Some(link);
        self
    }

    /// What the parameters ask to be analysed now.
    fn inputs(&self) -> Inputs {
        let p = &self.params;
        let now = p.saved.now();
        Inputs {
            stages: [Heard::A, Heard::B, Heard::Ideal].map(|h| p.slot_stage(h, &now)),
            compared: p.compared_slot(),
            headphone: p.listeners(),
            target_spl_db: p.target_spl_db.value() as f64,
            volume_db: (p.level_mode.value() == LevelMode::Volume)
                .then(|| p.volume_db.value() as f64),
            user_outputs: [Heard::A, Heard::B].map(|h| p.user_output(h).map(|e| e.name())),
        }
    }

    /// The scenario of `inputs`: the parameters' choices, resolved by the core (`None`: they
    /// resolve to none, which a chain that cannot be built never causes, as it plays its output
    /// alone).
    fn scenario(&self, inputs: &Inputs) -> Option<Scenario> {
        let p = &self.params;
        let headphone = match inputs.headphone.heard {
            HeadphoneChoice::Catalog(k) => HeadphonePick::Catalog(k),
            // An imported curve is the user's headphone saved with it, or a curve of theirs.
            HeadphoneChoice::Imported { .. } => {
                let entry = p.imported.get().and_then(|i| i.entry);
                HeadphonePick::Given {
                    model: Box::new(headphone_model(
                        inputs.headphone.heard,
                        &self.catalog_models,
                        &p.imported,
                    )),
                    provenance: entry.as_ref().map_or_else(Vec::new, |e| e.provenance()),
                    across: (entry.as_ref())
                        .map_or_else(Vec::new, catalog::entry_headphones_across),
                }
            }
        };
        resolve(&p.choices(headphone)).ok()
    }

    /// Asks for a new analysis when what it depends on changed, and takes the newest one the
    /// analyst has finished (until it is the one asked for, the previous stays on screen).
    fn refresh(&mut self, ctx: &egui::Context) {
        let inputs = self.inputs();
        if self
            .asked
            .as_ref()
            .is_none_or(|(asked, _)| *asked != inputs)
        {
            // Held peaks belong to what was heard before; the clip light keeps its news.
            self.meter = MeterState {
                clip_held: self.meter.clip_held,
                ..MeterState::default()
            };
            self.meter_settle_until = Some(Instant::now() + METER_SETTLE);
            if let Some(scenario) = self.scenario(&inputs) {
                self.analyst.request(scenario.clone());
                self.asked = Some((inputs, scenario));
            }
        }
        if let Some(latest) = self.analyst.latest()
            && self
                .shown
                .as_ref()
                .is_none_or(|s| !Arc::ptr_eq(&s.analysis, &latest))
        {
            self.shown = Some(Shown {
                curves: view::curves(&latest.response),
                analysis: latest,
            });
        }
        let current = match (&self.shown, &self.asked) {
            (Some(shown), Some((_, asked))) => shown.analysis.scenario == *asked,
            _ => false,
        };
        if !current {
            // The analysis asked for is on its way: look again soon.
            ctx.request_repaint_after(ANALYSIS_POLL);
        }
    }

    /// Sets a parameter as one gesture.
    fn set<P: Param>(&self, param: &P, value: P::Plain) {
        if let Some(gui) = &self.gui {
            gesture(&gui.param_setter(), param, value);
        }
    }

    /// The whole editor, in `ui` (the window's, or a test harness's).
    fn draw(&mut self, ui: &mut egui::Ui) {
        self.refresh(ui.ctx());
        // A fixed height: a verdict on two lines must not move everything below it.
        egui::Panel::top("top")
            .exact_size(TOP_BAR_HEIGHT)
            .show(ui, |ui| self.top_bar(ui));
        egui::Panel::bottom("meters").show(ui, |ui| self.meters_panel(ui));
        egui::Panel::left("pickers")
            .resizable(false)
            .exact_size(400.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| self.pickers(ui));
            });
        egui::CentralPanel::default().show(ui, |ui| self.plots(ui));
    }
}

/// Sets `param` to `value` as one gesture (begin, set, end), as a host expects from a click.
fn gesture<P: Param>(setter: &ParamSetter, param: &P, value: P::Plain) {
    setter.begin_set_parameter(param);
    setter.set_parameter(param, value);
    setter.end_set_parameter(param);
}

/// `name`, with what its estimated figures decide: "MOTU M2 (estimated: output impedance,
/// maximum level)".
fn marked_name(name: String, provenance: &[Provenance]) -> String {
    let decides = estimated(provenance);
    if decides.is_empty() {
        name
    } else {
        format!("{name} (estimated: {})", catalog::decides_text(&decides))
    }
}

/// A collapsing section of the left column, named `title` (id `salt`), opening with the line
/// `intro.0` (its tooltip `intro.1`), then `body` given the width its lines wrap at.
fn wrapped_section(
    ui: &mut egui::Ui,
    title: &str,
    salt: &str,
    intro: (&str, &str),
    body: impl FnOnce(&mut egui::Ui, f32),
) {
    egui::CollapsingHeader::new(title)
        .id_salt(salt)
        .show(ui, |ui| {
            // Wrapped at the panel's visible edge: the column may be laid out wider than it
            // shows, by a line elsewhere that does not wrap (the pickers widen it too).
            let width = ui.clip_rect().right() - ui.cursor().left() - 8.0;
            ui.set_max_width(width);
            ui.add(egui::Label::new(intro.0).wrap())
                .on_hover_text(intro.1);
            body(ui, width);
        });
}

impl NiceEguiApp for EditorApp {
    fn build(
        &mut self,
        egui_ctx: egui::Context,
        gui: GuiContext,
        _frame: &mut nice_plug_egui::Frame,
    ) -> Result<(), nice_plug_egui::baseview::HandlerError> {
        egui_ctx.set_visuals(egui::Visuals::dark());
        self.gui = Some(gui);
        self.meters.set_shown(true);
        self.last_frame = None;
        Ok(())
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut nice_plug_egui::Frame) {
        self.draw(ui);
    }

    fn resized(&mut self, size: nice_plug_egui::baseview::WindowSize) {
        *self
            .params
            .editor_size
            .lock()
            .unwrap_or_else(|e| e.into_inner()) =
            [size.logical.width as f32, size.logical.height as f32];
    }

    fn editor_closed(&mut self) {
        self.meters.set_shown(false);
        self.gui = None;
    }
}

#[cfg(test)]
mod tests;
