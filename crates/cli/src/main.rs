//! `loadline`: the plugin's physics and engine from the command line. Reports how an output
//! drives a headphone, ranks the catalog's outputs, draws the curves, renders WAV files, and
//! imports measured impedance curves.

use anyhow::{Context, anyhow, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use loadline_core::analysis::{AnalysedOutput, rank_outputs};
use loadline_core::catalog;
use loadline_core::catalog::user::{Pick, UserCatalog};
use loadline_core::catalog::{Decides, Provenance, estimated};
use loadline_core::dsp::design::DesignMode;
use loadline_core::import::{parse_sensitivity, read_impedance_file, to_zma};
use loadline_core::listeners::{
    self, JackFigures, Listener, MAX_OTHER_LISTENERS, OthersOn, provenance_on_jack,
};
use loadline_core::physics::Impedance;
use loadline_core::physics::headphones::{HeadphoneLoad, HeadphoneModel};
use loadline_core::physics::impedance::MeasuredCurve;
use loadline_core::physics::output::{OutputFigures, OutputStage};
use loadline_core::plausible::{self, Quantity};
use loadline_core::render::{RenderInfo, RenderSettings, Renderer};
use loadline_core::report::{FigureRange, Report, ResponsePoint, provenance_text, response};
use loadline_core::scenario::Level;
use loadline_core::units::parse_with_unit;
use loadline_core::units::{fmt_db, fmt_hz, fmt_sig, fmt_span};
use loadline_core::wav;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::OnceLock;

mod user;

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
    /// Your own devices: where their file is, list, check, add and remove them.
    User(user::UserArgs),
}

/// The arguments of `loadline list`.
#[derive(Args)]
struct ListArgs {
    /// What to list.
    what: ListWhat,
    /// Only entries whose name contains every word of TEXT.
    #[arg(long, value_name = "TEXT")]
    search: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// The arguments of `loadline report`.
#[derive(Args)]
struct ReportArgs {
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    headphone: HeadphoneArgs,
    /// Target SPL of the reference (pink noise at −18 dBFS RMS), dB SPL.
    #[arg(long, value_name = "DB", default_value = "85", value_parser = target_spl_value)]
    target_spl: f64,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// Also list where each figure of the output and the headphone comes from: measured,
    /// stated by the maker or estimated, with the source and how an estimate was made.
    #[arg(long, conflicts_with = "json")]
    sources: bool,
}

/// The arguments of `loadline response`.
#[derive(Args)]
struct ResponseArgs {
    #[command(flatten)]
    output: OutputArgs,
    /// A second output to draw beside the first (a catalog name or key=value figures).
    #[arg(long, value_name = "OUTPUT")]
    compare: Option<String>,
    #[command(flatten)]
    headphone: HeadphoneArgs,
    /// Write the curves as CSV.
    #[arg(long, value_name = "FILE")]
    csv: Option<PathBuf>,
    /// Draw the curves as a PNG.
    #[arg(long, value_name = "FILE")]
    png: Option<PathBuf>,
    /// Write the headphone's impedance curve as a .zma file (REW / DATS style).
    #[arg(long, value_name = "FILE")]
    zma: Option<PathBuf>,
    /// Points per curve, log-spaced over 20 Hz–20 kHz.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(2..=100_000))]
    points: u32,
}

/// The arguments of `loadline render`.
#[derive(Args)]
struct RenderArgs {
    /// The input WAV (any format hound reads: 8–32-bit integer, 32-bit float).
    input: PathBuf,
    /// The output WAV; with --compare, NAME.A.wav and NAME.B.wav beside it.
    output_wav: PathBuf,
    #[command(flatten)]
    output: OutputArgs,
    /// Also render through this output (a catalog name or key=value figures).
    #[arg(long, value_name = "OUTPUT")]
    compare: Option<String>,
    #[command(flatten)]
    headphone: HeadphoneArgs,
    /// Volume control, dB (0 = maximum).
    #[arg(long, value_name = "DB", allow_negative_numbers = true, value_parser = volume_value, conflicts_with = "target_spl")]
    volume: Option<f64>,
    /// Set the volume so that the reference reaches this SPL, dB SPL.
    #[arg(long, value_name = "DB", value_parser = target_spl_value)]
    target_spl: Option<f64>,
    /// Remove the divider's broadband level loss (normalised at 1 kHz).
    #[arg(long)]
    level_match: bool,
    /// Filter mode (the latency is removed either way).
    #[arg(long, value_enum, default_value_t = ModeArg::Exact)]
    mode: ModeArg,
    /// Leave out the output's limits (full scale, rails, current).
    #[arg(long)]
    no_limits: bool,
    /// Leave out the output's noise.
    #[arg(long)]
    no_noise: bool,
}

/// The arguments of `loadline rank`.
#[derive(Args)]
struct RankArgs {
    #[command(flatten)]
    headphone: HeadphoneArgs,
    /// Target SPL of the reference, dB SPL.
    #[arg(long, value_name = "DB", default_value = "85", value_parser = target_spl_value)]
    target_spl: f64,
    /// Rank what could feed this amplifier instead: every catalog device's headphone output
    /// and line output, each into it.
    #[arg(long, value_name = "AMP")]
    into: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum ListWhat {
    Outputs,
    Headphones,
}

#[derive(Clone, Copy, ValueEnum)]
enum ModeArg {
    Exact,
    ZeroLatency,
}

/// The output: a catalog name, or a custom output's figures (each absent one ideal).
#[derive(Args)]
struct OutputArgs {
    /// A catalog output by name (any words that pick one, case, spaces and hyphens aside:
    /// "scarlett 2i2 4th", "studio24c"), or a chain of them: "UMC202HD line out -> Magni 2",
    /// "UMC202HD at -10 dB -> Magni 2".
    #[arg(long, value_name = "NAME")]
    output: Option<String>,
    /// Custom output: output impedance ("47", "47 ohm").
    #[arg(
        long,
        allow_negative_numbers = true,
        value_name = "OHM",
        conflicts_with = "output"
    )]
    zout: Option<String>,
    /// Custom output: series coupling capacitor ("220", "220 uF").
    #[arg(
        long = "coupling-uf",
        allow_negative_numbers = true,
        value_name = "UF",
        conflicts_with = "output"
    )]
    coupling_cap_uf: Option<String>,
    /// Custom output: maximum level, the EMF of a full-scale sine at full volume ("10 dBu").
    #[arg(
        long,
        value_name = "DBU",
        allow_negative_numbers = true,
        conflicts_with = "output"
    )]
    max_dbu: Option<String>,
    /// Custom output: voltage rails, EMF volts peak.
    #[arg(
        long,
        allow_negative_numbers = true,
        value_name = "V",
        conflicts_with = "output"
    )]
    rail_v: Option<String>,
    /// Custom output: current limit, mA peak.
    #[arg(
        long,
        allow_negative_numbers = true,
        value_name = "MA",
        conflicts_with = "output"
    )]
    imax_ma: Option<String>,
    /// Custom output: supply sag, ohms (the rails fall by this times the load's peak current).
    #[arg(
        long = "sag-ohm",
        allow_negative_numbers = true,
        value_name = "OHM",
        conflicts_with = "output"
    )]
    r_sag_ohm: Option<String>,
    /// Custom output: dynamic range, dB(A) below a full-scale sine.
    #[arg(
        long,
        allow_negative_numbers = true,
        value_name = "DB",
        conflicts_with = "output"
    )]
    dynamic_range_db: Option<String>,
    /// Custom output: noise floor after the volume control, dBV(A).
    #[arg(
        long,
        value_name = "DBV",
        allow_negative_numbers = true,
        conflicts_with = "output"
    )]
    noise_dbv: Option<String>,
}

