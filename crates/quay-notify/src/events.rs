//! Quay's notification events (`notifications/notificationevent.py`): their names, the
//! payload every event carries (`build_repository_event_data`), sample payloads for test
//! notifications, summaries and messages for the methods that show text, and the
//! `event_config` filters Quay applies (`level` of `vulnerability_found`, `ref-regex` of
//! the build events).
//!
//! Only `repo_push` has a source so far (a tag pushed over `/v2`); builds, mirroring,
//! security scanning and tag expiry come with their workers, which will call
//! [`crate::Notifier::spawn`] with these kinds.

use chrono::Utc;
use quay_core::config::Config;
use regex::RegexBuilder;
use serde_json::{json, Map, Value};

/// How severe an event is (Quay's `get_level`), which colours Slack attachments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warning,
    Error,
    Primary,
    Success,
}

/// One of Quay's event kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    RepoPush,
    BuildQueued,
    BuildStart,
    BuildSuccess,
    BuildFailure,
    BuildCancelled,
    VulnerabilityFound,
    RepoMirrorSyncStarted,
    RepoMirrorSyncSuccess,
    RepoMirrorSyncFailed,
    RepoImageExpiry,
}

/// Quay's `PRIORITY_LEVELS` (`util/secscan`): name and index, most severe first.
const PRIORITIES: &[(&str, i64)] = &[
    ("Defcon1", 0),
    ("Critical", 1),
    ("High", 2),
    ("Medium", 3),
    ("Low", 4),
    ("Negligible", 5),
    ("Unknown", 6),
];

/// The most memory a compiled `ref-regex` may take (user input).
const REGEX_SIZE_LIMIT: usize = 1 << 20;

fn priority_index(name: &str) -> Option<i64> {
    PRIORITIES.iter().find(|(n, _)| *n == name).map(|(_, i)| *i)
}

fn priority_for_index(index: i64) -> &'static str {
    PRIORITIES
        .iter()
        .find(|(_, i)| *i == index)
        .map_or("Unknown", |(n, _)| n)
}

/// An `event_config` value as an integer: Quay's UI stores the level as a string.
fn as_index(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_str()?.trim().parse().ok())
}

