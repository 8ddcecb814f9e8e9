//! `SearchStore`: name and description matching, filtered to what the viewer may see.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use quay_core::role::{RepositoryKind, RepositoryState, TeamRole};
use quay_core::{DomainError, DomainResult};
use quay_search::{NamespaceHit, RepositoryHit, SearchStore, TeamHit, UserHit};
use sea_orm::sea_query::Value;
use sea_orm::FromQueryResult;

use crate::repos::{granted_values, GRANTED_TO_VIEWER};
use crate::{query_all, SqlStore};

/// No user has this id.
const NOBODY: i64 = -1;

/// `text` as a literal inside a `LIKE ... ESCAPE '!'` pattern, lowercased.
fn literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.to_lowercase().chars() {
        if matches!(c, '!' | '%' | '_') {
            out.push('!');
        }
        out.push(c);
    }
    out
}

fn limit(n: u64) -> Value {
    (n.min(i64::MAX as u64) as i64).into()
}

#[async_trait]
impl SearchStore for SqlStore {
    async fn repositories(
        &self,
        query: &str,
        viewer: Option<i64>,
        offset: u64,
        count: u64,
    ) -> DomainResult<Vec<RepositoryHit>> {
        #[derive(FromQueryResult)]
        struct Row {
            ns_name: String,
            ns_org: bool,
            ns_email: Option<String>,
            name: String,
            description: Option<String>,
            visibility: String,
            kind: String,
            last_modified: Option<DateTime<Utc>>,
            stars: i64,
            popularity: i64,
        }
        let contains = format!("%{}%", literal(query));
        let sql = format!(
            "SELECT n.username AS ns_name, n.organization AS ns_org, n.email AS ns_email, \
             r.name, r.description, r.visibility, r.kind, r.last_modified, \
             CAST((SELECT COUNT(*) FROM star s WHERE s.repository_id = r.id) AS BIGINT) AS stars, \
             CAST(COALESCE((SELECT SUM(c.count) FROM repository_action_count c \
                 WHERE c.repository_id = r.id), 0) AS BIGINT) AS popularity \
             FROM repository r JOIN namespace n ON n.id = r.namespace_id \
             WHERE r.state <> ? \
             AND (LOWER(r.name) LIKE ? ESCAPE '!' OR LOWER(COALESCE(r.description, '')) LIKE ? ESCAPE '!') \
             AND (r.visibility = 'public' OR {GRANTED_TO_VIEWER}) \
             ORDER BY CASE WHEN LOWER(r.name) LIKE ? ESCAPE '!' THEN 0 ELSE 1 END, popularity DESC, r.id \
             LIMIT ? OFFSET ?"
        );
        let mut values: Vec<Value> = vec![
            RepositoryState::MarkedForDeletion.code().into(),
            contains.clone().into(),
            contains.clone().into(),
        ];
        values.extend(granted_values(viewer.unwrap_or(NOBODY)));
        values.extend([contains.into(), limit(count), limit(offset)]);
        let rows: Vec<Row> = query_all(&self.db, &self.db.conn, &sql, values).await?;
        rows.into_iter()
            .map(|r| {
                Ok(RepositoryHit {
                    kind: RepositoryKind::parse(&r.kind).ok_or_else(|| {
                        DomainError::Internal(format!("repository {}: bad kind", r.name))
                    })?,
                    namespace: NamespaceHit {
                        name: r.ns_name,
                        organization: r.ns_org,
                        email: r.ns_email,
                    },
                    public: r.visibility == "public",
                    name: r.name,
                    description: r.description,
                    last_modified: r.last_modified,
                    stars: r.stars,
                    popularity: r.popularity,
                })
            })
            .collect()
    }

    async fn namespaces(
        &self,
        prefix: &str,
        viewer: Option<i64>,
        count: u64,
    ) -> DomainResult<Vec<NamespaceHit>> {
        #[derive(FromQueryResult)]
        struct Row {
            username: String,
            organization: bool,
            email: Option<String>,
        }
        let sql = format!(
            "SELECT n.username, n.organization, n.email FROM namespace n \
             WHERE n.robot = ? AND LOWER(n.username) LIKE ? ESCAPE '!' \
             AND EXISTS (SELECT 1 FROM repository r WHERE r.namespace_id = n.id AND r.kind = ? \
               AND r.state <> ? AND (r.visibility = 'public' OR {GRANTED_TO_VIEWER})) \
             ORDER BY n.username LIMIT ?"
        );
        let mut values: Vec<Value> = vec![
            false.into(),
            format!("{}%", literal(prefix)).into(),
            RepositoryKind::Image.as_str().into(),
            RepositoryState::MarkedForDeletion.code().into(),
        ];
        values.extend(granted_values(viewer.unwrap_or(NOBODY)));
        values.push(limit(count));
        let rows: Vec<Row> = query_all(&self.db, &self.db.conn, &sql, values).await?;
        Ok(rows
            .into_iter()
            .map(|r| NamespaceHit {
                name: r.username,
                organization: r.organization,
                email: r.email,
            })
            .collect())
    }

