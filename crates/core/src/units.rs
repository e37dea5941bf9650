//! Units: the conversions between decibels and ratios or volts, the text of every figure a
//! producer reads, and the parser of typed values ("47 ohm", "-6 dB", "4.7k"). One place for
//! each, so that the plugin, its editor and the command line write and read quantities alike.

/// 0 dBu in volts RMS (√0.6, the voltage that puts 1 mW into 600 Ω).
pub const DBU_REF_VRMS: f64 = 0.774_596_669_241_483;

/// The amplitude ratio of a level in dB.
///
/// ```
/// # use loadline_core::units::db_to_gain;
/// assert!((db_to_gain(-6.0) - 0.501_187).abs() < 1e-6);
/// assert_eq!(db_to_gain(0.0), 1.0);
/// ```
pub fn db_to_gain(db: f64) -> f64 {
    10f64.powf(db / 20.0)
}

/// The level in dB of an amplitude ratio (−∞ for 0).
///
/// ```
/// # use loadline_core::units::gain_to_db;
/// assert!((gain_to_db(2.0) - 6.0206).abs() < 1e-4);
/// assert_eq!(gain_to_db(0.0), f64::NEG_INFINITY);
/// ```
pub fn gain_to_db(gain: f64) -> f64 {
    20.0 * gain.log10()
}

/// Volts RMS from dBu.
///
/// ```
/// # use loadline_core::units::dbu_to_vrms;
/// assert!((dbu_to_vrms(4.0) - 1.228).abs() < 1e-3);
/// ```
pub fn dbu_to_vrms(dbu: f64) -> f64 {
    DBU_REF_VRMS * db_to_gain(dbu)
}

/// dBu from volts RMS.
///
/// ```
/// # use loadline_core::units::{dbu_to_vrms, vrms_to_dbu};
/// assert!((vrms_to_dbu(dbu_to_vrms(10.0)) - 10.0).abs() < 1e-12);
/// ```
pub fn vrms_to_dbu(vrms: f64) -> f64 {
    gain_to_db(vrms / DBU_REF_VRMS)
}

/// Volts RMS from dBV.
///
/// ```
/// # use loadline_core::units::dbv_to_vrms;
/// assert_eq!(dbv_to_vrms(0.0), 1.0);
/// ```
pub fn dbv_to_vrms(dbv: f64) -> f64 {
    db_to_gain(dbv)
}

/// A dB figure with one decimal, without "-0.0".
///
/// ```
/// # use loadline_core::units::fmt_db;
/// assert_eq!(fmt_db(-3.14159), "-3.1");
/// assert_eq!(fmt_db(-0.04), "0.0");
/// ```
pub fn fmt_db(v: f64) -> String {
    let s = format!("{v:.1}");
    if s == "-0.0" { "0.0".into() } else { s }
}

/// A frequency with its unit: "48 Hz", "1.2 kHz", "12 kHz".
///
/// ```
/// # use loadline_core::units::fmt_hz;
/// assert_eq!(fmt_hz(48.2), "48 Hz");
/// assert_eq!(fmt_hz(1234.0), "1.23 kHz");
/// ```
pub fn fmt_hz(f: f64) -> String {
    if f >= 999.5 {
        format!("{} kHz", fmt_sig(f / 1000.0))
    } else {
        format!("{f:.0} Hz")
    }
}

/// `v` in `unit` with an SI prefix, three significant digits: "2.45 V", "12.3 mV", "850 µA";
/// "0 V" below a nano-unit (a meter at rest).
///
/// ```
/// # use loadline_core::units::fmt_si;
/// assert_eq!(fmt_si(0.0123, "V"), "12.3 mV");
/// assert_eq!(fmt_si(8.5e-4, "A"), "850 µA");
/// assert_eq!(fmt_si(1e-12, "V"), "0 V");
/// ```
pub fn fmt_si(v: f64, unit: &str) -> String {
    let a = v.abs();
    let (scale, prefix) = match a {
        _ if a >= 1.0 || !a.is_finite() => (1.0, ""),
        _ if a >= 1e-3 => (1e3, "m"),
        _ if a >= 1e-6 => (1e6, "µ"),
        _ if a >= 1e-9 => (1e9, "n"),
        _ => return format!("0 {unit}"),
    };
    format!("{} {prefix}{unit}", fmt_sig(v * scale))
}

