//! The measuring signal: what a producer plays from the headphone output while the interface
//! records it on its line inputs, laid out so that the analysis finds every part again.
//!
//! The left channel carries the measurement; the right carries a steady pilot tone, recorded
//! unloaded in both passes, so that a volume knob moved between the passes (or a dropout)
//! shows in it. In order:
//!
//! 1. half a second of silence, then a marker (a short chirp, on both channels) that the
//!    analysis aligns the recording to;
//! 2. stepped sines at 31 frequencies a third of an octave apart, 20 Hz to 20 kHz, at
//!    [`TONE_DBFS`]: the output impedance against frequency (a coupling capacitor shows in the
//!    bass). Each lasts at least [`TONE_MIN_CYCLES`] cycles and [`TONE_MIN_S`], after
//!    [`SETTLE_S`] for the output's coupling capacitor to settle;
//! 3. a level staircase at 1 kHz and another at 100 Hz, from [`STAIR_FROM_DBFS`] to 0 dBFS in
//!    1 dB steps: where the output clips, open and loaded (rails clip both passes at one
//!    level; a current limit clips the loaded pass sooner; the 100 Hz staircase shows a
//!    coupling capacitor's or a supply's weakness in the bass);
//! 4. digital silence for [`SILENCE_S`], with the pilot stopped: the noise floor;
//! 5. the marker again, whose distance from the first tells whether the signal was played at
//!    the rate it was made at and whether samples were lost.
//!
//! The pilot plays at [`PILOT_DBFS`] so that a producer setting the input's gain for the pilot
//! near −20 dBFS leaves the staircase's top 8 dB of headroom at the input.
//!
//! # The jig's signal
//!
//! A headphone's impedance is measured with another signal ([`jig_signal`]), played into a
//! sense resistor in series with the headphone while input 1 records the resistor's output side
//! and input 2 its headphone side (`measure::headphone`). It carries the same content on both
//! channels, so that either output channel may drive the jig, and the same markers as the
//! output's signal, so that a recording of it is aligned and checked the same way. Between the
//! markers: an exponential sine sweep from [`JIG_SWEEP_FROM_HZ`] to past 20 kHz over
//! [`JIG_SWEEP_S`] at [`JIG_SWEEP_DBFS`], then [`JIG_TAIL_S`] of silence for the response to
//! die away, then [`JIG_NOISE_S`] of silence from which the inputs' noise is read.
//!
//! A sweep rather than stepped sines: both inputs record the one excitation at once, so the
//! ratio of their spectra over a window holding the whole sweep and its decay is exactly the
//! jig's divider at every frequency of a linear circuit, whatever the excitation's shape. No
//! tone has to settle, which is what makes stepped sines slow near a resonance (a resonance
//! of quality factor Q at f₀ rings for about Q/(πf₀): 80 ms for Q 5 at 20 Hz); the window's
//! resolution, one over its length (about 0.1 Hz), is far finer than such a resonance's width
//! f₀/Q (4 Hz), and the ratio is read at each analysed frequency exactly rather than averaged
//! over a band, so no peak is flattened. The exponential sweep spends as long in each octave
//! (0.7 s), lingering longest per hertz in the bass: recorded at −12 dBFS on an input whose own
//! noise lies 110 dB below full scale, it stands about 90 dB above that noise at 20 kHz and
//! more below, and the whole signal lasts 12 s.

use std::f64::consts::PI;

