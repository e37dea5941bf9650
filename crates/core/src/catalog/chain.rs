//! Chains from the catalog: an entry's headphone or line output feeding an amplifier that
//! gives its input figures, with where every figure of both comes from.

use super::{
    AmpInputFigures, LineOut, LookupError, Provenance, find_output, output_stage, outputs,
    stages_across,
};
use crate::physics::chain::{AmpInput, Chain, ChainError};
use crate::physics::output::{OutputFigures, OutputStage};

/// Which of a device's outputs feeds the amplifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceJack {
    /// Its headphone output, at its volume setting.
    HeadphoneOut,
    /// Its line output (no volume of its own).
    LineOut,
}

impl SourceJack {
    /// How a chain's name says it.
    pub fn name(self) -> &'static str {
        match self {
            Self::HeadphoneOut => "headphone out",
            Self::LineOut => "line out",
        }
    }
}

/// A chain's source.
// Boxing the stage would allocate where the audio thread forms a slot's chain.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ChainSource {
    /// A catalog device, by its index in `outputs()`.
    Catalog(usize),
    /// An output given by its figures (a plugin slot's own, or an output of the user's): a
    /// headphone output, with no provenance of the catalog's.
    Own(OutputStage),
}

impl ChainSource {
    /// The catalog index, for a catalog device.
    pub fn catalog(self) -> Option<usize> {
        match self {
            Self::Catalog(k) => Some(k),
            Self::Own(_) => None,
        }
    }
}

/// Which of an amplifier's gains a chain uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmpGain {
    /// Its high gain (its only one, where it has no switch).
    High,
    /// Its low gain.
    Low,
}

/// A chain: a source feeding a catalog amplifier.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChainSpec {
    /// The source.
    pub source: ChainSource,
    /// Which of its outputs.
    pub jack: SourceJack,
    /// The source's volume, dB (0 = maximum; a line output's is 0).
    pub source_volume_db: f64,
    /// The amplifier, by its index in `outputs()`.
    pub amp: usize,
    /// Which of its gains.
    pub gain: AmpGain,
}

/// Why a chain of catalog entries cannot be built. The devices are named by index, so that
/// checking a chain allocates nothing; the message names them.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ChainSpecError {
    /// An index past the catalog.
    #[error("no catalog output {0}")]
    NoSuchOutput(usize),
    /// The source and the amplifier are the same device.
    #[error("{} cannot feed itself", name_of(*.0))]
    Loop(usize),
    /// The amplifier's input figures are not in the catalog.
    #[error("{} has no input impedance and gain in the catalog, so nothing can feed it", name_of(*.0))]
    NotAnAmp(usize),
    /// The source's line output is not in the catalog.
    #[error("the catalog has no line output figures for {}", name_of(*.0))]
    NoLineOut(usize),
    /// Figures of one's own are a headphone output: they give no line output.
    #[error(
        "an output given by its figures has no line output: feed the amplifier from its headphone out"
    )]
    OwnLineOut,
    /// The amplifier has one gain.
    #[error("{} has one gain in the catalog: no low gain to switch to", name_of(*.0))]
    NoLowGain(usize),
    /// A line output has no volume to set.
    #[error("a line output has no volume control (a source volume of {0} dB was given)")]
    LineOutVolume(f64),
    /// The stages make no chain.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// A name in the chain picks no single catalog output.
    #[error("{part}: {error}")]
    Name {
        /// The part of the chain as typed.
        part: String,
        /// Why it picks none.
        error: LookupError,
    },
    /// The source's volume is not a level in dB.
    #[error("'{0}' is not a volume in dB (as in 'at -6 dB')")]
    Volume(String),
    /// The source's volume is outside what a source's volume control sets.
    #[error("{0}")]
    VolumeRange(crate::plausible::OutOfRange),
    /// More than one amplifier.
    #[error("one amplifier per chain: '{0}' has more than one '->'")]
    TooManyArrows(String),
}

/// What separates a chain's source from its amplifier in text.
pub const CHAIN_ARROWS: [&str; 2] = ["->", "→"];

impl ChainSpec {
    /// How many listeners its amplifier gives an output of their own
    /// ([`OutputEntry::own_outputs`](super::OutputEntry::own_outputs)).
    pub fn own_outputs(&self) -> usize {
        super::outputs()[self.amp].own_outputs()
    }