/// The headphone: a catalog name, or a measured curve.
#[derive(Args)]
struct HeadphoneArgs {
    /// A catalog headphone by name (any words that pick one, case, spaces and hyphens aside:
    /// "dt 770 80", "HD600"). With --headphone-file, only its sensitivity and name are used.
    #[arg(long, value_name = "NAME")]
    headphone: Option<String>,
    /// A measured impedance curve: REW/ARTA .txt, DATS .zma, or CSV (frequency, magnitude[,
    /// phase]).
    #[arg(long, value_name = "FILE")]
    headphone_file: Option<PathBuf>,
    /// The measured headphone's sensitivity: "102 dB/V" or "97 dB/mW".
    #[arg(long, value_name = "SENS", requires = "headphone_file")]
    sensitivity: Option<String>,
    /// Another headphone on the same jack (a splitter, or two jacks on one driver), by name as
    /// --headphone; up to three, one --with each. The output drives them all in parallel. With
    /// --own-outputs, "NAME at -6 dB" sets its output's volume relative to yours.
    #[arg(long = "with", value_name = "NAME")]
    with: Vec<String>,
    /// The --with headphones are each on an output of their own of the same amplifier (a
    /// distribution amplifier's), sharing its supply, not on your jack.
    #[arg(long)]
    own_outputs: bool,
}

/// A dB figure: "-6", "-6 dB", "85 dB SPL".
fn db_value(s: &str) -> Result<f64, String> {
    parse_with_unit(s, &["db spl", "dbspl", "db"], 1.0)
        .ok_or_else(|| format!("'{s}' is not a level in dB"))
}

/// A volume in dB within what a volume control sets.
fn volume_value(s: &str) -> Result<f64, String> {
    plausible::VOLUME_DB
        .check(db_value(s)?)
        .map_err(|e| e.to_string())
}

/// A target level in dB SPL within what the plugin offers.
fn target_spl_value(s: &str) -> Result<f64, String> {
    plausible::TARGET_SPL_DB
        .check(db_value(s)?)
        .map_err(|e| e.to_string())
}

