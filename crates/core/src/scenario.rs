//! What is being emulated, as choices: which output a slot uses, which headphone is driven,
//! and how the listening level is set. The plugin's parameters, the command line and the tests
//! all resolve to these, so no layer passes indices with a special meaning.

use crate::catalog;
use crate::listeners::{MAX_OTHER_LISTENERS, OthersOn};

/// The output a slot uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputChoice {
    /// The slot's own figures.
    Custom,
    /// A catalog output, by its index in `catalog::outputs()`.
    Catalog(usize),
}

impl OutputChoice {
    /// The choice a parameter value stands for: 0 is the custom output, k ≥ 1 catalog output
    /// k − 1 (the order of the parameter's list). A value past the catalog is the custom
    /// output, as the parameter's range never gives one.
    ///
    /// ```
    /// # use loadline_core::scenario::OutputChoice;
    /// assert_eq!(OutputChoice::from_param(0), OutputChoice::Custom);
    /// assert_eq!(OutputChoice::from_param(3), OutputChoice::Catalog(2));
    /// assert_eq!(OutputChoice::Catalog(2).to_param(), 3);
    /// ```
    pub fn from_param(value: i32) -> Self {
        match usize::try_from(value - 1) {
            Ok(k) if k < catalog::outputs().len() => Self::Catalog(k),
            _ => Self::Custom,
        }
    }

    /// The parameter value that stands for this choice.
    pub const fn to_param(self) -> i32 {
        match self {
            Self::Custom => 0,
            Self::Catalog(k) => k as i32 + 1,
        }
    }

    /// The name the choice shows: "Custom" or the catalog entry's name.
    pub fn name(self) -> String {
        match self {
            Self::Custom => "Custom".into(),
            Self::Catalog(k) => catalog::outputs()[k].name(),
        }
    }
}

/// The headphone being driven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadphoneChoice {
    /// A catalog headphone, by its index in `catalog::headphones()`.
    Catalog(usize),
    /// The curve the user imported; `generation` changes with every import, so that a new
    /// curve is a new choice even under the same name.
    Imported {
        /// Counts the imports.
        generation: u32,
    },
}

impl HeadphoneChoice {
    /// The choice a parameter value stands for: catalog index k, or one past the catalog for
    /// the imported curve (imported `generation`).
    ///
    /// ```
    /// # use loadline_core::{catalog, scenario::HeadphoneChoice};
    /// assert_eq!(HeadphoneChoice::from_param(1, 7), HeadphoneChoice::Catalog(1));
    /// let past = HeadphoneChoice::imported_param();
    /// assert_eq!(HeadphoneChoice::from_param(past, 7), HeadphoneChoice::Imported { generation: 7 });
    /// ```
    pub fn from_param(value: i32, generation: u32) -> Self {
        match usize::try_from(value) {
            Ok(k) if k < catalog::headphones().len() => Self::Catalog(k),
            _ => Self::Imported { generation },
        }
    }

    /// The parameter value of the imported curve: one past the catalog's headphones.
    pub fn imported_param() -> i32 {
        catalog::headphones().len() as i32
    }

    /// The parameter value that stands for this choice.
    pub fn to_param(self) -> i32 {
        match self {
            Self::Catalog(k) => k as i32,
            Self::Imported { .. } => Self::imported_param(),
        }
    }
}

/// Another listener's headphone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtherChoice {
    /// A catalog headphone, by its index in `catalog::headphones()`.
    Catalog(usize),
    /// The headphone saved with the project for this place (one of the user's, or an imported
    /// curve); `generation` changes with every headphone saved, so that a new one is a new
    /// choice.
    Saved {
        /// Counts the headphones saved.
        generation: u32,
    },
}

/// The headphones on the output: the one heard, and the others on the same jack or on
/// outputs of their own (`None`: nobody in that place).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listeners {
    /// The headphone heard (the one the level is set for).
    pub heard: HeadphoneChoice,
    /// The others.
    pub others: [Option<OtherChoice>; MAX_OTHER_LISTENERS],
    /// Where the others are plugged in: on the heard one's jack, or on outputs of their own.
    pub on: OthersOn,
}

impl Listeners {
    /// `heard` with the jack to itself.
    pub const fn alone(heard: HeadphoneChoice) -> Self {
        Listeners {
            heard,
            others: [None; MAX_OTHER_LISTENERS],
            on: OthersOn::SameJack,
        }
    }

