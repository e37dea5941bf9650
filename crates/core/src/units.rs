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

/// Parses a typed quantity: a number, an optional SI prefix, then optionally one of `units`
/// ("47", "47 ohm", "47Ω", "4.7k", "4.7 kohm", "1 MΩ", "1 megohm", "20 mA", "-6 dB"). `scale`
/// converts the unit to the caller's. `None` for anything else, and for a result that is not
/// finite.
///
/// The unit is matched in any case ("OHM", "DB", "dBu"), but a prefix keeps SI's case, which
/// is its meaning: M is mega and m milli, k is kilo, and K, which SI does not define, is
/// refused. µ, μ and u are micro. The words mega, kilo, milli and micro are read in any case,
/// and so are megohm and kilohm. A unit of the caller's that begins with m or k
/// (`"ma"` for a figure in mA, `"mf"`) keeps that letter's case too, so "20 MA" is refused,
/// not read as milliamps. A level in decibels is a logarithm and takes no prefix: if one of
/// `units` is a decibel ("db", "dbu", "db spl"), "1 mdB" and "-6m" are refused.
///
/// ```
/// # use loadline_core::units::parse_with_unit;
/// let ohm = ["ohms", "ohm", "Ω"];
/// assert_eq!(parse_with_unit("47 ohm", &ohm, 1.0), Some(47.0));
/// assert_eq!(parse_with_unit("4.7k", &ohm, 1.0), Some(4700.0));
/// assert_eq!(parse_with_unit("1 MΩ", &ohm, 1.0), Some(1e6));
/// assert_eq!(parse_with_unit("1 Megohm", &ohm, 1.0), Some(1e6));
/// assert_eq!(parse_with_unit("1 mohm", &ohm, 1.0), Some(1e-3));
/// assert_eq!(parse_with_unit("4.7K", &ohm, 1.0), None);
/// assert_eq!(parse_with_unit("20 mA", &["ma"], 1.0), Some(20.0));
/// assert_eq!(parse_with_unit("-6 dB", &["db"], 1.0), Some(-6.0));
/// assert_eq!(parse_with_unit("1 mdB", &["db"], 1.0), None);
/// assert_eq!(parse_with_unit("47 volts", &ohm, 1.0), None);
/// ```
pub fn parse_with_unit(text: &str, units: &[&str], scale: f64) -> Option<f64> {
    let (value, rest) = split_number(text.trim())?;
    let v = value * unit_factor(rest.trim(), units)? * scale;
    v.is_finite().then_some(v)
}

/// The number that begins `text`, and the text after it.
fn split_number(text: &str) -> Option<(f64, &str)> {
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E')))
        .unwrap_or(text.len());
    // An 'e' that does not start an exponent belongs to the unit.
    let num = text[..end].trim_end_matches(['e', 'E']);
    Some((num.parse().ok()?, &text[num.len()..]))
}

/// The factor of the prefix and unit after the number (1 for neither), or `None` if they are
/// not a prefix, one of `units`, or a prefix and one of `units`.
fn unit_factor(rest: &str, units: &[&str]) -> Option<f64> {
    let level = units.iter().any(|u| u.to_lowercase().starts_with("db"));
    let factor = |prefix: &str, unit: &str| match prefix {
        "" => Some(1.0),
        _ if level => None,
        _ => prefix_factor(prefix, unit),
    };
    units
        .iter()
        .find_map(|unit| factor(strip_unit(rest, unit)?.trim_end(), unit))
        .or_else(|| factor(rest, ""))
}

/// `text` without `unit` at its end, if it ends with it in any case, except for a first m or
/// k of `unit`, which is a prefix whose case is its meaning (the m of "ma" is milli).
fn strip_unit<'a>(text: &'a str, unit: &str) -> Option<&'a str> {
    let last = unit.chars().count().checked_sub(1)?;
    let start = text.char_indices().rev().nth(last)?.0;
    let same = |(i, (t, u)): (usize, (char, char))| {
        let (t, u) = (fold(t), fold(u));
        if i == 0 && matches!(u, 'm' | 'M' | 'k' | 'K') {
            t == u
        } else {
            t.to_lowercase().eq(u.to_lowercase())
        }
    };
    let matches = text[start..]
        .chars()
        .zip(unit.chars())
        .enumerate()
        .all(same);
    matches.then(|| &text[..start])
}

/// One character for the signs Unicode has twice: the Greek mu for the micro sign, the Greek
/// omega for the ohm sign, so that either spelling matches the other.
fn fold(c: char) -> char {
    match c {
        '\u{3bc}' => '\u{b5}',
        '\u{2126}' => '\u{3a9}',
        _ => c,
    }
}

