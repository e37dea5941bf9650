//! `loadline report`: how an output drives a headphone, in figures and in words.

use crate::args::{HeadphoneArgs, OutputArgs, target_spl_value};
use crate::io::{emit, to_json};
use clap::Args;
use loadline_core::analysis::{Slot, analyze};
use loadline_core::choices::{Choices, resolve};
use loadline_core::listeners::JackFigures;
use loadline_core::report::Report;
use loadline_core::setups::HeardSetup;

/// The arguments of `loadline report`.
#[derive(Args)]
pub(crate) struct ReportArgs {
    #[command(flatten)]
    pub(crate) output: OutputArgs,
    #[command(flatten)]
    pub(crate) headphone: HeadphoneArgs,
    /// Target SPL of the reference (pink noise at −18 dBFS RMS), dB SPL (85 unless a setup
    /// sets one).
    #[arg(long, value_name = "DB", value_parser = target_spl_value)]
    pub(crate) target_spl: Option<f64>,
    /// A setup (`loadline setup list`): its output A (or B, with --slot b), headphone, other
    /// listeners and level; the flags given beside it take their place.
    #[arg(long, value_name = "NAME")]
    pub(crate) setup: Option<String>,
    /// With --setup: the slot reported.
    #[arg(long, value_name = "SLOT", requires = "setup", value_parser = ["a", "b"])]
    pub(crate) slot: Option<String>,
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
            setup,
            slot: which,
            json,
            sources,
        } = self;
        let setup = setup
            .as_deref()
            .map(crate::cmd::setup::choices)
            .transpose()?;
        let slot = match (&setup, output.given()) {
            (Some((s, choices)), false) => {
                let b = which
                    .as_deref()
                    .map_or(s.heard == HeardSetup::B, |w| w == "b");
                choices.slots[usize::from(b)].clone()
            }
            _ => output.choice()?,
        };
        let listeners = match (&setup, headphone.given()) {
            (Some((_, choices)), false) => choices.listeners.clone(),
            _ => headphone.choices(Some("the report gives SPL"))?,
        };
        let target_spl_db = target_spl
            .or(setup.as_ref().map(|(_, c)| c.target_spl_db))
            .unwrap_or(85.0);
        let choices = Choices {
            // The report is of one output: B is it again, and the ideal reference its.
            slots: [slot.clone(), slot],
            ideal_of: Slot::A,
            listeners,
            target_spl_db,
            volume_db: None,
        };
        let analysis = analyze(resolve(&choices)?);
        let r = analysis.report(Slot::A);
        let jack = analysis.jack[Slot::A as usize].clone();
        if json {
            emit(&to_json(&ReportJson { report: r, jack })?);
        } else {
            let jack_text = jack
                .as_ref()
                .map_or(String::new(), |j| format!("\n{}", j.text()));
            emit(&format!("{}{jack_text}", r.text()));
        }
        if sources {
            let [a, _, hp] = &analysis.sources;
            emit(&format!("\nSources:\n{a}\n{hp}"));
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
