//! `loadline`: the plugin's physics and engine from the command line. Reports how an output
//! drives a headphone, ranks the catalog's outputs, draws the curves, renders WAV files, and
//! imports measured impedance curves.

use clap::{Parser, Subcommand};
use cmd::list::{ListArgs, list};
use cmd::rank::RankArgs;
use cmd::render::RenderArgs;
use cmd::report::ReportArgs;
use cmd::response::ResponseArgs;
use loadline_core::catalog;
use loadline_core::catalog::Decides;
use loadline_core::catalog::user::UserCatalog;
use std::process::ExitCode;
use std::sync::OnceLock;

mod args;
mod cmd;
mod io;
mod user;

// `cmd::measure` and `user` name these helpers from the crate's root, as they did before the
// helpers moved to `io`; the re-export keeps those paths working.
pub(crate) use io::{emit, refuse_overwriting, to_json};

#[derive(Parser)]
#[command(
    name = "loadline",
    version,
    about = "Is my interface enough for these headphones? Loadline's physics from the command line.",
    after_help = "Examples:\n  loadline report --output \"Scarlett 2i2 4th gen\" --headphone \"DT 990 600\"\n  loadline rank --headphone \"HD 600\" --target-spl 90\n  loadline render in.wav out.wav --output \"iPhone 6s\" --headphone andromeda --target-spl 85"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the catalog's outputs or headphones.
    List(ListArgs),
    /// How well an output drives a headphone: maximum SPL and what limits it, headroom at the
    /// target, noise floor, damping factor, the 1/8 rule, the tonal deviation.
    Report(ReportArgs),
    /// The headphone's impedance and the tonal deviation each output causes, as CSV, PNG,
    /// or the headphone's curve as a .zma file.
    Response(ResponseArgs),
    /// Render a WAV file through the full chain (same sample rate out, 32-bit float).
    Render(RenderArgs),
    /// Every catalog output ranked by how well it drives a headphone.
    Rank(RankArgs),
    /// Your own devices: where their file is; list, check, add, remove, export and import them.
    User(user::UserArgs),
    /// Measure your own headphone output with your interface's line inputs: the signal to
    /// play, and the figures two recordings of it give.
    Measure(cmd::measure::MeasureArgs),
    /// Setups, named A/B comparisons ready to load: the factory's and yours; list, show,
    /// remove, export and import them (`--setup NAME` uses one in `report`).
    Setup(cmd::setup::SetupArgs),
}

/// The user's catalog, read once. An unreadable or invalid file is reported (file and line)
/// and left out: the built-in catalog still answers.
fn user_catalog() -> &'static UserCatalog {
    static USER: OnceLock<UserCatalog> = OnceLock::new();
    USER.get_or_init(|| {
        UserCatalog::load_default().unwrap_or_else(|e| {
            eprintln!("warning: your catalog is left out:\n{e}");
            UserCatalog::default()
        })
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // With its context first: "output (see …): no entry matches …".
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::List(a) => list(a.what, a.search.as_deref(), a.json),
        Command::Report(a) => a.run(),
        Command::Response(a) => a.run(),
        Command::Render(a) => a.run(),
        Command::Rank(a) => a.run(),
        Command::User(a) => a.run(),
        Command::Measure(a) => a.run(),
        Command::Setup(a) => a.run(),
    }
}

/// "ESTIMATED: output impedance, noise" for what `estimated` lists, else `otherwise`.
fn estimated_column(estimated: &[Decides], otherwise: &str) -> String {
    if estimated.is_empty() {
        return otherwise.into();
    }
    format!("ESTIMATED: {}", catalog::decides_text(estimated))
}
