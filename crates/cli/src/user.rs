//! `loadline user`: the user's own catalog (where it is, what it holds, whether it is sound),
//! and adding or removing entries. Every figure added here is the user's: measured by them
//! unless they say it is stated (with the source they name).

use crate::args::{OHM_UNITS, figure_in};
use crate::{emit, user_catalog};
use anyhow::{Context, anyhow, bail};
use clap::{Args, Subcommand, ValueEnum};
use loadline_core::catalog::user::{
    UserCatalog, UserCatalogError, UserEntry, YourEntry, default_path, marked,
};
use loadline_core::catalog::{
    Basis, Figure, HeadphoneEntry, KeyPoints, LookupError, MaxOutput, OutputEntry, OutputKind,
    Sensitivity, SensitivityUnit, curve_key_points,
};
use loadline_core::files::partial_path;
use loadline_core::import::read_impedance_file;
use loadline_core::plausible::{self, Quantity};
use loadline_core::report::provenance_text;
use std::path::{Path, PathBuf};

/// The arguments of `loadline user`.
#[derive(Args)]
pub(super) struct UserArgs {
    #[command(subcommand)]
    action: UserAction,
}

#[derive(Subcommand)]
enum UserAction {
    /// Where your catalog's file is (the environment variable LOADLINE_CONFIG_DIR moves it).
    Path,
    /// Your entries, with every figure's basis and source.
    List,
    /// Check your catalog's file, or FILE: every problem with its line.
    Check {
        /// The file to check (default: your catalog's).
        file: Option<PathBuf>,
    },
    /// Add an output from its figures.
    AddOutput(AddOutputArgs),
    /// Add a headphone from its sensitivity and its impedance curve's key points, given or read
    /// from a measured curve.
    AddHeadphone(AddHeadphoneArgs),
    /// Remove your entry NAME names.
    Remove {
        /// The entry's name, as `loadline user list` shows it.
        name: String,
    },
    /// Write your entry NAME names, with every figure's basis, source and note, as a catalog
    /// file of its own to share: FILE (never one that exists), or standard output.
    Export {
        /// The entry's name, as `loadline user list` shows it.
        name: String,
        /// The file to write ("-" or none: standard output).
        file: Option<PathBuf>,
    },
    /// Add the entries of a catalog file (one `loadline user export` wrote, or any in your
    /// catalog's format) to your catalog, each checked as `loadline user check` checks yours;
    /// any problem adds none of them.
    Import {
        /// The file to read.
        file: PathBuf,
    },
}

/// How the figures of an added entry are known, and where they come from.
#[derive(Args)]
struct Provenance {
    /// Whether you measured the figures or the maker states them.
    #[arg(long, value_enum, default_value = "measured")]
    basis: BasisArg,
    /// Where they come from: "own measurement", a manual's page, an address.
    #[arg(long, default_value = "own measurement")]
    source: String,
    /// Context: how you measured, at which setting.
    #[arg(long, default_value = "")]
    note: String,
}

#[derive(Clone, Copy, ValueEnum)]
enum BasisArg {
    Measured,
    Stated,
}

#[derive(Clone, Copy, ValueEnum)]
enum KindArg {
    AudioInterface,
    DedicatedAmp,
    Computer,
    Phone,
    MultiChannelAmp,
}

/// An added entry's name.
#[derive(Args)]
struct Naming {
    /// Maker.
    #[arg(long)]
    maker: String,
    /// Model.
    #[arg(long)]
    model: String,
    /// Variant (revision, which jack, impedance version), if any.
    #[arg(long, default_value = "")]
    variant: String,
}

/// The arguments of `loadline user add-output`.
#[derive(Args)]
struct AddOutputArgs {
    #[command(flatten)]
    naming: Naming,
    /// What it is.
    #[arg(long, value_enum, default_value = "audio-interface")]
    kind: KindArg,
    /// Output impedance: "2.5", "2.5 ohm" (`--zout` still works).
    #[arg(long = "r-out-ohm", alias = "zout", value_name = "OHM")]
    r_out_ohm: String,
    /// A maximum output: the load and the most voltage across it before clipping, as
    /// "LOAD:VRMS" ("32:1.2" is 1.2 V RMS into 32 Ω). Give one or more.
    #[arg(long = "max", value_name = "LOAD:VRMS", required = true)]
    max_output: Vec<String>,
    /// Series coupling capacitor, µF.
    #[arg(long, value_name = "UF")]
    coupling_cap_uf: Option<String>,
    /// Noise floor after the volume control, dBV (`--noise-dbv` still works).
    #[arg(
        long,
        alias = "noise-dbv",
        value_name = "DBV",
        allow_negative_numbers = true
    )]
    noise_floor_dbv: Option<String>,
    /// Dynamic range below a full-scale sine, dB.
    #[arg(long, value_name = "DB")]
    dynamic_range_db: Option<String>,
    /// The noise figure is A-weighted.
    #[arg(long)]
    a_weighted: bool,
    #[command(flatten)]
    provenance: Provenance,
}

