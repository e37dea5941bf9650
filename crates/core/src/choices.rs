//! What the user chose, as plain data, and the one function that makes it a resolved
//! [`Scenario`].
//!
//! The plugin (from its parameters), the editor and the command line (from its flags) each
//! fill a [`Choices`] and call [`resolve`]; nobody else turns a choice into figures. A device
//! is one of the catalog's or one of the user's ([`Device`]), and either works wherever the
//! other does: driving the headphone, as a chain's source or amplifier (where its figures
//! give an input), as another listener's headphone. A slot's stage comes from
//! [`SlotChoice::stage`], which the audio thread calls too: for the catalog's devices and
//! figures given one by one it allocates nothing.

use crate::analysis::{AnalysedOutput, Scenario, Slot};
use crate::catalog::{
    self, AmpGain, ChainAmp, ChainSource, ChainSpec, ChainSpecError, HeadphoneEntry, OutputEntry,
    OwnAmp, OwnSource, Provenance, SourceJack,
};
use crate::listeners::{self, Listener, MAX_OTHER_LISTENERS, OthersOn};
use crate::physics::headphones::HeadphoneModel;
use crate::physics::output::{OutputFigures, OutputStage};

/// An output device: one of the catalog's, or one of the user's.
#[derive(Debug, Clone, PartialEq)]
pub enum Device {
    /// A catalog output, by its index in `catalog::outputs()`.
    Catalog(usize),
    /// An output of the user's catalog (or one carried by a saved setup), whole.
    Yours(Box<OutputEntry>),
}

impl Device {
    /// Its name as shown: the catalog's, or the user's marked as theirs.
    pub fn name(&self) -> String {
        match self {
            Self::Catalog(k) => catalog::outputs()
                .get(*k)
                .map_or_else(|| format!("output {k}"), OutputEntry::name),
            Self::Yours(entry) => catalog::user::marked(&entry.name()),
        }
    }

    /// It as a chain's source.
    fn as_source(&self) -> ChainSource {
        match self {
            Self::Catalog(k) => ChainSource::Catalog(*k),
            Self::Yours(entry) => ChainSource::Own(OwnSource::of(entry)),
        }
    }

    /// It as a chain's amplifier, if its figures give an input.
    fn as_amp(&self) -> Result<ChainAmp, ChoiceError> {
        match self {
            Self::Catalog(k) => Ok(ChainAmp::Catalog(*k)),
            Self::Yours(entry) => OwnAmp::of(entry)
                .map(ChainAmp::Own)
                .ok_or_else(|| ChoiceError::NotAnAmp(self.name())),
        }
    }
}

/// What drives the headphone, or feeds a chain's amplifier.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// A device.
    Device(Device),
    /// Figures given one by one (typed on the command line, or a plugin slot's own).
    Figures {
        /// The name shown for them.
        name: String,
        /// The figures.
        figures: OutputFigures,
        /// The user's output they were set from (while they still are its figures): its
        /// name, sources and ranges are shown for them.
        yours: Option<Box<OutputEntry>>,
    },
}

impl Output {
    /// Figures given one by one, named `name`, set from no entry.
    pub fn figures(name: impl Into<String>, figures: OutputFigures) -> Self {
        Self::Figures {
            name: name.into(),
            figures,
            yours: None,
        }
    }

    /// Its name as shown.
    pub fn name(&self) -> String {
        match self {
            Self::Device(d) => d.name(),
            Self::Figures {
                yours: Some(entry), ..
            } => catalog::user::marked(&entry.name()),
            Self::Figures { name, .. } => name.clone(),
        }
    }

    /// It as a chain's source: figures given one by one are a headphone output.
    fn as_source(&self) -> ChainSource {
        match self {
            Self::Device(d) => d.as_source(),
            Self::Figures { figures, .. } => {
                ChainSource::Own(OwnSource::headphone_out(figures.stage()))
            }
        }
    }

    /// The user's entry it is (or was set from), for sources and ranges.
    fn yours(&self) -> Option<&OutputEntry> {
        match self {
            Self::Device(Device::Yours(entry)) => Some(entry),
            Self::Figures { yours, .. } => yours.as_deref(),
            Self::Device(Device::Catalog(_)) => None,
        }
    }

