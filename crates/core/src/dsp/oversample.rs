//! Oversampled limits: a hard clip evaluated at the host rate folds its harmonics back into
//! the audio band, so the output stage's clamps run on an upsampled copy of the signal.
//!
//! Only what a clamp removes, the residual `clamp(x) − x`, is band-limited and brought back to
//! the host rate; the caller adds it to its own copy of the signal, delayed by
//! [`ClipOversampler::latency_samples`]. Below the limit the residual is exactly zero, so the
//! linear path stays bit-exact, and when the signal stays clear of the limit the oversampler
//! idles (it proves that with a bound on the interpolator's overshoot) and costs almost nothing.
//!
//! The resampler (the `halfband` module) is a cascade of linear-phase Kaiser halfbands (one per factor of 2), each
//! designed for the audio band it must keep (`min(20 kHz, 0.45·fs)`) and the band that would
//! fold onto it, so only the first stage is long.

use super::halfband::{DownStage, Halfband, UpStage, decimate, interpolate};
use std::f64::consts::PI;

/// Stopband attenuation of the halfbands, dB, from the host rate up. A clipped signal's
/// harmonics fall as 1/n², so what folds into the audio band at a higher stage is already far
/// down and those stages can be short.
pub const HALFBAND_ATTENUATION_DB: [f64; MAX_STAGES] = [70.0, 60.0, 50.0, 40.0, 40.0];
/// Top of the band whose residual is kept, Hz (lowered to 0.45·fs at low rates).
pub const KEPT_BAND_HZ: f64 = 20_000.0;
/// The clamps run at no less than this rate where the stage count allows, Hz.
pub const MIN_CLIP_RATE_HZ: f64 = 1_411_200.0;
/// Most factors of 2 (16×).
pub const MAX_STAGES: usize = 5;
/// Host samples per chunk of the running maximum.
const CHUNK: usize = 8;
/// Stages that run whenever the signal is within the interpolator's overshoot of the limit.
const HEAD_STAGES: usize = 2;
/// Margin on the tail's overshoot bound for the head's images and the tail's ripple (the
/// test below finds up to 4.5 % over Cartwright's bound).
const TAIL_MARGIN: f64 = 1.10;

/// Largest magnitude in `x` (finite samples), with independent running maxima so that the
/// loop vectorises rather than waiting on one chain of comparisons.
#[inline]
fn peak(x: &[f64]) -> f64 {
    let mut m = [0.0f64; 8];
    let mut chunks = x.chunks_exact(8);
    for c in &mut chunks {
        for j in 0..8 {
            let a = c[j].abs();
            m[j] = if a > m[j] { a } else { m[j] };
        }
    }
    let mut best = chunks
        .remainder()
        .iter()
        .fold(0.0, |b: f64, v| if v.abs() > b { v.abs() } else { b });
    for v in m {
        best = if v > best { v } else { best };
    }
    best
}

/// Most host samples per call of [`ClipOversampler::process`].
pub const MAX_BLOCK: usize = 128;
/// Samples at the top rate per block, at most.
const MAX_TOP: usize = MAX_BLOCK << MAX_STAGES;

