//! The load filters: a bank of parallel second-order sections and an FIR part per channel,
//! and a design with its voltage, current and impedance responses on those banks.
//!
//! The banks run a block at a time, in three passes that each vectorise: the FIR part across
//! the block's outputs, the sections' recursions with the sections side by side, and the
//! numerators across the block. Every output is computed with the same operations in the same
//! order as a sample-at-a-time evaluation would use, so the results are the same to the bit.

use super::super::design::{Denominator, FilterDesign, MAX_FIR, MAX_SECTIONS, Response};
use super::super::oversample::MAX_BLOCK;
use super::{FLUSH_BELOW, MAX_CHANNELS};
use crate::physics::supply::MAX_OTHER_OUTPUTS;

/// Samples per pass of a bank: the sections' states of a pass are kept whole for the
/// numerators, so this sets the scratch's size.
const PASS: usize = 32;
/// Sections whose recursions run side by side (a multiple of the vector width).
const LANES: usize = 4;
/// History before a pass that its FIR part reads.
const PAST: usize = MAX_FIR - 1;

// Sections are grouped by `LANES` into rows of the scratch.
const _: () = assert!(MAX_SECTIONS.is_multiple_of(LANES));

/// `y[i] = Σ_m fir[m]·x[i − m]` for the `y.len()` samples of a pass, where `x[i]` is
/// `lin[PAST + i]`. Each output keeps four partial sums over the taps (tap `m` in sum
/// `m mod 4`) and adds the taps past the last whole four one by one, as a dot product over
/// the history would; four outputs are computed at once so that the loop vectorises across
/// them.
#[inline(always)]
fn fir_pass(lin: &[f64; PAST + PASS], fir: &[f64], y: &mut [f64]) {
    // Bounds the indices below for the compiler as well.
    assert!(fir.len() <= MAX_FIR && y.len() <= PASS);
    let whole = fir.len() / 4 * 4;
    let mut i = 0;
    while i + 4 <= y.len() {
        let win: &[f64; PAST + 4] = lin[i..i + PAST + 4].try_into().unwrap();
        // acc[j][lane]: output `i + lane`'s partial sum `j`.
        let mut acc = [[0.0; 4]; 4];
        for m in (0..whole).step_by(4) {
            for (j, acc) in acc.iter_mut().enumerate() {
                let (f, at) = (fir[m + j], PAST - (m + j));
                for lane in 0..4 {
                    acc[lane] += win[at + lane] * f;
                }
            }
        }
        let mut tail = [-0.0; 4];
        for (m, &f) in fir.iter().enumerate().skip(whole) {
            for lane in 0..4 {
                tail[lane] += win[PAST - m + lane] * f;
            }
        }
        for lane in 0..4 {
            y[i + lane] =
                (acc[0][lane] + acc[1][lane]) + (acc[2][lane] + acc[3][lane]) + tail[lane];
        }
        i += 4;
    }
    for (k, y) in y.iter_mut().enumerate().skip(i) {
        let mut acc = [0.0; 4];
        for m in (0..whole).step_by(4) {
            for (j, a) in acc.iter_mut().enumerate() {
                *a += lin[PAST + k - m - j] * fir[m + j];
            }
        }
        let tail = (whole..fir.len()).fold(-0.0, |t, m| t + lin[PAST + k - m] * fir[m]);
        *y = (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail;
    }
}

/// One channel's filter state.
#[derive(Clone, Copy)]
struct ChannelState {
    w1: [f64; MAX_SECTIONS],
    w2: [f64; MAX_SECTIONS],
    /// The last `MAX_FIR` inputs, oldest first.
    hist: [f64; MAX_FIR],
}

impl ChannelState {
    const ZERO: ChannelState = ChannelState {
        w1: [0.0; MAX_SECTIONS],
        w2: [0.0; MAX_SECTIONS],
        hist: [0.0; MAX_FIR],
    };
}

/// A bank of parallel sections in direct form II and an FIR part, per channel. Its state
/// depends on the poles and the input only, so any numerators can read it.
#[derive(Clone, Copy)]
struct Bank {
    state: [ChannelState; MAX_CHANNELS],
    /// Per section, its state through the pass in progress: `rows[k][i]` is `w1` before the
    /// pass's sample `i`, `rows[k][PASS]` after its last.
    rows: [[f64; PASS + 1]; MAX_SECTIONS],
}

impl Bank {
    const ZERO: Bank = Bank {
        state: [ChannelState::ZERO; MAX_CHANNELS],
        rows: [[0.0; PASS + 1]; MAX_SECTIONS],
    };

    /// Feeds channel `ch` the samples `x` and writes response `a`'s output to `ya` and, when
    /// given, response `b`'s to `yb` (all of `x`'s length).
    fn run(
        &mut self,
        ch: usize,
        x: &[f64],
        poles: &[Denominator],
        (a, ya): (&Response, &mut [f64]),
        mut b: Option<(&Response, &mut [f64])>,
    ) {
        for (start, xs) in (0..x.len()).step_by(PASS).zip(x.chunks(PASS)) {
            let end = start + xs.len();
            let b_pass = b.as_mut().map(|(r, y)| (*r, &mut y[start..end]));
            self.pass(ch, xs, poles, (a, &mut ya[start..end]), b_pass);
        }
    }

    /// [`Bank::run`] over at most `PASS` samples, compiled for AVX2 where the CPU has it
    /// (twice the lanes of the SSE2 baseline; the arithmetic is the same).
    #[inline]
    fn pass(
        &mut self,
        ch: usize,
        x: &[f64],
        poles: &[Denominator],
        a: (&Response, &mut [f64]),
        b: Option<(&Response, &mut [f64])>,
    ) {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            unsafe { self.pass_avx2(ch, x, poles, a, b) };
            return;
        }
        self.pass_body(ch, x, poles, a, b);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn pass_avx2(
        &mut self,
        ch: usize,
        x: &[f64],
        poles: &[Denominator],
        a: (&Response, &mut [f64]),
        b: Option<(&Response, &mut [f64])>,
    ) {
        self.pass_body(ch, x, poles, a, b);
    }

    #[inline(always)]
    fn pass_body(
        &mut self,
        ch: usize,
        x: &[f64],
        poles: &[Denominator],
        (a, ya): (&Response, &mut [f64]),
        b: Option<(&Response, &mut [f64])>,
    ) {
        let n = x.len();
        let st = &mut self.state[ch];
        let mut lin = [0.0; PAST + PASS];
        lin[..PAST].copy_from_slice(&st.hist[1..]);
        lin[PAST..PAST + n].copy_from_slice(x);
        st.hist.copy_from_slice(&lin[n - 1..n - 1 + MAX_FIR]);
        let rows = &mut self.rows[..poles.len().div_ceil(LANES) * LANES];
        recurse(st, x, poles, rows);
        let rows = &self.rows[..poles.len()];
        fir_pass(&lin, &a.fir[..a.n_fir], ya);
        add_numerators(rows, &a.num[..poles.len()], ya);
        if let Some((rb, yb)) = b {
            fir_pass(&lin, &rb.fir[..rb.n_fir], yb);
            add_numerators(rows, &rb.num[..poles.len()], yb);
        }
    }

    /// Channel `ch`'s state, flushed of values too small to matter, over the `n_sections`
    /// sections in use (the rest are never written).
    fn flush_subnormals(&mut self, n_sections: usize) {
        for st in self.state.iter_mut() {
            for v in st.w1[..n_sections]
                .iter_mut()
                .chain(st.w2[..n_sections].iter_mut())
                .chain(st.hist.iter_mut())
            {
                if v.abs() < FLUSH_BELOW {
                    *v = 0.0;
                }
            }
        }
    }

    /// Whether channel `ch`'s state over `n_sections` sections is all zeros.
    fn at_rest(&self, ch: usize, n_sections: usize) -> bool {
        let st = &self.state[ch];
        st.w1[..n_sections]
            .iter()
            .chain(&st.w2[..n_sections])
            .chain(&st.hist)
            .all(|&v| v == 0.0)
    }
}

/// The sections' recursions `w0 = x − a1·w1 − a2·w2` over a pass, `LANES` sections side by
/// side, each section's states written to its row; `rows` covers whole groups of lanes (the
/// lanes past the last section compute on zero coefficients and are not kept).
#[inline(always)]
fn recurse(st: &mut ChannelState, x: &[f64], poles: &[Denominator], rows: &mut [[f64; PASS + 1]]) {
    for (g, group) in rows.chunks_exact_mut(LANES).enumerate() {
        let first = g * LANES;
        let used = (poles.len() - first).min(LANES);
        let (mut a1, mut a2) = ([0.0; LANES], [0.0; LANES]);
        let (mut w1, mut w2) = ([0.0; LANES], [0.0; LANES]);
        for j in 0..used {
            a1[j] = poles[first + j].a1;
            a2[j] = poles[first + j].a2;
            w1[j] = st.w1[first + j];
            w2[j] = st.w2[first + j];
        }
        for (j, row) in group.iter_mut().enumerate() {
            row[0] = w1[j];
        }
        for (i, &xi) in x.iter().enumerate() {
            let mut w0 = [0.0; LANES];
            for j in 0..LANES {
                w0[j] = xi - a1[j] * w1[j] - a2[j] * w2[j];
            }
            for (row, w) in group.iter_mut().zip(w0) {
                row[i + 1] = w;
            }
            w2 = w1;
            w1 = w0;
        }
        st.w1[first..first + used].copy_from_slice(&w1[..used]);
        st.w2[first..first + used].copy_from_slice(&w2[..used]);
    }
}

/// Adds each section's numerator `b0·w0 + b1·w1` to the outputs of a pass, section by section.
#[inline(always)]
fn add_numerators(rows: &[[f64; PASS + 1]], num: &[(f64, f64)], y: &mut [f64]) {
    for (row, &(b0, b1)) in rows.iter().zip(num) {
        for (i, v) in y.iter_mut().enumerate() {
            *v += b0 * row[i + 1] + b1 * row[i];
        }
    }
}

/// A design with its per-channel state: the main bank (on the poles of `T`: voltage and
/// current), the impedance bank (on the headphone's poles) and a bank per other output on the
/// supply (on its load's poles).
#[derive(Clone, Copy)]
pub(super) struct LoadFilter {
    pub(super) design: FilterDesign,
    main: Bank,
    impedance: Bank,
    supply: [Bank; MAX_OTHER_OUTPUTS],
}

impl LoadFilter {
    pub(super) fn new(design: FilterDesign) -> Self {
        LoadFilter {
            design,
            main: Bank::ZERO,
            impedance: Bank::ZERO,
            supply: [Bank::ZERO; MAX_OTHER_OUTPUTS],
        }
    }

    /// Feeds channel `ch` the EMF `e`, and adds to `drive` the magnitude of each other
    /// output's current on the supply, times `scale` (per sample) and held to `cap` (each
    /// output's own current limit, in `drive`'s units). Each output's rail feeds its own
    /// current, so the magnitudes add whatever their phases.
    #[inline]
    pub(super) fn add_supply_currents(
        &mut self,
        ch: usize,
        e: &[f64],
        (scale, cap): (&[f64], f64),
        drive: &mut [f64],
    ) {
        let d = &self.design;
        for (bank, other) in self.supply.iter_mut().zip(&d.supply[..d.n_supply]) {
            let mut current = [0.0; MAX_BLOCK];
            let current = &mut current[..e.len()];
            let poles = &other.poles[..other.n_sections];
            bank.run(ch, e, poles, (&other.current, current), None);
            for ((d, i), s) in drive.iter_mut().zip(current.iter()).zip(scale) {
                *d += (i.abs() * s).min(cap);
            }
        }
    }

    /// Feeds channel `ch` the EMF `e`: the voltage at the headphone into `voltage` and, when
    /// asked, the current into it into `current`.
    #[inline]
    pub(super) fn run(
        &mut self,
        ch: usize,
        e: &[f64],
        voltage: &mut [f64],
        current: Option<&mut [f64]>,
    ) {
        let d = &self.design;
        let poles = &d.poles[..d.n_sections];
        let current = current.map(|i| (&d.current, i));
        self.main.run(ch, e, poles, (&d.voltage, voltage), current);
    }

    /// Feeds channel `ch` the current the limiter removed; the voltage that goes with it into
    /// `voltage`.
    #[inline]
    pub(super) fn removed_voltage(
        &mut self,
        ch: usize,
        removed_current: &[f64],
        voltage: &mut [f64],
    ) {
        let d = &self.design;
        let poles = &d.impedance_poles[..d.n_impedance_sections];
        self.impedance
            .run(ch, removed_current, poles, (&d.impedance, voltage), None);
    }

    /// Whether the impedance bank of channel `ch` is at rest: fed nothing, it gives exactly
    /// nothing and stays at rest.
    pub(super) fn impedance_at_rest(&self, ch: usize) -> bool {
        self.impedance.at_rest(ch, self.design.n_impedance_sections)
    }

    pub(super) fn reset(&mut self) {
        self.main = Bank::ZERO;
        self.impedance = Bank::ZERO;
        self.supply = [Bank::ZERO; MAX_OTHER_OUTPUTS];
    }

    /// Clears the impedance bank alone: with no current limit nothing is removed, and a limit
    /// switched on later starts from rest rather than from an old tail.
    pub(super) fn clear_impedance(&mut self) {
        self.impedance = Bank::ZERO;
    }

    pub(super) fn flush_subnormals(&mut self) {
        self.main.flush_subnormals(self.design.n_sections);
        self.impedance
            .flush_subnormals(self.design.n_impedance_sections);
        let d = &self.design;
        for (bank, other) in self.supply.iter_mut().zip(&d.supply[..d.n_supply]) {
            bank.flush_subnormals(other.n_sections);
        }
    }
}

/// The load filters over a run: the voltage for each EMF sample in `e` and, when asked, the
/// current; with `fb`, crossfaded toward it by `g_new`.
#[inline]
pub(super) fn run_filters(
    fa: &mut LoadFilter,
    fb: Option<&mut LoadFilter>,
    ch: usize,
    e: &[f64],
    g_new: &[f64],
    mut current: Option<&mut [f64]>,
    voltage: &mut [f64],
) {
    fa.run(ch, e, voltage, current.as_deref_mut());
    let Some(fb) = fb else {
        return;
    };
    for (start, es) in (0..e.len()).step_by(PASS).zip(e.chunks(PASS)) {
        let n = es.len();
        let (mut vb, mut ib) = ([0.0; PASS], [0.0; PASS]);
        let want_current = current.is_some();
        fb.run(ch, es, &mut vb[..n], want_current.then_some(&mut ib[..n]));
        let g = &g_new[start..start + n];
        for ((v, b), g) in voltage[start..start + n].iter_mut().zip(&vb).zip(g) {
            *v += (b - *v) * g;
        }
        if let Some(i) = current.as_deref_mut() {
            for ((i, b), g) in i[start..start + n].iter_mut().zip(&ib).zip(g) {
                *i += (b - *i) * g;
            }
        }
    }
}