fn text<'a>(data: &'a Value, key: &str) -> &'a str {
    data.get(key).and_then(Value::as_str).unwrap_or("")
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn string_list(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

impl Event {
    /// In the order of Quay's `ExternalNotificationEvent` rows.
    pub const ALL: &'static [Event] = &[
        Event::RepoPush,
        Event::BuildQueued,
        Event::BuildStart,
        Event::BuildSuccess,
        Event::BuildFailure,
        Event::BuildCancelled,
        Event::VulnerabilityFound,
        Event::RepoMirrorSyncStarted,
        Event::RepoMirrorSyncSuccess,
        Event::RepoMirrorSyncFailed,
        Event::RepoImageExpiry,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Event::RepoPush => "repo_push",
            Event::BuildQueued => "build_queued",
            Event::BuildStart => "build_start",
            Event::BuildSuccess => "build_success",
            Event::BuildFailure => "build_failure",
            Event::BuildCancelled => "build_cancelled",
            Event::VulnerabilityFound => "vulnerability_found",
            Event::RepoMirrorSyncStarted => "repo_mirror_sync_started",
            Event::RepoMirrorSyncSuccess => "repo_mirror_sync_success",
            Event::RepoMirrorSyncFailed => "repo_mirror_sync_failed",
            Event::RepoImageExpiry => "repo_image_expiry",
        }
    }

    pub fn parse(name: &str) -> Option<Event> {
        Event::ALL.iter().copied().find(|e| e.name() == name)
    }

    fn is_build(self) -> bool {
        matches!(
            self,
            Event::BuildQueued
                | Event::BuildStart
                | Event::BuildSuccess
                | Event::BuildFailure
                | Event::BuildCancelled
        )
    }

    pub fn level(self, data: &Value) -> Level {
        match self {
            Event::RepoPush => Level::Primary,
            Event::BuildQueued | Event::BuildStart | Event::BuildCancelled => Level::Info,
            Event::BuildSuccess | Event::RepoMirrorSyncSuccess => Level::Success,
            Event::BuildFailure | Event::RepoMirrorSyncFailed => Level::Error,
            Event::RepoMirrorSyncStarted | Event::RepoImageExpiry => Level::Info,
            Event::VulnerabilityFound => {
                match data
                    .pointer("/vulnerability/priority")
                    .and_then(Value::as_str)
                {
                    Some("Critical") => Level::Error,
                    Some("Medium" | "High") => Level::Warning,
                    _ => Level::Info,
                }
            }
        }
    }

    /// Quay's one-line `get_summary` (the e-mail subject, Slack's text).
    pub fn summary(self, data: &Value) -> String {
        let repo = text(data, "repository");
        let build = || {
            let id: String = text(data, "build_id").chars().take(7).collect();
            format!("for repository {repo} [{id}]")
        };
        match self {
            Event::RepoPush => format!("Repository {repo} updated"),
            Event::RepoMirrorSyncStarted => {
                format!("Repository Mirror started for {}", text(data, "message"))
            }
            Event::RepoMirrorSyncSuccess => {
                format!("Repository Mirror success for {}", text(data, "message"))
            }
            Event::RepoMirrorSyncFailed => {
                format!("Repository Mirror failed for {}", text(data, "message"))
            }
            Event::BuildQueued => format!("Build queued {}", build()),
            Event::BuildStart => format!("Build started {}", build()),
            Event::BuildSuccess => format!("Build succeeded {}", build()),
            Event::BuildFailure => format!("Build failure {}", build()),
            Event::BuildCancelled => format!("Build cancelled {}", build()),
            Event::RepoImageExpiry => format!("Repository {repo} image(s) expiring"),
            Event::VulnerabilityFound => {
                let tags = data
                    .get("tags")
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len);
                match data.get("vulnerabilities").and_then(Value::as_array) {
                    Some(vulns) if !vulns.is_empty() => {
                        let priority = |v: &Value| {
                            v.get("priority")
                                .and_then(Value::as_str)
                                .unwrap_or("Unknown")
                                .to_string()
                        };
                        let top = priority(&vulns[0]);
                        let matching = vulns.iter().filter(|v| priority(v) == top).count();
                        let mut msg = format!("{matching} {top}");
                        if matching < vulns.len() {
                            msg.push_str(&format!(" and {} more", vulns.len() - matching));
                        }
                        format!(
                            "{msg} vulnerabilities were detected in repository {repo} in {tags} tags"
                        )
                    }
                    _ => format!(
                        "{} vulnerability detected in repository {repo} in {tags} tags",
                        data.pointer("/vulnerability/priority")
                            .and_then(Value::as_str)
                            .unwrap_or("Unknown")
                    ),
                }
            }
        }
    }

    /// The HTML message (Quay renders `templates/events/<event>.html`; these say the
    /// same things in the same markup: links, bold names, `<br>` line breaks).
    pub fn message(self, data: &Value) -> String {
        let repo = html_escape(text(data, "repository"));
        let home = html_escape(text(data, "homepage"));
        let repo_link = format!("<a href=\"{home}\">{repo}</a>");
        let tags = |key: &str| {
            string_list(data.get(key))
                .iter()
                .map(|t| format!("<b>{}</b>", html_escape(t)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Event::RepoPush => {
                let updated = string_list(data.get("updated_tags"));
                match updated.len() {
                    0 => format!("Repository {repo_link} has been pushed"),
                    1 => format!(
                        "Repository {repo_link} has been pushed with the following tag updated: {}",
                        tags("updated_tags")
                    ),
                    _ => format!(
                        "Repository {repo_link} has been pushed with the following tags updated: {}",
                        tags("updated_tags")
                    ),
                }
            }
            Event::BuildQueued => format!(
                "A build has been queued for repository {repo_link}<br>Tags: {}",
                tags("docker_tags")
            ),
            Event::BuildStart => format!(
                "A build has been started for repository {repo_link}<br>Tags: {}",
                tags("docker_tags")
            ),
            Event::BuildSuccess => format!(
                "A build has succeeded for repository {repo_link}<br>Tags: {}",
                tags("docker_tags")
            ),
            Event::BuildFailure => format!(
                "A build has failed for repository {repo_link}<br>Error: {}",
                html_escape(text(data, "error_message"))
            ),
            Event::BuildCancelled => format!(
                "A build was cancelled for repository {repo_link}<br>Tags: {}",
                tags("docker_tags")
            ),
            Event::VulnerabilityFound => format!(
                "A {} vulnerability ({}) was detected in repository {repo_link} in tags {}",
                html_escape(
                    data.pointer("/vulnerability/priority")
                        .and_then(Value::as_str)
                        .unwrap_or("Unknown")
                ),
                html_escape(
                    data.pointer("/vulnerability/id")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                ),
                tags("tags")
            ),
            Event::RepoMirrorSyncStarted => {
                format!("Repository mirror sync has started for {repo_link}")
            }
            Event::RepoMirrorSyncSuccess => {
                format!("Repository mirror sync has completed for {repo_link}")
            }
            Event::RepoMirrorSyncFailed => {
                format!("Repository mirror sync has failed for {repo_link}")
            }
            Event::RepoImageExpiry => format!(
                "The following tags of repository {repo_link} are expiring in {} days: {}",
                data.get("expiring_in").cloned().unwrap_or(json!("")),
                tags("tags")
            ),
        }
    }

    /// Quay's `should_perform`: whether a notification with `event_config` wants this
    /// event. A `ref-regex` that does not compile matches nothing, as in Quay.
    pub fn should_perform(self, data: &Value, event_config: &Value) -> bool {
        match self {
            Event::VulnerabilityFound => {
                let Some(filter) = event_config.get("level") else {
                    return true;
                };
                if data.get("vulnerable_index_report_created").is_some() {
                    return true;
                }
                let Some(vuln) = data.get("vulnerability") else {
                    return false;
                };
                let severity = vuln
                    .get("priority")
                    .and_then(Value::as_str)
                    .unwrap_or("Unknown");
                match (priority_index(severity), as_index(filter)) {
                    (Some(actual), Some(wanted)) => actual <= wanted,
                    _ => false,
                }
            }
            e if e.is_build() => {
                let pattern = match event_config.get("ref-regex") {
                    None | Some(Value::Null) => return true,
                    Some(Value::String(s)) if s.is_empty() => return true,
                    Some(Value::String(s)) => s.clone(),
                    Some(other) => other.to_string(),
                };
                let Some(git_ref) = data
                    .pointer("/trigger_metadata/ref")
                    .and_then(Value::as_str)
                else {
                    return false;
                };
                // Python's `re.match`: anchored at the start only.
                RegexBuilder::new(&format!("^(?:{pattern})"))
                    .size_limit(REGEX_SIZE_LIMIT)
                    .build()
                    .is_ok_and(|re| re.is_match(git_ref))
            }
            _ => true,
        }
    }

    /// Quay's `get_sample_data`: what a test notification carries.
    pub fn sample_data(
        self,
        config: &Config,
        namespace: &str,
        repo: &str,
        event_config: &Value,
    ) -> Value {
        let build_id = "fake-build-id";
        let build_page = format!("/build/{build_id}");
        let commit_info = json!({
            "url": "http://path/to/the/commit",
            "message": "Some commit message",
            "date": Utc::now().timestamp(),
            "author": {
                "username": "fakeauthor",
                "url": "http://path/to/fake/author/in/scm",
                "avatar_url": "http://www.gravatar.com/avatar/fakehash",
            },
        });
        let trigger = |with_commit_info: bool| {
            let mut m = json!({
                "default_branch": "master",
                "ref": "refs/heads/somebranch",
                "commit": "42d4a62c53350993ea41069e9f2cfdefb0df097d",
            });
            if with_commit_info {
                m["commit_info"] = commit_info.clone();
            }
            m
        };
        let build = |extra: Value, with_commit_info: bool| {
            let mut data = json!({
                "build_id": build_id,
                "build_name": "some-fake-build",
                "docker_tags": ["latest", "foo", "bar"],
                "trigger_id": "1245634",
                "trigger_kind": "GitHub",
                "trigger_metadata": trigger(with_commit_info),
            });
            merge(&mut data, extra);
            repository_event_data(config, namespace, repo, data, Some(&build_page))
        };
        match self {
            Event::RepoPush => repository_event_data(
                config,
                namespace,
                repo,
                json!({"updated_tags": ["latest", "foo"], "pruned_image_count": 3}),
                None,
            ),
            Event::RepoMirrorSyncStarted
            | Event::RepoMirrorSyncSuccess
            | Event::RepoMirrorSyncFailed => repository_event_data(
                config,
                namespace,
                repo,
                json!({"message": "TEST NOTIFICATION"}),
                None,
            ),
            Event::VulnerabilityFound => {
                let level = event_config.get("level").and_then(as_index).unwrap_or(1);
                repository_event_data(
                    config,
                    namespace,
                    repo,
                    json!({
                        "tags": ["latest", "prod", "foo", "bar", "baz"],
                        "image": "some-image-id",
                        "vulnerability": {
                            "id": "CVE-FAKE-CVE",
                            "description": "A futurist vulnerability",
                            "link": "https://security-tracker.debian.org/tracker/CVE-FAKE-CVE",
                            "priority": priority_for_index(level),
                        },
                    }),
                    None,
                )
            }
            Event::BuildQueued => build(json!({"is_manual": false}), true),
            Event::BuildStart => build(json!({}), false),
            Event::BuildSuccess | Event::BuildCancelled => {
                build(json!({"image_id": "1245657346"}), false)
            }
            Event::BuildFailure => build(
                json!({"error_message": "This is a fake error message"}),
                true,
            ),
            Event::RepoImageExpiry => repository_event_data(
                config,
                namespace,
                repo,
                json!({"tags": ["latest", "foo"], "expiring_in": 7}),
                None,
            ),
        }
    }
}

fn merge(into: &mut Value, extra: Value) {
    if let (Some(m), Value::Object(extra)) = (into.as_object_mut(), extra) {
        m.extend(extra);
    }
}

/// Quay's `build_repository_event_data`: the repository's name, Docker URL and
/// homepage (with `subpage` appended), then `extra`.
pub fn repository_event_data(
    config: &Config,
    namespace: &str,
    repo: &str,
    extra: Value,
    subpage: Option<&str>,
) -> Value {
    let full = format!("{namespace}/{repo}");
    let mut homepage = format!("{}/repository/{full}", config.base_url());
    if let Some(sub) = subpage {
        if !sub.starts_with('/') {
            homepage.push('/');
        }
        homepage.push_str(sub);
    }
    let mut data = Value::Object(Map::new());
    data["repository"] = json!(full);
    data["namespace"] = json!(namespace);
    data["name"] = json!(repo);
    data["docker_url"] = json!(format!("{}/{full}", config.server_hostname));
    data["homepage"] = json!(homepage);
    merge(&mut data, extra);
    data
}

/// Who caused an event (Quay's `performer_data`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Performer {
    pub id: i64,
    pub name: String,
}