/// A clamp at `±limit` evaluated `factor()` times faster than the host rate, returning the
/// band-limited residual. One per channel and clamp; allocates only in `new`.
#[derive(Debug, Clone)]
pub struct ClipOversampler {
    up: Vec<UpStage>,
    down: Vec<DownStage>,
    /// Top-rate delay that makes the round trip a whole number of host samples: the last
    /// `pad` residuals, then the block's.
    pad_buf: Vec<f64>,
    pad: usize,
    latency: usize,
    /// Bound on `|upsampled| / max |recent input|` (the interpolator's worst overshoot).
    gain_bound: f64,
    /// Host samples the interpolator's state depends on.
    up_span: usize,
    /// Host samples the decimator's state (and the pad) depends on.
    down_span: usize,
    /// Recent host-rate input, for rebuilding the interpolator after idling.
    input: Vec<f64>,
    input_pos: usize,
    /// Maxima of |input| over completed chunks, the current chunk, and over the chunks kept.
    chunk_max: Vec<f64>,
    chunk_pos: usize,
    chunk_fill: usize,
    current_max: f64,
    completed_max: f64,
    /// Host samples since the last block whose residual could be non-zero.
    zero_run: usize,
    idle: bool,
    /// Scratch for the stages' blocks (the audio thread's stack stays small): two for the
    /// interpolator's stages, the head's output, the top-rate signal.
    scratch: [Vec<f64>; 4],
    /// Stages always run while active (the head); the rest (the tail) and the clamp run only
    /// when the head's output comes near the limit.
    head: usize,
    /// Bound on the tail's overshoot over the head's output (band-limited, see `new`).
    tail_bound: f64,
    /// The head's recent output, for rebuilding the tail.
    head_out: Vec<f64>,
    /// Head-rate samples the tail's state depends on.
    tail_span: usize,
    tail_idle: bool,
    /// Peak of the head's last `tail_span` samples (or more, never less).
    head_recent_peak: f64,
    /// Host samples since the clamp last removed anything.
    removed_nothing_for: usize,
}

impl ClipOversampler {
    /// An oversampler for host rate `sample_rate_hz`: as many factors of 2 (at most
    /// [`MAX_STAGES`]) as bring the clamp's rate to [`MIN_CLIP_RATE_HZ`].
    pub fn new(sample_rate_hz: f64) -> Self {
        let mut stages = 1;
        while stages < MAX_STAGES && sample_rate_hz * ((1 << stages) as f64) < MIN_CLIP_RATE_HZ {
            stages += 1;
        }
        let kept_hz = KEPT_BAND_HZ.min(0.45 * sample_rate_hz);
        let bands: Vec<Halfband> = (1..=stages)
            .map(|s| {
                let rate = sample_rate_hz * (1 << s) as f64;
                let stop = rate / 2.0 - kept_hz;
                Halfband::kaiser((stop - kept_hz) / rate, HALFBAND_ATTENUATION_DB[s - 1])
            })
            .collect();
        let span = bands
            .iter()
            .enumerate()
            .map(|(s, b)| (b.m + 1).div_ceil(1 << s))
            .sum::<usize>()
            + 2;
        let input_len = (span + 2 * MAX_BLOCK).next_power_of_two();
        let n_chunks = (span + MAX_BLOCK).div_ceil(CHUNK) + 1;
        let mut os = ClipOversampler {
            up: bands
                .iter()
                .enumerate()
                .map(|(s, b)| UpStage::new(b.clone(), MAX_BLOCK << s))
                .collect(),
            down: bands
                .iter()
                .enumerate()
                .rev()
                .map(|(s, b)| DownStage::new(b.clone(), MAX_BLOCK << s))
                .collect(),
            pad_buf: vec![0.0; MAX_TOP + (1 << MAX_STAGES)],
            pad: 0,
            latency: 0,
            gain_bound: 1.0,
            up_span: span,
            down_span: span + 1,
            input: vec![0.0; input_len],
            input_pos: 0,
            chunk_max: vec![0.0; n_chunks],
            chunk_pos: 0,
            chunk_fill: 0,
            current_max: 0.0,
            completed_max: 0.0,
            zero_run: 0,
            idle: true,
            scratch: std::array::from_fn(|_| vec![0.0; MAX_TOP]),
            head: 0,
            tail_bound: 1.0,
            head_out: Vec::new(),
            tail_span: 0,
            tail_idle: true,
            head_recent_peak: 0.0,
            removed_nothing_for: usize::MAX / 2,
        };
        os.head = HEAD_STAGES.min(stages);
        // The head's output is band-limited to below the first stage's stopband edge
        // `fs − kept` (what lies above is ≥ 80 dB down), at `2^head·fs`. Between the samples
        // of a signal band-limited to `B` and sampled at `R`, it cannot exceed its largest
        // sample by more than `sec(π·B/R)` (Cartwright's bound); the margin covers the short
        // tail stages' ripple and images (tested below on signals at the band's edge).
        let ratio = (sample_rate_hz - kept_hz) / (sample_rate_hz * (1 << os.head) as f64);
        os.tail_bound = TAIL_MARGIN / (PI * ratio).cos();
        os.tail_span = bands[os.head..]
            .iter()
            .enumerate()
            .map(|(s, b)| (b.m + 1).div_ceil(1 << s))
            .sum::<usize>()
            + 1;
        os.head_out = vec![0.0; os.tail_span];
        os.calibrate();
        os
    }

