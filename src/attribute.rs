//! Stage 3 of the pipeline: which integration made each call (SPEC.md §3.2).
//!
//! The key, in order: connected app id (labelled with the app's name when any row names it) →
//! connected app name → client name (`Sforce-Call-Options`) → user (labelled with the user
//! name) → `(unattributed)`. An integration is Salesforce-internal when its calls carry
//! `API_CLIENT_CATEGORY = SALESFORCE` ("internal Salesforce app or service"); never by the
//! connected app id: `888…` ids are legacy OAuth consumers, ordinary third-party apps among them.
//! A user's mapping file renames keys and merges several into one integration.
//!
//! Attribution is decided per call *shape*, not per row: a table of 10 M rows has a few
//! thousand shapes, so this stage costs nothing on the hot path.

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::model::{Calls, StrId};

/// The kind of identity an integration key is built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A connected app (by id, or by name when the id is absent).
    ConnectedApp,
    /// A `CLIENT_NAME` from the call options header.
    Client,
    /// A user, when nothing identifies the app.
    User,
    /// Nothing identifies the caller.
    Unattributed,
}

/// One integration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Integration {
    /// Stable key, e.g. `app:0H45j000000XyZa`, `client:erp-sync`, `user:0055j00000AT6I1`.
    pub key: String,
    /// What people call it.
    pub label: String,
    /// What the key is built from.
    pub kind: Kind,
    /// Salesforce-internal traffic: some of its calls have `API_CLIENT_CATEGORY = SALESFORCE`.
    pub internal: bool,
}

/// The key of calls with no identity at all.
pub const UNATTRIBUTED: &str = "(unattributed)";

/// Integrations and which one each call shape belongs to.
#[derive(Debug, Clone, Default)]
pub struct Attribution {
    /// Distinct integrations, sorted by key.
    pub integrations: Vec<Integration>,
    /// For each shape of the table, its index in `integrations`.
    pub of_shape: Vec<u32>,
}

impl Attribution {
    /// The integration index of row `i`.
    pub fn of_row(&self, calls: &Calls, i: usize) -> usize {
        self.of_shape[calls.shape[i] as usize] as usize
    }

    /// The index of the integration with `key`.
    pub fn index_of(&self, key: &str) -> Option<usize> {
        index_of(&self.integrations, key)
    }
}

/// The index of `key` in `integrations` (sorted by key).
fn index_of(integrations: &[Integration], key: &str) -> Option<usize> {
    integrations.binary_search_by(|i| i.key.as_str().cmp(key)).ok()
}

/// Renames and merges from a user's TOML file.
///
/// ```toml
/// [rename]
/// "app:0H45j000000XyZa" = "ERP nightly sync"
///
/// [[merge]]
/// label = "MuleSoft middleware"
/// keys = ["user:0055j00000AT6I1", "client:mule-prod"]
/// ```
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntegrationMap {
    /// Key → label.
    #[serde(default)]
    pub rename: BTreeMap<String, String>,
    /// Groups of keys reported as one integration.
    #[serde(default)]
    pub merge: Vec<Merge>,
}

/// Several keys reported as one integration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Merge {
    /// The merged integration's label (its key becomes `merged:<label>`).
    pub label: String,
    /// The keys merged.
    pub keys: Vec<String>,
}

impl IntegrationMap {
    /// Reads a mapping file; the error names the file and the TOML problem.
    pub fn load(path: &Path) -> Result<IntegrationMap, String> {
        let text = crate::textfile::read_capped(path)
            .map_err(|e| format!("--integrations {}: cannot read: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| {
            format!(
                "--integrations {}: {e}expected [rename] \"key\" = \"label\" and [[merge]] label/keys tables (see README)",
                path.display()
            )
        })
    }

    fn merged_into(&self, key: &str) -> Option<&Merge> {
        self.merge.iter().find(|m| m.keys.iter().any(|k| k == key))
    }
}

