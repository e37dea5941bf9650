//! Measured impedance curves from files: REW and ARTA/LIMP text exports, Dayton DATS `.zma`,
//! and CSV. All are lines of frequency (Hz), magnitude (Ω) and, usually, phase (degrees);
//! they differ in comment markers, headers, separators and decimal marks, so one tolerant
//! reader takes them all:
//!
//! - lines starting with `*`, `#`, `;`, `//` or `'` are comments; blank lines are skipped;
//! - text lines before the first data line are headers (`Freq(Hz) Z(ohm) Phase(deg)`);
//! - fields are separated by whitespace, tabs, `;` or `,`; a comma inside fields that are
//!   already separated by whitespace or `;` is a decimal comma (`20,5;31,2;-4,1`);
//! - two columns mean no phase: it is then derived as the minimum phase of the magnitude
//!   (`MeasuredCurve::from_magnitude`) and the result says so;
//! - further columns (coherence, …) are ignored.
//!
//! Every refusal names the line and the problem; nothing here panics on any input.

use crate::physics::impedance::{ImpedancePoint, MeasuredCurve};
use crate::physics::output::sens_db_spl_per_v_from_mw;
use std::fmt;
use std::path::Path;

/// Most points a curve may have (a REW export at 96 points/octave over 10 Hz–40 kHz has
/// about 1150).
pub const MAX_POINTS: usize = 20_000;

/// Frequencies a curve may hold, Hz (any measurement lies well inside).
pub const FREQ_RANGE_HZ: (f64, f64) = (0.01, 1e7);

/// Largest file read, bytes.
pub const MAX_FILE_BYTES: u64 = 4 << 20;

/// A curve read from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedCurve {
    /// The curve (with derived phase when the file had none).
    pub curve: MeasuredCurve,
    /// Whether the phase was derived from the magnitude (the file had no phase column).
    pub phase_derived: bool,
    /// What the user should know about the curve, in words (derived phase, short bands).
    pub notes: Vec<String>,
}

/// Why a file was refused: the line (1-based, when one is to blame) and the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    /// The offending line, 1-based.
    pub line: Option<usize>,
    /// The problem, in words.
    pub message: String,
}

impl ImportError {
    fn at(line: usize, message: impl Into<String>) -> Self {
        ImportError {
            line: Some(line),
            message: message.into(),
        }
    }

    fn whole(message: impl Into<String>) -> Self {
        ImportError {
            line: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "line {l}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ImportError {}

/// Reads and parses an impedance file (any of the formats above).
pub fn read_impedance_file(path: &Path) -> Result<ImportedCurve, ImportError> {
    let meta = std::fs::metadata(path)
        .map_err(|e| ImportError::whole(format!("cannot read {}: {e}", path.display())))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(ImportError::whole(format!(
            "{} is {} bytes; an impedance curve is at most {MAX_FILE_BYTES}",
            path.display(),
            meta.len()
        )));
    }
    let bytes = std::fs::read(path)
        .map_err(|e| ImportError::whole(format!("cannot read {}: {e}", path.display())))?;
    parse_impedance_bytes(&bytes)
}

/// Parses file contents; refuses what is not text.
pub fn parse_impedance_bytes(bytes: &[u8]) -> Result<ImportedCurve, ImportError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => parse_impedance(text),
        Err(e) => {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            Err(ImportError::at(
                line,
                "not text (invalid UTF-8): not an impedance export",
            ))
        }
    }
}

/// Parses the text of an impedance file.
pub fn parse_impedance(text: &str) -> Result<ImportedCurve, ImportError> {
    let (rows, has_phase) = data_rows(text)?;
    if rows.len() < 2 {
        return Err(ImportError::whole(format!(
            "{} data line{}: an impedance curve needs at least two (frequency, magnitude[, phase])",
            rows.len(),
            if rows.len() == 1 { "" } else { "s" }
        )));
    }
    let phase_derived = has_phase == Some(false);
    Ok(ImportedCurve {
        curve: curve_of(&rows, phase_derived)?,
        phase_derived,
        notes: notes_for(&rows, phase_derived),
    })
}

/// One data line: its number (1-based) and its frequency, magnitude and phase (0 without one).
type Row = (usize, [f64; 3]);

