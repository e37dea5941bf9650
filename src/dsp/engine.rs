//! The real-time engine: the output stage and the load, per channel, with crossfades to new
//! designs. Nothing here allocates after `Engine::new`.
//!
//! Per sample, in units where the full-scale EMF at the current volume is 1 (so that an ideal
//! output gives the input back): the converter clips at full scale, the noise is added, the
//! EMF clips at the rails, and the current limiter reduces the EMF until the load current
//! stays within `I_max`; the load filter then sees exactly that EMF, so its state stays
//! consistent. The filter's sections are in direct form II: their states depend on the poles
//! and the input only, so the voltage and current responses share them.

use super::design::{Denominator, FilterDesign, MAX_FIR, MAX_SECTIONS, Response};
use super::noise::{NoiseCoefs, NoiseState};

/// Most channels the engine processes.
pub const MAX_CHANNELS: usize = 2;
/// Length of the crossfade to a new design, seconds.
pub const CROSSFADE_S: f64 = 0.02;
/// Length of the bypass ramp, seconds.
pub const BYPASS_RAMP_S: f64 = 0.01;
/// How much recent input a new design is run over before it is faded in, seconds: its
/// slow poles then start near their steady state instead of from zero.
pub const WARMUP_S: f64 = 0.05;
/// A limit glides by at most a factor e in this time, seconds.
pub const LIMIT_GLIDE_S: f64 = 0.005;
/// Time constant of the volume smoothing, seconds.
pub const VOLUME_SMOOTHING_S: f64 = 0.01;
/// States smaller than this are flushed to zero so that silence never turns subnormal.
const FLUSH_BELOW: f64 = 1e-30;

/// The output stage's figures the engine needs, relative to the full-scale EMF at maximum
/// volume (`V_fs`). Set per block; the volume is smoothed inside the engine.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StageSettings {
    /// Volume control as a gain (1 = maximum).
    pub volume_gain: f64,
    /// Whether the converter clips at full scale (on whenever the output's limits are).
    pub full_scale_clip: bool,
    /// `V_rail / V_fs` (`INFINITY` = no rail limit).
    pub rail_over_fs: f64,
    /// `I_max / V_fs`, amps per volt (`INFINITY` = no current limit).
    pub imax_over_fs: f64,
    /// Whether the output's noise is heard.
    pub noise_on: bool,
}

impl StageSettings {
    /// A transparent output stage: unlimited and silent.
    pub const TRANSPARENT: StageSettings = StageSettings {
        volume_gain: 1.0,
        full_scale_clip: false,
        rail_over_fs: f64::INFINITY,
        imax_over_fs: f64::INFINITY,
        noise_on: false,
    };
}

/// The output's noise sources at the engine's rate, in units of `V_fs`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StageNoise {
    /// Before the volume control: in `V_fs` units it does not depend on the volume.
    pub pre: NoiseCoefs,
    /// After the volume control: scaled by `1/volume` in `V_fs·volume` units.
    pub post: NoiseCoefs,
}

impl StageNoise {
    /// No noise.
    pub const SILENT: StageNoise = StageNoise {
        pre: NoiseCoefs::SILENT,
        post: NoiseCoefs::SILENT,
    };
}

/// One channel's filter state.
#[derive(Clone, Copy)]
struct ChannelState {
    w1: [f64; MAX_SECTIONS],
    w2: [f64; MAX_SECTIONS],
    /// This sample's pole-state part, `−a1·w1 − a2·w2`, before the input is known (kept
    /// here rather than in a per-sample array that would be cleared every sample).
    s: [f64; MAX_SECTIONS],
    /// EMF history, written twice so that the last `MAX_FIR` samples are contiguous.
    fir_buf: [f64; 2 * MAX_FIR],
    fir_pos: usize,
}

impl ChannelState {
    /// Pushes `x` into the input history and returns response `r`'s FIR part.
    #[inline]
    fn push_fir(&mut self, x: f64, r: &Response) -> f64 {
        self.fir_pos = if self.fir_pos == 0 {
            MAX_FIR - 1
        } else {
            self.fir_pos - 1
        };
        self.fir_buf[self.fir_pos] = x;
        self.fir_buf[self.fir_pos + MAX_FIR] = x;
        let hist = &self.fir_buf[self.fir_pos..self.fir_pos + r.n_fir];
        hist.iter().zip(&r.fir[..r.n_fir]).map(|(a, b)| a * b).sum()
    }