/// The factor of an SI prefix written before `unit`: a symbol in SI's case, or a word in any
/// case.
fn prefix_factor(prefix: &str, unit: &str) -> Option<f64> {
    let factor = match prefix {
        "M" => 1e6,
        "k" => 1e3,
        "m" => 1e-3,
        "µ" | "μ" | "u" => 1e-6,
        _ => return prefix_word(&prefix.to_lowercase(), unit),
    };
    Some(factor)
}

/// The factor of an SI prefix written as a word ("mega"), lowercase.
fn prefix_word(word: &str, unit: &str) -> Option<f64> {
    // English drops the prefix's last vowel before "ohm" (megohm, kilohm), and only there:
    // "1 meg" alone is not a word SI or a dictionary gives.
    let before_ohm = unit.to_lowercase().starts_with("ohm");
    match word {
        "mega" => Some(1e6),
        "kilo" => Some(1e3),
        "milli" => Some(1e-3),
        "micro" => Some(1e-6),
        "meg" if before_ohm => Some(1e6),
        "kil" if before_ohm => Some(1e3),
        _ => None,
    }
}

/// The width prose lines of a report are wrapped to, characters.
pub const TEXT_WIDTH: usize = 100;

/// `text` after `label` in the report's column, wrapped at word boundaries to
/// [`TEXT_WIDTH`], its continuation lines under its start, so that a long verdict reads in a
/// terminal without running off its edge.
pub fn labelled(label: &str, text: &str) -> String {
    let indent = " ".repeat(16);
    let mut out = format!("  {label:<13} ");
    let mut width = out.chars().count();
    for (k, word) in text.split_whitespace().enumerate() {
        let len = word.chars().count();
        if k > 0 && width + 1 + len > TEXT_WIDTH {
            out.push('\n');
            out.push_str(&indent);
            width = indent.len();
        } else if k > 0 {
            out.push(' ');
            width += 1;
        }
        out.push_str(word);
        width += len;
    }
    out
}

