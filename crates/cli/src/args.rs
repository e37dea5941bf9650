//! The arguments every subcommand shares: the output and the headphone, as catalog names or
//! figures, and the parsing of typed figures against their plausible ranges.

use crate::user_catalog;
use anyhow::{Context, anyhow, bail};
use clap::Args;
use loadline_core::analysis::AnalysedOutput;
use loadline_core::catalog;
use loadline_core::catalog::Decides;
use loadline_core::catalog::user::Pick;
use loadline_core::choices::{
    AmpChoice, ChainChoice, Device, HeadphonePick, ListenerChoices, OtherListener, Output,
    ResolvedListeners, SlotChoice,
};
use loadline_core::figures::{FigureDef, OUTPUT_FIGURES, output_figure};
use loadline_core::import::{parse_sensitivity, read_impedance_file};
use loadline_core::listeners::{MAX_OTHER_LISTENERS, OthersOn};
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

/// The output device `name` picks, built-in or the user's.
pub(crate) fn device(name: &str) -> anyhow::Result<Device> {
    let user = user_catalog();
    Ok(match user.pick_output(name)? {
        Pick::BuiltIn(k) => Device::Catalog(k),
        Pick::Yours(k) => Device::Yours(Box::new(user.outputs[k].entry.clone())),
    })
}

/// An output by name, built-in or the user's, or a chain of them (`SOURCE [line out] [at
/// VOLUME dB] -> AMP`), checked.
pub(crate) fn catalog_output(name: &str) -> anyhow::Result<SlotChoice> {
    let Some(words) = catalog::ChainWords::parse(name) else {
        let output = device(name).context("output (see `loadline list outputs`)")?;
        return Ok(SlotChoice::alone(Output::Device(output)));
    };
    let context = "chain (SOURCE [line out] [at VOLUME dB] -> AMP)";
    let words = words.context(context)?;
    let part = |name: &str| device(name).with_context(|| format!("{context}: {name}"));
    let slot = SlotChoice {
        output: Output::Device(part(words.source)?),
        chain: Some(ChainChoice {
            jack: words.jack,
            source_volume_db: words.source_volume_db,
            amp: AmpChoice::Device(part(words.amp)?),
            gain: words.gain,
        }),
    };
    slot.spec().context("chain")?;
    Ok(slot)
}