    const ZERO: ChannelState = ChannelState {
        w1: [0.0; MAX_SECTIONS],
        w2: [0.0; MAX_SECTIONS],
        s: [0.0; MAX_SECTIONS],
        fir_buf: [0.0; 2 * MAX_FIR],
        fir_pos: 0,
    };
}

/// A bank of parallel sections in direct form II and an FIR part, per channel. Its state
/// depends on the poles and the input only, so any numerators can read it.
#[derive(Clone, Copy)]
struct Bank {
    state: [ChannelState; MAX_CHANNELS],
}

impl Bank {
    const ZERO: Bank = Bank {
        state: [ChannelState::ZERO; MAX_CHANNELS],
    };

    /// Computes this sample's pole-state part; call before `history_part` and `commit`.
    #[inline]
    fn prepare(&mut self, ch: usize, poles: &[Denominator]) {
        let st = &mut self.state[ch];
        for (k, d) in poles.iter().enumerate() {
            st.s[k] = -d.a1 * st.w1[k] - d.a2 * st.w2[k];
        }
    }

    /// Response `r` at this sample, split as `g0·x + h`: returns `h` (the past's part).
    #[inline]
    fn history_part(&self, ch: usize, r: &Response, n: usize) -> f64 {
        let st = &self.state[ch];
        let iir: f64 = (0..n)
            .map(|k| r.num[k].0 * st.s[k] + r.num[k].1 * st.w1[k])
            .sum();
        // Before the push, fir_buf[fir_pos + m − 1] holds x[n − m].
        let fir: f64 = (1..r.n_fir)
            .map(|m| r.fir[m] * st.fir_buf[st.fir_pos + m - 1])
            .sum();
        iir + fir
    }

    /// Feeds `x`, returns response `r`'s output.
    #[inline]
    fn commit(&mut self, ch: usize, x: f64, r: &Response, n: usize) -> f64 {
        let st = &mut self.state[ch];
        let mut y = st.push_fir(x, r);
        for k in 0..n {
            let w0 = x + st.s[k];
            y += r.num[k].0 * w0 + r.num[k].1 * st.w1[k];
            st.w2[k] = st.w1[k];
            st.w1[k] = w0;
        }
        y
    }

    /// `prepare` and `commit` in one pass over the sections, for when nothing needs this
    /// sample's state before the input is known.
    #[inline]
    fn tick(&mut self, ch: usize, x: f64, poles: &[Denominator], r: &Response) -> f64 {
        let st = &mut self.state[ch];
        let mut y = st.push_fir(x, r);
        for (k, d) in poles.iter().enumerate() {
            let w0 = x - d.a1 * st.w1[k] - d.a2 * st.w2[k];
            y += r.num[k].0 * w0 + r.num[k].1 * st.w1[k];
            st.w2[k] = st.w1[k];
            st.w1[k] = w0;
        }
        y
    }

    fn flush_subnormals(&mut self) {
        for st in self.state.iter_mut() {
            for v in st
                .w1
                .iter_mut()
                .chain(st.w2.iter_mut())
                .chain(st.fir_buf.iter_mut())
            {
                if v.abs() < FLUSH_BELOW {
                    *v = 0.0;
                }
            }
        }
    }
}

/// A design with its per-channel state: the main bank (on the poles of `T`: voltage and
/// current) and the impedance bank (on the headphone's poles).
#[derive(Clone, Copy)]
struct LoadFilter {
    design: FilterDesign,
    /// The current response's instantaneous gain (siemens).
    current_g0: f64,
    main: Bank,
    impedance: Bank,
}

impl LoadFilter {
    fn new(design: FilterDesign) -> Self {
        let c = &design.current;
        let g0 = c.fir[0] + c.num[..design.n_sections].iter().map(|n| n.0).sum::<f64>();
        LoadFilter {
            design,
            current_g0: g0,
            main: Bank::ZERO,
            impedance: Bank::ZERO,
        }
    }

    #[inline]
    fn prepare(&mut self, ch: usize) {
        self.main
            .prepare(ch, &self.design.poles[..self.design.n_sections]);
    }

    /// The load current for EMF `e` at this sample is `g0·e + h`; returns `(g0, h)`.
    #[inline]
    fn current(&self, ch: usize) -> (f64, f64) {
        (
            self.current_g0,
            self.main
                .history_part(ch, &self.design.current, self.design.n_sections),
        )
    }

    /// Feeds EMF `e`, returns the voltage at the headphone.
    #[inline]
    fn commit(&mut self, ch: usize, e: f64) -> f64 {
        self.main
            .commit(ch, e, &self.design.voltage, self.design.n_sections)
    }

