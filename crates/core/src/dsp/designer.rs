//! The designer thread: turns parameter sets into filter designs off the audio thread.
//!
//! The audio thread pushes requests into a wait-free SPSC ring and wakes the thread with
//! `unpark` (a futex wake: no lock, no allocation); finished designs come back by value
//! through a second ring.

use super::design::{self, DesignMode, FilterDesign};
use super::engine::StageNoise;
use super::noise::NoiseCoefs;
use crate::physics::headphones::HeadphoneModel;
use crate::physics::output::{Figures, OperatingPoint, OutputStage};
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
    /// Index into the catalog's headphones (`catalog::headphone_models`); one past the end
    /// is the imported curve.
    pub headphone: usize,
    /// Changes whenever a new curve is imported (0 when the headphone is a catalog one).
    pub imported_generation: u32,
    /// Latency / accuracy trade-off.
    pub mode: DesignMode,
    /// Remove the broadband level loss (normalised at 1 kHz).
    pub level_match: bool,
    /// A target SPL for the reference signal, when the level is set that way.
    pub target_spl_db: Option<f64>,
    /// The volume control, dB, when the level is set by it (ignored with a target SPL). Only
    /// the figures depend on it.
    pub volume_db: f64,
}

impl DesignRequest {
    /// Whether `other` needs the same filter and noise (it may differ in volume only).
    pub fn same_filter(&self, other: &DesignRequest) -> bool {
        DesignRequest {
            volume_db: 0.0,
            ..*self
        } == DesignRequest {
            volume_db: 0.0,
            ..*other
        }
    }
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
    /// The figures at the volume in effect (for display).
    pub figures: Figures,
}

/// Frequency at which level match normalises, Hz.
pub const LEVEL_MATCH_HZ: f64 = 1000.0;

/// Makes the design for `req` driving `hp` (the headphone `req.headphone` names); on a failed
/// fit, the identity with the mode's latency (audible as "no effect", and reported by
/// `check_err_db = inf`).
pub fn design_for(req: &DesignRequest, hp: &HeadphoneModel) -> DesignResult {
    let source: TheveninSource = req.stage.source;
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
    let figures = figures_for(req, hp, target_volume);
    DesignResult {
        design,
        noise,
        target_volume,
        figures,
    }
}

/// The figures of `req` at the volume in effect: the derived one with a target SPL.
fn figures_for(
    req: &DesignRequest,
    hp: &HeadphoneModel,
    target_volume: Option<(f64, bool)>,
) -> Figures {
    let volume_db = target_volume.map_or(req.volume_db, |(v, _)| v);
    OperatingPoint {
        stage: &req.stage,
        load: &hp.load,
        sens_db_spl_per_v: hp.sens_db_spl_per_v,
        volume_db,
    }
    .figures()
}

/// Like `design_for`, but reuses `previous` when only the volume changed (then only the
/// figures are recomputed).
pub fn design_reusing(
    req: &DesignRequest,
    hp: &HeadphoneModel,
    previous: Option<&(DesignRequest, DesignResult)>,
) -> DesignResult {
    match previous {
        Some((prev_req, prev)) if prev_req.same_filter(req) => DesignResult {
            figures: figures_for(req, hp, prev.target_volume),
            ..*prev
        },
        _ => design_for(req, hp),
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
    /// `headphone_of` gives the headphone a request names (it runs on the designer thread, so
    /// it may lock); `on_result` runs there too for every finished result (to publish the
    /// figures, to log), never on the audio thread.
    pub fn spawn(
        headphone_of: impl Fn(&DesignRequest) -> HeadphoneModel + Send + 'static,
        mut on_result: impl FnMut(&DesignRequest, &DesignResult) + Send + 'static,
    ) -> Self {
        let (requests, mut req_rx) = rtrb::RingBuffer::<DesignRequest>::new(64);
        let (mut res_tx, results) = rtrb::RingBuffer::new(8);
        let stop = Arc::new(AtomicBool::new(false));
        let stop_flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("loadline-designer".into())
            .spawn(move || {
                let mut last: Option<(DesignRequest, DesignResult)> = None;
                while !stop_flag.load(Ordering::Acquire) {
                    // Only the newest request matters: older ones are superseded.
                    let mut latest = None;
                    while let Ok(r) = req_rx.pop() {
                        latest = Some(r);
                    }
                    match latest {
                        Some(req) => {
                            let hp = headphone_of(&req);
                            let d = design_reusing(&req, &hp, last.as_ref());
                            on_result(&req, &d);
                            last = Some((req, d));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::headphone_models;
    use crate::physics::output::NoiseSpec;

    fn request(volume_db: f64, target_spl_db: Option<f64>) -> DesignRequest {
        DesignRequest {
            sample_rate_hz: 48_000.0,
            stage: OutputStage {
                v_fs_peak: 1.5,
                source: TheveninSource {
                    r_out_ohm: 22.0,
                    coupling_cap_f: None,
                },
                rail_v_peak: 2.0,
                i_max_peak: 0.05,
                r_sag_ohm: 0.0,
                noise_pre: OutputStage::noise_from_dynamic_range(1.5, 105.0, true, 0.0),
                noise_post: NoiseSpec {
                    level_vrms: 3e-6,
                    a_weighted: true,
                    flicker_corner_hz: 0.0,
                },
            },
            headphone: 0,
            imported_generation: 0,
            mode: DesignMode::ZeroLatency,
            level_match: false,
            target_spl_db,
            volume_db,
        }
    }

    #[test]
    fn a_volume_change_reuses_the_design_and_moves_the_figures() {
        let hp = &headphone_models()[0];
        let first = (request(0.0, None), design_for(&request(0.0, None), hp));
        let quieter = design_reusing(&request(-20.0, None), hp, Some(&first));
        assert_eq!(quieter.design, first.1.design);
        // The reference drops by the volume step; the post-volume noise does not.
        let drop = first.1.figures.reference_spl_db - quieter.figures.reference_spl_db;
        assert!((drop - 20.0).abs() < 1e-9, "{drop}");
        assert!(quieter.figures.noise_floor_db_spl_a > first.1.figures.noise_floor_db_spl_a - 20.0);
        assert_eq!(quieter.figures.volume_db, -20.0);
        // Anything else is a new design.
        let other = DesignRequest {
            headphone: 1,
            ..request(-20.0, None)
        };
        assert!(!other.same_filter(&first.0));
    }

    #[test]
    fn an_out_of_reach_target_says_so_and_plays_at_maximum() {
        let hp = &headphone_models()[0];
        let r = design_for(&request(0.0, Some(140.0)), hp);
        let (volume, reachable) = r.target_volume.unwrap();
        assert!(!reachable && volume == 0.0);
        assert!(r.figures.reference_spl_db < 140.0);
        let r = design_for(&request(0.0, Some(60.0)), hp);
        let (volume, reachable) = r.target_volume.unwrap();
        assert!(reachable && volume < 0.0);
        assert!((r.figures.reference_spl_db - 60.0).abs() < 1e-6);
    }
}
