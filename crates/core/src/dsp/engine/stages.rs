//! The engine's stages around the load filters: the control lanes (the volume and the limits,
//! gliding), the output's noise, the supply's sag, the EMF clamp, the current clamp, the
//! bypass ramp and the fade around a switch of the limits. Each keeps its own state, resets on
//! its own and is tested on its own; the engine strings them together.

use super::super::noise::NoiseState;
use super::super::oversample::{ClipOversampler, MAX_BLOCK};
use super::{MAX_CHANNELS, StageNoise};

/// A limit this high (in full-scale units) counts as none: far above any signal, and where
/// limits glide to and from when switched.
pub(super) const NO_LIMIT: f64 = 1e6;

/// Seeds of the noise generators: per channel and source, fixed so renders repeat.
const NOISE_SEEDS: [[u64; 2]; MAX_CHANNELS] =
    [[0x1234_5678, 0x9ABC_DEF0], [0x0FED_CBA9, 0x8765_4321]];

/// The glide target for a limit setting (`INFINITY` = none).
pub(super) fn limit_target(limit: f64) -> f64 {
    if limit.is_finite() {
        limit.min(NO_LIMIT)
    } else {
        NO_LIMIT
    }
}

/// One step of a one-pole glide from `now` to `target` in the log domain (both positive),
/// at most `max_step` nepers per sample so that a long way (from "no limit") is not covered
/// in a few samples; computed only while they differ.
#[inline]
fn glide_log(now: f64, target: f64, coef: f64, max_step: f64) -> f64 {
    if now == target {
        return now;
    }
    let step = ((target / now).ln() * coef).clamp(-max_step, max_step);
    let next = now * step.exp();
    if (next / target - 1.0).abs() < 1e-9 {
        target
    } else {
        next
    }
}

/// `3t² − 2t³`: a ramp from 0 to 1 whose slope is zero at both ends, so that neither the
/// start nor the end of a fade puts a kink in the signal.
#[inline]
pub(super) fn smoothstep(t: f64) -> f64 {
    t * t * (3.0 - 2.0 * t)
}

/// The largest magnitude in `x` (0 for none).
#[inline]
pub(super) fn peak(x: &[f64]) -> f64 {
    x.iter().fold(0.0f64, |m, v| m.max(v.abs()))
}

/// The volume and the two limits as heard now, gliding to their settings.
#[derive(Debug, Clone, Copy)]
pub(super) struct Glides {
    /// The volume as a gain (1 = maximum).
    pub(super) volume: f64,
    /// One-pole coefficient of the volume's (and the limits') smoothing.
    volume_coef: f64,
    /// `V_rail / V_fs` and `I_max / V_fs` now: they glide in the log domain, with the
    /// volume's time constant, so that a limit moved across a signal does not cut it from one
    /// sample to the next. "No limit" glides to `NO_LIMIT`.
    pub(super) rail_now: f64,
    pub(super) imax_now: f64,
    /// Fastest glide of a limit, nepers per sample.
    glide_max_step: f64,
}

impl Glides {
    /// At maximum volume and without limits, smoothing with time constant `smoothing_s` and
    /// limits gliding at most a factor e per `glide_s`, at `sample_rate_hz`.
    pub(super) fn new(sample_rate_hz: f64, smoothing_s: f64, glide_s: f64) -> Self {
        Glides {
            volume: 1.0,
            volume_coef: 1.0 - (-1.0 / (smoothing_s * sample_rate_hz)).exp(),
            rail_now: NO_LIMIT,
            imax_now: NO_LIMIT,
            glide_max_step: 1.0 / (glide_s * sample_rate_hz),
        }
    }

    /// Jumps to the settings (before the first sample after a reset).
    pub(super) fn settle(&mut self, volume_gain: f64, (rail, imax): (f64, f64)) {
        self.volume = volume_gain;
        (self.rail_now, self.imax_now) = (rail, imax);
    }

    /// One sample's step toward the volume `volume_gain` and the limits' glide targets.
    #[inline]
    pub(super) fn step(&mut self, volume_gain: f64, rail_target: f64, imax_target: f64) {
        if self.volume != volume_gain {
            self.volume += (volume_gain - self.volume) * self.volume_coef;
            if (self.volume / volume_gain - 1.0).abs() < 1e-9 {
                self.volume = volume_gain;
            }
        }
        self.rail_now = glide_log(
            self.rail_now,
            rail_target,
            self.volume_coef,
            self.glide_max_step,
        );
        self.imax_now = glide_log(
            self.imax_now,
            imax_target,
            self.volume_coef,
            self.glide_max_step,
        );
    }