    /// It driving the headphone itself, as analysed.
    fn analysed(&self) -> Result<AnalysedOutput, ChoiceError> {
        match self {
            Self::Device(Device::Catalog(k)) => {
                AnalysedOutput::catalog(*k).ok_or(ChoiceError::NoSuchOutput(*k))
            }
            Self::Device(Device::Yours(entry)) => Ok(AnalysedOutput::user(entry)),
            Self::Figures {
                name,
                figures,
                yours,
            } => {
                let typed = AnalysedOutput::typed(name.clone(), figures);
                Ok(match yours {
                    // The figures play (as the audio thread has them); the entry names them.
                    Some(entry) => AnalysedOutput {
                        stage: typed.stage,
                        level_modelled: typed.level_modelled,
                        own_outputs: typed.own_outputs,
                        ..AnalysedOutput::user(entry)
                    },
                    None => typed,
                })
            }
        }
    }
}

/// A chain's amplifier: a device, or the figures of one (`Copy`, as the audio thread has
/// an amplifier of the user's).
// Boxing the figures would allocate where the audio thread forms a slot's chain.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum AmpChoice {
    /// A device.
    Device(Device),
    /// An amplifier's figures, named "Custom amplifier".
    Figures(OwnAmp),
}

impl AmpChoice {
    /// Its name as shown.
    pub fn name(&self) -> String {
        match self {
            Self::Device(d) => d.name(),
            Self::Figures(_) => "Custom amplifier".into(),
        }
    }

    /// It as a chain's amplifier, if its figures give an input.
    fn as_amp(&self) -> Result<ChainAmp, ChoiceError> {
        match self {
            Self::Device(d) => d.as_amp(),
            Self::Figures(amp) => Ok(ChainAmp::Own(*amp)),
        }
    }

    /// The user's entry it is.
    fn yours(&self) -> Option<&OutputEntry> {
        match self {
            Self::Device(Device::Yours(entry)) => Some(entry),
            _ => None,
        }
    }
}

/// An amplifier fed by a slot's output, and how.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainChoice {
    /// Which of the source's outputs feeds it.
    pub jack: SourceJack,
    /// The source's volume, dB (0 = maximum; a line output's is 0).
    pub source_volume_db: f64,
    /// The amplifier.
    pub amp: AmpChoice,
    /// Which of its gains.
    pub gain: AmpGain,
}

/// What one slot (A or B) plays: an output, alone or feeding an amplifier.
#[derive(Debug, Clone, PartialEq)]
pub struct SlotChoice {
    /// The output (the chain's source, when there is a chain).
    pub output: Output,
    /// The amplifier it feeds, if any.
    pub chain: Option<ChainChoice>,
}

impl SlotChoice {
    /// `output` driving the headphone itself.
    pub fn alone(output: Output) -> Self {
        SlotChoice {
            output,
            chain: None,
        }
    }

    /// The chain, when the slot feeds an amplifier, checked.
    pub fn spec(&self) -> Result<Option<ChainSpec>, ChoiceError> {
        let spec = self.unchecked_spec()?;
        if let Some(spec) = &spec {
            spec.stage()?;
        }
        Ok(spec)
    }

    /// The chain, when the slot feeds an amplifier, before its stage is formed (which checks
    /// the rest).
    fn unchecked_spec(&self) -> Result<Option<ChainSpec>, ChoiceError> {
        let Some(chain) = &self.chain else {
            return Ok(None);
        };
        if let (Some(a), Some(b)) = (self.output.yours(), chain.amp.yours())
            && a.name() == b.name()
        {
            return Err(ChoiceError::Loop(chain.amp.name()));
        }
        let spec = ChainSpec {
            source: self.output.as_source(),
            jack: chain.jack,
            source_volume_db: chain.source_volume_db,
            amp: chain.amp.as_amp()?,
            gain: chain.gain,
        };
        Ok(Some(spec))
    }

    /// Its stage with the supply to itself, and how many listeners it gives an output of
    /// their own. Allocation-free for the catalog's devices and figures given one by one, so
    /// that the audio thread plays what the analysis shows.
    pub fn stage(&self) -> Result<(OutputStage, usize), ChoiceError> {
        // Formed once: the audio thread calls this every block.
        if let Some(spec) = self.unchecked_spec()? {
            return Ok((spec.stage()?, spec.own_outputs()));
        }
        Ok(match &self.output {
            Output::Device(Device::Catalog(k)) => {
                let stage = catalog::output_stage(*k).ok_or(ChoiceError::NoSuchOutput(*k))?;
                (stage, catalog::outputs()[*k].own_outputs())
            }
            Output::Device(Device::Yours(entry)) => (entry.stage(), entry.own_outputs()),
            Output::Figures { figures, .. } => (figures.stage(), 1),
        })
    }