/// The arguments of `loadline user add-headphone`.
#[derive(Args)]
struct AddHeadphoneArgs {
    #[command(flatten)]
    naming: Naming,
    /// Kind of transducer, in words.
    #[arg(long, default_value = "dynamic")]
    kind: String,
    /// Nominal impedance, ohms.
    #[arg(long, value_name = "OHM")]
    nominal_ohm: String,
    /// Sensitivity: "102 dB/V" or "97 dB/mW".
    #[arg(long, value_name = "SENS")]
    sensitivity: String,
    /// A measured impedance curve (REW, ARTA/LIMP, .zma, CSV) to read the key points from,
    /// instead of giving them.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["rdc_ohm", "z_1k_ohm", "z_10k_ohm", "f_res_hz", "z_res_ohm"])]
    curve_file: Option<PathBuf>,
    /// DC resistance (or the curve's lowest point), ohms.
    #[arg(long, value_name = "OHM", required_unless_present = "curve_file")]
    rdc_ohm: Option<String>,
    /// |Z| at 1 kHz, ohms.
    #[arg(
        long = "z-1k-ohm",
        value_name = "OHM",
        required_unless_present = "curve_file"
    )]
    z_1k_ohm: Option<String>,
    /// |Z| at 10 kHz, ohms.
    #[arg(
        long = "z-10k-ohm",
        value_name = "OHM",
        required_unless_present = "curve_file"
    )]
    z_10k_ohm: Option<String>,
    /// Frequency of the impedance peak, Hz (with --z-res-ohm).
    #[arg(long, value_name = "HZ", requires = "z_res_ohm")]
    f_res_hz: Option<String>,
    /// |Z| at that peak, ohms (with --f-res-hz).
    #[arg(long, value_name = "OHM", requires = "f_res_hz")]
    z_res_ohm: Option<String>,
    /// What the key points were read from (default: "own measurement", or the curve file's
    /// name).
    #[arg(long)]
    curve: Option<String>,
    #[command(flatten)]
    provenance: Provenance,
}

impl UserArgs {
    /// Runs the subcommand.
    pub(super) fn run(self) -> anyhow::Result<()> {
        match self.action {
            UserAction::Path => emit(&path()?.display().to_string()),
            UserAction::List => list(user_catalog()),
            UserAction::Check { file } => check(file)?,
            UserAction::AddOutput(a) => {
                let entry = a.entry()?;
                added(&entry.name(), &writable()?.add_output(&entry)?);
            }
            UserAction::AddHeadphone(a) => {
                let entry = a.entry()?;
                added(&entry.name(), &writable()?.add_headphone(&entry)?);
            }
            UserAction::Remove { name } => remove(&name)?,
            UserAction::Export { name, file } => export(&name, file)?,
            UserAction::Import { file } => import(&file)?,
        }
        Ok(())
    }
}

/// Adds `entry` (an output measured here) to the user's catalog, checked as `add-output`
/// checks one, and says where it went.
pub(crate) fn save_output(entry: &OutputEntry) -> anyhow::Result<()> {
    added(&entry.name(), &writable()?.add_output(entry)?);
    Ok(())
}

/// Adds `entry` (a headphone measured here) to the user's catalog, checked as
/// `add-headphone` checks one (its model within 5 % of its key points), and says where it went.
pub(crate) fn save_headphone(entry: &HeadphoneEntry) -> anyhow::Result<()> {
    added(&entry.name(), &writable()?.add_headphone(entry)?);
    Ok(())
}

/// Says that entry `name` went into `written`.
fn added(name: &str, written: &UserCatalog) {
    emit(&format!(
        "added {} to {}",
        marked(name),
        written.path.display()
    ));
}

/// Where the user's catalog is.
fn path() -> anyhow::Result<PathBuf> {
    default_path().context("no configuration directory here: set LOADLINE_CONFIG_DIR")
}

