//! The parameters' enumerations: the mode, the level mode, where the other listeners are
//! plugged in, the slot heard, a chain's jack and gain, and the test signal.
//!
//! They are kept apart from the structs that hold them because their `#[id]`s are stored in
//! projects and automation lanes: here they can be read, and left alone, at a glance.

use loadline_core::catalog::{AmpGain, SourceJack};
use loadline_core::dsp::design::DesignMode;
use loadline_core::listeners::OthersOn;
use nice_plug::prelude::*;

/// The accuracy / latency trade-off (see `DesignMode`).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModeChoice {
    /// No latency; below 60 kHz the magnitude is matched, the phase approximately.
    #[id = "zerolat"]
    #[name = "Zero latency"]
    ZeroLatency,
    /// Magnitude and phase matched; 12 samples of latency below 60 kHz, 8 above.
    #[id = "exact"]
    #[name = "Exact (12 samples; 8 above 60 kHz)"]
    Exact,
}

impl From<ModeChoice> for DesignMode {
    fn from(m: ModeChoice) -> Self {
        match m {
            ModeChoice::ZeroLatency => DesignMode::ZeroLatency,
            ModeChoice::Exact => DesignMode::Exact,
        }
    }
}

/// How the listening level is set.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LevelMode {
    /// The output's volume control, in dB.
    #[id = "volume"]
    #[name = "Volume"]
    Volume,
    /// A target SPL for the reference signal (pink noise at −18 dBFS RMS); the volume that
    /// reaches it is derived.
    #[id = "target"]
    #[name = "Target SPL"]
    TargetSpl,
}

/// Where the other listeners' headphones are plugged in.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum OthersOnChoice {
    /// On the heard headphone's jack (a splitter, or two jacks on one driver).
    #[id = "jack"]
    #[name = "On the same jack"]
    SameJack,
    /// Each on an output of its own of a distribution amplifier, sharing its supply.
    #[id = "own"]
    #[name = "On their own outputs"]
    OwnOutputs,
}

impl From<OthersOnChoice> for OthersOn {
    fn from(c: OthersOnChoice) -> Self {
        match c {
            OthersOnChoice::SameJack => OthersOn::SameJack,
            OthersOnChoice::OwnOutputs => OthersOn::OwnOutputs,
        }
    }
}

/// Which output is heard.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heard {
    /// Slot A.
    #[id = "a"]
    #[name = "A"]
    A,
    /// Slot B.
    #[id = "b"]
    #[name = "B"]
    B,
    /// The ideal output (0 Ω, unlimited, silent): the reference.
    #[id = "ideal"]
    #[name = "Ideal"]
    Ideal,
}

/// Which of the source's outputs feeds the amplifier of a chain.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum JackChoice {
    /// The source's headphone output, at the source volume.
    #[id = "hpout"]
    #[name = "Headphone out"]
    HeadphoneOut,
    /// The source's line output (no volume of its own).
    #[id = "lineout"]
    #[name = "Line out"]
    LineOut,
}

impl From<JackChoice> for SourceJack {
    fn from(j: JackChoice) -> Self {
        match j {
            JackChoice::HeadphoneOut => SourceJack::HeadphoneOut,
            JackChoice::LineOut => SourceJack::LineOut,
        }
    }
}

impl From<SourceJack> for JackChoice {
    fn from(j: SourceJack) -> Self {
        match j {
            SourceJack::HeadphoneOut => JackChoice::HeadphoneOut,
            SourceJack::LineOut => JackChoice::LineOut,
        }
    }
}

/// Which gain a chain's amplifier runs at.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum GainChoice {
    /// Its high gain (its only one, where it has no switch).
    #[id = "high"]
    #[name = "High gain"]
    High,
    /// Its low gain.
    #[id = "low"]
    #[name = "Low gain"]
    Low,
}

impl From<GainChoice> for AmpGain {
    fn from(g: GainChoice) -> Self {
        match g {
            GainChoice::High => AmpGain::High,
            GainChoice::Low => AmpGain::Low,
        }
    }
}

impl From<AmpGain> for GainChoice {
    fn from(g: AmpGain) -> Self {
        match g {
            AmpGain::High => GainChoice::High,
            AmpGain::Low => GainChoice::Low,
        }
    }
}

/// The built-in test signal, played instead of the input.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestSignal {
    /// The input plays.
    #[id = "off"]
    #[name = "Off (input)"]
    Off,
    /// Pink noise at −18 dBFS RMS: the level the target SPL refers to.
    #[id = "pink"]
    #[name = "Pink noise at the reference level"]
    PinkNoise,
}