    /// Feeds the current the limiter removed, returns the voltage that goes with it.
    #[inline]
    fn removed_voltage(&mut self, ch: usize, removed_current: f64) -> f64 {
        let d = &self.design;
        self.impedance
            .prepare(ch, &d.impedance_poles[..d.n_impedance_sections]);
        self.impedance
            .commit(ch, removed_current, &d.impedance, d.n_impedance_sections)
    }

    fn tick(&mut self, ch: usize, e: f64) -> f64 {
        let d = &self.design;
        self.main.tick(ch, e, &d.poles[..d.n_sections], &d.voltage)
    }

    fn reset(&mut self) {
        self.main = Bank::ZERO;
        self.impedance = Bank::ZERO;
    }

    fn flush_subnormals(&mut self) {
        self.main.flush_subnormals();
        self.impedance.flush_subnormals();
    }
}

/// Two filters, a crossfade between them, the output stage, the input history and the bypass.
pub struct Engine {
    channels: usize,
    filters: [LoadFilter; 2],
    active: usize,
    /// Samples left in the crossfade toward `1 - active`; 0 when none runs.
    xfade_left: usize,
    xfade_len: usize,
    pending: Option<FilterDesign>,
    /// Raw input history (the bypass's dry path).
    input_hist: Vec<Vec<f64>>,
    /// EMF history (what the filters saw; new designs warm up on it).
    emf_hist: Vec<Vec<f64>>,
    hist_mask: usize,
    hist_pos: usize,
    warmup_len: usize,
    bypass_target: bool,
    /// 0 = processed, 1 = bypassed.
    bypass_mix: f64,
    bypass_step: f64,
    /// True until audio has been processed since creation or the last reset: a new design
    /// then applies at once, as there is no past signal to fade from.
    fresh: bool,
    stage: StageSettings,
    noise: StageNoise,
    noise_state: [[NoiseState; 2]; MAX_CHANNELS],
    volume: f64,
    volume_coef: f64,
    /// `V_rail / V_fs` and `I_max / V_fs` as heard now: they glide to the settings (in the log
    /// domain, with the volume's time constant), so that a limit moved across a signal does
    /// not cut it from one sample to the next. "No limit" glides to `NO_LIMIT`.
    rail_now: f64,
    imax_now: f64,
    /// Fastest glide of a limit, nepers per sample (a factor e per `LIMIT_GLIDE_S`).
    glide_max_step: f64,
    /// Samples whose EMF the rails or the current limit changed, since the last read.
    clipped_samples: u64,
}

/// Seeds of the noise generators: per channel and source, fixed so renders repeat.
const NOISE_SEEDS: [[u64; 2]; MAX_CHANNELS] =
    [[0x1234_5678, 0x9ABC_DEF0], [0x0FED_CBA9, 0x8765_4321]];

impl Engine {
    /// Allocates an engine for `channels` channels at the design's sample rate.
    pub fn new(channels: usize, design: FilterDesign) -> Self {
        assert!((1..=MAX_CHANNELS).contains(&channels));
        let fs = design.sample_rate_hz;
        let warmup_len = (WARMUP_S * fs).ceil() as usize;
        let hist_len = (warmup_len + MAX_FIR).next_power_of_two();
        Engine {
            channels,
            filters: [LoadFilter::new(design), LoadFilter::new(design)],
            active: 0,
            xfade_left: 0,
            xfade_len: ((CROSSFADE_S * fs).ceil() as usize).max(1),
            pending: None,
            input_hist: vec![vec![0.0; hist_len]; channels],
            emf_hist: vec![vec![0.0; hist_len]; channels],
            hist_mask: hist_len - 1,
            hist_pos: 0,
            warmup_len,
            bypass_target: false,
            bypass_mix: 0.0,
            bypass_step: 1.0 / (BYPASS_RAMP_S * fs).max(1.0),
            fresh: true,
            stage: StageSettings::TRANSPARENT,
            noise: StageNoise::SILENT,
            noise_state: NOISE_SEEDS.map(|s| s.map(NoiseState::new)),
            volume: 1.0,
            volume_coef: 1.0 - (-1.0 / (VOLUME_SMOOTHING_S * fs)).exp(),
            rail_now: NO_LIMIT,
            imax_now: NO_LIMIT,
            glide_max_step: 1.0 / (LIMIT_GLIDE_S * fs),
            clipped_samples: 0,
        }
    }