    /// Oversampling factor.
    pub fn factor(&self) -> usize {
        1 << self.up.len()
    }

    /// Delay of the residual against the input, host samples.
    pub fn latency_samples(&self) -> usize {
        self.latency
    }

    /// Measures the interpolator's overshoot bound and the round trip's delay on an impulse,
    /// and sets the top-rate delay that makes the round trip whole host samples.
    fn calibrate(&mut self) {
        let factor = self.factor();
        let n_host = 4 * (self.up_span + self.down_span) + 8;
        let mut top = vec![0.0; n_host * factor];
        for n in 0..n_host {
            let x = if n == 0 { 1.0 } else { 0.0 };
            let [a, b, _, _] = &mut self.scratch;
            interpolate(
                &mut self.up,
                a,
                b,
                &[x],
                &mut top[n * factor..(n + 1) * factor],
            );
        }
        self.gain_bound = (0..factor)
            .map(|phase| {
                top.iter()
                    .skip(phase)
                    .step_by(factor)
                    .map(|v| v.abs())
                    .sum()
            })
            .fold(1.0, f64::max);
        self.reset_stages();
        let mut out = vec![0.0; n_host];
        for n in 0..n_host {
            let mut chunk = top[n * factor..(n + 1) * factor].to_vec();
            out[n] = decimate(&mut self.down, &mut self.scratch[0], &mut chunk);
        }
        let sum: f64 = out.iter().sum();
        let centre = out
            .iter()
            .enumerate()
            .map(|(n, v)| n as f64 * v)
            .sum::<f64>()
            / sum;
        let centre_top = (centre * factor as f64).round() as usize;
        self.pad = (factor - centre_top % factor) % factor;
        self.latency = (centre_top + self.pad) / factor;
        self.reset_stages();
    }

    fn reset_stages(&mut self) {
        for s in self.up.iter_mut() {
            s.clear();
        }
        for s in self.down.iter_mut() {
            s.clear();
        }
        self.pad_buf.fill(0.0);
    }

    /// Whether it is idling (the signal has stayed clear of the limit).
    pub fn is_idle(&self) -> bool {
        self.idle
    }

    /// Clears every state (host reset).
    pub fn reset(&mut self) {
        self.reset_stages();
        self.input.fill(0.0);
        self.chunk_max.fill(0.0);
        self.current_max = 0.0;
        self.completed_max = 0.0;
        self.chunk_fill = 0;
        self.zero_run = 0;
        self.idle = true;
        self.head_out.fill(0.0);
        self.head_recent_peak = 0.0;
        self.tail_idle = true;
        self.removed_nothing_for = usize::MAX / 2;
    }

    /// Keeps the host-rate input and its running maximum.
    #[inline]
    fn record(&mut self, x: f64) {
        let mask = self.input.len() - 1;
        self.input[self.input_pos] = x;
        self.input_pos = (self.input_pos + 1) & mask;
        let a = x.abs();
        if a > self.current_max {
            self.current_max = a;
        }
        self.chunk_fill += 1;
        if self.chunk_fill == CHUNK {
            self.chunk_max[self.chunk_pos] = self.current_max;
            self.chunk_pos += 1;
            if self.chunk_pos == self.chunk_max.len() {
                self.chunk_pos = 0;
            }
            self.completed_max = peak(&self.chunk_max);
            self.current_max = 0.0;
            self.chunk_fill = 0;
        }
    }

