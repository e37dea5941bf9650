//! `loadline setup`: the factory's setups and the user's (`setups` beside their catalog),
//! listed, shown, removed, exported and imported; and the look-up `--setup NAME` uses.

use crate::io::emit;
use crate::user_catalog;
use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use loadline_core::catalog;
use loadline_core::catalog::user::marked;
use loadline_core::choices::Choices;
use loadline_core::setups::{self, Setup};
use std::path::PathBuf;

/// The arguments of `loadline setup`.
#[derive(Args)]
pub(crate) struct SetupArgs {
    #[command(subcommand)]
    action: SetupAction,
}

#[derive(Subcommand)]
enum SetupAction {
    /// The factory's setups and yours, each with the question it answers; a file of yours
    /// that cannot be read is named with its line.
    List,
    /// A setup's file, as TOML.
    Show {
        /// The setup, by name (any words that pick one).
        name: String,
    },
    /// Remove one of your setups.
    Remove {
        /// The setup, by name.
        name: String,
    },
    /// Write a setup to FILE (standard output without one, or with -), to hand to another
    /// producer; a file already there is never written over.
    Export {
        /// The setup, by name.
        name: String,
        /// Where to write it.
        file: Option<PathBuf>,
    },
    /// Add the setup in FILE to yours, checked first: one that does not load changes nothing.
    Import {
        /// The setup's file.
        file: PathBuf,
    },
}

/// A setup found by name: the user's (and its file) or the factory's.
pub(crate) struct Found {
    /// The setup.
    pub(crate) setup: Setup,
    /// Its file, for one of the user's.
    pub(crate) path: Option<PathBuf>,
}

/// The user's setups that load, each with its file; the others are warned about on stderr.
fn yours() -> Vec<(PathBuf, Setup)> {
    let Some(dir) = setups::dir() else {
        return Vec::new();
    };
    (setups::read_dir(&dir).into_iter())
        .filter_map(|r| {
            r.map_err(|e| eprintln!("warning: a setup is left out: {e}"))
                .ok()
        })
        .collect()
}

/// The setup `name` picks among the user's (marked as theirs) and the factory's.
pub(crate) fn find(name: &str) -> anyhow::Result<Found> {
    let yours = yours();
    let names: Vec<String> = (yours.iter().map(|(_, s)| marked(&s.name)))
        .chain(setups::factory().iter().map(|s| s.name.clone()))
        .collect();
    let k = catalog::lookup(name, &names).context("setup (see `loadline setup list`)")?;
    Ok(match yours.get(k) {
        Some((path, setup)) => Found {
            setup: setup.clone(),
            path: Some(path.clone()),
        },
        None => Found {
            setup: setups::factory()[k - yours.len()].clone(),
            path: None,
        },
    })
}

/// The choices the setup `name` describes; what the user should know goes to stderr.
pub(crate) fn choices(name: &str) -> anyhow::Result<(Setup, Choices)> {
    let found = find(name)?;
    let (choices, notes) = (found.setup.choices(user_catalog()))
        .with_context(|| format!("setup '{}'", found.setup.name))?;
    for note in notes {
        eprintln!("note: {note}");
    }
    Ok((found.setup, choices))
}

impl SetupArgs {
    /// Runs the subcommand.
    pub(crate) fn run(self) -> anyhow::Result<()> {
        match self.action {
            SetupAction::List => list(),
            SetupAction::Show { name } => emit(&find(&name)?.setup.to_toml()),
            SetupAction::Remove { name } => {
                let found = find(&name)?;
                let Some(path) = found.path else {
                    bail!(
                        "'{}' is a factory setup: only yours can be removed",
                        found.setup.name
                    );
                };
                std::fs::remove_file(&path).with_context(|| path.display().to_string())?;
                emit(&format!("removed {}", marked(&found.setup.name)));
            }
            SetupAction::Export { name, file } => {
                let setup = find(&name)?.setup;
                match file.filter(|f| f.as_os_str() != "-") {
                    Some(path) => {
                        crate::user::write_new(&path, setup.to_toml().as_bytes())?;
                        emit(&format!("exported {} to {}", setup.name, path.display()));
                    }
                    None => emit(setup.to_toml().trim_end()),
                }
            }
            SetupAction::Import { file } => import(&file)?,
        }
        Ok(())
    }
}

/// Lists the factory's setups, then the user's, each with its question.
fn list() {
    let mut text = String::from("Factory setups:\n");
    for s in setups::factory() {
        text.push_str(&format!("  {}\n    {}\n", s.name, s.question));
    }
    let dir = setups::dir();
    let read = dir.as_deref().map(setups::read_dir).unwrap_or_default();
    text.push_str("Yours");
    if let Some(dir) = &dir {
        text.push_str(&format!(" ({})", dir.display()));
    }
    text.push_str(":\n");
    if read.is_empty() {
        text.push_str("  none yet\n");
    }
    for r in read {
        match r {
            Ok((_, s)) => text.push_str(&format!("  {}\n    {}\n", marked(&s.name), s.question)),
            Err(e) => text.push_str(&format!("  not loaded: {e}\n")),
        }
    }
    emit(text.trim_end());
}

/// Adds the setup in `file` to the user's, after checking that it loads.
fn import(file: &std::path::Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(file).with_context(|| file.display().to_string())?;
    let setup = Setup::parse(file, &text)?;
    let (_, notes) = (setup.choices(user_catalog()))
        .with_context(|| format!("{}: setup '{}'", file.display(), setup.name))?;
    let dir = setups::dir().context("no place for your setups on this system")?;
    let target = setups::file_in(&dir, &setup.name);
    if target.exists() {
        bail!(
            "a setup of yours is already named '{}' ({}): remove it first, or rename this one",
            setup.name,
            target.display()
        );
    }
    let path = setups::save(&dir, &setup).with_context(|| dir.display().to_string())?;
    for note in notes {
        eprintln!("note: {note}");
    }
    emit(&format!(
        "imported {} into {}",
        marked(&setup.name),
        path.display()
    ));
    Ok(())
}