    /// The slot as analysed: its name, stage, sources and the stages across its estimates.
    pub fn analysed(&self) -> Result<AnalysedOutput, ChoiceError> {
        let Some(spec) = self.spec()? else {
            return self.output.analysed();
        };
        let amp = self.chain.as_ref().map(|c| &c.amp);
        let amp_entry = amp.and_then(AmpChoice::yours);
        let (stage, range_stages, mut provenance) =
            catalog::chain_of(&spec, [self.output.yours(), amp_entry])?;
        // Figures of one's own give no provenance; the user's entry they were set from does.
        if let Output::Figures {
            yours: Some(entry), ..
        } = &self.output
        {
            provenance.splice(0..0, entry.provenance());
        }
        let amp_name = amp.map(AmpChoice::name);
        Ok(AnalysedOutput {
            name: spec.name_from(&self.output.name(), amp_name.as_deref()),
            stage,
            provenance,
            range_stages,
            is_chain: true,
            notes: catalog::chain_notes(&spec),
            own_outputs: spec.own_outputs(),
            left_out: None,
            level_modelled: true,
        })
    }
}

/// A headphone: one of the catalog's, one of the user's, or a model given whole.
#[derive(Debug, Clone, PartialEq)]
pub enum HeadphonePick {
    /// A catalog headphone, by its index in `catalog::headphones()`.
    Catalog(usize),
    /// A headphone of the user's catalog (or one carried by a saved setup), whole.
    Yours(Box<HeadphoneEntry>),
    /// A model given whole (an imported curve).
    Given {
        /// The model.
        model: Box<HeadphoneModel>,
        /// Where its figures come from (empty for figures of one's own).
        provenance: Vec<Provenance>,
        /// The models spanning its estimates (empty when none is estimated).
        across: Vec<HeadphoneModel>,
    },
}

/// A headphone resolved: its model, where its figures come from, the models spanning its
/// estimates.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedHeadphone {
    /// The model.
    pub model: HeadphoneModel,
    /// Where its figures come from.
    pub provenance: Vec<Provenance>,
    /// The models spanning its estimates.
    pub across: Vec<HeadphoneModel>,
}

impl HeadphonePick {
    /// The headphone resolved (`None`: an index past the catalog).
    pub fn resolve(&self) -> Option<ResolvedHeadphone> {
        Some(match self {
            Self::Catalog(k) => ResolvedHeadphone {
                model: catalog::headphone_models().get(*k)?.clone(),
                provenance: catalog::headphones()[*k].provenance(),
                across: catalog::headphones_across(*k).to_vec(),
            },
            Self::Yours(entry) => {
                let name = catalog::user::marked(&entry.name());
                let named = |m: HeadphoneModel| HeadphoneModel {
                    name: name.clone(),
                    ..m
                };
                ResolvedHeadphone {
                    model: named(entry.model()),
                    provenance: entry.provenance(),
                    across: (catalog::entry_headphones_across(entry).into_iter())
                        .map(named)
                        .collect(),
                }
            }
            Self::Given {
                model,
                provenance,
                across,
            } => ResolvedHeadphone {
                model: (**model).clone(),
                provenance: provenance.clone(),
                across: across.clone(),
            },
        })
    }
}

/// Another listener: their headphone and, on an output of their own, its volume relative to
/// the heard one's.
#[derive(Debug, Clone, PartialEq)]
pub struct OtherListener {
    /// Their headphone.
    pub headphone: HeadphonePick,
    /// Their volume relative to the heard one's, dB (on one jack, 0: the voltage is shared).
    pub volume_offset_db: f64,
}

/// Who listens: the headphone heard, and the others on its jack or on outputs of their own.
#[derive(Debug, Clone, PartialEq)]
pub struct ListenerChoices {
    /// The headphone heard (the one the level is set for).
    pub heard: HeadphonePick,
    /// The others (at most [`MAX_OTHER_LISTENERS`]).
    pub others: Vec<OtherListener>,
    /// Where the others are plugged in.
    pub on: OthersOn,
}

/// The listeners resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedListeners {
    /// The heard headphone, alone.
    pub heard: ResolvedHeadphone,
    /// The others.
    pub others: Vec<Listener>,
    /// Where they are plugged in.
    pub on: OthersOn,
}

impl ListenerChoices {
    /// `heard` with the jack to itself.
    pub fn alone(heard: HeadphonePick) -> Self {
        ListenerChoices {
            heard,
            others: Vec::new(),
            on: OthersOn::SameJack,
        }
    }