/// A figure with one of `units`; `flag` names it in the message.
fn figure(flag: &str, s: &str, units: &[&str]) -> anyhow::Result<f64> {
    parse_with_unit(s, units, 1.0).with_context(|| {
        let unit = units[0];
        let how = if unit.starts_with("db") {
            format!("a number, or a number and {unit}: -6, -6 {unit}")
        } else {
            format!(
                "a number with an SI prefix if you like, in SI's case (k kilo, M mega, m milli, µ or u micro): 4.7k, 4.7 k{unit}"
            )
        };
        format!("{flag}: '{s}' is not a number in {unit}; write {how}")
    })
}

/// A figure with one of `units`, within the plausible range of quantity `q`; `flag` names it
/// in the message.
fn figure_in(flag: &str, s: &str, units: &[&str], q: Quantity) -> anyhow::Result<f64> {
    let v = figure(flag, s, units)?;
    q.check(v).map_err(|e| anyhow!("{flag}: {e}"))
}

/// How ohms may be written.
const OHM_UNITS: &[&str] = &["ohm", "ohms", "Ω"];

/// The custom output's figures, as `key=value` keys and (with `--`) flags; `resolve` reads
/// the flags in this order.
const FIGURE_KEYS: [&str; 8] = [
    "zout",
    "coupling-uf",
    "max-dbu",
    "rail-v",
    "imax-ma",
    "sag-ohm",
    "dynamic-range-db",
    "noise-dbv",
];

/// Sets the custom figure `key` from text: one parser for the flags and for key=value specs,
/// `label` naming it as the user wrote it (`--zout` or `zout=`).
fn set_figure(f: &mut OutputFigures, key: &str, value: &str, label: &str) -> anyhow::Result<()> {
    let (units, quantity): (&[&str], Quantity) = match key {
        "zout" => (OHM_UNITS, plausible::R_OUT_OHM),
        "coupling-uf" => (&["uf", "µf"], plausible::COUPLING_CAP_UF),
        "max-dbu" => (&["dbu"], plausible::FULL_SCALE_DBU),
        "rail-v" => (&["v"], plausible::RAIL_V_PEAK),
        "imax-ma" => (&["ma"], plausible::I_MAX_MA_PEAK),
        "sag-ohm" => (OHM_UNITS, plausible::R_SAG_OHM),
        "dynamic-range-db" => (&["db"], plausible::DYNAMIC_RANGE_DB),
        "noise-dbv" => (&["dbv"], plausible::NOISE_DBV),
        _ => bail!("unknown figure '{key}' ({})", FIGURE_KEYS.join(", ")),
    };
    let v = figure_in(label, value, units, quantity)?;
    match key {
        "zout" => f.r_out_ohm = v,
        "coupling-uf" => f.coupling_cap_uf = Some(v),
        "max-dbu" => f.full_scale_dbu = Some(v),
        "rail-v" => f.rail_v_peak = Some(v),
        "imax-ma" => f.i_max_ma_peak = Some(v),
        "sag-ohm" => f.r_sag_ohm = Some(v),
        "dynamic-range-db" => f.dynamic_range_db = Some((v, true)),
        _ => f.noise_floor_dbv = Some((v, true)),
    }
    Ok(())
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

/// A catalog output by name, built-in or the user's, or a chain of built-in ones
/// (`SOURCE [line out] [at VOLUME dB] -> AMP`).
fn catalog_output(name: &str) -> anyhow::Result<AnalysedOutput> {
    if let Some(spec) = catalog::ChainSpec::parse(name) {
        let spec = spec.context("chain (SOURCE [line out] [at VOLUME dB] -> AMP)")?;
        return AnalysedOutput::chain(&spec).context("chain");
    }
    let user = user_catalog();
    match user
        .pick_output(name)
        .context("output (see `loadline list outputs`)")?
    {
        Pick::BuiltIn(k) => AnalysedOutput::catalog(k).context("catalog output without a stage"),
        Pick::Yours(k) => Ok(AnalysedOutput::user(&user.outputs[k].entry)),
    }
}

/// The catalog headphone `name` picks, built-in or the user's: its model, where its figures
/// come from, and the models spanning its estimates.
fn catalog_headphone(
    name: &str,
) -> anyhow::Result<(HeadphoneModel, Vec<Provenance>, Vec<HeadphoneModel>)> {
    let user = user_catalog();
    let pick = user
        .pick_headphone(name)
        .context("headphone (see `loadline list headphones`)")?;
    Ok(match pick {
        Pick::BuiltIn(k) => (
            catalog::headphone_models()[k].clone(),
            catalog::headphones()[k].provenance(),
            catalog::headphones_across(k).to_vec(),
        ),
        Pick::Yours(k) => {
            let entry = &user.headphones[k].entry;
            let mut model = entry.model();
            model.name = catalog::user::marked(&model.name);
            let across = catalog::entry_headphones_across(entry)
                .into_iter()
                .map(|m| HeadphoneModel {
                    name: model.name.clone(),
                    ..m
                })
                .collect();
            (model, entry.provenance(), across)
        }
    })
}

/// A custom output's name: its figures.
fn custom_name(pairs: &[(&str, String)]) -> String {
    if pairs.is_empty() {
        "Ideal output".into()
    } else {
        let figures: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("Custom output ({})", figures.join(", "))
    }
}

/// A custom output from `key=value` pairs (comma-separated).
fn custom_from_spec(spec: &str) -> anyhow::Result<AnalysedOutput> {
    let mut figures = OutputFigures::default();
    let mut pairs = Vec::new();
    for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (k, v) = item
            .split_once('=')
            .with_context(|| format!("'{item}': expected key=value"))?;
        if pairs.iter().any(|(given, _)| *given == k.trim()) {
            bail!(
                "'{spec}': {} is given twice; give each figure once",
                k.trim()
            );
        }
        set_figure(&mut figures, k.trim(), v.trim(), &format!("{}=", k.trim()))?;
        pairs.push((k.trim(), v.trim().to_string()));
    }
    Ok(AnalysedOutput::typed(custom_name(&pairs), &figures))
}

