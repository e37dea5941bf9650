//! Setups: a named, complete description of what is compared (outputs A and B with their
//! chains, the headphone, the other listeners, the level, the mode), in a TOML form a
//! producer can read, saved one per file in the `setups` folder beside the user's catalog,
//! and the factory's, each named for the question it answers.
//!
//! A device is named as the catalog names it; one of the user's is carried whole (`yours`),
//! so that a setup loads on a machine without the user's catalog file, with the figures it
//! carries, and says so. [`Setup::choices`] makes the `choices::Choices` it describes.

use crate::analysis::Slot;
use crate::catalog::user::{Lines, Pick, UserCatalog};
use crate::catalog::{self, AmpGain, HeadphoneEntry, LookupError, OutputEntry, SourceJack};
use crate::choices::{
    AmpChoice, ChainChoice, Choices, Device, HeadphonePick, ListenerChoices, OtherListener, Output,
    SlotChoice,
};
use crate::figures::OUTPUT_FIGURES;
use crate::listeners::{MAX_OTHER_LISTENERS, OthersOn};
use crate::physics::output::OutputFigures;
use crate::plausible;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A setup, as its file holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Setup {
    /// Its name (the file's is made from it).
    pub name: String,
    /// The question it answers, in a sentence.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub question: String,
    /// Output A.
    pub a: SlotSetup,
    /// Output B.
    pub b: SlotSetup,
    /// The headphone heard.
    pub headphone: HeadphoneSetup,
    /// The other listeners (at most three).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub others: Vec<OtherSetup>,
    /// Where the others are plugged in.
    #[serde(default)]
    pub others_on: OthersOnSetup,
    /// How loud.
    pub level: LevelSetup,
    /// Which is heard.
    #[serde(default)]
    pub heard: HeardSetup,
    /// The design mode.
    #[serde(default)]
    pub mode: ModeSetup,
    /// Whether A and B are heard at one loudness.
    #[serde(default)]
    pub level_match: bool,
}

/// A device by name: the catalog's, or one of the user's carried whole.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceSetup {
    /// Its name, as the catalog (or the user's catalog) names it.
    pub name: String,
    /// The user's entry, whole, when it is theirs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yours: Option<OutputEntry>,
}

/// One slot: a device or figures, and the amplifier it feeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlotSetup {
    /// The device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<DeviceSetup>,
    /// Or its figures, by the keys of `figures::OUTPUT_FIGURES` (each absent one ideal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub figures: Option<FiguresSetup>,
    /// The amplifier it feeds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amp: Option<AmpSetup>,
}

/// An output's figures as a setup gives them, by the keys of `figures::OUTPUT_FIGURES` (the
/// noise figures A-weighted, as the command line's are).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct FiguresSetup {
    /// Each figure by its key.
    #[serde(flatten)]
    pub values: std::collections::BTreeMap<String, f64>,
}

/// The amplifier a slot feeds, and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmpSetup {
    /// Its name, as the catalog names it.
    pub name: String,
    /// The user's entry, whole, when it is theirs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yours: Option<OutputEntry>,
    /// Which of the source's outputs feeds it.
    #[serde(default)]
    pub jack: JackSetup,
    /// The source's volume, dB (0 = maximum).
    #[serde(default)]
    pub source_volume_db: f64,
    /// Which of its gains.
    #[serde(default)]
    pub gain: GainSetup,
}

/// Which of a source's outputs feeds an amplifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum JackSetup {
    /// Its headphone output.
    #[default]
    HeadphoneOut,
    /// Its line output.
    LineOut,
}

/// Which of an amplifier's gains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GainSetup {
    /// Its high gain.
    #[default]
    High,
    /// Its low gain.
    Low,
}

/// A headphone by name: the catalog's, or one of the user's carried whole.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeadphoneSetup {
    /// Its name.
    pub name: String,
    /// The user's entry, whole, when it is theirs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yours: Option<HeadphoneEntry>,
}

/// Another listener.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtherSetup {
    /// Their headphone's name.
    pub name: String,
    /// The user's entry, whole, when it is theirs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yours: Option<HeadphoneEntry>,
    /// On an output of their own: their volume against the heard one's, dB.
    #[serde(default)]
    pub volume_db: f64,
}

/// Where the other listeners are plugged in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OthersOnSetup {
    /// On the heard one's jack.
    #[default]
    SameJack,
    /// On outputs of their own.
    OwnOutputs,
}