    /// The chain `text` names, as `SOURCE [line out | headphone out] [at VOLUME dB] -> AMP
    /// [low gain]` ("MOTU M2 line out -> Magni 2", "Scarlett 2i2 3rd gen at -6 dB -> O2 low
    /// gain"); `None` when it names a single output (no arrow). Without "line out", the source
    /// is its headphone output, at maximum volume unless "at" gives one; without "low gain",
    /// the amplifier is at its high gain.
    pub fn parse(text: &str) -> Option<Result<Self, ChainSpecError>> {
        let arrow = CHAIN_ARROWS.iter().find(|a| text.contains(*a))?;
        let (source_text, amp_text) = text.split_once(arrow)?;
        if CHAIN_ARROWS.iter().any(|a| amp_text.contains(a)) {
            return Some(Err(ChainSpecError::TooManyArrows(text.trim().into())));
        }
        Some(Self::from_parts(source_text.trim(), amp_text.trim()))
    }

    fn from_parts(source_text: &str, amp_text: &str) -> Result<Self, ChainSpecError> {
        let find = |part: &str| {
            find_output(part).map_err(|error| ChainSpecError::Name {
                part: part.into(),
                error,
            })
        };
        let (source_text, source_volume_db) = match source_text.rsplit_once(" at ") {
            Some((name, volume)) => {
                let db = crate::units::parse_with_unit(volume.trim(), &["db"], 1.0)
                    .ok_or_else(|| ChainSpecError::Volume(volume.trim().into()))?;
                let db = crate::plausible::SOURCE_VOLUME_DB
                    .check(db)
                    .map_err(ChainSpecError::VolumeRange)?;
                (name.trim(), db)
            }
            None => (source_text, 0.0),
        };
        let lower = source_text.to_lowercase();
        let (name, jack) = [SourceJack::LineOut, SourceJack::HeadphoneOut]
            .into_iter()
            .find_map(|jack| {
                let cut = lower.strip_suffix(jack.name())?.len();
                Some((source_text[..cut].trim(), jack))
            })
            .unwrap_or((source_text, SourceJack::HeadphoneOut));
        let (amp_text, gain) = [("low gain", AmpGain::Low), ("high gain", AmpGain::High)]
            .into_iter()
            .find_map(|(words, gain)| {
                let cut = amp_text.to_lowercase().strip_suffix(words)?.len();
                Some((amp_text[..cut].trim(), gain))
            })
            .unwrap_or((amp_text, AmpGain::High));
        Ok(ChainSpec {
            source: ChainSource::Catalog(find(name)?),
            jack,
            source_volume_db,
            amp: find(amp_text)?,
            gain,
        })
    }
}

impl ChainSpec {
    /// The chain's name: "MOTU M2 line out -> Schiit Magni 2" (text that names it back), with
    /// the source's volume when it is below its maximum; an output of one's own is "Custom
    /// output" ([`Self::name_from`] names it otherwise).
    pub fn name(&self) -> String {
        let source = match self.source {
            ChainSource::Catalog(k) => outputs()[k].name(),
            ChainSource::Own(_) => "Custom output".into(),
        };
        self.name_from(&source)
    }

    /// The chain's name with its source called `source_name`.
    pub fn name_from(&self, source_name: &str) -> String {
        let amp = &outputs()[self.amp];
        let volume = if self.source_volume_db < 0.0 {
            format!(" at {} dB", crate::units::fmt_sig(self.source_volume_db))
        } else {
            String::new()
        };
        // A phone's or a computer's entry is its jack already, and figures of one's own are a
        // headphone output.
        let own = self.source.catalog().is_none();
        let jack = match self.jack {
            SourceJack::HeadphoneOut if own || source_name.contains("jack") => String::new(),
            jack => format!(" {}", jack.name()),
        };
        let gain = match self.gain {
            AmpGain::High => "",
            AmpGain::Low => " low gain",
        };
        format!("{source_name}{jack}{volume} -> {}{gain}", amp.name())
    }

    /// The source as an output stage, checked: its headphone output, or its line output.
    fn source_stage(&self) -> Result<OutputStage, ChainSpecError> {
        let k = match (self.source, self.jack) {
            (ChainSource::Own(stage), SourceJack::HeadphoneOut) => return Ok(stage),
            (ChainSource::Own(_), SourceJack::LineOut) => return Err(ChainSpecError::OwnLineOut),
            (ChainSource::Catalog(k), _) => k,
        };
        let entry = outputs().get(k).ok_or(ChainSpecError::NoSuchOutput(k))?;
        match self.jack {
            SourceJack::HeadphoneOut => output_stage(k).ok_or(ChainSpecError::NoSuchOutput(k)),
            SourceJack::LineOut => {
                let line = entry
                    .line_out
                    .as_ref()
                    .ok_or(ChainSpecError::NoLineOut(k))?;
                if self.source_volume_db != 0.0 {
                    return Err(ChainSpecError::LineOutVolume(self.source_volume_db));
                }
                Ok(line.stage())
            }
        }
    }

