//! One scenario in, one analysis out: what a pairing gives, computed once, in one place, for
//! whoever shows it.
//!
//! A [`Scenario`] is what is emulated, resolved: the two compared outputs and the ideal
//! reference (each with its name and where its figures come from), the headphone and its
//! provenance, the target SPL and, when the volume is set by hand, that volume. [`analyze`]
//! turns it into an [`Analysis`]: a report for each output, the tonal deviation curves, the
//! sources as one text each and, with a volume, the figures at it. An [`Analyst`] does that on
//! a thread of its own, so that neither the audio thread nor an editor's frame waits for it.

use crate::catalog::{self, Provenance, estimated};
use crate::listeners::{
    self, JackFigures, Listener, OthersOn, on_own_outputs, other_outputs, provenance_on_jack,
    with_volumes,
};
use crate::physics::headphones::HeadphoneModel;
use crate::physics::output::{Figures, OperatingPoint, OutputFigures, OutputStage};
use crate::report::{Report, ResponsePoint, provenance_text, response};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;

/// Points of the tonal deviation curves, log-spaced over 20 Hz–20 kHz.
pub const RESPONSE_POINTS: usize = 240;

/// One output as the scenario has it.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysedOutput {
    /// The name shown for it.
    pub name: String,
    /// Its figures.
    pub stage: OutputStage,
    /// Where its figures come from (empty for the user's own and the ideal reference).
    pub provenance: Vec<Provenance>,
    /// The stages spanning the ranges of its estimated figures (`catalog::stages_across`;
    /// empty when none is estimated).
    pub range_stages: Vec<OutputStage>,
    /// Whether it is a chain (a source feeding an amplifier), whose report names the stage
    /// that clips first.
    pub is_chain: bool,
    /// What its report must say about what is not modelled (a chain's source without noise
    /// figures, for one).
    pub notes: Vec<String>,
    /// How many listeners it can give an output of their own (a distribution amplifier's
    /// outputs; one for any other output).
    pub own_outputs: usize,
    /// With the others on outputs of their own: who had none, in words (also among `notes`).
    pub left_out: Option<String>,
    /// Whether its level is modelled: false for figures of the user's that give no maximum
    /// level, whose report then answers nothing about level.
    pub level_modelled: bool,
}

impl AnalysedOutput {
    /// Catalog output `k`: its name, its stage, where its figures come from and the stages
    /// spanning its estimates (`None` past the catalog).
    pub fn catalog(k: usize) -> Option<Self> {
        let entry = catalog::outputs().get(k)?;
        Some(AnalysedOutput {
            name: entry.name(),
            stage: catalog::output_stage(k)?,
            provenance: entry.provenance(),
            range_stages: catalog::stages_across(k),
            is_chain: false,
            notes: Vec::new(),
            own_outputs: entry.own_outputs(),
            left_out: None,
            level_modelled: true,
        })
    }

    /// An output of the user's catalog: its name marked as theirs, its figures, where they
    /// come from, and the stages spanning any estimate among them.
    pub fn user(entry: &catalog::OutputEntry) -> Self {
        AnalysedOutput {
            name: catalog::user::marked(&entry.name()),
            stage: entry.stage(),
            provenance: entry.provenance(),
            range_stages: catalog::entry_stages_across(entry),
            is_chain: false,
            notes: Vec::new(),
            own_outputs: entry.own_outputs(),
            left_out: None,
            level_modelled: true,
        }
    }

    /// The chain `spec` describes: its name, its single-stage form, where the figures of its
    /// source and its amplifier come from, and the stages spanning their estimates.
    pub fn chain(spec: &catalog::ChainSpec) -> Result<Self, catalog::ChainSpecError> {
        let (stage, range_stages, provenance) = catalog::chain(spec)?;
        Ok(AnalysedOutput {
            name: spec.name(),
            stage,
            provenance,
            range_stages,
            is_chain: true,
            notes: catalog::chain_notes(spec),
            own_outputs: spec.own_outputs(),
            left_out: None,
            level_modelled: true,
        })
    }

