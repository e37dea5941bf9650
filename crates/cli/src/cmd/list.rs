//! `loadline list`: the catalog's outputs or headphones, the user's after the built-in ones.

use crate::io::{emit, to_json};
use crate::{estimated_column, user_catalog};
use anyhow::bail;
use clap::{Args, ValueEnum};
use loadline_core::catalog;
use loadline_core::catalog::{Decides, HeadphoneEntry, OutputEntry};
use loadline_core::physics::Impedance;
use loadline_core::units::fmt_sig;
use serde::Serialize;
use std::fmt::Write as _;

/// The arguments of `loadline list`.
#[derive(Args)]
pub(crate) struct ListArgs {
    /// What to list.
    pub(crate) what: ListWhat,
    /// Only entries whose name contains every word of TEXT.
    #[arg(long, value_name = "TEXT")]
    pub(crate) search: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum ListWhat {
    Outputs,
    Headphones,
}

/// `name` as lists show it: marked when it is the user's.
pub(crate) fn shown_name(name: &str, is_yours: bool) -> String {
    if is_yours {
        catalog::user::marked(name)
    } else {
        name.to_string()
    }
}

/// An output as `list outputs --json` gives it.
///
/// The fields are in the alphabetical order of the keys, the order the JSON has always had.
/// The keys are the core's names (`coupling_cap_uf`, `r_sag_ohm`); `coupling_uf` and
/// `sag_ohm`, the names before they were aligned, are kept beside them for older scripts.
#[derive(Serialize)]
struct OutputRow {
    /// The coupling capacitor, µF, when the output has one.
    coupling_cap_uf: Option<f64>,
    /// The same, under its older name.
    coupling_uf: Option<f64>,
    /// What its estimated figures decide.
    estimated: Vec<Decides>,
    /// The EMF of a full-scale sample, volts peak.
    full_scale_v_peak: f64,
    /// The current limit, milliamps peak, when it has one.
    i_max_ma_peak: Option<f64>,
    /// What it is (`OutputKind`, as Rust spells the variant).
    kind: String,
    /// The name shown, marked when it is the user's.
    name: String,
    /// How many listeners it gives an output of their own.
    own_outputs: usize,
    /// The output impedance, ohms.
    r_out_ohm: f64,
    /// Supply sag, ohms.
    r_sag_ohm: f64,
    /// The rail limit, volts peak, when it has one.
    rail_v_peak: Option<f64>,
    /// The same as `r_sag_ohm`, under its older name.
    sag_ohm: f64,
    /// Whether it is the user's.
    yours: bool,
}

impl OutputRow {
    /// The row of `e`, shown as `name`.
    fn new(e: &OutputEntry, name: String, is_yours: bool) -> Self {
        let stage = e.stage();
        let coupling_cap_uf = stage.source.coupling_cap_f.map(|c| c * 1e6);
        OutputRow {
            coupling_cap_uf,
            coupling_uf: coupling_cap_uf,
            estimated: catalog::estimated(&e.provenance()),
            full_scale_v_peak: stage.v_fs_peak,
            i_max_ma_peak: stage
                .i_max_peak
                .is_finite()
                .then_some(stage.i_max_peak * 1e3),
            kind: format!("{:?}", e.kind),
            name,
            own_outputs: e.own_outputs(),
            r_out_ohm: stage.source.r_out_ohm,
            r_sag_ohm: stage.r_sag_ohm,
            rail_v_peak: stage.rail_v_peak.is_finite().then_some(stage.rail_v_peak),
            sag_ohm: stage.r_sag_ohm,
            yours: is_yours,
        }
    }
}

/// A headphone as `list headphones --json` gives it; its fields in the keys' alphabetical
/// order, as [`OutputRow`]'s.
#[derive(Serialize)]
struct HeadphoneRow {
    /// What its estimated figures decide.
    estimated: Vec<Decides>,
    /// The kind of transducer, in words.
    kind: String,
    /// The name shown, marked when it is the user's.
    name: String,
    /// The nominal impedance, ohms.
    nominal_ohm: f64,
    /// Sensitivity, dB SPL for 1 V RMS at 1 kHz.
    sens_db_spl_per_v: f64,
    /// Whether it is the user's.
    yours: bool,
    /// The impedance's magnitude at 1 kHz, ohms.
    z_1k_ohm: f64,
}

impl HeadphoneRow {
    /// The row of `e`, shown as `name`.
    fn new(e: &HeadphoneEntry, name: String, is_yours: bool) -> Self {
        let m = e.model();
        HeadphoneRow {
            estimated: catalog::estimated(&e.provenance()),
            kind: m.kind,
            name,
            nominal_ohm: m.nominal_ohm,
            sens_db_spl_per_v: m.sens_db_spl_per_v,
            yours: is_yours,
            z_1k_ohm: m.load.z_ohm(1000.0).norm(),
        }
    }
}

/// A row of a list: its JSON, and its line of text.
trait Row: Serialize {
    /// The row as a line of the text listing.
    fn line(&self) -> String;
}

impl Row for OutputRow {
    fn line(&self) -> String {
        let mut s = format!("{:<44} {:>6} Ω", self.name, fmt_sig(self.r_out_ohm));
        if let Some(c) = self.coupling_cap_uf {
            let _ = write!(s, " + {} µF", fmt_sig(c));
        }
        if self.own_outputs > 1 {
            let _ = write!(s, ", {} outputs on one supply", self.own_outputs);
        }
        estimated_mark(&mut s, &self.estimated);
        s
    }
}

impl Row for HeadphoneRow {
    fn line(&self) -> String {
        let mut s = format!(
            "{:<40} {:>6} Ω nominal, {:>5.1} dB SPL/V",
            self.name,
            fmt_sig(self.nominal_ohm),
            self.sens_db_spl_per_v
        );
        estimated_mark(&mut s, &self.estimated);
        s
    }
}

/// The catalog, the user's entries after the built-in ones, listed or filtered.
pub(crate) fn list(what: ListWhat, search: Option<&str>, json: bool) -> anyhow::Result<()> {
    let matches = |name: &str| search.is_none_or(|s| catalog::name_matches(name, s));
    match what {
        ListWhat::Outputs => {
            let yours = user_catalog().outputs.iter().map(|u| (&u.entry, true));
            let all = catalog::outputs().iter().map(|e| (e, false)).chain(yours);
            let rows: Vec<OutputRow> = all
                .filter_map(|(e, is_yours)| {
                    let name = shown_name(&e.name(), is_yours);
                    matches(&name).then(|| OutputRow::new(e, name, is_yours))
                })
                .collect();
            show(&rows, search, json)
        }
        ListWhat::Headphones => {
            let yours = user_catalog().headphones.iter().map(|u| (&u.entry, true));
            let all = catalog::headphones()
                .iter()
                .map(|e| (e, false))
                .chain(yours);
            let rows: Vec<HeadphoneRow> = all
                .filter_map(|(e, is_yours)| {
                    let name = shown_name(&e.name(), is_yours);
                    matches(&name).then(|| HeadphoneRow::new(e, name, is_yours))
                })
                .collect();
            show(&rows, search, json)
        }
    }
}

/// Prints `rows` as JSON or as lines of text, or says that nothing matches `search`.
fn show<R: Row>(rows: &[R], search: Option<&str>, json: bool) -> anyhow::Result<()> {
    if rows.is_empty() {
        bail!("nothing matches '{}'", search.unwrap_or_default());
    }
    if json {
        emit(&to_json(rows)?);
        return Ok(());
    }
    let mut text = String::new();
    for r in rows {
        let _ = writeln!(text, "{}", r.line());
    }
    emit(text.trim_end());
    Ok(())
}

/// Appends what a listed entry's estimated figures decide.
fn estimated_mark(line: &mut String, estimated: &[Decides]) {
    if !estimated.is_empty() {
        let _ = write!(line, "   ({})", estimated_column(estimated, ""));
    }
}