/// The pilot's frequency, Hz: between the stepped sines' 316 Hz and 398 Hz, so that no tone of
/// the left channel shares it, and low enough for any multimeter to read its voltage.
pub const PILOT_HZ: f64 = 350.0;
/// The pilot's level, dBFS (sine peak).
pub const PILOT_DBFS: f64 = -12.0;
/// The stepped sines' level, dBFS: low enough that no output clips into a 16 Ω load at
/// maximum volume (a current limit of a few tens of mA), high enough to stand 70 dB or more
/// above an input's noise.
pub const TONE_DBFS: f64 = -18.0;
/// The marker's level, dBFS (peak).
pub const MARKER_DBFS: f64 = -12.0;
/// The lowest staircase step, dBFS: far enough below full scale that the steps beneath any
/// clipping give the full scale.
pub const STAIR_FROM_DBFS: f64 = -30.0;
/// The fewest cycles of a stepped sine.
pub const TONE_MIN_CYCLES: f64 = 12.0;
/// The shortest stepped sine (after settling), seconds.
pub const TONE_MIN_S: f64 = 0.2;
/// How long each tone and step is left to settle before it is read, seconds: a coupling
/// capacitor into a 33 Ω load settles in milliseconds; into the open input, its slow decay is
/// taken up by the fit (a sine plus a straight line).
pub const SETTLE_S: f64 = 0.05;
/// Fades at the ends of each tone, seconds (no clicks into the headphones' output).
pub const FADE_S: f64 = 0.005;
/// A staircase step at 1 kHz, seconds.
pub const STEP_1K_S: f64 = 0.2;
/// A staircase step at 100 Hz, seconds.
pub const STEP_100_S: f64 = 0.3;
/// The silence read for the noise floor, seconds.
pub const SILENCE_S: f64 = 3.0;
/// The marker's length, seconds.
pub const MARKER_S: f64 = 0.03;
/// The marker chirp's start and end frequencies, Hz.
pub const MARKER_HZ: (f64, f64) = (1000.0, 8000.0);
/// Silence before the first marker and after the last, seconds.
const LEAD_S: f64 = 0.5;
/// Silence between parts, seconds.
const GAP_S: f64 = 0.2;

/// What a part of the signal is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PartKind {
    /// A stepped sine of the frequency sweep.
    Tone,
    /// A step of the 1 kHz staircase.
    Step1k,
    /// A step of the 100 Hz staircase.
    Step100,
    /// The silence for the noise floor.
    Silence,
}

/// One part of the signal's left channel, in samples from the first marker's start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Part {
    /// What it is.
    pub kind: PartKind,
    /// Its frequency, Hz (0 for silence).
    pub freq_hz: f64,
    /// Its level, dBFS (sine peak; −∞ for silence).
    pub level_dbfs: f64,
    /// Where it starts, samples from the first marker's start.
    pub start: usize,
    /// Its length, samples.
    pub len: usize,
    /// Where its settled part starts (the analysis reads from here), samples.
    pub read_from: usize,
    /// Where its settled part ends (exclusive), samples.
    pub read_to: usize,
}

/// The signal at one sample rate: where every part lies.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// The sample rate, Hz.
    pub rate_hz: f64,
    /// Silence before the first marker, samples.
    pub lead: usize,
    /// The marker's length, samples.
    pub marker_len: usize,
    /// The parts, in order.
    pub parts: Vec<Part>,
    /// Where the pilot plays, samples from the first marker's start: `[from, to)`.
    pub pilot: [usize; 2],
    /// Where the second marker starts, samples from the first's.
    pub end_marker: usize,
    /// The whole signal's length, samples.
    pub total: usize,
}

/// The stepped sines' frequencies: a third of an octave apart (base ten), 20 Hz to 20 kHz.
pub fn tone_frequencies() -> Vec<f64> {
    (-17..=13)
        .map(|k| 1000.0 * 10f64.powf(k as f64 / 10.0))
        .collect()
}

/// The staircases' levels, dBFS: 1 dB steps from [`STAIR_FROM_DBFS`] to 0.
pub fn stair_levels() -> Vec<f64> {
    (STAIR_FROM_DBFS as i32..=0).map(f64::from).collect()
}

impl Layout {
    /// The layout at `rate_hz`.
    pub fn new(rate_hz: f64) -> Self {
        let n = |s: f64| (s * rate_hz).round() as usize;
        let marker_len = n(MARKER_S);
        let mut at = marker_len + n(GAP_S);
        let pilot_from = at;
        at += n(GAP_S);
        let mut parts = Vec::new();
        let mut push = |kind, freq_hz: f64, level_dbfs, seconds: f64, at: &mut usize| {
            let len = n(seconds);
            let fade = if kind == PartKind::Tone { n(FADE_S) } else { 0 };
            parts.push(Part {
                kind,
                freq_hz,
                level_dbfs,
                start: *at,
                len,
                read_from: *at + n(SETTLE_S),
                read_to: *at + len - fade,
            });
            *at += len;
        };
        for f in tone_frequencies() {
            let seconds = (TONE_MIN_CYCLES / f).max(TONE_MIN_S) + SETTLE_S + FADE_S;
            push(PartKind::Tone, f, TONE_DBFS, seconds, &mut at);
        }
        at += n(GAP_S);
        for level in stair_levels() {
            push(PartKind::Step1k, 1000.0, level, STEP_1K_S, &mut at);
        }
        at += n(GAP_S);
        for level in stair_levels() {
            push(PartKind::Step100, 100.0, level, STEP_100_S, &mut at);
        }
        at += n(GAP_S);
        let pilot_to = at;
        at += n(GAP_S);
        push(
            PartKind::Silence,
            0.0,
            f64::NEG_INFINITY,
            SILENCE_S,
            &mut at,
        );
        let end_marker = at;
        let lead = n(LEAD_S);
        Layout {
            rate_hz,
            lead,
            marker_len,
            parts,
            pilot: [pilot_from, pilot_to],
            end_marker,
            total: lead + end_marker + marker_len + lead,
        }
    }

