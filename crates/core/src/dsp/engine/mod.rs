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

mod filter;
mod stages;

use super::design::{FilterDesign, MAX_FIR};
use super::noise::NoiseCoefs;
use super::oversample::{ClipOversampler, MAX_BLOCK};
use crate::physics::output::OutputStage;
use crate::units::db_to_gain;
use filter::{LoadFilter, run_filters};
use stages::{
    BypassRamp, Clamp, Glides, LimitsFade, NO_LIMIT, Noise, SupplySag, limit_target, peak,
    smoothstep,
};

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
    /// Where a chain's source stage clips, as a fraction of full scale
    /// (`OutputStage::source_clip_fs`; 1 for a single output); acts with `limits`.
    pub source_clip_fs: f64,
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
        source_clip_fs: 1.0,
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
            source_clip_fs: stage.source_clip_fs,
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
    bypass: BypassRamp,
    /// True until audio has been processed since creation or the last reset: a new design
    /// then applies at once, as there is no past signal to fade from.
    fresh: bool,
    stage: StageSettings,
    noise: Noise,
    glides: Glides,
    sag: SupplySag,
    /// Samples whose EMF the rails or the current limit changed, since the last read.
    clipped_samples: u64,
    /// Whether the oversampled limits are in the signal path now (the setting is
    /// `stage.limits`; a change waits for the output to fade out), and the fade around it.
    limits: LimitsFade,
    /// The EMF clamp (full scale and rails); its delay holds the unclipped EMF.
    emf_clamp: Clamp,
    /// The current clamp; its delay holds the load voltage of the unclipped current.
    current_clamp: Clamp,
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

/// The control lanes of one run of the general path: up to `MAX_BLOCK` samples over which
/// the structure is fixed, computed once for every channel.
struct Run {
    len: usize,
    /// The incoming design's share while `fading`.
    g_new: [f64; MAX_BLOCK],
    /// The dry signal's share (the bypass).
    dry_mix: [f64; MAX_BLOCK],
    /// The fade around a switch of the limits.
    out_gain: [f64; MAX_BLOCK],
    /// `1 / volume`.
    inv_volume: [f64; MAX_BLOCK],
    /// Where the EMF clips, `V_fs·volume` units.
    emf_limit: [f64; MAX_BLOCK],
    /// The current limit, `I / (V_fs·volume)`.
    imax: [f64; MAX_BLOCK],
    /// Whether a current limit is set in this run.
    current_limited: bool,
    /// Whether two designs are crossfaded.
    fading: bool,
    /// Whether the crossfade ends with this run.
    swap_after: bool,
}

impl Run {
    const EMPTY: Run = Run {
        len: 0,
        g_new: [0.0; MAX_BLOCK],
        dry_mix: [0.0; MAX_BLOCK],
        out_gain: [1.0; MAX_BLOCK],
        inv_volume: [1.0; MAX_BLOCK],
        emf_limit: [f64::INFINITY; MAX_BLOCK],
        imax: [f64::INFINITY; MAX_BLOCK],
        current_limited: false,
        fading: false,
        swap_after: false,
    };
}

