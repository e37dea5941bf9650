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
    /// Whether the output's limits act: the converter's full scale, the rails, the current
    /// limit.
    #[id = "limits"]
    pub limits_on: BoolParam,
    /// The EMF a full-scale sample gives at maximum volume, no load, dBu (RMS of a full-scale
    /// sine).
    #[id = "fsdbu"]
    pub full_scale_dbu: FloatParam,
    /// The rail limit of the EMF, volts peak.
    #[id = "rail"]
    pub rail_v_peak: FloatParam,
    /// The current limit, milliamps peak.
    #[id = "imax"]
    pub i_max_ma_peak: FloatParam,
    /// Whether the output's noise is heard.
    #[id = "noise"]
    pub noise_on: BoolParam,
    /// Dynamic range (noise before the volume control), dB below a full-scale sine.
    #[id = "dr"]
    pub dynamic_range_db: FloatParam,
    /// Whether the dynamic range figure is A-weighted.
    #[id = "dra"]
    pub dynamic_range_a_weighted: BoolParam,
    /// Noise after the volume control, dBV.
    #[id = "nfloor"]
    pub noise_floor_dbv: FloatParam,
    /// Whether the noise floor figure is A-weighted.
    #[id = "nfa"]
    pub noise_floor_a_weighted: BoolParam,
    /// Corner below which 1/f noise rises above the white floor, Hz (0 = white only).
    #[id = "flicker"]
    pub flicker_corner_hz: FloatParam,
    /// How the listening level is set.
    #[id = "lvlmode"]
    pub level_mode: EnumParam<LevelMode>,
    /// The volume control, dB (0 = maximum).
    #[id = "volume"]
    pub volume_db: FloatParam,
    /// The target SPL of the reference signal (pink noise at −18 dBFS RMS), dB SPL.
    #[id = "target"]
    pub target_spl_db: FloatParam,
}

/// Output impedance range, ohms.
pub const R_OUT_RANGE_OHM: (f32, f32) = (0.0, 300.0);
/// Coupling capacitor range, µF.
pub const CAP_RANGE_UF: (f32, f32) = (10.0, 2200.0);

impl Default for LoadlineParams {
    fn default() -> Self {
        LoadlineParams {
            r_out_ohm: physical(
                "Output impedance",
                10.0,
                R_OUT_RANGE_OHM,
                -2.0,
                " Ω",
                &["ohms", "ohm", "Ω", "r"],
            ),
            cap_on: switch("Coupling capacitor", false),
            cap_uf: physical(
                "Coupling capacitor value",
                220.0,
                CAP_RANGE_UF,
                -2.0,
                " µF",
                &["µf", "uf", "μf"],
            )
            .with_string_to_value(Arc::new(|s| {
                parse_with_unit(s, &["µf", "uf", "μf"], 1.0)
                    .or_else(|| parse_with_unit(s, &["mf"], 1000.0))
            })),
            headphone: EnumParam::new("Headphone", HeadphoneChoice::Dynamic300),
            mode: EnumParam::new("Mode", ModeChoice::ZeroLatency),
            level_match: switch("Level match", false),
            bypass: BoolParam::new("Bypass", false).make_bypass(),
            limits_on: switch("Output limits", false),
            full_scale_dbu: physical(
                "Full-scale level",
                10.0,
                (-20.0, 30.0),
                0.0,
                " dBu",
                &["dbu"],
            ),
            rail_v_peak: physical("Rail limit", 15.0, (0.1, 100.0), -2.0, " V", &["vpk", "v"]),
            i_max_ma_peak: physical("Current limit", 500.0, (1.0, 5000.0), -2.5, " mA", &["ma"]),
            noise_on: switch("Output noise", false),
            dynamic_range_db: physical("Dynamic range", 115.0, (60.0, 140.0), 0.0, " dB", &["db"]),
            dynamic_range_a_weighted: switch("Dynamic range A-weighted", true),
            noise_floor_dbv: physical(
                "Noise floor",
                -110.0,
                (-150.0, -60.0),
                0.0,
                " dBV",
                &["dbv"],
            ),
            noise_floor_a_weighted: switch("Noise floor A-weighted", true),
            flicker_corner_hz: physical("1/f corner", 0.0, (0.0, 2000.0), -1.5, " Hz", &["hz"]),
            level_mode: EnumParam::new("Level mode", LevelMode::Volume),
            volume_db: physical("Volume", 0.0, (-80.0, 0.0), 0.0, " dB", &["db"]),
            target_spl_db: physical(
                "Target SPL",
                85.0,
                (50.0, 130.0),
                0.0,
                " dB SPL",
                &["db spl", "dbspl", "db"],
            ),
        }
    }
}

/// A float parameter in physical units: skewed range (`skew` as for
/// `FloatRange::skew_factor`, 0 for linear), three significant digits, and text entry
/// that accepts the number with any of `units` and an SI prefix.
fn physical(
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
        .with_value_to_string(Arc::new(|v| format_sig(v, 3)))
        .with_string_to_value(Arc::new(move |s| parse_with_unit(s, units, 1.0)))
}

/// An on/off parameter with text entry.
fn switch(name: &str, default: bool) -> BoolParam {
    BoolParam::new(name, default)
        .with_value_to_string(Arc::new(|v| if v { "On" } else { "Off" }.into()))
        .with_string_to_value(Arc::new(parse_on_off))
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