/// An output given as a catalog name or as key=value figures.
fn output_from_text(text: &str) -> anyhow::Result<AnalysedOutput> {
    if text.contains('=') {
        custom_from_spec(text)
    } else {
        catalog_output(text)
    }
}

impl OutputArgs {
    /// The output these flags describe.
    fn resolve(&self) -> anyhow::Result<AnalysedOutput> {
        if let Some(name) = &self.output {
            return catalog_output(name);
        }
        // The flags, in the order of `FIGURE_KEYS`.
        let given = FIGURE_KEYS.into_iter().zip([
            &self.zout,
            &self.coupling_cap_uf,
            &self.max_dbu,
            &self.rail_v,
            &self.imax_ma,
            &self.r_sag_ohm,
            &self.dynamic_range_db,
            &self.noise_dbv,
        ]);
        let mut figures = OutputFigures::default();
        let mut pairs = Vec::new();
        for (key, value) in given {
            if let Some(v) = value {
                set_figure(&mut figures, key, v, &format!("--{key}"))?;
                pairs.push((key, v.clone()));
            }
        }
        if pairs.is_empty() {
            bail!(
                "no output: give --output NAME, or a custom output's figures (--{})",
                FIGURE_KEYS.join(", --")
            );
        }
        Ok(AnalysedOutput::typed(custom_name(&pairs), &figures))
    }
}

impl HeadphoneArgs {
    /// The other headphones (--with), each with where its figures come from and its volume
    /// relative to yours ("NAME at -6 dB", on outputs of their own only).
    fn others(&self) -> anyhow::Result<Vec<Listener>> {
        if self.with.len() > MAX_OTHER_LISTENERS {
            bail!(
                "--with: at most {MAX_OTHER_LISTENERS} other headphones share the jack ({} given)",
                self.with.len()
            );
        }
        self.with
            .iter()
            .map(|text| {
                let (name, volume_offset_db) = match text.rsplit_once(" at ") {
                    Some((name, db)) if db_value(db).is_ok() => {
                        let db = plausible::OTHER_VOLUME_DB
                            .check(db_value(db).expect("checked above"))
                            .map_err(|e| anyhow!("--with {text}: {e}"))?;
                        (name, Some(db))
                    }
                    _ => (text.as_str(), None),
                };
                if volume_offset_db.is_some() && !self.own_outputs {
                    bail!(
                        "--with {text}: on one jack every headphone gets the same voltage; a volume of its own needs --own-outputs"
                    );
                }
                let (model, provenance, _) =
                    catalog_headphone(name).with_context(|| format!("--with {name}"))?;
                Ok(Listener {
                    model,
                    provenance,
                    volume_offset_db: volume_offset_db.unwrap_or(0.0),
                })
            })
            .collect()
    }

    /// The headphone heard as an output with `outputs` headphone outputs sees it
    /// ([`Self::resolve`], with the others on the jack in parallel, unless they have outputs
    /// of their own, and named with those it counts), and all the others.
    fn resolve_on_jack(
        &self,
        sensitivity_for: Option<&str>,
        outputs: usize,
    ) -> anyhow::Result<(HeadphoneModel, HeadphoneModel, Vec<Listener>)> {
        let alone = self.resolve(sensitivity_for)?;
        let others = self.others()?;
        let on = self.others_on();
        let counted = listeners::counted(on, outputs, &others);
        let seen = on.as_seen(&alone, &listeners::models(counted));
        Ok((seen, alone, others))
    }

    /// Where the --with headphones are plugged in.
    fn others_on(&self) -> OthersOn {
        if self.own_outputs {
            OthersOn::OwnOutputs
        } else {
            OthersOn::SameJack
        }
    }