/// A range as `"lo–hi"` with `decimals` decimals, or one value when both ends print the same.
///
/// ```
/// # use loadline_core::units::fmt_span;
/// assert_eq!(fmt_span([98.04, 106.2], 1), "98.0–106.2");
/// assert_eq!(fmt_span([0.0, 0.04], 1), "0.0");
/// ```
pub fn fmt_span([lo, hi]: [f64; 2], decimals: usize) -> String {
    let (a, b) = (format!("{lo:.decimals$}"), format!("{hi:.decimals$}"));
    if a == b { a } else { format!("{a}–{b}") }
}

/// Three significant digits, without trailing zeros: for reading.
///
/// ```
/// # use loadline_core::units::fmt_sig;
/// assert_eq!(fmt_sig(2.5), "2.5");
/// assert_eq!(fmt_sig(1234.6), "1235");
/// assert_eq!(fmt_sig(0.012345), "0.0123");
/// ```
pub fn fmt_sig(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let decimals = (2 - v.abs().log10().floor() as i32).max(0) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// `v` with `digits` significant digits, trailing zeros kept and no unit: the text a host
/// shows for a parameter. Unlike [`fmt_sig`], it settles: the value this text parses to
/// formats to the same text, which hosts and validators check.
///
/// ```
/// # use loadline_core::units::fmt_param;
/// assert_eq!(fmt_param(47.0, 3), "47.0");
/// // 0.09999 rounds up into the next decade, and takes that decade's digits.
/// assert_eq!(fmt_param(0.09999, 3), "0.100");
/// ```
pub fn fmt_param(v: f32, digits: usize) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let with_digits = |mag: i32| {
        let decimals = (digits as i32 - 1 - mag).max(0) as usize;
        format!("{v:.decimals$}")
    };
    let mag = v.abs().log10().floor() as i32;
    let text = with_digits(mag);
    // Rounding can carry into the next decade (0.09999 gives "0.1000"): the text must have
    // the digits that its own value formats with, or text → value → text would not settle.
    let rounded: f32 = text.parse().unwrap_or(v);
    if rounded != 0.0 && rounded.abs().log10().floor() as i32 != mag {
        with_digits(rounded.abs().log10().floor() as i32)
    } else {
        text
    }
}

/// Parses "47", "47 ohm", "47Ω", "4.7k", "4.7 kohm", "-6 dB": a number, an optional SI prefix
/// (k, m, µ/u), then optionally one of `units` (case-insensitive). `scale` converts the unit
/// to the caller's. `None` for anything else, and for a result that is not finite.
///
/// ```
/// # use loadline_core::units::parse_with_unit;
/// let ohm = ["ohms", "ohm", "Ω"];
/// assert_eq!(parse_with_unit("47 ohm", &ohm, 1.0), Some(47.0));
/// assert_eq!(parse_with_unit("4.7k", &ohm, 1.0), Some(4700.0));
/// assert_eq!(parse_with_unit("-6 dB", &["db"], 1.0), Some(-6.0));
/// assert_eq!(parse_with_unit("47 volts", &ohm, 1.0), None);
/// ```
pub fn parse_with_unit(text: &str, units: &[&str], scale: f64) -> Option<f64> {
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
    let value: f64 = num.trim().parse().ok()?;
    let mut rest = rest.trim();
    for unit in units {
        if let Some(stripped) = rest.strip_suffix(unit.to_lowercase().as_str()) {
            rest = stripped.trim();
            break;
        }
    }
    let factor = match rest {
        "" => 1.0,
        "k" => 1e3,
        "m" => 1e-3,
        "u" | "µ" | "μ" => 1e-6,
        _ => return None,
    };
    let v = value * factor * scale;
    v.is_finite().then_some(v)
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
        assert_eq!(parse_with_unit("1e400", &ohm, 1.0), None);
    }

    #[test]
    fn parameter_text_settles_after_one_round_trip() {
        // A value just below a decade rounds up into it: its text must be that of the decade
        // (0.100, not 0.1000), so that text → value → text gives the same text.
        for i in 0..=1000 {
            let v = 10f32.powf(-3.0 + 6.0 * i as f32 / 1000.0);
            let text = fmt_param(v, 4);
            let back: f32 = text.parse().unwrap();
            assert_eq!(fmt_param(back, 4), text, "{v}");
        }
    }

    #[test]
    fn levels_convert_both_ways() {
        for db in [-120.0, -6.0, 0.0, 4.0, 24.0] {
            assert!((gain_to_db(db_to_gain(db)) - db).abs() < 1e-12);
            assert!((vrms_to_dbu(dbu_to_vrms(db)) - db).abs() < 1e-12);
        }
        assert!((dbu_to_vrms(0.0) - 0.6f64.sqrt()).abs() < 1e-15);
    }
}
