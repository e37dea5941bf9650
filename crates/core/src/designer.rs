//! The designer thread: turns parameter sets into filter designs off the audio thread.
//!
//! The audio thread pushes requests into a wait-free SPSC ring and wakes the thread with
//! `unpark` (a futex wake: no lock, no allocation); finished designs come back by value
//! through a second ring.

use crate::dsp::design::{self, DesignMode, FilterDesign};
use crate::dsp::engine::StageNoise;
use crate::dsp::noise::NoiseCoefs;
use crate::physics::headphones::HeadphoneModel;
use crate::physics::output::{OperatingPoint, OutputStage};
use crate::physics::source::TheveninSource;
use crate::scenario::{Level, Listeners};
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
    /// Latency / accuracy trade-off.
    pub mode: DesignMode,
    /// Remove the broadband level loss (normalised at 1 kHz).
    pub level_match: bool,
    /// How the level is set. Only the figures depend on a volume setting; a target SPL also
    /// gives the volume that reaches it.
    pub level: Level,
}

impl DesignRequest {
    /// Whether `other` needs the same filter and noise (it may differ in volume only).
    pub fn same_filter(&self, other: &DesignRequest) -> bool {
        let without_volume = |r: &DesignRequest| DesignRequest {
            level: match r.level {
                Level::VolumeDb(_) => Level::VolumeDb(0.0),
                target => target,
            },
            ..*r
        };
        without_volume(self) == without_volume(other)
    }
}

/// A request as the designer thread takes it: the headphone it names (resolved there, where an
/// imported curve may be read behind a lock) and the design asked for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DesignJob {
    /// The headphone heard, and the others on its jack.
    pub headphone: Listeners,
    /// The design.
    pub request: DesignRequest,
}

