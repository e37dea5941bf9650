//! The setup menu in the top bar: the factory's setups and the user's (`core::setups`),
//! loaded into the parameters, each value a host gesture, with the loaded setup's name shown
//! and a mark once something has been changed since.

use super::yours::{hold_figures, play_entry};
use super::{EditorApp, Inputs, gesture};
use crate::params::{GainChoice, Heard, ImportedHeadphone, LevelMode, ModeChoice, OthersOnChoice};
use loadline_core::catalog::user::marked;
use loadline_core::catalog::{self, HeadphoneEntry, OutputEntry, SourceJack};
use loadline_core::choices::{AmpChoice, Device, HeadphonePick, Output, SlotChoice};
use loadline_core::figures::OUTPUT_FIGURES;
use loadline_core::listeners::{MAX_OTHER_LISTENERS, OthersOn};
use loadline_core::physics::output::OutputFigures;
use loadline_core::scenario::{
    HeadphoneChoice, Listeners, OtherChoice, OutputChoice, amp_from_param, amp_to_param,
};
use loadline_core::setups::{
    self, AmpSetup, DeviceSetup, FiguresSetup, GainSetup, HeadphoneSetup, HeardSetup, JackSetup,
    LevelSetup, ModeSetup, OtherSetup, OthersOnSetup, Setup, SetupError, SlotSetup,
};
use nice_plug::prelude::ParamSetter;

/// What the menu remembers: the setup loaded and what the parameters asked for then.
#[derive(Default)]
pub(super) struct SetupsUi {
    /// The name of the setup loaded last, and the inputs it gave.
    loaded: Option<(String, Inputs)>,
    /// What the last load or save said (a device of the user's this machine lacks; why it
    /// failed; where it went).
    pub(super) message: Option<(bool, String)>,
    /// The name typed for "Save as yours" and "Rename".
    save_name: String,
    /// When the setup loaded (or saved) last is the user's: its file and its name.
    yours_loaded: Option<(std::path::PathBuf, String)>,
    /// The setups offered, read when the menu is opened (not at every frame: the user's are
    /// files) and again after a save, an update, a rename or a delete.
    offered: Option<Vec<Offered>>,
}

/// A setup the menu offers: its name as shown, the setup, and its file for one of the user's.
type Offered = (String, Setup, Option<std::path::PathBuf>);

/// What the menu's buttons ask for.
#[derive(Clone, Copy)]
enum Action {
    SaveAs,
    Update,
    Rename,
    Delete,
}

impl EditorApp {
    /// The setups offered: the factory's, then the user's (marked, with their files).
    fn setups_offered(&self) -> Vec<Offered> {
        let factory = (setups::factory().iter()).map(|s| (s.name.clone(), s.clone(), None));
        let dir = setups::dir();
        let yours = (dir
            .as_deref()
            .map(setups::read_dir)
            .unwrap_or_default()
            .into_iter())
        .flatten()
        .map(|(path, s)| (marked(&s.name), s, Some(path)));
        factory.chain(yours).collect()
    }

