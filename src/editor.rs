//! The editor (nice-plug-egui, egui_plot): pickers, the A / B / Ideal switch, the impedance and
//! deviation plots, the live meters and the verdict. What it shows is computed in `view` and
//! `report`; this file lays it out. It reads the meters from atomics and never touches the
//! audio thread otherwise.

use crate::meters::Meters;
use crate::params::{
    EDITOR_DEFAULT_SIZE, GainChoice, Heard, ImportedHeadphone, JackChoice, LevelMode,
    LoadlineParams, NO_AMP, NOBODY, OthersOnChoice, SlotParams, headphone_model,
};
use crate::view::{self, Curves, MeterScale, MeterState, tips};
use egui::{Color32, RichText};
use egui_plot::{GridInput, GridMark, HoverPosition, Legend, Line, Plot};
use loadline_core::analysis::{AnalysedOutput, Analysis, Analyst, Scenario, Slot};
use loadline_core::catalog::{self, Provenance, estimated};
use loadline_core::import::{ImportError, ImportedCurve, parse_sensitivity, read_impedance_file};
use loadline_core::listeners::{Listener, MAX_OTHER_LISTENERS};
use loadline_core::physics::Impedance;
use loadline_core::physics::headphones::HeadphoneModel;
use loadline_core::physics::output::OutputStage;
use loadline_core::physics::supply::SupplyShare;
use loadline_core::report::{Report, Standing};
use loadline_core::scenario::{HeadphoneChoice, Listeners, OutputChoice, amp_from_param, amps};
use loadline_core::units::{db_to_gain, fmt_sig};
use nice_plug::context::gui::GuiContext;
use nice_plug::prelude::*;
use nice_plug_egui::{EguiEditor, EguiEditorState, EguiNiceSettings, NiceEguiApp, RepaintNotifier};
use std::sync::Arc;
use std::time::Instant;

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
    let app = EditorApp::new(params, meters, catalog::user::default_path());
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
    import_job: Option<ImportJob>,
    /// The user's own devices.
    yours: yours::Yours,
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
        }
    }

    /// What the parameters ask to be analysed now.
    fn inputs(&self) -> Inputs {
        let p = &self.params;
        Inputs {
            stages: [Heard::A, Heard::B, Heard::Ideal].map(|h| p.slot_stage(h)),
            compared: p.compared_slot(),
            headphone: p.listeners(),
            target_spl_db: p.target_spl_db.value() as f64,
            volume_db: (p.level_mode.value() == LevelMode::Volume)
                .then(|| p.volume_db.value() as f64),
            user_outputs: [Heard::A, Heard::B].map(|h| p.user_output(h).map(|e| e.name())),
        }
    }

    /// The scenario of `inputs`: the names, the headphone and where every figure comes from.
    fn scenario(&self, inputs: &Inputs) -> Scenario {
        let p = &self.params;
        // A catalog output comes with where its figures come from and its estimates' ranges.
        let output = |heard: Heard, name: String| {
            // The others' outputs on the supply are the analysis's to add (with their sources).
            let stage = OutputStage {
                supply: SupplyShare::NONE,
                ..inputs.stages[slot_of(heard) as usize]
            };
            // A chain is named and sourced as one (while the stage played is the chain's).
            if let Some(Ok(spec)) = p.chain_spec(heard)
                && let Ok(mut chain) = AnalysedOutput::chain(&spec)
                && chain.stage == stage
            {
                // Figures of the slot's own: named as the slot (or the user's output it
                // holds), whose figures come first.
                if spec.source.catalog().is_none() {
                    let user = p.user_output(heard);
                    let own = user
                        .as_ref()
                        .map_or(name, |e| catalog::user::marked(&e.name()));
                    chain.name = spec.name_from(&own);
                    if let Some(entry) = user {
                        chain.provenance.splice(0..0, entry.provenance());
                    }
                }
                return chain;
            }
            match p.output_choice(heard) {
                Some(OutputChoice::Catalog(k)) => AnalysedOutput::catalog(k)
                    .filter(|o| o.stage == stage)
                    .unwrap_or_else(|| AnalysedOutput::own(name, stage)),
                // The user's output the slot was set from, while it holds its figures.
                Some(OutputChoice::Custom) => match p.user_output(heard) {
                    Some(entry) => AnalysedOutput {
                        stage,
                        ..AnalysedOutput::user(&entry)
                    },
                    None => AnalysedOutput::own(name, stage),
                },
                _ => AnalysedOutput::own(name, stage),
            }
        };
        let ideal = format!(
            "Ideal (a perfect output at {}'s full scale)",
            if inputs.compared == Heard::B {
                "B"
            } else {
                "A"
            }
        );
        Scenario {
            outputs: [
                output(
                    Heard::A,
                    slot_name(OutputChoice::from_param(p.output_a.value()), "A"),
                ),
                output(
                    Heard::B,
                    slot_name(OutputChoice::from_param(p.output_b.value()), "B"),
                ),
                output(Heard::Ideal, ideal),
            ],
            headphone: headphone_model(inputs.headphone.heard, &self.catalog_models, &p.imported),
            headphone_provenance: match inputs.headphone.heard {
                HeadphoneChoice::Catalog(k) => catalog::headphones()[k].provenance(),
                HeadphoneChoice::Imported { .. } => p
                    .imported
                    .get()
                    .and_then(|i| i.entry)
                    .map_or_else(Vec::new, |e| e.provenance()),
            },
            headphone_across: match inputs.headphone.heard {
                HeadphoneChoice::Catalog(k) => catalog::headphones_across(k).to_vec(),
                HeadphoneChoice::Imported { .. } => p
                    .imported
                    .get()
                    .and_then(|i| i.entry)
                    .map_or_else(Vec::new, |e| catalog::entry_headphones_across(&e)),
            },
            others: (inputs.headphone.others.iter())
                .zip(p.others_volumes())
                .filter_map(|(place, volume)| {
                    let k = (*place)?;
                    Some(Listener {
                        model: self.catalog_models[k].clone(),
                        provenance: catalog::headphones()[k].provenance(),
                        volume_offset_db: volume.value() as f64,
                    })
                })
                .collect(),
            others_on: inputs.headphone.on,
            target_spl_db: inputs.target_spl_db,
            volume_db: inputs.volume_db,
        }
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
            let scenario = self.scenario(&inputs);
            self.analyst.request(scenario.clone());
            self.asked = Some((inputs, scenario));
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

    fn top_bar(&mut self, ui: &mut egui::Ui) {
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

    fn pickers(&mut self, ui: &mut egui::Ui) {
        if let Some(problem) = &self.yours.problem {
            ui.add(egui::Label::new(RichText::new(problem).color(COLOUR_WARN)).truncate())
                .on_hover_text(problem);
        }
        let heading = ui
            .horizontal(|ui| {
                let heading = ui.label(RichText::new("Headphone").strong().size(16.0));
                self.yours.headphone_actions(ui, &self.params);
                heading
            })
            .inner;
        let builtin = self.headphone_names.len();
        let current = self
            .yours
            .headphone_playing(&self.params)
            .map_or(self.params.headphone.value() as usize, |k| builtin + k);
        let names = self.yours.headphone_names(&self.headphone_names);
        match picker(ui, "hp", heading.id, &names, current, &mut self.search[0]) {
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
    }

    /// Each slot's amplifier, fed from its output's headphone or line out.
    fn chain_section(&mut self, ui: &mut egui::Ui) {
        let intro = ("Feed an amplifier from output A or B", tips::CHAIN);
        wrapped_section(ui, "Into an amplifier", "chain", intro, |ui, width| {
            for which in [Heard::A, Heard::B] {
                self.chain_row(ui, which, width);
            }
        });
    }

    /// One slot's chain: the amplifier, the source's jack and volume, and what clips first
    /// (or why the chain cannot be built).
    fn chain_row(&mut self, ui: &mut egui::Ui, which: Heard, width: f32) {
        let params = self.params.clone();
        let (chain, letter, search) = match which {
            Heard::B => (&params.chain_b, "B", 7),
            _ => (&params.chain_a, "A", 6),
        };
        let heading = ui.label(format!("{letter} into"));
        let names: Vec<String> = std::iter::once(NO_AMP.to_string())
            .chain(amps().iter().map(|&k| catalog::outputs()[k].name()))
            .collect();
        let current = chain.amp.value() as usize;
        let id = format!("chain{letter}");
        let query = &mut self.search[search];
        if let Some(k) = picker(ui, &id, heading.id, &names, current, query) {
            self.set(&chain.amp, k as i32);
        }
        if amp_from_param(chain.amp.value()).is_none() {
            return;
        }
        let Some(gui) = &self.gui else {
            return;
        };
        let setter = gui.param_setter();
        ui.horizontal(|ui| {
            // The line output is offered where the catalog has its figures (or is chosen).
            let line_out = match params.output_choice(which) {
                Some(OutputChoice::Catalog(k)) => catalog::outputs()[k].line_out.is_some(),
                _ => false,
            };
            for jack in [JackChoice::HeadphoneOut, JackChoice::LineOut] {
                let (name, offered) = match jack {
                    JackChoice::HeadphoneOut => ("Headphone out", true),
                    JackChoice::LineOut => ("Line out", line_out),
                };
                let on = chain.jack.value() == jack;
                let radio = egui::RadioButton::new(on, format!("{letter} {name}"));
                if ui.add_enabled(offered || on, radio).clicked() {
                    gesture(&setter, &chain.jack, jack);
                }
            }
        });
        let two_gains = amp_from_param(chain.amp.value())
            .and_then(|k| catalog::outputs()[k].amp_input.as_ref())
            .is_some_and(|input| input.low_gain_db.is_some());
        if two_gains {
            ui.horizontal(|ui| {
                for (gain, name) in [
                    (GainChoice::High, "High gain"),
                    (GainChoice::Low, "Low gain"),
                ] {
                    let radio = ui.radio(chain.gain.value() == gain, format!("{letter} {name}"));
                    if radio.clicked() {
                        gesture(&setter, &chain.gain, gain);
                    }
                }
            });
        }
        if chain.jack.value() == JackChoice::HeadphoneOut {
            ui.horizontal(|ui| {
                ui.label("Source volume");
                ui.add(nice_plug_egui::widgets::ParamSlider::for_param(
                    &chain.source_volume_db,
                    &setter,
                ));
            });
        }
        let line = match params.chain_spec(which) {
            Some(Err(e)) => RichText::new(format!("Plays output {letter} alone: {e}"))
                .color(Color32::from_rgb(220, 80, 60)),
            _ => RichText::new(self.shown.as_ref().map_or_else(String::new, |c| {
                let r = c.analysis.report(slot_of(which));
                let stages = r.stages_sentence().into_iter();
                stages
                    .chain(r.notes.iter().cloned())
                    .collect::<Vec<_>>()
                    .join("\n")
            })),
        };
        ui.scope(|ui| {
            ui.set_max_width(width);
            ui.add(egui::Label::new(line).wrap());
        });
    }

    /// The other listeners' headphones: on the jack of the one heard, or on outputs of their
    /// own (a distribution amplifier's, each at its own volume), and what each listener gets.
    fn jack_section(&mut self, ui: &mut egui::Ui) {
        let own = self.params.others_on.value() == OthersOnChoice::OwnOutputs;
        let (title, intro) = if own {
            (
                "On the other outputs",
                (
                    "Headphones on outputs of their own (a distribution amplifier): they share its supply",
                    tips::OWN_OUTPUTS,
                ),
            )
        } else {
            (
                "Also on this jack",
                (
                    "Headphones sharing the output (a splitter, two jacks on one driver)",
                    tips::JACK,
                ),
            )
        };
        wrapped_section(ui, title, "jack", intro, |ui, width| {
            let names: Vec<String> = std::iter::once(NOBODY.to_string())
                .chain(
                    self.headphone_names
                        .iter()
                        .take(catalog::headphones().len())
                        .cloned(),
                )
                .collect();
            let params = self.params.clone();
            let volumes = params.others_volumes();
            for (i, param) in params.others_on_jack().into_iter().enumerate() {
                let heading = ui.label(format!("Listener {}", i + 2));
                let current = param.value() as usize;
                let query = &mut self.search[3 + i];
                let id = format!("jack{}", i + 1);
                if let Some(k) = picker(ui, &id, heading.id, &names, current, query) {
                    self.set(param, k as i32);
                }
                if let (true, Some(gui)) = (own && current > 0, &self.gui) {
                    ui.horizontal(|ui| {
                        ui.label(format!("Listener {} volume, against yours", i + 2));
                        let setter = gui.param_setter();
                        ui.add(nice_plug_egui::widgets::ParamSlider::for_param(
                            volumes[i], &setter,
                        ));
                    });
                }
            }
            ui.horizontal(|ui| {
                for (choice, name) in [
                    (OthersOnChoice::SameJack, "On the same jack"),
                    (OthersOnChoice::OwnOutputs, "On their own outputs"),
                ] {
                    let radio = ui.radio(params.others_on.value() == choice, name);
                    if radio.clicked() {
                        self.set(&params.others_on, choice);
                    }
                }
            });
            let heard = slot_of(self.params.heard.value());
            if let Some(jack) = self
                .shown
                .as_ref()
                .and_then(|c| c.analysis.jack[heard as usize].as_ref())
            {
                // Wrapped: each line is a sentence about one listener.
                ui.scope(|ui| {
                    ui.set_max_width(width);
                    for (label, sentence) in jack.sentences() {
                        ui.add(egui::Label::new(listener_line(label, &sentence)).wrap());
                    }
                });
            }
            // Who has no output of their own (a device with fewer outputs than listeners).
            let left_out = self.shown.as_ref().and_then(|c| {
                let outputs = &c.analysis.outputs;
                outputs[heard as usize].left_out.clone()
            });
            if let Some(note) = left_out {
                ui.scope(|ui| {
                    ui.set_max_width(width);
                    ui.add(egui::Label::new(RichText::new(note).color(COLOUR_WARN)).wrap());
                });
            }
        });
    }

    fn import_section(&mut self, ui: &mut egui::Ui) {
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

    fn output_section(&mut self, ui: &mut egui::Ui, which: Heard) {
        let (param, slot, letter, colour, search) = match which {
            Heard::B => (&self.params.output_b, &self.params.slot_b, "B", COLOUR_B, 2),
            _ => (&self.params.output_a, &self.params.slot_a, "A", COLOUR_A, 1),
        };
        let custom = OutputChoice::from_param(param.value()) == OutputChoice::Custom;
        let heading = ui
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
                heading
            })
            .inner;
        let builtin = self.output_names.len();
        let current = self
            .yours
            .output_playing(&self.params, which)
            .map_or(param.value() as usize, |k| builtin + k);
        let names = self.yours.output_names(&self.output_names);
        let mut search_text = std::mem::take(&mut self.search[search]);
        let picked = picker(ui, letter, heading.id, &names, current, &mut search_text);
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

    fn custom_figures(&self, ui: &mut egui::Ui, slot: &SlotParams, letter: &str) {
        let Some(gui) = &self.gui else {
            return;
        };
        let setter = gui.param_setter();
        egui::Grid::new(format!("custom-{letter}"))
            .num_columns(2)
            .spacing([8.0, 2.0])
            .show(ui, |ui| {
                let row = |ui: &mut egui::Ui, label: &str, tip: &str, widget: &mut dyn FnMut(&mut egui::Ui)| {
                    ui.label(label).on_hover_text(tip);
                    widget(ui);
                    ui.end_row();
                };
                row(ui, "Output impedance", tips::OUTPUT_IMPEDANCE, &mut |ui| {
                    ui.add(nice_plug_egui::widgets::ParamSlider::for_param(&slot.r_out_ohm, &setter));
                });
                row(ui, "Coupling capacitor", "A series capacitor, as on many phones and laptops: it costs bass on low-impedance loads", &mut |ui| {
                    ui.horizontal(|ui| {
                        let mut on = slot.cap_on.value();
                        let check = ui.checkbox(&mut on, "").on_hover_text("In the circuit");
                        check.widget_info(|| {
                            egui::WidgetInfo::selected(egui::Role::CheckBox, true, on, "Coupling capacitor")
                        });
                        if check.changed() {
                            gesture(&setter, &slot.cap_on, on);
                        }
                        ui.add(nice_plug_egui::widgets::ParamSlider::for_param(&slot.coupling_cap_uf, &setter));
                    });
                });
                row(ui, "Full-scale level", tips::DBU, &mut |ui| {
                    ui.add(nice_plug_egui::widgets::ParamSlider::for_param(&slot.full_scale_dbu, &setter));
                });
                row(ui, "Rail limit", "The highest voltage the output stage can swing", &mut |ui| {
                    ui.add(nice_plug_egui::widgets::ParamSlider::for_param(&slot.rail_v_peak, &setter));
                });
                row(ui, "Current limit", "The most current the output stage can deliver", &mut |ui| {
                    ui.add(nice_plug_egui::widgets::ParamSlider::for_param(&slot.i_max_ma_peak, &setter));
                });
                row(ui, "Supply sag", tips::SUPPLY_SAG, &mut |ui| {
                    ui.add(nice_plug_egui::widgets::ParamSlider::for_param(&slot.r_sag_ohm, &setter));
                });
                row(ui, "Dynamic range", "Noise before the volume control, below a full-scale sine", &mut |ui| {
                    ui.add(nice_plug_egui::widgets::ParamSlider::for_param(&slot.dynamic_range_db, &setter));
                });
                row(ui, "Noise floor", tips::NOISE_FLOOR, &mut |ui| {
                    ui.add(nice_plug_egui::widgets::ParamSlider::for_param(&slot.noise_floor_dbv, &setter));
                });
            });
    }

    fn level_section(&mut self, ui: &mut egui::Ui) {
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

    fn plots(&mut self, ui: &mut egui::Ui) {
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

    fn meters_panel(&mut self, ui: &mut egui::Ui) {
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

/// An impedance file being read for the import: its path, and the thread reading it.
struct ImportJob {
    path: std::path::PathBuf,
    handle: std::thread::JoinHandle<Result<ImportedCurve, ImportError>>,
}

/// A listener's sentence after its label, as the section shows it ("heard", then what the
/// heard pair gets).
fn listener_line(label: &str, sentence: &str) -> String {
    format!("{label:<13} {sentence}")
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

/// "Output A: Focusrite …" style name of a slot's output.
fn slot_name(choice: OutputChoice, letter: &str) -> String {
    match choice {
        OutputChoice::Custom => format!("Custom output {letter}"),
        OutputChoice::Catalog(_) => choice.name(),
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

/// A searchable picker: the current choice as a drop-down of every name matching the search
/// text beside it; Enter picks the only match. Returns the index picked this frame.
fn picker(
    ui: &mut egui::Ui,
    id: &str,
    label: egui::Id,
    names: &[String],
    current: usize,
    query: &mut String,
) -> Option<usize> {
    let mut picked = None;
    ui.horizontal(|ui| {
        let search = ui.add(
            egui::TextEdit::singleline(query)
                .id_salt(format!("{id}-search"))
                .hint_text("type to search")
                .desired_width(110.0),
        );
        // After the text edit: this frame's typing counts.
        let hits = view::matching(names, query);
        if search.lost_focus()
            && ui.input(|i| i.key_pressed(egui::Key::Enter))
            && let [k] = hits.as_slice()
        {
            picked = Some(*k);
        }
        let combo = egui::ComboBox::from_id_salt(format!("{id}-pick"))
            .width(ui.available_width() - 8.0)
            .selected_text(names.get(current).cloned().unwrap_or_default())
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

impl EditorApp {
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
mod tests {
    //! The editor in-process, in egui's test harness: no window and no GL, its widgets found
    //! through the accessibility tree by what they say. The smoke test of the real window
    //! under Xvfb (tests/editor_gui.py) stays.

    use super::*;
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;
    use nice_plug::context::PluginApi;
    use nice_plug::context::gui::GuiContextInner;
    use nice_plug::params::internals::ParamPtr;
    use std::time::Duration;

    /// Stands in for the host: a parameter the editor sets takes its value at once.
    struct Host;

    impl GuiContextInner for Host {
        fn plugin_api(&self) -> PluginApi {
            PluginApi::Clap
        }

        unsafe fn raw_begin_set_parameter(&self, _param: ParamPtr) {}

        unsafe fn raw_set_parameter_normalized(&self, param: ParamPtr, normalized: f32) {
            // SAFETY: the pointer is to one of the parameters the test's `LoadlineParams`
            // owns, alive for the whole test.
            unsafe { param._internal_set_normalized_value(normalized) };
        }

        unsafe fn raw_end_set_parameter(&self, _param: ParamPtr) {}

        fn get_state(&self) -> PluginState {
            unreachable!("the editor never reads the plugin's state")
        }

        fn set_state(&self, _state: PluginState) {
            unreachable!("the editor never sets the plugin's state")
        }

        fn request_restart(&self) {}
    }

    fn harness(params: Arc<LoadlineParams>) -> Harness<'static, EditorApp> {
        harness_with(params, None)
    }

    /// The editor in a window tall enough to show the whole left column.
    fn tall_harness(params: Arc<LoadlineParams>) -> Harness<'static, EditorApp> {
        harness_sized(params, None, [1200.0, 1600.0])
    }

    /// The editor with the user's catalog at `user_catalog`.
    fn harness_with(
        params: Arc<LoadlineParams>,
        user_catalog: Option<std::path::PathBuf>,
    ) -> Harness<'static, EditorApp> {
        harness_sized(params, user_catalog, [1200.0, 800.0])
    }

    /// The editor in a window of `size` logical pixels.
    fn harness_sized(
        params: Arc<LoadlineParams>,
        user_catalog: Option<std::path::PathBuf>,
        size: [f32; 2],
    ) -> Harness<'static, EditorApp> {
        let mut app = EditorApp::new(params, Arc::new(Meters::default()), user_catalog);
        app.gui = Some(GuiContext::new(Arc::new(Host)));
        Harness::builder()
            .with_size(size)
            .build_ui_state(|ui, app: &mut EditorApp| app.draw(ui), app)
    }

    /// Steps until the analysis asked for is on screen (the analyst works on its own thread;
    /// the deadline only turns a hang into a failure).
    fn settle(h: &mut Harness<'_, EditorApp>) -> Arc<Analysis> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            h.step();
            let app = h.state();
            if let (Some(shown), Some((_, asked))) = (&app.shown, &app.asked)
                && shown.analysis.scenario == *asked
            {
                let analysis = Arc::clone(&shown.analysis);
                h.step();
                return analysis;
            }
            assert!(Instant::now() < deadline, "no analysis on screen");
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Sets `param` the way the editor does, through the host.
    fn set<P: Param>(h: &Harness<'_, EditorApp>, param: &P, value: P::Plain) {
        gesture(
            &h.state().gui.as_ref().unwrap().param_setter(),
            param,
            value,
        );
    }

    /// The verdict shown is the analysis's report of what is heard, and the A / B switch
    /// changes what is heard and the verdict with it.
    #[test]
    fn the_switch_shows_the_verdict_of_what_is_heard() {
        let params = Arc::new(LoadlineParams::default());
        let mut h = harness(params.clone());
        set(&h, &params.output_b, 1);
        let analysis = settle(&mut h);
        assert_eq!(params.heard.value(), Heard::A);
        let [a, b, _] = &analysis.reports;
        assert_ne!(
            a.verdict, b.verdict,
            "the test needs two different verdicts"
        );
        h.get_by_label(&a.verdict);
        assert!(h.query_by_label(&b.verdict).is_none());
        h.get_by_label("  B  ").click();
        h.step();
        h.step();
        assert_eq!(params.heard.value(), Heard::B);
        h.get_by_label(&b.verdict);
        assert!(h.query_by_label(&a.verdict).is_none());
    }

    /// With the volume set by hand, the level section reads the analysis's figures at that
    /// volume, and a new volume brings a new analysis.
    #[test]
    fn a_volume_set_by_hand_shows_the_figures_at_it() {
        let params = Arc::new(LoadlineParams::default());
        let mut h = harness(params.clone());
        set(&h, &params.level_mode, LevelMode::Volume);
        for volume_db in [-30.0, -6.0] {
            set(&h, &params.volume_db, volume_db);
            let analysis = settle(&mut h);
            assert_eq!(analysis.scenario.volume_db, Some(volume_db as f64));
            let f = analysis.figures_at_volume(Slot::A).unwrap();
            let (text, _) = view::volume_text(f.reference_spl_db, f.headroom_db);
            h.get_by_label(&text);
        }
        set(&h, &params.level_mode, LevelMode::TargetSpl);
        assert_eq!(settle(&mut h).scenario.volume_db, None);
    }

    /// The headphone line and the outputs' figures come from the same analysis.
    #[test]
    fn the_figures_beside_the_pickers_are_the_analysis() {
        let params = Arc::new(LoadlineParams::default());
        let mut h = harness(params.clone());
        let analysis = settle(&mut h);
        let a = analysis.report(Slot::A);
        h.get_by_label(&format!("damping factor {:.1}", a.damping_factor));
        let peaks = view::peaks_text(a);
        assert!(!h.query_all_by_label(&peaks).collect::<Vec<_>>().is_empty());
        let hp = &analysis.scenario.headphone;
        h.get_by_label_contains(&format!("{:.1} dB SPL/V", hp.sens_db_spl_per_v));
    }

    /// Another headphone on the jack, set where a host would set it, is in the analysis the
    /// editor shows: the plots' headphone is the shared jack's, and the "Also on this jack"
    /// section tells each listener what they get, as the core's figures say.
    #[test]
    fn a_second_headphone_on_the_jack_shows_what_each_listener_gets() {
        let params = Arc::new(LoadlineParams::default());
        let mut h = tall_harness(params.clone());
        let dt770 = catalog::find_headphone("dt 770 32").unwrap();
        set(&h, &params.with_1, Listeners::other_to_param(Some(dt770)));
        let analysis = settle(&mut h);
        assert_eq!(analysis.scenario.others.len(), 1);
        assert!(
            analysis.heard.name.contains("DT 770 Pro 32 ohm"),
            "{}",
            analysis.heard.name
        );
        h.get_by_label("Also on this jack").click();
        h.step();
        h.step();
        let jack = analysis.jack[Slot::A as usize]
            .as_ref()
            .expect("a shared jack");
        for (label, sentence) in jack.sentences() {
            h.get_by_label(&listener_line(label, &sentence));
        }
    }

    /// The others on outputs of their own, set where a host would set it: the analysis shown
    /// has the distribution amplifier's stage with their loads on its supply, the same stage
    /// the plugin plays, the heard headphone's load alone, and the section (retitled) tells
    /// every listener what the core's figures say; an output with one headphone output says
    /// who was left out.
    #[test]
    fn others_on_their_own_outputs_show_the_shared_supply() {
        use crate::params::OthersOnChoice;
        let params = Arc::new(LoadlineParams::default());
        let mut h = tall_harness(params.clone());
        let ha8000 = catalog::find_output("ha8000").unwrap();
        let dt770 = catalog::find_headphone("dt 770 32").unwrap();
        set(
            &h,
            &params.output_a,
            OutputChoice::Catalog(ha8000).to_param(),
        );
        set(&h, &params.with_1, Listeners::other_to_param(Some(dt770)));
        set(&h, &params.with_1_volume_db, 6.0);
        set(&h, &params.others_on, OthersOnChoice::OwnOutputs);
        let analysis = settle(&mut h);
        let a = &analysis.outputs[Slot::A as usize];
        assert_eq!(a.stage, params.slot_stage(Heard::A), "shown as played");
        assert_eq!(a.stage.supply.others().len(), 1);
        assert_eq!(analysis.heard.load, analysis.scenario.headphone.load);
        h.get_by_label("On the other outputs").click();
        h.step();
        h.step();
        let own = analysis.jack[Slot::A as usize].as_ref().expect("listeners");
        for (label, sentence) in own.sentences() {
            h.get_by_label(&listener_line(label, &sentence));
        }
        h.get_by_label("Listener 2 volume, against yours");
        // Slot B, the Scarlett 2i2, has one headphone output: heard, it says so.
        set(&h, &params.heard, Heard::B);
        let analysis = settle(&mut h);
        let note = analysis.outputs[Slot::B as usize].left_out.clone();
        h.step();
        h.get_by_label(&note.expect("a note"));
    }

    /// Slot A fed into an amplifier, set where a host would set it: the analysis the editor
    /// shows is the chain's (its name, its stage, the stage that clips first), and a chain that
    /// makes no sense says why and plays the output alone.
    #[test]
    fn a_chain_shows_its_stages_and_a_bad_one_says_why() {
        use loadline_core::scenario::amp_to_param;
        let params = Arc::new(LoadlineParams::default());
        let mut h = tall_harness(params.clone());
        let umc = catalog::find_output("umc202hd").unwrap();
        let magni = catalog::find_output("magni 2").unwrap();
        set(&h, &params.output_a, OutputChoice::Catalog(umc).to_param());
        set(&h, &params.chain_a.amp, amp_to_param(Some(magni)));
        set(&h, &params.chain_a.jack, JackChoice::LineOut);
        let analysis = settle(&mut h);
        let a = analysis.report(Slot::A);
        assert_eq!(a.output, "Behringer UMC202HD line out -> Schiit Magni 2");
        let spec = params.chain_spec(Heard::A).unwrap().unwrap();
        assert_eq!(analysis.scenario.outputs[0].stage, spec.stage().unwrap());
        h.get_by_label("Into an amplifier").click();
        h.step();
        h.step();
        h.get_by_label(&a.stages_sentence().expect("a chain's stages"));
        // The amplifier fed from itself: refused, and output A plays alone.
        set(
            &h,
            &params.output_a,
            OutputChoice::Catalog(magni).to_param(),
        );
        let analysis = settle(&mut h);
        assert_eq!(
            analysis.scenario.outputs[0].stage,
            catalog::output_stage(magni).unwrap()
        );
        h.get_by_label_contains("cannot feed itself");
        // Slot A's own figures feed it too, named as the slot.
        set(&h, &params.output_a, OutputChoice::Custom.to_param());
        set(&h, &params.chain_a.jack, JackChoice::HeadphoneOut);
        let analysis = settle(&mut h);
        assert_eq!(
            analysis.report(Slot::A).output,
            "Custom output A -> Schiit Magni 2"
        );
        let spec = params.chain_spec(Heard::A).unwrap().unwrap();
        assert_eq!(
            spec.source,
            loadline_core::catalog::ChainSource::Own(params.slot_a.stage())
        );
        assert_eq!(analysis.scenario.outputs[0].stage, spec.stage().unwrap());
    }

    /// A user catalog file of its own for test `name`, holding `text`.
    fn user_file(name: &str, text: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("loadline-editor-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("catalog.toml");
        std::fs::write(&path, text).unwrap();
        path
    }

    /// An interface of the user's, given as the model's figures, and a headphone of theirs.
    const USER_CATALOG: &str = r#"
[[output]]
maker = "Acme"
model = "Box 2"
kind = "audio-interface"
r_out_ohm = { value = 4.7, basis = "measured", source = "own measurement" }
full_scale_dbu = { value = 13.0, basis = "measured", source = "own measurement" }
rail_v_peak = { value = 5.0, basis = "measured", source = "own measurement" }
i_max_ma_peak = { value = 90.0, basis = "measured", source = "own measurement" }
noise_dbv = { value = -104.0, basis = "measured", source = "own measurement" }
noise_a_weighted = true
dynamic_range_db = { value = 112.0, basis = "estimated", source = "a guess", note = "typical of its class" }
dynamic_range_a_weighted = true
"#;

    /// Picks the user's output `k` for slot `heard`, as the picker does when it is chosen.
    fn pick_users_output(h: &mut Harness<'_, EditorApp>, heard: Heard, k: usize) {
        let app = h.state_mut();
        let setter = app.gui.as_ref().unwrap().param_setter();
        app.yours.pick_output(&app.params, &setter, heard, k);
        h.step();
    }

    /// Types `text` into the text field labelled `label`.
    fn type_into(h: &mut Harness<'_, EditorApp>, label: &str, text: &str) {
        let field = h.get_by_role_and_label(egui::accesskit::Role::TextInput, label);
        field.focus();
        field.type_text(text);
        h.step();
    }

    #[test]
    fn a_users_output_is_picked_beside_the_built_in_ones_and_plays_as_its_figures() {
        let path = user_file("pick", USER_CATALOG);
        let params = Arc::new(LoadlineParams::default());
        let mut h = harness_with(params.clone(), Some(path));
        settle(&mut h);
        // Its estimated dynamic range is said in the picker (noise is a deciding figure).
        let names = h.state().yours.output_names(&h.state().output_names);
        assert_eq!(
            names.last().unwrap(),
            "Acme Box 2 (yours) (estimated: noise)"
        );
        pick_users_output(&mut h, Heard::B, 0);
        assert_eq!(
            OutputChoice::from_param(params.output_b.value()),
            OutputChoice::Custom
        );
        let entry = h.state().yours.catalog.outputs[0].entry.clone();
        assert!(params.slot_b.holds(&entry.model_figures()));
        assert_eq!(params.user_output(Heard::B), Some(entry.clone()));
        let analysis = settle(&mut h);
        let b = &analysis.scenario.outputs[Slot::B as usize];
        assert_eq!(b.name, "Acme Box 2 (yours)");
        assert_eq!(b.provenance, entry.provenance());
        assert_eq!(b.stage, params.slot_b.stage());
        // Moving one of its figures makes it the custom output again, with an offer to update.
        set(&h, &params.slot_b.r_out_ohm, 10.0);
        let analysis = settle(&mut h);
        assert_eq!(
            analysis.scenario.outputs[Slot::B as usize].name,
            "Custom output B"
        );
        h.get_by_label("Update");
    }

    #[test]
    fn a_custom_output_saved_as_yours_is_written_and_named() {
        let path = user_file("save", "# mine\n");
        let params = Arc::new(LoadlineParams::default());
        let mut h = harness_with(params.clone(), Some(path.clone()));
        set(&h, &params.slot_a.r_out_ohm, 33.0);
        settle(&mut h);
        h.get_by_label("Save as yours…").click();
        h.step();
        type_into(&mut h, "Maker", "Acme");
        type_into(&mut h, "Model", "Desk amp");
        h.get_by_label("Save to your devices").click();
        h.step();
        h.step();
        let written = loadline_core::catalog::user::UserCatalog::load(&path).unwrap();
        assert_eq!(written.outputs.len(), 1);
        let entry = &written.outputs[0].entry;
        assert_eq!(entry.name(), "Acme Desk amp");
        assert_eq!(entry.stage(), params.slot_a.stage());
        assert!(params.slot_a.holds(&entry.model_figures()));
        assert_eq!(params.user_output(Heard::A).as_ref(), Some(entry));
        let analysis = settle(&mut h);
        assert_eq!(
            analysis.scenario.outputs[Slot::A as usize].name,
            "Acme Desk amp (yours)"
        );
        // And deleted again: the file keeps its comment, the slot its figures.
        h.get_by_label("Delete").click();
        h.step();
        h.step();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "# mine\n");
        assert_eq!(params.slot_a.r_out_ohm.value(), 33.0);
        assert_eq!(
            settle(&mut h).scenario.outputs[Slot::A as usize].name,
            "Custom output A"
        );
    }

    #[test]
    fn a_bad_user_file_is_named_at_its_line_and_the_built_in_catalog_stays() {
        let path = user_file("bad", "[[output]]\nmaker = \"Acme\"\nmodel = Box\n");
        let params = Arc::new(LoadlineParams::default());
        let mut h = harness_with(params.clone(), Some(path.clone()));
        settle(&mut h);
        let problem = h.state().yours.problem.clone().unwrap();
        assert!(
            problem.contains(&format!("{}:3:", path.display())),
            "{problem}"
        );
        h.get_by_label(&problem);
        // Every built-in output is still offered, and nothing else.
        let app = h.state();
        assert_eq!(app.yours.output_names(&app.output_names), app.output_names);
        assert_eq!(app.output_names.len(), catalog::outputs().len() + 1);
    }

    #[test]
    fn a_users_headphone_is_played_and_an_imported_curve_saved_as_one() {
        use loadline_core::physics::impedance::MeasuredCurve;
        let path = user_file("headphone", "");
        let mine = loadline_core::catalog::HeadphoneEntry {
            index: 0,
            maker: "Mine".into(),
            model: "IEM".into(),
            variant: String::new(),
            ..catalog::headphones()[4].clone()
        };
        let user = loadline_core::catalog::user::UserCatalog::load(&path).unwrap();
        user.add_headphone(&mine).unwrap();
        let params = Arc::new(LoadlineParams::default());
        let mut h = harness_with(params.clone(), Some(path.clone()));
        let app = h.state_mut();
        let setter = app.gui.as_ref().unwrap().param_setter();
        app.yours.pick_headphone(&app.params, &setter, 0);
        let analysis = settle(&mut h);
        assert_eq!(analysis.scenario.headphone.name, "Mine IEM (yours)");
        assert_eq!(analysis.scenario.headphone.load, mine.model().load);
        assert_eq!(analysis.scenario.headphone_provenance, mine.provenance());
        h.get_by_label("Delete");

        // A measured curve imported: saved as the user's, its key points and sensitivity.
        let curve =
            MeasuredCurve::sampled_from(&catalog::headphone_models()[2].load, 5.0, 40_000.0, 300);
        params.imported.set(Some(ImportedHeadphone {
            name: "cans.zma".into(),
            sens_db_spl_per_v: 104.0,
            phase_derived: false,
            points: curve
                .points()
                .iter()
                .map(|p| [p.freq_hz, p.mag_ohm, p.phase_deg])
                .collect(),
            entry: None,
        }));
        settle(&mut h);
        h.get_by_label("Save curve as yours…").click();
        h.step();
        type_into(&mut h, "Maker", "Mine");
        type_into(&mut h, "Model", "Cans");
        h.get_by_label("Save to your devices").click();
        h.step();
        let written = loadline_core::catalog::user::UserCatalog::load(&path).unwrap();
        assert_eq!(written.headphones.len(), 2);
        let saved = &written.headphones[1].entry;
        assert_eq!(saved.name(), "Mine Cans");
        assert_eq!(saved.sens_db_spl_per_v(), 104.0);
        let key = catalog::curve_key_points(&curve).unwrap();
        assert_eq!(saved.points.z_1k_ohm.value, key.z_1k_ohm);
        assert_eq!(saved.points.rdc_ohm.value, key.rdc_ohm);
        assert_eq!(saved.points.z_1k_ohm.source, "own measurement");
    }

    /// Steps until the import the button started is done, and returns its message.
    fn imported(h: &mut Harness<'_, EditorApp>) -> (bool, String) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while h.state().import_job.is_some() || h.state().import_message.is_none() {
            assert!(Instant::now() < deadline, "the import never finished");
            h.step();
            std::thread::sleep(Duration::from_millis(5));
        }
        h.state().import_message.clone().expect("a message")
    }

    /// An impedance file is read on a thread of its own, and only a good one becomes the
    /// headphone: a bad one says why and leaves the headphone as it was.
    #[test]
    fn a_curve_is_imported_off_the_gui_thread_and_a_bad_one_changes_nothing() {
        use loadline_core::physics::impedance::MeasuredCurve;
        let dir = user_file("import", "").with_file_name("");
        let good = dir.join("cans.zma");
        let curve =
            MeasuredCurve::sampled_from(&catalog::headphone_models()[2].load, 5.0, 40_000.0, 300);
        std::fs::write(&good, loadline_core::import::to_zma(&curve, "cans")).unwrap();
        let bad = dir.join("bad.txt");
        std::fs::write(&bad, "20 300 0\n100 abc 0\n").unwrap();
        let params = Arc::new(LoadlineParams::default());
        let mut h = tall_harness(params.clone());
        h.get_by_label("Import a measured curve").click();
        // The section opens over a few frames: click only once it stands still.
        for _ in 0..60 {
            h.step();
        }
        let before = params.headphone.value();
        h.state_mut().import_path = bad.display().to_string();
        h.get_by_label("Load curve").click();
        h.step();
        let (ok, message) = imported(&mut h);
        assert!(!ok && message.contains("line 2"), "{message}");
        assert_eq!(params.headphone.value(), before);
        assert!(params.imported.get().is_none());
        h.state_mut().import_path = good.display().to_string();
        h.state_mut().import_sens = "104 dB/V".into();
        h.state_mut().import_message = None;
        h.get_by_label("Load curve").click();
        h.step();
        let (ok, message) = imported(&mut h);
        assert!(
            ok && message.starts_with("Loaded cans.zma: 300 points"),
            "{message}"
        );
        assert_eq!(params.headphone.value(), HeadphoneChoice::imported_param());
        let imported = params.imported.get().expect("the curve");
        assert_eq!(imported.sens_db_spl_per_v, 104.0);
        assert_eq!(imported.points.len(), 300);
    }
}
