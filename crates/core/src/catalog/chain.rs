//! Chains from the catalog: an entry's headphone or line output feeding an amplifier that
//! gives its input figures, with where every figure of both comes from.

use super::{
    AmpInputFigures, LineOut, LookupError, OutputEntry, Provenance, entry_stages_across,
    find_output, output_stage, outputs, stages_across,
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

/// A source given by its figures rather than by a catalog index: a plugin slot's own figures
/// (a headphone output alone) or an output of the user's (with its line output, where it
/// gives one). `Copy`, so that the audio thread forms a chain from it without allocating.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OwnSource {
    /// Its headphone output.
    pub stage: OutputStage,
    /// Its line output, where its figures give one.
    pub line_out: Option<OutputStage>,
}

impl OwnSource {
    /// A headphone output given by its figures, with no line output.
    pub const fn headphone_out(stage: OutputStage) -> Self {
        OwnSource {
            stage,
            line_out: None,
        }
    }

    /// An entry's outputs: its headphone output and its line output, if any.
    pub fn of(entry: &OutputEntry) -> Self {
        OwnSource {
            stage: entry.stage(),
            line_out: entry.line_out.as_ref().map(LineOut::stage),
        }
    }
}

/// An amplifier given by its figures rather than by a catalog index (an output of the user's
/// that gives its input figures). `Copy`, as [`OwnSource`] is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OwnAmp {
    /// Its output stage.
    pub stage: OutputStage,
    /// Its input resistance, ohms.
    pub input_ohm: f64,
    /// Its (high) gain, dB.
    pub gain_db: f64,
    /// Its low gain, dB, where it has a switch.
    pub low_gain_db: Option<f64>,
    /// How many listeners it gives an output of their own.
    pub own_outputs: usize,
}

impl OwnAmp {
    /// `entry` as an amplifier (`None`: its figures give no input).
    pub fn of(entry: &OutputEntry) -> Option<Self> {
        let input = entry.amp_input.as_ref()?;
        Some(OwnAmp {
            stage: entry.stage(),
            input_ohm: input.input_ohm.value,
            gain_db: input.gain_db.value,
            low_gain_db: input.low_gain_db.as_ref().map(|g| g.value),
            own_outputs: entry.own_outputs(),
        })
    }
}

/// A chain's source.
// Boxing the stage would allocate where the audio thread forms a slot's chain.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ChainSource {
    /// A catalog device, by its index in `outputs()`.
    Catalog(usize),
    /// An output given by its figures (a plugin slot's own, or an output of the user's), with
    /// no provenance of the catalog's.
    Own(OwnSource),
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

/// A chain's amplifier.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ChainAmp {
    /// A catalog amplifier, by its index in `outputs()`.
    Catalog(usize),
    /// An amplifier of the user's, given by its figures.
    Own(OwnAmp),
}

impl ChainAmp {
    /// The catalog index, for a catalog amplifier.
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

/// A chain: a source feeding an amplifier.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChainSpec {
    /// The source.
    pub source: ChainSource,
    /// Which of its outputs.
    pub jack: SourceJack,
    /// The source's volume, dB (0 = maximum; a line output's is 0).
    pub source_volume_db: f64,
    /// The amplifier.
    pub amp: ChainAmp,
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
    /// Figures of one's own give no line output.
    #[error(
        "an output given by its figures has no line output figures: feed the amplifier from its headphone out"
    )]
    OwnLineOut,
    /// An amplifier given by its figures has one gain.
    #[error("the amplifier has one gain in its figures: no low gain to switch to")]
    OwnNoLowGain,
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
        match self.amp {
            ChainAmp::Catalog(k) => outputs().get(k).map_or(1, OutputEntry::own_outputs),
            ChainAmp::Own(amp) => amp.own_outputs,
        }
    }

    /// The chain `text` names, as `SOURCE [line out | headphone out] [at VOLUME dB] -> AMP
    /// [low gain]` ("MOTU M2 line out -> Magni 2", "Scarlett 2i2 3rd gen at -6 dB -> O2 low
    /// gain"), both devices looked up in the built-in catalog; `None` when it names a single
    /// output (no arrow). [`ChainWords::parse`] reads the text.
    pub fn parse(text: &str) -> Option<Result<Self, ChainSpecError>> {
        ChainWords::parse(text).map(|words| {
            let words = words?;
            Ok(ChainSpec {
                source: ChainSource::Catalog(find_part(words.source)?),
                jack: words.jack,
                source_volume_db: words.source_volume_db,
                amp: ChainAmp::Catalog(find_part(words.amp)?),
                gain: words.gain,
            })
        })
    }
}