    /// Whether neither limit acts now nor is on its way.
    pub(super) fn unlimited(&self, rail_target: f64, imax_target: f64) -> bool {
        rail_target >= NO_LIMIT
            && self.rail_now >= NO_LIMIT
            && imax_target >= NO_LIMIT
            && self.imax_now >= NO_LIMIT
    }

    /// Where the EMF clips at this sample, in units of `V_fs·volume` (`inv` = 1/volume): at the
    /// converter's full scale, or a chain's source stage at `source_clip_fs` of it (both
    /// ahead of the volume), or lower where the rails, sagged by `sag_v` (`V / V_fs`), are.
    #[inline]
    pub(super) fn emf_limit(&self, sag_v: f64, inv: f64, source_clip_fs: f64) -> f64 {
        let ahead = source_clip_fs.min(1.0);
        if self.rail_now >= NO_LIMIT {
            ahead
        } else {
            // The floor only keeps the limit positive.
            ((self.rail_now - sag_v).max(0.01 * self.rail_now) * inv).min(ahead)
        }
    }
}

/// The output's noise, per channel: one generator before the volume control, one after.
#[derive(Debug, Clone)]
pub(super) struct Noise {
    /// The sources' coefficients.
    pub(super) coefs: StageNoise,
    state: [[NoiseState; 2]; MAX_CHANNELS],
}

impl Noise {
    /// Silent, with the generators at their seeds.
    pub(super) fn new() -> Self {
        Noise {
            coefs: StageNoise::SILENT,
            state: NOISE_SEEDS.map(|s| s.map(NoiseState::new)),
        }
    }

    /// Restarts the generators at their seeds, so that a render repeats.
    pub(super) fn reset(&mut self) {
        self.state = NOISE_SEEDS.map(|s| s.map(NoiseState::new));
    }

    /// Adds channel `ch`'s noise to the EMF `e`, the source after the volume scaled by
    /// `inv_volume` (`1/volume` per sample: in `V_fs·volume` units it grows as the volume
    /// falls).
    pub(super) fn add(&mut self, ch: usize, e: &mut [f64], inv_volume: &[f64]) {
        let [pre, post] = &mut self.state[ch];
        // The volume moves little over a run: the two sources run as one.
        if let Some(c) = self.coefs.pre.combined(&self.coefs.post, inv_volume[0]) {
            pre.add_to(&c, e);
        } else {
            let n = e.len();
            let (mut p, mut q) = ([0.0; MAX_BLOCK], [0.0; MAX_BLOCK]);
            pre.add_to(&self.coefs.pre, &mut p[..n]);
            post.add_to(&self.coefs.post, &mut q[..n]);
            for (((v, p), q), inv) in e.iter_mut().zip(&p).zip(&q).zip(inv_volume) {
                *v += p + q * inv;
            }
        }
    }
}

/// The supply's sag: the rails follow the channels' mean load current, smoothed.
#[derive(Debug, Clone)]
pub(super) struct SupplySag {
    /// The smoothed current, `I / V_fs` (amperes per volt), times π/2 (a sine's peak over its
    /// mean magnitude).
    current: f64,
    /// One-pole coefficient of the smoothing.
    coef: f64,
    /// `current` after each of the last `MAX_BLOCK` samples, by position: the rails at a
    /// sample sag by the value `MAX_BLOCK` samples before it, which every run has computed
    /// already, so that the output does not depend on how the host splits its blocks.
    ring: [f64; MAX_BLOCK],
}

// The ring is indexed by masking the sample position.
const _: () = assert!(MAX_BLOCK.is_power_of_two());

impl SupplySag {
    /// At rest, smoothing with time constant `sag_s` at `sample_rate_hz`.
    pub(super) fn new(sample_rate_hz: f64, sag_s: f64) -> Self {
        SupplySag {
            current: 0.0,
            coef: 1.0 - (-1.0 / (sag_s * sample_rate_hz)).exp(),
            ring: [0.0; MAX_BLOCK],
        }
    }

    /// Back at rest.
    pub(super) fn reset(&mut self) {
        self.current = 0.0;
        self.ring = [0.0; MAX_BLOCK];
    }