    /// The menu: the loaded setup's name (with "changed" once the parameters moved from it),
    /// and the setups to load.
    pub(super) fn setup_menu(&mut self, ui: &mut egui::Ui) {
        let shown = match &self.setups.loaded {
            Some((name, inputs)) if *inputs == self.inputs() => name.clone(),
            Some((name, _)) => format!("{name} (changed)"),
            None => "No setup loaded".into(),
        };
        let (mut picked, mut action) = (None, None);
        let yours = self.setups.yours_loaded.clone();
        let offered = match self.setups.offered.take() {
            Some(offered) => offered,
            None => self.setups_offered(),
        };
        let save_name = &mut self.setups.save_name;
        let menu = egui::ComboBox::from_id_salt("setup-menu")
            .selected_text(shown)
            .width(260.0)
            .show_ui(ui, |ui| {
                for item in &offered {
                    if ui.selectable_label(false, &item.0).clicked() {
                        picked = Some(item.clone());
                    }
                }
                ui.separator();
                ui.horizontal(|ui| {
                    ui.add(egui::TextEdit::singleline(save_name).hint_text("name"));
                    if ui.button("Save as yours").clicked() {
                        action = Some(Action::SaveAs);
                    }
                });
                if let Some((_, name)) = &yours {
                    ui.horizontal(|ui| {
                        for (label, a) in [
                            ("Update", Action::Update),
                            ("Rename", Action::Rename),
                            ("Delete", Action::Delete),
                        ] {
                            let button = ui.button(label).on_hover_text(format!(
                                "{label} your setup {name} (Rename takes the name typed above)"
                            ));
                            if button.clicked() {
                                action = Some(a);
                            }
                        }
                    });
                }
            })
            .response
            .on_hover_text("Setups: A/B comparisons ready to load, the factory's and yours");
        // Opened: the user's files are read anew; otherwise the list is kept.
        self.setups.offered = (!menu.clicked()).then_some(offered);
        if let Some((name, setup, path)) = picked {
            self.load_setup_named(&name, &setup, path);
        }
        let typed = self.setups.save_name.trim().to_string();
        if action.is_some() {
            // The user's files change: read them anew.
            self.setups.offered = None;
        }
        match (action, setups::dir()) {
            (Some(Action::SaveAs), Some(dir)) => self.save_setup_in(&dir, &typed),
            (Some(Action::Update), _) => self.update_setup(),
            (Some(Action::Rename), _) => self.rename_setup(&typed),
            (Some(Action::Delete), _) => self.delete_setup(),
            _ => {}
        }
    }

    /// Writes what is set now over the user's setup loaded last, under its name.
    pub(super) fn update_setup(&mut self) {
        let Some((path, name)) = self.setups.yours_loaded.clone() else {
            return;
        };
        let written = setup_of(&self.params, &name).and_then(|s| {
            loadline_core::files::write_whole(&path, s.to_toml().as_bytes())
                .map_err(|e| format!("{}: {e}", path.display()))
        });
        self.setups.message = Some(match written {
            Ok(()) => {
                self.setups.loaded = Some((marked(&name), self.inputs()));
                (true, format!("updated {}", marked(&name)))
            }
            Err(e) => (false, format!("not updated: {e}")),
        });
    }

    /// Renames the user's setup loaded last to `new_name`: written under it, the old file
    /// removed only then.
    pub(super) fn rename_setup(&mut self, new_name: &str) {
        let Some((path, name)) = self.setups.yours_loaded.clone() else {
            return;
        };
        let dir = path.parent().unwrap_or(std::path::Path::new("."));
        let target = setups::file_in(dir, new_name);
        let renamed = (|| {
            if new_name.is_empty() {
                return Err("type the new name first".to_string());
            }
            if target.exists() {
                return Err(format!(
                    "a setup of yours is already named so ({})",
                    target.display()
                ));
            }
            let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
            let mut setup = Setup::parse(&path, &text).map_err(|e| e.to_string())?;
            setup.name = new_name.into();
            let written = setups::save(dir, &setup).map_err(|e| e.to_string())?;
            std::fs::remove_file(&path).map_err(|e| e.to_string())?;
            Ok(written)
        })();
        self.setups.message = Some(match renamed {
            Ok(written) => {
                let shown = self.setups.loaded.as_ref().map(|(_, i)| i.clone());
                self.setups.loaded = shown.map(|i| (marked(new_name), i));
                self.setups.yours_loaded = Some((written, new_name.into()));
                (
                    true,
                    format!("renamed {} to {}", marked(&name), marked(new_name)),
                )
            }
            Err(e) => (false, format!("not renamed: {e}")),
        });
    }

    /// Deletes the user's setup loaded last (its file); what is set stays as it is.
    pub(super) fn delete_setup(&mut self) {
        let Some((path, name)) = self.setups.yours_loaded.take() else {
            return;
        };
        self.setups.message = Some(match std::fs::remove_file(&path) {
            Ok(()) => {
                self.setups.loaded = None;
                (true, format!("deleted {}", marked(&name)))
            }
            Err(e) => {
                self.setups.yours_loaded = Some((path.clone(), name));
                (false, format!("not deleted: {}: {e}", path.display()))
            }
        });
    }