/// The data lines of `text`, checked one by one, and whether they have a phase column (`None`
/// without any data line).
fn data_rows(text: &str) -> Result<(Vec<Row>, Option<bool>), ImportError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows: Vec<Row> = Vec::new();
    let mut has_phase: Option<bool> = None;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim();
        if line.is_empty()
            || ["*", "#", ";", "//", "'"]
                .iter()
                .any(|c| line.starts_with(c))
        {
            continue;
        }
        if line.contains('\0') {
            return Err(ImportError::at(line_no, "not text (NUL byte)"));
        }
        let Some((cols, phase_here)) = data_row(line_no, line, rows.is_empty())? else {
            continue; // a header before the data
        };
        match has_phase {
            None => has_phase = Some(phase_here),
            Some(p) if p != phase_here => {
                return Err(ImportError::at(
                    line_no,
                    if p {
                        "no phase column, but the lines before have one"
                    } else {
                        "a phase column, but the lines before have none"
                    },
                ));
            }
            _ => {}
        }
        check_row(line_no, &cols, phase_here, rows.last())?;
        if rows.len() == MAX_POINTS {
            return Err(ImportError::at(
                line_no,
                format!("more than {MAX_POINTS} points"),
            ));
        }
        rows.push((line_no, cols));
    }
    Ok((rows, has_phase))
}

/// The columns of data line `line` and whether it has a phase; `None` for a header line, which
/// may only come `before_data`.
fn data_row(
    line_no: usize,
    line: &str,
    before_data: bool,
) -> Result<Option<([f64; 3], bool)>, ImportError> {
    let fields = split_fields(line);
    let numbers: Vec<Result<f64, &str>> = fields
        .iter()
        .map(|f| f.parse::<f64>().map_err(|_| f.as_str()))
        .collect();
    if !matches!(numbers.first(), Some(Ok(_))) {
        if before_data {
            return Ok(None);
        }
        return Err(ImportError::at(
            line_no,
            format!(
                "expected a frequency in Hz, found '{}'",
                clip(fields.first().map_or(line, String::as_str))
            ),
        ));
    }
    let wanted = numbers.len().min(3);
    if wanted < 2 {
        return Err(ImportError::at(
            line_no,
            "only one column: need frequency (Hz) and magnitude (ohm), optionally phase (degrees)",
        ));
    }
    let mut cols = [0.0; 3];
    for (k, n) in numbers.iter().take(wanted).enumerate() {
        cols[k] = match n {
            Ok(v) if v.is_finite() => *v,
            Ok(_) => {
                return Err(ImportError::at(
                    line_no,
                    format!("column {}: not a finite number", k + 1),
                ));
            }
            Err(s) => {
                return Err(ImportError::at(
                    line_no,
                    format!(
                        "column {} ({}): '{}' is not a number",
                        k + 1,
                        COLUMN_NAMES[k],
                        clip(s)
                    ),
                ));
            }
        };
    }
    Ok(Some((cols, wanted == 3)))
}

/// The curve the rows give: as read, or with the phase derived from the magnitude.
fn curve_of(rows: &[Row], phase_derived: bool) -> Result<MeasuredCurve, ImportError> {
    if phase_derived {
        let mags: Vec<(f64, f64)> = rows.iter().map(|(_, c)| (c[0], c[1])).collect();
        MeasuredCurve::from_magnitude(&mags).map_err(|e| ImportError::whole(e.0))
    } else {
        MeasuredCurve::new(
            rows.iter()
                .map(|(_, c)| ImpedancePoint {
                    freq_hz: c[0],
                    mag_ohm: c[1],
                    phase_deg: c[2],
                })
                .collect(),
        )
        .map_err(|e| ImportError::whole(e.0))
    }
}

/// What the user should know about the curve read: a derived phase, a band not covered.
fn notes_for(rows: &[Row], phase_derived: bool) -> Vec<String> {
    let mut notes = Vec::new();
    if phase_derived {
        notes.push(
            "the file has no phase: the phase is derived from the magnitude (minimum phase)"
                .to_string(),
        );
    }
    let (f_lo, f_hi) = (rows[0].1[0], rows[rows.len() - 1].1[0]);
    if f_lo > 20.0 || f_hi < 20_000.0 {
        notes.push(format!(
            "the curve covers {} – {} Hz; beyond it the impedance is held at the end values",
            trim_num(f_lo),
            trim_num(f_hi)
        ));
    }
    notes
}