/// How loud: a target SPL, or a volume set by hand.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelSetup {
    /// The target SPL of the reference (pink noise at −18 dBFS RMS), dB SPL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_spl_db: Option<f64>,
    /// Or the volume, dB (0 = maximum).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_db: Option<f64>,
}

/// Which is heard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HeardSetup {
    /// Output A.
    #[default]
    A,
    /// Output B.
    B,
    /// The ideal reference.
    Ideal,
}

/// The design mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModeSetup {
    /// No latency.
    #[default]
    ZeroLatency,
    /// Magnitude and phase matched, with a few samples of latency.
    Exact,
}

/// Why a setup cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SetupError {
    /// Its file is not a setup.
    #[error("{path}:{line}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The line (1-based; 0 when none can be named).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// It names a device nobody has.
    #[error("{what} '{name}': {error}")]
    Name {
        /// What it names ("output A", "the headphone").
        what: String,
        /// The name.
        name: String,
        /// Why it picks none.
        error: LookupError,
    },
    /// A value out of its range, or a combination that makes no setup.
    #[error("{0}")]
    Value(String),
}

impl SlotSetup {
    /// The slot, its devices looked up in the catalog and `user`'s; what a carried device of
    /// the user's that this machine lacks goes into `notes`.
    fn choice(
        &self,
        what: &str,
        user: &UserCatalog,
        notes: &mut Vec<String>,
    ) -> Result<SlotChoice, SetupError> {
        let output = match (&self.output, &self.figures) {
            (Some(device), None) => Output::Device(output_device(
                what,
                &device.name,
                device.yours.as_ref(),
                user,
                notes,
            )?),
            (None, Some(figures)) => {
                Output::figures(format!("Custom output ({what})"), figures.figures(what)?)
            }
            _ => {
                return Err(SetupError::Value(format!(
                    "{what}: give either output or figures"
                )));
            }
        };
        let chain = match &self.amp {
            None => None,
            Some(amp) => Some(ChainChoice {
                jack: match amp.jack {
                    JackSetup::HeadphoneOut => SourceJack::HeadphoneOut,
                    JackSetup::LineOut => SourceJack::LineOut,
                },
                source_volume_db: plausible::SOURCE_VOLUME_DB
                    .check(amp.source_volume_db)
                    .map_err(|e| SetupError::Value(format!("{what}'s source volume: {e}")))?,
                amp: AmpChoice::Device(output_device(
                    &format!("{what}'s amplifier"),
                    &amp.name,
                    amp.yours.as_ref(),
                    user,
                    notes,
                )?),
                gain: match amp.gain {
                    GainSetup::High => AmpGain::High,
                    GainSetup::Low => AmpGain::Low,
                },
            }),
        };
        let slot = SlotChoice { output, chain };
        slot.spec()
            .map_err(|e| SetupError::Value(format!("{what}: {e}")))?;
        Ok(slot)
    }
}

impl FiguresSetup {
    /// The figures, each checked against its range.
    fn figures(&self, what: &str) -> Result<OutputFigures, SetupError> {
        let mut figures = OutputFigures::default();
        for (key, &value) in &self.values {
            let d = (OUTPUT_FIGURES.iter())
                .find(|d| d.key == key.as_str())
                .ok_or_else(|| SetupError::Value(format!("{what}: no figure '{key}'")))?;
            let v = (d.quantity.check(value))
                .map_err(|e| SetupError::Value(format!("{what}: {key}: {e}")))?;
            (d.set)(&mut figures, v);
        }
        Ok(figures)
    }
}

/// The output device `name` names (carried whole as `yours`, or looked up among the catalog's
/// and `user`'s); a carried device the machine's catalog lacks is said in `notes`.
fn output_device(
    what: &str,
    name: &str,
    yours: Option<&OutputEntry>,
    user: &UserCatalog,
    notes: &mut Vec<String>,
) -> Result<Device, SetupError> {
    if let Some(entry) = yours {
        let here = user.outputs.iter().any(|e| e.entry.name() == entry.name());
        carried(what, &entry.name(), here, notes);
        return Ok(Device::Yours(Box::new(entry.clone())));
    }
    let not_found = |error| SetupError::Name {
        what: what.into(),
        name: name.into(),
        error,
    };
    Ok(match user.pick_output(name).map_err(not_found)? {
        Pick::BuiltIn(k) => Device::Catalog(k),
        Pick::Yours(k) => Device::Yours(Box::new(user.outputs[k].entry.clone())),
    })
}