    /// What every listener gets with `out` (as `--output` gave it, before it is placed) at
    /// `volume_db`: on the jack, or on outputs of their own.
    fn listener_figures(
        &self,
        out: &AnalysedOutput,
        (alone, others): (&HeadphoneModel, &[Listener]),
        volume_db: f64,
        target_spl_db: f64,
    ) -> Option<JackFigures> {
        listeners::figures(
            self.others_on(),
            (&out.stage, &out.range_stages),
            out.own_outputs,
            alone,
            others,
            volume_db,
            target_spl_db,
        )
    }

    /// The models spanning the estimates of the headphone `alone` (as [`Self::resolve`] gave
    /// it), as the output sees them with `others` on the jack: the catalog's, or for a
    /// measured curve that takes the catalog's sensitivity, the curve at that sensitivity's
    /// ends; none for the user's own curve and sensitivity.
    fn across(
        &self,
        alone: &HeadphoneModel,
        others: &[Listener],
    ) -> anyhow::Result<Vec<HeadphoneModel>> {
        let Some(name) = &self.headphone else {
            return Ok(Vec::new());
        };
        let catalog_across = catalog_headphone(name)?.2;
        let across: Vec<HeadphoneModel> = match (&self.headphone_file, &self.sensitivity) {
            (None, _) => catalog_across,
            (Some(_), None) => {
                let mut ends: Vec<f64> =
                    catalog_across.iter().map(|m| m.sens_db_spl_per_v).collect();
                ends.sort_by(f64::total_cmp);
                ends.dedup();
                ends.into_iter()
                    .filter(|&s| s != alone.sens_db_spl_per_v)
                    .map(|sens_db_spl_per_v| HeadphoneModel {
                        sens_db_spl_per_v,
                        ..alone.clone()
                    })
                    .collect()
            }
            (Some(_), Some(_)) => Vec::new(),
        };
        let others = listeners::models(others);
        let on = self.others_on();
        Ok(across.iter().map(|m| on.as_seen(m, &others)).collect())
    }

    /// Where the catalog's figures among the headphone's come from: all of them for a catalog
    /// headphone, only the sensitivity for a measured curve that takes the catalog's, none
    /// for the user's own curve and sensitivity.
    fn provenance(&self) -> anyhow::Result<Vec<Provenance>> {
        let Some(name) = &self.headphone else {
            return Ok(Vec::new());
        };
        let all = catalog_headphone(name)?.1;
        Ok(match (&self.headphone_file, &self.sensitivity) {
            (None, _) => all,
            (Some(_), None) => all
                .into_iter()
                .filter(|p| p.decides == Decides::Sensitivity)
                .collect(),
            (Some(_), Some(_)) => Vec::new(),
        })
    }

    /// The headphone these flags describe; notes about an imported curve go to stderr.
    /// `sensitivity_for` says what needs the sensitivity, if anything does: a measured curve
    /// without one is refused only then, with that reason. Without it, the tone and the
    /// electrical chain (volume, limits, noise in volts) are still exact; the model's
    /// sensitivity is then not a number, which nothing downstream shows.
    fn resolve(&self, sensitivity_for: Option<&str>) -> anyhow::Result<HeadphoneModel> {
        let from_catalog = match &self.headphone {
            Some(name) => Some(catalog_headphone(name)?.0),
            None => None,
        };
        let Some(path) = &self.headphone_file else {
            return from_catalog
                .context("no headphone: give --headphone NAME or --headphone-file FILE");
        };
        let imported = read_impedance_file(path).with_context(|| path.display().to_string())?;
        for note in &imported.notes {
            eprintln!("note: {}: {note}", path.display());
        }
        let curve = imported.curve;
        let z_1k = curve.z_ohm(1000.0).norm();
        let file_name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into(),
        );
        let (sens_db_spl_per_v, sens_source, name) = match (&self.sensitivity, from_catalog) {
            (Some(s), catalog_model) => (
                parse_sensitivity(s, z_1k)?,
                format!("given: {s}"),
                catalog_model.map_or(file_name.clone(), |m| format!("{} ({file_name})", m.name)),
            ),
            (None, Some(m)) => (
                m.sens_db_spl_per_v,
                m.sens_source.clone(),
                format!("{} ({file_name})", m.name),
            ),
            (None, None) => match sensitivity_for {
                Some(why) => {
                    bail!(
                        "a measured curve needs a sensitivity here ({why}): --sensitivity \"102 dB/V\" (or dB/mW), or --headphone NAME to take the catalog's"
                    );
                }
                None => (
                    f64::NAN,
                    "not given (nothing here needs it)".to_string(),
                    file_name.clone(),
                ),
            },
        };
        Ok(HeadphoneModel {
            name,
            kind: "measured curve".into(),
            nominal_ohm: z_1k,
            source: format!("measured: {}", path.display()),
            sens_db_spl_per_v,
            sens_source,
            load: HeadphoneLoad::Measured(curve),
        })
    }
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
    }
}