/// The headphone `name` picks, built-in or the user's.
pub(crate) fn headphone_pick(name: &str) -> anyhow::Result<HeadphonePick> {
    let user = user_catalog();
    let pick = user
        .pick_headphone(name)
        .context("headphone (see `loadline list headphones`)")?;
    Ok(match pick {
        Pick::BuiltIn(k) => HeadphonePick::Catalog(k),
        Pick::Yours(k) => HeadphonePick::Yours(Box::new(user.headphones[k].entry.clone())),
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
pub(crate) fn custom_from_spec(spec: &str) -> anyhow::Result<SlotChoice> {
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
    Ok(typed(&pairs, figures))
}

/// Figures typed one by one (`pairs` as typed) as a slot's output.
fn typed(pairs: &[(&str, String)], figures: OutputFigures) -> SlotChoice {
    SlotChoice::alone(Output::figures(custom_name(pairs), figures))
}

/// An output given as a catalog name or as key=value figures.
pub(crate) fn output_from_text(text: &str) -> anyhow::Result<SlotChoice> {
    if text.contains('=') {
        custom_from_spec(text)
    } else {
        catalog_output(text)
    }
}

impl OutputArgs {
    /// Whether any of these flags is given.
    pub(crate) fn given(&self) -> bool {
        self.output.is_some() || self.figures.iter().any(Option::is_some)
    }

    /// The output these flags describe, as analysed.
    pub(crate) fn resolve(&self) -> anyhow::Result<AnalysedOutput> {
        Ok(self.choice()?.analysed()?)
    }

    /// The output these flags describe.
    pub(crate) fn choice(&self) -> anyhow::Result<SlotChoice> {
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
        Ok(typed(&pairs, figures))
    }
}

impl HeadphoneArgs {
    /// Whether the headphone is given (by name or as a curve).
    pub(crate) fn given(&self) -> bool {
        self.headphone.is_some() || self.headphone_file.is_some()
    }

    /// The other headphones (--with), each with its volume relative to yours ("NAME at
    /// -6 dB", on outputs of their own only).
    fn others(&self) -> anyhow::Result<Vec<OtherListener>> {
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
                Ok(OtherListener {
                    headphone: headphone_pick(name).with_context(|| format!("--with {name}"))?,
                    volume_offset_db: volume_offset_db.unwrap_or(0.0),
                })
            })
            .collect()
    }

    /// Who listens, as these flags say; notes about an imported curve go to stderr.
    /// `sensitivity_for` says what needs the sensitivity, if anything does (see
    /// [`Self::heard`]).
    pub(crate) fn choices(&self, sensitivity_for: Option<&str>) -> anyhow::Result<ListenerChoices> {
        Ok(ListenerChoices {
            heard: self.heard(sensitivity_for)?,
            others: self.others()?,
            on: if self.own_outputs {
                OthersOn::OwnOutputs
            } else {
                OthersOn::SameJack
            },
        })
    }

    /// Who listens, resolved.
    pub(crate) fn resolve(
        &self,
        sensitivity_for: Option<&str>,
    ) -> anyhow::Result<ResolvedListeners> {
        Ok(self.choices(sensitivity_for)?.resolve()?)
    }

    /// The headphone heard: a catalog or user headphone by name, or a measured curve (with
    /// the named headphone's sensitivity, unless one is given). `sensitivity_for` says what
    /// needs the sensitivity: a measured curve without one is refused only then, with that
    /// reason. Without it, the tone and the electrical chain (volume, limits, noise in volts)
    /// are still exact; the model's sensitivity is then not a number, which nothing
    /// downstream shows.
    fn heard(&self, sensitivity_for: Option<&str>) -> anyhow::Result<HeadphonePick> {
        let named = match &self.headphone {
            Some(name) => Some(headphone_pick(name)?),
            None => None,
        };
        let Some(path) = &self.headphone_file else {
            return named.context("no headphone: give --headphone NAME or --headphone-file FILE");
        };
        let named = match named {
            Some(pick) => Some(pick.resolve().context("no such catalog headphone")?),
            None => None,
        };
        let model = self.curve_model(path, named.as_ref().map(|n| &n.model), sensitivity_for)?;
        // The catalog's figures count only as far as the curve takes them: its sensitivity.
        let (provenance, across) = match (named, &self.sensitivity) {
            (Some(n), None) => (
                n.provenance
                    .into_iter()
                    .filter(|p| p.decides == Decides::Sensitivity)
                    .collect(),
                sensitivity_ends(&model, &n.across),
            ),
            _ => (Vec::new(), Vec::new()),
        };
        Ok(HeadphonePick::Given {
            model: Box::new(model),
            provenance,
            across,
        })
    }

    /// The measured curve at `path` as a model, with the given sensitivity, else `named`'s.
    fn curve_model(
        &self,
        path: &std::path::Path,
        named: Option<&HeadphoneModel>,
        sensitivity_for: Option<&str>,
    ) -> anyhow::Result<HeadphoneModel> {
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
        let (sens_db_spl_per_v, sens_source, name) = match (&self.sensitivity, named) {
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

/// The models spanning a measured curve's estimates when it takes a catalog headphone's
/// sensitivity: the curve at that sensitivity's ends (the catalog's models `across`).
fn sensitivity_ends(model: &HeadphoneModel, across: &[HeadphoneModel]) -> Vec<HeadphoneModel> {
    let mut ends: Vec<f64> = across.iter().map(|m| m.sens_db_spl_per_v).collect();
    ends.sort_by(f64::total_cmp);
    ends.dedup();
    ends.into_iter()
        .filter(|&s| s != model.sens_db_spl_per_v)
        .map(|sens_db_spl_per_v| HeadphoneModel {
            sens_db_spl_per_v,
            ..model.clone()
        })
        .collect()
}