    async fn teams(&self, prefix: &str, user_id: i64, count: u64) -> DomainResult<Vec<TeamHit>> {
        #[derive(FromQueryResult)]
        struct Row {
            name: String,
            org: String,
            org_email: Option<String>,
        }
        let rows: Vec<Row> = query_all(
            &self.db,
            &self.db.conn,
            "SELECT t.name, o.username AS org, o.email AS org_email FROM team t \
             JOIN namespace o ON o.id = t.organization_id \
             WHERE LOWER(t.name) LIKE ? ESCAPE '!' \
             AND EXISTS (SELECT 1 FROM team_member m WHERE m.team_id = t.id) \
             AND (EXISTS (SELECT 1 FROM team_member m WHERE m.team_id = t.id AND m.user_id = ?) \
               OR t.organization_id IN (SELECT a.organization_id FROM team a \
                 JOIN team_member am ON am.team_id = a.id WHERE a.role = ? AND am.user_id = ?)) \
             ORDER BY t.name, o.username LIMIT ?",
            vec![
                format!("{}%", literal(prefix)).into(),
                user_id.into(),
                TeamRole::Admin.code().into(),
                user_id.into(),
                limit(count),
            ],
        )
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| TeamHit {
                name: r.name,
                organization: NamespaceHit {
                    name: r.org,
                    organization: true,
                    email: r.org_email,
                },
            })
            .collect())
    }

    async fn robots(&self, prefix: &str, user_id: i64, count: u64) -> DomainResult<Vec<String>> {
        #[derive(FromQueryResult)]
        struct Row {
            username: String,
        }
        let rows: Vec<Row> = query_all(
            &self.db,
            &self.db.conn,
            "SELECT n.username FROM namespace n JOIN robot_account ra ON ra.robot_id = n.id \
             JOIN namespace o ON o.id = ra.owner_id \
             WHERE (ra.owner_id = ? OR ra.owner_id IN (SELECT a.organization_id FROM team a \
                 JOIN team_member am ON am.team_id = a.id WHERE a.role = ? AND am.user_id = ?)) \
             AND LOWER(n.username) LIKE LOWER(o.username) || '+' || ? ESCAPE '!' \
             ORDER BY n.username LIMIT ?",
            vec![
                user_id.into(),
                TeamRole::Admin.code().into(),
                user_id.into(),
                format!("{}%", literal(prefix)).into(),
                limit(count),
            ],
        )
        .await?;
        Ok(rows.into_iter().map(|r| r.username).collect())
    }

    async fn org_teams(&self, org_id: i64, prefix: &str, count: u64) -> DomainResult<Vec<String>> {
        #[derive(FromQueryResult)]
        struct Row {
            name: String,
        }
        let rows: Vec<Row> = query_all(
            &self.db,
            &self.db.conn,
            "SELECT name FROM team WHERE organization_id = ? AND LOWER(name) LIKE ? ESCAPE '!' \
             ORDER BY name LIMIT ?",
            vec![
                org_id.into(),
                format!("{}%", literal(prefix)).into(),
                limit(count),
            ],
        )
        .await?;
        Ok(rows.into_iter().map(|r| r.name).collect())
    }

    async fn users(
        &self,
        prefix: &str,
        exact: bool,
        robot_namespace: Option<&str>,
        org_id: Option<i64>,
        count: u64,
    ) -> DomainResult<Vec<UserHit>> {
        #[derive(FromQueryResult)]
        struct Row {
            username: String,
            robot: bool,
            email: Option<String>,
            in_org: bool,
        }
        let select = "SELECT n.username, n.robot, n.email, \
             (n.robot = ? OR EXISTS (SELECT 1 FROM team_member tm JOIN team t ON t.id = tm.team_id \
               WHERE t.organization_id = ? AND tm.user_id = n.id)) AS in_org FROM namespace n";
        let org = org_id.unwrap_or(NOBODY);
        let pattern = if exact {
            literal(prefix)
        } else {
            format!("{}%", literal(prefix))
        };
        let humans: Vec<Row> = query_all(
            &self.db,
            &self.db.conn,
            &format!(
                "{select} WHERE n.organization = ? AND n.robot = ? AND LOWER(n.username) LIKE ? ESCAPE '!' \
                 ORDER BY CASE WHEN LOWER(n.username) = ? THEN 0 ELSE 1 END, n.username LIMIT ?"
            ),
            vec![
                true.into(),
                org.into(),
                false.into(),
                false.into(),
                pattern.into(),
                prefix.to_lowercase().into(),
                limit(count),
            ],
        )
        .await?;
        let robots: Vec<Row> = match robot_namespace {
            Some(ns) => {
                query_all(
                    &self.db,
                    &self.db.conn,
                    &format!(
                        "{select} WHERE n.robot = ? AND LOWER(n.username) LIKE ? ESCAPE '!' \
                         ORDER BY n.username LIMIT ?"
                    ),
                    vec![
                        true.into(),
                        org.into(),
                        true.into(),
                        format!("{}+{}%", literal(ns), literal(prefix)).into(),
                        limit(count),
                    ],
                )
                .await?
            }
            None => Vec::new(),
        };
        let (first, second) = if org_id.is_some() {
            (robots, humans)
        } else {
            (humans, robots)
        };
        Ok(first
            .into_iter()
            .chain(second)
            .take(count as usize)
            .map(|r| UserHit {
                name: r.username,
                robot: r.robot,
                email: r.email,
                org_member: org_id.map(|_| r.in_org),
            })
            .collect())
    }
}
