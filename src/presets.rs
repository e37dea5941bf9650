//! The setups (`core::setups`) as presets a host lists: CLAP's preset discovery (the factory's
//! setups inside the plugin, the user's as files in their setups folder) and VST3's
//! `.vstpreset` files. Each preset is the state a setup gives: the parameters and the devices
//! saved with the project that the editor's setup menu sets, and nothing else (the bypass, the
//! editor's size and the user's imported curve stay as they are).

use crate::params::{Direct, LoadlineParams, load_setup};
use loadline_core::catalog::user::UserCatalog;
use loadline_core::setups::{self, Setup, SetupError};
use nice_plug::params::internals::ParamPtr;
use nice_plug::plugin::ParamValue;
use nice_plug::prelude::*;
use std::collections::HashMap;
use std::path::Path;

/// The state that loads `setup`, with the user's devices from `yours`, and what the user
/// should know (a device of theirs this machine lacks, loaded with the figures the setup
/// carries).
pub fn setup_state(
    setup: &Setup,
    yours: &UserCatalog,
) -> Result<(PluginState, Vec<String>), SetupError> {
    let (choices, notes) = setup.choices(yours)?;
    let fresh = LoadlineParams::default();
    let fields_before = fresh.serialize_fields();
    let mut direct = Direct::default();
    load_setup(&fresh, setup, &choices, &mut direct);
    let ids: HashMap<ParamPtr, String> = (fresh.param_map().into_iter())
        .map(|(id, ptr, _)| (ptr, id))
        .collect();
    let params = (direct.set.iter())
        .filter_map(|ptr| Some((ids.get(ptr)?.clone(), plain_value(*ptr))))
        .collect();
    // A field the setup did not change (the imported curve, when the setup names a catalog
    // headphone) is left out, so that loading the preset keeps the project's.
    let fields = (fresh.serialize_fields().into_iter())
        .filter(|(id, value)| fields_before.get(id) != Some(value))
        .collect();
    let state = PluginState {
        version: crate::Loadline::VERSION.to_string(),
        params,
        fields,
    };
    Ok((state, notes))
}

/// A parameter's value as a saved state holds it (an enumeration by its stable id).
fn plain_value(ptr: ParamPtr) -> ParamValue {
    // `ptr` points into parameters that outlive this call (`setup_state`'s).
    unsafe {
        match ptr {
            ParamPtr::FloatParam(p) => ParamValue::F32((*p).unmodulated_plain_value()),
            ParamPtr::IntParam(p) => ParamValue::I32((*p).unmodulated_plain_value()),
            ParamPtr::BoolParam(p) => ParamValue::Bool((*p).unmodulated_plain_value()),
            ParamPtr::EnumParam(p) => match (*p).unmodulated_plain_id() {
                Some(id) => ParamValue::String(id.to_owned()),
                None => ParamValue::I32((*p).unmodulated_plain_value()),
            },
        }
    }
}

/// The user's catalog, as a preset is loaded with it: empty (with the reason logged) when it
/// cannot be read, so that a setup naming none of its devices still loads.
fn user_catalog() -> UserCatalog {
    UserCatalog::load_default().unwrap_or_else(|e| {
        nice_plug::nice_warn!("the user's catalog was not read: {e}");
        UserCatalog::default()
    })
}

/// The setup a preset location and load key name: a factory setup by its exact name, or the
/// user's setup in a file.
fn setup_at(at: PresetLocationRef<'_>, load_key: Option<&str>) -> Result<Setup, String> {
    match at {
        PresetLocationRef::Plugin => {
            let key = load_key.ok_or("a factory setup needs its name as the load key")?;
            (setups::factory().iter())
                .find(|s| s.name == key)
                .cloned()
                .ok_or_else(|| format!("no factory setup is named '{key}'"))
        }
        PresetLocationRef::File(path) => setups::read_file(path).map_err(|e| e.to_string()),
    }
}

/// The presets CLAP hosts list: the factory's setups, then the user's, each a file in its
/// folder. The factory's are written into theirs (`setups::factory_dir`) when the host first
/// asks, so that each is a file of one setup as the user's are: indexers handle those best
/// (clap-validator 0.4.1, for one, hangs crawling a location that holds several presets under
/// load keys). Where that folder cannot be written, they are listed from inside the plugin
/// instead, each under its name as load key.
pub struct Presets;

impl Presets {
    /// The user's setups folder, absolute, when it exists.
    fn yours_dir() -> Option<std::path::PathBuf> {
        std::fs::canonicalize(setups::dir()?).ok()
    }