/// Says in `notes` that `what`, the user's device `name` the setup carries, is not in this
/// machine's catalog (`here` false), so that its carried figures are used.
fn carried(what: &str, name: &str, here: bool, notes: &mut Vec<String>) {
    if !here {
        notes.push(format!(
            "{what}: {name} is not in your catalog on this machine; the figures the setup carries are used"
        ));
    }
}

/// The headphone `name` names (carried whole as `yours`, or looked up).
fn headphone(
    what: &str,
    name: &str,
    yours: Option<&HeadphoneEntry>,
    user: &UserCatalog,
    notes: &mut Vec<String>,
) -> Result<HeadphonePick, SetupError> {
    if let Some(entry) = yours {
        let here = (user.headphones.iter()).any(|e| e.entry.name() == entry.name());
        carried(what, &entry.name(), here, notes);
        return Ok(HeadphonePick::Yours(Box::new(entry.clone())));
    }
    let not_found = |error| SetupError::Name {
        what: what.into(),
        name: name.into(),
        error,
    };
    Ok(match user.pick_headphone(name).map_err(not_found)? {
        Pick::BuiltIn(k) => HeadphonePick::Catalog(k),
        Pick::Yours(k) => HeadphonePick::Yours(Box::new(user.headphones[k].entry.clone())),
    })
}

impl Setup {
    /// The choices it describes, its devices looked up in the catalog and `user`'s, and what
    /// the user should know (a carried device of theirs this machine lacks).
    pub fn choices(&self, user: &UserCatalog) -> Result<(Choices, Vec<String>), SetupError> {
        let mut notes = Vec::new();
        if self.others.len() > MAX_OTHER_LISTENERS {
            return Err(SetupError::Value(format!(
                "at most {MAX_OTHER_LISTENERS} other listeners ({} given)",
                self.others.len()
            )));
        }
        let a = self.a.choice("output A", user, &mut notes)?;
        let b = self.b.choice("output B", user, &mut notes)?;
        let heard = headphone(
            "the headphone",
            &self.headphone.name,
            self.headphone.yours.as_ref(),
            user,
            &mut notes,
        )?;
        let others = (self.others.iter().enumerate())
            .map(|(i, o)| {
                let what = format!("listener {}", i + 2);
                let volume_offset_db = (plausible::OTHER_VOLUME_DB.check(o.volume_db))
                    .map_err(|e| SetupError::Value(format!("{what}'s volume: {e}")))?;
                Ok(OtherListener {
                    headphone: headphone(&what, &o.name, o.yours.as_ref(), user, &mut notes)?,
                    volume_offset_db,
                })
            })
            .collect::<Result<_, SetupError>>()?;
        let (target_spl_db, volume_db) = self.level()?;
        let choices = Choices {
            slots: [a, b],
            ideal_of: if self.heard == HeardSetup::B {
                Slot::B
            } else {
                Slot::A
            },
            listeners: ListenerChoices {
                heard,
                others,
                on: match self.others_on {
                    OthersOnSetup::SameJack => OthersOn::SameJack,
                    OthersOnSetup::OwnOutputs => OthersOn::OwnOutputs,
                },
            },
            target_spl_db,
            volume_db,
        };
        Ok((choices, notes))
    }

    /// The target SPL and, when the volume is set by hand, the volume; each in its range.
    fn level(&self) -> Result<(f64, Option<f64>), SetupError> {
        let checked = |q: plausible::Quantity, v: f64| {
            q.check(v)
                .map_err(|e| SetupError::Value(format!("level: {e}")))
        };
        match (self.level.target_spl_db, self.level.volume_db) {
            (Some(t), None) => Ok((checked(plausible::TARGET_SPL_DB, t)?, None)),
            (None, Some(v)) => Ok((85.0, Some(checked(plausible::VOLUME_DB, v)?))),
            _ => Err(SetupError::Value(
                "level: give either target_spl_db or volume_db".into(),
            )),
        }
    }

    /// The setup `text` holds, read from `path` (named in its problems, with the line).
    pub fn parse(path: &Path, text: &str) -> Result<Self, SetupError> {
        toml::from_str(text).map_err(|e| SetupError::Invalid {
            path: path.to_path_buf(),
            line: e.span().map_or(0, |s| Lines::new(text).of(s.start)),
            message: e.message().trim().to_string(),
        })
    }

    /// The setup as its file holds it.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("a setup is plain data")
    }
}