    /// The parts of one kind, in order.
    pub fn parts_of(&self, kind: PartKind) -> impl Iterator<Item = &Part> {
        self.parts.iter().filter(move |p| p.kind == kind)
    }

    /// The signal's length, seconds.
    pub fn seconds(&self) -> f64 {
        self.total as f64 / self.rate_hz
    }
}

/// The jig's sweep starts here, Hz: an octave below the lowest frequency analysed, so that
/// the sweep's fade-in lies below the band.
pub const JIG_SWEEP_FROM_HZ: f64 = 10.0;
/// The highest the jig's sweep goes, Hz; it stops at [`JIG_SWEEP_TOP_OF_NYQUIST`] of the
/// sample rate's Nyquist frequency below that (20.7 kHz at 44.1 kHz, 22.6 kHz at 48 kHz), past
/// the highest frequency analysed.
pub const JIG_SWEEP_TO_HZ: f64 = 30_000.0;
/// The share of the Nyquist frequency the sweep may reach: converters' anti-imaging filters
/// roll off above it.
pub const JIG_SWEEP_TOP_OF_NYQUIST: f64 = 0.94;
/// The sweep's length, seconds.
pub const JIG_SWEEP_S: f64 = 8.0;
/// The sweep's level, dBFS (sine peak): a moderate level, far below any output's clipping
/// into a sense resistor and a headphone in series, and far above an input's noise.
pub const JIG_SWEEP_DBFS: f64 = -12.0;
/// The sweep's fade in, seconds (at 10 Hz: half a cycle, below the band analysed).
pub const JIG_FADE_IN_S: f64 = 0.05;
/// The sweep's fade out, seconds.
pub const JIG_FADE_OUT_S: f64 = 0.01;
/// Silence after the sweep inside the analysed window, seconds: the jig's response (and the
/// inputs' DC-blocking filters') dies away within it.
pub const JIG_TAIL_S: f64 = 0.5;
/// Silence after the tail from which the inputs' noise is read, seconds.
pub const JIG_NOISE_S: f64 = 2.0;
/// The analysed frequencies per decade: 80, a 1/24 octave apart near enough (10^(1/80) is
/// 2^(1/24.08)), every eighth on a third-octave frequency of [`tone_frequencies`].
pub const JIG_POINTS_PER_DECADE: i32 = 80;

/// The frequencies the jig's recording is analysed at: 80 per decade from 19.95 Hz to
/// 19.95 kHz (the preferred numbers, 1 kHz and 10 kHz among them).
pub fn jig_frequencies() -> Vec<f64> {
    let lowest = -17 * JIG_POINTS_PER_DECADE / 10;
    let highest = 13 * JIG_POINTS_PER_DECADE / 10;
    (lowest..=highest)
        .map(|k| 1000.0 * 10f64.powf(f64::from(k) / f64::from(JIG_POINTS_PER_DECADE)))
        .collect()
}

/// The jig's signal at one sample rate: where its parts lie, in samples from the first
/// marker's start.
#[derive(Debug, Clone, PartialEq)]
pub struct JigLayout {
    /// The sample rate, Hz.
    pub rate_hz: f64,
    /// Silence before the first marker, samples.
    pub lead: usize,
    /// The marker's length, samples.
    pub marker_len: usize,
    /// The sweep's start and end, Hz.
    pub sweep_hz: (f64, f64),
    /// Where the sweep plays: `[from, to)`.
    pub sweep: [usize; 2],
    /// The window the spectra are read over, `[from, to)`: the sweep with a little silence
    /// before it and the tail after it.
    pub window: [usize; 2],
    /// The silence the noise is read from, `[from, to)`.
    pub noise: [usize; 2],
    /// Where the second marker starts, samples from the first's.
    pub end_marker: usize,
    /// The whole signal's length, samples.
    pub total: usize,
}

