//! A recording of the signal, checked and aligned: where its markers are, and every reason it
//! cannot support a figure (clipped, silent, cut, played at another rate, with a dropout),
//! named with the file and the second.

use super::fit::{correlation, sine_fit};
use super::signal::{Layout, PILOT_HZ, marker};
use crate::wav::WavBlocks;
use std::fmt;
use std::path::Path;

/// A sample this close to full scale is taken as the input clipping (a 16-bit converter's
/// largest positive sample is 32767/32768 = 0.99997).
pub const CLIP_LEVEL: f64 = 0.999;
/// A channel whose peak stays below this (−60 dBFS) holds no signal: the pilot and the tones
/// play 40 dB louder with the input's gain set as the guide says.
pub const SILENT_LEVEL: f64 = 0.001;
/// The normalised correlation above which a stretch of recording is the marker.
pub const MARKER_MATCH: f64 = 0.5;
/// This many samples in a row of exact digital silence are a dropout: an input's converter
/// never gives them while anything, even its own noise, is recorded.
pub const DROPOUT_ZEROS: usize = 16;
/// The pilot's windows, seconds: a lost block of audio shows in the window that holds it.
pub const PILOT_WINDOW_S: f64 = 0.02;
/// How far one pilot window's level may stray from the median before it is a dropout, dB.
pub const PILOT_STRAY_DB: f64 = 1.0;

/// Why a recording cannot support the figures: the file, the second (where one applies) and
/// what to do.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordingProblem {
    /// The file, as given.
    pub file: String,
    /// Where in it, seconds from its start.
    pub at_s: Option<f64>,
    /// What is wrong and what to do.
    pub message: String,
}

impl fmt::Display for RecordingProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.at_s {
            Some(t) => write!(f, "{} at {t:.2} s: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for RecordingProblem {}

/// A stereo recording: input 1 (left: the output measured) and input 2 (right: the pilot).
#[derive(Debug, Clone, PartialEq)]
pub struct Recording {
    /// The file's name, for messages.
    pub name: String,
    /// Its sample rate, Hz.
    pub rate_hz: f64,
    /// Input 1, in full-scale units.
    pub left: Vec<f64>,
    /// Input 2, in full-scale units.
    pub right: Vec<f64>,
}

/// Where a signal's two markers lie, and which command writes it: all that aligning a
/// recording to the signal needs, so that every signal with these markers is aligned alike.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Markers {
    /// Silence before the first marker, samples.
    pub lead: usize,
    /// The marker's length, samples.
    pub marker_len: usize,
    /// Where the second marker starts, samples from the first's.
    pub end_marker: usize,
    /// The command that writes the signal, as a refusal tells the user to run it
    /// ("loadline measure signal"); ` --rate HZ` is added to it where the rate is at fault.
    pub command: &'static str,
}

impl Markers {
    /// The markers of the output's signal laid out as `layout`.
    pub fn of_output(layout: &Layout) -> Self {
        Markers {
            lead: layout.lead,
            marker_len: layout.marker_len,
            end_marker: layout.end_marker,
            command: "loadline measure signal",
        }
    }
}

/// A recording aligned to the signal: where its first marker starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Aligned<'a> {
    /// The recording.
    pub recording: &'a Recording,
    /// The signal's layout at the recording's rate.
    pub layout: Layout,
    /// The sample of the recording where the first marker starts.
    pub start: usize,
}

impl Recording {
    /// Reads a stereo WAV (16-, 24- or 32-bit integer or 32-bit float).
    pub fn read(path: &Path) -> Result<Self, RecordingProblem> {
        let name = path.display().to_string();
        let problem = |message: String| RecordingProblem {
            file: name.clone(),
            at_s: None,
            message,
        };
        let mut wav = WavBlocks::open(path).map_err(|e| RecordingProblem {
            file: name.clone(),
            at_s: None,
            message: e
                .to_string()
                .trim_start_matches(&format!("{name}: "))
                .into(),
        })?;
        if wav.channels() != 2 {
            return Err(problem(format!(
                "{} channel(s); record the two inputs as one stereo file (input 1 left: the output measured; input 2 right: the pilot)",
                wav.channels()
            )));
        }
        let rate_hz = f64::from(wav.rate());
        let (mut left, mut right) = (Vec::new(), Vec::new());
        loop {
            let block = wav.next_block(65_536).map_err(|e| problem(e.to_string()))?;
            if block[0].is_empty() {
                break;
            }
            left.extend(block[0].iter().map(|&v| f64::from(v)));
            right.extend(block[1].iter().map(|&v| f64::from(v)));
        }
        Ok(Recording {
            name,
            rate_hz,
            left,
            right,
        })
    }