/// The civil date (proleptic Gregorian, UTC) `days` after 1970-01-01, as YYYY-MM-DD: the
/// date a measured figure's note carries.
///
/// ```
/// # use loadline_core::units::civil_date;
/// assert_eq!(civil_date(0), "1970-01-01");
/// assert_eq!(civil_date(20_429), "2025-12-07");
/// assert_eq!(civil_date(11_016), "2000-02-29");
/// ```
pub fn civil_date(days: i64) -> String {
    // Howard Hinnant's days-from-civil, inverted: eras of 400 years from 0000-03-01.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Today's date, UTC, as YYYY-MM-DD ([`civil_date`] of the system clock).
pub fn today_utc() -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400);
    civil_date(days as i64)
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

    /// The plugin's and the command line's unit lists (`src/params/`, `crates/cli`).
    const OHM: &[&str] = &["ohms", "ohm", "Ω", "r"];
    const UF: &[&str] = &["µf", "uf", "μf"];
    const MF: &[&str] = &["mf"];
    const MA: &[&str] = &["ma"];
    const VOLT: &[&str] = &["vpk", "v"];
    const DB: &[&str] = &["db"];
    const DBU: &[&str] = &["dbu"];
    const DBV: &[&str] = &["dbv"];
    const SPL: &[&str] = &["db spl", "dbspl", "db"];
    const HZ: &[&str] = &["hz"];

    /// (text, units, scale, expected): what each is read as, or `None` for refused.
    const CASES: &[(&str, &[&str], f64, Option<f64>)] = &[
        // Resistance, as README's parameter table and docs/cli.md write it.
        ("47", OHM, 1.0, Some(47.0)),
        ("47 ohm", OHM, 1.0, Some(47.0)),
        ("47Ω", OHM, 1.0, Some(47.0)),
        ("47\u{2126}", OHM, 1.0, Some(47.0)),
        ("0.047k", OHM, 1.0, Some(47.0)),
        (" 0.1 ohms ", OHM, 1.0, Some(0.1)),
        ("47 OHM", OHM, 1.0, Some(47.0)),
        ("47 Ohm", OHM, 1.0, Some(47.0)),
        ("47R", OHM, 1.0, Some(47.0)),
        ("1e1 ohm", OHM, 1.0, Some(10.0)),
        ("1E3", OHM, 1.0, Some(1000.0)),
        ("10 ohm", OHM, 1.0, Some(10.0)),
        // SI prefixes in SI's case: M mega, k kilo, m milli.
        ("4.7k", OHM, 1.0, Some(4700.0)),
        ("4.7 kohm", OHM, 1.0, Some(4700.0)),
        ("4.7 k ohm", OHM, 1.0, Some(4700.0)),
        ("1M", OHM, 1.0, Some(1e6)),
        ("1 Mohm", OHM, 1.0, Some(1e6)),
        ("2.2 Mohm", OHM, 1.0, Some(2.2e6)),
        ("47 MΩ", OHM, 1.0, Some(47e6)),
        ("47 MOHM", OHM, 1.0, Some(47e6)),
        ("47 mΩ", OHM, 1.0, Some(0.047)),
        ("47 mohm", OHM, 1.0, Some(0.047)),
        // Prefixes as words, in any case; megohm and kilohm drop a vowel before "ohm".
        ("1 megohm", OHM, 1.0, Some(1e6)),
        ("1 megaohm", OHM, 1.0, Some(1e6)),
        ("1 MEGOHM", OHM, 1.0, Some(1e6)),
        ("2 kilohm", OHM, 1.0, Some(2000.0)),
        ("2 KiloOhm", OHM, 1.0, Some(2000.0)),
        ("500 milliohm", OHM, 1.0, Some(0.5)),
        ("1 mega", OHM, 1.0, Some(1e6)),
        ("1 meg", OHM, 1.0, None),
        ("1 kilfarad", &["farad"], 1.0, None),
        // Refused: K (not SI), two prefixes, a prefix without a number, no unit of ours.
        ("4.7K", OHM, 1.0, None),
        ("4.7 Kohm", OHM, 1.0, None),
        ("1 kk", OHM, 1.0, None),
        ("1 kkohm", OHM, 1.0, None),
        ("1 kMohm", OHM, 1.0, None),
        ("k", OHM, 1.0, None),
        ("Mohm", OHM, 1.0, None),
        ("fast", OHM, 1.0, None),
        ("47 volts", OHM, 1.0, None),
        // Not finite, as typed or once prefixed.
        ("1e400", OHM, 1.0, None),
        ("1e306 M", OHM, 1.0, None),
        // Capacitance in µF; the plugin reads mF with a second list at 1000 µF per mF.
        ("100", UF, 1.0, Some(100.0)),
        ("100 uF", UF, 1.0, Some(100.0)),
        ("100µF", UF, 1.0, Some(100.0)),
        // The command line lists the micro sign only; the Greek mu is the same letter.
        ("100 μF", &["uf", "µf"], 1.0, Some(100.0)),
        ("100 UF", UF, 1.0, Some(100.0)),
        ("0.1 mF", UF, 1.0, None),
        ("0.1 mF", MF, 1000.0, Some(100.0)),
        ("0.1 MF", MF, 1000.0, None),
        ("100 microfarad", &["farads", "farad"], 1e6, Some(100.0)),
        ("100 MicroFarads", &["farads", "farad"], 1e6, Some(100.0)),
        // Current in mA: the unit's m stays milli, and A alone is not one of its units.
        ("20 mA", MA, 1.0, Some(20.0)),
        ("20 ma", MA, 1.0, Some(20.0)),
        ("20", MA, 1.0, Some(20.0)),
        ("20 MA", MA, 1.0, None),
        ("0.02 A", MA, 1.0, None),
        ("0.02 A", &["a"], 1000.0, Some(20.0)),
        // Volts; mega stays mega where it is absurd, for the range to refuse.
        ("12 V", VOLT, 1.0, Some(12.0)),
        ("12 vpk", VOLT, 1.0, Some(12.0)),
        ("120 mV", VOLT, 1.0, Some(0.12)),
        ("12 MV", VOLT, 1.0, Some(12e6)),
        // Levels in dB take their unit in any case and no prefix.
        ("4 dBu", DBU, 1.0, Some(4.0)),
        ("4 DBU", DBU, 1.0, Some(4.0)),
        ("-100 dBV", DBV, 1.0, Some(-100.0)),
        ("-6 dB", DB, 1.0, Some(-6.0)),
        ("+6 dB", DB, 1.0, Some(6.0)),
        ("-6 DB", DB, 1.0, Some(-6.0)),
        ("112 dB", DB, 1.0, Some(112.0)),
        ("1 mdB", DB, 1.0, None),
        ("1 kdBu", DBU, 1.0, None),
        ("-6m", DB, 1.0, None),
        ("85 dB SPL", SPL, 1.0, Some(85.0)),
        ("85 dbspl", SPL, 1.0, Some(85.0)),
        ("85 dBu", SPL, 1.0, None),
        // Frequency.
        ("500 Hz", HZ, 1.0, Some(500.0)),
        ("1.5 kHz", HZ, 1.0, Some(1500.0)),
        ("1.5 KHz", HZ, 1.0, None),
        ("2 MHz", HZ, 1.0, Some(2e6)),
    ];

    #[test]
    fn units_and_prefixes_read_as_people_write_them() {
        for &(text, units, scale, want) in CASES {
            let got = parse_with_unit(text, units, scale);
            // Prefixes multiply by inexact powers of ten: equal to a few units in the last place.
            let close = match (got, want) {
                (Some(g), Some(w)) => (g - w).abs() <= 1e-12 * w.abs(),
                _ => got == want,
            };
            assert!(close, "{text:?} in {units:?}: {got:?}, expected {want:?}");
        }
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