/// The user's catalog to change: as read, and refused (with its problems) when the file is
/// unsound, so that nothing is written over what the user has to fix first.
fn writable() -> anyhow::Result<UserCatalog> {
    Ok(UserCatalog::load(&path()?)?)
}

/// The user's entries with their figures' provenance.
fn list(user: &UserCatalog) {
    if user.outputs.is_empty() && user.headphones.is_empty() {
        emit(&format!("no entries of yours in {}", user.path.display()));
        return;
    }
    let text = format!(
        "{}:\n{}",
        user.path.display(),
        entries_text(&user.outputs, &user.headphones)
    );
    emit(text.trim_end());
}

/// Entries with every figure's provenance, each named with its kind and its line in the file.
fn entries_text(
    outputs: &[UserEntry<OutputEntry>],
    headphones: &[UserEntry<HeadphoneEntry>],
) -> String {
    let mut text = String::new();
    for e in outputs {
        let name = format!("{} (output, line {})", marked(&e.entry.name()), e.line);
        text.push_str(&provenance_text(&name, &e.entry.provenance()));
        text.push('\n');
    }
    for h in headphones {
        let name = format!("{} (headphone, line {})", marked(&h.entry.name()), h.line);
        text.push_str(&provenance_text(&name, &h.entry.provenance()));
        text.push('\n');
    }
    text
}

/// Checks a catalog file; an error (listing every problem by line) when it is unsound.
fn check(file: Option<PathBuf>) -> anyhow::Result<()> {
    let path = match file {
        Some(f) => f,
        None => path()?,
    };
    if !path.exists() {
        bail!("{}: no such file", path.display());
    }
    let user = UserCatalog::load(&path)?;
    let fits = user.model_problems();
    if !fits.is_empty() {
        return Err(UserCatalogError::Invalid {
            path,
            problems: fits,
        }
        .into());
    }
    emit(&format!(
        "{}: {} outputs and {} headphones, no problems",
        path.display(),
        user.outputs.len(),
        user.headphones.len()
    ));
    Ok(())
}

/// Removes the user's entry `name` picks (outputs and headphones alike).
fn remove(name: &str) -> anyhow::Result<()> {
    let user = writable()?;
    let which = pick(&user, name)?;
    let picked = user.name_of(which).unwrap_or_default();
    let written = match which {
        YourEntry::Output(k) => user.remove_output(k)?,
        YourEntry::Headphone(k) => user.remove_headphone(k)?,
    };
    emit(&format!(
        "removed {} from {}",
        marked(&picked),
        written.path.display()
    ));
    Ok(())
}

/// The user's entry `name` picks, outputs and headphones alike; none, or several, is an error
/// naming the candidates: those the name matches, or when it matches none, the user's entries.
fn pick(user: &UserCatalog, name: &str) -> anyhow::Result<YourEntry> {
    // A refusal lists at most this many of the user's names: enough to see the one meant in a
    // small catalog, and no wall of text for a large one, which `user list` shows whole.
    const SHOWN: usize = 12;
    let context = "your entry (see `loadline user list`)";
    user.pick_yours(name).map_err(|e| {
        if !matches!(e, LookupError::NoMatch { .. }) {
            return anyhow!(e).context(context);
        }
        let yours: Vec<String> = (user.outputs.iter())
            .map(|e| format!("{} (output)", e.entry.name()))
            .chain((user.headphones.iter()).map(|h| format!("{} (headphone)", h.entry.name())))
            .collect();
        let candidates = match yours.len() {
            0 => "you have none yet (`loadline user add-output` and `add-headphone` add them)"
                .to_string(),
            n if n <= SHOWN => format!("yours are {}", yours.join(", ")),
            n => format!(
                "yours include {} and {} more",
                yours[..SHOWN].join(", "),
                n - SHOWN
            ),
        };
        anyhow!("{e}; {candidates}").context(context)
    })
}

/// Writes the user's entry `name` picks as a catalog file of its own: to `file`, which must not
/// exist, or to standard output (no file, or "-").
fn export(name: &str, file: Option<PathBuf>) -> anyhow::Result<()> {
    // An entry is only shared from a sound file, so that what is wrong with the file is said
    // first, at its line, rather than passed on.
    let user = writable()?;
    let which = pick(&user, name)?;
    let picked = user.name_of(which).unwrap_or_default();
    let text = format!(
        "# {picked}, from a Loadline catalog: `loadline user import` with this file adds it to yours.\n\n{}",
        user.entry_text(which)?
    );
    match file.filter(|f| f.as_os_str() != "-") {
        None => {
            use std::io::Write;
            std::io::stdout()
                .write_all(text.as_bytes())
                .context("cannot write to stdout")?;
        }
        Some(path) => {
            write_new(&path, text.as_bytes())?;
            emit(&format!(
                "exported {} to {}",
                marked(&picked),
                path.display()
            ));
        }
    }
    Ok(())
}

