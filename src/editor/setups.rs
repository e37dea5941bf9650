//! The setup menu in the top bar: the factory's setups and the user's (`core::setups`),
//! loaded into the parameters, each value a host gesture, with the loaded setup's name shown
//! and a mark once something has been changed since.

use super::{EditorApp, Inputs};
use crate::params::{Gestures, load_setup, setup_of};
use loadline_core::catalog::user::marked;
use loadline_core::setups::{self, Setup, SetupError};

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

    /// Sets the parameters (and the devices saved with the project) to `setup`'s, each as a
    /// host gesture; what the user should know (a carried device of theirs this machine
    /// lacks).
    fn load_setup(&mut self, setup: &Setup) -> Result<Vec<String>, SetupError> {
        let (choices, notes) = setup.choices(&self.yours.catalog)?;
        if let Some(gui) = &self.gui {
            let setter = gui.param_setter();
            load_setup(&self.params, setup, &choices, &mut Gestures(&setter));
        }
        Ok(notes)
    }
}