    fn problem(&self, at: Option<usize>, message: String) -> RecordingProblem {
        RecordingProblem {
            file: self.name.clone(),
            at_s: at.map(|i| i as f64 / self.rate_hz),
            message,
        }
    }

    /// The recording checked and aligned to the signal, or the first reason it cannot be.
    pub fn align(&self) -> Result<Aligned<'_>, RecordingProblem> {
        if self.rate_hz < 44_100.0 {
            return Err(self.problem(
                None,
                format!(
                    "recorded at {} Hz; the signal reaches 20 kHz and needs 44100 Hz or more",
                    self.rate_hz
                ),
            ));
        }
        for (channel, what) in [
            (
                &self.left,
                "the left channel (input 1, the output measured)",
            ),
            (&self.right, "the right channel (input 2, the pilot)"),
        ] {
            let peak = channel.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            if peak < SILENT_LEVEL {
                let level = if peak > 0.0 {
                    format!("its peak is {:.0} dBFS", crate::units::gain_to_db(peak))
                } else {
                    "digital silence: no input reached it".into()
                };
                return Err(self.problem(
                    None,
                    format!(
                        "{what} is silent ({level}): check that the right output goes to input 2 and the left to input 1, and that both are recorded"
                    ),
                ));
            }
        }
        let layout = Layout::new(self.rate_hz);
        let start = self.locate(&Markers::of_output(&layout))?;
        let aligned = Aligned {
            recording: self,
            layout,
            start,
        };
        aligned.check_clipping()?;
        aligned.check_dropouts()?;
        Ok(aligned)
    }

    /// The sample where the first marker starts, checked against the second: both found on
    /// the left channel, as far apart as `markers` puts them, with room for the lead before.
    pub fn locate(&self, markers: &Markers) -> Result<usize, RecordingProblem> {
        let command = markers.command;
        let template = marker(markers.marker_len, self.rate_hz);
        let corr = correlation(&self.left, &template);
        let best = |skip: &dyn Fn(usize) -> bool| {
            (0..corr.len())
                .filter(|&i| !skip(i))
                .max_by(|&a, &b| corr[a].total_cmp(&corr[b]))
                .filter(|&i| corr[i] >= MARKER_MATCH)
        };
        let Some(first) = best(&|_| false) else {
            if let Some(made_at) = self.made_at_another_rate() {
                return Err(self.problem(
                    None,
                    format!(
                        "the signal was made at {made_at} Hz and played at {} Hz without resampling; make it at the session's rate ({command} --rate {}) or record at {made_at} Hz",
                        self.rate_hz, self.rate_hz
                    ),
                ));
            }
            return Err(self.problem(
                None,
                format!("no signal found: no marker of `{command}` in it; record the input while the signal plays, from before it starts to after it ends"),
            ));
        };
        let near = |i: usize| i.abs_diff(first) < 4 * markers.marker_len;
        let Some(second) = best(&near) else {
            return Err(self.problem(
                Some(first),
                "only one marker found: the recording starts late or stops early; record from before the signal starts to after it ends".into(),
            ));
        };
        let (start, end) = (first.min(second), first.max(second));
        let apart = (end - start) as f64;
        let expected = markers.end_marker as f64;
        let ratio = apart / expected;
        if (ratio - 1.0).abs() > 0.002 {
            let made_at = nearest_rate(self.rate_hz * ratio);
            // Markers as far apart as no standard rate explains are another signal's.
            if (self.rate_hz * ratio / f64::from(made_at) - 1.0).abs() > 0.005 {
                return Err(self.problem(
                    Some(start),
                    format!(
                        "the markers are {:.2} s apart where the signal of `{command}` puts them {:.2} s apart: this is a recording of another signal; record the one `{command}` writes",
                        apart / self.rate_hz,
                        expected / self.rate_hz
                    ),
                ));
            }
            return Err(self.problem(
                Some(start),
                format!(
                    "the signal's markers are {:.4} × as far apart as it makes them: it was made at {made_at} Hz and played at {} Hz without resampling; make it at the session's rate ({command} --rate {}) or record at {made_at} Hz",
                    ratio, self.rate_hz, self.rate_hz
                ),
            ));
        }
        if apart != expected {
            return Err(self.problem(
                Some(start),
                format!(
                    "{} samples were {} between the markers: a dropout; record again with a larger buffer",
                    (apart - expected).abs(),
                    if apart < expected { "lost" } else { "added" }
                ),
            ));
        }
        if start < markers.lead / 2 {
            return Err(self.problem(
                Some(start),
                "the recording starts with the signal already playing; start recording first"
                    .into(),
            ));
        }
        Ok(start)
    }
}

