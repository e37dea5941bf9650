//! What is wrong with the catalog, if anything: every figure sourced and plausible.

use super::*;

/// The source of the catalog's class estimates: how they are made is in the documentation.
pub const CLASS_ESTIMATE_SOURCE: &str = "Loadline class estimate (docs/catalog.md)";

/// The source of ratings that are quoted widely but whose makers' pages were not found: the
/// documentation lists them, and they are estimates until checked.
pub const COMMONLY_QUOTED_SOURCE: &str = "commonly quoted rating, unverified (docs/catalog.md)";

/// Whether `source` is one a producer can follow: a web address, the documentation of the
/// class estimates or of the unverified ratings, the ideal reference's definition, or the
/// user's own measurement.
fn cites_a_source(source: &str) -> bool {
    source.starts_with("https://")
        || source.starts_with("http://")
        || [
            CLASS_ESTIMATE_SOURCE,
            COMMONLY_QUOTED_SOURCE,
            "definition",
            "own measurement",
        ]
        .contains(&source)
}

/// How strictly sources are checked: the built-in catalog cites only sources a producer can
/// follow; a user's entry may cite anything (their manual, a review, "own measurement"), as
/// long as it names something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sources {
    /// Built-in: an address or one of the documented sources.
    Followable,
    /// The user's: any non-empty text.
    Named,
}

/// The problems of one figure's provenance: no source, a source the catalog does not
/// accept, or an estimate that does not say how it was made.
fn provenance(out: &mut Vec<String>, what: &str, sources: Sources, f: (Basis, &str, &str)) {
    let (basis, source, note) = f;
    if source.trim().is_empty() {
        out.push(format!("{what} has no source"));
    } else if sources == Sources::Followable && !cites_a_source(source) {
        out.push(format!(
            "{what} cites '{source}': a source is an address, '{CLASS_ESTIMATE_SOURCE}', '{COMMONLY_QUOTED_SOURCE}', a definition or the user's own measurement"
        ));
    }
    if basis == Basis::Estimated && note.trim().is_empty() {
        out.push(format!("{what} is estimated without saying how"));
    }
}

/// The plausible values of the figure named `name`, in its unit.
fn plausible(name: &str) -> (f64, f64) {
    match name {
        "r_out_ohm" | "line_out.r_out_ohm" => (0.0, 1000.0),
        "line_out.full_scale_dbu" => (-20.0, 40.0),
        "line_out.dynamic_range_db" => (60.0, 140.0),
        "amp_input.input_ohm" => (100.0, 10_000_000.0),
        "amp_input.gain_db" | "amp_input.low_gain_db" => (-20.0, 40.0),
        "coupling_cap_uf" => (1.0, 10_000.0),
        "full_scale_dbu" => (-20.0, 40.0),
        "i_max_ma_peak" => (1.0, 10_000.0),
        "flicker_corner_hz" => (0.0, 2000.0),
        "rail_v_peak" => (0.1, 100.0),
        "r_sag_ohm" | "distribution.supply_sag_ohm" => (0.0, 100.0),
        "distribution.outputs" => (2.0, 64.0),
        "dynamic_range_db" => (60.0, 140.0),
        "noise_dbv" => (-150.0, -60.0),
        "nominal_ohm" | "rdc_ohm" | "z_1k_ohm" | "z_10k_ohm" | "z_res_ohm" => (1.0, 2000.0),
        "f_res_hz" => (5.0, 20_000.0),
        "q" => (0.2, 20.0),
        _ => (f64::MIN, f64::MAX),
    }
}

/// The problems of one figure: its provenance, and its value against what is plausible.
fn figure(out: &mut Vec<String>, who: &str, name: &str, f: &Figure, sources: Sources) {
    let what = format!("{who}: {name}");
    provenance(out, &what, sources, (f.basis, &f.source, &f.note));
    let range = plausible(name);
    if !(f.value.is_finite() && f.value >= range.0 && f.value <= range.1) {
        out.push(format!("{what} = {} is outside {range:?}", f.value));
    }
}

/// Everything wrong with one output entry, as readable lines naming it.
pub(super) fn output_problems(e: &OutputEntry, sources: Sources) -> Vec<String> {
    let mut out = Vec::new();
    let who = e.name();
    for (name, f) in e.figures() {
        figure(&mut out, &who, name, f, sources);
    }
    out.extend(level_form_problems(e, &who));
    out.extend(distribution_problems(e, &who));
    for m in &e.max_output {
        if m.load_vrms().is_none_or(|v| !(v > 0.0 && v < 100.0)) {
            out.push(format!(
                "{who}: a maximum output into {} Ω needs exactly one positive vrms, mw or dbu",
                m.load_ohm
            ));
        }
        if !(m.load_ohm > 1.0 && m.load_ohm <= 1000.0) {
            out.push(format!("{who}: maximum output load {} Ω", m.load_ohm));
        }
        let what = format!("{who}: the maximum output into {} Ω", m.load_ohm);
        provenance(&mut out, &what, sources, (m.basis, &m.source, &m.note));
    }
    out
}