    /// Saves what is set now as the user's setup `name`, in `dir`; says where, or why not.
    pub(super) fn save_setup_in(&mut self, dir: &std::path::Path, name: &str) {
        let saved = (|| {
            if name.is_empty() {
                return Err("type a name for the setup first".to_string());
            }
            let path = setups::file_in(dir, name);
            if path.exists() {
                return Err(format!(
                    "a setup of yours is already named so ({}): pick another name",
                    path.display()
                ));
            }
            let setup = setup_of(&self.params, name)?;
            setups::save(dir, &setup).map_err(|e| format!("{}: {e}", dir.display()))
        })();
        self.setups.message = Some(match saved {
            Ok(path) => {
                self.setups.loaded = Some((marked(name), self.inputs()));
                let shown = path.display().to_string();
                self.setups.yours_loaded = Some((path, name.into()));
                (true, format!("saved {} in {shown}", marked(name)))
            }
            Err(e) => (false, format!("not saved: {e}")),
        });
    }

    /// Loads `setup` (shown as `name`; from `path`, when it is the user's) and says what it
    /// must.
    pub(super) fn load_setup_named(
        &mut self,
        name: &str,
        setup: &Setup,
        path: Option<std::path::PathBuf>,
    ) {
        self.setups.message = match self.load_setup(setup) {
            Ok(notes) if notes.is_empty() => None,
            Ok(notes) => Some((true, notes.join("; "))),
            Err(e) => Some((false, format!("{name} was not loaded: {e}"))),
        };
        if self.setups.message.as_ref().is_none_or(|(ok, _)| *ok) {
            self.setups.loaded = Some((name.to_string(), self.inputs()));
            self.setups.yours_loaded = path.map(|p| (p, setup.name.clone()));
        }
    }

    /// Sets the parameters (and the devices saved with the project) to `setup`'s; what the
    /// user should know (a carried device of theirs this machine lacks).
    fn load_setup(&mut self, setup: &Setup) -> Result<Vec<String>, SetupError> {
        let (choices, notes) = setup.choices(&self.yours.catalog)?;
        let Some(gui) = &self.gui else {
            return Ok(notes);
        };
        let setter = gui.param_setter();
        let p = self.params.clone();
        for (i, heard) in [Heard::A, Heard::B].into_iter().enumerate() {
            load_slot(&p, &setter, heard, i, &choices.slots[i]);
        }
        match &choices.listeners.heard {
            HeadphonePick::Catalog(k) => gesture(&setter, &p.headphone, *k as i32),
            HeadphonePick::Yours(entry) => {
                p.imported
                    .set(Some(ImportedHeadphone::from_entry((**entry).clone())));
                gesture(&setter, &p.headphone, HeadphoneChoice::imported_param());
            }
            // A setup names its headphone; it never gives a model whole.
            HeadphonePick::Given { .. } => {}
        }
        let places = p.others_on_jack().into_iter().zip(p.others_volumes());
        for (i, (place, volume)) in places.enumerate().take(MAX_OTHER_LISTENERS) {
            let other = choices.listeners.others.get(i);
            let value = match other.map(|o| &o.headphone) {
                None => 0,
                Some(HeadphonePick::Catalog(k)) => *k as i32 + 1,
                Some(HeadphonePick::Yours(entry)) => {
                    let saved = ImportedHeadphone::from_entry((**entry).clone());
                    p.saved.update(|s| s.others[i] = Some(saved));
                    Listeners::SAVED
                }
                Some(HeadphonePick::Given { .. }) => 0,
            };
            gesture(&setter, place, value);
            let offset = other.map_or(0.0, |o| o.volume_offset_db);
            gesture(&setter, volume, offset as f32);
        }
        let on = match choices.listeners.on {
            OthersOn::SameJack => OthersOnChoice::SameJack,
            OthersOn::OwnOutputs => OthersOnChoice::OwnOutputs,
        };
        gesture(&setter, &p.others_on, on);
        match choices.volume_db {
            Some(v) => {
                gesture(&setter, &p.level_mode, LevelMode::Volume);
                gesture(&setter, &p.volume_db, v as f32);
            }
            None => {
                gesture(&setter, &p.level_mode, LevelMode::TargetSpl);
                gesture(&setter, &p.target_spl_db, choices.target_spl_db as f32);
            }
        }
        let heard = match setup.heard {
            HeardSetup::A => Heard::A,
            HeardSetup::B => Heard::B,
            HeardSetup::Ideal => Heard::Ideal,
        };
        gesture(&setter, &p.heard, heard);
        let mode = match setup.mode {
            ModeSetup::ZeroLatency => ModeChoice::ZeroLatency,
            ModeSetup::Exact => ModeChoice::Exact,
        };
        gesture(&setter, &p.mode, mode);
        gesture(&setter, &p.level_match, setup.level_match);
        Ok(notes)
    }
}