/// The folder of the user's setups, `setups` beside their catalog (whether or not it exists).
pub fn dir() -> Option<PathBuf> {
    Some(catalog::user::config_dir()?.join("setups"))
}

/// The file a setup named `name` is saved in, in `dir`: its name in lower case, each run of
/// other characters than letters and digits a hyphen.
pub fn file_in(dir: &Path, name: &str) -> PathBuf {
    let mut stem = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            stem.push(c);
        } else if !stem.ends_with('-') && !stem.is_empty() {
            stem.push('-');
        }
    }
    let stem = stem.trim_end_matches('-');
    dir.join(format!(
        "{}.toml",
        if stem.is_empty() { "setup" } else { stem }
    ))
}

/// The user's setups in `dir`, by file name: each one read, or why it cannot be (a broken
/// file does not keep the others from loading). A missing folder holds none.
pub fn read_dir(dir: &Path) -> Vec<Result<(PathBuf, Setup), SetupError>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = (entries.flatten())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    (paths.into_iter())
        .map(|path| read_file(&path).map(|s| (path, s)))
        .collect()
}

/// The setup the file at `path` holds, or why it holds none.
pub fn read_file(path: &Path) -> Result<Setup, SetupError> {
    let text = std::fs::read_to_string(path).map_err(|e| SetupError::Invalid {
        path: path.to_path_buf(),
        line: 0,
        message: e.to_string(),
    })?;
    Setup::parse(path, &text)
}

/// Saves `setup` in `dir` (made if missing), whole or not at all; the file it went to.
pub fn save(dir: &Path, setup: &Setup) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = file_in(dir, &setup.name);
    crate::files::write_whole(&path, setup.to_toml().as_bytes())?;
    Ok(path)
}

/// The folder the factory's setups are kept in as files, one per setup (`factory-setups`
/// beside the user's catalog), for hosts that list presets file by file.
pub fn factory_dir() -> Option<PathBuf> {
    Some(catalog::user::config_dir()?.join("factory-setups"))
}

/// Writes each factory setup into `dir` (made if missing) where its file is missing or holds
/// anything else, whole or not at all, and safely while another process does the same (hosts
/// scan plugins side by side); a file there of no factory setup is left alone.
pub fn write_factory(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for setup in factory() {
        let path = file_in(dir, &setup.name);
        let text = setup.to_toml();
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            crate::files::write_whole_shared(&path, text.as_bytes())?;
        }
    }
    Ok(())
}

/// The factory's setups, each named for the question it answers.
pub fn factory() -> &'static [Setup] {
    static FACTORY: std::sync::OnceLock<Vec<Setup>> = std::sync::OnceLock::new();
    FACTORY.get_or_init(|| {
        #[derive(Deserialize)]
        struct File {
            setup: Vec<Setup>,
        }
        let text = include_str!("../catalog/setups.toml");
        let file: File = toml::from_str(text).expect("the factory's setups parse");
        file.setup
    })
}

