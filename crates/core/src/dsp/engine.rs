//! The real-time engine: the output stage and the load, per channel, with crossfades to new
//! designs. Nothing here allocates after `Engine::new`.
//!
//! Per sample, in units where the full-scale EMF at the current volume is 1 (so that an ideal
//! output gives the input back): the noise is added to the EMF, the EMF clips at the
//! converter's full scale and the rails, the load filter turns it into the load's current and
//! voltage, and the current clamps at `I_max` (the voltage then follows by superposition, so
//! the filter's state stays that of the real circuit). Both clamps run oversampled
//! ([`ClipOversampler`]): what they remove is band-limited and added to the signal delayed by
//! the resampler's latency, so while the limits are on the engine reports
//! `2 × ClipOversampler::latency_samples()` more latency. The filter's sections are in direct
//! form II: their states depend on the poles and the input only, so the voltage and current
//! responses share them.

use super::design::{Denominator, FilterDesign, MAX_FIR, MAX_SECTIONS, Response};
use super::noise::{NoiseCoefs, NoiseState};
use super::oversample::{ClipOversampler, MAX_BLOCK};
use crate::physics::output::OutputStage;
use crate::units::db_to_gain;

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
/// Switching the limits on or off changes the latency; the output fades out and back in
/// over this time on each side of the switch, seconds.
pub const LIMITS_SWITCH_FADE_S: f64 = 0.005;
/// Time constant of the supply's sag: the rails follow the load current's smoothed
/// magnitude, as a supply's reservoir capacitors and transformer do, seconds. Long beside a
/// bass period, so that a steady sine's rails hardly ripple.
pub const SUPPLY_SAG_S: f64 = 0.05;
// The sag's ring is indexed by masking the sample position.
const _: () = assert!(MAX_BLOCK.is_power_of_two());
/// States smaller than this are flushed to zero so that silence never turns subnormal.
const FLUSH_BELOW: f64 = 1e-30;

/// The output stage's figures the engine needs, relative to the full-scale EMF at maximum
/// volume (`V_fs`). Set per block; the volume is smoothed inside the engine.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StageSettings {
    /// Volume control as a gain (1 = maximum).
    pub volume_gain: f64,
    /// Whether the output's limits act: the converter's full scale, the rails and the
    /// current limit, oversampled (this adds latency).
    pub limits: bool,
    /// `V_rail / V_fs` (`INFINITY` = no rail limit); acts with `limits`.
    pub rail_over_fs: f64,
    /// `I_max / V_fs`, amps per volt (`INFINITY` = no current limit); acts with `limits`.
    pub imax_over_fs: f64,
    /// Supply sag, ohms (`OutputStage::r_sag_ohm`): the rails fall by this times the load
    /// current's magnitude smoothed over `SUPPLY_SAG_S`, scaled so that a steady sine gives
    /// its peak. The supply is shared, so the channels' mean current counts. Acts with
    /// `limits` on an output with rails.
    pub r_sag_ohm: f64,
    /// Whether the output's noise is heard.
    pub noise_on: bool,
}

impl StageSettings {
    /// A transparent output stage: unlimited and silent.
    pub const TRANSPARENT: StageSettings = StageSettings {
        volume_gain: 1.0,
        limits: false,
        rail_over_fs: f64::INFINITY,
        imax_over_fs: f64::INFINITY,
        r_sag_ohm: 0.0,
        noise_on: false,
    };
}

impl StageSettings {
    /// The settings for `stage` at `volume_db` (0 = maximum), with its limits and noise on or
    /// off.
    pub fn for_stage(stage: &OutputStage, volume_db: f64, limits: bool, noise_on: bool) -> Self {
        StageSettings {
            volume_gain: db_to_gain(volume_db),
            limits,
            rail_over_fs: stage.rail_v_peak / stage.v_fs_peak,
            imax_over_fs: stage.i_max_peak / stage.v_fs_peak,
            r_sag_ohm: stage.r_sag_ohm,
            noise_on,
        }
    }

