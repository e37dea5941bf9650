//! The parameters' unit tests: text entry round trips, choices picked by name, slots that
//! hold catalog figures through a host, the Ideal reference's full scale, and the migration
//! of a 0.1.0 state.
//!
//! They exercise the whole tree (`LoadlineParams::default()`), so they sit beside the modules
//! rather than in any one of them.

use super::*;
use loadline_core::catalog;
use loadline_core::physics::output::{OutputFigures, OutputStage};
use loadline_core::scenario::OutputChoice;
use nice_plug::plugin::ParamValue;

#[test]
fn text_settles_after_one_round_trip() {
    // A value just below a decade rounds up into it: its text must be that of the decade
    // (0.100, not 0.1000), so that text → value → text gives the same text.
    let p = LoadlineParams::default();
    let sag = &p.slot_a.r_sag_ohm;
    for k in 0..=1000 {
        let norm = k as f32 / 1000.0;
        let text = sag.normalized_value_to_string(norm, false);
        let back = sag.string_to_normalized_value(&text).unwrap();
        assert_eq!(
            sag.normalized_value_to_string(back, false),
            text,
            "at {norm}"
        );
    }
}

#[test]
fn parameters_round_trip_through_text() {
    let p = LoadlineParams::default();
    let a = &p.slot_a;
    let norm = a.r_out_ohm.string_to_normalized_value("47 ohm").unwrap();
    let back = a.r_out_ohm.preview_plain(norm);
    assert!((back - 47.0).abs() < 1e-3, "{back}");
    assert_eq!(a.r_out_ohm.normalized_value_to_string(norm, true), "47.0 Ω");
    let c = a
        .coupling_cap_uf
        .string_to_normalized_value("100µF")
        .unwrap();
    assert!((a.coupling_cap_uf.preview_plain(c) - 100.0).abs() < 1e-2);
    let c = a
        .coupling_cap_uf
        .string_to_normalized_value("0.47 mF")
        .unwrap();
    assert!((a.coupling_cap_uf.preview_plain(c) - 470.0).abs() < 1e-2);
    assert_eq!(p.level_match.string_to_normalized_value("on"), Some(1.0));
}

#[test]
fn catalog_choices_are_picked_by_name() {
    let p = LoadlineParams::default();
    let pick = |param: &IntParam, text: &str| {
        param
            .string_to_normalized_value(text)
            .map(|n| param.preview_plain(n))
    };
    let k = pick(&p.output_a, "Scarlett 2i2 4th gen").unwrap();
    assert_eq!(
        OutputChoice::from_param(k).name(),
        "Focusrite Scarlett 2i2 4th gen"
    );
    assert_eq!(
        pick(&p.output_a, "custom"),
        Some(OutputChoice::Custom.to_param())
    );
    // "Scarlett" alone is ambiguous and no number: refused.
    assert_eq!(pick(&p.output_b, "Scarlett"), None);
    let hp = pick(&p.headphone, "dt 990 pro 250").unwrap();
    assert_eq!(
        catalog::headphones()[hp as usize].name(),
        "Beyerdynamic DT 990 Pro 250 ohm"
    );
    assert_eq!(
        p.headphone
            .normalized_value_to_string(p.headphone.preview_normalized(hp), true),
        "Beyerdynamic DT 990 Pro 250 ohm"
    );
}

/// Sets a parameter as a host does: through its normalised value.
fn host_set<P: Param>(p: &P, plain: P::Plain) {
    // SAFETY: `p` is a parameter of the test's own `LoadlineParams`, alive for the call.
    unsafe {
        p.as_ptr()
            ._internal_set_normalized_value(p.preview_normalized(plain))
    };
}