    /// The smoothed current the rails sag by at sample position `pos` (`I / V_fs`).
    #[inline]
    pub(super) fn current_at(&self, pos: usize) -> f64 {
        self.ring[pos & (MAX_BLOCK - 1)]
    }

    /// Feeds the run that starts at position `pos`: per sample, the channels' summed current
    /// magnitude (`I / V_fs`) over `channels` channels.
    pub(super) fn push(&mut self, pos: usize, summed_current: &[f64], channels: usize) {
        let scale = std::f64::consts::FRAC_PI_2 / channels as f64;
        for (k, d) in summed_current.iter().enumerate() {
            self.current += (d * scale - self.current) * self.coef;
            self.ring[(pos + k) & (MAX_BLOCK - 1)] = self.current;
        }
    }
}

/// Delays `values` by `lat` samples through `ring` (a power-of-two ring whose write position
/// for `values[0]` is `start`): all are written first, so a delay shorter than the run reads
/// this run's own samples.
#[inline]
fn delay_through(ring: &mut [f64], start: usize, lat: usize, values: &mut [f64]) {
    let mask = ring.len() - 1;
    for (k, v) in values.iter().enumerate() {
        ring[(start + k) & mask] = *v;
    }
    for (k, v) in values.iter_mut().enumerate() {
        *v = ring[(start + k).wrapping_sub(lat) & mask];
    }
}

/// An oversampled clamp per channel, and per channel a delay (a power-of-two ring) that
/// brings the signal it was fed in line with its residual.
#[derive(Debug, Clone)]
pub(super) struct Clamp {
    clip: Vec<ClipOversampler>,
    /// Per channel, the signal written at the engine's history positions.
    pub(super) delay: Vec<Vec<f64>>,
}

impl Clamp {
    /// `channels` clamps like `clip`, with delay rings of `ring_len` (a power of two).
    pub(super) fn new(clip: &ClipOversampler, channels: usize, ring_len: usize) -> Self {
        debug_assert!(ring_len.is_power_of_two());
        Clamp {
            clip: vec![clip.clone(); channels],
            delay: vec![vec![0.0; ring_len]; channels],
        }
    }

    /// The residual's delay against the input, samples.
    pub(super) fn latency_samples(&self) -> usize {
        self.clip[0].latency_samples()
    }

    /// Clears the clamps' states (the delay rings keep theirs: the engine refills them when
    /// the limits come in).
    pub(super) fn reset_clamps(&mut self) {
        for c in self.clip.iter_mut() {
            c.reset();
        }
    }

    /// Clears everything (host reset).
    pub(super) fn reset(&mut self) {
        self.reset_clamps();
        for d in self.delay.iter_mut() {
            d.fill(0.0);
        }
    }

    /// Resets the clamps that are not idle: a clamp whose limit went away starts from rest
    /// when it comes back, rather than from an old tail.
    pub(super) fn rest(&mut self) {
        for c in self.clip.iter_mut() {
            if !c.is_idle() {
                c.reset();
            }
        }
    }

    /// Clamps channel `ch`'s signal `x` (the run written at position `pos`) at `±limit`: `x`
    /// becomes itself delayed by the latency plus the band-limited residual, and `acted[k]`
    /// says where the clamp acted.
    pub(super) fn clamp_in_place(
        &mut self,
        ch: usize,
        pos: usize,
        x: &mut [f64],
        limit: &[f64],
        acted: &mut [bool],
    ) {
        let n = x.len();
        let mut removed = [0.0; MAX_BLOCK];
        self.clip[ch].process(x, &limit[..n], &mut removed[..n], acted);
        self.delay_in_place(ch, pos, x);
        for (v, r) in x.iter_mut().zip(&removed) {
            *v += r;
        }
    }

    /// Only the residual of clamping channel `ch`'s `x` at `±limit`, in `removed` (late by the
    /// latency); `acted[k]` says where the clamp acted.
    pub(super) fn residual(
        &mut self,
        ch: usize,
        x: &[f64],
        limit: &[f64],
        removed: &mut [f64],
        acted: &mut [bool],
    ) {
        self.clip[ch].process(x, &limit[..x.len()], removed, acted);
    }

    /// Delays channel `ch`'s `values` (the run written at position `pos`) by the latency.
    pub(super) fn delay_in_place(&mut self, ch: usize, pos: usize, values: &mut [f64]) {
        let lat = self.latency_samples();
        delay_through(&mut self.delay[ch], pos, lat, values);
    }
}