    /// Figures of the user's own (or the ideal reference): nothing is estimated.
    pub fn own(name: impl Into<String>, stage: OutputStage) -> Self {
        AnalysedOutput {
            name: name.into(),
            stage,
            provenance: Vec::new(),
            range_stages: Vec::new(),
            is_chain: false,
            notes: Vec::new(),
            own_outputs: 1,
            left_out: None,
            level_modelled: true,
        }
    }

    /// Figures typed by the user (`figures`), named `name`: nothing is estimated, and the
    /// level is modelled only when they give one (a full scale, rails or a current limit).
    pub fn typed(name: impl Into<String>, figures: &OutputFigures) -> Self {
        AnalysedOutput {
            level_modelled: figures.gives_level(),
            ..Self::own(name, figures.stage())
        }
    }

    /// This output as the listeners use it with the `others` plugged in `on` the jack (as it
    /// is) or outputs of their own: then its stage and the stages across its estimates carry
    /// their loads on its supply, and a note says who had no output left.
    pub fn placed(&self, on: OthersOn, others: &[Listener]) -> Self {
        if on == OthersOn::SameJack || others.is_empty() {
            return self.clone();
        }
        let others = other_outputs(&with_volumes(others));
        let (stage, left_out) = on_own_outputs(&self.stage, self.own_outputs, &others);
        let mut out = AnalysedOutput {
            stage,
            range_stages: (self.range_stages.iter())
                .map(|s| on_own_outputs(s, self.own_outputs, &others).0)
                .collect(),
            ..self.clone()
        };
        if left_out > 0 {
            let plural = |n: usize| if n == 1 { "" } else { "s" };
            let note = format!(
                "{} has {} headphone output{} with a stage of its own: {left_out} other listener{} left out of its figures",
                self.name,
                self.own_outputs,
                plural(self.own_outputs),
                plural(left_out),
            );
            out.notes.push(note.clone());
            out.left_out = Some(note);
        }
        out
    }

    /// Its report driving `hp` (whose figures come from `hp_provenance`, and whose estimates
    /// the models `hp_across` span) at `target_spl_db`: what the estimates decide, and the
    /// figures across their ranges.
    pub fn report(
        &self,
        hp: &HeadphoneModel,
        hp_provenance: &[Provenance],
        hp_across: &[HeadphoneModel],
        target_spl_db: f64,
    ) -> Report {
        let provenance = [self.provenance.as_slice(), hp_provenance].concat();
        let report = Report::new(&self.name, &self.stage, hp, target_spl_db)
            .with_ranges_of(crate::report::RangesOf::of(&provenance))
            .with_estimated(estimated(&provenance))
            .with_range(&self.stage, &self.range_stages, hp, hp_across);
        let mut report = report.with_notes(self.notes.clone());
        if !self.level_modelled {
            report = report.with_level_unmodelled();
        }
        if self.is_chain {
            report.with_stages(&self.stage, hp)
        } else {
            report
        }
    }
}

/// What is emulated, resolved from the plugin's parameters, the command line or a test.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Outputs A and B, and the ideal reference, in that order.
    pub outputs: [AnalysedOutput; 3],
    /// The headphone driven.
    pub headphone: HeadphoneModel,
    /// Where the headphone's figures come from (empty for an imported curve).
    pub headphone_provenance: Vec<Provenance>,
    /// The models spanning the ranges of the headphone's estimates
    /// (`catalog::headphones_across`; empty when none is estimated).
    pub headphone_across: Vec<HeadphoneModel>,
    /// The other listeners' headphones (none: the heard one has the output alone; at most
    /// `listeners::MAX_OTHER_LISTENERS`).
    pub others: Vec<Listener>,
    /// Where the others are plugged in: the heard one's jack, or outputs of their own.
    pub others_on: OthersOn,
    /// The target SPL of the reference (pink noise at −18 dBFS RMS), dB SPL.
    pub target_spl_db: f64,
    /// The volume, dB (0 = maximum), when it is set by hand rather than by the target.
    pub volume_db: Option<f64>,
}