/// The factory setup `name` picks (as names are typed: `catalog::lookup`).
pub fn find_factory(name: &str) -> Result<&'static Setup, LookupError> {
    let names: Vec<String> = factory().iter().map(|s| s.name.clone()).collect();
    catalog::lookup(name, &names).map(|k| &factory()[k])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_factory_setups_are_written_one_per_file_and_kept_current() {
        let dir = std::env::temp_dir().join(format!("loadline-factory-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        write_factory(&dir).unwrap();
        let read: Vec<Setup> = (read_dir(&dir).into_iter()).map(|r| r.unwrap().1).collect();
        let mut names: Vec<&str> = read.iter().map(|s| s.name.as_str()).collect();
        let mut factory_names: Vec<&str> = factory().iter().map(|s| s.name.as_str()).collect();
        names.sort_unstable();
        factory_names.sort_unstable();
        assert_eq!(names, factory_names);
        for setup in &read {
            assert_eq!(setup, find_factory(&setup.name).unwrap(), "{}", setup.name);
        }
        // A file changed by hand is put back; a file of no factory setup is left alone.
        let first = file_in(&dir, &factory()[0].name);
        std::fs::write(&first, "name = \"edited\"").unwrap();
        std::fs::write(dir.join("mine.toml"), "kept").unwrap();
        write_factory(&dir).unwrap();
        assert_eq!(
            std::fs::read_to_string(&first).unwrap(),
            factory()[0].to_toml()
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("mine.toml")).unwrap(),
            "kept"
        );
        let left: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(
            left.len(),
            factory().len() + 1,
            "no partial file behind: {left:?}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn every_factory_setup_resolves_and_round_trips() {
        let user = UserCatalog::default();
        assert!(factory().len() >= 10, "{}", factory().len());
        for setup in factory() {
            let (choices, notes) = setup.choices(&user).unwrap_or_else(|e| {
                panic!("{}: {e}", setup.name);
            });
            assert!(notes.is_empty(), "{}: {notes:?}", setup.name);
            crate::choices::resolve(&choices).unwrap();
            assert!(!setup.question.is_empty(), "{}", setup.name);
            let back = Setup::parse(Path::new("x.toml"), &setup.to_toml()).unwrap();
            assert_eq!(&back, setup);
        }
    }

    #[test]
    fn a_device_of_yours_this_machine_lacks_loads_with_the_figures_carried() {
        let magni = catalog::outputs()[catalog::find_output("magni 2").unwrap()].clone();
        let amp = OutputEntry {
            index: 0,
            maker: "Bench".into(),
            model: "Amp".into(),
            ..magni
        };
        let mut setup = find_factory("line out or headphone out").unwrap().clone();
        setup.a.amp.as_mut().unwrap().yours = Some(amp.clone());
        setup.a.amp.as_mut().unwrap().name = amp.name();
        let (choices, notes) = setup.choices(&UserCatalog::default()).unwrap();
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(
            notes[0].contains("Bench Amp is not in your catalog"),
            "{notes:?}"
        );
        let chain = choices.slots[0].chain.as_ref().unwrap();
        assert_eq!(chain.amp, AmpChoice::Device(Device::Yours(Box::new(amp))));
        // The figures carried are the Magni 2's: the stage is the catalog chain's.
        let factory = find_factory("line out or headphone out").unwrap();
        let (theirs, _) = factory.choices(&UserCatalog::default()).unwrap();
        assert_eq!(
            choices.slots[0].stage().unwrap(),
            theirs.slots[0].stage().unwrap()
        );
    }

    #[test]
    fn bad_setups_say_what_is_wrong() {
        let user = UserCatalog::default();
        let base = find_factory("laptop jack or an interface").unwrap();
        let unknown = Setup {
            headphone: HeadphoneSetup {
                name: "Nonesuch 9000".into(),
                yours: None,
            },
            ..base.clone()
        };
        let e = unknown.choices(&user).unwrap_err();
        assert!(matches!(e, SetupError::Name { .. }), "{e}");
        assert!(
            e.to_string().starts_with("the headphone 'Nonesuch 9000'"),
            "{e}"
        );
        let loud = Setup {
            level: LevelSetup {
                target_spl_db: Some(400.0),
                volume_db: None,
            },
            ..base.clone()
        };
        let e = loud.choices(&user).unwrap_err();
        assert!(e.to_string().starts_with("level: "), "{e}");
        let both = Setup {
            level: LevelSetup {
                target_spl_db: Some(85.0),
                volume_db: Some(-6.0),
            },
            ..base.clone()
        };
        assert!(both.choices(&user).is_err());
        let mut figures = FiguresSetup::default();
        figures.values.insert("r_out_ohm".into(), -3.0);
        let negative = Setup {
            a: SlotSetup {
                output: None,
                figures: Some(figures),
                amp: None,
            },
            ..base.clone()
        };
        let e = negative.choices(&user).unwrap_err();
        assert!(e.to_string().contains("r_out_ohm"), "{e}");
        let mut figures = FiguresSetup::default();
        figures.values.insert("r_out_ohm".into(), 47.0);
        figures.values.insert("full_scale_dbu".into(), 12.0);
        let custom = Setup {
            a: SlotSetup {
                output: None,
                figures: Some(figures),
                amp: None,
            },
            ..base.clone()
        };
        let (choices, _) = custom.choices(&user).unwrap();
        assert_eq!(choices.slots[0].stage().unwrap().0.source.r_out_ohm, 47.0);
        let back = Setup::parse(Path::new("c.toml"), &custom.to_toml()).unwrap();
        assert_eq!(back, custom);
    }

    #[test]
    fn a_broken_setup_is_named_with_its_line() {
        let text = "name = \"x\"\n[a]\noutput = { name = \"UMC202HD\" }\n[b]\nbogus = 1\n";
        let e = Setup::parse(Path::new("s.toml"), text).unwrap_err();
        let SetupError::Invalid { line, .. } = &e else {
            panic!("{e}");
        };
        assert_eq!(*line, 5, "{e}");
    }
}