    /// Rebuilds the head's state (and its recent output) from the `up_span` recorded samples
    /// before the last `skip` ones, after idling; the tail is rebuilt when it is needed.
    fn prime(&mut self, skip: usize) {
        for s in self.up.iter_mut() {
            s.clear();
        }
        let mask = self.input.len() - 1;
        let mut x = [0.0; MAX_BLOCK];
        let mut left = self.up_span;
        while left > 0 {
            let n = left.min(MAX_BLOCK);
            for (k, v) in x[..n].iter_mut().enumerate() {
                *v = self.input[self.input_pos.wrapping_sub(skip + left - k) & mask];
            }
            self.run_head(&x[..n]);
            self.remember_head(n << self.head);
            left -= n;
        }
        self.head_recent_peak = peak(&self.head_out);
        self.tail_idle = true;
    }

    /// `x` through the head into `scratch[2]` (`x.len() << head` samples) and its history.
    fn run_head(&mut self, x: &[f64]) {
        let hn = x.len() << self.head;
        let mut y = std::mem::take(&mut self.scratch[2]);
        let [a, b, _, _] = &mut self.scratch;
        interpolate(&mut self.up[..self.head], a, b, x, &mut y[..hn]);
        self.scratch[2] = y;
    }

    /// Keeps the last `tail_span` samples of the head's output in `scratch[2]` (`hn`
    /// samples): what the tail is rebuilt from. Called once a block is done with them.
    fn remember_head(&mut self, hn: usize) {
        let span = self.tail_span;
        let y = &self.scratch[2][..hn];
        if hn >= span {
            self.head_out[..span].copy_from_slice(&y[hn - span..]);
        } else {
            self.head_out.copy_within(hn..span, 0);
            self.head_out[span - hn..span].copy_from_slice(y);
        }
    }

    /// The head's output in `scratch[2]` (`hn` samples) through the tail into `scratch[3]`.
    fn run_tail(&mut self, hn: usize) {
        let tail_len = self.up.len() - self.head;
        let mut top = std::mem::take(&mut self.scratch[3]);
        let y = std::mem::take(&mut self.scratch[2]);
        if tail_len == 0 {
            top[..hn].copy_from_slice(&y[..hn]);
        } else {
            let [a, b, _, _] = &mut self.scratch;
            interpolate(
                &mut self.up[self.head..],
                a,
                b,
                &y[..hn],
                &mut top[..hn << tail_len],
            );
        }
        self.scratch[2] = y;
        self.scratch[3] = top;
    }

    /// Rebuilds the tail's state from the head's remembered output (the `tail_span` samples
    /// before the block in progress).
    fn prime_tail(&mut self) {
        let tail_len = self.up.len() - self.head;
        if tail_len == 0 {
            return;
        }
        for s in self.up[self.head..].iter_mut() {
            s.clear();
        }
        let mut y = [0.0; MAX_BLOCK];
        let mut out = std::mem::take(&mut self.scratch[3]);
        let mut done = 0;
        while done < self.tail_span {
            let n = (self.tail_span - done).min(MAX_BLOCK);
            y[..n].copy_from_slice(&self.head_out[done..done + n]);
            let [a, b, _, _] = &mut self.scratch;
            interpolate(
                &mut self.up[self.head..],
                a,
                b,
                &y[..n],
                &mut out[..n << tail_len],
            );
            done += n;
        }
        self.scratch[3] = out;
    }