/// A chain as typed, its devices' names not yet looked up (so that a caller may look them up
/// among the user's devices too).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChainWords<'a> {
    /// The source's name.
    pub source: &'a str,
    /// Which of its outputs.
    pub jack: SourceJack,
    /// The source's volume, dB (0 = maximum).
    pub source_volume_db: f64,
    /// The amplifier's name.
    pub amp: &'a str,
    /// Which of its gains.
    pub gain: AmpGain,
}

impl<'a> ChainWords<'a> {
    /// The chain `text` names, as `SOURCE [line out | headphone out] [at VOLUME dB] -> AMP
    /// [low gain]`; `None` when it names a single output (no arrow). Without "line out", the
    /// source is its headphone output, at maximum volume unless "at" gives one; without "low
    /// gain", the amplifier is at its high gain.
    pub fn parse(text: &'a str) -> Option<Result<Self, ChainSpecError>> {
        let arrow = CHAIN_ARROWS.iter().find(|a| text.contains(*a))?;
        let (source_text, amp_text) = text.split_once(arrow)?;
        if CHAIN_ARROWS.iter().any(|a| amp_text.contains(a)) {
            return Some(Err(ChainSpecError::TooManyArrows(text.trim().into())));
        }
        Some(Self::from_parts(source_text.trim(), amp_text.trim()))
    }

    fn from_parts(source_text: &'a str, amp_text: &'a str) -> Result<Self, ChainSpecError> {
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
        let (source, jack) = [SourceJack::LineOut, SourceJack::HeadphoneOut]
            .into_iter()
            .find_map(|jack| {
                let cut = lower.strip_suffix(jack.name())?.len();
                Some((source_text[..cut].trim(), jack))
            })
            .unwrap_or((source_text, SourceJack::HeadphoneOut));
        let (amp, gain) = [("low gain", AmpGain::Low), ("high gain", AmpGain::High)]
            .into_iter()
            .find_map(|(words, gain)| {
                let cut = amp_text.to_lowercase().strip_suffix(words)?.len();
                Some((amp_text[..cut].trim(), gain))
            })
            .unwrap_or((amp_text, AmpGain::High));
        Ok(ChainWords {
            source,
            jack,
            source_volume_db,
            amp,
            gain,
        })
    }
}

/// The built-in output `part` of a chain's text names.
fn find_part(part: &str) -> Result<usize, ChainSpecError> {
    find_output(part).map_err(|error| ChainSpecError::Name {
        part: part.into(),
        error,
    })
}

impl ChainSpec {
    /// The chain's name: "MOTU M2 line out -> Schiit Magni 2" (text that names it back), with
    /// the source's volume when it is below its maximum; an output of one's own is "Custom
    /// output" and an amplifier "Custom amplifier" ([`Self::name_from`] names them otherwise).
    pub fn name(&self) -> String {
        let source = match self.source {
            ChainSource::Catalog(k) => name_of(k),
            ChainSource::Own(_) => "Custom output".into(),
        };
        self.name_from(&source, None)
    }

    /// The chain's name with its source called `source_name`, and its amplifier `amp_name`
    /// (`None`: the catalog's name, or "Custom amplifier" for one given by its figures).
    pub fn name_from(&self, source_name: &str, amp_name: Option<&str>) -> String {
        let amp = match (amp_name, self.amp) {
            (Some(name), _) => name.to_string(),
            (None, ChainAmp::Catalog(k)) => name_of(k),
            (None, ChainAmp::Own(_)) => "Custom amplifier".into(),
        };
        let volume = if self.source_volume_db < 0.0 {
            format!(" at {} dB", crate::units::fmt_sig(self.source_volume_db))
        } else {
            String::new()
        };
        // A phone's or a computer's entry is its jack already, and figures of one's own are a
        // headphone output.
        let own = matches!(self.source, ChainSource::Own(o) if o.line_out.is_none());
        let jack = match self.jack {
            SourceJack::HeadphoneOut if own || source_name.contains("jack") => String::new(),
            jack => format!(" {}", jack.name()),
        };
        let gain = match self.gain {
            AmpGain::High => "",
            AmpGain::Low => " low gain",
        };
        format!("{source_name}{jack}{volume} -> {amp}{gain}")
    }