    /// The amplifier's stage and input, checked.
    fn amp(&self) -> Result<(OutputStage, AmpInput), ChainSpecError> {
        let entry = outputs()
            .get(self.amp)
            .ok_or(ChainSpecError::NoSuchOutput(self.amp))?;
        if self.source == ChainSource::Catalog(self.amp) {
            return Err(ChainSpecError::Loop(self.amp));
        }
        let input = entry
            .amp_input
            .as_ref()
            .ok_or(ChainSpecError::NotAnAmp(self.amp))?;
        let stage = output_stage(self.amp).ok_or(ChainSpecError::NoSuchOutput(self.amp))?;
        let gain_db = match (self.gain, &input.low_gain_db) {
            (AmpGain::High, _) => input.gain_db.value,
            (AmpGain::Low, Some(low)) => low.value,
            (AmpGain::Low, None) => return Err(ChainSpecError::NoLowGain(self.amp)),
        };
        Ok((
            stage,
            AmpInput {
                input_ohm: input.input_ohm.value,
                gain_db,
            },
        ))
    }

    /// The chain's single-stage form, checked; allocation-free, so that the audio thread may
    /// form it from the parameters.
    pub fn stage(&self) -> Result<OutputStage, ChainSpecError> {
        let (amp, input) = self.amp()?;
        let chain = Chain::new(self.source_stage()?, self.source_volume_db, amp, input)?;
        Ok(chain.stage())
    }
}

impl LineOut {
    /// The line output as an output stage: its full scale, impedance and noise, without a
    /// current limit (see [`LineOut`]).
    pub fn stage(&self) -> OutputStage {
        OutputFigures {
            full_scale_dbu: Some(self.full_scale_dbu.value),
            r_out_ohm: self.r_out_ohm.value,
            dynamic_range_db: self
                .dynamic_range_db
                .as_ref()
                .map(|f| (f.value, self.dynamic_range_a_weighted)),
            ..OutputFigures::default()
        }
        .stage()
    }
}

/// Catalog output `k`'s name, for messages.
fn name_of(k: usize) -> String {
    outputs()
        .get(k)
        .map_or_else(|| format!("output {k}"), |e| e.name())
}

/// The chain `spec` describes: its stage, the stages spanning its estimates (the source's
/// and the amplifier's output stages at the ends of their ranges; a line output's and an
/// input's estimates are not ranged, and are flagged as estimated), and where its figures
/// come from (the source's, then the amplifier's).
pub fn chain(
    spec: &ChainSpec,
) -> Result<(OutputStage, Vec<OutputStage>, Vec<Provenance>), ChainSpecError> {
    let stage = spec.stage()?;
    let (amp, input) = spec.amp()?;
    let amp_entry = &outputs()[spec.amp];
    let (sources, mut provenance) = match (spec.source, spec.jack) {
        (ChainSource::Own(_), _) => (Vec::new(), Vec::new()),
        (ChainSource::Catalog(k), SourceJack::HeadphoneOut) => {
            (stages_across(k), outputs()[k].provenance())
        }
        (ChainSource::Catalog(k), SourceJack::LineOut) => (
            Vec::new(),
            outputs()[k]
                .line_out
                .as_ref()
                .map_or_else(Vec::new, LineOut::provenance),
        ),
    };
    let sources: Vec<OutputStage> = std::iter::once(spec.source_stage()?)
        .chain(sources)
        .collect();
    let amps: Vec<OutputStage> = std::iter::once(amp)
        .chain(stages_across(spec.amp))
        .collect();
    let mut across = Vec::new();
    for source in &sources {
        for amp in &amps {
            across.push(Chain::new(*source, spec.source_volume_db, *amp, input)?.stage());
        }
    }
    across.remove(0);
    provenance.extend(amp_entry.provenance());
    provenance.extend(
        amp_entry
            .amp_input
            .iter()
            .flat_map(AmpInputFigures::provenance),
    );
    Ok((stage, across, provenance))
}

/// What a chain's report must add: that its catalog source's own noise is not modelled,
/// when the catalog has no noise figure for it (the noise floor is then the amplifier's
/// alone). Figures of one's own say their noise themselves.
pub fn chain_notes(spec: &ChainSpec) -> Vec<String> {
    let silent = spec
        .source_stage()
        .is_ok_and(|s| s.noise_pre.level_vrms <= 0.0 && s.noise_post.level_vrms <= 0.0);
    match spec.source {
        ChainSource::Catalog(k) if silent => vec![format!(
            "{} {}'s own noise is not modelled (no noise figure found): the noise floor is the amplifier's alone",
            outputs()[k].name(),
            spec.jack.name()
        )],
        _ => Vec::new(),
    }
}
