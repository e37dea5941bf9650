//! CLAP preset discovery and preset loading: a plugin that sets [`ClapPlugin::CLAP_PRESETS`]
//! gets a `clap.preset-discovery-factory/2` in its library (one provider per such plugin,
//! listing the presets its [`ClapPresets`] describes) and the `clap.preset-load/2` extension on
//! its instances (which turns a preset's location and load key into a [`PluginState`] and loads
//! it as a saved state is loaded).
//!
//! [`ClapPlugin::CLAP_PRESETS`]: super::ClapPlugin::CLAP_PRESETS

use clap_sys::factory::preset_discovery::{
    CLAP_PRESET_DISCOVERY_IS_DEMO_CONTENT, CLAP_PRESET_DISCOVERY_IS_FACTORY_CONTENT,
    CLAP_PRESET_DISCOVERY_IS_FAVORITE, CLAP_PRESET_DISCOVERY_IS_USER_CONTENT,
    CLAP_PRESET_DISCOVERY_LOCATION_FILE, CLAP_PRESET_DISCOVERY_LOCATION_PLUGIN,
    clap_preset_discovery_factory, clap_preset_discovery_filetype, clap_preset_discovery_indexer,
    clap_preset_discovery_location, clap_preset_discovery_location_kind,
    clap_preset_discovery_metadata_receiver, clap_preset_discovery_provider,
    clap_preset_discovery_provider_descriptor,
};
use clap_sys::universal_plugin_id::clap_universal_plugin_id;
use clap_sys::version::CLAP_VERSION;
use nice_plug_core::plugin::PluginState;
use std::ffi::{CStr, CString, c_char, c_void};
use std::path::{Path, PathBuf};

use super::ClapPlugin;

/// The presets a plugin lists in a host's preset browser and loads from there. Every method is
/// called on the host's main thread (or, for the listing, a thread of the host's indexer) with
/// no plugin instance: presets are described and turned into states from what is on disk and
/// in the plugin's code alone.
pub trait ClapPresets: Sync {
    /// The kinds of preset files the locations hold; the host lists only files with these
    /// extensions. Empty when every preset lives inside the plugin.
    fn file_types(&self) -> Vec<PresetFileType> {
        Vec::new()
    }

    /// Where the presets are, as the host should crawl them now. A folder that does not exist
    /// should not be listed.
    fn locations(&self) -> Vec<PresetLocation>;

    /// The presets at `location`: a file the host found in a declared folder (or a declared
    /// file), or the plugin itself. A file holding one preset gives one [`PresetInfo`] without a
    /// load key; a location holding several gives each a load key.
    fn presets_at(&self, location: PresetLocationRef<'_>) -> Result<Vec<PresetInfo>, String>;

    /// The state that loads the preset at `location` with `load_key`, or why it cannot.
    fn preset_state(
        &self,
        location: PresetLocationRef<'_>,
        load_key: Option<&str>,
    ) -> Result<PluginState, String>;
}

/// A kind of preset file.
#[derive(Debug, Clone)]
pub struct PresetFileType {
    /// The kind's name, shown to the user.
    pub name: String,
    /// An optional description of the kind.
    pub description: Option<String>,
    /// The file extension, without the leading dot.
    pub extension: String,
}

/// Whether presets are the plugin's own, the user's, demos or favourites.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PresetFlags {
    /// Shipped with the plugin.
    pub factory: bool,
    /// Made by the user.
    pub user: bool,
    /// Shipped for demonstration.
    pub demo: bool,
    /// Marked as a favourite.
    pub favorite: bool,
}

impl PresetFlags {
    fn bits(self) -> u32 {
        (self.factory as u32 * CLAP_PRESET_DISCOVERY_IS_FACTORY_CONTENT)
            | (self.user as u32 * CLAP_PRESET_DISCOVERY_IS_USER_CONTENT)
            | (self.demo as u32 * CLAP_PRESET_DISCOVERY_IS_DEMO_CONTENT)
            | (self.favorite as u32 * CLAP_PRESET_DISCOVERY_IS_FAVORITE)
    }
}