/// Sets slot `heard` (the `i`-th) to `slot`: its output, and the amplifier it feeds.
fn load_slot(
    p: &crate::params::LoadlineParams,
    setter: &ParamSetter,
    heard: Heard,
    i: usize,
    slot: &SlotChoice,
) {
    match &slot.output {
        Output::Device(Device::Catalog(k)) => {
            gesture(
                setter,
                p.output_param(heard),
                OutputChoice::Catalog(*k).to_param(),
            );
        }
        Output::Device(Device::Yours(entry)) => {
            play_entry(p, setter, heard, (**entry).clone());
        }
        Output::Figures { figures, .. } => {
            hold_figures(p, setter, heard, figures, None);
        }
    }
    let chain = if heard == Heard::B {
        &p.chain_b
    } else {
        &p.chain_a
    };
    let Some(c) = &slot.chain else {
        gesture(setter, &chain.amp, 0);
        return;
    };
    let amp = match &c.amp {
        AmpChoice::Device(Device::Catalog(k)) => amp_to_param(Some(*k)),
        AmpChoice::Device(Device::Yours(entry)) => {
            let entry = (**entry).clone();
            p.saved.update(|s| s.amps[i] = Some(entry));
            Listeners::SAVED
        }
        // A setup names its amplifier; it never gives its figures alone.
        AmpChoice::Figures(_) => 0,
    };
    gesture(setter, &chain.amp, amp);
    gesture(setter, &chain.jack, c.jack.into());
    gesture(setter, &chain.source_volume_db, c.source_volume_db as f32);
    gesture(setter, &chain.gain, c.gain.into());
}

