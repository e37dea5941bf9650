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

/// Everything wrong with the catalog, as readable lines (empty when it is sound): every
/// figure sourced and plausible, estimates explained, indices unique and contiguous, maximum
/// outputs well-formed.
pub fn problems() -> Vec<String> {
    let mut out = Vec::new();
    // Every figure, maximum output and sensitivity names its source; an estimate says how.
    let provenance = |out: &mut Vec<String>, what: &str, basis: Basis, source: &str, note: &str| {
        if source.trim().is_empty() {
            out.push(format!("{what} has no source"));
        }
        if !cites_a_source(source) {
            out.push(format!(
                "{what} cites '{source}': a source is an address, '{CLASS_ESTIMATE_SOURCE}', '{COMMONLY_QUOTED_SOURCE}', a definition or the user's own measurement"
            ));
        }
        if basis == Basis::Estimated && note.trim().is_empty() {
            out.push(format!("{what} is estimated without saying how"));
        }
    };
    let check = |out: &mut Vec<String>, who: &str, name: &str, f: &Figure, range: (f64, f64)| {
        provenance(out, &format!("{who}: {name}"), f.basis, &f.source, &f.note);
        if !(f.value.is_finite() && f.value >= range.0 && f.value <= range.1) {
            out.push(format!(
                "{who}: {name} = {} is outside {:?}",
                f.value, range
            ));
        }
    };
    let ranges = |name: &str| -> (f64, f64) {
        match name {
            "r_out_ohm" => (0.0, 1000.0),
            "coupling_cap_uf" => (1.0, 10_000.0),
            "rail_v_peak" => (0.1, 100.0),
            "r_sag_ohm" => (0.0, 100.0),
            "dynamic_range_db" => (60.0, 140.0),
            "noise_dbv" => (-150.0, -60.0),
            "nominal_ohm" | "rdc_ohm" | "z_1k_ohm" | "z_10k_ohm" | "z_res_ohm" => (1.0, 2000.0),
            "f_res_hz" => (5.0, 20_000.0),
            "q" => (0.2, 20.0),
            _ => (f64::MIN, f64::MAX),
        }
    };
    for (k, e) in outputs().iter().enumerate() {
        let who = e.name();
        if e.index != k {
            out.push(format!("{who}: index {} where {k} was expected", e.index));
        }
        for (name, f) in e.figures() {
            check(&mut out, &who, name, f, ranges(name));
        }
        if e.kind != OutputKind::Reference && e.max_output.is_empty() {
            out.push(format!("{who}: no maximum output figure"));
        }
        if e.r_sag_ohm.is_some() && (e.rail_v_peak.is_some() || e.max_output.len() < 2) {
            out.push(format!(
                "{who}: a supply sag is fitted to two or more maximum outputs, without a rail figure"
            ));
        }
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
            provenance(&mut out, &what, m.basis, &m.source, &m.note);
        }
    }
    for (k, h) in headphones().iter().enumerate() {
        let who = h.name();
        if h.index != k {
            out.push(format!("{who}: index {} where {k} was expected", h.index));
        }
        for (name, f) in h.figures() {
            check(&mut out, &who, name, f, ranges(name));
        }
        let s = &h.sensitivity;
        let what = format!("{who}: sensitivity");
        provenance(&mut out, &what, s.basis, &s.source, &s.note);
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
    }
    out
}