impl DesignJob {
    /// Whether `other` needs the same filter and noise (the same headphones, and requests that
    /// differ in volume only).
    pub fn same_filter(&self, other: &DesignJob) -> bool {
        self.headphone == other.headphone && self.request.same_filter(&other.request)
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
}

/// Frequency at which level match normalises, Hz.
pub const LEVEL_MATCH_HZ: f64 = 1000.0;

/// Makes the design for `req` driving `hp`; on a failed
/// fit, the identity with the mode's latency (audible as "no effect", and reported by
/// `check_err_db = inf`).
pub fn design_for(req: &DesignRequest, hp: &HeadphoneModel) -> DesignResult {
    let source: TheveninSource = req.stage.source;
    let designed = design::design(&source, &hp.load, req.sample_rate_hz, req.mode)
        // Without the others' currents the sag is the heard output's alone.
        .map(|d| d.with_supply(&source, &req.stage.supply).unwrap_or(d));
    let design = match designed {
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
        .level
        .target_spl_db()
        .map(|t| OperatingPoint::volume_for_target(&req.stage, &hp.load, hp.sens_db_spl_per_v, t));
    DesignResult {
        design,
        noise,
        target_volume,
    }
}

/// Like `design_for`, but reuses `previous` when only the volume changed: the filter, the
/// noise and a target's volume do not depend on it.
pub fn design_reusing(
    job: &DesignJob,
    hp: &HeadphoneModel,
    previous: Option<&(DesignJob, DesignResult)>,
) -> DesignResult {
    match previous {
        Some((prev_job, prev)) if prev_job.same_filter(job) => *prev,
        _ => design_for(&job.request, hp),
    }
}

/// The audio thread's handle on the designer thread.
pub struct Designer {
    requests: rtrb::Producer<DesignJob>,
    results: rtrb::Consumer<(DesignJob, DesignResult)>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Designer {
    /// Starts the thread (allocates; call from `activate`, not from `process`).
    /// `headphone_of` gives the headphone a job names as the output sees it, with the others
    /// on its jack (it runs on the designer thread, so
    /// it may lock); `on_result` runs there too for every finished result (to publish the
    /// figures, to log), never on the audio thread.
    pub fn spawn(
        headphone_of: impl Fn(Listeners) -> HeadphoneModel + Send + 'static,
        mut on_result: impl FnMut(&DesignJob, &DesignResult) + Send + 'static,
    ) -> Self {
        let (requests, mut req_rx) = rtrb::RingBuffer::<DesignJob>::new(64);
        let (mut res_tx, results) = rtrb::RingBuffer::new(8);
        let stop = Arc::new(AtomicBool::new(false));
        let stop_flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("loadline-designer".into())
            .spawn(move || {
                let mut last: Option<(DesignJob, DesignResult)> = None;
                while !stop_flag.load(Ordering::Acquire) {
                    // Only the newest request matters: older ones are superseded.
                    let mut latest = None;
                    while let Ok(r) = req_rx.pop() {
                        latest = Some(r);
                    }
                    match latest {
                        Some(job) => {
                            let hp = headphone_of(job.headphone);
                            let d = design_reusing(&job, &hp, last.as_ref());
                            on_result(&job, &d);
                            last = Some((job, d));
                            let mut item = (job, d);
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
    pub fn request(&mut self, job: DesignJob) -> bool {
        let ok = self.requests.push(job).is_ok();
        if let Some(t) = &self.thread {
            t.thread().unpark();
        }
        ok
    }

    /// The newest finished design, if any (audio thread: wait-free).
    pub fn poll(&mut self) -> Option<(DesignJob, DesignResult)> {
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
    use crate::scenario::HeadphoneChoice;

    fn request(level: Level) -> DesignRequest {
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
                noise_pre: OutputStage::noise_from_dynamic_range(1.5, 105.0, true, 0.0),
                noise_post: NoiseSpec {
                    level_vrms: 3e-6,
                    a_weighted: true,
                    flicker_corner_hz: 0.0,
                },
                ..OutputStage::IDEAL
            },
            mode: DesignMode::ZeroLatency,
            level_match: false,
            level,
        }
    }

    fn job(headphone: usize, level: Level) -> DesignJob {
        DesignJob {
            headphone: Listeners::alone(HeadphoneChoice::Catalog(headphone)),
            request: request(level),
        }
    }

    #[test]
    fn a_volume_change_reuses_the_design() {
        let hp = &headphone_models()[0];
        let loud = Level::VolumeDb(0.0);
        let first = (job(0, loud), design_for(&request(loud), hp));
        let quieter = design_reusing(&job(0, Level::VolumeDb(-20.0)), hp, Some(&first));
        assert_eq!(quieter, first.1);
        assert_eq!(quieter, design_for(&request(Level::VolumeDb(-20.0)), hp));
        // Anything else is a new design.
        assert!(!job(1, Level::VolumeDb(-20.0)).same_filter(&first.0));
        assert!(!job(0, Level::TargetSplDb(85.0)).same_filter(&first.0));
        assert!(job(0, Level::TargetSplDb(85.0)).same_filter(&job(0, Level::TargetSplDb(85.0))));
        assert!(!job(0, Level::TargetSplDb(85.0)).same_filter(&job(0, Level::TargetSplDb(86.0))));
    }

    #[test]
    fn an_out_of_reach_target_says_so_and_plays_at_maximum() {
        let hp = &headphone_models()[0];
        let reference_at = |volume_db: f64| {
            OperatingPoint {
                stage: &request(Level::VolumeDb(volume_db)).stage,
                load: &hp.load,
                sens_db_spl_per_v: hp.sens_db_spl_per_v,
                volume_db,
            }
            .figures()
            .reference_spl_db
        };
        let r = design_for(&request(Level::TargetSplDb(140.0)), hp);
        let (volume, reachable) = r.target_volume.unwrap();
        assert!(!reachable && volume == 0.0);
        assert!(reference_at(volume) < 140.0);
        let r = design_for(&request(Level::TargetSplDb(60.0)), hp);
        let (volume, reachable) = r.target_volume.unwrap();
        assert!(reachable && volume < 0.0);
        assert!((reference_at(volume) - 60.0).abs() < 1e-6);
    }
}