    /// The factory's setups folder, absolute, once it holds them; `None` when it cannot.
    fn factory_dir() -> Option<std::path::PathBuf> {
        let dir = setups::factory_dir()?;
        match setups::write_factory(&dir) {
            Ok(()) => std::fs::canonicalize(dir).ok(),
            Err(e) => {
                nice_plug::nice_warn!("the factory's setups were not written in {dir:?}: {e}");
                None
            }
        }
    }
}

impl ClapPresets for Presets {
    fn file_types(&self) -> Vec<PresetFileType> {
        vec![PresetFileType {
            name: "Loadline setup".into(),
            description: Some("A Loadline setup: outputs A and B, the listeners, the level".into()),
            extension: "toml".into(),
        }]
    }

    fn locations(&self) -> Vec<PresetLocation> {
        let factory = PresetLocation {
            name: "Loadline's setups".into(),
            flags: PresetFlags {
                factory: true,
                ..PresetFlags::default()
            },
            path: Self::factory_dir(),
        };
        let yours = Self::yours_dir().map(|dir| PresetLocation {
            name: "Your setups".into(),
            flags: PresetFlags {
                user: true,
                ..PresetFlags::default()
            },
            path: Some(dir),
        });
        std::iter::once(factory).chain(yours).collect()
    }

    fn presets_at(&self, at: PresetLocationRef<'_>) -> Result<Vec<PresetInfo>, String> {
        let info = |setup: &Setup, load_key: Option<String>| PresetInfo {
            name: setup.name.clone(),
            load_key,
            description: Some(setup.question.clone()).filter(|q| !q.is_empty()),
            creators: vec![],
            features: vec![],
            flags: None,
        };
        match at {
            PresetLocationRef::Plugin => Ok((setups::factory().iter())
                .map(|s| info(s, Some(s.name.clone())))
                .collect()),
            PresetLocationRef::File(path) => {
                let setup = setups::read_file(path).map_err(|e| e.to_string())?;
                Ok(vec![info(&setup, None)])
            }
        }
    }

    fn preset_state(
        &self,
        at: PresetLocationRef<'_>,
        load_key: Option<&str>,
    ) -> Result<PluginState, String> {
        let setup = setup_at(at, load_key)?;
        let (state, notes) = setup_state(&setup, &user_catalog()).map_err(|e| e.to_string())?;
        for note in notes {
            nice_plug::nice_log!("{}: {note}", setup.name);
        }
        Ok(state)
    }
}

/// A VST3 preset file (`.vstpreset`) holding `state`, the component's state as nice-plug saves
/// it, for the plugin whose class id is `class_id`: the header (`VST3`, version 1, the class id
/// as 32 hexadecimal characters, where the chunk list starts), the state as the `Comp` chunk,
/// and the chunk list.
pub fn vstpreset(class_id: &[u8; 16], state: &[u8]) -> Vec<u8> {
    const HEADER_BYTES: u64 = 48;
    let mut out = Vec::with_capacity(state.len() + 100);
    out.extend_from_slice(b"VST3");
    out.extend_from_slice(&1i32.to_le_bytes());
    for byte in class_id {
        out.extend_from_slice(format!("{byte:02X}").as_bytes());
    }
    let list_at = HEADER_BYTES + state.len() as u64;
    out.extend_from_slice(&(list_at as i64).to_le_bytes());
    out.extend_from_slice(state);
    out.extend_from_slice(b"List");
    out.extend_from_slice(&1i32.to_le_bytes());
    out.extend_from_slice(b"Comp");
    out.extend_from_slice(&(HEADER_BYTES as i64).to_le_bytes());
    out.extend_from_slice(&(state.len() as i64).to_le_bytes());
    out
}