    /// Feeds host samples `x` (at most [`MAX_BLOCK`]) to a clamp at `±limit[k]` (positive,
    /// infinite for none). Writes to `out` the band-limited residual belonging to the input
    /// `latency_samples()` earlier, and sets `acted[k]` where the clamp acted on `x[k]`.
    pub fn process(&mut self, x: &[f64], limit: &[f64], out: &mut [f64], acted: &mut [bool]) {
        let n = x.len();
        debug_assert!(n <= MAX_BLOCK && limit.len() >= n && out.len() >= n);
        for &v in x {
            self.record(v);
        }
        let window_max = self.completed_max.max(self.current_max);
        let lowest_limit = limit[..n].iter().copied().fold(f64::INFINITY, f64::min);
        let clear = window_max * self.gain_bound <= lowest_limit;
        let quiet_before = self.zero_run;
        self.zero_run = if clear { self.zero_run + n } else { 0 };
        acted[..n].fill(false);
        if self.idle {
            if clear {
                out[..n].fill(0.0);
                return;
            }
            self.prime(n);
            self.idle = false;
        } else if clear && quiet_before >= self.down_span {
            // Every state of the decimator holds exact zeros, and will until the limit is
            // approached again: nothing needs computing.
            self.idle = true;
            out[..n].fill(0.0);
            return;
        }
        let factor = self.factor();
        let top_n = n * factor;
        let hn = n << self.head;
        self.run_head(x);
        let head_y = &self.scratch[2][..hn];
        let head_max = peak(head_y).max(self.head_recent_peak);
        // What the tail's next block still reads of this one.
        self.head_recent_peak = if hn >= self.tail_span {
            peak(&head_y[hn - self.tail_span..])
        } else {
            head_max
        };
        let pad = self.pad;
        let tail_clear = head_max * self.tail_bound <= lowest_limit;
        if !tail_clear && self.tail_idle {
            self.prime_tail();
            self.tail_idle = false;
        }
        self.remember_head(hn);
        if tail_clear {
            // Nothing comes near the limit: the tail's state goes stale, the clamp removes
            // nothing, and once the decimator has emptied it is skipped too.
            self.tail_idle = true;
            if self.removed_nothing_for >= self.down_span {
                self.removed_nothing_for += n;
                out[..n].fill(0.0);
                return;
            }
            self.removed_nothing_for += n;
            self.pad_buf[pad..pad + top_n].fill(0.0);
        } else {
            self.run_tail(hn);
            let top = &self.scratch[3];
            let mut removed_any = false;
            for (k, (sub, lim)) in top[..top_n].chunks_exact(factor).zip(limit).enumerate() {
                let dst = &mut self.pad_buf[pad + k * factor..pad + (k + 1) * factor];
                let mut any = false;
                for (d, v) in dst.iter_mut().zip(sub) {
                    *d = v.max(-lim).min(*lim) - v;
                    any |= *d != 0.0;
                }
                acted[k] = any;
                removed_any |= any;
            }
            if removed_any {
                self.removed_nothing_for = 0;
            } else {
                self.removed_nothing_for += n;
            }
        }
        let mut top = std::mem::take(&mut self.scratch[3]);
        top[..top_n].copy_from_slice(&self.pad_buf[..top_n]);
        self.pad_buf.copy_within(top_n..top_n + pad, 0);
        decimate(&mut self.down, &mut self.scratch[0], &mut top[..top_n]);
        out[..n].copy_from_slice(&top[..n]);
        self.scratch[3] = top;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `x` through in blocks of varying size at a fixed limit.
    fn run(os: &mut ClipOversampler, x: &[f64], limit: f64) -> (Vec<f64>, Vec<bool>) {
        let mut y = vec![0.0; x.len()];
        let mut acted = vec![false; x.len()];
        let lim = [limit; MAX_BLOCK];
        let mut start = 0;
        let mut size = 1;
        while start < x.len() {
            let n = size.min(x.len() - start).min(MAX_BLOCK);
            os.process(
                &x[start..start + n],
                &lim,
                &mut y[start..start + n],
                &mut acted[start..start + n],
            );
            start += n;
            size = size % MAX_BLOCK + 7;
        }
        (y, acted)
    }

    /// The round trip (a clamp that removes everything) is a pure delay of `latency_samples`
    /// in the kept band.
    #[test]
    fn round_trip_is_the_reported_delay() {
        for rate in [44_100.0, 48_000.0, 96_000.0, 192_000.0] {
            let mut os = ClipOversampler::new(rate);
            let lat = os.latency_samples();
            let freq = 5_000.0;
            let n = 4096;
            let x: Vec<f64> = (0..n)
                .map(|i| (2.0 * PI * freq * i as f64 / rate).sin())
                .collect();
            // A limit of 1e-12 clamps essentially everything away: the residual is −x delayed.
            let y = run(&mut os, &x, 1e-12).0;
            let worst = (lat + 512..n)
                .map(|i| (y[i] + x[i - lat]).abs())
                .fold(0.0, f64::max);
            // The short top stages' passband ripple bounds this (−60 dB of the residual).
            assert!(worst < 1e-3, "{rate} Hz: error {worst} at latency {lat}");
        }
    }

    #[test]
    fn below_the_limit_the_residual_is_exactly_zero() {
        let mut os = ClipOversampler::new(48_000.0);
        let x: Vec<f64> = (0..10_000).map(|i| 0.5 * (i as f64 * 0.37).sin()).collect();
        let (y, acted) = run(&mut os, &x, 0.51);
        assert!(y.iter().all(|&v| v == 0.0) && acted.iter().all(|&a| !a));
    }

    /// Idling and waking give the same residual as running all the time.
    #[test]
    fn idling_changes_nothing() {
        let rate = 44_100.0;
        let x: Vec<f64> = (0..20_000)
            .map(|i| {
                // Bursts above the limit separated by quiet stretches.
                let burst = (i / 3000) % 2 == 1 && i % 3000 < 500;
                let amp = if burst { 1.5 } else { 0.3 };
                amp * (2.0 * PI * 1000.0 * i as f64 / rate).sin()
            })
            .collect();
        let mut os = ClipOversampler::new(rate);
        let (a, _) = run(&mut os, &x, 1.0);
        assert!(os.idle, "it idles in the quiet stretches");
        // The reference never idles: its bound is made useless.
        let mut reference = ClipOversampler::new(rate);
        reference.gain_bound = f64::INFINITY;
        reference.tail_bound = f64::INFINITY;
        let (b, _) = run(&mut reference, &x, 1.0);
        assert!(!reference.idle);
        let max_diff = a
            .iter()
            .zip(&b)
            .map(|(p, q)| (p - q).abs())
            .fold(0.0, f64::max);
        assert!(max_diff < 1e-12, "difference {max_diff}");
        assert!(a.iter().any(|&v| v != 0.0));
    }

    /// The tail never rises above the head's largest sample by more than `tail_bound`, on
    /// white noise and on dense multi-sines up to Nyquist (the worst cases for overshoot).
    #[test]
    fn the_tail_stays_within_its_bound() {
        for rate in [44_100.0, 48_000.0, 96_000.0] {
            let mut os = ClipOversampler::new(rate);
            let mut rng = crate::dsp::noise::Rng::new(7);
            let mut worst = 0.0f64;
            for trial in 0..40 {
                let x: Vec<f64> = if trial % 2 == 0 {
                    (0..MAX_BLOCK).map(|_| rng.unit()).collect()
                } else {
                    let freqs: Vec<(f64, f64)> = (0..8)
                        .map(|_| (0.5 * rate * (0.9 + 0.1 * rng.unit().abs()), rng.unit() * PI))
                        .collect();
                    (0..MAX_BLOCK)
                        .map(|i| {
                            freqs
                                .iter()
                                .map(|(f, ph)| (2.0 * PI * f * i as f64 / rate + ph).sin())
                                .sum()
                        })
                        .collect()
                };
                for _ in 0..4 {
                    os.run_head(&x);
                    let hn = x.len() << os.head;
                    let head_max = os.scratch[2][..hn]
                        .iter()
                        .fold(0.0f64, |m, v| m.max(v.abs()));
                    os.run_tail(hn);
                    let top_max = os.scratch[3][..x.len() * os.factor()]
                        .iter()
                        .fold(0.0f64, |m, v| m.max(v.abs()));
                    worst = worst.max(top_max / head_max);
                }
            }
            assert!(
                worst <= os.tail_bound,
                "{rate}: {worst} > {}",
                os.tail_bound
            );
            assert!(worst > 1.0, "the test reaches overshoot");
        }
    }
}