/// The setup the parameters (and the devices saved with the project) describe now, named
/// `name`; an imported curve that is none of the user's headphones has no place in a setup
/// (one is named or carried as an entry), so it is refused with what to do.
pub(super) fn setup_of(p: &crate::params::LoadlineParams, name: &str) -> Result<Setup, String> {
    let saved = p.saved.get();
    let slot = |heard: Heard, i: usize| -> SlotSetup {
        let output = match OutputChoice::from_param(p.output_param(heard).value()) {
            OutputChoice::Catalog(k) => (Some(device(k)), None),
            OutputChoice::Custom => match p.user_output(heard) {
                Some(entry) => (Some(device_yours(entry)), None),
                None => {
                    let figures = p.slot(heard).map(|(s, _)| s.figures()).unwrap_or_default();
                    (None, Some(figures_setup(&figures)))
                }
            },
        };
        let chain = if heard == Heard::B {
            &p.chain_b
        } else {
            &p.chain_a
        };
        let amp = match chain.amp.value() {
            Listeners::SAVED => saved.amps[i].clone().map(|e| (e.name(), Some(e))),
            v => amp_from_param(v).map(|k| (catalog::outputs()[k].name(), None)),
        };
        SlotSetup {
            output: output.0,
            figures: output.1,
            amp: amp.map(|(name, yours)| AmpSetup {
                name,
                yours,
                jack: match SourceJack::from(chain.jack.value()) {
                    SourceJack::HeadphoneOut => JackSetup::HeadphoneOut,
                    SourceJack::LineOut => JackSetup::LineOut,
                },
                source_volume_db: chain.source_volume_db.value() as f64,
                gain: match chain.gain.value() {
                    GainChoice::High => GainSetup::High,
                    GainChoice::Low => GainSetup::Low,
                },
            }),
        }
    };
    let headphone = match p.headphone_choice() {
        HeadphoneChoice::Catalog(k) => headphone_setup(catalog::headphones()[k].name(), None),
        HeadphoneChoice::Imported { .. } => match p.imported.get().and_then(|h| h.entry) {
            Some(entry) => headphone_setup(entry.name(), Some(entry)),
            None => return Err(CURVE_IN_A_SETUP.into()),
        },
    };
    let mut others = Vec::new();
    let places = p.others_on_jack().into_iter().zip(p.others_volumes());
    for (i, (place, volume)) in places.enumerate() {
        let (name, yours) = match Listeners::other_from_param(place.value(), 0) {
            None => continue,
            Some(OtherChoice::Catalog(k)) => (catalog::headphones()[k].name(), None),
            Some(OtherChoice::Saved { .. }) => {
                match saved.others[i].clone().and_then(|h| h.entry) {
                    Some(entry) => (entry.name(), Some(entry)),
                    None => return Err(CURVE_IN_A_SETUP.into()),
                }
            }
        };
        others.push(OtherSetup {
            name,
            yours,
            volume_db: volume.value() as f64,
        });
    }
    Ok(Setup {
        name: name.into(),
        question: String::new(),
        a: slot(Heard::A, 0),
        b: slot(Heard::B, 1),
        headphone,
        others,
        others_on: match p.others_on.value() {
            OthersOnChoice::SameJack => OthersOnSetup::SameJack,
            OthersOnChoice::OwnOutputs => OthersOnSetup::OwnOutputs,
        },
        level: match p.level_mode.value() {
            LevelMode::Volume => LevelSetup {
                target_spl_db: None,
                volume_db: Some(p.volume_db.value() as f64),
            },
            LevelMode::TargetSpl => LevelSetup {
                target_spl_db: Some(p.target_spl_db.value() as f64),
                volume_db: None,
            },
        },
        heard: match p.heard.value() {
            Heard::A => HeardSetup::A,
            Heard::B => HeardSetup::B,
            Heard::Ideal => HeardSetup::Ideal,
        },
        mode: match p.mode.value() {
            ModeChoice::ZeroLatency => ModeSetup::ZeroLatency,
            ModeChoice::Exact => ModeSetup::Exact,
        },
        level_match: p.level_match.value(),
    })
}

/// Why an imported curve cannot go into a setup, and what to do.
const CURVE_IN_A_SETUP: &str = "an imported curve cannot go into a setup: save it as your headphone first (Save as yours), then pick that";

/// Catalog output `k` as a setup names it.
fn device(k: usize) -> DeviceSetup {
    DeviceSetup {
        name: catalog::outputs()[k].name(),
        yours: None,
    }
}

/// The user's output `entry`, carried whole.
fn device_yours(entry: OutputEntry) -> DeviceSetup {
    DeviceSetup {
        name: entry.name(),
        yours: Some(entry),
    }
}

/// A headphone as a setup names it (carrying the user's entry).
fn headphone_setup(name: String, yours: Option<HeadphoneEntry>) -> HeadphoneSetup {
    HeadphoneSetup { name, yours }
}

/// A slot's figures as a setup gives them, by the keys of `figures::OUTPUT_FIGURES`.
fn figures_setup(figures: &OutputFigures) -> FiguresSetup {
    FiguresSetup {
        values: (OUTPUT_FIGURES.iter())
            .filter_map(|d| Some((d.key.to_string(), (d.get)(figures)?)))
            .collect(),
    }
}