/// Attributes every call shape of `calls` to an integration.
pub fn attribute(calls: &Calls, map: &IntegrationMap) -> Attribution {
    attribute_named(calls, map, &app_names(calls))
}

/// The integrations of a whole input, decided over all its orgs (an app's name from any row
/// that names it, internal when any of its calls is, the label that outranks the others), for
/// attributing a part of it exactly as the whole: a store read a group of orgs at a time.
#[derive(Debug, Clone)]
pub struct Census {
    whole: Attribution,
    app_names: BTreeMap<String, String>,
}

/// The census of `identities`: a table whose shapes hold every identity of the input (the
/// connected app id and name, client and user fields) and whose rows carry the
/// Salesforce-client flag of any call of their shape.
pub fn census(identities: &Calls, map: &IntegrationMap) -> Census {
    let app_names = app_names(identities);
    Census {
        whole: attribute_named(identities, map, &app_names),
        app_names,
    }
}

/// Attributes the shapes of `part`, a table of some of the orgs of the input `census` was
/// taken over, to the whole input's integrations.
pub fn attribute_part(part: &Calls, map: &IntegrationMap, census: &Census) -> Attribution {
    let of_shape = part
        .shapes
        .iter()
        .map(|s| {
            let key = apply_map(identify(part, s, &census.app_names), map).key;
            // The census holds every identity of the input, so the key is always there.
            census.whole.index_of(&key).unwrap_or(0) as u32
        })
        .collect();
    Attribution {
        integrations: census.whole.integrations.clone(),
        of_shape,
    }
}

fn attribute_named(calls: &Calls, map: &IntegrationMap, app_names: &BTreeMap<String, String>) -> Attribution {
    let internal_shapes = internal_shapes(calls);
    let mut index: BTreeMap<String, Integration> = BTreeMap::new();
    let keys: Vec<String> = calls
        .shapes
        .iter()
        .zip(&internal_shapes)
        .map(|(shape, &internal)| {
            let identity = identify(calls, shape, app_names);
            let integration = apply_map(identity, map);
            let key = integration.key.clone();
            match index.entry(key.clone()) {
                Entry::Vacant(e) => {
                    e.insert(integration).internal = internal;
                }
                Entry::Occupied(mut e) => {
                    let internal = internal || e.get().internal;
                    if outranks(&integration, e.get()) {
                        e.insert(integration);
                    }
                    e.get_mut().internal = internal;
                }
            }
            key
        })
        .collect();
    let integrations: Vec<Integration> = index
        .into_values()
        .map(|mut i| {
            let named_by_user = map.rename.contains_key(&i.key) || i.key.starts_with("merged:");
            if i.internal && !named_by_user {
                i.label.push_str(" (Salesforce internal)");
            }
            i
        })
        .collect();
    let of_shape = keys
        .iter()
        .map(|k| index_of(&integrations, k).unwrap_or(0) as u32)
        .collect();
    Attribution {
        integrations,
        of_shape,
    }
}

/// Whether `new` is the identity of its key the report shows instead of `old`, whatever order
/// the rows arrive in (raw files and the store read them in different orders): the first kind
/// in precedence order (a merge that holds a connected app is a connected app), then a label
/// that names the caller over one that repeats its id, then the smaller label.
fn outranks(new: &Integration, old: &Integration) -> bool {
    rank(new) < rank(old)
}

fn rank(i: &Integration) -> (Kind, bool, &str) {
    (i.kind, repeats_id(i), &i.label)
}

/// Whether the label is only the key's id (`user 0055…` for `user:0055…`).
fn repeats_id(i: &Integration) -> bool {
    i.key.split_once(':').is_some_and(|(_, id)| i.label.ends_with(id))
}

/// For each shape, whether any of its rows has `API_CLIENT_CATEGORY = SALESFORCE` (one pass).
fn internal_shapes(calls: &Calls) -> Vec<bool> {
    let mut internal = vec![false; calls.shapes.len()];
    for (&shape, &f) in calls.shape.iter().zip(&calls.flags) {
        if f & crate::model::flags::SALESFORCE_CLIENT != 0 {
            internal[shape as usize] = true;
        }
    }
    internal
}