/// What is wrong with a distribution amplifier's figures: a whole number of outputs, and a
/// rail for the shared supply to sag from (with no sag of the output's own beside it).
fn distribution_problems(e: &OutputEntry, who: &str) -> Vec<String> {
    let mut out = Vec::new();
    let Some(d) = &e.distribution else {
        return out;
    };
    if d.outputs.value.fract() != 0.0 {
        out.push(format!(
            "{who}: distribution.outputs must be a whole number"
        ));
    }
    if e.rail_v_peak.is_none() {
        out.push(format!(
            "{who}: a distribution amplifier needs rail_v_peak, the rail its shared supply sags from"
        ));
    }
    if e.r_sag_ohm.is_some() {
        out.push(format!(
            "{who}: a distribution amplifier's sag is its shared supply's (distribution.supply_sag_ohm), not r_sag_ohm"
        ));
    }
    out
}

/// What is wrong with how an output entry gives its level: by maximum outputs (a supply sag
/// fitted to two or more of them, without a rail) or by its full scale (with its own current
/// limit and sag), never both and never neither.
fn level_form_problems(e: &OutputEntry, who: &str) -> Vec<String> {
    let mut out = Vec::new();
    if e.kind == OutputKind::Reference {
        return out;
    }
    match (e.max_output.is_empty(), e.full_scale_dbu.is_some()) {
        (true, false) => out.push(format!("{who}: no maximum output figure")),
        (false, true) => out.push(format!(
            "{who}: gives both maximum outputs and a full scale: one fixes the other"
        )),
        (false, false) if e.i_max_ma_peak.is_some() => out.push(format!(
            "{who}: a current limit is given with a full scale only (maximum outputs fix it)"
        )),
        (false, false)
            if e.r_sag_ohm.is_some() && (e.rail_v_peak.is_some() || e.max_output.len() < 2) =>
        {
            out.push(format!(
                "{who}: a supply sag is fitted to two or more maximum outputs, without a rail figure"
            ))
        }
        _ => {}
    }
    out
}

/// Everything wrong with one headphone entry, as readable lines naming it.
pub(super) fn headphone_problems(h: &HeadphoneEntry, sources: Sources) -> Vec<String> {
    let mut out = Vec::new();
    let who = h.name();
    for (name, f) in h.figures() {
        figure(&mut out, &who, name, f, sources);
    }
    let s = &h.sensitivity;
    let what = format!("{who}: sensitivity");
    provenance(&mut out, &what, sources, (s.basis, &s.source, &s.note));
    if !(70.0..=140.0).contains(&s.value) {
        out.push(format!("{what} {} is outside 70–140 dB", s.value));
    }
    if h.points.f_res_hz.is_some() != h.points.z_res_ohm.is_some() {
        out.push(format!(
            "{who}: a resonance needs both its frequency and its peak"
        ));
    }
    if h.curve.trim().is_empty() {
        out.push(format!("{who}: no impedance curve named"));
    }
    out
}

/// Everything wrong with a headphone entry of the user's (as their catalog checks it), as
/// readable lines naming it: what a project that saved one checks before using it.
pub fn user_headphone_problems(h: &HeadphoneEntry) -> Vec<String> {
    headphone_problems(h, Sources::Named)
}

/// Everything wrong with the built-in catalog, as readable lines (empty when it is sound):
/// every figure sourced and plausible, estimates explained, indices unique and contiguous,
/// maximum outputs well-formed.
pub fn problems() -> Vec<String> {
    let mut out = Vec::new();
    for (k, e) in outputs().iter().enumerate() {
        if e.index != k {
            out.push(format!(
                "{}: index {} where {k} was expected",
                e.name(),
                e.index
            ));
        }
        out.extend(output_problems(e, Sources::Followable));
    }
    for (k, h) in headphones().iter().enumerate() {
        if h.index != k {
            out.push(format!(
                "{}: index {} where {k} was expected",
                h.name(),
                h.index
            ));
        }
        out.extend(headphone_problems(h, Sources::Followable));
    }
    out
}