impl ReportArgs {
    /// Runs the subcommand.
    fn run(self) -> anyhow::Result<()> {
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
struct ReportJson<'a> {
    #[serde(flatten)]
    report: &'a Report,
    #[serde(skip_serializing_if = "Option::is_none")]
    jack: Option<JackFigures>,
}

impl ResponseArgs {
    /// Runs the subcommand.
    fn run(self) -> anyhow::Result<()> {
        let ResponseArgs {
            output,
            compare,
            headphone,
            csv,
            png,
            zma,
            points,
        } = self;
        if csv.is_none() && png.is_none() && zma.is_none() {
            bail!("nothing to write: give --csv FILE, --png FILE or --zma FILE (- for stdout)");
        }
        // Every file named is checked before anything is computed or written.
        if let Some(input) = &headphone.headphone_file {
            for target in [&csv, &png, &zma].into_iter().flatten() {
                refuse_overwriting(target, input)?;
            }
        }
        if let Some(path) = &png
            && !path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("png"))
        {
            bail!("--png {}: a PNG file's name ends in .png", path.display());
        }
        let (hp, ..) = headphone.resolve_on_jack(None, usize::MAX)?;
        if let Some(path) = &zma {
            let curve = MeasuredCurve::sampled_from(&hp.load, 5.0, 40_000.0, 400);
            write_file(path, to_zma(&curve, &hp.name).as_bytes())?;
        }
        if csv.is_none() && png.is_none() {
            return Ok(());
        }
        let mut outs = vec![output.resolve()?];
        if let Some(c) = &compare {
            outs.push(output_from_text(c)?);
        }
        let stages: Vec<OutputStage> = outs.iter().map(|o| o.stage).collect();
        let pts = response(&stages, &hp.load, points as usize);
        let names: Vec<&str> = outs.iter().map(|o| o.name.as_str()).collect();
        if let Some(path) = &csv {
            write_file(path, response_csv(&pts, &names).as_bytes())?;
        }
        if let Some(path) = &png {
            draw_png(path, &pts, &names, &hp.name)?;
            let bytes = std::fs::metadata(path).map_or(0, |m| m.len());
            eprintln!("{}: {bytes} bytes", path.display());
        }
        Ok(())
    }
}

impl RenderArgs {
    /// Runs the subcommand.
    fn run(self) -> anyhow::Result<()> {
        let RenderArgs {
            input,
            output_wav,
            output,
            compare,
            headphone,
            volume,
            target_spl,
            level_match,
            mode,
            no_limits,
            no_noise,
        } = self;
        let mut outs = vec![output.resolve()?];
        if let Some(c) = &compare {
            outs.push(output_from_text(c)?);
        }
        let (hp, _, others) = headphone.resolve_on_jack(
            target_spl.map(|_| "--target-spl sets the volume from an SPL"),
            outs[0].own_outputs,
        )?;
        let outs: Vec<AnalysedOutput> = outs
            .into_iter()
            .map(|o| o.placed(headphone.others_on(), &others))
            .collect();
        let level = match (volume, target_spl) {
            (_, Some(t)) => Level::TargetSplDb(t),
            (Some(v), None) => Level::VolumeDb(v),
            (None, None) => Level::VolumeDb(0.0),
        };
        let targets: Vec<PathBuf> = if outs.len() == 1 {
            vec![output_wav.clone()]
        } else {
            ["A", "B"]
                .iter()
                .map(|l| output_wav.with_extension(format!("{l}.wav")))
                .collect()
        };
        for target in &targets {
            refuse_overwriting(target, &input)?;
        }
        let rate = wav::WavBlocks::open(&input)?.rate();
        if let Err(e) = plausible::SAMPLE_RATE_HZ.check(rate.into()) {
            bail!("{}: {e}; resample it first", input.display());
        }
        for (out, path) in outs.iter().zip(&targets) {
            let settings = RenderSettings {
                stage: out.stage,
                headphone: hp.clone(),
                mode: match mode {
                    ModeArg::Exact => DesignMode::Exact,
                    ModeArg::ZeroLatency => DesignMode::ZeroLatency,
                },
                level_match,
                level,
                limits: !no_limits,
                noise: !no_noise,
            };
            let info = render_file(&input, path, &settings, &out.name)?;
            eprintln!(
                "{}",
                rendered_text(path, &input, &out.name, &hp.name, &info)
            );
        }
        Ok(())
    }
}

/// Frames read, rendered and written at a time.
const RENDER_BLOCK_FRAMES: usize = 8192;