/// For each connected app id, the first name any row gives it (by name order, so the choice
/// does not depend on file order).
fn app_names(calls: &Calls) -> BTreeMap<String, String> {
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for s in calls.shapes.iter().filter(|s| s.app_id != 0 && s.app_name != 0) {
        let name = calls.strings.get(s.app_name);
        let entry = names
            .entry(calls.strings.get(s.app_id).to_string())
            .or_insert_with(|| name.to_string());
        if name < entry.as_str() {
            *entry = name.to_string();
        }
    }
    names
}

fn identify(calls: &Calls, s: &crate::model::Shape, app_names: &BTreeMap<String, String>) -> Integration {
    let text = |id: StrId| calls.strings.get(id);
    if s.app_id != 0 {
        let id = text(s.app_id);
        let label = app_names
            .get(id)
            .cloned()
            .unwrap_or_else(|| format!("connected app {id}"));
        return Integration {
            key: format!("app:{id}"),
            label,
            kind: Kind::ConnectedApp,
            internal: false,
        };
    }
    if s.app_name != 0 {
        let name = text(s.app_name);
        return Integration {
            key: format!("app_name:{name}"),
            label: name.to_string(),
            kind: Kind::ConnectedApp,
            internal: false,
        };
    }
    if s.client != 0 {
        let name = text(s.client);
        return Integration {
            key: format!("client:{name}"),
            label: format!("client {name}"),
            kind: Kind::Client,
            internal: false,
        };
    }
    if s.user_id != 0 || s.user_name != 0 {
        let id = if s.user_id != 0 {
            text(s.user_id)
        } else {
            text(s.user_name)
        };
        let label = if s.user_name != 0 {
            format!("user {}", text(s.user_name))
        } else {
            format!("user {id}")
        };
        return Integration {
            key: format!("user:{id}"),
            label,
            kind: Kind::User,
            internal: false,
        };
    }
    Integration {
        key: UNATTRIBUTED.into(),
        label: UNATTRIBUTED.into(),
        kind: Kind::Unattributed,
        internal: false,
    }
}