    /// The design heard now (or being faded to).
    pub fn current_design(&self) -> &FilterDesign {
        match (&self.pending, self.xfade_left) {
            (Some(d), _) => d,
            (None, 0) => &self.filters[self.active].design,
            (None, _) => &self.filters[1 - self.active].design,
        }
    }

    /// Replaces the design at once, without a crossfade (for activation and tests).
    pub fn set_design_now(&mut self, design: FilterDesign) {
        self.filters[self.active] = LoadFilter::new(design);
        self.xfade_left = 0;
        self.pending = None;
    }

    /// Queues a new design; it is warmed up on recent input and crossfaded in (or applied at
    /// once when no audio has passed since the last reset). The design already heard (a
    /// volume-only change brings it again) is not faded to.
    pub fn install(&mut self, design: FilterDesign) {
        if design == *self.current_design() {
            return;
        }
        if self.fresh {
            self.set_design_now(design);
        } else {
            self.pending = Some(design);
        }
    }

    /// Sets the output stage for the coming samples (the volume glides; the rest applies
    /// from the next sample).
    pub fn set_stage(&mut self, stage: StageSettings) {
        self.stage = stage;
        if self.fresh {
            self.volume = stage.volume_gain;
            self.rail_now = limit_target(stage.rail_over_fs);
            self.imax_now = limit_target(stage.imax_over_fs);
        }
    }

    /// Sets the output's noise sources.
    pub fn set_noise(&mut self, noise: StageNoise) {
        self.noise = noise;
    }

    /// Samples (per channel) that the converter's full scale, the rails or the current limit
    /// changed since the last call (for clip indicators and tests).
    pub fn take_clipped_samples(&mut self) -> u64 {
        std::mem::take(&mut self.clipped_samples)
    }

    /// Requests bypass on or off: ramped while audio runs, at once before the first sample
    /// after a reset (hosts deliver parameter changes with the first block).
    pub fn set_bypass(&mut self, bypass: bool) {
        self.bypass_target = bypass;
        if self.fresh {
            self.bypass_mix = if bypass { 1.0 } else { 0.0 };
        }
    }

    /// Clears every state (host reset).
    pub fn reset(&mut self) {
        for f in self.filters.iter_mut() {
            f.reset();
        }
        for h in self.input_hist.iter_mut().chain(self.emf_hist.iter_mut()) {
            h.fill(0.0);
        }
        if let Some(d) = self.pending.take() {
            self.set_design_now(d);
        } else if self.xfade_left > 0 {
            self.active = 1 - self.active;
            self.xfade_left = 0;
        }
        self.noise_state = NOISE_SEEDS.map(|s| s.map(NoiseState::new));
        self.bypass_mix = if self.bypass_target { 1.0 } else { 0.0 };
        self.volume = self.stage.volume_gain;
        self.rail_now = limit_target(self.stage.rail_over_fs);
        self.imax_now = limit_target(self.stage.imax_over_fs);
        self.fresh = true;
    }

    fn start_pending(&mut self) {
        let Some(design) = self.pending.take() else {
            return;
        };
        let incoming = 1 - self.active;
        self.filters[incoming] = LoadFilter::new(design);
        let n = self.warmup_len.min(self.hist_mask);
        for ch in 0..self.channels {
            for k in (1..=n).rev() {
                let e = self.emf_hist[ch][(self.hist_pos.wrapping_sub(k)) & self.hist_mask];
                self.filters[incoming].tick(ch, e);
            }
        }
        self.xfade_left = self.xfade_len;
    }

    /// The common case, channel by channel: one design, no fade, no bypass, no limits but
    /// the converter's full scale, no noise. Sample for sample the same as the general path.
    fn process_steady(
        &mut self,
        buffers: &mut [&mut [f32]],
        n: usize,
        chans: usize,
        full_scale_clip: bool,
    ) {
        let filter = &mut self.filters[self.active];
        let mask = self.hist_mask;
        for (ch, buf) in buffers.iter_mut().enumerate().take(chans) {
            let (input_hist, emf_hist) = (&mut self.input_hist[ch], &mut self.emf_hist[ch]);
            let mut pos = self.hist_pos;
            for v in buf[..n].iter_mut() {
                let raw = *v as f64;
                let x = if raw.is_finite() { raw } else { 0.0 };
                input_hist[pos] = x;
                let e = if full_scale_clip {
                    x.clamp(-1.0, 1.0)
                } else {
                    x
                };
                if e != x {
                    self.clipped_samples += 1;
                }
                emf_hist[pos] = e;
                let y = filter.tick(ch, e);
                *v = if y.abs() < f32::MIN_POSITIVE as f64 {
                    0.0
                } else {
                    y as f32
                };
                pos = (pos + 1) & mask;
            }
        }
        self.hist_pos = (self.hist_pos + n) & mask;
        for f in self.filters.iter_mut() {
            f.flush_subnormals();
        }
    }