/// Names of the columns read, for messages.
const COLUMN_NAMES: [&str; 3] = ["frequency", "magnitude", "phase"];

/// Checks one row's values and that the frequency rises from the previous row.
fn check_row(
    line_no: usize,
    cols: &[f64; 3],
    has_phase: bool,
    previous: Option<&Row>,
) -> Result<(), ImportError> {
    let [f, m, p] = *cols;
    if f <= 0.0 {
        return Err(ImportError::at(
            line_no,
            format!("frequency {} Hz: must be positive", trim_num(f)),
        ));
    }
    if !(FREQ_RANGE_HZ.0..=FREQ_RANGE_HZ.1).contains(&f) {
        return Err(ImportError::at(
            line_no,
            format!(
                "frequency {f:e} Hz: outside {:e} – {:e} Hz (is this column in Hz?)",
                FREQ_RANGE_HZ.0, FREQ_RANGE_HZ.1
            ),
        ));
    }
    if m <= 0.0 {
        return Err(ImportError::at(
            line_no,
            format!("magnitude {} ohm: must be positive", trim_num(m)),
        ));
    }
    if let Err(e) = crate::plausible::HEADPHONE_OHM.check(m) {
        return Err(ImportError::at(
            line_no,
            format!("{e} (is this column in ohms, and a headphone's?)"),
        ));
    }
    if has_phase && p.abs() > 90.0 {
        return Err(ImportError::at(
            line_no,
            format!(
                "phase {}°: a passive load's phase lies within ±90° (is this column in radians, or not a phase?)",
                trim_num(p)
            ),
        ));
    }
    if let Some((prev_line, prev)) = previous
        && f <= prev[0]
    {
        return Err(ImportError::at(
            line_no,
            format!(
                "frequency {} Hz does not rise above {} Hz (line {prev_line}); the points must be in rising frequency",
                trim_num(f),
                trim_num(prev[0])
            ),
        ));
    }
    Ok(())
}

/// Splits a data line into fields (see the module's rules on separators and decimal commas).
fn split_fields(line: &str) -> Vec<String> {
    let semicolons = line.contains(';');
    let spaced: Vec<&str> = if semicolons {
        line.split(|c: char| c == ';' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .collect()
    } else {
        line.split_whitespace().collect()
    };
    // Decimal commas: fields already separated otherwise, each with at most one comma,
    // none at either end ("20,5 31,2"); otherwise commas separate ("20, 31.2" or "20,31.2").
    let decimal_commas = line.contains(',')
        && (semicolons || spaced.len() >= 2)
        && spaced
            .iter()
            .all(|f| f.matches(',').count() <= 1 && !f.starts_with(',') && !f.ends_with(','));
    if decimal_commas {
        spaced.iter().map(|f| f.replace(',', ".")).collect()
    } else {
        spaced
            .iter()
            .flat_map(|f| f.split(','))
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }
}

/// A number without trailing zeros, for messages.
fn trim_num(v: f64) -> String {
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// At most 40 characters of a field, for messages.
fn clip(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    out
}

/// Why a sensitivity's text is not one.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SensitivityError {
    /// The number is outside what any headphone's sensitivity is.
    #[error("sensitivity '{text}': {range}")]
    OutOfRange {
        /// The text as given.
        text: String,
        /// The range it is outside.
        range: crate::plausible::OutOfRange,
    },
    /// Neither "dB/V" nor "dB/mW" follows the number.
    #[error("sensitivity '{0}': say the unit, \"dB/V\" or \"dB/mW\"")]
    NoUnit(String),
    /// What comes before the unit is not a finite number.
    #[error("sensitivity '{text}': '{number}' is not a number")]
    NotANumber {
        /// The text as given.
        text: String,
        /// The part that should have been the number.
        number: String,
    },
}

/// A sensitivity as people write it: "102 dB/V", "97 dB/mW" (converted to dB SPL per volt
/// with `z_1k_ohm`, the headphone's |Z| at 1 kHz).
pub fn parse_sensitivity(s: &str, z_1k_ohm: f64) -> Result<f64, SensitivityError> {
    let t = s.to_lowercase().replace(' ', "");
    let (num, per_mw) = if let Some(n) = t.strip_suffix("db/mw").or(t.strip_suffix("dbspl/mw")) {
        (n, true)
    } else if let Some(n) = t.strip_suffix("db/v").or(t.strip_suffix("dbspl/v")) {
        (n, false)
    } else {
        return Err(SensitivityError::NoUnit(s.into()));
    };
    let v: f64 = num
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite())
        .ok_or_else(|| SensitivityError::NotANumber {
            text: s.into(),
            number: num.into(),
        })?;
    crate::plausible::SENSITIVITY_DB
        .check(v)
        .map_err(|range| SensitivityError::OutOfRange {
            text: s.into(),
            range,
        })?;
    Ok(if per_mw {
        sens_db_spl_per_v_from_mw(v, z_1k_ohm)
    } else {
        v
    })
}