/// Which of a scenario's outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// Output A.
    A = 0,
    /// Output B.
    B = 1,
    /// The ideal reference.
    Ideal = 2,
}

/// What a scenario gives.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// What was analysed.
    pub scenario: Scenario,
    /// Outputs A and B and the ideal reference as analysed: the scenario's, with the others'
    /// outputs on their supply when they have outputs of their own
    /// ([`Scenario::placed_outputs`]).
    pub outputs: [AnalysedOutput; 3],
    /// The headphone heard as the output sees it ([`Scenario::heard`]): every report, curve
    /// and figure is of it.
    pub heard: HeadphoneModel,
    /// Per output (A, B, ideal): every figure at the target and the verdict, with what
    /// estimates decide.
    pub reports: [Report; 3],
    /// The headphone's impedance and the tonal deviation of A and B
    /// (`deviation_db[0]`, `[1]`), relative to 1 kHz.
    pub response: Vec<ResponsePoint>,
    /// Where the figures come from, as one text each: output A's, output B's, the headphone's.
    pub sources: [String; 3],
    /// With the volume set by hand: each output's figures at that volume.
    pub at_volume: Option<[Figures; 3]>,
    /// Per output (A, B, ideal), with others on the jack: what every listener gets at the
    /// volume in effect.
    pub jack: [Option<JackFigures>; 3],
}

impl Analysis {
    /// The report of `slot`.
    pub fn report(&self, slot: Slot) -> &Report {
        &self.reports[slot as usize]
    }

    /// The figures of `slot` at the volume set by hand, if it is.
    pub fn figures_at_volume(&self, slot: Slot) -> Option<&Figures> {
        self.at_volume.as_ref().map(|f| &f[slot as usize])
    }
}

impl Scenario {
    /// The headphone heard as the output sees it: with the others on the jack, their
    /// impedances in parallel with its own (on outputs of their own, its own alone).
    pub fn heard(&self) -> HeadphoneModel {
        let others = listeners::models(&self.others);
        self.others_on.as_seen(&self.headphone, &others)
    }

    /// The outputs as the listeners use them ([`AnalysedOutput::placed`]): with the others on
    /// outputs of their own, A's and B's stages carry their loads on the supply (the ideal
    /// reference has no supply to share).
    pub fn placed_outputs(&self) -> [AnalysedOutput; 3] {
        let mut outputs = self.outputs.clone();
        for o in outputs.iter_mut().take(2) {
            *o = o.placed(self.others_on, &self.others);
        }
        outputs
    }

    /// The models spanning the heard headphone's estimates, as the output sees them (the
    /// others on the jack at their own figures).
    pub fn heard_across(&self) -> Vec<HeadphoneModel> {
        let others = listeners::models(&self.others);
        (self.headphone_across.iter())
            .map(|m| self.others_on.as_seen(m, &others))
            .collect()
    }
}

