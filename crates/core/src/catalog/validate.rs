//! What is wrong with the catalog, if anything: every figure sourced and plausible.

use super::*;
use crate::physics::Impedance;
use crate::plausible::{self, Quantity};

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

/// Problems found in an entry, each with the key of the figure it is about (empty when it is
/// about the entry as a whole), so that a file's problem can point at the key's line.
pub(super) type Findings = Vec<(&'static str, String)>;

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
fn provenance(
    out: &mut Findings,
    (key, what): (&'static str, &str),
    sources: Sources,
    f: (Basis, &str, &str),
) {
    let (basis, source, note) = f;
    if source.trim().is_empty() {
        out.push((key, format!("{what} has no source")));
    } else if sources == Sources::Followable && !cites_a_source(source) {
        out.push((key, format!(
            "{what} cites '{source}': a source is an address, '{CLASS_ESTIMATE_SOURCE}', '{COMMONLY_QUOTED_SOURCE}', a definition or the user's own measurement"
        )));
    }
    if basis == Basis::Estimated && note.trim().is_empty() {
        out.push((key, format!("{what} is estimated without saying how")));
    }
}

/// The quantity of the figure named `name` (its key in the catalog's files).
fn quantity(name: &str) -> Quantity {
    // An output's own figures are declared with their ranges in one table.
    if let Some(d) = crate::figures::OUTPUT_FIGURES
        .iter()
        .find(|d| d.key == name)
    {
        return d.quantity;
    }
    match name {
        "line_out.r_out_ohm" => plausible::R_OUT_OHM,
        "line_out.full_scale_dbu" => plausible::FULL_SCALE_DBU,
        "line_out.dynamic_range_db" => plausible::DYNAMIC_RANGE_DB,
        "amp_input.input_ohm" => plausible::AMP_INPUT_OHM,
        "amp_input.gain_db" | "amp_input.low_gain_db" => plausible::AMP_GAIN_DB,
        "flicker_corner_hz" => plausible::FLICKER_CORNER_HZ,
        "distribution.supply_sag_ohm" => plausible::R_SAG_OHM,
        "distribution.outputs" => plausible::DISTRIBUTION_OUTPUTS,
        "nominal_ohm" | "rdc_ohm" | "z_1k_ohm" | "z_10k_ohm" | "z_res_ohm" => {
            plausible::HEADPHONE_OHM
        }
        "f_res_hz" => plausible::RESONANCE_HZ,
        "q" => plausible::RESONANCE_Q,
        _ => unreachable!("every figure of the catalog has a quantity: {name}"),
    }
}

/// The problems of one figure: its provenance, and its value against what is plausible.
fn figure(out: &mut Findings, who: &str, name: &'static str, f: &Figure, sources: Sources) {
    let what = format!("{who}: {name}");
    provenance(out, (name, &what), sources, (f.basis, &f.source, &f.note));
    if let Err(e) = quantity(name).check(f.value) {
        out.push((name, format!("{what}: {e}")));
    }
    if let Some([lo, hi]) = f.range {
        let q = quantity(name);
        if !(lo <= f.value && f.value <= hi) || q.check(lo).is_err() || q.check(hi).is_err() {
            out.push((
                name,
                format!(
                    "{what}: its range [{lo}, {hi}] must hold its value {} and lie within {}",
                    f.value,
                    q.range_text()
                ),
            ));
        }
    }
}

/// What is wrong with an entry's name: a maker and a model, each text without control
/// characters (which a terminal would act on and a lookup could never match).
fn naming_problems(out: &mut Findings, parts: [(&'static str, &str); 3]) {
    for (key, text) in parts {
        if text.chars().any(char::is_control) {
            out.push((
                key,
                format!("{key} {text:?} holds a control character; names are plain text"),
            ));
        }
    }
    for (key, text) in &parts[..2] {
        if text.trim().is_empty() {
            out.push((key, format!("no {key}: an entry needs a maker and a model")));
        }
    }
}

/// How much less voltage a stated maximum into a higher load may give than one into a lower
/// load: makers round their figures (in mW, a few percent), so equal voltages may read a
/// little apart either way.
const MAXIMA_ROUNDING: f64 = 0.03;

/// What is wrong with an output's maximum outputs together: each load once, and a higher
/// load never given clearly less voltage (an output's voltage only rises as its load does).
fn maxima_problems(out: &mut Findings, e: &OutputEntry, who: &str) {
    let mut by_load: Vec<(f64, f64)> = (e.max_output.iter())
        .filter_map(|m| Some((m.load_ohm, m.load_vrms()?)))
        .collect();
    by_load.sort_by(|a, b| a.0.total_cmp(&b.0));
    for pair in by_load.windows(2) {
        let [(load_a, v_a), (load_b, v_b)] = [pair[0], pair[1]];
        if load_a == load_b {
            out.push((
                "max_output",
                format!("{who}: two maximum outputs into {load_a} Ω; give each load once"),
            ));
        } else if v_b < v_a * (1.0 - MAXIMA_ROUNDING) {
            out.push((
                "max_output",
                format!(
                    "{who}: {v_b} V RMS into {load_b} Ω is less than {v_a} V RMS into {load_a} Ω; an output gives more voltage into a higher load (are the two swapped?)"
                ),
            ));
        }
    }
}

/// Everything wrong with one output entry, as readable lines naming it.
pub(super) fn output_problems(e: &OutputEntry, sources: Sources) -> Findings {
    let mut out = Vec::new();
    let who = e.name();
    naming_problems(
        &mut out,
        [
            ("maker", &e.maker),
            ("model", &e.model),
            ("variant", &e.variant),
        ],
    );
    maxima_problems(&mut out, e, &who);
    for (name, f) in e.figures() {
        figure(&mut out, &who, name, f, sources);
    }
    out.extend(level_form_problems(e, &who));
    out.extend(distribution_problems(e, &who));
    for m in &e.max_output {
        match m.load_vrms() {
            None => out.push((
                "max_output",
                format!(
                    "{who}: a maximum output into {} Ω needs exactly one of vrms, mw or dbu",
                    m.load_ohm
                ),
            )),
            Some(v) => {
                if let Err(e) = plausible::MAX_OUTPUT_VRMS.check(v) {
                    out.push((
                        "max_output",
                        format!("{who}: the maximum output into {} Ω: {e}", m.load_ohm),
                    ));
                }
            }
        }
        if let Err(e) = plausible::HEADPHONE_OHM.check(m.load_ohm) {
            out.push(("max_output", format!("{who}: a maximum output's load: {e}")));
        }
        let what = format!("{who}: the maximum output into {} Ω", m.load_ohm);
        provenance(
            &mut out,
            ("max_output", &what),
            sources,
            (m.basis, &m.source, &m.note),
        );
    }
    out
}

/// What is wrong with a distribution amplifier's figures: a whole number of outputs, and a
/// rail for the shared supply to sag from (with no sag of the output's own beside it).
fn distribution_problems(e: &OutputEntry, who: &str) -> Findings {
    let mut out = Vec::new();
    let Some(d) = &e.distribution else {
        return out;
    };
    if d.outputs.value.fract() != 0.0 {
        out.push((
            "distribution",
            format!("{who}: distribution.outputs must be a whole number"),
        ));
    }
    if e.rail_v_peak.is_none() {
        out.push((
            "distribution",
            format!(
                "{who}: a distribution amplifier needs rail_v_peak, the rail its shared supply sags from"
            ),
        ));
    }
    if e.r_sag_ohm.is_some() {
        out.push((
            "r_sag_ohm",
            format!(
                "{who}: a distribution amplifier's sag is its shared supply's (distribution.supply_sag_ohm), not r_sag_ohm"
            ),
        ));
    }
    out
}

/// What is wrong with how an output entry gives its level: by maximum outputs (a supply sag
/// fitted to two or more of them, without a rail) or by its full scale (with its own current
/// limit and sag), never both and never neither.
fn level_form_problems(e: &OutputEntry, who: &str) -> Findings {
    if e.kind == OutputKind::Reference {
        return Vec::new();
    }
    let mut out = Vec::new();
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
    out.into_iter().map(|m| ("", m)).collect()
}

/// Everything wrong with one headphone entry, as readable lines naming it.
pub(super) fn headphone_problems(h: &HeadphoneEntry, sources: Sources) -> Findings {
    let mut out = Vec::new();
    let who = h.name();
    naming_problems(
        &mut out,
        [
            ("maker", &h.maker),
            ("model", &h.model),
            ("variant", &h.variant),
        ],
    );
    for (name, f) in h.figures() {
        figure(&mut out, &who, name, f, sources);
    }
    let s = &h.sensitivity;
    let what = format!("{who}: sensitivity");
    provenance(
        &mut out,
        ("sensitivity", &what),
        sources,
        (s.basis, &s.source, &s.note),
    );
    if let Err(e) = plausible::SENSITIVITY_DB.check(s.value) {
        out.push(("sensitivity", format!("{who}: {e}")));
    }
    if h.points.f_res_hz.is_some() != h.points.z_res_ohm.is_some() {
        out.push((
            "f_res_hz",
            format!("{who}: a resonance needs both its frequency and its peak"),
        ));
    }
    if h.curve.trim().is_empty() {
        out.push(("curve", format!("{who}: no impedance curve named")));
    }
    out
}

/// How far a headphone's model may stray from a key point it was fitted to: the built-in
/// catalog is held to this, and so is every headphone a user adds.
pub const KEY_POINT_TOLERANCE: f64 = 0.05;

/// A key point and what the model fitted to the key points has there.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyPointFit {
    /// The point, as a producer reads it ("R_dc", "1 kHz", "the peak").
    pub what: &'static str,
    /// The catalog's key for the impedance given there ("rdc_ohm").
    pub key: &'static str,
    /// The key point's frequency, Hz (0 for R_dc).
    pub freq_hz: f64,
    /// The impedance given, ohms.
    pub given_ohm: f64,
    /// The model's impedance there, ohms.
    pub model_ohm: f64,
}

impl KeyPointFit {
    /// How far the model strays, as a fraction of the figure given.
    pub fn error(&self) -> f64 {
        (self.model_ohm / self.given_ohm - 1.0).abs()
    }
}

/// Every key point of `h` beside what its model has there (the model at 0.1 Hz for R_dc,
/// where its capacitors are open).
pub fn key_point_fits(h: &HeadphoneEntry) -> Vec<KeyPointFit> {
    let load = h.load();
    let p = &h.points;
    let mut points = vec![
        ("R_dc", "rdc_ohm", 0.0, p.rdc_ohm.value),
        ("1 kHz", "z_1k_ohm", KEY_FREQS_HZ[0], p.z_1k_ohm.value),
        ("10 kHz", "z_10k_ohm", KEY_FREQS_HZ[1], p.z_10k_ohm.value),
    ];
    if let (Some(f), Some(z)) = (&p.f_res_hz, &p.z_res_ohm) {
        points.push(("the peak", "z_res_ohm", f.value, z.value));
    }
    points
        .into_iter()
        .map(|(what, key, freq_hz, given_ohm)| KeyPointFit {
            what,
            key,
            freq_hz,
            given_ohm,
            model_ohm: load.z_ohm(freq_hz.max(0.1)).norm(),
        })
        .collect()
}

/// Where the model fitted to `h`'s key points misses one by more than
/// [`KEY_POINT_TOLERANCE`], each line giving the figure, the model's value and by how much;
/// and key points no passive curve of a driver passes (a peak below R_dc). Fitting takes a
/// moment, so this runs where an entry is added or checked, not wherever one is read.
pub(super) fn model_problems(h: &HeadphoneEntry) -> Findings {
    let who = h.name();
    let p = &h.points;
    if let Some(z) = &p.z_res_ohm
        && z.value < p.rdc_ohm.value
    {
        return vec![(
            "z_res_ohm",
            format!(
                "{who}: the peak's {} Ω is below R_dc's {} Ω; a resonance raises the impedance above R_dc",
                z.value, p.rdc_ohm.value
            ),
        )];
    }
    let misses: Vec<KeyPointFit> = key_point_fits(h)
        .into_iter()
        .filter(|k| k.error() > KEY_POINT_TOLERANCE)
        .collect();
    let Some(first) = misses.first() else {
        return Vec::new();
    };
    let each: Vec<String> = misses
        .iter()
        .map(|k| {
            format!(
                "at {} it has {:.1} Ω where {} Ω is given ({:.0} % off)",
                k.what,
                k.model_ohm,
                k.given_ohm,
                100.0 * k.error()
            )
        })
        .collect();
    vec![(
        first.key,
        format!(
            "{who}: no driver's impedance curve passes these key points, and the model fitted to them strays by more than {:.0} %: {}. Check R_dc and |Z| at 1 kHz and 10 kHz, or give a measured curve",
            100.0 * KEY_POINT_TOLERANCE,
            each.join("; ")
        ),
    )]
}

/// Everything wrong with a headphone entry of the user's (as their catalog checks it), as
/// readable lines naming it: what a project that saved one checks before using it.
pub fn user_headphone_problems(h: &HeadphoneEntry) -> Vec<String> {
    messages(headphone_problems(h, Sources::Named))
}

/// The messages of `found`, without their keys.
fn messages(found: Findings) -> Vec<String> {
    found.into_iter().map(|(_, m)| m).collect()
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
        out.extend(messages(output_problems(e, Sources::Followable)));
    }
    for (k, h) in headphones().iter().enumerate() {
        if h.index != k {
            out.push(format!(
                "{}: index {} where {k} was expected",
                h.name(),
                h.index
            ));
        }
        out.extend(messages(headphone_problems(h, Sources::Followable)));
        out.extend(messages(model_problems(h)));
    }
    out
}