/// The curve as a `.zma` file (DATS / REW style: a comment header, then frequency, magnitude
/// and phase per line), readable by `parse_impedance` and by REW.
pub fn to_zma(curve: &MeasuredCurve, title: &str) -> String {
    let mut s = format!(
        "* {}\n* Exported by Loadline {}\n* Freq(Hz) Magnitude(ohm) Phase(deg)\n",
        title.replace(['\n', '\r'], " "),
        env!("CARGO_PKG_VERSION")
    );
    for p in curve.points() {
        s.push_str(&format!(
            "{:.6e} {:.9e} {:.6e}\n",
            p.freq_hz, p.mag_ohm, p.phase_deg
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::physics::Impedance;
    use crate::physics::impedance::{Load, log_spaced};

    fn err(text: &str) -> ImportError {
        parse_impedance(text).expect_err("should be refused")
    }

    #[test]
    fn reads_rew_style_with_header_and_comments() {
        let text = "* Measurement data measured by REW V5.20\n* Source: ...\n\
                    Freq(Hz) Z(ohms) Phase(degrees)\n\
                    20.000 310.5 12.3\n100 420.0 -30.5\n1000 305.2 1.5\n20000 340.0 20.0\n";
        let c = parse_impedance(text).unwrap();
        assert!(!c.phase_derived);
        assert_eq!(c.curve.points().len(), 4);
        assert_eq!(c.curve.points()[1].mag_ohm, 420.0);
        assert_eq!(c.curve.points()[1].phase_deg, -30.5);
        assert!(c.notes.is_empty(), "{:?}", c.notes);
    }

    #[test]
    fn reads_csv_semicolons_decimal_commas_and_tabs() {
        let csv = "frequency,magnitude,phase\n20,30.5,1.0\n1000,32.0,2.5\n20000,40.0,30.0\n";
        let a = parse_impedance(csv).unwrap();
        let euro = "20;30,5;1,0\n1000;32,0;2,5\n20000;40;30\n";
        let b = parse_impedance(euro).unwrap();
        let tabs = "20\t30.5\t1\n1000\t32\t2.5\n20000\t40\t30\n";
        let c = parse_impedance(tabs).unwrap();
        let spaced_decimal_comma = "20 30,5 1,0\n1000 32,0 2,5\n20000 40 30\n";
        let d = parse_impedance(spaced_decimal_comma).unwrap();
        assert_eq!(a.curve, b.curve);
        assert_eq!(a.curve, c.curve);
        assert_eq!(a.curve, d.curve);
        assert_eq!(a.curve.points()[0].mag_ohm, 30.5);
    }

    #[test]
    fn two_columns_get_a_derived_phase_and_say_so() {
        let c = parse_impedance("10 32\n1000 33\n40000 60\n").unwrap();
        assert!(c.phase_derived);
        assert!(c.notes.iter().any(|n| n.contains("minimum phase")));
        // A rising magnitude at the top is inductive: positive phase.
        assert!(c.curve.z_ohm(20_000.0).arg() > 0.0);
    }

    #[test]
    fn short_bands_are_noted() {
        let c = parse_impedance("100 32 0\n1000 33 1\n10000 40 10\n").unwrap();
        assert!(
            c.notes.iter().any(|n| n.contains("100 – 10000 Hz")),
            "{:?}",
            c.notes
        );
    }

    #[test]
    fn malformed_files_name_the_line_and_the_problem() {
        let e = err("20 30 1\n100 abc 2\n");
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("'abc' is not a number"), "{e}");
        let e = err("20 30 1\n100 31 2\n50 32 3\n");
        assert_eq!(e.line, Some(3));
        assert!(e.message.contains("does not rise"), "{e}");
        let e = err("20 30 1\n100 -31 2\n");
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("magnitude"), "{e}");
        let e = err("20 30 1\n100 31 120\n");
        assert!(e.message.contains("±90°"), "{e}");
        let e = err("20 30 1\n100 31\n");
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("no phase column"), "{e}");
        let e = err("20\n");
        assert!(e.message.contains("only one column"), "{e}");
        let e = err("* nothing here\n\n");
        assert_eq!(e.line, None);
        assert!(e.message.contains("0 data lines"), "{e}");
        let e = err("20 30 1\n0 31 2\n");
        assert!(e.message.contains("must be positive"), "{e}");
        let e = err("20 30 1\n1e9 31 2\n");
        assert!(e.message.contains("outside"), "{e}");
        let e = err("20 30 1\n100 1e12 2\n");
        assert!(
            e.message.contains("outside the plausible 1 to 10000 Ω"),
            "{e}"
        );
        let e = err("20 30 1\n100 1e-308 2\n");
        assert!(e.message.contains("headphone impedance 1e-308 Ω"), "{e}");
        let e = err("20 30 1\n100 inf 2\n");
        assert!(e.message.contains("finite"), "{e}");
        let e = err("20 30 1\nend of data\n");
        assert_eq!(e.line, Some(2));
        let e = parse_impedance_bytes(b"20 30 1\n\xff\xfe 31 2\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("not text"), "{e}");
    }

    #[test]
    fn sensitivities_in_both_units() {
        assert_eq!(parse_sensitivity("102 dB/V", 300.0), Ok(102.0));
        assert_eq!(parse_sensitivity("102dB SPL/V", 300.0), Ok(102.0));
        // 1 mW into 32 Ω is 0.179 V: per volt is 15.05 dB more.
        let v = parse_sensitivity("97 dB/mW", 32.0).unwrap();
        assert!(
            (v - (97.0 + 10.0 * (1000.0f64 / 32.0).log10())).abs() < 1e-9,
            "{v}"
        );
        let no_unit = parse_sensitivity("97", 32.0).unwrap_err();
        assert_eq!(no_unit, SensitivityError::NoUnit("97".into()));
        assert!(no_unit.to_string().contains("dB/V"));
        let not_a_number = parse_sensitivity("loud dB/V", 32.0).unwrap_err();
        assert!(matches!(not_a_number, SensitivityError::NotANumber { .. }));
        assert!(not_a_number.to_string().contains("'loud' is not a number"));
    }

    #[test]
    fn zma_round_trip_keeps_the_curve() {
        let load = Load::dynamic_driver(32.0, 0.1e-3, 0.2e-3, 40.0, 40.0, 100.0, 1.5);
        let curve = MeasuredCurve::sampled_from(&load, 5.0, 40_000.0, 300);
        let back = parse_impedance(&to_zma(&curve, "test\nmodel")).unwrap();
        assert!(!back.phase_derived);
        for f in log_spaced(20.0, 20_000.0, 50) {
            let e = (back.curve.z_ohm(f) / curve.z_ohm(f) - 1.0).norm();
            assert!(e < 1e-6, "{f}: {e}");
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // A deterministic byte soup around valid lines: every prefix and mutation must come
        // back as a curve or an error (the cargo-fuzz target does the same at scale).
        let seed = b"* REW\nFreq Z Phase\n20 30,5 1\n100;31;2\n1e3,32,3\n2e4 40 -89.9\n";
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for round in 0..2000 {
            let mut v = seed.to_vec();
            for _ in 0..(round % 7) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let at = (x as usize) % v.len();
                v[at] = (x >> 32) as u8;
            }
            let cut = (x as usize >> 8) % (v.len() + 1);
            let _ = parse_impedance_bytes(&v[..cut]);
        }
    }
}
