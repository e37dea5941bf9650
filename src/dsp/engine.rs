//! The real-time engine: runs a design per channel and crossfades to new designs.
//!
//! Nothing here allocates after `Engine::new`.

use super::design::{FilterDesign, MAX_FIR, MAX_SECTIONS};

/// Most channels the engine processes.
pub const MAX_CHANNELS: usize = 2;
/// Length of the crossfade to a new design, seconds.
pub const CROSSFADE_S: f64 = 0.02;
/// Length of the bypass ramp, seconds.
pub const BYPASS_RAMP_S: f64 = 0.01;
/// How much recent input a new design is run over before it is faded in, seconds: its
/// slow poles then start near their steady state instead of from zero.
pub const WARMUP_S: f64 = 0.05;
/// States smaller than this are flushed to zero so that silence never turns subnormal.
const FLUSH_BELOW: f64 = 1e-30;

/// One channel's filter state.
#[derive(Clone, Copy)]
struct ChannelState {
    s1: [f64; MAX_SECTIONS],
    s2: [f64; MAX_SECTIONS],
    /// Input history, written twice so that the last `MAX_FIR` inputs are contiguous.
    fir_buf: [f64; 2 * MAX_FIR],
    fir_pos: usize,
}

impl ChannelState {
    const ZERO: ChannelState = ChannelState {
        s1: [0.0; MAX_SECTIONS],
        s2: [0.0; MAX_SECTIONS],
        fir_buf: [0.0; 2 * MAX_FIR],
        fir_pos: 0,
    };
}

/// A design with its per-channel state.
#[derive(Clone, Copy)]
struct LoadFilter {
    design: FilterDesign,
    state: [ChannelState; MAX_CHANNELS],
}

impl LoadFilter {
    fn new(design: FilterDesign) -> Self {
        LoadFilter {
            design,
            state: [ChannelState::ZERO; MAX_CHANNELS],
        }
    }

    fn reset(&mut self) {
        self.state = [ChannelState::ZERO; MAX_CHANNELS];
    }

    #[inline]
    fn tick(&mut self, ch: usize, x: f64) -> f64 {
        let d = &self.design;
        let st = &mut self.state[ch];
        st.fir_pos = if st.fir_pos == 0 {
            MAX_FIR - 1
        } else {
            st.fir_pos - 1
        };
        st.fir_buf[st.fir_pos] = x;
        st.fir_buf[st.fir_pos + MAX_FIR] = x;
        let hist = &st.fir_buf[st.fir_pos..st.fir_pos + d.n_fir];
        let mut y: f64 = hist.iter().zip(&d.fir[..d.n_fir]).map(|(a, b)| a * b).sum();
        for (k, s) in d.sections[..d.n_sections].iter().enumerate() {
            // Transposed direct form II.
            let yk = s.b0 * x + st.s1[k];
            st.s1[k] = s.b1 * x - s.a1 * yk + st.s2[k];
            st.s2[k] = -s.a2 * yk;
            y += yk;
        }
        y
    }

    fn flush_subnormals(&mut self) {
        for st in self.state.iter_mut() {
            for v in st
                .s1
                .iter_mut()
                .chain(st.s2.iter_mut())
                .chain(st.fir_buf.iter_mut())
            {
                if v.abs() < FLUSH_BELOW {
                    *v = 0.0;
                }
            }
        }
    }
}

/// Two filters, a crossfade between them, the input history and the bypass ramp.
pub struct Engine {
    channels: usize,
    filters: [LoadFilter; 2],
    active: usize,
    /// Samples left in the crossfade toward `1 - active`; 0 when none runs.
    xfade_left: usize,
    xfade_len: usize,
    pending: Option<FilterDesign>,
    history: Vec<Vec<f64>>,
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
}

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
            history: vec![vec![0.0; hist_len]; channels],
            hist_mask: hist_len - 1,
            hist_pos: 0,
            warmup_len,
            bypass_target: false,
            bypass_mix: 0.0,
            bypass_step: 1.0 / (BYPASS_RAMP_S * fs).max(1.0),
            fresh: true,
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
    /// once when no audio has passed since the last reset).
    pub fn install(&mut self, design: FilterDesign) {
        if self.fresh {
            self.set_design_now(design);
        } else {
            self.pending = Some(design);
        }
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
        for h in self.history.iter_mut() {
            h.fill(0.0);
        }
        if let Some(d) = self.pending.take() {
            self.set_design_now(d);
        } else if self.xfade_left > 0 {
            self.active = 1 - self.active;
            self.xfade_left = 0;
        }
        self.bypass_mix = if self.bypass_target { 1.0 } else { 0.0 };
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
                let x = self.history[ch][(self.hist_pos.wrapping_sub(k)) & self.hist_mask];
                self.filters[incoming].tick(ch, x);
            }
        }
        self.xfade_left = self.xfade_len;
    }

    /// Processes `channels` buffers of equal length in place.
    pub fn process(&mut self, buffers: &mut [&mut [f32]]) {
        let n = buffers.first().map_or(0, |b| b.len());
        let chans = self.channels.min(buffers.len());
        if n > 0 {
            self.fresh = false;
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
            let lat_active = self.filters[self.active].design.latency_samples;
            let lat_incoming = self.filters[1 - self.active].design.latency_samples;
            for (ch, buf) in buffers.iter_mut().enumerate().take(chans) {
                let raw = buf[i] as f64;
                let x = if raw.is_finite() { raw } else { 0.0 };
                let h = &mut self.history[ch];
                h[self.hist_pos] = x;
                let mut y = self.filters[self.active].tick(ch, x);
                if self.xfade_left > 0 {
                    let y_new = self.filters[1 - self.active].tick(ch, x);
                    y += (y_new - y) * g_new;
                }
                if self.bypass_mix > 0.0 {
                    // The dry path keeps the reported latency, so bypass stays aligned; during a
                    // crossfade between latencies it fades between the two delays as well.
                    let mut dry = h[self.hist_pos.wrapping_sub(lat_active) & self.hist_mask];
                    if self.xfade_left > 0 {
                        let dry_new = h[self.hist_pos.wrapping_sub(lat_incoming) & self.hist_mask];
                        dry += (dry_new - dry) * g_new;
                    }
                    y += (dry - y) * smoothstep(self.bypass_mix);
                }
                buf[i] = y as f32;
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
    fn non_finite_input_gives_finite_output() {
        let mut e = Engine::new(1, FilterDesign::identity(48_000.0, 3));
        let mut b = vec![f32::NAN, f32::INFINITY, 1.0, f32::NEG_INFINITY, 0.5];
        e.process(&mut [&mut b]);
        assert!(b.iter().all(|v| v.is_finite()));
    }
}