    /// The listeners resolved.
    pub fn resolve(&self) -> Result<ResolvedListeners, ChoiceError> {
        if self.others.len() > MAX_OTHER_LISTENERS {
            return Err(ChoiceError::TooManyListeners(self.others.len()));
        }
        let heard = self.heard.resolve().ok_or(ChoiceError::NoSuchHeadphone)?;
        let others = (self.others.iter())
            .map(|o| {
                let r = o.headphone.resolve().ok_or(ChoiceError::NoSuchHeadphone)?;
                Ok(Listener {
                    model: r.model,
                    provenance: r.provenance,
                    volume_offset_db: o.volume_offset_db,
                })
            })
            .collect::<Result<_, ChoiceError>>()?;
        Ok(ResolvedListeners {
            heard,
            others,
            on: self.on,
        })
    }
}

impl ResolvedListeners {
    /// The heard headphone as an output with `outputs` headphone outputs sees it: with the
    /// others on its jack in parallel, or beside it on outputs of their own (named with those
    /// that find one).
    pub fn seen_by(&self, outputs: usize) -> HeadphoneModel {
        let counted = listeners::counted(self.on, outputs, &self.others);
        (self.on).as_seen(&self.heard.model, &listeners::models(counted))
    }

    /// The models spanning the heard headphone's estimates, as the output sees them.
    pub fn across_seen(&self) -> Vec<HeadphoneModel> {
        let others = listeners::models(&self.others);
        (self.heard.across.iter())
            .map(|m| self.on.as_seen(m, &others))
            .collect()
    }

    /// Where the heard headphone's figures come from, with the others' that change it.
    pub fn provenance(&self) -> Vec<Provenance> {
        listeners::provenance_on_jack(&self.heard.provenance, &self.others)
    }
}

/// Everything the user chose: what A and B play, who listens, and the level.
#[derive(Debug, Clone, PartialEq)]
pub struct Choices {
    /// Slots A and B.
    pub slots: [SlotChoice; 2],
    /// The slot whose full scale the ideal reference takes (A or B).
    pub ideal_of: Slot,
    /// Who listens.
    pub listeners: ListenerChoices,
    /// The target SPL of the reference (pink noise at −18 dBFS RMS), dB SPL.
    pub target_spl_db: f64,
    /// The volume, dB (0 = maximum), when it is set by hand rather than by the target.
    pub volume_db: Option<f64>,
}

/// Why choices resolve to no scenario.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ChoiceError {
    /// An index past the catalog's outputs.
    #[error("no catalog output {0}")]
    NoSuchOutput(usize),
    /// An index past the catalog's headphones.
    #[error("no such catalog headphone")]
    NoSuchHeadphone,
    /// A chain's amplifier whose figures give no input.
    #[error("{0} has no input figures (input impedance and gain), so nothing can feed it")]
    NotAnAmp(String),
    /// A device of the user's feeding itself.
    #[error("{0} cannot feed itself")]
    Loop(String),
    /// The chain cannot be built.
    #[error(transparent)]
    Chain(#[from] ChainSpecError),
    /// More other listeners than an output takes.
    #[error("at most {MAX_OTHER_LISTENERS} other headphones share an output ({0} given)")]
    TooManyListeners(usize),
}

/// The ideal reference compared with `slot`'s output: a perfect amplifier at its full scale.
fn ideal(of: Slot, compared: &AnalysedOutput) -> AnalysedOutput {
    let letter = if of == Slot::B { "B" } else { "A" };
    AnalysedOutput::own(
        format!("Ideal (a perfect output at {letter}'s full scale)"),
        OutputStage::perfect_at_full_scale(compared.stage.v_fs_peak),
    )
}

/// The scenario `choices` describe: every output and headphone resolved, with its name, its
/// sources and the ranges of its estimates.
pub fn resolve(choices: &Choices) -> Result<Scenario, ChoiceError> {
    let [a, b] = &choices.slots;
    let (a, b) = (a.analysed()?, b.analysed()?);
    let ideal = ideal(
        choices.ideal_of,
        if choices.ideal_of == Slot::B { &b } else { &a },
    );
    let listeners = choices.listeners.resolve()?;
    Ok(Scenario {
        outputs: [a, b, ideal],
        headphone: listeners.heard.model,
        headphone_provenance: listeners.heard.provenance,
        headphone_across: listeners.heard.across,
        others: listeners.others,
        others_on: listeners.on,
        target_spl_db: choices.target_spl_db,
        volume_db: choices.volume_db,
    })
}
