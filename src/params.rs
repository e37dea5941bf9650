//! The plugin's parameters, with units and text entry.

use crate::dsp::design::DesignMode;
use nice_plug::prelude::*;
use std::sync::Arc;

/// The built-in headphones, in the order of `physics::headphones::builtin()`.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadphoneChoice {
    /// 300 Ω open-back dynamic with a strong bass resonance.
    #[id = "dyn300"]
    #[name = "300 ohm dynamic (HD600-like)"]
    Dynamic300,
    /// 38 Ω closed-back dynamic.
    #[id = "dyn38"]
    #[name = "38 ohm closed dynamic (M50x-like)"]
    Closed38,
    /// 37 Ω planar magnetic.
    #[id = "planar37"]
    #[name = "37 ohm planar (Sundara-like)"]
    Planar37,
    /// Single balanced-armature IEM.
    #[id = "ba1"]
    #[name = "Single-BA IEM (SE310-like)"]
    SingleBa,
    /// Multi balanced-armature IEM with a passive crossover.
    #[id = "bamulti"]
    #[name = "Multi-BA IEM with crossover"]
    MultiBa,
}

/// The accuracy / latency trade-off (see `DesignMode`).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModeChoice {
    /// No latency; below 60 kHz the magnitude is matched, the phase approximately.
    #[id = "zerolat"]
    #[name = "Zero latency"]
    ZeroLatency,
    /// Magnitude and phase matched; 12 samples of latency below 60 kHz.
    #[id = "exact"]
    #[name = "Exact (12 samples below 60 kHz)"]
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

/// Every parameter of Loadline.
#[derive(Params)]
pub struct LoadlineParams {
    /// The output's resistance, ohms.
    #[id = "zout"]
    pub r_out_ohm: FloatParam,
    /// Whether a series coupling capacitor is in the output.
    #[id = "capon"]
    pub cap_on: BoolParam,
    /// The coupling capacitor's value, µF.
    #[id = "capuf"]
    pub cap_uf: FloatParam,
    /// The headphone being driven.
    #[id = "hp"]
    pub headphone: EnumParam<HeadphoneChoice>,
    /// Accuracy / latency mode.
    #[id = "mode"]
    pub mode: EnumParam<ModeChoice>,
    /// Removes the broadband level loss, normalised at 1 kHz.
    #[id = "lvlmatch"]
    pub level_match: BoolParam,
    /// Real bypass (latency-aligned, ramped).
    #[id = "bypass"]
    pub bypass: BoolParam,
}

/// Output impedance range, ohms.
pub const R_OUT_RANGE_OHM: (f32, f32) = (0.0, 300.0);
/// Coupling capacitor range, µF.
pub const CAP_RANGE_UF: (f32, f32) = (10.0, 2200.0);

impl Default for LoadlineParams {
    fn default() -> Self {
        LoadlineParams {
            r_out_ohm: FloatParam::new(
                "Output impedance",
                10.0,
                FloatRange::Skewed {
                    min: R_OUT_RANGE_OHM.0,
                    max: R_OUT_RANGE_OHM.1,
                    factor: FloatRange::skew_factor(-2.0),
                },
            )
            .with_unit(" Ω")
            .with_value_to_string(Arc::new(|v| format_sig(v, 3)))
            .with_string_to_value(Arc::new(|s| {
                parse_with_unit(s, &["ohms", "ohm", "Ω", "r"], 1.0)
            })),
            cap_on: BoolParam::new("Coupling capacitor", false)
                .with_value_to_string(Arc::new(|v| if v { "On" } else { "Off" }.into()))
                .with_string_to_value(Arc::new(parse_on_off)),
            cap_uf: FloatParam::new(
                "Coupling capacitor value",
                220.0,
                FloatRange::Skewed {
                    min: CAP_RANGE_UF.0,
                    max: CAP_RANGE_UF.1,
                    factor: FloatRange::skew_factor(-2.0),
                },
            )
            .with_unit(" µF")
            .with_value_to_string(Arc::new(|v| format_sig(v, 3)))
            .with_string_to_value(Arc::new(|s| {
                parse_with_unit(s, &["µf", "uf", "μf"], 1.0)
                    .or_else(|| parse_with_unit(s, &["mf"], 1000.0))
            })),
            headphone: EnumParam::new("Headphone", HeadphoneChoice::Dynamic300),
            mode: EnumParam::new("Mode", ModeChoice::ZeroLatency),
            level_match: BoolParam::new("Level match", false)
                .with_value_to_string(Arc::new(|v| if v { "On" } else { "Off" }.into()))
                .with_string_to_value(Arc::new(parse_on_off)),
            bypass: BoolParam::new("Bypass", false).make_bypass(),
        }
    }
}