/// The bypass: a ramp between the processed signal (0) and the dry one (1).
#[derive(Debug, Clone, Copy)]
pub(super) struct BypassRamp {
    /// Whether bypass is asked for.
    pub(super) target: bool,
    mix: f64,
    step: f64,
}

impl BypassRamp {
    /// Processing, ramping over `ramp_s` at `sample_rate_hz`.
    pub(super) fn new(sample_rate_hz: f64, ramp_s: f64) -> Self {
        BypassRamp {
            target: false,
            mix: 0.0,
            step: 1.0 / (ramp_s * sample_rate_hz).max(1.0),
        }
    }

    /// Asks for bypass on or off; `at_once` skips the ramp.
    pub(super) fn set(&mut self, bypass: bool, at_once: bool) {
        self.target = bypass;
        if at_once {
            self.settle();
        }
    }

    /// Jumps to what is asked for.
    pub(super) fn settle(&mut self) {
        self.mix = if self.target { 1.0 } else { 0.0 };
    }

    /// Whether the output is fully processed and stays so.
    pub(super) fn is_off(&self) -> bool {
        self.mix == 0.0 && !self.target
    }

    /// One sample's step; returns the dry signal's share.
    #[inline]
    pub(super) fn step(&mut self) -> f64 {
        if self.target {
            self.mix = (self.mix + self.step).min(1.0);
        } else {
            self.mix = (self.mix - self.step).max(0.0);
        }
        smoothstep(self.mix)
    }
}

/// The fade around a switch of the limits: the output fades out, the latency changes, the
/// output fades back in.
#[derive(Debug, Clone, Copy)]
pub(super) struct LimitsFade {
    /// Whether the oversampled limits are in the signal path now.
    pub(super) on: bool,
    /// The fade's gain (1 = none).
    pub(super) gain: f64,
    step: f64,
}

impl LimitsFade {
    /// Limits out, no fade, fading over `fade_s` at `sample_rate_hz`.
    pub(super) fn new(sample_rate_hz: f64, fade_s: f64) -> Self {
        LimitsFade {
            on: false,
            gain: 1.0,
            step: 1.0 / (fade_s * sample_rate_hz).max(1.0),
        }
    }

    /// Whether the next step, toward limits `wanted`, is the switch itself.
    pub(super) fn switch_due(&self, wanted: bool) -> bool {
        wanted != self.on && self.gain - self.step <= 0.0
    }

    /// One sample's step toward limits `wanted`; true when the output has faded out and the
    /// switch must happen now (the caller switches and sets `on`).
    #[inline]
    pub(super) fn step(&mut self, wanted: bool) -> bool {
        if wanted != self.on {
            self.gain -= self.step;
            if self.gain <= 0.0 {
                self.gain = 0.0;
                return true;
            }
        } else if self.gain < 1.0 {
            self.gain = (self.gain + self.step).min(1.0);
        }
        false
    }