/// Renders the WAV at `input` through `settings` into a WAV at `path`, a block at a time (the
/// memory used does not grow with the file), with a progress bar on a terminal.
fn render_file(
    input: &Path,
    path: &Path,
    settings: &RenderSettings,
    output_name: &str,
) -> anyhow::Result<RenderInfo> {
    let mut reader = wav::WavBlocks::open(input)?;
    let mut writer = wav::WavOut::create(path, reader.rate(), reader.channels())?;
    let mut renderer = Renderer::new(reader.channels(), reader.rate() as f64, settings);
    let bar = ProgressBar::new(reader.frames())
        .with_style(ProgressStyle::with_template("{msg} [{bar:40}] {percent}%")?);
    bar.set_message(format!("{output_name} → {}", path.display()));
    let mut written = Ok(());
    let mut emit = |block: &[&[f32]]| {
        if written.is_ok() {
            written = writer.write(block);
        }
    };
    loop {
        let block = reader.next_block(RENDER_BLOCK_FRAMES)?;
        let frames = block.first().map_or(0, Vec::len);
        if frames == 0 {
            break;
        }
        let slices: Vec<&[f32]> = block.iter().map(Vec::as_slice).collect();
        renderer.push(&slices, &mut emit);
        bar.inc(frames as u64);
    }
    let info = renderer.finish(&mut emit);
    bar.finish_and_clear();
    written?;
    writer.finish()?;
    Ok(info)
}

/// What a render did, in one line: where, what through what, the volume, and any clipping.
fn rendered_text(
    path: &std::path::Path,
    input: &std::path::Path,
    output_name: &str,
    hp_name: &str,
    info: &RenderInfo,
) -> String {
    let mut msg = format!(
        "{}: {} through {output_name} on {hp_name}, volume {} dB",
        path.display(),
        input.display(),
        fmt_db(info.volume_db)
    );
    if info.target_reachable == Some(false) {
        msg.push_str(" (maximum: the target is out of reach)");
    }
    if info.clipped_samples > 0 {
        let _ = write!(
            msg,
            ", a limit acted in {} of its {} samples ({:.2} %)",
            info.clipped_samples,
            info.samples,
            100.0 * info.clipped_samples as f64 / info.samples.max(1) as f64
        );
    }
    msg
}

impl RankArgs {
    /// Runs the subcommand.
    fn run(self) -> anyhow::Result<()> {
        let RankArgs {
            headphone,
            target_spl,
            into,
            json,
        } = self;
        // Every output is ranked with every listener named: how many each counts is its own.
        let (hp, alone, others) =
            headphone.resolve_on_jack(Some("the rank compares SPL"), usize::MAX)?;
        let hp_provenance = provenance_on_jack(&headphone.provenance()?, &others);
        let across = headphone.across(&alone, &others)?;
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
            .map(|o| o.placed(headphone.others_on(), &others))
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
fn sources_into(amp: &str) -> anyhow::Result<Vec<AnalysedOutput>> {
    use catalog::{ChainSpec, OutputKind, SourceJack};
    let amp = catalog::find_output(amp).context("--into")?;
    let mut chains = Vec::new();
    for (k, entry) in catalog::outputs().iter().enumerate() {
        let amp_kinds = [
            OutputKind::Reference,
            OutputKind::DedicatedAmp,
            OutputKind::MultiChannelAmp,
        ];
        if k == amp || amp_kinds.contains(&entry.kind) {
            continue;
        }
        let jacks = [
            Some(SourceJack::HeadphoneOut),
            entry.line_out.as_ref().map(|_| SourceJack::LineOut),
        ];
        for jack in jacks.into_iter().flatten() {
            let spec = ChainSpec {
                source: catalog::ChainSource::Catalog(k),
                jack,
                source_volume_db: 0.0,
                amp,
                gain: catalog::AmpGain::High,
            };
            chains.push(AnalysedOutput::chain(&spec).context("--into")?);
        }
    }
    Ok(chains)
}

/// The rank as a table for people: one row per output, then what the figures column means and
/// what is estimated of the headphone.
fn rank_table(
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
fn noise_text(db_spl_a: f64) -> String {
    if db_spl_a.is_finite() {
        format!("{db_spl_a:.1}")
    } else {
        "—".into()
    }
}

/// Prints `text` and a newline on stdout. A closed pipe (`| head`) ends the program quietly,
/// as for any Unix filter; other write errors are reported.
fn emit(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "{text}").and_then(|()| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("error: writing to stdout: {e}");
            std::process::exit(1);
        }
        std::process::exit(0);
    }
}

/// Serialises to pretty JSON.
fn to_json<T: serde::Serialize + ?Sized>(v: &T) -> anyhow::Result<String> {
    Ok(serde_json::to_string_pretty(v)?)
}

/// Writes a file (standard output for `-`), naming it in the error, and on stderr once it is
/// written.
fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if path.as_os_str() == "-" {
        use std::io::Write;
        return std::io::stdout()
            .write_all(bytes)
            .context("cannot write to stdout");
    }
    loadline_core::files::write_whole(path, bytes)
        .with_context(|| format!("cannot write {}", path.display()))?;
    eprintln!("{}: {} bytes", path.display(), bytes.len());
    Ok(())
}

/// `name` as lists show it: marked when it is the user's.
fn shown_name(name: &str, is_yours: bool) -> String {
    if is_yours {
        catalog::user::marked(name)
    } else {
        name.to_string()
    }
}

