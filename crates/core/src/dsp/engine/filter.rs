//! The load filters: a bank of parallel second-order sections and an FIR part per channel,
//! and a design with its voltage, current and impedance responses on those banks.

use super::super::design::{Denominator, FilterDesign, MAX_FIR, MAX_SECTIONS, Response};
use super::{FLUSH_BELOW, MAX_CHANNELS};
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
pub(super) struct LoadFilter {
    pub(super) design: FilterDesign,
    main: Bank,
    impedance: Bank,
}

impl LoadFilter {
    pub(super) fn new(design: FilterDesign) -> Self {
        LoadFilter {
            design,
            main: Bank::ZERO,
            impedance: Bank::ZERO,
        }
    }

    /// Feeds EMF `e`, returns the voltage at the headphone and the current into it.
    #[inline]
    pub(super) fn voltage_and_current(&mut self, ch: usize, e: f64) -> (f64, f64) {
        let d = &self.design;
        self.main
            .tick_pair(ch, e, &d.poles[..d.n_sections], &d.voltage, &d.current)
    }

    /// Feeds the current the limiter removed, returns the voltage that goes with it.
    #[inline]
    pub(super) fn removed_voltage(&mut self, ch: usize, removed_current: f64) -> f64 {
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
    pub(super) fn impedance_at_rest(&self, ch: usize) -> bool {
        let st = &self.impedance.state[ch];
        st.w1
            .iter()
            .chain(&st.w2)
            .chain(&st.fir_buf)
            .all(|&v| v == 0.0)
    }

    pub(super) fn tick(&mut self, ch: usize, e: f64) -> f64 {
        let d = &self.design;
        self.main.tick(ch, e, &d.poles[..d.n_sections], &d.voltage)
    }

    pub(super) fn reset(&mut self) {
        self.main = Bank::ZERO;
        self.impedance = Bank::ZERO;
    }

    /// Clears the impedance bank alone: with no current limit nothing is removed, and a limit
    /// switched on later starts from rest rather than from an old tail.
    pub(super) fn clear_impedance(&mut self) {
        self.impedance = Bank::ZERO;
    }

    pub(super) fn flush_subnormals(&mut self) {
        self.main.flush_subnormals();
        self.impedance.flush_subnormals();
    }
}

/// The load filters over a run: the voltage for each EMF sample in `e` and, when asked, the
/// current; with `fb`, crossfaded toward it by `g_new`.
#[inline]
pub(super) fn run_filters(
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