    /// The source as an output stage, checked: its headphone output, or its line output.
    fn source_stage(&self) -> Result<OutputStage, ChainSpecError> {
        let k = match (self.source, self.jack) {
            (ChainSource::Own(own), SourceJack::HeadphoneOut) => return Ok(own.stage),
            (ChainSource::Own(own), SourceJack::LineOut) => {
                let line = own.line_out.ok_or(ChainSpecError::OwnLineOut)?;
                if self.source_volume_db != 0.0 {
                    return Err(ChainSpecError::LineOutVolume(self.source_volume_db));
                }
                return Ok(line);
            }
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
        let (stage, input_ohm, gains) = match self.amp {
            ChainAmp::Own(amp) => (amp.stage, amp.input_ohm, (amp.gain_db, amp.low_gain_db)),
            ChainAmp::Catalog(k) => {
                let entry = outputs().get(k).ok_or(ChainSpecError::NoSuchOutput(k))?;
                if self.source == ChainSource::Catalog(k) {
                    return Err(ChainSpecError::Loop(k));
                }
                let input = entry
                    .amp_input
                    .as_ref()
                    .ok_or(ChainSpecError::NotAnAmp(k))?;
                let stage = output_stage(k).ok_or(ChainSpecError::NoSuchOutput(k))?;
                let low = input.low_gain_db.as_ref().map(|g| g.value);
                (stage, input.input_ohm.value, (input.gain_db.value, low))
            }
        };
        let gain_db = match (self.gain, gains) {
            (AmpGain::High, (high, _)) => high,
            (AmpGain::Low, (_, Some(low))) => low,
            (AmpGain::Low, (_, None)) => return Err(self.no_low_gain()),
        };
        Ok((stage, AmpInput { input_ohm, gain_db }))
    }

    /// Why the amplifier has no low gain.
    fn no_low_gain(&self) -> ChainSpecError {
        match self.amp {
            ChainAmp::Catalog(k) => ChainSpecError::NoLowGain(k),
            ChainAmp::Own(_) => ChainSpecError::OwnNoLowGain,
        }
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
    chain_of(spec, [None, None])
}

/// [`chain`], with `entries`, the entries of the user's that the source and the amplifier
/// given by their figures are (`None`: figures of one's own, with no provenance): their
/// figures' provenance and ranges then count as a catalog entry's do.
pub fn chain_of(
    spec: &ChainSpec,
    entries: [Option<&OutputEntry>; 2],
) -> Result<(OutputStage, Vec<OutputStage>, Vec<Provenance>), ChainSpecError> {
    let stage = spec.stage()?;
    let (amp, input) = spec.amp()?;
    let source_entry = match spec.source {
        ChainSource::Catalog(k) => outputs().get(k),
        ChainSource::Own(_) => entries[0],
    };
    let (sources, mut provenance) = match (source_entry, spec.jack) {
        (None, _) => (Vec::new(), Vec::new()),
        (Some(entry), SourceJack::HeadphoneOut) => {
            (across_of(spec.source.catalog(), entry), entry.provenance())
        }
        (Some(entry), SourceJack::LineOut) => (
            Vec::new(),
            entry
                .line_out
                .as_ref()
                .map_or_else(Vec::new, LineOut::provenance),
        ),
    };
    let sources: Vec<OutputStage> = std::iter::once(spec.source_stage()?)
        .chain(sources)
        .collect();
    let amp_entry = match spec.amp {
        ChainAmp::Catalog(k) => outputs().get(k),
        ChainAmp::Own(_) => entries[1],
    };
    let amps: Vec<OutputStage> = std::iter::once(amp)
        .chain(amp_entry.map_or_else(Vec::new, |e| across_of(spec.amp.catalog(), e)))
        .collect();
    let mut across = Vec::new();
    for source in &sources {
        for amp in &amps {
            across.push(Chain::new(*source, spec.source_volume_db, *amp, input)?.stage());
        }
    }
    across.remove(0);
    if let Some(entry) = amp_entry {
        provenance.extend(entry.provenance());
        provenance.extend(entry.amp_input.iter().flat_map(AmpInputFigures::provenance));
    }
    Ok((stage, across, provenance))
}

/// The stages across an entry's estimates: the catalog's, kept, for catalog output `k`.
fn across_of(k: Option<usize>, entry: &OutputEntry) -> Vec<OutputStage> {
    match k {
        Some(k) => stages_across(k),
        None => entry_stages_across(entry),
    }
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