/// The catalog, the user's entries after the built-in ones, listed or filtered.
fn list(what: ListWhat, search: Option<&str>, json: bool) -> anyhow::Result<()> {
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

/// The rank's noise floor: across the estimates' ranges when they move it.
fn noise_column(r: &Report) -> String {
    match r.range.map(|g| fmt_span(g.noise_floor_db_spl_a, 1)) {
        Some(span) if span.contains('–') => span,
        _ => noise_text(r.noise_floor_db_spl_a),
    }
}

/// "ESTIMATED: output impedance, noise" for what `estimated` lists, else `otherwise`.
fn estimated_column(estimated: &[Decides], otherwise: &str) -> String {
    if estimated.is_empty() {
        return otherwise.into();
    }
    format!("ESTIMATED: {}", catalog::decides_text(estimated))
}

/// Appends what a listed entry's estimated figures decide, from its JSON row's "estimated".
fn estimated_mark(line: &mut String, estimated: &serde_json::Value) {
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

/// The response as CSV: frequency, |Z|, phase, then per output the deviation and the level.
fn response_csv(pts: &[ResponsePoint], names: &[&str]) -> String {
    let mut s = String::from("freq_hz,z_mag_ohm,z_phase_deg");
    for (i, _) in names.iter().enumerate() {
        let _ = write!(s, ",deviation_db_{i},level_db_{i}");
    }
    s.push('\n');
    for (i, n) in names.iter().enumerate() {
        let _ = writeln!(s, "# output {i}: {}", n.replace('\n', " "));
    }
    for p in pts {
        let _ = write!(
            s,
            "{:.6},{:.6},{:.4}",
            p.freq_hz, p.z_mag_ohm, p.z_phase_deg
        );
        for (d, l) in p.deviation_db.iter().zip(&p.level_db) {
            let _ = write!(s, ",{d:.5},{l:.5}");
        }
        s.push('\n');
    }
    s
}

/// Draws |Z| and the deviations as a PNG (two panels, log frequency).
fn draw_png(path: &Path, pts: &[ResponsePoint], names: &[&str], hp: &str) -> anyhow::Result<()> {
    use plotters::prelude::*;
    plotters::style::register_font(
        "sans-serif",
        FontStyle::Normal,
        epaint_default_fonts::UBUNTU_LIGHT,
    )
    .map_err(|_| anyhow!("the embedded font did not load"))?;
    let err = |e: &dyn std::fmt::Display| anyhow!("drawing {}: {e}", path.display());
    let root = BitMapBackend::new(path, (1000, 720)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let (top, bottom) = root.split_vertically(340);
    let (f_lo, f_hi) = (pts[0].freq_hz, pts[pts.len() - 1].freq_hz);
    let z_max = pts.iter().map(|p| p.z_mag_ohm).fold(0.0, f64::max) * 1.1;
    let mut z_chart = ChartBuilder::on(&top)
        .caption(format!("{hp}: impedance"), ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(34)
        .y_label_area_size(60)
        .build_cartesian_2d((f_lo..f_hi).log_scale(), 0.0..z_max)
        .map_err(|e| err(&e))?;
    z_chart
        .configure_mesh()
        .x_desc("frequency")
        .x_label_formatter(&|f| fmt_hz(*f))
        .y_desc("|Z| (Ω)")
        .draw()
        .map_err(|e| err(&e))?;
    z_chart
        .draw_series(LineSeries::new(
            pts.iter().map(|p| (p.freq_hz, p.z_mag_ohm)),
            BLACK.stroke_width(2),
        ))
        .map_err(|e| err(&e))?;
    let devs = pts.iter().flat_map(|p| p.deviation_db.iter().copied());
    let (lo, hi) = devs.fold((0.0f64, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
    let pad = ((hi - lo) * 0.1).max(0.25);
    let mut d_chart = ChartBuilder::on(&bottom)
        .caption("tonal deviation (relative to 1 kHz)", ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(34)
        .y_label_area_size(60)
        .build_cartesian_2d((f_lo..f_hi).log_scale(), (lo - pad)..(hi + pad))
        .map_err(|e| err(&e))?;
    d_chart
        .configure_mesh()
        .x_desc("frequency")
        .x_label_formatter(&|f| fmt_hz(*f))
        .y_desc("dB")
        .draw()
        .map_err(|e| err(&e))?;
    for (i, name) in names.iter().enumerate() {
        let colour = Palette99::pick(i).to_rgba();
        d_chart
            .draw_series(LineSeries::new(
                pts.iter().map(|p| (p.freq_hz, p.deviation_db[i])),
                colour.stroke_width(2),
            ))
            .map_err(|e| err(&e))?
            .label(*name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour));
    }
    d_chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

/// Refuses to write `target` when it is the file `input` names: a command never replaces what
/// it reads.
fn refuse_overwriting(target: &Path, input: &Path) -> anyhow::Result<()> {
    let same = match (target.canonicalize(), input.canonicalize()) {
        (Ok(t), Ok(i)) => t == i,
        _ => false,
    };
    if same {
        bail!(
            "{}: that is the input file, which is never overwritten; give another output path",
            target.display()
        );
    }
    Ok(())
}