#[test]
fn a_slot_holds_every_catalog_outputs_figures_through_the_host() {
    for e in catalog::outputs() {
        let p = LoadlineParams::default();
        let figures = e.model_figures();
        let (values, differs) = p.slot_a.values_for(&figures);
        assert!(!p.slot_a.holds(&figures), "{}: not before", e.name());
        p.slot_a.assign(&values, host_set, host_set);
        assert!(p.slot_a.holds(&figures), "{}", e.name());
        // What the slot could not hold is said; an entry it holds whole plays as itself.
        let whole = figures.rail_v_peak.is_some()
            && figures.i_max_ma_peak.is_some()
            && figures.dynamic_range_db.is_some()
            && figures.noise_floor_dbv.is_some()
            && figures.full_scale_dbu.is_some_and(|fs| fs <= 30.0);
        assert_eq!(differs.is_empty(), whole, "{}: {differs:?}", e.name());
        if whole {
            let (got, want) = (p.slot_a.stage(), e.stage());
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-4 * a.abs().max(b.abs()).max(1e-3);
            assert!(close(got.v_fs_peak, want.v_fs_peak), "{}", e.name());
            assert!(
                close(got.source.r_out_ohm, want.source.r_out_ohm),
                "{}",
                e.name()
            );
            assert!(close(got.rail_v_peak, want.rail_v_peak), "{}", e.name());
            assert!(close(got.i_max_peak, want.i_max_peak), "{}", e.name());
            assert!(
                close(got.noise_post.level_vrms, want.noise_post.level_vrms),
                "{}",
                e.name()
            );
        }
        // Moving one figure means the slot no longer holds the entry.
        host_set(&p.slot_a.r_out_ohm, values.r_out_ohm + 1.0);
        assert!(!p.slot_a.holds(&figures), "{}: after a change", e.name());
    }
}

#[test]
fn a_slots_own_figures_are_its_values() {
    let p = LoadlineParams::default();
    let (values, differs) = p.slot_b.values_for(&p.slot_b.figures());
    assert_eq!(values, p.slot_b.values());
    assert!(differs.is_empty(), "{differs:?}");
    let (_, differs) = p.slot_b.values_for(&OutputFigures::default());
    let said: Vec<&str> = differs
        .iter()
        .map(|d| d.split(':').next().unwrap())
        .collect();
    assert_eq!(
        said,
        [
            "full-scale level",
            "rail limit",
            "current limit",
            "dynamic range",
            "noise floor"
        ]
    );
}

#[test]
fn ideal_takes_the_full_scale_of_the_slot_heard_before_it() {
    let p = LoadlineParams::default();
    // A: the custom slot at its default +10 dBu; B: a catalog output.
    let (a, b) = (
        p.slot_stage(Heard::A, &Default::default()),
        p.slot_stage(Heard::B, &Default::default()),
    );
    assert!(
        (a.v_fs_peak / b.v_fs_peak - 1.0).abs() > 0.01,
        "A and B differ"
    );
    assert_eq!(p.compared_slot(), Heard::A);
    assert_eq!(
        p.slot_stage(Heard::Ideal, &Default::default()),
        OutputStage::perfect_at_full_scale(a.v_fs_peak)
    );
    assert_eq!(p.note_heard(Heard::B), Heard::B);
    assert_eq!(p.note_heard(Heard::Ideal), Heard::B, "Ideal keeps B");
    let i = p.slot_stage(Heard::Ideal, &Default::default());
    assert_eq!(i.v_fs_peak, b.v_fs_peak);
    assert_eq!(i.source.r_out_ohm, 0.0);
    assert!(i.rail_v_peak.is_infinite() && i.i_max_peak.is_infinite());
    assert_eq!(
        i.noise_pre,
        loadline_core::physics::output::NoiseSpec::SILENT
    );
}

#[test]
fn old_states_migrate() {
    let mut state: PluginState = serde_json::from_str(include_str!(
        "../../tests/fixtures/state-0.1.0-before-catalog.json"
    ))
    .unwrap();
    migrate_state(&mut state);
    assert!(matches!(state.params["hp"], ParamValue::I32(1)));
    assert!(matches!(
        state.params["outa"],
        ParamValue::I32(v) if OutputChoice::from_param(v) == OutputChoice::Custom
    ));
    assert!(matches!(state.params["zout"], ParamValue::F32(v) if v == 33.0));
}
