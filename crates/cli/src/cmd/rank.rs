//! `loadline rank`: every output ranked by how well it drives a headphone.

use crate::args::{HeadphoneArgs, device, target_spl_value};
use crate::io::{emit, to_json};
use crate::{estimated_column, user_catalog};
use anyhow::Context;
use clap::Args;
use loadline_core::analysis::{AnalysedOutput, rank_outputs};
use loadline_core::catalog;
use loadline_core::catalog::{Provenance, estimated};
use loadline_core::choices::{AmpChoice, ChainChoice, Device, Output, SlotChoice};
use loadline_core::report::{FigureRange, Report};
use loadline_core::units::{fmt_db, fmt_span};
use std::fmt::Write as _;

/// The arguments of `loadline rank`.
#[derive(Args)]
pub(crate) struct RankArgs {
    #[command(flatten)]
    pub(crate) headphone: HeadphoneArgs,
    /// Target SPL of the reference, dB SPL.
    #[arg(long, value_name = "DB", default_value = "85", value_parser = target_spl_value)]
    pub(crate) target_spl: f64,
    /// Rank what could feed this amplifier instead: every catalog device's headphone output
    /// and line output, each into it.
    #[arg(long, value_name = "AMP")]
    pub(crate) into: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

impl RankArgs {
    /// Runs the subcommand.
    pub(crate) fn run(self) -> anyhow::Result<()> {
        let RankArgs {
            headphone,
            target_spl,
            into,
            json,
        } = self;
        // Every output is ranked with every listener named: how many each counts is its own.
        let listeners = headphone.resolve(Some("the rank compares SPL"))?;
        let hp = listeners.seen_by(usize::MAX);
        let hp_provenance = listeners.provenance();
        let across = listeners.across_seen();
        let outputs = match into {
            Some(amp) => sources_into(&amp)?,
            None => {
                let mut outputs: Vec<AnalysedOutput> = (0..catalog::outputs().len())
                    .filter(|&k| catalog::outputs()[k].kind != catalog::OutputKind::Reference)
                    .filter_map(AnalysedOutput::catalog)
                    .collect();
                let yours = user_catalog().outputs.iter();
                outputs.extend(yours.map(|e| AnalysedOutput::user(&e.entry)));
                outputs
            }
        };
        let outputs = outputs
            .into_iter()
            .map(|o| o.placed(listeners.on, &listeners.others))
            .collect();
        let ranked = rank_outputs(outputs, &hp, &hp_provenance, &across, target_spl);
        if json {
            let reports: Vec<&Report> = ranked.iter().map(|(_, r)| r).collect();
            emit(&to_json(&reports)?);
        } else {
            emit(&rank_table(&hp.name, &ranked, &hp_provenance, target_spl));
        }
        Ok(())
    }
}

/// Every chain into the catalog amplifier `amp`: each interface's, computer's and phone's
/// headphone output at maximum volume, and each line output the catalog has.
pub(crate) fn sources_into(amp: &str) -> anyhow::Result<Vec<AnalysedOutput>> {
    use catalog::{OutputKind, SourceJack};
    let amp = device(amp).context("--into")?;
    let mut chains = Vec::new();
    for (k, entry) in catalog::outputs().iter().enumerate() {
        let amp_kinds = [
            OutputKind::Reference,
            OutputKind::DedicatedAmp,
            OutputKind::MultiChannelAmp,
        ];
        if amp == Device::Catalog(k) || amp_kinds.contains(&entry.kind) {
            continue;
        }
        let jacks = [
            Some(SourceJack::HeadphoneOut),
            entry.line_out.as_ref().map(|_| SourceJack::LineOut),
        ];
        for jack in jacks.into_iter().flatten() {
            let slot = SlotChoice {
                output: Output::Device(Device::Catalog(k)),
                chain: Some(ChainChoice {
                    jack,
                    source_volume_db: 0.0,
                    amp: AmpChoice::Device(amp.clone()),
                    gain: catalog::AmpGain::High,
                }),
            };
            chains.push(slot.analysed().context("--into")?);
        }
    }
    Ok(chains)
}

/// The rank as a table for people: one row per output, then what the figures column means and
/// what is estimated of the headphone.
pub(crate) fn rank_table(
    hp_name: &str,
    ranked: &[(AnalysedOutput, Report)],
    hp_provenance: &[Provenance],
    target_spl: f64,
) -> String {
    let mut table = format!(
        "Outputs for {} at {} dB SPL (peaks need {} dB SPL), best first:\n",
        hp_name,
        fmt_db(target_spl),
        fmt_db(target_spl + 18.0)
    );
    // Chains' names run long: the column takes the longest.
    let width = ranked
        .iter()
        .map(|(_, r)| r.output.chars().count())
        .fold(44, usize::max);
    let _ = writeln!(
        table,
        "{:>3}  {:<width$} {:>11} {:>11} {:>10} {:>10}  figures",
        "#", "output", "short dB", "peak dBSPL", "tone dB", "noise dBA"
    );
    for (i, (output, r)) in ranked.iter().enumerate() {
        let output_estimated = estimated(&output.provenance);
        let sourced = if output.name.ends_with(catalog::user::MARK) {
            "yours"
        } else {
            "published"
        };
        // With estimates, each figure across their ranges.
        let range = |value: f64, f: fn(&FigureRange) -> [f64; 2], decimals: usize| {
            fmt_span(r.range.as_ref().map_or([value, value], f), decimals)
        };
        let short = r.range.as_ref().map_or([r.short_db; 2], |g| g.short_db);
        let _ = writeln!(
            table,
            "{:>3}  {:<width$} {:>11} {:>11} {:>10} {:>10}  {}",
            i + 1,
            r.output,
            match short {
                [_, 0.0] => "enough".into(),
                [lo, hi] => fmt_span([lo, hi], 1),
            },
            range(r.peak_spl_db, |g| g.peak_spl_db, 1),
            range(r.deviation_span_db, |g| g.deviation_span_db, 2),
            noise_column(r),
            estimated_column(&output_estimated, sourced)
        );
    }
    let _ = write!(
        table,
        "\nfigures: whether the output's deciding figures are published; ESTIMATED: none \
         was found, and the catalog's estimate stands in; the figures that depend on it are \
         given across its range (from the sourced devices of its class).\n\
         {}'s figures: {}.\n\
         `loadline report --output NAME --headphone NAME --sources` shows each figure's \
         source and how an estimate was made.",
        hp_name,
        estimated_column(&estimated(hp_provenance), "published or yours")
    );
    table.trim_end().to_string()
}

/// A noise floor, or a dash for an output without noise figures.
pub(crate) fn noise_text(db_spl_a: f64) -> String {
    if db_spl_a.is_finite() {
        format!("{db_spl_a:.1}")
    } else {
        "—".into()
    }
}

/// The rank's noise floor: across the estimates' ranges when they move it.
pub(crate) fn noise_column(r: &Report) -> String {
    match r.range.map(|g| fmt_span(g.noise_floor_db_spl_a, 1)) {
        Some(span) if span.contains('–') => span,
        _ => noise_text(r.noise_floor_db_spl_a),
    }
}