    /// Processes `channels` buffers of equal length in place.
    pub fn process(&mut self, buffers: &mut [&mut [f32]]) {
        let n = buffers.first().map_or(0, |b| b.len());
        let chans = self.channels.min(buffers.len());
        if n > 0 {
            self.fresh = false;
        }
        let stage = self.stage;
        let rail_target = limit_target(stage.rail_over_fs);
        let imax_target = limit_target(stage.imax_over_fs);
        if self.imax_now >= NO_LIMIT && imax_target >= NO_LIMIT {
            // Without a current limit nothing is removed; a limit switched on later starts
            // from rest rather than from an old tail.
            for f in self.filters.iter_mut() {
                f.impedance = Bank::ZERO;
            }
        }
        let steady = self.pending.is_none()
            && self.xfade_left == 0
            && self.bypass_mix == 0.0
            && !self.bypass_target
            && !stage.noise_on
            && rail_target >= NO_LIMIT
            && self.rail_now >= NO_LIMIT
            && imax_target >= NO_LIMIT
            && self.imax_now >= NO_LIMIT;
        if steady {
            self.process_steady(buffers, n, chans, stage.full_scale_clip);
            return;
        }
        for i in 0..n {
            if self.xfade_left == 0 && self.pending.is_some() {
                self.start_pending();
            }
            let g_new = if self.xfade_left > 0 {
                smoothstep(1.0 - self.xfade_left as f64 / self.xfade_len as f64)
            } else {
                0.0
            };
            if self.bypass_target {
                self.bypass_mix = (self.bypass_mix + self.bypass_step).min(1.0);
            } else {
                self.bypass_mix = (self.bypass_mix - self.bypass_step).max(0.0);
            }
            if self.volume != stage.volume_gain {
                self.volume += (stage.volume_gain - self.volume) * self.volume_coef;
                if (self.volume / stage.volume_gain - 1.0).abs() < 1e-9 {
                    self.volume = stage.volume_gain;
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
            let inv_volume = 1.0 / self.volume;
            let rail = if self.rail_now >= NO_LIMIT {
                f64::INFINITY
            } else {
                self.rail_now * inv_volume
            };
            let imax = self.imax_now * inv_volume;
            let current_limited = self.imax_now < NO_LIMIT;
            let lat_active = self.filters[self.active].design.latency_samples;
            let lat_incoming = self.filters[1 - self.active].design.latency_samples;
            for (ch, buf) in buffers.iter_mut().enumerate().take(chans) {
                let raw = buf[i] as f64;
                let x = if raw.is_finite() { raw } else { 0.0 };
                self.input_hist[ch][self.hist_pos] = x;

                let mut e = if stage.full_scale_clip {
                    x.clamp(-1.0, 1.0)
                } else {
                    x
                };
                if stage.noise_on {
                    let [pre, post] = &mut self.noise_state[ch];
                    e += pre.next(&self.noise.pre) + post.next(&self.noise.post) * inv_volume;
                }
                let full_scale_clipped = stage.full_scale_clip && x.abs() > 1.0;
                let unclipped = e;
                e = e.clamp(-rail, rail);
                let mut clipped = full_scale_clipped || e != unclipped;
                let [f0, f1] = &mut self.filters;
                let (fa, fb) = if self.active == 0 { (f0, f1) } else { (f1, f0) };
                let fading = self.xfade_left > 0;
                let mut y;
                if current_limited {
                    // The stage clamps its current, and since the load is linear the voltage
                    // is T·e plus Z_hp times the current clamped away.
                    fa.prepare(ch);
                    let (g0, h) = fa.current(ch);
                    let mut i_load = g0 * e + h;
                    if fading {
                        fb.prepare(ch);
                        let (g0b, hb) = fb.current(ch);
                        i_load += (g0b * e + hb - i_load) * g_new;
                    }
                    let removed = i_load.clamp(-imax, imax) - i_load;
                    clipped |= removed != 0.0;
                    y = fa.commit(ch, e) + fa.removed_voltage(ch, removed);
                    if fading {
                        let y_new = fb.commit(ch, e) + fb.removed_voltage(ch, removed);
                        y += (y_new - y) * g_new;
                    }
                } else {
                    y = fa.tick(ch, e);
                    if fading {
                        y += (fb.tick(ch, e) - y) * g_new;
                    }
                }
                if clipped {
                    self.clipped_samples += 1;
                }
                self.emf_hist[ch][self.hist_pos] = e;
                if self.bypass_mix > 0.0 {
                    // The dry path keeps the reported latency, so bypass stays aligned; during a
                    // crossfade between latencies it fades between the two delays as well.
                    let h = &self.input_hist[ch];
                    let mut dry = h[self.hist_pos.wrapping_sub(lat_active) & self.hist_mask];
                    if self.xfade_left > 0 {
                        let dry_new = h[self.hist_pos.wrapping_sub(lat_incoming) & self.hist_mask];
                        dry += (dry_new - dry) * g_new;
                    }
                    y += (dry - y) * smoothstep(self.bypass_mix);
                }
                // Tails below f32's normal range leave as zero, never as subnormals.
                buf[i] = if y.abs() < f32::MIN_POSITIVE as f64 {
                    0.0
                } else {
                    y as f32
                };
            }
            self.hist_pos = (self.hist_pos + 1) & self.hist_mask;
            if self.xfade_left > 0 {
                self.xfade_left -= 1;
                if self.xfade_left == 0 {
                    self.active = 1 - self.active;
                }
            }
        }
        for f in self.filters.iter_mut() {
            f.flush_subnormals();
        }
    }
}

/// A limit this high (in full-scale units) counts as none: far above any signal, and where
/// limits glide to and from when switched.
const NO_LIMIT: f64 = 1e6;

/// The glide target for a limit setting (`INFINITY` = none).
fn limit_target(limit: f64) -> f64 {
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
fn smoothstep(t: f64) -> f64 {
    t * t * (3.0 - 2.0 * t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_passes_input_and_bypass_is_exact() {
        let mut e = Engine::new(2, FilterDesign::identity(48_000.0, 0));
        let mut l: Vec<f32> = (0..256).map(|i| (i as f32 * 0.1).sin()).collect();
        let mut r = l.clone();
        let orig = l.clone();
        e.process(&mut [&mut l, &mut r]);
        assert_eq!(l, orig);
        assert_eq!(r, orig);
    }

    #[test]
    fn installing_the_design_already_heard_starts_no_fade() {
        let design = |r_out_ohm| {
            let src = crate::physics::source::TheveninSource {
                r_out_ohm,
                coupling_cap_f: None,
            };
            let load = &crate::physics::headphones::builtin()[0].load;
            crate::dsp::design::design(
                &src,
                load,
                48_000.0,
                crate::dsp::design::DesignMode::ZeroLatency,
            )
            .unwrap()
        };
        let d = design(47.0);
        let mut e = Engine::new(1, d);
        let mut block = vec![0.25f32; 256];
        e.process(&mut [&mut block]);
        e.install(d);
        assert!(e.pending.is_none() && e.xfade_left == 0);
        e.install(design(10.0));
        assert!(e.pending.is_some(), "a different design is faded to");
    }

    #[test]
    fn non_finite_input_gives_finite_output() {
        let mut e = Engine::new(1, FilterDesign::identity(48_000.0, 3));
        let mut b = vec![f32::NAN, f32::INFINITY, 1.0, f32::NEG_INFINITY, 0.5];
        e.process(&mut [&mut b]);
        assert!(b.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn rails_clip_the_emf_in_full_scale_units_at_the_volume() {
        // Rails at half of full scale; at −6.02 dB volume they sit at full scale.
        let mut e = Engine::new(1, FilterDesign::identity(48_000.0, 0));
        e.set_stage(StageSettings {
            rail_over_fs: 0.5,
            ..StageSettings::TRANSPARENT
        });
        let mut b = vec![0.8f32, -0.8, 0.3];
        e.process(&mut [&mut b]);
        assert_eq!(b, vec![0.5, -0.5, 0.3]);
        assert_eq!(e.take_clipped_samples(), 2);
        let mut e = Engine::new(1, FilterDesign::identity(48_000.0, 0));
        e.set_stage(StageSettings {
            rail_over_fs: 0.5,
            volume_gain: 0.5,
            ..StageSettings::TRANSPARENT
        });
        let mut b = vec![0.8f32, -0.8, 0.3];
        e.process(&mut [&mut b]);
        assert_eq!(b, vec![0.8, -0.8, 0.3]);
    }
}