/// Writes each factory setup as a `.vstpreset` in `dir` (made if missing), named as the setup
/// is; the files written.
pub fn write_vstpresets(dir: &Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    for setup in setups::factory() {
        let (state, _) = setup_state(setup, &UserCatalog::default())
            .map_err(|e| std::io::Error::other(format!("{}: {e}", setup.name)))?;
        let json = serde_json::to_vec(&state).map_err(std::io::Error::other)?;
        let bytes = vstpreset(&<crate::Loadline as Vst3Plugin>::VST3_CLASS_ID, &json);
        let path = dir.join(format!("{}.vstpreset", setup.name));
        loadline_core::files::write_whole(&path, &bytes)?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::ImportedHeadphone;

    /// Loads `state` into `p` as nice-plug's wrapper does: each parameter by its id, an
    /// enumeration by its stable id, then the fields.
    fn apply(p: &LoadlineParams, state: &PluginState) {
        let ptrs: HashMap<String, ParamPtr> = (p.param_map().into_iter())
            .map(|(id, ptr, _)| (id, ptr))
            .collect();
        for (id, value) in &state.params {
            let ptr = ptrs[id];
            // The parameters are this test's alone.
            unsafe {
                match (ptr, value) {
                    (ParamPtr::EnumParam(e), ParamValue::String(s)) => {
                        assert!((*e).set_from_id(s), "{id}: {s}");
                    }
                    (_, ParamValue::F32(v)) => {
                        ptr._internal_set_normalized_value(ptr.preview_normalized(*v));
                    }
                    (_, ParamValue::I32(v)) => {
                        ptr._internal_set_normalized_value(ptr.preview_normalized(*v as f32));
                    }
                    (_, ParamValue::Bool(v)) => {
                        ptr._internal_set_normalized_value(if *v { 1.0 } else { 0.0 });
                    }
                    (_, other) => panic!("{id}: {other:?}"),
                }
            }
        }
        p.deserialize_fields(&state.fields);
    }

    #[test]
    fn each_factory_setup_state_sets_what_the_setup_menu_sets_and_nothing_else() {
        let user = UserCatalog::default();
        for setup in setups::factory() {
            let (state, _) = setup_state(setup, &user).unwrap();
            // What the editor's menu sets, on parameters of their own.
            let menu = LoadlineParams::default();
            let (choices, _) = setup.choices(&user).unwrap();
            load_setup(&menu, setup, &choices, &mut Direct::default());
            // A project that had moved everything off its defaults and held an imported curve:
            // the state sets what the setup decides and leaves the rest.
            let project = LoadlineParams::default();
            for (_, ptr, _) in project.param_map() {
                unsafe { ptr._internal_set_normalized_value(0.37) };
            }
            let curve =
                ImportedHeadphone::from_entry(loadline_core::catalog::headphones()[2].clone());
            project.imported.set(Some(curve.clone()));
            let before: HashMap<String, f32> = (project.param_map().into_iter())
                .map(|(id, ptr, _)| (id, unsafe { ptr.unmodulated_normalized_value() }))
                .collect();
            apply(&project, &state);
            let menu_values: HashMap<String, f32> = (menu.param_map().into_iter())
                .map(|(id, ptr, _)| (id, unsafe { ptr.unmodulated_normalized_value() }))
                .collect();
            for (id, ptr, _) in project.param_map() {
                let value = unsafe { ptr.unmodulated_normalized_value() };
                if state.params.contains_key(&id) {
                    assert_eq!(
                        value.to_bits(),
                        menu_values[&id].to_bits(),
                        "{}: {id}",
                        setup.name
                    );
                } else {
                    assert_eq!(
                        value, before[&id],
                        "{}: {id} is not the setup's",
                        setup.name
                    );
                }
            }
            assert_eq!(project.saved.get(), menu.saved.get(), "{}", setup.name);
            assert_eq!(project.imported.get(), Some(curve), "{}", setup.name);
            assert!(state.params.contains_key("heard") && state.params.contains_key("outa"));
            assert!(
                !state.params.contains_key("bypass"),
                "a setup never bypasses"
            );
        }
    }

    #[test]
    fn a_vstpreset_holds_the_state_as_the_sdk_reads_it() {
        let state = br#"{"version":"0.2.0","params":{},"fields":{}}"#;
        let file = vstpreset(b"LoadlineHpAmp01.", state);
        assert_eq!(&file[0..4], b"VST3");
        assert_eq!(i32::from_le_bytes(file[4..8].try_into().unwrap()), 1);
        // The class id as the SDK's FUID prints it: each byte as two hexadecimal digits.
        assert_eq!(&file[8..40], b"4C6F61646C696E654870416D7030312E");
        let list_at = i64::from_le_bytes(file[40..48].try_into().unwrap()) as usize;
        assert_eq!(&file[list_at..list_at + 4], b"List");
        assert_eq!(
            i32::from_le_bytes(file[list_at + 4..list_at + 8].try_into().unwrap()),
            1
        );
        let entry = &file[list_at + 8..];
        assert_eq!(&entry[0..4], b"Comp");
        let offset = i64::from_le_bytes(entry[4..12].try_into().unwrap()) as usize;
        let size = i64::from_le_bytes(entry[12..20].try_into().unwrap()) as usize;
        assert_eq!(&file[offset..offset + size], state);
        assert_eq!(file.len(), list_at + 8 + 20, "nothing after the list");
    }
}