impl JigLayout {
    /// The layout at `rate_hz`.
    pub fn new(rate_hz: f64) -> Self {
        let n = |s: f64| (s * rate_hz).round() as usize;
        let marker_len = n(MARKER_S);
        let sweep_from = marker_len + n(GAP_S);
        let sweep_to = sweep_from + n(JIG_SWEEP_S);
        let tail_to = sweep_to + n(JIG_TAIL_S);
        let noise_to = tail_to + n(JIG_NOISE_S);
        let end_marker = noise_to + n(GAP_S);
        let lead = n(LEAD_S);
        JigLayout {
            rate_hz,
            lead,
            marker_len,
            sweep_hz: (
                JIG_SWEEP_FROM_HZ,
                JIG_SWEEP_TO_HZ.min(JIG_SWEEP_TOP_OF_NYQUIST * rate_hz / 2.0),
            ),
            sweep: [sweep_from, sweep_to],
            window: [sweep_from - n(GAP_S) / 2, tail_to],
            noise: [tail_to, noise_to],
            end_marker,
            total: lead + end_marker + marker_len + lead,
        }
    }

    /// The signal's length, seconds.
    pub fn seconds(&self) -> f64 {
        self.total as f64 / self.rate_hz
    }
}

/// The jig's signal at `rate_hz` as stereo frames (the same on both channels), and its layout.
pub fn jig_signal(rate_hz: f64) -> (Vec<[f32; 2]>, JigLayout) {
    let layout = JigLayout::new(rate_hz);
    let mut x = vec![0.0f64; layout.total];
    let at = |i: usize| layout.lead + i;
    let chirp = marker(layout.marker_len, rate_hz);
    for (i, &v) in chirp.iter().enumerate() {
        x[at(i)] = v;
        x[at(layout.end_marker + i)] = v;
    }
    let [from, to] = layout.sweep;
    let (f1, f2) = layout.sweep_hz;
    let len = to - from;
    let seconds = len as f64 / rate_hz;
    // An exponential sweep: the instantaneous frequency f1·e^(t/L) reaches f2 at the end.
    let l = seconds / (f2 / f1).ln();
    let amp = 10f64.powf(JIG_SWEEP_DBFS / 20.0);
    let (fade_in, fade_out) = (JIG_FADE_IN_S * rate_hz, JIG_FADE_OUT_S * rate_hz);
    for i in 0..len {
        let t = i as f64 / rate_hz;
        let phase = 2.0 * PI * f1 * l * ((t / l).exp() - 1.0);
        let edge = |k: f64, fade: f64| {
            if k >= fade {
                1.0
            } else {
                0.5 - 0.5 * (PI * k / fade).cos()
            }
        };
        let window = edge(i as f64, fade_in) * edge((len - 1 - i) as f64, fade_out);
        x[at(from + i)] = amp * window * phase.sin();
    }
    let frames = x.iter().map(|&v| [v as f32; 2]).collect();
    (frames, layout)
}

/// The marker: a chirp from [`MARKER_HZ`]'s first frequency to its second under a Hann window,
/// `len` samples at `rate_hz`, peaking at [`MARKER_DBFS`]. Its correlation with itself has one
/// sharp peak, so a recording is aligned to the sample.
pub fn marker(len: usize, rate_hz: f64) -> Vec<f64> {
    let (f0, f1) = MARKER_HZ;
    let peak = 10f64.powf(MARKER_DBFS / 20.0);
    let seconds = len as f64 / rate_hz;
    (0..len)
        .map(|i| {
            let t = i as f64 / rate_hz;
            let phase = 2.0 * PI * (f0 * t + 0.5 * (f1 - f0) / seconds * t * t);
            let window = 0.5 - 0.5 * (2.0 * PI * i as f64 / len as f64).cos();
            peak * window * phase.sin()
        })
        .collect()
}