/// Everything `scenario` gives.
pub fn analyze(scenario: Scenario) -> Analysis {
    let outputs = scenario.placed_outputs();
    let heard = scenario.heard();
    let hp = &heard;
    let hp_provenance = provenance_on_jack(&scenario.headphone_provenance, &scenario.others);
    let across = scenario.heard_across();
    // Each report names the listeners its output counts: on outputs of their own, those
    // that find one.
    let reports = outputs.each_ref().map(|o| {
        let counted = listeners::counted(scenario.others_on, o.own_outputs, &scenario.others);
        let seen = (scenario.others_on).as_seen(&scenario.headphone, &listeners::models(counted));
        o.report(&seen, &hp_provenance, &across, scenario.target_spl_db)
    });
    let [a, b, _] = &outputs;
    let response = response(&[a.stage, b.stage], &hp.load, RESPONSE_POINTS);
    let sources = [
        provenance_text(&a.name, &a.provenance),
        provenance_text(&b.name, &b.provenance),
        provenance_text(&hp.name, &hp_provenance),
    ];
    let at_volume = scenario.volume_db.map(|volume_db| {
        outputs.each_ref().map(|o| {
            OperatingPoint {
                stage: &o.stage,
                load: &hp.load,
                sens_db_spl_per_v: hp.sens_db_spl_per_v,
                volume_db,
            }
            .figures()
        })
    });
    let jack = std::array::from_fn(|k| {
        let volume_db = scenario.volume_db.unwrap_or(reports[k].volume_db);
        let plain = &scenario.outputs[k];
        listeners::figures(
            scenario.others_on,
            (&plain.stage, &plain.range_stages),
            plain.own_outputs,
            &scenario.headphone,
            &scenario.others,
            volume_db,
            scenario.target_spl_db,
        )
    });
    let reports = std::array::from_fn(|k| with_listeners(reports[k].clone(), jack[k].as_ref()));
    Analysis {
        scenario,
        outputs,
        heard,
        reports,
        response,
        sources,
        at_volume,
        jack,
    }
}

/// What the analyst's thread and its owner share.
#[derive(Default)]
struct Mailbox {
    /// The newest scenario not yet taken (an older one is dropped: only the newest counts).
    wanted: Option<Scenario>,
    /// The newest finished analysis.
    done: Option<Arc<Analysis>>,
    stop: bool,
}

