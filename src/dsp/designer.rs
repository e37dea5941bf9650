//! The designer thread: turns parameter sets into filter designs off the audio thread.
//!
//! The audio thread pushes requests into a wait-free SPSC ring and wakes the thread with
//! `unpark` (a futex wake: no lock, no allocation); finished designs come back by value
//! through a second ring.

use super::design::{self, DesignMode, FilterDesign};
use super::engine::StageNoise;
use super::noise::NoiseCoefs;
use crate::physics::headphones::HeadphoneModel;
use crate::physics::output::{OperatingPoint, OutputStage};
use crate::physics::source::TheveninSource;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// Everything a design depends on: small and `Copy`, so it crosses threads freely.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DesignRequest {
    /// Host sample rate, Hz.
    pub sample_rate_hz: f64,
    /// The output: its source impedance, level chain, limits and noise.
    pub stage: OutputStage,
    /// Index into the built-in headphones.
    pub headphone: usize,
    /// Latency / accuracy trade-off.
    pub mode: DesignMode,
    /// Remove the broadband level loss (normalised at 1 kHz).
    pub level_match: bool,
    /// A target SPL for the reference signal, when the level is set that way.
    pub target_spl_db: Option<f64>,
}

/// A finished design and what comes with it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DesignResult {
    /// The filter.
    pub design: FilterDesign,
    /// The output's noise at this rate, in full-scale units.
    pub noise: StageNoise,
    /// With a target SPL: the volume that reaches it (dB, at most 0) and whether it does.
    pub target_volume: Option<(f64, bool)>,
}

/// Frequency at which level match normalises, Hz.
pub const LEVEL_MATCH_HZ: f64 = 1000.0;

/// Makes the design for `req`; on a failed fit, the identity with the mode's latency
/// (audible as "no effect", and reported by `check_err_db = inf`).
pub fn design_for(req: &DesignRequest, headphones: &[HeadphoneModel]) -> DesignResult {
    let source: TheveninSource = req.stage.source;
    let hp = &headphones[req.headphone.min(headphones.len() - 1)];
    let design = match design::design(&source, &hp.load, req.sample_rate_hz, req.mode) {
        Ok(mut d) => {
            if req.level_match {
                d.scale(1.0 / source.transfer(&hp.load, LEVEL_MATCH_HZ).norm());
            }
            d
        }
        Err(_) => {
            let mut d = FilterDesign::identity(
                req.sample_rate_hz,
                req.mode.latency_samples(req.sample_rate_hz),
            );
            d.check_err_db = f64::INFINITY;
            d
        }
    };
    let to_full_scale = 1.0 / req.stage.v_fs_peak;
    let noise = StageNoise {
        pre: NoiseCoefs::new(&req.stage.noise_pre, req.sample_rate_hz, to_full_scale),
        post: NoiseCoefs::new(&req.stage.noise_post, req.sample_rate_hz, to_full_scale),
    };
    let target_volume = req
        .target_spl_db
        .map(|t| OperatingPoint::volume_for_target(&req.stage, &hp.load, hp.sens_db_spl_per_v, t));
    DesignResult {
        design,
        noise,
        target_volume,
    }
}

/// The audio thread's handle on the designer thread.
pub struct Designer {
    requests: rtrb::Producer<DesignRequest>,
    results: rtrb::Consumer<(DesignRequest, DesignResult)>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Designer {
    /// Starts the thread (allocates; call from `activate`, not from `process`).
    pub fn spawn(headphones: Vec<HeadphoneModel>) -> Self {
        let (requests, mut req_rx) = rtrb::RingBuffer::<DesignRequest>::new(64);
        let (mut res_tx, results) = rtrb::RingBuffer::new(8);
        let stop = Arc::new(AtomicBool::new(false));
        let stop_flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("loadline-designer".into())
            .spawn(move || {
                while !stop_flag.load(Ordering::Acquire) {
                    // Only the newest request matters: older ones are superseded.
                    let mut latest = None;
                    while let Ok(r) = req_rx.pop() {
                        latest = Some(r);
                    }
                    match latest {
                        Some(req) => {
                            let d = design_for(&req, &headphones);
                            let mut item = (req, d);
                            // The audio thread drains results every block; wait for room.
                            loop {
                                match res_tx.push(item) {
                                    Ok(()) => break,
                                    Err(rtrb::PushError::Full(back)) => {
                                        if stop_flag.load(Ordering::Acquire) {
                                            return;
                                        }
                                        item = back;
                                        std::thread::sleep(Duration::from_millis(1));
                                    }
                                }
                            }
                        }
                        None => std::thread::park_timeout(Duration::from_millis(50)),
                    }
                }
            })
            .expect("spawning the designer thread");
        Designer {
            requests,
            results,
            stop,
            thread: Some(thread),
        }
    }

    /// Asks for a design (audio thread: wait-free). Returns false if the ring was full.
    pub fn request(&mut self, req: DesignRequest) -> bool {
        let ok = self.requests.push(req).is_ok();
        if let Some(t) = &self.thread {
            t.thread().unpark();
        }
        ok
    }

    /// The newest finished design, if any (audio thread: wait-free).
    pub fn poll(&mut self) -> Option<(DesignRequest, DesignResult)> {
        let mut latest = None;
        while let Ok(r) = self.results.pop() {
            latest = Some(r);
        }
        latest
    }
}

impl Drop for Designer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}