/// Writes `bytes` to `path` whole or not at all, and only where no file is: a file already
/// there, the user's catalog among them, is refused and left as it was.
pub(crate) fn write_new(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let exists = || {
        anyhow!(
            "{}: the file exists, and no file is written over; give another file name, or remove that one first",
            path.display()
        )
    };
    // A dangling symbolic link counts: writing through it would create a file elsewhere.
    if path.symlink_metadata().is_ok() {
        return Err(exists());
    }
    let cannot = || format!("cannot write {}", path.display());
    let partial = partial_path(path);
    std::fs::write(&partial, bytes).with_context(cannot)?;
    // A hard link gives the whole file its name only if the name is free, so a file that
    // appeared since the check above is not replaced either. A file system without hard
    // links (FAT on a memory stick) gets the file by a rename, after that check.
    let named = match std::fs::hard_link(&partial, path) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(exists()),
        Err(_) => std::fs::rename(&partial, path).with_context(cannot),
        Ok(()) => Ok(()),
    };
    let _ = std::fs::remove_file(&partial);
    named
}

/// Adds the entries of the catalog file `file` to the user's catalog, all or none, and shows
/// what came in as `user list` does.
fn import(file: &Path) -> anyhow::Result<()> {
    let user = writable()?;
    let written = user.import(file).map_err(|e| {
        anyhow!(
            "{} is not imported (your catalog {} is unchanged):\n{e}",
            file.display(),
            user.path.display()
        )
    })?;
    // What came in is last in the file, as `add-*` puts an entry.
    let text = format!(
        "added to {} from {}:\n{}",
        written.path.display(),
        file.display(),
        entries_text(
            &written.outputs[user.outputs.len()..],
            &written.headphones[user.headphones.len()..]
        )
    );
    emit(text.trim_end());
    Ok(())
}

impl Provenance {
    /// `value` as a figure with this provenance.
    fn figure(&self, value: f64) -> Figure {
        Figure {
            value,
            basis: self.basis(),
            source: self.source.clone(),
            note: self.note.clone(),
            range: None,
        }
    }

    /// The figure `text` gives, if any, with this provenance; `flag` names it in errors.
    fn optional(
        &self,
        text: &Option<String>,
        flag: &str,
        units: &[&str],
        quantity: Quantity,
    ) -> anyhow::Result<Option<Figure>> {
        text.as_deref()
            .map(|v| figure_in(flag, v, units, quantity).map(|x| self.figure(x)))
            .transpose()
    }

    /// The basis asked for.
    fn basis(&self) -> Basis {
        match self.basis {
            BasisArg::Measured => Basis::Measured,
            BasisArg::Stated => Basis::Stated,
        }
    }
}

/// Ohms from text ("47", "47 ohm", "4.7k"), within `quantity`'s range.
fn ohm(flag: &str, s: &str, quantity: Quantity) -> anyhow::Result<f64> {
    figure_in(flag, s, OHM_UNITS, quantity)
}