/// A thread that analyses scenarios: ask with [`Analyst::request`], read the newest result
/// with [`Analyst::latest`]. Neither blocks for longer than a lock held around a swap.
pub struct Analyst {
    shared: Arc<(Mutex<Mailbox>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl Analyst {
    /// Starts the thread.
    pub fn spawn() -> Self {
        let shared = Arc::new((Mutex::new(Mailbox::default()), Condvar::new()));
        let theirs = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("loadline-analyst".into())
            .spawn(move || Self::run(&theirs))
            .expect("spawning the analyst thread");
        Analyst {
            shared,
            thread: Some(thread),
        }
    }

    fn run(shared: &(Mutex<Mailbox>, Condvar)) {
        let (lock, wake) = shared;
        loop {
            let scenario = {
                let mut mail = lock.lock().unwrap_or_else(PoisonError::into_inner);
                loop {
                    if mail.stop {
                        return;
                    }
                    if let Some(s) = mail.wanted.take() {
                        break s;
                    }
                    mail = wake.wait(mail).unwrap_or_else(PoisonError::into_inner);
                }
            };
            let analysis = Arc::new(analyze(scenario));
            lock.lock().unwrap_or_else(PoisonError::into_inner).done = Some(analysis);
            wake.notify_all();
        }
    }

    /// Asks for `scenario` to be analysed (replacing one asked for and not yet started).
    pub fn request(&self, scenario: Scenario) {
        let (lock, wake) = &*self.shared;
        lock.lock().unwrap_or_else(PoisonError::into_inner).wanted = Some(scenario);
        wake.notify_all();
    }

    /// The newest finished analysis, if any.
    pub fn latest(&self) -> Option<Arc<Analysis>> {
        let (lock, _) = &*self.shared;
        lock.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .done
            .clone()
    }

    /// Waits until the newest finished analysis is of `scenario`, and returns it (for callers
    /// that can block, such as tests; an editor reads [`Analyst::latest`] every frame instead).
    pub fn wait_for(&self, scenario: &Scenario) -> Arc<Analysis> {
        let (lock, wake) = &*self.shared;
        let mut mail = lock.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(done) = mail.done.as_ref().filter(|d| d.scenario == *scenario) {
                return Arc::clone(done);
            }
            mail = wake.wait(mail).unwrap_or_else(PoisonError::into_inner);
        }
    }
}

impl Drop for Analyst {
    fn drop(&mut self) {
        let (lock, wake) = &*self.shared;
        lock.lock().unwrap_or_else(PoisonError::into_inner).stop = true;
        wake.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// `report`, the heard listener's among others (`jack`), with its verdict naming the other
/// listeners whose peaks clip at their volume.
pub fn with_listeners(report: Report, jack: Option<&JackFigures>) -> Report {
    report.with_verdict_clause(jack.and_then(JackFigures::others_clipping))
}

/// Every catalog output (but the ideal reference) driving `hp` at `target_spl_db`, best
/// first (see [`rank_outputs`]), by index. `hp_provenance` is where the headphone's figures
/// come from (empty for the user's own), `hp_across` the models spanning its estimates.
pub fn rank(
    hp: &HeadphoneModel,
    hp_provenance: &[Provenance],
    hp_across: &[HeadphoneModel],
    target_spl_db: f64,
) -> Vec<(usize, Report)> {
    let mut v: Vec<(usize, Report)> = catalog::outputs()
        .iter()
        .enumerate()
        .filter(|(_, e)| e.kind != catalog::OutputKind::Reference)
        .filter_map(|(k, _)| {
            let output = AnalysedOutput::catalog(k)?;
            Some((
                k,
                output.report(hp, hp_provenance, hp_across, target_spl_db),
            ))
        })
        .collect();
    best_first(&mut v);
    v
}

/// `outputs` driving `hp` at `target_spl_db`, each with its report, best first: those whose
/// peaks reach the target before those that fall short (by how far), then by the smaller
/// tonal deviation, then by the lower noise floor.
///
/// The reports are independent, and an output with ranged estimates (a chain's especially)
/// computes hundreds of them, so they are shared among the machine's cores; the order does
/// not depend on how.
pub fn rank_outputs(
    outputs: Vec<AnalysedOutput>,
    hp: &HeadphoneModel,
    hp_provenance: &[Provenance],
    hp_across: &[HeadphoneModel],
    target_spl_db: f64,
) -> Vec<(AnalysedOutput, Report)> {
    let reports = crate::cores::map_in_order(&outputs, |o| {
        o.report(hp, hp_provenance, hp_across, target_spl_db)
    });
    let mut v: Vec<_> = outputs.into_iter().zip(reports).collect();
    best_first(&mut v);
    v
}

/// Sorts reports best first (see [`rank_outputs`]).
fn best_first<T>(v: &mut [(T, Report)]) {
    // Shortfalls within a tenth of a dB of each other tie; tone and noise decide.
    let key = |r: &Report| (r.short_db * 10.0).round() as i64;
    v.sort_by(|(_, a), (_, b)| {
        key(a)
            .cmp(&key(b))
            .then(a.deviation_span_db.total_cmp(&b.deviation_span_db))
            .then(a.noise_floor_db_spl_a.total_cmp(&b.noise_floor_db_spl_a))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog;

    fn output(k: usize) -> AnalysedOutput {
        AnalysedOutput::catalog(k).expect("a catalog output")
    }

    fn scenario(volume_db: Option<f64>) -> Scenario {
        let motu_m2 = catalog::find_output("motu m2").unwrap();
        let ideal = AnalysedOutput::own(
            "Ideal",
            OutputStage::perfect_at_full_scale(output(1).stage.v_fs_peak),
        );
        Scenario {
            outputs: [output(1), output(motu_m2), ideal],
            headphone: catalog::headphone_models()[0].clone(),
            headphone_provenance: catalog::headphones()[0].provenance(),
            headphone_across: catalog::headphones_across(0).to_vec(),
            others: Vec::new(),
            others_on: OthersOn::SameJack,
            target_spl_db: 85.0,
            volume_db,
        }
    }

    /// The analysis is the core's own figures, nothing recomputed differently: each report is
    /// `Report::new` with what the estimates decide, the curves are `report::response`.
    #[test]
    fn the_analysis_is_the_reports_and_curves_of_its_scenario() {
        let s = scenario(None);
        let a = analyze(s.clone());
        for (k, o) in s.outputs.iter().enumerate() {
            let provenance = [o.provenance.clone(), s.headphone_provenance.clone()].concat();
            let expected = Report::new(&o.name, &o.stage, &s.headphone, 85.0)
                .with_estimated(estimated(&provenance))
                .with_range(&o.stage, &o.range_stages, &s.headphone, &s.headphone_across);
            assert_eq!(a.reports[k], expected);
        }
        // The HD 600's estimated 10 kHz point ranges every report; B's estimates widen its.
        assert!(a.reports.iter().all(|r| r.range.is_some()));
        let span = |r: &Report| r.range.unwrap().deviation_span_db;
        assert!(span(&a.reports[1])[1] > span(&a.reports[0])[1]);
        assert_eq!(a.report(Slot::B).output, s.outputs[1].name);
        let stages = [s.outputs[0].stage, s.outputs[1].stage];
        assert_eq!(
            a.response,
            response(&stages, &s.headphone.load, RESPONSE_POINTS)
        );
        assert!(a.sources[2].contains(&s.headphone.name));
        assert!(a.at_volume.is_none());
        assert!(a.jack.iter().all(Option::is_none));
    }

    /// With another headphone on the jack, every report is the shared jack's (the heard
    /// headphone's sensitivity, the loads in parallel), the other's curve counts among what
    /// decides, and each output tells what every listener gets at its volume.
    #[test]
    fn another_headphone_on_the_jack_changes_every_figure() {
        let mut s = scenario(None);
        let k = catalog::find_headphone("dt 770 32").unwrap();
        s.others = vec![Listener {
            volume_offset_db: 0.0,
            model: catalog::headphone_models()[k].clone(),
            provenance: catalog::headphones()[k].provenance(),
        }];
        let a = analyze(s.clone());
        let heard = s.heard();
        let provenance = provenance_on_jack(&s.headphone_provenance, &s.others);
        let o = &s.outputs[0];
        let expected = Report::new(&o.name, &o.stage, &heard, 85.0)
            .with_estimated(estimated(&[o.provenance.clone(), provenance].concat()))
            .with_range(&o.stage, &o.range_stages, &heard, &s.heard_across());
        let expected = with_listeners(expected, a.jack[0].as_ref());
        assert_eq!(a.reports[0], expected);
        // The DT 770 at the HD 600's voltage is far louder, and its peaks clip: the verdict
        // names it.
        assert!(a.reports[0].verdict.contains("DT 770 Pro 32 ohm's by"));
        assert_ne!(a.reports[0], analyze(scenario(None)).reports[0]);
        let jack = a.jack[0].as_ref().expect("a shared jack");
        assert_eq!(jack.listeners.len(), 2);
        assert!(jack.listeners[0].heard && !jack.listeners[1].heard);
        assert!(jack.listeners[0].level_change_db < 0.0);
    }

    /// With the others on outputs of their own, a distribution amplifier's report is that of
    /// its own output with the others' loads on its supply (the heard headphone's load alone),
    /// and an output with one headphone output leaves them out, and says so.
    #[test]
    fn others_on_their_own_outputs_load_only_a_distribution_amps_supply() {
        let mut s = scenario(None);
        let ha8000 = catalog::find_output("ha8000").unwrap();
        s.outputs[1] = output(ha8000);
        let k = catalog::find_headphone("dt 770 32").unwrap();
        let other = Listener {
            model: catalog::headphone_models()[k].clone(),
            provenance: catalog::headphones()[k].provenance(),
            volume_offset_db: 6.0,
        };
        s.others = vec![other.clone(), other];
        s.others_on = OthersOn::OwnOutputs;
        let a = analyze(s.clone());
        assert_eq!(
            a.heard.load, s.headphone.load,
            "the jack is the heard one's alone"
        );
        assert!(
            a.heard.name.contains("on outputs of their own"),
            "{}",
            a.heard.name
        );
        let amp = &a.outputs[1];
        assert_eq!(amp.stage.supply.others().len(), 2);
        let others = other_outputs(&[(&s.others[0].model, 6.0), (&s.others[1].model, 6.0)]);
        let expected = on_own_outputs(&s.outputs[1].stage, 8, &others).0;
        assert_eq!(amp.stage, expected);
        let provenance = provenance_on_jack(&s.headphone_provenance, &s.others);
        let report = Report::new(&amp.name, &amp.stage, &a.heard, 85.0)
            .with_estimated(estimated(&[amp.provenance.clone(), provenance].concat()))
            .with_range(&amp.stage, &amp.range_stages, &a.heard, &s.heard_across());
        let report = with_listeners(report, a.jack[1].as_ref());
        assert_eq!(a.reports[1], report);
        // The supply's sag costs the heard pair clean level against the amplifier alone.
        let alone = analyze(scenario(None)).reports[0].clone();
        let own = a.jack[1].as_ref().expect("the listeners' figures");
        assert!(own.listeners[0].peak_change_db.unwrap() < -0.1, "{own:?}");
        assert_eq!(own.listeners[1].volume_offset_db, Some(6.0));
        // The Scarlett has one headphone output: nobody else has one there.
        assert!(a.outputs[0].stage.supply.is_empty());
        assert_eq!(a.scenario, s, "the scenario stays as asked");
        let note = a.outputs[0].left_out.as_ref().expect("a note");
        assert!(note.contains("2 other listeners left out"), "{note}");
        assert!(a.reports[0].notes.contains(note));
        assert_eq!(a.reports[0].peak_spl_db, alone.peak_spl_db);
        assert!(a.jack[0].is_none());
    }

    #[test]
    fn a_volume_set_by_hand_gives_the_figures_at_it() {
        let a = analyze(scenario(Some(-12.0)));
        let f = a.figures_at_volume(Slot::A).expect("figures at the volume");
        let s = &a.scenario;
        let direct = OperatingPoint {
            stage: &s.outputs[0].stage,
            load: &s.headphone.load,
            sens_db_spl_per_v: s.headphone.sens_db_spl_per_v,
            volume_db: -12.0,
        }
        .figures();
        assert_eq!(*f, direct);
    }

    /// The thread gives the analysis of the newest scenario asked for.
    #[test]
    fn the_analyst_answers_the_newest_request() {
        let analyst = Analyst::spawn();
        assert!(analyst.latest().is_none());
        analyst.request(scenario(Some(-3.0)));
        let newest = scenario(None);
        analyst.request(newest.clone());
        let got = analyst.wait_for(&newest);
        assert_eq!(*got, analyze(newest));
        assert_eq!(analyst.latest().as_deref(), Some(&*got));
    }

    #[test]
    fn ranking_puts_enough_before_short_and_skips_the_reference() {
        let hp = &catalog::headphone_models()[catalog::find_headphone("dt 990 600").unwrap()];
        let ranked = rank(hp, &[], &[], 95.0);
        assert_eq!(ranked.len(), catalog::outputs().len() - 1);
        assert!(ranked.iter().all(|(_, r)| r.output != "Loadline Ideal"));
        let shorts: Vec<f64> = ranked.iter().map(|(_, r)| r.short_db).collect();
        assert!(
            shorts
                .windows(2)
                .all(|w| (w[0] * 10.0).round() <= (w[1] * 10.0).round())
        );
        assert_eq!(shorts[0], 0.0);
        assert!(*shorts.last().unwrap() > 0.0);
    }
}
