//! The arguments every subcommand shares: the output and the headphone, as catalog names or
//! figures, and the parsing of typed figures against their plausible ranges.

use crate::user_catalog;
use anyhow::{Context, anyhow, bail};
use clap::Args;
use loadline_core::analysis::AnalysedOutput;
use loadline_core::catalog;
use loadline_core::catalog::user::Pick;
use loadline_core::catalog::{Decides, Provenance};
use loadline_core::figures::{FigureDef, OUTPUT_FIGURES, output_figure};
use loadline_core::import::{parse_sensitivity, read_impedance_file};
use loadline_core::listeners::{self, JackFigures, Listener, MAX_OTHER_LISTENERS, OthersOn};
use loadline_core::physics::Impedance;
use loadline_core::physics::headphones::{HeadphoneLoad, HeadphoneModel};
use loadline_core::physics::output::OutputFigures;
use loadline_core::plausible::{self, Quantity};
use loadline_core::units::parse_with_unit;
use std::path::PathBuf;

/// The output: a catalog name, or a custom output's figures (each absent one ideal). The
/// figures' flags are made from `figures::OUTPUT_FIGURES`, so they are declared once.
pub(crate) struct OutputArgs {
    /// A catalog output by name, or a chain of them.
    pub(crate) output: Option<String>,
    /// The custom output's figures as typed, in the order of `OUTPUT_FIGURES`: the flag the
    /// user wrote (its name, or an older spelling) and the value.
    pub(crate) figures: [Option<(&'static str, String)>; OUTPUT_FIGURES.len()],
}

impl clap::FromArgMatches for OutputArgs {
    fn from_arg_matches(m: &clap::ArgMatches) -> Result<Self, clap::Error> {
        let typed = |d: &FigureDef| {
            std::iter::once((d.flag, d.key.to_string()))
                .chain(d.aliases.iter().map(|a| (*a, a.to_string())))
                .find_map(|(flag, id)| m.get_one::<String>(&id).map(|v| (flag, v.clone())))
        };
        Ok(OutputArgs {
            output: m.get_one::<String>("output").cloned(),
            figures: OUTPUT_FIGURES.each_ref().map(typed),
        })
    }

    fn update_from_arg_matches(&mut self, m: &clap::ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}

impl clap::Args for OutputArgs {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        let output = clap::Arg::new("output")
            .long("output")
            .value_name("NAME")
            .help(
                "A catalog output by name (any words that pick one, case, spaces and hyphens aside: \"scarlett 2i2 4th\", \"studio24c\"), or a chain of them: \"UMC202HD line out -> Magni 2\", \"UMC202HD at -10 dB -> Magni 2\"",
            );
        OUTPUT_FIGURES.iter().fold(cmd.arg(output), |cmd, d| {
            // An older spelling is a hidden flag of its own (its id is itself), so that a
            // message names the flag as the user typed it.
            let flag = |id: &'static str, long: &'static str| {
                clap::Arg::new(id)
                    .long(long)
                    .value_name(d.value_name)
                    .allow_negative_numbers(true)
                    .conflicts_with("output")
            };
            let cmd = cmd.arg(flag(d.key, d.flag).help(format!("Custom output: {}", d.help)));
            d.aliases.iter().fold(cmd, |cmd, alias| {
                cmd.arg(flag(alias, alias).hide(true).conflicts_with(d.key))
            })
        })
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

/// The headphone: a catalog name, or a measured curve.
#[derive(Args)]
pub(crate) struct HeadphoneArgs {
    /// A catalog headphone by name (any words that pick one, case, spaces and hyphens aside:
    /// "dt 770 80", "HD600"). With --headphone-file, only its sensitivity and name are used.
    #[arg(long, value_name = "NAME")]
    pub(crate) headphone: Option<String>,
    /// A measured impedance curve: REW/ARTA .txt, DATS .zma, or CSV (frequency, magnitude[,
    /// phase]).
    #[arg(long, value_name = "FILE")]
    pub(crate) headphone_file: Option<PathBuf>,
    /// The measured headphone's sensitivity: "102 dB/V" or "97 dB/mW".
    #[arg(long, value_name = "SENS", requires = "headphone_file")]
    pub(crate) sensitivity: Option<String>,
    /// Another headphone on the same jack (a splitter, or two jacks on one driver), by name as
    /// --headphone; up to three, one --with each. The output drives them all in parallel. With
    /// --own-outputs, "NAME at -6 dB" sets its output's volume relative to yours.
    #[arg(long = "with", value_name = "NAME")]
    pub(crate) with: Vec<String>,
    /// The --with headphones are each on an output of their own of the same amplifier (a
    /// distribution amplifier's), sharing its supply, not on your jack.
    #[arg(long)]
    pub(crate) own_outputs: bool,
}

/// A dB figure: "-6", "-6 dB", "85 dB SPL".
pub(crate) fn db_value(s: &str) -> Result<f64, String> {
    parse_with_unit(s, &["db spl", "dbspl", "db"], 1.0)
        .ok_or_else(|| format!("'{s}' is not a level in dB"))
}

/// A volume in dB within what a volume control sets.
pub(crate) fn volume_value(s: &str) -> Result<f64, String> {
    plausible::VOLUME_DB
        .check(db_value(s)?)
        .map_err(|e| e.to_string())
}

/// A target level in dB SPL within what the plugin offers.
pub(crate) fn target_spl_value(s: &str) -> Result<f64, String> {
    plausible::TARGET_SPL_DB
        .check(db_value(s)?)
        .map_err(|e| e.to_string())
}

/// A figure with one of `units`; `flag` names it in the message.
pub(crate) fn figure(flag: &str, s: &str, units: &[&str]) -> anyhow::Result<f64> {
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
pub(crate) fn figure_in(flag: &str, s: &str, units: &[&str], q: Quantity) -> anyhow::Result<f64> {
    let v = figure(flag, s, units)?;
    q.check(v).map_err(|e| anyhow!("{flag}: {e}"))
}

/// How ohms may be written.
pub(crate) const OHM_UNITS: &[&str] = &["ohm", "ohms", "Ω"];

/// Sets the custom figure `key` (its name, flag or an older spelling: "r-out-ohm", "zout")
/// from text: one parser for the flags and for key=value specs, `label` naming it as the user
/// wrote it (`--r-out-ohm` or `zout=`). Returns the figure's flag.
pub(crate) fn set_figure(
    f: &mut OutputFigures,
    key: &str,
    value: &str,
    label: &str,
) -> anyhow::Result<&'static str> {
    let Some(d) = output_figure(key) else {
        let flags: Vec<&str> = OUTPUT_FIGURES.iter().map(|d| d.flag).collect();
        bail!("unknown figure '{key}' ({})", flags.join(", "));
    };
    let v = figure_in(label, value, d.units, d.quantity)?;
    (d.set)(f, v);
    Ok(d.flag)
}

/// A catalog output by name, built-in or the user's, or a chain of built-in ones
/// (`SOURCE [line out] [at VOLUME dB] -> AMP`).
pub(crate) fn catalog_output(name: &str) -> anyhow::Result<AnalysedOutput> {
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
pub(crate) fn catalog_headphone(
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
pub(crate) fn custom_name(pairs: &[(&str, String)]) -> String {
    if pairs.is_empty() {
        "Ideal output".into()
    } else {
        let figures: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("Custom output ({})", figures.join(", "))
    }
}

/// A custom output from `key=value` pairs (comma-separated).
pub(crate) fn custom_from_spec(spec: &str) -> anyhow::Result<AnalysedOutput> {
    let mut figures = OutputFigures::default();
    let mut pairs = Vec::new();
    for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (k, v) = item
            .split_once('=')
            .with_context(|| format!("'{item}': expected key=value"))?;
        let (k, v) = (k.trim(), v.trim());
        // A figure given twice, by one spelling or by two ("zout" and "r-out-ohm").
        if let Some(d) = output_figure(k)
            && pairs.iter().any(|(given, _)| *given == d.flag)
        {
            bail!("'{spec}': {k} is given twice; give each figure once");
        }
        let flag = set_figure(&mut figures, k, v, &format!("{k}="))?;
        pairs.push((flag, v.to_string()));
    }
    Ok(AnalysedOutput::typed(custom_name(&pairs), &figures))
}

/// An output given as a catalog name or as key=value figures.
pub(crate) fn output_from_text(text: &str) -> anyhow::Result<AnalysedOutput> {
    if text.contains('=') {
        custom_from_spec(text)
    } else {
        catalog_output(text)
    }
}

impl OutputArgs {
    /// The output these flags describe.
    pub(crate) fn resolve(&self) -> anyhow::Result<AnalysedOutput> {
        if let Some(name) = &self.output {
            return catalog_output(name);
        }
        let mut figures = OutputFigures::default();
        let mut pairs = Vec::new();
        for (d, given) in OUTPUT_FIGURES.iter().zip(&self.figures) {
            if let Some((typed, v)) = given {
                set_figure(&mut figures, d.key, v, &format!("--{typed}"))?;
                pairs.push((d.flag, v.clone()));
            }
        }
        if pairs.is_empty() {
            let flags: Vec<&str> = OUTPUT_FIGURES.iter().map(|d| d.flag).collect();
            bail!(
                "no output: give --output NAME, or a custom output's figures (--{})",
                flags.join(", --")
            );
        }
        Ok(AnalysedOutput::typed(custom_name(&pairs), &figures))
    }
}

impl HeadphoneArgs {
    /// The other headphones (--with), each with where its figures come from and its volume
    /// relative to yours ("NAME at -6 dB", on outputs of their own only).
    pub(crate) fn others(&self) -> anyhow::Result<Vec<Listener>> {
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
    pub(crate) fn resolve_on_jack(
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
    pub(crate) fn others_on(&self) -> OthersOn {
        if self.own_outputs {
            OthersOn::OwnOutputs
        } else {
            OthersOn::SameJack
        }
    }

    /// What every listener gets with `out` (as `--output` gave it, before it is placed) at
    /// `volume_db`: on the jack, or on outputs of their own.
    pub(crate) fn listener_figures(
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
    pub(crate) fn across(
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
    pub(crate) fn provenance(&self) -> anyhow::Result<Vec<Provenance>> {
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
    pub(crate) fn resolve(&self, sensitivity_for: Option<&str>) -> anyhow::Result<HeadphoneModel> {
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
