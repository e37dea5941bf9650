//! `loadline report`: how an output drives a headphone, in figures and in words.

use crate::args::{HeadphoneArgs, OutputArgs, target_spl_value};
use crate::io::{emit, to_json};
use clap::Args;
use loadline_core::listeners::{JackFigures, provenance_on_jack};
use loadline_core::report::{Report, provenance_text};

/// The arguments of `loadline report`.
#[derive(Args)]
pub(crate) struct ReportArgs {
    #[command(flatten)]
    pub(crate) output: OutputArgs,
    #[command(flatten)]
    pub(crate) headphone: HeadphoneArgs,
    /// Target SPL of the reference (pink noise at −18 dBFS RMS), dB SPL.
    #[arg(long, value_name = "DB", default_value = "85", value_parser = target_spl_value)]
    pub(crate) target_spl: f64,
    /// Print JSON.
    #[arg(long)]
    pub(crate) json: bool,
    /// Also list where each figure of the output and the headphone comes from: measured,
    /// stated by the maker or estimated, with the source and how an estimate was made.
    #[arg(long, conflicts_with = "json")]
    pub(crate) sources: bool,
}

impl ReportArgs {
    /// Runs the subcommand.
    pub(crate) fn run(self) -> anyhow::Result<()> {
        let ReportArgs {
            output,
            headphone,
            target_spl,
            json,
            sources,
        } = self;
        let plain = output.resolve()?;
        let (hp, alone, others) =
            headphone.resolve_on_jack(Some("the report gives SPL"), plain.own_outputs)?;
        let out = plain.placed(headphone.others_on(), &others);
        let hp_provenance = provenance_on_jack(&headphone.provenance()?, &others);
        let across = headphone.across(&alone, &others)?;
        let r = out.report(&hp, &hp_provenance, &across, target_spl);
        let jack = headphone.listener_figures(&plain, (&alone, &others), r.volume_db, target_spl);
        let r = loadline_core::analysis::with_listeners(r, jack.as_ref());
        if json {
            emit(&to_json(&ReportJson { report: &r, jack })?);
        } else {
            let jack_text = jack
                .as_ref()
                .map_or(String::new(), |j| format!("\n{}", j.text()));
            emit(&format!("{}{jack_text}", r.text()));
        }
        if sources {
            emit(&format!(
                "\nSources:\n{}\n{}",
                provenance_text(&out.name, &out.provenance),
                provenance_text(&hp.name, &hp_provenance)
            ));
        }
        Ok(())
    }
}

/// A report as `report --json` prints it: the report's fields and, with others on the jack,
/// what every listener gets.
#[derive(serde::Serialize)]
pub(crate) struct ReportJson<'a> {
    #[serde(flatten)]
    pub(crate) report: &'a Report,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) jack: Option<JackFigures>,
}