/// A place that holds presets, as the plugin declares it to the host.
#[derive(Debug, Clone)]
pub struct PresetLocation {
    /// The location's name, shown to the user.
    pub name: String,
    /// What the presets there are.
    pub flags: PresetFlags,
    /// A file or folder on disk (an absolute path), or `None` for presets inside the plugin.
    pub path: Option<PathBuf>,
}

/// A location as the host names it back to the plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PresetLocationRef<'a> {
    /// A file on disk.
    File(&'a Path),
    /// Inside the plugin.
    Plugin,
}

/// One preset, as listed in the host's browser.
#[derive(Debug, Clone, Default)]
pub struct PresetInfo {
    /// The preset's name.
    pub name: String,
    /// The key that picks this preset out of its location, when the location holds several.
    pub load_key: Option<String>,
    /// An optional description.
    pub description: Option<String>,
    /// Who made it.
    pub creators: Vec<String>,
    /// Keywords the host may filter on.
    pub features: Vec<String>,
    /// Its flags, when they differ from its location's.
    pub flags: Option<PresetFlags>,
}

/// A location the host passed, turned into a [`PresetLocationRef`]; `None` when it is neither
/// kind or not valid UTF-8.
///
/// # Safety
///
/// `location` is null or points to a nul-terminated string that outlives the result.
pub(crate) unsafe fn location_ref<'a>(
    kind: clap_preset_discovery_location_kind,
    location: *const c_char,
) -> Option<PresetLocationRef<'a>> {
    match kind {
        CLAP_PRESET_DISCOVERY_LOCATION_PLUGIN => Some(PresetLocationRef::Plugin),
        CLAP_PRESET_DISCOVERY_LOCATION_FILE if !location.is_null() => {
            let path = unsafe { CStr::from_ptr(location) }.to_str().ok()?;
            Some(PresetLocationRef::File(Path::new(path)))
        }
        _ => None,
    }
}

/// A load key the host passed, or `None` for a null one.
///
/// # Safety
///
/// `load_key` is null or points to a nul-terminated string that outlives the result.
pub(crate) unsafe fn load_key_str<'a>(load_key: *const c_char) -> Option<&'a str> {
    if load_key.is_null() {
        None
    } else {
        unsafe { CStr::from_ptr(load_key) }.to_str().ok()
    }
}

/// A string for the C side, with any interior nul cut off rather than failing.
pub(crate) fn c_string(s: &str) -> CString {
    let end = s.find('\0').unwrap_or(s.len());
    CString::new(&s[..end]).expect("cut at the first nul")
}

/// One plugin's provider, kept for the library's lifetime.
pub struct PresetProvider {
    id: CString,
    name: CString,
    vendor: CString,
    plugin_id: CString,
    descriptor: clap_preset_discovery_provider_descriptor,
    presets: &'static dyn ClapPresets,
}

// The raw pointers in the descriptor point into the provider's own strings, which never move
// (the provider is boxed and never dropped while the library is loaded).
unsafe impl Send for PresetProvider {}
unsafe impl Sync for PresetProvider {}

impl PresetProvider {
    /// The provider for `P`, if `P` lists presets.
    pub fn for_plugin<P: ClapPlugin>() -> Option<Box<Self>> {
        let presets = P::CLAP_PRESETS?;
        let mut provider = Box::new(Self {
            id: c_string(&format!("{}.presets", P::CLAP_ID)),
            name: c_string(&format!("{} presets", P::NAME)),
            vendor: c_string(P::VENDOR),
            plugin_id: c_string(P::CLAP_ID),
            descriptor: clap_preset_discovery_provider_descriptor {
                clap_version: CLAP_VERSION,
                id: std::ptr::null(),
                name: std::ptr::null(),
                vendor: std::ptr::null(),
            },
            presets,
        });
        provider.descriptor.id = provider.id.as_ptr();
        provider.descriptor.name = provider.name.as_ptr();
        provider.descriptor.vendor = provider.vendor.as_ptr();
        Some(provider)
    }
}