/// Formats `v` with `digits` significant digits (no trailing unit: the host adds it).
pub fn format_sig(v: f32, digits: usize) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let mag = v.abs().log10().floor() as i32;
    let decimals = (digits as i32 - 1 - mag).max(0) as usize;
    format!("{v:.decimals$}")
}

/// Parses "47", "47 ohm", "47Ω", "4.7k", "4.7 kohm": a number, an optional SI prefix
/// (k, m, µ/u), then optionally one of `units` (case-insensitive). `scale` converts the
/// unit to the parameter's.
pub fn parse_with_unit(text: &str, units: &[&str], scale: f32) -> Option<f32> {
    let t = text.trim().to_lowercase();
    let end = t
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e')))
        .map_or(t.len(), |(i, _)| i);
    // An 'e' that does not start an exponent belongs to the unit.
    let (mut num, mut rest) = t.split_at(end);
    while num.ends_with('e') {
        num = &num[..num.len() - 1];
        rest = &t[num.len()..];
    }
    let value: f32 = num.trim().parse().ok()?;
    let mut rest = rest.trim();
    let mut factor = 1.0;
    for unit in units {
        if let Some(stripped) = rest.strip_suffix(unit.to_lowercase().as_str()) {
            rest = stripped.trim();
            break;
        }
    }
    match rest {
        "" => {}
        "k" => factor = 1e3,
        "m" => factor = 1e-3,
        "u" | "µ" | "μ" => factor = 1e-6,
        _ => return None,
    }
    let v = value * factor * scale;
    v.is_finite().then_some(v)
}

fn parse_on_off(s: &str) -> Option<bool> {
    match s.trim().to_lowercase().as_str() {
        "on" | "1" | "true" | "yes" => Some(true),
        "off" | "0" | "false" | "no" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_prefixes() {
        let ohm = ["ohms", "ohm", "Ω", "r"];
        assert_eq!(parse_with_unit("47 ohm", &ohm, 1.0), Some(47.0));
        assert_eq!(parse_with_unit("47Ω", &ohm, 1.0), Some(47.0));
        assert_eq!(parse_with_unit(" 0.1 ohms ", &ohm, 1.0), Some(0.1));
        assert_eq!(parse_with_unit("0.12k", &ohm, 1.0), Some(120.0));
        assert_eq!(parse_with_unit("1e1 ohm", &ohm, 1.0), Some(10.0));
        assert_eq!(parse_with_unit("fast", &ohm, 1.0), None);
        assert_eq!(parse_with_unit("47 volts", &ohm, 1.0), None);
        assert_eq!(parse_with_unit("100 uF", &["uf"], 1.0), Some(100.0));
    }

    #[test]
    fn parameters_round_trip_through_text() {
        let p = LoadlineParams::default();
        let norm = p.r_out_ohm.string_to_normalized_value("47 ohm").unwrap();
        let back = p.r_out_ohm.preview_plain(norm);
        assert!((back - 47.0).abs() < 1e-3, "{back}");
        assert_eq!(p.r_out_ohm.normalized_value_to_string(norm, true), "47.0 Ω");
        let c = p.cap_uf.string_to_normalized_value("100µF").unwrap();
        assert!((p.cap_uf.preview_plain(c) - 100.0).abs() < 1e-2);
        let c = p.cap_uf.string_to_normalized_value("0.47 mF").unwrap();
        assert!((p.cap_uf.preview_plain(c) - 470.0).abs() < 1e-2);
        assert_eq!(p.level_match.string_to_normalized_value("on"), Some(1.0));
    }
}