impl AddOutputArgs {
    /// The entry these flags describe (checked when it is added).
    fn entry(&self) -> anyhow::Result<OutputEntry> {
        let p = &self.provenance;
        let max_output = self
            .max_output
            .iter()
            .map(|m| {
                let (load, vrms) = m
                    .split_once(':')
                    .with_context(|| format!("--max '{m}': expected LOAD:VRMS, as 32:1.2"))?;
                Ok(MaxOutput {
                    load_ohm: ohm("--max load", load.trim(), plausible::HEADPHONE_OHM)?,
                    vrms: Some(figure_in(
                        "--max voltage",
                        vrms.trim(),
                        &["v rms", "vrms", "v"],
                        plausible::MAX_OUTPUT_VRMS,
                    )?),
                    mw: None,
                    dbu: None,
                    basis: p.basis(),
                    source: p.source.clone(),
                    note: p.note.clone(),
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let kind = match self.kind {
            KindArg::AudioInterface => OutputKind::AudioInterface,
            KindArg::DedicatedAmp => OutputKind::DedicatedAmp,
            KindArg::Computer => OutputKind::Computer,
            KindArg::Phone => OutputKind::PhoneOrAdapter,
            KindArg::MultiChannelAmp => OutputKind::MultiChannelAmp,
        };
        let n = &self.naming;
        let r_out_ohm = p.figure(ohm("--r-out-ohm", &self.r_out_ohm, plausible::R_OUT_OHM)?);
        Ok(OutputEntry {
            coupling_cap_uf: p.optional(
                &self.coupling_cap_uf,
                "--coupling-cap-uf",
                &["uf", "µf"],
                plausible::COUPLING_CAP_UF,
            )?,
            max_output,
            dynamic_range_db: p.optional(
                &self.dynamic_range_db,
                "--dynamic-range-db",
                &["db"],
                plausible::DYNAMIC_RANGE_DB,
            )?,
            dynamic_range_a_weighted: self.a_weighted && self.dynamic_range_db.is_some(),
            noise_floor_dbv: p.optional(
                &self.noise_floor_dbv,
                "--noise-floor-dbv",
                &["dbv"],
                plausible::NOISE_DBV,
            )?,
            noise_a_weighted: self.a_weighted && self.noise_floor_dbv.is_some(),
            ..OutputEntry::new([&n.maker, &n.model, &n.variant], kind, r_out_ohm)
        })
    }
}

impl AddHeadphoneArgs {
    /// The entry these flags describe (checked when it is added).
    fn entry(&self) -> anyhow::Result<HeadphoneEntry> {
        let p = &self.provenance;
        let (value, unit) = sensitivity(&self.sensitivity)?;
        Ok(HeadphoneEntry {
            index: 0,
            maker: self.naming.maker.clone(),
            model: self.naming.model.clone(),
            variant: self.naming.variant.clone(),
            kind: self.kind.clone(),
            nominal_ohm: p.figure(ohm(
                "--nominal-ohm",
                &self.nominal_ohm,
                plausible::HEADPHONE_OHM,
            )?),
            sensitivity: Sensitivity {
                value,
                unit,
                basis: p.basis(),
                source: p.source.clone(),
                note: p.note.clone(),
            },
            curve: match (&self.curve, &self.curve_file) {
                (Some(c), _) => c.clone(),
                (None, Some(f)) => format!("own measurement: {}", f.display()),
                (None, None) => "own measurement".into(),
            },
            points: self.key_points()?,
        })
    }

    /// The key points, given or read from the curve file.
    fn key_points(&self) -> anyhow::Result<KeyPoints> {
        let p = &self.provenance;
        if let Some(path) = &self.curve_file {
            let imported = read_impedance_file(path).with_context(|| path.display().to_string())?;
            let k = curve_key_points(&imported.curve)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            return Ok(k.key_points(|v| p.figure(v)));
        }
        let given = |s: &Option<String>, flag: &str| {
            ohm(
                flag,
                s.as_deref().unwrap_or_default(),
                plausible::HEADPHONE_OHM,
            )
        };
        Ok(KeyPoints {
            rdc_ohm: p.figure(given(&self.rdc_ohm, "--rdc-ohm")?),
            f_res_hz: p.optional(
                &self.f_res_hz,
                "--f-res-hz",
                &["hz"],
                plausible::RESONANCE_HZ,
            )?,
            z_res_ohm: p.optional(
                &self.z_res_ohm,
                "--z-res-ohm",
                OHM_UNITS,
                plausible::HEADPHONE_OHM,
            )?,
            q: None,
            z_1k_ohm: p.figure(given(&self.z_1k_ohm, "--z-1k-ohm")?),
            z_10k_ohm: p.figure(given(&self.z_10k_ohm, "--z-10k-ohm")?),
        })
    }
}

/// A sensitivity as its value and its unit: "102 dB/V", "97 dB/mW" (SPL may be spelt out).
fn sensitivity(s: &str) -> anyhow::Result<(f64, SensitivityUnit)> {
    let lower = s.to_lowercase().replace("spl", "");
    let (number, unit) = if let Some(n) = lower.strip_suffix("/mw") {
        (n, SensitivityUnit::PerMilliwatt)
    } else if let Some(n) = lower.strip_suffix("/v") {
        (n, SensitivityUnit::PerVolt)
    } else {
        bail!("--sensitivity '{s}': give its unit, as \"102 dB/V\" or \"97 dB/mW\"");
    };
    let value = figure_in(
        "--sensitivity",
        number.trim(),
        &["db"],
        plausible::SENSITIVITY_DB,
    )?;
    Ok((value, unit))
}