/// The library's preset discovery factory: the providers of every exported plugin that lists
/// presets. `clap` must stay the first field, so the factory pointer the host passes back is
/// this struct's.
#[repr(C)]
pub struct PresetDiscoveryFactory {
    clap: clap_preset_discovery_factory,
    providers: Vec<Box<PresetProvider>>,
}

impl PresetDiscoveryFactory {
    /// The factory over `providers`; `None` when there are none, so the library offers no
    /// factory at all.
    pub fn new(providers: Vec<Option<Box<PresetProvider>>>) -> Option<Self> {
        let providers: Vec<_> = providers.into_iter().flatten().collect();
        if providers.is_empty() {
            return None;
        }
        Some(Self {
            clap: clap_preset_discovery_factory {
                count: Some(Self::count),
                get_descriptor: Some(Self::get_descriptor),
                create: Some(Self::create),
            },
            providers,
        })
    }

    /// The pointer to give the host from `clap_plugin_entry::get_factory`.
    pub fn as_ptr(&self) -> *const c_void {
        &self.clap as *const _ as *const c_void
    }

    unsafe fn from_raw<'a>(factory: *const clap_preset_discovery_factory) -> &'a Self {
        unsafe { &*(factory as *const Self) }
    }

    unsafe extern "C" fn count(factory: *const clap_preset_discovery_factory) -> u32 {
        check_null_ptr!(0, factory);
        unsafe { Self::from_raw(factory) }.providers.len() as u32
    }

    unsafe extern "C" fn get_descriptor(
        factory: *const clap_preset_discovery_factory,
        index: u32,
    ) -> *const clap_preset_discovery_provider_descriptor {
        check_null_ptr!(std::ptr::null(), factory);
        match unsafe { Self::from_raw(factory) }
            .providers
            .get(index as usize)
        {
            Some(provider) => &provider.descriptor,
            None => std::ptr::null(),
        }
    }

    unsafe extern "C" fn create(
        factory: *const clap_preset_discovery_factory,
        indexer: *const clap_preset_discovery_indexer,
        provider_id: *const c_char,
    ) -> *const clap_preset_discovery_provider {
        check_null_ptr!(std::ptr::null(), factory, indexer, provider_id);
        let id = unsafe { CStr::from_ptr(provider_id) };
        let factory = unsafe { Self::from_raw(factory) };
        let Some(provider) = factory.providers.iter().find(|p| p.id.as_c_str() == id) else {
            return std::ptr::null();
        };
        let instance = Box::new(ProviderInstance {
            clap: clap_preset_discovery_provider {
                desc: &provider.descriptor,
                provider_data: std::ptr::null_mut(),
                init: Some(ProviderInstance::init),
                destroy: Some(ProviderInstance::destroy),
                get_metadata: Some(ProviderInstance::get_metadata),
                get_extension: Some(ProviderInstance::get_extension),
            },
            indexer,
            provider: provider.as_ref() as *const PresetProvider,
        });
        &Box::leak(instance).clap
    }
}

/// A provider the host created. `clap` must stay the first field (see
/// [`PresetDiscoveryFactory`]).
#[repr(C)]
struct ProviderInstance {
    clap: clap_preset_discovery_provider,
    indexer: *const clap_preset_discovery_indexer,
    provider: *const PresetProvider,
}

impl ProviderInstance {
    unsafe fn from_raw<'a>(provider: *const clap_preset_discovery_provider) -> &'a Self {
        unsafe { &*(provider as *const Self) }
    }

