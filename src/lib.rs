//! Loadline: hear what a headphone output does to a pair of headphones.
//!
//! The plugin glue (nice-plug: CLAP and VST3), its parameters and its editor. What is heard and
//! every figure shown come from `loadline_core`.

mod editor;
mod measuring;
mod meters;
pub mod params;
pub mod presets;
mod view;

use loadline_core::designer::{DesignJob, DesignRequest, DesignResult, Designer, design_for};
use loadline_core::dsp::design::DesignMode;
use loadline_core::dsp::engine::{Engine, StageSettings};
use loadline_core::dsp::test_signal::PinkNoise;
use loadline_core::physics::headphones::HeadphoneModel;
use meters::{MeterReading, Meters};
use nice_plug::prelude::*;
use params::{LoadlineParams, TestSignal};
use std::num::NonZeroU32;
use std::sync::Arc;

/// Longest an offline render waits for a new design before playing on with the old one.
const OFFLINE_DESIGN_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// The plugin instance.
pub struct Loadline {
    params: Arc<LoadlineParams>,
    headphones: Vec<HeadphoneModel>,
    engine: Option<Engine>,
    designer: Option<Designer>,
    sample_rate_hz: f64,
    offline: bool,
    /// The request whose design is playing or on its way.
    last_job: Option<DesignJob>,
    /// A request that did not fit in the ring yet.
    unsent: Option<DesignJob>,
    latency_samples: u32,
    /// With a target SPL: the volume that reaches it (dB) and whether it does.
    target_volume: Option<(f64, bool)>,
    /// The live meters (atomics), fed while an editor shows them.
    meters: Arc<Meters>,
    /// Asks the editor to redraw (an atomic flag: realtime-safe).
    repaint: nice_plug_egui::RepaintNotifier,
    /// The test signal's generators, one per channel.
    pink: [PinkNoise; loadline_core::dsp::engine::MAX_CHANNELS],
    /// The editor's end of a measurement of the user's own output.
    measure: Arc<measuring::MeasureLink>,
    /// The audio thread's end: while it holds a take, the output is the measuring signal.
    take_player: loadline_core::measure::take::TakePlayer,
    /// The audio thread's copy of what the saved devices give (`params::SavedSlot::refresh`).
    devices_now: params::DevicesNow,
}

impl Default for Loadline {
    fn default() -> Self {
        let (link, take_player) = measuring::MeasureLink::new();
        Loadline {
            params: Arc::new(LoadlineParams::default()),
            // Also derives the catalog's output stages, its headphones as other outputs' loads
            // and white noise's band integrals, so that the audio thread only reads them (a
            // chain's stage, or one sharing its supply, is formed from them).
            headphones: {
                let _ = loadline_core::catalog::output_stage(0);
                let _ = loadline_core::catalog::other_output(0);
                loadline_core::physics::output::NoiseSpec::warm_up();
                loadline_core::catalog::headphone_models()
            },
            engine: None,
            designer: None,
            sample_rate_hz: 48_000.0,
            offline: false,
            last_job: None,
            unsent: None,
            latency_samples: 0,
            target_volume: None,
            meters: Arc::new(Meters::default()),
            repaint: nice_plug_egui::RepaintNotifier::new(),
            pink: [PinkNoise::new(0x5EED_0001), PinkNoise::new(0x5EED_0002)],
            measure: Arc::new(link),
            take_player,
            devices_now: params::DevicesNow::default(),
        }
    }
}

impl Loadline {
    /// The design the current parameter values call for.
    fn current_job(&self) -> DesignJob {
        let p = &self.params;
        DesignJob {
            headphone: p.listeners(),
            request: DesignRequest {
                sample_rate_hz: self.sample_rate_hz,
                stage: p.heard_stage(&self.devices_now),
                mode: DesignMode::from(p.mode.value()),
                level_match: p.level_match.value(),
                level: p.level(),
            },
        }
    }