impl Recording {
    /// The standard rate the signal was made at, when it was played at the recording's rate
    /// sample for sample (a DAW that does not resample): its marker is then found as made at
    /// that rate.
    fn made_at_another_rate(&self) -> Option<u32> {
        STANDARD_RATES.into_iter().find(|&rate| {
            let rate_hz = f64::from(rate);
            if rate_hz == self.rate_hz {
                return false;
            }
            let len = (super::signal::MARKER_S * rate_hz).round() as usize;
            let corr = correlation(&self.left, &marker(len, rate_hz));
            corr.iter().any(|&c| c >= MARKER_MATCH)
        })
    }
}

/// The sample rates a DAW session runs at.
const STANDARD_RATES: [u32; 8] = [
    22_050, 32_000, 44_100, 48_000, 88_200, 96_000, 176_400, 192_000,
];

/// The standard sample rate nearest `rate_hz`.
fn nearest_rate(rate_hz: f64) -> u32 {
    STANDARD_RATES
        .into_iter()
        .min_by(|a, b| {
            (f64::from(*a) - rate_hz)
                .abs()
                .total_cmp(&(f64::from(*b) - rate_hz).abs())
        })
        .expect("rates")
}

impl Aligned<'_> {
    /// The recording's samples of `channel` over `[from, to)` of the signal (samples from its
    /// start, as the layout counts them).
    pub fn span<'b>(&'b self, channel: &'b [f64], from: usize, to: usize) -> &'b [f64] {
        let at = |i: usize| (self.start + i).min(channel.len());
        &channel[at(from)..at(to)]
    }

    /// The recording's sample index of the signal's sample `i`.
    fn index(&self, i: usize) -> usize {
        self.start + i
    }

    /// The signal's whole span in the recording: from the first marker to the second's end.
    fn whole(&self) -> (usize, usize) {
        let end = self.layout.end_marker + self.layout.marker_len;
        (
            self.index(0),
            self.index(end).min(self.recording.left.len()),
        )
    }

    fn check_clipping(&self) -> Result<(), RecordingProblem> {
        let r = self.recording;
        let (from, to) = self.whole();
        for (channel, which) in [(&r.left, "input 1"), (&r.right, "input 2")] {
            if let Some(i) = (from..to).find(|&i| channel[i].abs() >= CLIP_LEVEL) {
                return Err(r.problem(
                    Some(i),
                    format!(
                        "{which} clipped (a sample at full scale): turn the input's gain down, or the output's volume, and record both passes again"
                    ),
                ));
            }
        }
        Ok(())
    }

    fn check_dropouts(&self) -> Result<(), RecordingProblem> {
        let r = self.recording;
        let (from, to) = self.whole();
        for channel in [&r.left, &r.right] {
            let mut run = 0;
            for (i, &v) in channel.iter().enumerate().take(to).skip(from) {
                run = if v == 0.0 { run + 1 } else { 0 };
                if run == DROPOUT_ZEROS {
                    return Err(r.problem(
                        Some(i + 1 - DROPOUT_ZEROS),
                        "a dropout (the audio stops for a moment): record again with a larger buffer and nothing else running".into(),
                    ));
                }
            }
        }
        let levels = self.pilot_windows();
        let median = median(levels.iter().map(|(_, a)| *a).collect());
        for (at, amp) in levels {
            let stray_db = crate::units::gain_to_db(amp / median);
            if stray_db.abs() > PILOT_STRAY_DB {
                return Err(r.problem(
                    Some(at),
                    format!(
                        "the pilot on input 2 jumps by {stray_db:+.1} dB: a dropout, or the volume moved while recording; record again without touching anything"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The pilot's amplitude in each window of its span: (the window's first sample in the
    /// recording, amplitude in full-scale units).
    pub fn pilot_windows(&self) -> Vec<(usize, f64)> {
        let [from, to] = self.layout.pilot;
        let rate = self.recording.rate_hz;
        let len = (PILOT_WINDOW_S * rate).round() as usize;
        // The pilot's fades are left out.
        let fade = (0.05 * rate) as usize;
        let mut out = Vec::new();
        let mut at = from + fade;
        while at + len <= to - fade {
            let x = self.span(&self.recording.right, at, at + len);
            if x.len() == len {
                out.push((self.index(at), sine_fit(x, PILOT_HZ, rate).amp));
            }
            at += len;
        }
        out
    }
}

/// The median of `v` (0 for none).
pub fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
