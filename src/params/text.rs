//! The builders of parameters with text entry: physical quantities with units and SI
//! prefixes, on/off switches, and choices picked by name from the catalog.
//!
//! What a host or the user types is parsed here, so that every parameter accepts the same
//! spellings; the parameter tree and the slots only say which units and names each takes.

use loadline_core::catalog;
use loadline_core::plausible;
use loadline_core::scenario::{Listeners, OutputChoice};
use loadline_core::units::{fmt_param, parse_with_unit};
use nice_plug::prelude::*;
use std::sync::Arc;

/// The choice whose name `text` picks (`catalog::lookup`), or a plain number.
pub(super) fn parse_choice(text: &str, names: &[String]) -> Option<i32> {
    parse_choice_from(text, names, 0)
}

/// The value of the choice whose name `text` picks among `names`, whose first is value
/// `first`; or a plain number.
pub(super) fn parse_choice_from(text: &str, names: &[String], first: i32) -> Option<i32> {
    match catalog::lookup(text, names) {
        Ok(k) => Some(k as i32 + first),
        Err(_) => text.trim().parse().ok(),
    }
}

/// The name of the device a project saved for a place or a slot (`Listeners::SAVED`).
pub const SAVED_DEVICE: &str = "Saved with the project";

/// Another listener's place: the headphone saved with the project, "Nobody", then every
/// catalog headphone.
pub(super) fn other_listener(name: &str) -> IntParam {
    let names: Vec<String> = [SAVED_DEVICE.to_string(), NOBODY.to_string()]
        .into_iter()
        .chain(catalog::headphones().iter().map(|h| h.name()))
        .collect();
    let shown = names.clone();
    IntParam::new(
        name,
        0,
        IntRange::Linear {
            min: Listeners::SAVED,
            max: catalog::headphones().len() as i32,
        },
    )
    .with_value_to_string(Arc::new(move |v| {
        let k = Listeners::other_to_param(Listeners::other_from_param(v, 0));
        shown[(k - Listeners::SAVED) as usize].clone()
    }))
    .with_string_to_value(Arc::new(move |s| {
        parse_choice_from(s, &names, Listeners::SAVED)
    }))
}

/// Another listener's volume on an output of their own, relative to the heard one's.
pub(super) fn other_volume(name: &str) -> FloatParam {
    physical(
        name,
        0.0,
        plausible::OTHER_VOLUME_DB.range_f32(),
        0.0,
        " dB",
        &["db"],
    )
}

/// The name of an empty place on the jack.
pub const NOBODY: &str = "Nobody";

/// An output choice: "Custom", then every catalog output by name.
pub(super) fn output_choice(name: &str, default: i32) -> IntParam {
    let names: Vec<String> = std::iter::once("Custom".to_string())
        .chain(catalog::outputs().iter().map(|e| e.name()))
        .collect();
    IntParam::new(
        name,
        default,
        IntRange::Linear {
            min: 0,
            max: catalog::outputs().len() as i32,
        },
    )
    .with_value_to_string(Arc::new(|v| OutputChoice::from_param(v).name()))
    .with_string_to_value(Arc::new(move |s| parse_choice(s, &names)))
}

/// A float parameter in physical units: skewed range (`skew` as for
/// `FloatRange::skew_factor`, 0 for linear), three significant digits, and text entry
/// that accepts the number with any of `units` and an SI prefix.
pub(super) fn physical(
    name: &str,
    default: f32,
    (min, max): (f32, f32),
    skew: f32,
    unit: &'static str,
    units: &'static [&'static str],
) -> FloatParam {
    let range = if skew == 0.0 {
        FloatRange::Linear { min, max }
    } else {
        FloatRange::Skewed {
            min,
            max,
            factor: FloatRange::skew_factor(skew),
        }
    };
    FloatParam::new(name, default, range)
        .with_unit(unit)
        .with_value_to_string(Arc::new(|v| fmt_param(v, 3)))
        .with_string_to_value(Arc::new(move |s| parse_param(s, units, 1.0)))
}

/// An on/off parameter with text entry.
pub(super) fn switch(name: &str, default: bool) -> BoolParam {
    BoolParam::new(name, default)
        .with_value_to_string(Arc::new(|v| if v { "On" } else { "Off" }.into()))
        .with_string_to_value(Arc::new(parse_on_off))
}

/// Parses `text` in one of `units` (`units::parse_with_unit`) into a parameter's value.
pub(super) fn parse_param(text: &str, units: &[&str], scale: f64) -> Option<f32> {
    parse_with_unit(text, units, scale).map(|v| v as f32)
}

/// Parses the text of a switch: "on" or "off", or their usual synonyms, in any case.
fn parse_on_off(s: &str) -> Option<bool> {
    match s.trim().to_lowercase().as_str() {
        "on" | "1" | "true" | "yes" => Some(true),
        "off" | "0" | "false" | "no" => Some(false),
        _ => None,
    }
}