    unsafe extern "C" fn init(provider: *const clap_preset_discovery_provider) -> bool {
        check_null_ptr!(false, provider);
        let this = unsafe { Self::from_raw(provider) };
        let presets = unsafe { &*this.provider }.presets;
        let indexer = this.indexer;
        for file_type in presets.file_types() {
            let name = c_string(&file_type.name);
            let description = file_type.description.as_deref().map(c_string);
            let extension = c_string(&file_type.extension);
            let raw = clap_preset_discovery_filetype {
                name: name.as_ptr(),
                description: description
                    .as_ref()
                    .map_or(std::ptr::null(), |d| d.as_ptr()),
                file_extension: extension.as_ptr(),
            };
            if !unsafe_clap_call! { indexer=>declare_filetype(indexer, &raw) } {
                return false;
            }
        }
        for location in presets.locations() {
            let name = c_string(&location.name);
            let path = location
                .path
                .as_ref()
                .map(|p| c_string(&p.to_string_lossy()));
            let raw = clap_preset_discovery_location {
                flags: location.flags.bits(),
                name: name.as_ptr(),
                kind: match path {
                    Some(_) => CLAP_PRESET_DISCOVERY_LOCATION_FILE,
                    None => CLAP_PRESET_DISCOVERY_LOCATION_PLUGIN,
                },
                location: path.as_ref().map_or(std::ptr::null(), |p| p.as_ptr()),
            };
            if !unsafe_clap_call! { indexer=>declare_location(indexer, &raw) } {
                return false;
            }
        }
        true
    }

    unsafe extern "C" fn destroy(provider: *const clap_preset_discovery_provider) {
        check_null_ptr!((), provider);
        drop(unsafe { Box::from_raw(provider as *mut Self) });
    }

    unsafe extern "C" fn get_metadata(
        provider: *const clap_preset_discovery_provider,
        location_kind: clap_preset_discovery_location_kind,
        location: *const c_char,
        receiver: *const clap_preset_discovery_metadata_receiver,
    ) -> bool {
        check_null_ptr!(false, provider, receiver);
        let this = unsafe { Self::from_raw(provider) };
        let plugin = unsafe { &*this.provider };
        let Some(at) = (unsafe { location_ref(location_kind, location) }) else {
            return false;
        };
        match plugin.presets.presets_at(at) {
            Ok(presets) => {
                for preset in presets {
                    if !unsafe { describe(receiver, &plugin.plugin_id, &preset) } {
                        break;
                    }
                }
                true
            }
            Err(message) => {
                let message = c_string(&message);
                unsafe_clap_call! { receiver=>on_error(receiver, 0, message.as_ptr()) };
                true
            }
        }
    }

    unsafe extern "C" fn get_extension(
        _provider: *const clap_preset_discovery_provider,
        _extension_id: *const c_char,
    ) -> *const c_void {
        std::ptr::null()
    }
}

/// Tells `receiver` about `preset`, which loads into the plugin `plugin_id`; `false` when the
/// receiver wants no more presets from this location.
unsafe fn describe(
    receiver: *const clap_preset_discovery_metadata_receiver,
    plugin_id: &CStr,
    preset: &PresetInfo,
) -> bool {
    let name = c_string(&preset.name);
    let load_key = preset.load_key.as_deref().map(c_string);
    let load_key_ptr = load_key.as_ref().map_or(std::ptr::null(), |k| k.as_ptr());
    if !unsafe_clap_call! { receiver=>begin_preset(receiver, name.as_ptr(), load_key_ptr) } {
        return false;
    }
    let id = clap_universal_plugin_id {
        abi: c"clap".as_ptr(),
        id: plugin_id.as_ptr(),
    };
    unsafe_clap_call! { receiver=>add_plugin_id(receiver, &id) };
    if let Some(flags) = preset.flags {
        unsafe_clap_call! { receiver=>set_flags(receiver, flags.bits()) };
    }
    if let Some(description) = &preset.description {
        let description = c_string(description);
        unsafe_clap_call! { receiver=>set_description(receiver, description.as_ptr()) };
    }
    for creator in &preset.creators {
        let creator = c_string(creator);
        unsafe_clap_call! { receiver=>add_creator(receiver, creator.as_ptr()) };
    }
    for feature in &preset.features {
        let feature = c_string(feature);
        unsafe_clap_call! { receiver=>add_feature(receiver, feature.as_ptr()) };
    }
    true
}