    /// What the engine needs of the output stage this block.
    fn stage_settings(&self, request: &DesignRequest) -> StageSettings {
        let p = &self.params;
        let volume_db = request.level.volume_db(self.target_volume.map(|(v, _)| v));
        StageSettings::for_stage(
            &request.stage,
            volume_db,
            p.limits_on.value(),
            p.noise_on.value(),
        )
    }

    /// Hands a finished design to the engine.
    fn apply(engine: &mut Engine, target_volume: &mut Option<(f64, bool)>, result: DesignResult) {
        engine.install(result.design);
        engine.set_noise(result.noise);
        *target_volume = result.target_volume;
    }
}

impl Plugin for Loadline {
    const NAME: &'static str = "Loadline";
    const VENDOR: &'static str = "Loadline";
    // No web site or support address exists yet: hosts show none rather than a placeholder.
    const URL: &'static str = "";
    const EMAIL: &'static str = "";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = &[
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(2),
            main_output_channels: NonZeroU32::new(2),
            ..AudioIOLayout::const_default()
        },
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(1),
            main_output_channels: NonZeroU32::new(1),
            ..AudioIOLayout::const_default()
        },
    ];

    const SAMPLE_ACCURATE_AUTOMATION: bool = false;
    type Editor = nice_plug_egui::EguiEditor<editor::EditorApp>;
    type SysExMessage = ();
    type BackgroundTask = ();

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    fn editor(&mut self, _async_executor: AsyncExecutor<Self>) -> Option<Self::Editor> {
        editor::create(
            self.params.clone(),
            self.meters.clone(),
            self.measure.clone(),
            self.repaint.clone(),
        )
    }

    fn filter_state(state: &mut PluginState) {
        params::migrate_state(state);
    }

    fn activate(
        &mut self,
        audio_io_layout: &AudioIOLayout,
        buffer_config: &BufferConfig,
        context: &mut impl ActivateContext<Self>,
    ) -> bool {
        self.sample_rate_hz = buffer_config.sample_rate as f64;
        self.measure.set_rate_hz(self.sample_rate_hz);
        self.offline = buffer_config.process_mode == ProcessMode::Offline;
        let channels = audio_io_layout
            .main_output_channels
            .map_or(2, |c| c.get() as usize);
        self.devices_now = self.params.saved.now();
        let job = self.current_job();
        let result = design_for(
            &job.request,
            &params::heard_model(
                job.headphone,
                &self.headphones,
                &self.params.imported,
                &self.params.saved,
            ),
        );
        let mut engine = Engine::new(
            channels.min(loadline_core::dsp::engine::MAX_CHANNELS),
            result.design,
        );
        Self::apply(&mut engine, &mut self.target_volume, result);
        engine.reset();
        engine.set_bypass(self.params.bypass.value());
        engine.set_stage(self.stage_settings(&job.request));
        self.latency_samples = engine.latency_samples() as u32;
        context.set_latency_samples(self.latency_samples);
        self.engine = Some(engine);
        self.last_job = Some(job);
        self.unsent = None;
        if self.designer.is_none() {
            let (models, imported) = (self.headphones.clone(), self.params.imported.clone());
            let saved = self.params.saved.clone();
            // The editor's verdict tells the producer; the log, read by developers, gets it
            // once for each target that is out of reach, not for every design request.
            let mut logged_target = None;
            self.designer = Some(Designer::spawn(
                move |listeners| params::heard_model(listeners, &models, &imported, &saved),
                move |job, result| match (job.request.level.target_spl_db(), result.target_volume) {
                    (Some(target), Some((_, false))) => {
                        if logged_target != Some(target) {
                            nice_plug::tracing::debug!("target {target:.1} dB SPL is out of reach");
                            logged_target = Some(target);
                        }
                    }
                    _ => logged_target = None,
                },
            ));
        }
        true
    }

    fn reset(&mut self) {
        if let Some(e) = self.engine.as_mut() {
            e.reset();
            e.set_bypass(self.params.bypass.value());
        }
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        _aux: &mut AuxiliaryBuffers,
        context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        self.params.saved.refresh(&mut self.devices_now);
        let job = self.current_job();
        let (Some(engine), Some(designer)) = (self.engine.as_mut(), self.designer.as_mut()) else {
            return ProcessStatus::Error("process() before activate()");
        };
        if self.last_job != Some(job) {
            self.last_job = Some(job);
            self.unsent = Some(job);
        }
        if let Some(r) = self.unsent
            && designer.request(r)
        {
            self.unsent = None;
            if self.offline {
                // An offline render must hear the new settings from this block on; it is not
                // real time, so waiting for the designer is allowed (bounded all the same).
                let start = std::time::Instant::now();
                while start.elapsed() < OFFLINE_DESIGN_WAIT {
                    if let Some((done, result)) = designer.poll() {
                        Self::apply(engine, &mut self.target_volume, result);
                        if done == r {
                            break;
                        }
                    }
                    std::thread::sleep(std::time::Duration::from_micros(200));
                }
            }
        }
        if let Some((done, result)) = designer.poll()
            && self.last_job.is_some_and(|j| j.same_filter(&done))
        {
            // A result for any other request (one sent before the last activation, say) is
            // not what the parameters ask for now.
            Self::apply(engine, &mut self.target_volume, result);
        }
        let settings = self.stage_settings(&job.request);
        let engine = self.engine.as_mut().expect("checked above");
        engine.set_stage(settings);
        engine.set_bypass(self.params.bypass.value());
        let buffers = buffer.as_slice();
        // While the user measures their output, it plays the signal alone and the input is
        // recorded: nothing of the input reaches the output, so the loop cannot feed back.
        if self.take_player.process(buffers) {
            return ProcessStatus::Normal;
        }
        if self.params.test_signal.value() == TestSignal::PinkNoise {
            for (b, g) in buffers.iter_mut().zip(self.pink.iter_mut()) {
                for v in b.iter_mut() {
                    *v = g.next_sample();
                }
            }
        }
        let metering = self.meters.shown();
        engine.set_metering(metering);
        engine.process(buffers);
        if metering {
            // Volts per full-scale unit at this volume: what the limits and the load see.
            let to_volts = job.request.stage.v_fs_peak * settings.volume_gain;
            let peaks = engine.take_meter_peaks();
            let mut reading = MeterReading {
                emf_peak_v: peaks.emf * to_volts,
                current_peak_a: peaks.current * to_volts,
                clipped: engine.take_clipped_samples(),
                ..MeterReading::default()
            };
            for b in buffers.iter() {
                for &v in b.iter() {
                    let volts = v as f64 * to_volts;
                    reading.load_peak_v = reading.load_peak_v.max(volts.abs());
                    reading.load_sum_sq_v2 += volts * volts;
                }
                reading.samples += b.len() as u64;
            }
            self.meters.publish(&reading);
            self.repaint.request_repaint();
        }
        // After the block: switching the limits changes the latency once the output has faded.
        let latency = engine.latency_samples() as u32;
        if latency != self.latency_samples {
            self.latency_samples = latency;
            context.set_latency_samples(latency);
        }
        ProcessStatus::Normal
    }
}

impl ClapPlugin for Loadline {
    const CLAP_ID: &'static str = "com.loadline.loadline";
    const CLAP_DESCRIPTION: Option<&'static str> =
        Some("Hear what a headphone output does to your headphones");
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_PRESETS: Option<&'static dyn ClapPresets> = Some(&presets::Presets);
    // Where producers look for a monitoring tool: a utility and an analyzer among the effects.
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::AudioEffect,
        ClapFeature::Utility,
        ClapFeature::Analyzer,
        ClapFeature::Stereo,
        ClapFeature::Mono,
    ];
}

impl Vst3Plugin for Loadline {
    const VST3_CLASS_ID: [u8; 16] = *b"LoadlineHpAmp01.";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = &[
        Vst3SubCategory::Fx,
        Vst3SubCategory::Tools,
        Vst3SubCategory::Analyzer,
    ];
}

nice_export_clap!(Loadline);
nice_export_vst3!(Loadline);