fn apply_map(mut integration: Integration, map: &IntegrationMap) -> Integration {
    if let Some(merge) = map.merged_into(&integration.key) {
        integration.key = format!("merged:{}", merge.label);
        integration.label.clone_from(&merge.label);
    }
    if let Some(label) = map.rename.get(&integration.key) {
        integration.label.clone_from(label);
    }
    integration
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Shape;

    fn table(shapes: &[(&str, &str, &str, &str, &str)]) -> Calls {
        let mut calls = Calls::default();
        for (n, (app_id, app_name, client, user_id, user_name)) in shapes.iter().enumerate() {
            let s = Shape {
                app_id: calls.strings.intern(app_id),
                app_name: calls.strings.intern(app_name),
                client: calls.strings.intern(client),
                user_id: calls.strings.intern(user_id),
                user_name: calls.strings.intern(user_name),
                ..Shape::default()
            };
            calls.shapes.push(s);
            calls.shape.push(n as u32);
            calls.flags.push(0);
        }
        calls
    }

    fn keys(a: &Attribution) -> Vec<(&str, &str)> {
        a.of_shape
            .iter()
            .map(|&i| {
                let it = &a.integrations[i as usize];
                (it.key.as_str(), it.label.as_str())
            })
            .collect()
    }

    #[test]
    fn a_merged_integration_s_kind_and_label_do_not_depend_on_row_order() {
        let map: IntegrationMap = toml::from_str(
            "[[merge]]\nlabel = \"Mule\"\nkeys = [\"user:0055e000000Us01\", \"client:mule-prod\"]",
        )
        .unwrap();
        let user = ("", "", "", "0055e000000Us01", "");
        let named_user = ("", "", "", "0055e000000Us01", "mule@x");
        let client = ("", "", "mule-prod", "", "");
        for order in [[user, client], [client, user]] {
            let a = attribute(&table(&order), &map);
            let kinds: Vec<Kind> = a.integrations.iter().map(|i| i.kind).collect();
            assert_eq!(kinds, [Kind::Client], "{order:?}");
        }
        for order in [[user, named_user], [named_user, user]] {
            let a = attribute(&table(&order), &IntegrationMap::default());
            assert_eq!(keys(&a)[0], ("user:0055e000000Us01", "user mule@x"), "{order:?}");
        }
    }

    #[test]
    fn identity_follows_the_documented_precedence() {
        let calls = table(&[
            ("0H45j000000XyZa", "", "erp", "0055j00000AT6I1", "int@x"),
            ("0H45j000000XyZa", "ERP Sync", "", "", ""),
            ("", "Data Loader", "dl", "", ""),
            ("", "", "mule-prod", "0055j00000AT6I1", ""),
            ("", "", "", "0055j00000AT6I1", "int@x"),
            ("88800000000AbCd", "Salesforce Mobile", "", "", ""),
            ("", "", "", "", ""),
        ]);
        let a = attribute(&calls, &IntegrationMap::default());
        assert_eq!(
            keys(&a),
            [
                ("app:0H45j000000XyZa", "ERP Sync"),
                ("app:0H45j000000XyZa", "ERP Sync"),
                ("app_name:Data Loader", "Data Loader"),
                ("client:mule-prod", "client mule-prod"),
                ("user:0055j00000AT6I1", "user int@x"),
                ("app:88800000000AbCd", "Salesforce Mobile"),
                ("(unattributed)", "(unattributed)"),
            ]
        );
        assert!(a.integrations.iter().all(|i| !i.internal));
    }

    #[test]
    fn only_the_salesforce_client_category_marks_internal_traffic_never_an_888_id() {
        let mut calls = table(&[
            ("88800000000AbCd", "Amazon AppFlow", "", "", ""),
            ("0H45j000000XyZa", "Salesforce Mobile", "", "", ""),
        ]);
        calls.flags[1] |= crate::model::flags::SALESFORCE_CLIENT;
        let a = attribute(&calls, &IntegrationMap::default());
        assert_eq!(
            keys(&a),
            [
                ("app:88800000000AbCd", "Amazon AppFlow"),
                ("app:0H45j000000XyZa", "Salesforce Mobile (Salesforce internal)"),
            ]
        );
        let internal: Vec<bool> = a
            .of_shape
            .iter()
            .map(|&i| a.integrations[i as usize].internal)
            .collect();
        assert_eq!(internal, [false, true]);
    }

    #[test]
    fn a_mapping_file_renames_and_merges() {
        let calls = table(&[
            ("", "", "mule-prod", "", ""),
            ("", "", "", "0055j00000AT6I1", ""),
            ("", "", "erp", "", ""),
        ]);
        let map: IntegrationMap = toml::from_str(
            r#"
            [rename]
            "client:erp" = "ERP"
            [[merge]]
            label = "MuleSoft"
            keys = ["client:mule-prod", "user:0055j00000AT6I1"]
            "#,
        )
        .unwrap();
        let a = attribute(&calls, &map);
        assert_eq!(
            keys(&a),
            [
                ("merged:MuleSoft", "MuleSoft"),
                ("merged:MuleSoft", "MuleSoft"),
                ("client:erp", "ERP")
            ]
        );
        assert_eq!(a.integrations.len(), 2);
    }

    #[test]
    fn a_mapping_file_with_a_typo_names_the_problem() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("map.toml");
        std::fs::write(&path, "[renames]\n").unwrap();
        let err = IntegrationMap::load(&path).unwrap_err();
        assert!(err.contains("map.toml") && err.contains("renames"), "{err}");
    }
}