/// The whole signal at `rate_hz`, as stereo frames (left: the measurement; right: the pilot),
/// and its layout.
pub fn signal(rate_hz: f64) -> (Vec<[f32; 2]>, Layout) {
    let layout = Layout::new(rate_hz);
    let mut left = vec![0.0f64; layout.total];
    let mut right = vec![0.0f64; layout.total];
    let at = |i: usize| layout.lead + i;
    let chirp = marker(layout.marker_len, rate_hz);
    for (i, &v) in chirp.iter().enumerate() {
        for x in [at(i), at(layout.end_marker + i)] {
            left[x] = v;
            right[x] = v;
        }
    }
    let fade = (FADE_S * rate_hz).round() as usize;
    for part in &layout.parts {
        if part.kind == PartKind::Silence {
            continue;
        }
        let amp = 10f64.powf(part.level_dbfs / 20.0);
        // Staircase steps follow each other without fades: a fade would read as a clip.
        let fade = if part.kind == PartKind::Tone { fade } else { 0 };
        for i in 0..part.len {
            let n = part.start + i;
            let t = n as f64 / rate_hz;
            left[at(n)] = amp * envelope(i, part.len, fade) * (2.0 * PI * part.freq_hz * t).sin();
        }
    }
    let [from, to] = layout.pilot;
    let pilot_amp = 10f64.powf(PILOT_DBFS / 20.0);
    let pilot_fade = fade * 2;
    for n in from..to {
        let t = n as f64 / rate_hz;
        right[at(n)] =
            pilot_amp * envelope(n - from, to - from, pilot_fade) * (2.0 * PI * PILOT_HZ * t).sin();
    }
    let frames = left
        .iter()
        .zip(&right)
        .map(|(&l, &r)| [l as f32, r as f32])
        .collect();
    (frames, layout)
}

/// A raised-cosine fade in over the first `fade` samples of `len` and out over the last.
fn envelope(i: usize, len: usize, fade: usize) -> f64 {
    let edge = i.min(len - 1 - i);
    if edge >= fade {
        1.0
    } else {
        0.5 - 0.5 * (PI * edge as f64 / fade as f64).cos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_holds_every_part_in_order_without_overlap() {
        for rate in [44_100.0, 48_000.0, 96_000.0] {
            let l = Layout::new(rate);
            assert_eq!(l.parts_of(PartKind::Tone).count(), 31);
            assert_eq!(l.parts_of(PartKind::Step1k).count(), 31);
            for w in l.parts.windows(2) {
                assert!(w[0].start + w[0].len <= w[1].start);
            }
            for p in &l.parts {
                assert!(p.read_from < p.read_to && p.read_to <= p.start + p.len);
                if p.kind == PartKind::Tone {
                    let cycles = (p.read_to - p.read_from) as f64 / rate * p.freq_hz;
                    assert!(cycles >= TONE_MIN_CYCLES - 1.0, "{cycles} at {}", p.freq_hz);
                }
            }
            let silence = l.parts_of(PartKind::Silence).next().unwrap();
            assert!(
                silence.start > l.pilot[1],
                "the pilot stops before the silence"
            );
            assert!(l.seconds() > 25.0 && l.seconds() < 40.0, "{}", l.seconds());
        }
    }

    #[test]
    fn the_jig_signal_sweeps_past_the_band_on_both_channels_and_is_silent_after() {
        let f = jig_frequencies();
        assert_eq!(f.len(), 241);
        assert!((f[0] - 19.95).abs() < 0.01 && (f[240] - 19_953.0).abs() < 1.0);
        assert!(f.iter().any(|&v| (v - 1000.0).abs() < 1e-9));
        assert!(f.iter().any(|&v| (v - 10_000.0).abs() < 1e-6));
        for rate in [44_100.0, 48_000.0, 96_000.0] {
            let (frames, l) = jig_signal(rate);
            assert_eq!(frames.len(), l.total);
            assert!(l.sweep_hz.1 > 20_500.0, "{rate}: {:?}", l.sweep_hz);
            assert!(frames.iter().all(|v| v[0] == v[1]));
            let peak = frames.iter().map(|v| v[0].abs()).fold(0.0, f32::max);
            assert!((f64::from(peak) - 0.25).abs() < 0.01, "{peak}");
            let quiet = &frames[l.lead + l.sweep[1]..l.lead + l.end_marker];
            assert!(quiet.iter().all(|v| v[0] == 0.0));
            assert!(l.window[0] > l.marker_len && l.noise[0] == l.window[1]);
            assert!(l.seconds() > 11.0 && l.seconds() < 13.0, "{}", l.seconds());
        }
    }

    #[test]
    fn the_signal_is_silent_where_the_noise_is_read_and_never_over_full_scale() {
        let (frames, l) = signal(48_000.0);
        assert_eq!(frames.len(), l.total);
        let silence = l.parts_of(PartKind::Silence).next().unwrap();
        let quiet = &frames[l.lead + silence.start..l.lead + silence.start + silence.len];
        assert!(quiet.iter().all(|f| f[0] == 0.0 && f[1] == 0.0));
        let peak = frames
            .iter()
            .map(|f| f[0].abs().max(f[1].abs()))
            .fold(0.0, f32::max);
        assert!(peak <= 1.0 && peak > 0.99, "{peak}");
    }
}
