//! The editor in-process, in egui's test harness: no window and no GL, its widgets found
//! through the accessibility tree by what they say. The smoke test of the real window
//! under Xvfb (tests/editor_gui.py) stays.

use super::jack::listener_line;
use super::*;
use crate::params::{ImportedHeadphone, JackChoice};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use loadline_core::physics::Impedance;
use loadline_core::scenario::OtherChoice;
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

/// Every text the last frame drew, with where it is on screen, where it was clipped, and
/// whether it was cut short: (text, rect, clip rect, elided).
fn drawn_texts(h: &Harness<'_, EditorApp>) -> Vec<(String, egui::Rect, egui::Rect, bool)> {
    fn walk(
        shape: &egui::Shape,
        clip: egui::Rect,
        out: &mut Vec<(String, egui::Rect, egui::Rect, bool)>,
    ) {
        match shape {
            egui::Shape::Text(t) => out.push((
                t.galley.text().to_string(),
                t.galley.rect.translate(t.pos.to_vec2()),
                clip,
                t.galley.elided,
            )),
            egui::Shape::Vec(shapes) => shapes.iter().for_each(|s| walk(s, clip, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for clipped in &h.output().shapes {
        walk(&clipped.shape, clipped.clip_rect, &mut out);
    }
    out
}

/// A picked name is shown whole, marks and all, at the editor's default size: its text is
/// laid out in full, inside its picker, and inside the part of the column on screen (a name
/// running on past the column's edge is cut there, its marks unseen).
#[test]
fn a_picked_name_is_shown_whole_with_its_marks() {
    use egui_kittest::kittest::NodeT;
    let params = Arc::new(LoadlineParams::default());
    let mut h = harness_sized(params.clone(), None, EDITOR_DEFAULT_SIZE);
    let dt990 = catalog::find_headphone("dt 990 600").unwrap();
    let dell = OutputChoice::Catalog(catalog::find_output("dell").unwrap()).to_param();
    set(&h, &params.headphone, dt990 as i32);
    set(&h, &params.output_b, dell);
    settle(&mut h);
    let app = h.state();
    let picked = [
        ("Headphone", app.headphone_names[dt990].clone()),
        ("Output B", app.output_names[dell as usize].clone()),
    ];
    let texts = drawn_texts(&h);
    for (heading, name) in picked {
        assert!(
            name.contains(" (estimated: "),
            "the test needs marks: {name}"
        );
        let node = h.get_by_role_and_label(egui::accesskit::Role::ComboBox, heading);
        let b = node
            .accesskit_node()
            .bounding_box()
            .expect("a picker on screen");
        let picker = egui::Rect::from_min_max(
            egui::pos2(b.x0 as f32, b.y0 as f32),
            egui::pos2(b.x1 as f32, b.y1 as f32),
        );
        let Some((_, text, clip, elided)) = texts.iter().find(|(t, ..)| *t == name) else {
            panic!("{name:?} is not drawn whole");
        };
        assert!(!elided, "{name:?} is cut short");
        assert!(
            picker.expand(0.5).contains_rect(*text),
            "{name:?} at {text:?} runs out of its picker at {picker:?}"
        );
        assert!(
            clip.contains_rect(*text),
            "{name:?} at {text:?} runs out of sight, past {clip:?}"
        );
    }
}

/// Another headphone on the jack, set where a host would set it, is in the analysis the
/// editor shows: the plots' headphone is the shared jack's, and the "Also on this jack"
/// section tells each listener what they get, as the core's figures say.
#[test]
fn a_second_headphone_on_the_jack_shows_what_each_listener_gets() {
    let params = Arc::new(LoadlineParams::default());
    let mut h = tall_harness(params.clone());
    let dt770 = catalog::find_headphone("dt 770 32").unwrap();
    set(
        &h,
        &params.with_1,
        Listeners::other_to_param(Some(OtherChoice::Catalog(dt770))),
    );
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
    set(
        &h,
        &params.with_1,
        Listeners::other_to_param(Some(OtherChoice::Catalog(dt770))),
    );
    set(&h, &params.with_1_volume_db, 6.0);
    set(&h, &params.others_on, OthersOnChoice::OwnOutputs);
    let analysis = settle(&mut h);
    let a = &analysis.outputs[Slot::A as usize];
    assert_eq!(
        a.stage,
        params.slot_stage(Heard::A, &params.saved.now()),
        "shown as played"
    );
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
    let spec = params
        .chain_spec(Heard::A, &params.saved.now())
        .unwrap()
        .unwrap();
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
    let spec = params
        .chain_spec(Heard::A, &params.saved.now())
        .unwrap()
        .unwrap();
    assert_eq!(
        spec.source,
        loadline_core::catalog::ChainSource::Own(loadline_core::catalog::OwnSource::headphone_out(
            params.slot_a.stage()
        ))
    );
    assert_eq!(analysis.scenario.outputs[0].stage, spec.stage().unwrap());
}

/// A user catalog file of its own for test `name`, holding `text`.
fn user_file(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("loadline-editor-{}-{name}", std::process::id()));
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

/// Plays the take the editor handed to `player` as the audio thread does, with the input the
/// simulated interface records of the plugin's output: the output is the signal alone whatever
/// the input, so recording the signal first and feeding that back is the loop itself, with
/// the interface's latency as its delay. Checks that the output is the signal alone.
fn play_through(
    player: &mut loadline_core::measure::take::TakePlayer,
    out: &loadline_testkit::interface::SimOutput,
    input: &loadline_testkit::interface::SimInput,
    pass: loadline_testkit::interface::SimPass,
) {
    let rate = 48_000.0;
    let (signal, _) = loadline_core::measure::signal::signal(rate);
    let recorded = loadline_testkit::interface::record(&signal, rate, out, input, &pass);
    let block = 512;
    let mut pos = 0;
    loop {
        let at = |i: usize, c: usize| recorded.get(i).map_or(0.0, |f| f[c]);
        let mut l: Vec<f32> = (pos..pos + block).map(|i| at(i, 0)).collect();
        let mut r: Vec<f32> = (pos..pos + block).map(|i| at(i, 1)).collect();
        if !player.process(&mut [&mut l, &mut r]) {
            break;
        }
        for (i, (a, b)) in l.iter().zip(&r).enumerate() {
            let expected = signal.get(pos + i).copied().unwrap_or([0.0; 2]);
            assert_eq!(
                [*a, *b],
                expected,
                "the output at {} is the signal alone",
                pos + i
            );
        }
        pos += block;
    }
}

/// Steps until `done` holds (the checks and the analysis run on threads of their own).
fn step_until(h: &mut Harness<'_, EditorApp>, done: impl Fn(&EditorApp) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !done(h.state()) {
        assert!(Instant::now() < deadline, "{:?}", h.state().measure.message);
        std::thread::sleep(Duration::from_millis(20));
        h.step();
    }
}

#[test]
fn the_measure_panel_records_both_passes_and_saves_the_output_report_then_uses() {
    use loadline_testkit::interface::{Pass, SimPass};
    use loadline_testkit::loopback;
    let path = user_file("measure", "");
    let params = Arc::new(LoadlineParams::default());
    let (link, mut player) = crate::measuring::MeasureLink::new();
    let link = Arc::new(link);
    link.set_rate_hz(48_000.0);
    let mut app = EditorApp::new(params, Arc::new(Meters::default()), Some(path.clone()))
        .with_measure(link.clone());
    app.gui = Some(GuiContext::new(Arc::new(Host)));
    let mut h = Harness::builder()
        .with_size([1200.0, 2400.0])
        .build_ui_state(|ui, app: &mut EditorApp| app.draw(ui), app);
    settle(&mut h);
    h.get_by_label("Measure your output").click();
    h.step();
    // The test kit's loopback interface: a 10 Ω output with a 40 mA current limit into a
    // 10 kΩ input at +16.7 dBu.
    let (out, input) = (loopback::output(), loopback::input());
    let dbu = format!("{:.4}", loopback::input_full_scale_dbu());
    type_into(&mut h, "Input full scale", &dbu);
    type_into(&mut h, "Input impedance", "10k");
    for (label, pass, seed) in [
        ("Record open pass", Pass::Open, 1),
        (
            "Record loaded pass",
            Pass::Loaded {
                load_ohm: loopback::LOAD_OHM.1,
            },
            2,
        ),
    ] {
        h.get_by_label(label).click();
        h.step();
        let sim = SimPass {
            pass,
            volume_gain: 1.0,
            seed,
        };
        play_through(&mut player, &out, &input, sim);
        let loaded = matches!(pass, Pass::Loaded { .. });
        step_until(&mut h, |app| {
            if loaded {
                app.measure.loaded.is_some()
            } else {
                app.measure.open.is_some()
            }
        });
    }
    h.get_by_label("Analyse").click();
    step_until(&mut h, |app| app.measure.result.is_some());
    let measured = h.state().measure.result.clone().unwrap();
    let [lo, hi] = measured.r_out_ohm.range;
    assert!(lo <= 10.0 && 10.0 <= hi, "{:?}", measured.r_out_ohm);
    assert!((measured.r_out_ohm.value - 10.0).abs() < 0.25);
    h.get_by_label_contains("impedance   ");
    type_into(&mut h, "Name", "Bench Box");
    h.get_by_label("Save as yours").click();
    h.step();
    let (ok, said) = h.state().measure.message.clone().unwrap();
    assert!(
        ok && said.starts_with("Saved as Bench Box (yours)"),
        "{said}"
    );
    // What report then uses: the entry in the file, its stage the measured one.
    let written = loadline_core::catalog::user::UserCatalog::load(&path).unwrap();
    let entry = &written.outputs[0].entry;
    assert_eq!(entry.r_out_ohm.value, measured.r_out_ohm.value);
    assert_eq!(entry.r_out_ohm.range, Some(measured.r_out_ohm.range));
    let hd600 = loadline_core::catalog::find_headphone("HD 600").unwrap();
    let model = &loadline_core::catalog::headphone_models()[hd600];
    let report = loadline_core::analysis::AnalysedOutput::user(entry).report(model, &[], &[], 85.0);
    let z_1k = model.load.z_ohm(1000.0).norm();
    assert!((report.damping_factor - z_1k / measured.r_out_ohm.value).abs() < 1e-6);
    // The range is reported across: the figures at the measurement's ends.
    assert!(report.range.is_some());
}

/// The user's amplifier and another listener's headphone of theirs, saved with the project
/// and picked as "saved with the project" where a host would set it: the analysis shown has
/// the stage and the load of the catalog devices they copy (the stage the plugin plays),
/// named as the user's, and the chain's section names the saved amplifier.
#[test]
fn your_amplifier_and_a_listeners_headphone_are_analysed_as_the_catalogs() {
    use loadline_core::scenario::amp_to_param;
    let params = Arc::new(LoadlineParams::default());
    let mut h = tall_harness(params.clone());
    let umc = catalog::find_output("umc202hd").unwrap();
    let magni = catalog::find_output("magni 2").unwrap();
    let dt770 = catalog::find_headphone("dt 770 32").unwrap();
    set(&h, &params.output_a, OutputChoice::Catalog(umc).to_param());
    set(&h, &params.chain_a.jack, JackChoice::LineOut);
    set(&h, &params.chain_a.amp, amp_to_param(Some(magni)));
    let other = Listeners::other_to_param(Some(OtherChoice::Catalog(dt770)));
    set(&h, &params.with_1, other);
    let catalogs = settle(&mut h);

    let amp = catalog::OutputEntry {
        maker: "Bench".into(),
        model: "Amp".into(),
        variant: String::new(),
        ..catalog::outputs()[magni].clone()
    };
    let cans = catalog::HeadphoneEntry {
        maker: "Bench".into(),
        model: "Cans".into(),
        variant: String::new(),
        ..catalog::headphones()[dt770].clone()
    };
    params.saved.update(|s| {
        s.amps[0] = Some(amp);
        s.others[0] = Some(ImportedHeadphone::from_entry(cans));
    });
    set(&h, &params.chain_a.amp, Listeners::SAVED);
    set(&h, &params.with_1, Listeners::SAVED);
    let yours = settle(&mut h);
    let (a, reference) = (&yours.outputs[0], &catalogs.outputs[0]);
    assert_eq!(a.stage, reference.stage);
    assert_eq!(a.stage, params.slot_stage(Heard::A, &params.saved.now()));
    assert_eq!(yours.heard.load, catalogs.heard.load);
    assert_eq!(a.provenance, reference.provenance);
    assert_eq!(a.range_stages, reference.range_stages);
    let named = &yours.report(Slot::A).output;
    assert!(named.ends_with("-> Bench Amp (yours)"), "{named}");
    assert!(
        yours.heard.name.contains("Bench Cans (yours)"),
        "{}",
        yours.heard.name
    );
    assert_eq!(
        yours.report(Slot::A).volume_db,
        catalogs.report(Slot::A).volume_db
    );
    h.get_by_label("Into an amplifier").click();
    h.step();
    h.step();
    let saved = "Bench Amp (yours) (saved with the project)";
    let texts = drawn_texts(&h);
    assert!(
        texts.iter().any(|(t, ..)| t == saved),
        "{saved:?} is not shown"
    );
}

/// Every factory setup, loaded from the menu's list into the parameters: the analysis shown is
/// the one the core resolves from the setup itself (the stages of A and B, the headphone, the
/// listeners, the level), the menu names it, and a parameter moved after it marks it changed.
#[test]
fn every_factory_setup_loads_as_the_core_resolves_it() {
    use loadline_core::setups;
    let params = Arc::new(LoadlineParams::default());
    let mut h = tall_harness(params.clone());
    settle(&mut h);
    let user = loadline_core::catalog::user::UserCatalog::default();
    for setup in setups::factory() {
        h.state_mut().load_setup_named(&setup.name, setup, None);
        assert!(h.state().setups.message.is_none(), "{}", setup.name);
        let analysis = settle(&mut h);
        let (choices, _) = setup.choices(&user).unwrap();
        let want = loadline_core::choices::resolve(&choices).unwrap();
        let got = &analysis.scenario;
        for k in 0..2 {
            assert_eq!(
                got.outputs[k].stage, want.outputs[k].stage,
                "{}",
                setup.name
            );
            assert_eq!(got.outputs[k].name, want.outputs[k].name, "{}", setup.name);
        }
        assert_eq!(got.headphone.name, want.headphone.name, "{}", setup.name);
        let names = |s: &Scenario| {
            s.others
                .iter()
                .map(|o| o.model.name.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(got), names(&want), "{}", setup.name);
        assert_eq!(got.others_on, want.others_on, "{}", setup.name);
        assert_eq!(
            got.target_spl_db as f32, want.target_spl_db as f32,
            "{}",
            setup.name
        );
        assert_eq!(got.volume_db, want.volume_db, "{}", setup.name);
        assert!(
            drawn_texts(&h).iter().any(|(t, ..)| *t == setup.name),
            "{}",
            setup.name
        );
    }
    set(&h, &params.target_spl_db, 70.0);
    settle(&mut h);
    let last = &setups::factory().last().unwrap().name;
    let changed = format!("{last} (changed)");
    assert!(
        drawn_texts(&h).iter().any(|(t, ..)| *t == changed),
        "{changed}"
    );
}

/// Every factory setup, loaded, saved as the user's from the menu and loaded again into a
/// fresh plugin: the file is the setup (named anew), and every parameter's value is the same,
/// bit for bit.
#[test]
fn a_setup_saved_from_the_editor_loads_back_to_the_same_parameters() {
    use loadline_core::setups;
    let dir = std::env::temp_dir().join(format!("loadline-editor-{}-setups", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let values = |p: &LoadlineParams| -> Vec<(String, u32)> {
        (p.param_map().into_iter())
            .map(|(id, ptr, _)| (id, unsafe { ptr.unmodulated_normalized_value() }.to_bits()))
            .collect()
    };
    for (k, setup) in setups::factory().iter().enumerate() {
        let params = Arc::new(LoadlineParams::default());
        let mut h = tall_harness(params.clone());
        h.state_mut().load_setup_named(&setup.name, setup, None);
        let name = format!("Mine {k}");
        h.state_mut().save_setup_in(&dir, &name);
        let message = h.state().setups.message.clone();
        assert!(message.as_ref().is_some_and(|(ok, _)| *ok), "{message:?}");
        let file = setups::file_in(&dir, &name);
        let text = std::fs::read_to_string(&file).unwrap();
        let back = setups::Setup::parse(&file, &text).unwrap();
        let want = setups::Setup {
            name: name.clone(),
            question: String::new(),
            ..setup.clone()
        };
        assert_eq!(back, want, "{}", setup.name);
        let again = Arc::new(LoadlineParams::default());
        let mut g = tall_harness(again.clone());
        g.state_mut().load_setup_named(&name, &back, None);
        assert_eq!(values(&params), values(&again), "{}", setup.name);
        // A name taken is refused, and nothing is written over.
        h.state_mut().save_setup_in(&dir, &name);
        let message = h.state().setups.message.clone();
        assert!(
            message
                .as_ref()
                .is_some_and(|(ok, m)| !ok && m.contains("already named")),
            "{message:?}"
        );
        assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
    }
}

/// The user's setup saved from the menu, then updated with a new level, renamed and deleted:
/// each step is in the file (and only the renamed file is left), and what is set stays.
#[test]
fn a_setup_of_yours_is_updated_renamed_and_deleted_from_the_menu() {
    use loadline_core::setups;
    let dir = std::env::temp_dir().join(format!("loadline-editor-{}-manage", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let params = Arc::new(LoadlineParams::default());
    let mut h = tall_harness(params.clone());
    let first = &setups::factory()[0];
    h.state_mut().load_setup_named(&first.name, first, None);
    h.state_mut().save_setup_in(&dir, "Studio");
    let read = |name: &str| {
        let path = setups::file_in(&dir, name);
        let text = std::fs::read_to_string(&path).unwrap();
        setups::Setup::parse(&path, &text).unwrap()
    };
    assert_eq!(read("Studio").level.target_spl_db, Some(90.0));
    set(&h, &params.target_spl_db, 80.0);
    h.state_mut().update_setup();
    assert_eq!(read("Studio").level.target_spl_db, Some(80.0));
    h.state_mut().rename_setup("Studio B");
    assert!(!setups::file_in(&dir, "Studio").exists());
    assert_eq!(read("Studio B").name, "Studio B");
    assert_eq!(read("Studio B").level.target_spl_db, Some(80.0));
    // A name taken is refused, the file left as it was.
    h.state_mut().save_setup_in(&dir, "Studio C");
    h.state_mut().rename_setup("Studio B");
    let message = h.state().setups.message.clone();
    assert!(
        message
            .as_ref()
            .is_some_and(|(ok, m)| !ok && m.contains("already named")),
        "{message:?}"
    );
    assert!(setups::file_in(&dir, "Studio C").exists());
    h.state_mut().delete_setup();
    assert!(!setups::file_in(&dir, "Studio C").exists());
    assert!(setups::file_in(&dir, "Studio B").exists());
    assert_eq!(params.target_spl_db.value(), 80.0);
}