/// Per-channel outputs of the clamps: where each acted.
struct Acted {
    emf: [bool; MAX_BLOCK],
    current: [bool; MAX_BLOCK],
}

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
            bypass: BypassRamp::new(fs, BYPASS_RAMP_S),
            fresh: true,
            stage: StageSettings::TRANSPARENT,
            noise: Noise::new(),
            glides: Glides::new(fs, VOLUME_SMOOTHING_S, LIMIT_GLIDE_S),
            sag: SupplySag::new(fs, SUPPLY_SAG_S),
            clipped_samples: 0,
            limits: LimitsFade::new(fs, LIMITS_SWITCH_FADE_S),
            emf_clamp: Clamp::new(&clip, channels, hist_len),
            current_clamp: Clamp::new(&clip, channels, hist_len),
            metering: false,
            meter: MeterPeaks::default(),
        }
    }

    /// Latency the engine adds to the design's, samples: the clamps' while the limits are on.
    pub fn limits_latency_samples(&self) -> usize {
        if self.limits.on {
            2 * self.emf_clamp.latency_samples()
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
        self.limits.on = on;
        let lat = self.emf_clamp.latency_samples();
        let offset = if on { lat } else { 0 };
        let mask = self.hist_mask;
        let n = self.warmup_len.min(mask + 1 - 2 * lat - 1);
        let pos = self.hist_pos;
        let filter = &mut self.filters[self.active];
        filter.reset();
        self.emf_clamp.reset_clamps();
        self.current_clamp.reset_clamps();
        for ch in 0..self.channels {
            // Oldest first, a run at a time: `back` counts back from `pos`.
            let mut back = n;
            while back > 0 {
                let len = back.min(MAX_BLOCK);
                let (mut x, mut v) = ([0.0; MAX_BLOCK], [0.0; MAX_BLOCK]);
                for (j, x) in x[..len].iter_mut().enumerate() {
                    *x = self.input_hist[ch][pos.wrapping_sub(back - j + offset) & mask];
                }
                filter.run(ch, &x[..len], &mut v[..len], None);
                for j in 0..len {
                    let at = pos.wrapping_sub(back - j) & mask;
                    self.emf_hist[ch][at] = x[j];
                    self.current_clamp.delay[ch][at] = v[j];
                    self.emf_clamp.delay[ch][at] = self.input_hist[ch][at];
                }
                back -= len;
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
            if stage.limits != self.limits.on {
                self.switch_limits(stage.limits);
            }
            self.glides.settle(stage.volume_gain, stage.limit_targets());
        }
    }

    /// Sets the output's noise sources.
    pub fn set_noise(&mut self, noise: StageNoise) {
        self.noise.coefs = noise;
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
        self.bypass.set(bypass, self.fresh);
    }

    /// Clears every state (host reset).
    pub fn reset(&mut self) {
        for f in self.filters.iter_mut() {
            f.reset();
        }
        for h in self.input_hist.iter_mut().chain(self.emf_hist.iter_mut()) {
            h.fill(0.0);
        }
        self.emf_clamp.reset();
        self.current_clamp.reset();
        self.limits.on = self.stage.limits;
        self.limits.gain = 1.0;
        if let Some(d) = self.pending.take() {
            self.set_design_now(d);
        } else if self.xfade_left > 0 {
            self.active = 1 - self.active;
            self.xfade_left = 0;
        }
        self.noise.reset();
        self.bypass.settle();
        self.glides
            .settle(self.stage.volume_gain, self.stage.limit_targets());
        self.sag.reset();
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
            let mut back = n;
            while back > 0 {
                let len = back.min(MAX_BLOCK);
                let (mut e, mut unused) = ([0.0; MAX_BLOCK], [0.0; MAX_BLOCK]);
                for (j, e) in e[..len].iter_mut().enumerate() {
                    *e = self.emf_hist[ch][self.hist_pos.wrapping_sub(back - j) & self.hist_mask];
                }
                self.filters[incoming].run(ch, &e[..len], &mut unused[..len], None);
                // The supply's banks settle too; nothing is added to any drive here.
                self.filters[incoming].add_supply_currents(
                    ch,
                    &e[..len],
                    (&[0.0; MAX_BLOCK][..len], 0.0),
                    &mut unused[..len],
                );
                back -= len;
            }
        }
        self.xfade_left = self.xfade_len;
    }

    /// The common case, channel by channel: one design, no fade, no bypass, no limits, no
    /// noise. Sample for sample the same as the general path (tested below).
    fn process_steady(&mut self, buffers: &mut [&mut [f32]], n: usize, chans: usize) {
        let filter = &mut self.filters[self.active];
        let mask = self.hist_mask;
        for (ch, buf) in buffers.iter_mut().enumerate().take(chans) {
            let (input_hist, emf_hist) = (&mut self.input_hist[ch], &mut self.emf_hist[ch]);
            let mut pos = self.hist_pos;
            for run in buf[..n].chunks_mut(MAX_BLOCK) {
                let (mut x, mut y) = ([0.0; MAX_BLOCK], [0.0; MAX_BLOCK]);
                for (x, v) in x.iter_mut().zip(run.iter()) {
                    *x = finite_or_zero(*v);
                    input_hist[pos] = *x;
                    emf_hist[pos] = *x;
                    pos = (pos + 1) & mask;
                }
                let len = run.len();
                filter.run(ch, &x[..len], &mut y[..len], None);
                for (v, y) in run.iter_mut().zip(&y) {
                    *v = to_f32_flushed(*y);
                }
            }
        }
        self.hist_pos = (self.hist_pos + n) & mask;
        for f in self.filters.iter_mut() {
            f.flush_subnormals();
        }
    }

    /// Whether nothing but the load filter acts: one design, no fade, no bypass, no limits
    /// (nor on their way), no noise, no meters.
    fn is_steady(&self, rail_target: f64, imax_target: f64) -> bool {
        self.pending.is_none()
            && !self.metering
            && !self.limits.on
            && !self.stage.limits
            && self.limits.gain == 1.0
            && self.xfade_left == 0
            && self.bypass.is_off()
            && !self.stage.noise_on
            && self.glides.unlimited(rail_target, imax_target)
    }

    /// Processes `channels` buffers of equal length in place.
    pub fn process(&mut self, buffers: &mut [&mut [f32]]) {
        let n = buffers.first().map_or(0, |b| b.len());
        let chans = self.channels.min(buffers.len());
        if n > 0 {
            self.fresh = false;
        }
        let (rail_target, imax_target) = self.stage.limit_targets();
        if self.glides.imax_now >= NO_LIMIT && imax_target >= NO_LIMIT {
            for f in self.filters.iter_mut() {
                f.clear_impedance();
            }
            self.current_clamp.rest();
        }
        if self.is_steady(rail_target, imax_target) {
            self.process_steady(buffers, n, chans);
            return;
        }
        self.process_runs(buffers, n, chans, rail_target, imax_target);
    }

    /// The general path, in runs of up to `MAX_BLOCK` samples over which the structure is
    /// fixed (which filters, whether they fade, whether the limits are in): the control lanes
    /// first ([`Engine::next_run`]), then each channel through the stages
    /// ([`Engine::run_channel`]), then the supply's sag from the channels' currents.
    fn process_runs(
        &mut self,
        buffers: &mut [&mut [f32]],
        n: usize,
        chans: usize,
        rail_target: f64,
        imax_target: f64,
    ) {
        let sagging = self.stage.limits && self.stage.r_sag_ohm > 0.0 && rail_target < NO_LIMIT;
        if !sagging {
            self.sag.reset();
        }
        let mut start = 0;
        while start < n {
            let run = self.next_run(n - start, rail_target, imax_target);
            let len = run.len;
            // Per sample, the channels' summed current magnitude as `I / V_fs`.
            let mut sag_drive = [0.0; MAX_BLOCK];
            for (ch, buffer) in buffers.iter_mut().enumerate().take(chans) {
                let drive = sagging.then_some(&mut sag_drive[..len]);
                self.run_channel(ch, &mut buffer[start..start + len], &run, drive);
            }
            if sagging {
                self.sag.push(self.hist_pos, &sag_drive[..len], chans);
            }
            self.hist_pos = (self.hist_pos + len) & self.hist_mask;
            if run.swap_after {
                self.active = 1 - self.active;
            }
            start += len;
        }
        for f in self.filters.iter_mut() {
            f.flush_subnormals();
        }
    }

    /// The control lanes of the next run (at most `left` samples): it ends where a fade or
    /// the limits' switch begins, or a fade completes.
    fn next_run(&mut self, left: usize, rail_target: f64, imax_target: f64) -> Run {
        let wanted = self.stage.limits;
        let mut run = Run::EMPTY;
        while run.len < left && run.len < MAX_BLOCK {
            let fade_due = self.xfade_left == 0 && self.pending.is_some();
            if run.len > 0 && (self.limits.switch_due(wanted) || fade_due) {
                break;
            }
            if self.limits.step(wanted) {
                self.switch_limits(wanted);
            }
            if fade_due {
                self.start_pending();
            }
            if run.len == 0 {
                run.fading = self.xfade_left > 0;
            }
            self.control_sample(&mut run, rail_target, imax_target);
            run.len += 1;
            if self.xfade_left > 0 {
                self.xfade_left -= 1;
                if self.xfade_left == 0 {
                    run.swap_after = true;
                    break;
                }
            }
        }
        run
    }

    /// One sample of the control lanes, at `run.len`.
    #[inline]
    fn control_sample(&mut self, run: &mut Run, rail_target: f64, imax_target: f64) {
        let k = run.len;
        if run.fading {
            run.g_new[k] = smoothstep(1.0 - self.xfade_left as f64 / self.xfade_len as f64);
        }
        run.dry_mix[k] = self.bypass.step();
        self.glides
            .step(self.stage.volume_gain, rail_target, imax_target);
        let inv = 1.0 / self.glides.volume;
        run.inv_volume[k] = inv;
        // The supply is slow: the current one block ago sets the sag.
        let sag_v = self.stage.r_sag_ohm * self.sag.current_at(self.hist_pos + k);
        run.emf_limit[k] = self.glides.emf_limit(sag_v, inv, self.stage.source_clip_fs);
        if self.glides.imax_now < NO_LIMIT {
            run.imax[k] = self.glides.imax_now * inv;
            run.current_limited = true;
        }
        run.out_gain[k] = self.limits.out_gain();
    }

    /// Channel `ch`'s run through the stages: input, noise, EMF clamp, load filters, current
    /// clamp, dry mix and output. With `sag_drive`, adds the channel's current magnitude to it.
    fn run_channel(
        &mut self,
        ch: usize,
        buf: &mut [f32],
        run: &Run,
        sag_drive: Option<&mut [f64]>,
    ) {
        let len = run.len;
        let limits = self.limits.on;
        let current_limited = limits && run.current_limited;
        let mut e = [0.0; MAX_BLOCK];
        self.read_input(ch, buf, &mut e[..len]);
        if limits {
            // A converter's samples end at its full scale: a float input beyond it (a hot bus
            // in a DAW) is clipped there digitally, before anything analogue. The oversampled
            // clamp then meets only what lies near full scale, where its band-limited residual
            // is exact; thousands of times over it, that residual's tiny error would pass
            // through as sound.
            for x in &mut e[..len] {
                *x = x.clamp(-1.0, 1.0);
            }
        }
        if self.stage.noise_on {
            self.noise.add(ch, &mut e[..len], &run.inv_volume[..len]);
        }
        if self.metering {
            self.meter.emf = self.meter.emf.max(peak(&e[..len]));
        }
        let mut acted = Acted {
            emf: [false; MAX_BLOCK],
            current: [false; MAX_BLOCK],
        };
        if limits {
            self.emf_clamp.clamp_in_place(
                ch,
                self.hist_pos,
                &mut e[..len],
                &run.emf_limit,
                &mut acted.emf[..len],
            );
        }
        let need_current = current_limited || self.metering || sag_drive.is_some();
        let mut voltage = [0.0; MAX_BLOCK];
        let mut current = [0.0; MAX_BLOCK];
        self.load_filters(ch, &e[..len], run, need_current, &mut voltage, &mut current);
        if self.metering {
            self.meter.current = self.meter.current.max(peak(&current[..len]));
        }
        if let Some(drive) = sag_drive {
            for ((d, i), inv) in drive.iter_mut().zip(&current).zip(&run.inv_volume) {
                *d += i.abs() / inv;
            }
            // The other outputs on the supply, through the design heard now (a fade's
            // incoming design takes over when it completes; the sag is slow beside it).
            let mut volume = [0.0; MAX_BLOCK];
            for (v, inv) in volume[..len].iter_mut().zip(&run.inv_volume) {
                *v = 1.0 / inv;
            }
            let cap = self.stage.imax_over_fs;
            self.filters[self.active].add_supply_currents(
                ch,
                &e[..len],
                (&volume[..len], cap),
                drive,
            );
        }
        let mask = self.hist_mask;
        for (k, v) in e[..len].iter().enumerate() {
            self.emf_hist[ch][(self.hist_pos + k) & mask] = *v;
        }
        if limits {
            self.current_clamp
                .delay_in_place(ch, self.hist_pos, &mut voltage[..len]);
        }
        if current_limited {
            self.clamp_current(
                ch,
                &current[..len],
                &mut voltage[..len],
                run,
                &mut acted.current,
            );
        }
        self.write_output(ch, buf, &voltage[..len], &acted, run);
    }

    /// Channel `ch`'s input into `e` and the input history (non-finite samples as zeros).
    #[inline]
    fn read_input(&mut self, ch: usize, buf: &[f32], e: &mut [f64]) {
        let mask = self.hist_mask;
        for (k, (v, x)) in buf.iter().zip(e.iter_mut()).enumerate() {
            *x = finite_or_zero(*v);
            self.input_hist[ch][(self.hist_pos + k) & mask] = *x;
        }
    }

    /// The load filters (crossfaded while `run.fading`) over channel `ch`'s EMF `e`: the load
    /// voltage and, when `need_current`, the current.
    #[inline]
    fn load_filters(
        &mut self,
        ch: usize,
        e: &[f64],
        run: &Run,
        need_current: bool,
        voltage: &mut [f64; MAX_BLOCK],
        current: &mut [f64; MAX_BLOCK],
    ) {
        let len = e.len();
        let [f0, f1] = &mut self.filters;
        let (fa, fb) = if self.active == 0 { (f0, f1) } else { (f1, f0) };
        run_filters(
            fa,
            run.fading.then_some(fb),
            ch,
            e,
            &run.g_new[..len],
            need_current.then_some(&mut current[..len]),
            &mut voltage[..len],
        );
    }

    /// The current clamp on channel `ch`: the stage clamps its current, and since the load is
    /// linear the voltage is T·e plus Z_hp times the current clamped away.
    fn clamp_current(
        &mut self,
        ch: usize,
        current: &[f64],
        voltage: &mut [f64],
        run: &Run,
        acted: &mut [bool; MAX_BLOCK],
    ) {
        let len = current.len();
        let mut removed = [0.0; MAX_BLOCK];
        self.current_clamp.residual(
            ch,
            current,
            &run.imax,
            &mut removed[..len],
            &mut acted[..len],
        );
        let [f0, f1] = &mut self.filters;
        let (fa, fb) = if self.active == 0 { (f0, f1) } else { (f1, f0) };
        let nothing_removed = removed[..len].iter().all(|&r| r == 0.0);
        let at_rest = fa.impedance_at_rest(ch) && (!run.fading || fb.impedance_at_rest(ch));
        if nothing_removed && at_rest {
            return;
        }
        let (mut vr, mut vr_new) = ([0.0; MAX_BLOCK], [0.0; MAX_BLOCK]);
        fa.removed_voltage(ch, &removed[..len], &mut vr[..len]);
        if run.fading {
            fb.removed_voltage(ch, &removed[..len], &mut vr_new[..len]);
            for ((vr, new), g) in vr[..len].iter_mut().zip(&vr_new).zip(&run.g_new) {
                *vr += (new - *vr) * g;
            }
        }
        for (v, vr) in voltage.iter_mut().zip(&vr) {
            *v += vr;
        }
    }

    /// Channel `ch`'s output: the load voltage, mixed with the dry input while bypassing, faded
    /// around a switch of the limits; counts the samples a clamp acted on.
    fn write_output(
        &mut self,
        ch: usize,
        buf: &mut [f32],
        voltage: &[f64],
        acted: &Acted,
        run: &Run,
    ) {
        let len = run.len;
        let mask = self.hist_mask;
        let clip_lat = self.limits_latency_samples() / 2;
        let lat_active = self.filters[self.active].design.latency_samples + 2 * clip_lat;
        let lat_incoming = self.filters[1 - self.active].design.latency_samples + 2 * clip_lat;
        let any_dry = run.dry_mix[..len].iter().any(|&d| d > 0.0);
        for (k, out) in buf.iter_mut().enumerate() {
            if acted.emf[k] || acted.current[k] {
                self.clipped_samples += 1;
            }
            let mut y = voltage[k];
            if any_dry && run.dry_mix[k] > 0.0 {
                // The dry path keeps the reported latency, so bypass stays aligned; during a
                // crossfade between latencies it fades between the two delays.
                let at = (self.hist_pos + k) & mask;
                let h = &self.input_hist[ch];
                let mut dry = h[at.wrapping_sub(lat_active) & mask];
                if run.fading {
                    let dry_new = h[at.wrapping_sub(lat_incoming) & mask];
                    dry += (dry_new - dry) * run.g_new[k];
                }
                y += (dry - y) * run.dry_mix[k];
            }
            *out = to_f32_flushed(y * run.out_gain[k]);
        }
    }
}

