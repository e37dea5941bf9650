//! `loadline list`: the catalog's outputs or headphones, the user's after the built-in ones.

use crate::{emit, estimated_column, to_json, user_catalog};
use anyhow::bail;
use clap::{Args, ValueEnum};
use loadline_core::catalog;
use loadline_core::catalog::Decides;
use loadline_core::physics::Impedance;
use loadline_core::units::fmt_sig;
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

/// The catalog, the user's entries after the built-in ones, listed or filtered.
pub(crate) fn list(what: ListWhat, search: Option<&str>, json: bool) -> anyhow::Result<()> {
    let matches = |name: &str| search.is_none_or(|s| catalog::name_matches(name, s));
    let mut rows: Vec<serde_json::Value> = Vec::new();
    match what {
        ListWhat::Outputs => {
            let yours = user_catalog().outputs.iter().map(|u| (&u.entry, true));
            let all = catalog::outputs().iter().map(|e| (e, false)).chain(yours);
            for (e, is_yours) in all {
                let name = shown_name(&e.name(), is_yours);
                if !matches(&name) {
                    continue;
                }
                let stage = e.stage();
                rows.push(serde_json::json!({
                    "name": name,
                    "yours": is_yours,
                    "estimated": catalog::estimated(&e.provenance()),
                    "kind": format!("{:?}", e.kind),
                    "r_out_ohm": stage.source.r_out_ohm,
                    "coupling_uf": stage.source.coupling_cap_f.map(|c| c * 1e6),
                    "full_scale_v_peak": stage.v_fs_peak,
                    "rail_v_peak": stage.rail_v_peak.is_finite().then_some(stage.rail_v_peak),
                    "i_max_ma_peak": stage.i_max_peak.is_finite().then_some(stage.i_max_peak * 1e3),
                    "sag_ohm": stage.r_sag_ohm,
                    "own_outputs": e.own_outputs(),
                }));
            }
        }
        ListWhat::Headphones => {
            let yours = user_catalog().headphones.iter().map(|u| (&u.entry, true));
            let all = catalog::headphones()
                .iter()
                .map(|e| (e, false))
                .chain(yours);
            for (e, is_yours) in all {
                let name = shown_name(&e.name(), is_yours);
                if !matches(&name) {
                    continue;
                }
                let m = e.model();
                rows.push(serde_json::json!({
                    "name": name,
                    "yours": is_yours,
                    "estimated": catalog::estimated(&e.provenance()),
                    "kind": m.kind,
                    "nominal_ohm": m.nominal_ohm,
                    "z_1k_ohm": m.load.z_ohm(1000.0).norm(),
                    "sens_db_spl_per_v": m.sens_db_spl_per_v,
                }));
            }
        }
    }
    if rows.is_empty() {
        bail!("nothing matches '{}'", search.unwrap_or_default());
    }
    if json {
        emit(&to_json(&rows)?);
        return Ok(());
    }
    let mut text = String::new();
    for r in &rows {
        let name = r["name"].as_str().unwrap_or_default();
        let line = match what {
            ListWhat::Outputs => {
                let mut s = format!(
                    "{name:<44} {:>6} Ω",
                    fmt_sig(r["r_out_ohm"].as_f64().unwrap_or(0.0))
                );
                if let Some(c) = r["coupling_uf"].as_f64() {
                    let _ = write!(s, " + {} µF", fmt_sig(c));
                }
                if let Some(n) = r["own_outputs"].as_u64().filter(|&n| n > 1) {
                    let _ = write!(s, ", {n} outputs on one supply");
                }
                estimated_mark(&mut s, &r["estimated"]);
                s
            }
            ListWhat::Headphones => {
                let mut s = format!(
                    "{name:<40} {:>6} Ω nominal, {:>5.1} dB SPL/V",
                    fmt_sig(r["nominal_ohm"].as_f64().unwrap_or(0.0)),
                    r["sens_db_spl_per_v"].as_f64().unwrap_or(0.0)
                );
                estimated_mark(&mut s, &r["estimated"]);
                s
            }
        };
        let _ = writeln!(text, "{line}");
    }
    emit(text.trim_end());
    Ok(())
}

/// Appends what a listed entry's estimated figures decide, from its JSON row's "estimated".
pub(crate) fn estimated_mark(line: &mut String, estimated: &serde_json::Value) {
    let decides: Vec<Decides> = estimated
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| serde_json::from_value(d.clone()).ok())
        .collect();
    if !decides.is_empty() {
        let _ = write!(line, "   ({})", estimated_column(&decides, ""));
    }
}