    /// The output's gain now.
    #[inline]
    pub(super) fn out_gain(&self) -> f64 {
        smoothstep(self.gain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glides_reach_their_targets_and_limits_move_at_most_a_factor_e_per_glide_time() {
        let rate = 48_000.0;
        let mut g = Glides::new(rate, 0.01, 0.005);
        g.step(0.5, 2.0, NO_LIMIT);
        // From "no limit" the rail may fall by at most e per 5 ms: 1/240 neper per sample.
        let fell = (NO_LIMIT / g.rail_now).ln();
        assert!((fell - 1.0 / 240.0).abs() < 1e-12, "{fell}");
        for _ in 0..48_000 {
            g.step(0.5, 2.0, NO_LIMIT);
        }
        assert_eq!((g.volume, g.rail_now, g.imax_now), (0.5, 2.0, NO_LIMIT));
        assert!(!g.unlimited(2.0, NO_LIMIT));
        assert_eq!(
            g.emf_limit(0.0, 1.0 / 0.5, 1.0),
            1.0,
            "rails above full scale"
        );
        assert_eq!(
            g.emf_limit(0.0, 1.0 / 4.0, 1.0),
            0.5,
            "rails at half full scale"
        );
        assert_eq!(g.emf_limit(1.5, 1.0, 1.0), 0.5, "sagged by 1.5");
        assert_eq!(
            g.emf_limit(5.0, 1.0, 1.0),
            0.02,
            "the floor keeps the limit positive"
        );
    }

    #[test]
    fn noise_repeats_after_a_reset_and_adds_nothing_when_silent() {
        let spec = crate::physics::output::NoiseSpec {
            level_vrms: 1e-3,
            a_weighted: false,
            flicker_corner_hz: 0.0,
        };
        let coefs = crate::dsp::noise::NoiseCoefs::new(&spec, 48_000.0, 1.0);
        let mut n = Noise::new();
        let mut silent = [0.25; 64];
        n.add(0, &mut silent, &[1.0; 64]);
        assert!(silent.iter().all(|&v| v == 0.25));
        n.coefs = StageNoise {
            pre: coefs,
            post: coefs,
        };
        let mut first = [0.0; 64];
        n.add(1, &mut first, &[2.0; 64]);
        assert!(peak(&first) > 0.0);
        n.reset();
        let mut again = [0.0; 64];
        n.add(1, &mut again, &[2.0; 64]);
        assert_eq!(first, again);
    }

    #[test]
    fn the_sag_follows_the_mean_current_a_block_late() {
        let mut s = SupplySag::new(48_000.0, 0.05);
        s.push(0, &[2.0; MAX_BLOCK], 2);
        // Two channels summing to 2: a mean of 1, times π/2, approached with the time constant.
        let settled = std::f64::consts::FRAC_PI_2;
        let expected = settled * (1.0 - (1.0 - s.coef).powi(MAX_BLOCK as i32));
        assert!((s.current_at(MAX_BLOCK - 1) / expected - 1.0).abs() < 1e-12);
        assert_eq!(s.current_at(MAX_BLOCK), s.current_at(0), "the ring wraps");
        s.reset();
        assert_eq!(s.current_at(7), 0.0);
    }

    #[test]
    fn the_clamp_delays_what_it_does_not_touch_and_cuts_what_is_over() {
        let clip = ClipOversampler::new(48_000.0);
        let lat = clip.latency_samples();
        let mut c = Clamp::new(&clip, 1, 1024);
        assert_eq!(c.latency_samples(), lat);
        let x: Vec<f64> = (0..MAX_BLOCK)
            .map(|k| 0.3 * (k as f64 * 0.05).sin())
            .collect();
        let mut y = x.clone();
        let mut acted = [true; MAX_BLOCK];
        c.clamp_in_place(0, 0, &mut y, &[1.0; MAX_BLOCK], &mut acted);
        assert!(acted.iter().all(|a| !a));
        assert_eq!(&y[lat..], &x[..MAX_BLOCK - lat]);
        assert!(y[..lat].iter().all(|&v| v == 0.0));
        let mut loud: Vec<f64> = x.iter().map(|v| v * 3.0).collect();
        c.clamp_in_place(0, MAX_BLOCK, &mut loud, &[0.5; MAX_BLOCK], &mut acted);
        assert!(acted.iter().any(|&a| a));
        c.reset();
        assert!(c.delay[0].iter().all(|&v| v == 0.0));
    }

    #[test]
    fn the_bypass_ramps_smoothly_and_settles() {
        let mut b = BypassRamp::new(48_000.0, 0.01);
        assert!(b.is_off());
        b.set(true, false);
        let ramp: Vec<f64> = (0..480).map(|_| b.step()).collect();
        assert_eq!(*ramp.last().unwrap(), 1.0);
        assert!(ramp.windows(2).all(|w| w[1] >= w[0]));
        // Smoothstep: the first step is far smaller than a linear ramp's.
        assert!(ramp[0] < 1e-4);
        b.set(false, true);
        assert!(b.is_off());
    }

    #[test]
    fn the_limits_fade_out_switch_and_fade_back_in() {
        let mut f = LimitsFade::new(48_000.0, 0.005);
        let mut steps = 0;
        while !f.step(true) {
            steps += 1;
            assert!(steps < 1000);
        }
        // 240 steps of 1/240 from 1 may leave a rounding residue above zero: one step more.
        assert!(
            (240..=241).contains(&steps),
            "fades out over 240 samples: {steps}"
        );
        assert_eq!(f.out_gain(), 0.0);
        f.on = true;
        assert!(!f.switch_due(true));
        for _ in 0..240 {
            assert!(!f.step(true));
        }
        assert_eq!(f.out_gain(), 1.0);
    }
}