    /// The headphone a parameter value names for another listener's place: 0 is nobody,
    /// k ≥ 1 catalog headphone k − 1 (a value past the catalog is nobody too), and
    /// [`SAVED`](Self::SAVED) the headphone saved with the project for that place
    /// (`generation` of them).
    ///
    /// ```
    /// # use loadline_core::scenario::{Listeners, OtherChoice};
    /// assert_eq!(Listeners::other_from_param(0, 3), None);
    /// assert_eq!(Listeners::other_from_param(8, 3), Some(OtherChoice::Catalog(7)));
    /// assert_eq!(Listeners::other_to_param(Some(OtherChoice::Catalog(7))), 8);
    /// let saved = Listeners::other_from_param(Listeners::SAVED, 3);
    /// assert_eq!(saved, Some(OtherChoice::Saved { generation: 3 }));
    /// ```
    pub fn other_from_param(value: i32, generation: u32) -> Option<OtherChoice> {
        if value == Self::SAVED {
            return Some(OtherChoice::Saved { generation });
        }
        usize::try_from(value - 1)
            .ok()
            .filter(|&k| k < catalog::headphones().len())
            .map(OtherChoice::Catalog)
    }

    /// The parameter value of another listener's place.
    pub fn other_to_param(other: Option<OtherChoice>) -> i32 {
        match other {
            None => 0,
            Some(OtherChoice::Catalog(k)) => k as i32 + 1,
            Some(OtherChoice::Saved { .. }) => Self::SAVED,
        }
    }

    /// The parameter value of the headphone saved with the project for a place (and of the
    /// amplifier saved for a slot): below every other value, so that the catalog's growing
    /// never moves it.
    pub const SAVED: i32 = -1;
}

/// The catalog outputs that can be a chain's amplifier (they give their input figures), in
/// catalog order: the values of a slot's amplifier parameter after 0 (none). A project saves
/// the position in this list, so amplifiers only join it at its end (the catalog's test pins
/// the order).
pub fn amps() -> &'static [usize] {
    static AMPS: std::sync::OnceLock<Vec<usize>> = std::sync::OnceLock::new();
    AMPS.get_or_init(|| {
        let outputs = catalog::outputs().iter().enumerate();
        outputs
            .filter(|(_, e)| e.amp_input.is_some())
            .map(|(k, _)| k)
            .collect()
    })
}

/// The amplifier a parameter value names: 0 is none (the output drives the headphone
/// itself), k ≥ 1 the k-th of [`amps`] (a value past them is none).
///
/// ```
/// # use loadline_core::{catalog, scenario::{amp_from_param, amp_to_param}};
/// let magni = catalog::find_output("Magni 2").unwrap();
/// assert_eq!(amp_from_param(amp_to_param(Some(magni))), Some(magni));
/// let scarlett = catalog::find_output("Scarlett 2i2 4th gen").unwrap();
/// assert_eq!(amp_to_param(Some(scarlett)), 0);
/// assert_eq!(amp_from_param(0), None);
/// ```
pub fn amp_from_param(value: i32) -> Option<usize> {
    let k = usize::try_from(value - 1).ok()?;
    amps().get(k).copied()
}

/// The parameter value of the amplifier a slot feeds (0 for none, or for an output that is
/// no amplifier).
pub fn amp_to_param(amp: Option<usize>) -> i32 {
    amp.and_then(|a| amps().iter().position(|&k| k == a))
        .map_or(0, |i| i as i32 + 1)
}

/// How the listening level is set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Level {
    /// A volume setting, dB (0 = maximum).
    VolumeDb(f64),
    /// The SPL of the reference (pink noise at −18 dBFS RMS), dB SPL; the volume follows.
    TargetSplDb(f64),
}

impl Level {
    /// The target SPL, when the level is set that way.
    pub fn target_spl_db(self) -> Option<f64> {
        match self {
            Self::TargetSplDb(t) => Some(t),
            Self::VolumeDb(_) => None,
        }
    }

    /// The volume in effect: the set one, or with a target SPL the volume `derived_db` that
    /// reaches it (maximum, 0 dB, until one is derived).
    pub fn volume_db(self, derived_db: Option<f64>) -> f64 {
        match self {
            Self::VolumeDb(v) => v,
            Self::TargetSplDb(_) => derived_db.unwrap_or(0.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_parameter_value_is_one_choice_and_back() {
        for v in 0..=catalog::outputs().len() as i32 {
            assert_eq!(OutputChoice::from_param(v).to_param(), v);
        }
        for v in 0..=HeadphoneChoice::imported_param() {
            assert_eq!(HeadphoneChoice::from_param(v, 3).to_param(), v);
        }
        assert_eq!(OutputChoice::from_param(-1), OutputChoice::Custom);
        assert_eq!(
            HeadphoneChoice::from_param(-1, 0),
            HeadphoneChoice::Imported { generation: 0 }
        );
    }

    #[test]
    fn a_target_derives_the_volume_and_a_volume_is_kept() {
        assert_eq!(Level::VolumeDb(-6.0).volume_db(Some(-20.0)), -6.0);
        assert_eq!(Level::TargetSplDb(85.0).volume_db(Some(-20.0)), -20.0);
        assert_eq!(Level::TargetSplDb(85.0).volume_db(None), 0.0);
        assert_eq!(Level::TargetSplDb(85.0).target_spl_db(), Some(85.0));
        assert_eq!(Level::VolumeDb(0.0).target_spl_db(), None);
    }
}