/// An input sample in f64; a non-finite one (a host's NaN or infinity) as silence.
#[inline]
fn finite_or_zero(v: f32) -> f64 {
    let x = v as f64;
    if x.is_finite() { x } else { 0.0 }
}

/// An output sample in f32; tails below f32's normal range leave as zero, never as subnormals.
#[inline]
fn to_f32_flushed(y: f64) -> f32 {
    if y.abs() < f32::MIN_POSITIVE as f64 {
        0.0
    } else {
        y as f32
    }
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

    /// The steady path is the general one without the stages that do nothing: on a real
    /// design (sections and an FIR part), over blocks of every shape, the two give the same
    /// samples bit for bit. Metering forces the general path and changes nothing heard.
    #[test]
    fn the_steady_path_is_bit_identical_to_the_general_path() {
        let src = crate::physics::source::TheveninSource {
            r_out_ohm: 47.0,
            coupling_cap_f: Some(220e-6),
        };
        let load = &crate::catalog::headphone_models()[0].load;
        let mode = crate::dsp::design::DesignMode::Exact;
        let d = crate::dsp::design::design(&src, load, 48_000.0, mode).unwrap();
        assert!(
            d.n_sections > 0 && d.voltage.n_fir > 1,
            "exercises both parts"
        );
        let mut rng = crate::dsp::noise::Rng::new(7);
        let x: Vec<f32> = (0..6000)
            .map(|i| (0.6 * (i as f64 * 0.031).sin() + 0.3 * (rng.unit() - 0.5)) as f32)
            .collect();
        let run = |metering: bool| {
            let mut e = Engine::new(2, d);
            e.set_metering(metering);
            let (mut l, mut r) = (x.clone(), x.iter().map(|v| -v).collect::<Vec<_>>());
            let mut start = 0;
            for len in [1, 37, 128, 129, 300, 513, 1024].iter().cycle() {
                let end = (start + len).min(x.len());
                e.process(&mut [&mut l[start..end], &mut r[start..end]]);
                start = end;
                if start == x.len() {
                    break;
                }
            }
            assert_eq!(e.is_steady(NO_LIMIT, NO_LIMIT), !metering);
            (l, r)
        };
        let bits = |v: &[f32]| v.iter().map(|s| s.to_bits()).collect::<Vec<_>>();
        let (steady, general) = (run(false), run(true));
        assert_eq!(bits(&steady.0), bits(&general.0));
        assert_eq!(bits(&steady.1), bits(&general.1));
        assert!(
            steady.0.iter().zip(&x).any(|(y, x)| y != x),
            "the filter acts"
        );
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