/// Quay's `build_notification_data`: what is queued for one notification.
pub fn notification_data(uuid: &str, event_data: Value, performer: Option<&Performer>) -> Value {
    let performer_data = match performer {
        Some(p) => json!({"entity_id": p.id, "entity_name": p.name}),
        None => json!({}),
    };
    json!({
        "notification_uuid": uuid,
        "event_data": event_data,
        "performer_data": performer_data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for e in Event::ALL {
            assert_eq!(Event::parse(e.name()), Some(*e));
        }
        assert_eq!(Event::parse("repo_pull"), None);
    }

    #[test]
    fn repository_data_has_quays_keys_in_order() {
        let c = Config::default();
        let d = repository_event_data(&c, "ns", "app", json!({"updated_tags": ["v1"]}), None);
        let keys: Vec<&String> = d.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "repository",
                "namespace",
                "name",
                "docker_url",
                "homepage",
                "updated_tags"
            ]
        );
        assert_eq!(d["docker_url"], "localhost:8080/ns/app");
        assert_eq!(d["homepage"], "http://localhost:8080/repository/ns/app");
        let b = repository_event_data(&c, "ns", "app", json!({}), Some("build/x"));
        assert_eq!(
            b["homepage"],
            "http://localhost:8080/repository/ns/app/build/x"
        );
    }

    #[test]
    fn vulnerability_level_filter() {
        let e = Event::VulnerabilityFound;
        let high = json!({"vulnerability": {"priority": "High"}});
        assert!(e.should_perform(&high, &json!({})));
        assert!(e.should_perform(&high, &json!({"level": 3})));
        assert!(e.should_perform(&high, &json!({"level": "2"})));
        assert!(!e.should_perform(&high, &json!({"level": 1})));
        assert!(!e.should_perform(&json!({}), &json!({"level": 1})));
        assert!(e.should_perform(
            &json!({"vulnerable_index_report_created": true}),
            &json!({"level": 1})
        ));
        assert!(!e.should_perform(
            &json!({"vulnerability": {"priority": "Bogus"}}),
            &json!({"level": 6})
        ));
    }

    #[test]
    fn build_ref_filter() {
        let e = Event::BuildSuccess;
        let data = json!({"trigger_metadata": {"ref": "refs/heads/main"}});
        assert!(e.should_perform(&data, &json!({})));
        assert!(e.should_perform(&data, &json!({"ref-regex": ""})));
        assert!(e.should_perform(&data, &json!({"ref-regex": "refs/heads/.*"})));
        assert!(!e.should_perform(&data, &json!({"ref-regex": "heads"})));
        assert!(!e.should_perform(&data, &json!({"ref-regex": "("})));
        assert!(!e.should_perform(&json!({}), &json!({"ref-regex": ".*"})));
        // Other events have no filters.
        assert!(Event::RepoPush.should_perform(&json!({}), &json!({"ref-regex": "x"})));
    }

    #[test]
    fn summaries() {
        let c = Config::default();
        let d = Event::RepoPush.sample_data(&c, "ns", "app", &json!({}));
        assert_eq!(Event::RepoPush.summary(&d), "Repository ns/app updated");
        let b = Event::BuildFailure.sample_data(&c, "ns", "app", &json!({}));
        assert_eq!(
            Event::BuildFailure.summary(&b),
            "Build failure for repository ns/app [fake-bu]"
        );
        let v = Event::VulnerabilityFound.sample_data(&c, "ns", "app", &json!({"level": "2"}));
        assert_eq!(v["vulnerability"]["priority"], "High");
        assert_eq!(
            Event::VulnerabilityFound.summary(&v),
            "High vulnerability detected in repository ns/app in 5 tags"
        );
        let many = json!({"repository": "ns/app", "tags": ["a"], "vulnerabilities": [
            {"priority": "High"}, {"priority": "High"}, {"priority": "Low"}]});
        assert_eq!(
            Event::VulnerabilityFound.summary(&many),
            "2 High and 1 more vulnerabilities were detected in repository ns/app in 1 tags"
        );
    }

    #[test]
    fn push_message_links_the_repository() {
        let c = Config::default();
        let d = Event::RepoPush.sample_data(&c, "ns", "app", &json!({}));
        assert_eq!(
            Event::RepoPush.message(&d),
            "Repository <a href=\"http://localhost:8080/repository/ns/app\">ns/app</a> has been \
             pushed with the following tags updated: <b>latest</b>, <b>foo</b>"
        );
    }
}