    /// Where the rail and current limits glide to: `NO_LIMIT` for none or with the limits off.
    fn limit_targets(&self) -> (f64, f64) {
        if self.limits {
            (
                limit_target(self.rail_over_fs),
                limit_target(self.imax_over_fs),
            )
        } else {
            (NO_LIMIT, NO_LIMIT)
        }
    }
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

/// `Σ a[i]·b[i]` over the shorter slice, in four interleaved partial sums: one chain of
/// additions would wait on each add's latency.
#[inline]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for j in 0..4 {
            acc[j] += x[j] * y[j];
        }
    }
    let tail: f64 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// One channel's filter state.
#[derive(Clone, Copy)]
struct ChannelState {
    w1: [f64; MAX_SECTIONS],
    w2: [f64; MAX_SECTIONS],
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
        dot(
            &self.fir_buf[self.fir_pos..self.fir_pos + r.n_fir],
            &r.fir[..r.n_fir],
        )
    }

    const ZERO: ChannelState = ChannelState {
        w1: [0.0; MAX_SECTIONS],
        w2: [0.0; MAX_SECTIONS],
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

    /// Feeds `x`, returns response `r`'s output.
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

    /// Feeds `x`, returns the outputs of two responses on these poles (one pass over the
    /// sections).
    #[inline]
    fn tick_pair(
        &mut self,
        ch: usize,
        x: f64,
        poles: &[Denominator],
        a: &Response,
        b: &Response,
    ) -> (f64, f64) {
        let st = &mut self.state[ch];
        let mut ya = st.push_fir(x, a);
        let mut yb = dot(
            &st.fir_buf[st.fir_pos..st.fir_pos + b.n_fir],
            &b.fir[..b.n_fir],
        );
        for (k, d) in poles.iter().enumerate() {
            let w0 = x - d.a1 * st.w1[k] - d.a2 * st.w2[k];
            ya += a.num[k].0 * w0 + a.num[k].1 * st.w1[k];
            yb += b.num[k].0 * w0 + b.num[k].1 * st.w1[k];
            st.w2[k] = st.w1[k];
            st.w1[k] = w0;
        }
        (ya, yb)
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
    main: Bank,
    impedance: Bank,
}

impl LoadFilter {
    fn new(design: FilterDesign) -> Self {
        LoadFilter {
            design,
            main: Bank::ZERO,
            impedance: Bank::ZERO,
        }
    }

    /// Feeds EMF `e`, returns the voltage at the headphone and the current into it.
    #[inline]
    fn voltage_and_current(&mut self, ch: usize, e: f64) -> (f64, f64) {
        let d = &self.design;
        self.main
            .tick_pair(ch, e, &d.poles[..d.n_sections], &d.voltage, &d.current)
    }

    /// Feeds the current the limiter removed, returns the voltage that goes with it.
    #[inline]
    fn removed_voltage(&mut self, ch: usize, removed_current: f64) -> f64 {
        let d = &self.design;
        self.impedance.tick(
            ch,
            removed_current,
            &d.impedance_poles[..d.n_impedance_sections],
            &d.impedance,
        )
    }

    /// Whether the impedance bank of channel `ch` is at rest: fed nothing, it gives exactly
    /// nothing and stays at rest.
    fn impedance_at_rest(&self, ch: usize) -> bool {
        let st = &self.impedance.state[ch];
        st.w1
            .iter()
            .chain(&st.w2)
            .chain(&st.fir_buf)
            .all(|&v| v == 0.0)
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
    /// The load current the supply's sag follows, `I / V_fs` (amperes per volt): the
    /// channels' mean magnitude, smoothed, times π/2 (a sine's peak over its mean magnitude).
    sag_current: f64,
    /// One-pole coefficient of that smoothing (`SUPPLY_SAG_S`).
    sag_coef: f64,
    /// `sag_current` after each of the last `MAX_BLOCK` samples, by position: the rails at a
    /// sample sag by the value `MAX_BLOCK` samples before it, which every run has computed
    /// already, so that the output does not depend on how the host splits its blocks.
    sag_ring: [f64; MAX_BLOCK],
    /// Samples whose EMF the rails or the current limit changed, since the last read.
    clipped_samples: u64,
    /// Whether the oversampled limits are in the signal path now (the setting is
    /// `stage.limits`; a change waits for the output to fade out).
    limits_on: bool,
    /// Gain of the fade around a switch of the limits (1 = none).
    switch_gain: f64,
    switch_step: f64,
    /// Per channel: the EMF clamp (full scale and rails) and the current clamp.
    emf_clip: Vec<ClipOversampler>,
    current_clip: Vec<ClipOversampler>,
    /// Per channel, while the limits are on: the unclipped EMF and the load voltage of the
    /// unclipped current, kept to be delayed by the clamps' latency.
    emf_delay: Vec<Vec<f64>>,
    voltage_delay: Vec<Vec<f64>>,
    /// Whether the meters are fed (an editor is open): the current is then computed even
    /// without a current limit.
    metering: bool,
    meter: MeterPeaks,
}

/// The largest magnitudes since the meters were last read, in units of `V_fs·volume` (volts
/// for the EMF and the load voltage, amperes per volt for the current, as the limits see them).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MeterPeaks {
    /// The EMF the output stage is asked for, before any limit.
    pub emf: f64,
    /// The current the load draws, before the current limit.
    pub current: f64,
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
        let clip = ClipOversampler::new(fs);
        let hist_len = (warmup_len + MAX_FIR + 2 * clip.latency_samples() + 2).next_power_of_two();
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
            sag_current: 0.0,
            sag_coef: 1.0 - (-1.0 / (SUPPLY_SAG_S * fs)).exp(),
            sag_ring: [0.0; MAX_BLOCK],
            clipped_samples: 0,
            limits_on: false,
            switch_gain: 1.0,
            switch_step: 1.0 / (LIMITS_SWITCH_FADE_S * fs).max(1.0),
            emf_clip: vec![clip.clone(); channels],
            current_clip: vec![clip; channels],
            emf_delay: vec![vec![0.0; hist_len]; channels],
            voltage_delay: vec![vec![0.0; hist_len]; channels],
            metering: false,
            meter: MeterPeaks::default(),
        }
    }

    /// Latency the engine adds to the design's, samples: the clamps' while the limits are on.
    pub fn limits_latency_samples(&self) -> usize {
        if self.limits_on {
            2 * self.emf_clip[0].latency_samples()
        } else {
            0
        }
    }

    /// Total latency of what is heard now, samples (the design's plus the limits').
    pub fn latency_samples(&self) -> usize {
        self.current_design().latency_samples + self.limits_latency_samples()
    }

    /// Puts the limits in or out of the signal path at once. The filters restart on the recent
    /// input at the new delay so that their slow poles are not disturbed by the jump in time
    /// (the output is faded out while this happens, unless no audio has run).
    fn switch_limits(&mut self, on: bool) {
        if self.xfade_left > 0 {
            self.active = 1 - self.active;
            self.xfade_left = 0;
        }
        self.limits_on = on;
        let lat = self.emf_clip[0].latency_samples();
        let offset = if on { lat } else { 0 };
        let mask = self.hist_mask;
        let n = self.warmup_len.min(mask + 1 - 2 * lat - 1);
        let pos = self.hist_pos;
        let filter = &mut self.filters[self.active];
        filter.reset();
        for ch in 0..self.channels {
            self.emf_clip[ch].reset();
            self.current_clip[ch].reset();
            for k in (1..=n).rev() {
                let x = self.input_hist[ch][pos.wrapping_sub(k + offset) & mask];
                let v = filter.tick(ch, x);
                let at = pos.wrapping_sub(k) & mask;
                self.emf_hist[ch][at] = x;
                self.voltage_delay[ch][at] = v;
                self.emf_delay[ch][at] = self.input_hist[ch][at];
            }
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
            if stage.limits != self.limits_on {
                self.switch_limits(stage.limits);
            }
            self.volume = stage.volume_gain;
            (self.rail_now, self.imax_now) = stage.limit_targets();
        }
    }

    /// Sets the output's noise sources.
    pub fn set_noise(&mut self, noise: StageNoise) {
        self.noise = noise;
    }

    /// Samples (per channel) in which the converter's full scale, the rails or the current limit
    /// acted (at any of the oversampled instants), since the last call (for clip indicators and
    /// tests).
    pub fn take_clipped_samples(&mut self) -> u64 {
        std::mem::take(&mut self.clipped_samples)
    }

    /// Feeds the meters (or stops): while on, the general path runs even when nothing else
    /// needs it, so metering costs only while an editor shows it.
    pub fn set_metering(&mut self, on: bool) {
        self.metering = on;
    }

    /// The peaks since the last call (zero without metering).
    pub fn take_meter_peaks(&mut self) -> MeterPeaks {
        std::mem::take(&mut self.meter)
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
        for h in self
            .input_hist
            .iter_mut()
            .chain(self.emf_hist.iter_mut())
            .chain(self.emf_delay.iter_mut())
            .chain(self.voltage_delay.iter_mut())
        {
            h.fill(0.0);
        }
        for c in self.emf_clip.iter_mut().chain(self.current_clip.iter_mut()) {
            c.reset();
        }
        self.limits_on = self.stage.limits;
        self.switch_gain = 1.0;
        if let Some(d) = self.pending.take() {
            self.set_design_now(d);
        } else if self.xfade_left > 0 {
            self.active = 1 - self.active;
            self.xfade_left = 0;
        }
        self.noise_state = NOISE_SEEDS.map(|s| s.map(NoiseState::new));
        self.bypass_mix = if self.bypass_target { 1.0 } else { 0.0 };
        self.volume = self.stage.volume_gain;
        (self.rail_now, self.imax_now) = self.stage.limit_targets();
        self.sag_current = 0.0;
        self.sag_ring = [0.0; MAX_BLOCK];
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

    /// The common case, channel by channel: one design, no fade, no bypass, no limits, no
    /// noise. Sample for sample the same as the general path.
    fn process_steady(&mut self, buffers: &mut [&mut [f32]], n: usize, chans: usize) {
        let filter = &mut self.filters[self.active];
        let mask = self.hist_mask;
        for (ch, buf) in buffers.iter_mut().enumerate().take(chans) {
            let (input_hist, emf_hist) = (&mut self.input_hist[ch], &mut self.emf_hist[ch]);
            let mut pos = self.hist_pos;
            for v in buf[..n].iter_mut() {
                let raw = *v as f64;
                let x = if raw.is_finite() { raw } else { 0.0 };
                input_hist[pos] = x;
                emf_hist[pos] = x;
                let y = filter.tick(ch, x);
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
        let (rail_target, imax_target) = stage.limit_targets();
        if self.imax_now >= NO_LIMIT && imax_target >= NO_LIMIT {
            // Without a current limit nothing is removed; a limit switched on later starts
            // from rest rather than from an old tail.
            for f in self.filters.iter_mut() {
                f.impedance = Bank::ZERO;
            }
            for c in self.current_clip.iter_mut() {
                if !c.is_idle() {
                    c.reset();
                }
            }
        }
        let steady = self.pending.is_none()
            && !self.metering
            && !self.limits_on
            && !stage.limits
            && self.switch_gain == 1.0
            && self.xfade_left == 0
            && self.bypass_mix == 0.0
            && !self.bypass_target
            && !stage.noise_on
            && rail_target >= NO_LIMIT
            && self.rail_now >= NO_LIMIT
            && imax_target >= NO_LIMIT
            && self.imax_now >= NO_LIMIT;
        if steady {
            self.process_steady(buffers, n, chans);
            return;
        }
        self.process_runs(buffers, n, chans, rail_target, imax_target);
    }

    /// The general path, in runs of up to `MAX_BLOCK` samples over which the structure is
    /// fixed (which filters, whether they fade, whether the limits are in): the control values
    /// first, then per channel the EMF clamp, the load filter and the current clamp, each over
    /// the whole run (the clamps are oversampled a block at a time). A run ends where a fade
    /// or the limits' switch begins or a fade completes.
    fn process_runs(
        &mut self,
        buffers: &mut [&mut [f32]],
        n: usize,
        chans: usize,
        rail_target: f64,
        imax_target: f64,
    ) {
        let stage = self.stage;
        let mask = self.hist_mask;
        let sagging = stage.limits && stage.r_sag_ohm > 0.0 && rail_target < NO_LIMIT;
        if !sagging {
            self.sag_current = 0.0;
            self.sag_ring = [0.0; MAX_BLOCK];
        }
        let mut start = 0;
        while start < n {
            let mut g_new = [0.0; MAX_BLOCK];
            let mut dry_mix = [0.0; MAX_BLOCK];
            let mut out_gain = [1.0; MAX_BLOCK];
            let mut inv_volume = [1.0; MAX_BLOCK];
            let mut emf_limit = [f64::INFINITY; MAX_BLOCK];
            let mut imax = [f64::INFINITY; MAX_BLOCK];
            let mut current_limited = false;
            let mut fading = false;
            let mut swap_after = false;
            let mut len = 0;
            while start + len < n && len < MAX_BLOCK {
                let switch_due =
                    stage.limits != self.limits_on && self.switch_gain - self.switch_step <= 0.0;
                let fade_due = self.xfade_left == 0 && self.pending.is_some();
                if len > 0 && (switch_due || fade_due) {
                    break;
                }
                if stage.limits != self.limits_on {
                    self.switch_gain -= self.switch_step;
                    if self.switch_gain <= 0.0 {
                        self.switch_gain = 0.0;
                        self.switch_limits(stage.limits);
                    }
                } else if self.switch_gain < 1.0 {
                    self.switch_gain = (self.switch_gain + self.switch_step).min(1.0);
                }
                if fade_due {
                    self.start_pending();
                }
                if len == 0 {
                    fading = self.xfade_left > 0;
                }
                if fading {
                    g_new[len] = smoothstep(1.0 - self.xfade_left as f64 / self.xfade_len as f64);
                }
                if self.bypass_target {
                    self.bypass_mix = (self.bypass_mix + self.bypass_step).min(1.0);
                } else {
                    self.bypass_mix = (self.bypass_mix - self.bypass_step).max(0.0);
                }
                dry_mix[len] = smoothstep(self.bypass_mix);
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
                let inv = 1.0 / self.volume;
                inv_volume[len] = inv;
                // The converter clips at full scale, the rails where they are at this volume.
                emf_limit[len] = if self.rail_now >= NO_LIMIT {
                    1.0
                } else {
                    // The supply is slow: the current one block ago sets the sag. The floor
                    // only keeps the limit positive.
                    let sag =
                        stage.r_sag_ohm * self.sag_ring[(self.hist_pos + len) & (MAX_BLOCK - 1)];
                    ((self.rail_now - sag).max(0.01 * self.rail_now) * inv).min(1.0)
                };
                if self.imax_now < NO_LIMIT {
                    imax[len] = self.imax_now * inv;
                    current_limited = true;
                }
                out_gain[len] = smoothstep(self.switch_gain);
                len += 1;
                if self.xfade_left > 0 {
                    self.xfade_left -= 1;
                    if self.xfade_left == 0 {
                        swap_after = true;
                        break;
                    }
                }
            }
            let limits = self.limits_on;
            let current_limited = limits && current_limited;
            let clip_lat = self.limits_latency_samples() / 2;
            let lat_active = self.filters[self.active].design.latency_samples + 2 * clip_lat;
            let lat_incoming = self.filters[1 - self.active].design.latency_samples + 2 * clip_lat;
            let any_dry = dry_mix[..len].iter().any(|&d| d > 0.0);
            // Per sample, the channels' summed current magnitude as `I / V_fs`.
            let mut sag_drive = [0.0; MAX_BLOCK];
            for (ch, buffer) in buffers.iter_mut().enumerate().take(chans) {
                let buf = &mut buffer[start..start + len];
                let pos = |k: usize| (self.hist_pos + k) & mask;
                let mut e = [0.0; MAX_BLOCK];
                for (k, v) in buf.iter().enumerate() {
                    let raw = *v as f64;
                    let x = if raw.is_finite() { raw } else { 0.0 };
                    self.input_hist[ch][pos(k)] = x;
                    e[k] = x;
                }
                if stage.noise_on {
                    let [pre, post] = &mut self.noise_state[ch];
                    // The volume moves little over a run: the two sources run as one.
                    if let Some(c) = self.noise.pre.combined(&self.noise.post, inv_volume[0]) {
                        for v in e[..len].iter_mut() {
                            *v += pre.next(&c);
                        }
                    } else {
                        for (v, inv) in e[..len].iter_mut().zip(&inv_volume) {
                            *v += pre.next(&self.noise.pre) + post.next(&self.noise.post) * inv;
                        }
                    }
                }
                if self.metering {
                    let peak = e[..len].iter().fold(0.0f64, |m, v| m.max(v.abs()));
                    self.meter.emf = self.meter.emf.max(peak);
                }
                let mut acted_emf = [false; MAX_BLOCK];
                let mut acted_current = [false; MAX_BLOCK];
                if limits {
                    let mut removed = [0.0; MAX_BLOCK];
                    self.emf_clip[ch].process(
                        &e[..len],
                        &emf_limit[..len],
                        &mut removed[..len],
                        &mut acted_emf[..len],
                    );
                    delay_through(
                        &mut self.emf_delay[ch],
                        self.hist_pos,
                        clip_lat,
                        &mut e[..len],
                    );
                    for (v, r) in e[..len].iter_mut().zip(&removed) {
                        *v += r;
                    }
                }
                let [f0, f1] = &mut self.filters;
                let (fa, fb) = if self.active == 0 { (f0, f1) } else { (f1, f0) };
                let mut voltage = [0.0; MAX_BLOCK];
                let mut current = [0.0; MAX_BLOCK];
                run_filters(
                    fa,
                    fading.then_some(fb),
                    ch,
                    &e[..len],
                    &g_new[..len],
                    (current_limited || self.metering || sagging).then_some(&mut current[..len]),
                    &mut voltage[..len],
                );
                if self.metering {
                    let peak = current[..len].iter().fold(0.0f64, |m, v| m.max(v.abs()));
                    self.meter.current = self.meter.current.max(peak);
                }
                if sagging {
                    for ((d, i), inv) in sag_drive[..len].iter_mut().zip(&current).zip(&inv_volume)
                    {
                        *d += i.abs() / inv;
                    }
                }
                for (k, v) in e[..len].iter().enumerate() {
                    self.emf_hist[ch][pos(k)] = *v;
                }
                if limits {
                    delay_through(
                        &mut self.voltage_delay[ch],
                        self.hist_pos,
                        clip_lat,
                        &mut voltage[..len],
                    );
                }
                if current_limited {
                    // The stage clamps its current, and since the load is linear the voltage
                    // is T·e plus Z_hp times the current clamped away.
                    let mut removed = [0.0; MAX_BLOCK];
                    self.current_clip[ch].process(
                        &current[..len],
                        &imax[..len],
                        &mut removed[..len],
                        &mut acted_current[..len],
                    );
                    let nothing_removed = removed[..len].iter().all(|&r| r == 0.0);
                    let at_rest = fa.impedance_at_rest(ch) && (!fading || fb.impedance_at_rest(ch));
                    for k in 0..len {
                        if nothing_removed && at_rest {
                            break;
                        }
                        let mut vr = fa.removed_voltage(ch, removed[k]);
                        if fading {
                            vr += (fb.removed_voltage(ch, removed[k]) - vr) * g_new[k];
                        }
                        voltage[k] += vr;
                    }
                }
                for (k, out) in buf.iter_mut().enumerate() {
                    if acted_emf[k] || acted_current[k] {
                        self.clipped_samples += 1;
                    }
                    let mut y = voltage[k];
                    if any_dry && dry_mix[k] > 0.0 {
                        // The dry path keeps the reported latency, so bypass stays aligned;
                        // during a crossfade between latencies it fades between the two delays.
                        let h = &self.input_hist[ch];
                        let mut dry = h[pos(k).wrapping_sub(lat_active) & mask];
                        if fading {
                            let dry_new = h[pos(k).wrapping_sub(lat_incoming) & mask];
                            dry += (dry_new - dry) * g_new[k];
                        }
                        y += (dry - y) * dry_mix[k];
                    }
                    y *= out_gain[k];
                    // Tails below f32's normal range leave as zero, never as subnormals.
                    *out = if y.abs() < f32::MIN_POSITIVE as f64 {
                        0.0
                    } else {
                        y as f32
                    };
                }
            }
            if sagging {
                let scale = std::f64::consts::FRAC_PI_2 / chans as f64;
                for (k, d) in sag_drive[..len].iter().enumerate() {
                    self.sag_current += (d * scale - self.sag_current) * self.sag_coef;
                    self.sag_ring[(self.hist_pos + k) & (MAX_BLOCK - 1)] = self.sag_current;
                }
            }
            self.hist_pos = (self.hist_pos + len) & mask;
            if swap_after {
                self.active = 1 - self.active;
            }
            start += len;
        }
        for f in self.filters.iter_mut() {
            f.flush_subnormals();
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

/// The load filters over a run: the voltage for each EMF sample in `e` and, when asked, the
/// current; with `fb`, crossfaded toward it by `g_new`.
#[inline]
fn run_filters(
    fa: &mut LoadFilter,
    mut fb: Option<&mut LoadFilter>,
    ch: usize,
    e: &[f64],
    g_new: &[f64],
    current: Option<&mut [f64]>,
    voltage: &mut [f64],
) {
    match current {
        Some(current) => {
            for k in 0..e.len() {
                let (mut v, mut i) = fa.voltage_and_current(ch, e[k]);
                if let Some(fb) = fb.as_deref_mut() {
                    let (vb, ib) = fb.voltage_and_current(ch, e[k]);
                    v += (vb - v) * g_new[k];
                    i += (ib - i) * g_new[k];
                }
                voltage[k] = v;
                current[k] = i;
            }
        }
        None => {
            for k in 0..e.len() {
                let mut v = fa.tick(ch, e[k]);
                if let Some(fb) = fb.as_deref_mut() {
                    v += (fb.tick(ch, e[k]) - v) * g_new[k];
                }
                voltage[k] = v;
            }
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
    fn meters_see_the_emf_and_the_current_the_load_draws() {
        // 10 Ω into 30 Ω resistive: the current is e / 40 Ω, in A per full-scale volt.
        let src = crate::physics::source::TheveninSource {
            r_out_ohm: 10.0,
            coupling_cap_f: None,
        };
        let load = crate::physics::impedance::Load::R(30.0);
        let d = crate::dsp::design::design(
            &src,
            &load,
            48_000.0,
            crate::dsp::design::DesignMode::Exact,
        )
        .unwrap();
        let mut e = Engine::new(1, d);
        let mut x: Vec<f32> = (0..4800)
            .map(|i| 0.5 * (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / 48_000.0).sin())
            .collect();
        let dry = x.clone();
        e.process(&mut [&mut x.clone()]);
        assert_eq!(
            e.take_meter_peaks(),
            MeterPeaks::default(),
            "off until asked"
        );
        e.reset();
        e.set_metering(true);
        e.process(&mut [&mut x]);
        let m = e.take_meter_peaks();
        assert!((m.emf - 0.5).abs() < 1e-4, "{m:?}");
        // Within the design's own accuracy (0.05 dB is 0.6 %).
        assert!((m.current * 40.0 / 0.5 - 1.0).abs() < 0.006, "{m:?}");
        // The output is what the steady path gives: metering changes nothing heard.
        let mut plain = Engine::new(1, d);
        let mut y = dry.clone();
        plain.process(&mut [&mut y]);
        let worst = x
            .iter()
            .zip(&y)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(worst < 1e-6, "{worst}");
        assert_eq!(e.take_meter_peaks(), MeterPeaks::default(), "taken");
    }

    #[test]
    fn installing_the_design_already_heard_starts_no_fade() {
        let design = |r_out_ohm| {
            let src = crate::physics::source::TheveninSource {
                r_out_ohm,
                coupling_cap_f: None,
            };
            let load = &crate::catalog::headphone_models()[0].load;
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
        // Rails at half of full scale: a slow sine at 0.8 is clipped at 0.5, late by the
        // limits' latency, and within the band-limiting's ripple of a hard clip.
        let rate = 48_000.0;
        let sine = |amp: f64| -> Vec<f32> {
            (0..4800)
                .map(|i| {
                    (amp * (2.0 * std::f64::consts::PI * 100.0 * i as f64 / rate).sin()) as f32
                })
                .collect()
        };
        let mut e = Engine::new(1, FilterDesign::identity(rate, 0));
        e.set_stage(StageSettings {
            limits: true,
            rail_over_fs: 0.5,
            ..StageSettings::TRANSPARENT
        });
        let lat = e.latency_samples();
        assert_eq!(lat, e.limits_latency_samples());
        assert!(lat > 0);
        let x = sine(0.8);
        let mut y = x.clone();
        e.process(&mut [&mut y]);
        let worst = (lat..x.len())
            .map(|i| (y[i] as f64 - (x[i - lat] as f64).clamp(-0.5, 0.5)).abs())
            .fold(0.0, f64::max);
        assert!(worst < 2e-3, "{worst}");
        assert!(e.take_clipped_samples() > 1000);
        // At −6.02 dB volume the rails sit at full scale: nothing clips, the input comes back
        // exactly, delayed.
        let mut e = Engine::new(1, FilterDesign::identity(rate, 0));
        e.set_stage(StageSettings {
            limits: true,
            rail_over_fs: 0.5,
            volume_gain: 0.5,
            ..StageSettings::TRANSPARENT
        });
        let x = sine(0.99);
        let mut y = x.clone();
        e.process(&mut [&mut y]);
        assert_eq!(&y[lat..], &x[..x.len() - lat]);
        assert_eq!(e.take_clipped_samples(), 0);
    }

    /// Switching the limits on while audio runs fades the output out, moves to the new
    /// latency, and fades back in: no step larger than the fade's and the sine's own, and
    /// afterwards the output is the input, delayed by the limits' latency.
    #[test]
    fn switching_the_limits_fades_and_moves_the_latency() {
        let rate = 48_000.0;
        let mut e = Engine::new(1, FilterDesign::identity(rate, 0));
        let w = 2.0 * std::f64::consts::PI * 200.0 / rate;
        let x: Vec<f32> = (0..9600)
            .map(|i| (0.5 * (w * i as f64).sin()) as f32)
            .collect();
        let mut y = x.clone();
        let (first, rest) = y.split_at_mut(2400);
        e.process(&mut [first]);
        assert_eq!(e.latency_samples(), 0);
        e.set_stage(StageSettings {
            limits: true,
            ..StageSettings::TRANSPARENT
        });
        for block in rest.chunks_mut(256) {
            e.process(&mut [block]);
        }
        let lat = e.latency_samples();
        assert!(lat > 0 && lat == e.limits_latency_samples());
        let fade = (LIMITS_SWITCH_FADE_S * rate) as usize;
        // It fades out: the output around the switch goes (near) silent.
        let around = &y[2400..2400 + 2 * fade + 2];
        assert!(around.iter().any(|v| v.abs() < 1e-3));
        let max_step = y
            .windows(2)
            .map(|d| (d[1] - d[0]).abs())
            .fold(0.0, f32::max) as f64;
        let bound = 0.5 * w + 0.5 * 1.5 / fade as f64;
        assert!(max_step <= bound, "{max_step} > {bound}");
        // Once faded back in, the input comes back exactly, delayed.
        let settled = 2400 + 2 * fade + 2;
        for i in settled..y.len() {
            assert_eq!(y[i], x[i - lat], "sample {i}");
        }
    }
}
