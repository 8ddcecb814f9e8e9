//! The `/api/v1` route table: the single source of what is registered and of what the
//! discovery document lists. An endpoint that is not built is not in the table, so it is
//! neither served nor advertised.

use actix_web::http::Method;
use actix_web::web::{self, ServiceConfig};
use actix_web::Route;
use quay_core::config::Config;
use quay_core::scope::Scope;
use serde_json::Value;

use crate::handlers::{
    application, apptoken, discovery, globalmessages, logs, manifest, organization, permission,
    policy, prototype, repository, repositorynotification, robot, search, secscan, session,
    superuser, tag, team, user,
};
use crate::schemas;

/// A query argument as discovery documents it.
#[derive(Debug, Clone, Copy)]
pub struct QueryParam {
    pub name: &'static str,
    pub help: &'static str,
    /// `boolean`, `string` or `integer`.
    pub kind: &'static str,
}

/// A request body schema: its name (a discovery definition) and the schema.
pub type BodySchema = (&'static str, fn() -> Value);

/// One operation of the API.
#[derive(Clone)]
pub struct Endpoint {
    pub method: Method,
    /// In OpenAPI form, e.g. `/api/v1/repository/{repository}`.
    pub path: &'static str,
    pub nickname: &'static str,
    /// The module (discovery tag) the operation belongs to in Quay.
    pub tag: &'static str,
    pub summary: &'static str,
    pub scope: Option<Scope>,
    pub internal: bool,
    pub query: &'static [QueryParam],
    pub body: Option<BodySchema>,
    /// Quay's `@show_if` feature gate: the endpoint exists only when this holds.
    pub enabled: fn(&Config) -> bool,
    pub route: fn() -> Route,
}

/// Path parameters and their descriptions, as Quay documents them.
pub const PATH_PARAMS: &[(&str, &str)] = &[
    (
        "repository",
        "The full path of the repository. e.g. namespace/name",
    ),
    ("orgname", "The name of the organization"),
    ("username", ""),
    ("token_uuid", "The uuid of the app specific token"),
    ("client_id", "The OAuth client ID"),
    ("name", "The name of the organizaton being managed"),
    (
        "namespace",
        "The namespace of the user or organization being managed",
    ),
    ("access_token_uuid", "The uuid of the access token"),
    ("teamname", "The name of the team"),
    ("membername", "The username of the team member"),
    ("email", ""),
    ("code", "The invite code"),
    ("uuid", "The uuid of the notification"),
    ("prototypeid", "The ID of the prototype"),
    ("prefix", ""),
    ("tag", "The name of the tag"),
    ("manifestref", "The digest of the manifest"),
    ("labelid", "The ID of the label"),
    ("policy_uuid", "The unique ID of the policy"),
    (
        "robot_shortname",
        "The short name for the robot, without any user or organization prefix",
    ),
];

/// Path parameters that Quay describes differently under one path prefix: (prefix,
/// name, description).
pub const SCOPED_PATH_PARAMS: &[(&str, &str, &str)] = &[(
    "/api/v1/repository/{repository}/notification/",
    "uuid",
    "The UUID of the notification",
)];

/// The sub-resources Quay serves under a repository path. A repository path segment with
/// one of these names addresses the sub-resource, never a nested repository name, so a
/// sub-resource that is not built yet is an unknown route rather than a repository.
pub const REPOSITORY_SUBRESOURCES: &[&str] = &[
    "aggregatelogs",
    "authorizedemail",
    "autoprunepolicy",
    "build",
    "changestate",
    "changetrust",
    "changevisibility",
    "exportlogs",
    "logs",
    "manifest",
    "mirror",
    "notification",
    "permissions",
    "signatures",
    "tag",
    "tokens",
    "trigger",
];

/// Whether a `{repository}` path parameter runs through a sub-resource name (after the
/// namespace), so the request addresses a sub-resource rather than a repository.
pub fn through_subresource(repository: &str) -> bool {
    repository
        .split('/')
        .skip(2)
        .any(|segment| REPOSITORY_SUBRESOURCES.contains(&segment))
}

/// Module descriptions (discovery `tags`).
pub const TAGS: &[(&str, &str)] = &[
    (
        "appspecifictokens",
        "Manages app specific tokens for the current user.",
    ),
    ("discovery", "API discovery information."),
    ("globalmessages", "Messages API."),
    (
        "logs",
        "Access usage logs for organizations or repositories.",
    ),
    ("manifest", "Manage the manifests of a repository."),
    (
        "organization",
        "Manage organizations, members and OAuth applications.",
    ),
    ("permission", "Manage repository permissions."),
    (
        "prototype",
        "Manage default permissions added to repositories.",
    ),
    ("repository", "List, create and manage repositories."),
    (
        "repositorynotification",
        "List, create and manage repository events/notifications.",
    ),
    ("robot", "Manage user and organization robot accounts."),
    ("search", "Conduct searches against all registry context."),
    (
        "secscan",
        "List and manage repository vulnerabilities and other security information.",
    ),
    ("superuser", "Superuser API."),
    ("tag", "Manage the tags of a repository."),
    ("team", "Create, list and manage an organization's teams."),
    ("user", "Manage the current user."),
];

const TAG_LIST_QUERY: &[QueryParam] = &[
    QueryParam {
        name: "specificTag",
        help: "Filters the tags to the specific tag.",
        kind: "string",
    },
    QueryParam {
        name: "filter_tag_name",
        help: "Syntax: <op>:<name> Filters the tag names based on the operation.<op> can be 'like' or 'eq'.",
        kind: "string",
    },
    QueryParam {
        name: "limit",
        help: "Limit to the number of results to return per page. Max 100.",
        kind: "integer",
    },
    QueryParam {
        name: "page",
        help: "Page index for the results. Default 1.",
        kind: "integer",
    },
    QueryParam {
        name: "onlyActiveTags",
        help: "Filter to only active tags.",
        kind: "boolean",
    },
];

const REPO_LIST_QUERY: &[QueryParam] = &[
    QueryParam {
        name: "next_page",
        help: "The page token for the next page",
        kind: "string",
    },
    QueryParam {
        name: "repo_kind",
        help: "The kind of repositories to return",
        kind: "string",
    },
    QueryParam {
        name: "popularity",
        help: "Whether to include the repository's popularity metric.",
        kind: "boolean",
    },
    QueryParam {
        name: "last_modified",
        help: "Whether to include when the repository was last modified.",
        kind: "boolean",
    },
    QueryParam {
        name: "public",
        help: "Adds any repositories visible to the user by virtue of being public",
        kind: "boolean",
    },
    QueryParam {
        name: "starred",
        help: "Filters the repositories returned to those starred by the user",
        kind: "boolean",
    },
    QueryParam {
        name: "namespace",
        help: "Filters the repositories returned to this namespace",
        kind: "string",
    },
];

const REPO_GET_QUERY: &[QueryParam] = &[
    QueryParam {
        name: "includeTags",
        help: "Whether to include repository tags",
        kind: "boolean",
    },
    QueryParam {
        name: "includeStats",
        help: "Whether to include action statistics",
        kind: "boolean",
    },
];

const APPTOKEN_LIST_QUERY: &[QueryParam] = &[QueryParam {
    name: "expiring",
    help: "If true, only returns those tokens expiring soon",
    kind: "boolean",
}];

const SUPERUSER_LIST_QUERY: &[QueryParam] = &[
    QueryParam {
        name: "next_page",
        help: "The page token for the next page",
        kind: "string",
    },
    QueryParam {
        name: "limit",
        help: "Limit to the number of results to return per page. Max 100.",
        kind: "integer",
    },
    QueryParam {
        name: "disabled",
        help: "If false, only enabled users will be returned.",
        kind: "boolean",
    },
];

const USER_ROBOTS_QUERY: &[QueryParam] = &[
    QueryParam {
        name: "limit",
        help: robot::LIMIT_HELP,
        kind: "integer",
    },
    QueryParam {
        name: "token",
        help: "If false, the robot's token is not returned.",
        kind: "boolean",
    },
    QueryParam {
        name: "permissions",
        help: "Whether to include repositories and teams in which the robots have permission.",
        kind: "boolean",
    },
];

/// As [`USER_ROBOTS_QUERY`], with Quay's spelling of the organization variant.
const ORG_ROBOTS_QUERY: &[QueryParam] = &[
    QueryParam {
        name: "limit",
        help: robot::LIMIT_HELP,
        kind: "integer",
    },
    QueryParam {
        name: "token",
        help: "If false, the robot's token is not returned.",
        kind: "boolean",
    },
    QueryParam {
        name: "permissions",
        help: "Whether to include repostories and teams in which the robots have permission.",
        kind: "boolean",
    },
];

const SUPERUSER_ORG_LIST_QUERY: &[QueryParam] = &[
    QueryParam {
        name: "next_page",
        help: "The page token for the next page",
        kind: "string",
    },
    QueryParam {
        name: "limit",
        help: "Limit to the number of results to return per page. Max 100.",
        kind: "integer",
    },
];

const STARRED_QUERY: &[QueryParam] = &[QueryParam {
    name: "next_page",
    help: "The page token for the next page",
    kind: "string",
}];

const TEAM_MEMBERS_QUERY: &[QueryParam] = &[QueryParam {
    name: "includePending",
    help: "Whether to include pending members",
    kind: "boolean",
}];

const NOTIFICATIONS_QUERY: &[QueryParam] = &[
    QueryParam {
        name: "page",
        help: "Offset page number. (int)",
        kind: "integer",
    },
    QueryParam {
        name: "limit",
        help: "Limit on the number of results (int)",
        kind: "integer",
    },
];

const ENTITIES_QUERY: &[QueryParam] = &[
    QueryParam {
        name: "namespace",
        help: "Namespace to use when querying for org entities.",
        kind: "string",
    },
    QueryParam {
        name: "includeTeams",
        help: "Whether to include team names.",
        kind: "boolean",
    },
    QueryParam {
        name: "includeOrgs",
        help: "Whether to include orgs names.",
        kind: "boolean",
    },
];

const SEARCH_ALL_QUERY: &[QueryParam] = &[QueryParam {
    name: "query",
    help: "The search query.",
    kind: "string",
}];

const SEARCH_REPOS_QUERY: &[QueryParam] = &[
    QueryParam {
        name: "query",
        help: "The search query.",
        kind: "string",
    },
    QueryParam {
        name: "page",
        help: "The page.",
        kind: "integer",
    },
    QueryParam {
        name: "includeUsage",
        help: "Whether to include usage metadata",
        kind: "boolean",
    },
];

const LABEL_LIST_QUERY: &[QueryParam] = &[QueryParam {
    name: "filter",
    help: "If specified, only labels matching the given prefix will be returned",
    kind: "string",
}];

const SECURITY_QUERY: &[QueryParam] = &[QueryParam {
    name: "vulnerabilities",
    help: "Include vulnerabilities informations",
    kind: "boolean",
}];

const START_TIME: QueryParam = QueryParam {
    name: "starttime",
    help: "Earliest time for logs. Format: \"%m/%d/%Y\" in UTC.",
    kind: "string",
};
const END_TIME: QueryParam = QueryParam {
    name: "endtime",
    help: "Latest time for logs. Format: \"%m/%d/%Y\" in UTC.",
    kind: "string",
};
const PERFORMER: QueryParam = QueryParam {
    name: "performer",
    help: "Username for which to filter logs.",
    kind: "string",
};
const NEXT_PAGE: QueryParam = QueryParam {
    name: "next_page",
    help: "The page token for the next page",
    kind: "string",
};
const LOGS_QUERY: &[QueryParam] = &[START_TIME, END_TIME, PERFORMER, NEXT_PAGE];
const REPO_LOGS_QUERY: &[QueryParam] = &[START_TIME, END_TIME, NEXT_PAGE];
const AGGREGATE_LOGS_QUERY: &[QueryParam] = &[START_TIME, END_TIME, PERFORMER];
/// `starttime` and `endtime` only (repository aggregates, exports).
const REPO_AGGREGATE_LOGS_QUERY: &[QueryParam] = &[START_TIME, END_TIME];
const SUPERUSER_LOGS_QUERY: &[QueryParam] = &[
    QueryParam {
        name: "starttime",
        help: "Earliest time from which to get logs (%m/%d/%Y %Z)",
        kind: "string",
    },
    QueryParam {
        name: "endtime",
        help: "Latest time to which to get logs (%m/%d/%Y %Z)",
        kind: "string",
    },
    QueryParam {
        name: "page",
        help: "The page number for the logs",
        kind: "integer",
    },
    NEXT_PAGE,
];
const SUPERUSER_AGGREGATE_LOGS_QUERY: &[QueryParam] = &[
    QueryParam {
        name: "starttime",
        help: "Earliest time from which to get logs. (%m/%d/%Y %Z)",
        kind: "string",
    },
    QueryParam {
        name: "endtime",
        help: "Latest time to which to get logs. (%m/%d/%Y %Z)",
        kind: "string",
    },
];

const DISCOVERY_QUERY: &[QueryParam] = &[QueryParam {
    name: "internal",
    help: "Whether to include internal APIs.",
    kind: "boolean",
}];

fn ep(
    method: Method,
    path: &'static str,
    nickname: &'static str,
    tag: &'static str,
    summary: &'static str,
    scope: Option<Scope>,
    route: fn() -> Route,
) -> Endpoint {
    Endpoint {
        method,
        path,
        nickname,
        tag,
        summary,
        scope,
        internal: false,
        query: &[],
        body: None,
        enabled: |_| true,
        route,
    }
}

impl Endpoint {
    fn query(mut self, query: &'static [QueryParam]) -> Self {
        self.query = query;
        self
    }

    fn body(mut self, name: &'static str, schema: fn() -> Value) -> Self {
        self.body = Some((name, schema));
        self
    }

    /// Quay's `@internal_only`: served, but listed only by `discovery?internal=true`.
    fn internal(mut self) -> Self {
        self.internal = true;
        self
    }

    fn when(mut self, enabled: fn(&Config) -> bool) -> Self {
        self.enabled = enabled;
        self
    }
}

/// Every `/api/v1` operation registered under `config`, in registration order: paths
/// with a suffix after `{repository}` come before the bare repository path, which would
/// swallow them.
pub fn endpoints(config: &Config) -> Vec<Endpoint> {
    use Method as M;
    let all = vec![
        ep(M::GET, "/api/v1/discovery", "discovery", "discovery",
            "List all of the API endpoints available in the swagger API format.", None,
            || web::get().to(discovery::discovery))
            .query(DISCOVERY_QUERY),
        ep(M::GET, "/api/v1/user/", "getLoggedInUser", "user",
            "Get user information for the authenticated user.", Some(Scope::UserRead),
            || web::get().to(user::get_logged_in_user)),
        ep(M::POST, "/api/v1/user/", "createNewUser", "user",
            "Create a new user.", None,
            || web::post().to(user::create_new_user))
            .body("NewUser", schemas::new_user)
            .internal()
            .when(|c| c.feature_user_creation && c.feature_direct_login),
        ep(M::PUT, "/api/v1/user/", "changeUserDetails", "user",
            "Update a users details such as password or email.", Some(Scope::UserAdmin),
            || web::put().to(user::change_user_details))
            .body("UpdateUser", schemas::update_account)
            .internal(),
        ep(M::DELETE, "/api/v1/user/", "deleteCurrentUser", "user",
            "Deletes the current user.", Some(Scope::UserAdmin),
            || web::delete().to(user::delete_current_user))
            .internal(),
        ep(M::GET, "/api/v1/users/{username}", "getUserInformation", "user",
            "Get user information for the specified user.", None,
            || web::get().to(user::get_user_information)),
        ep(M::POST, "/api/v1/organization/", "createOrganization", "organization",
            "Create a new organization.", Some(Scope::UserAdmin),
            || web::post().to(organization::create_organization))
            .body("NewOrg", schemas::new_org),
        ep(M::GET, "/api/v1/organization/{orgname}", "getOrganization", "organization",
            "Get the details for the specified organization.", None,
            || web::get().to(organization::get_organization)),
        ep(M::PUT, "/api/v1/organization/{orgname}", "changeOrganizationDetails", "organization",
            "Change the details for the specified organization.", Some(Scope::OrgAdmin),
            || web::put().to(organization::change_organization_details))
            .body("UpdateOrg", schemas::update_org),
        ep(M::DELETE, "/api/v1/organization/{orgname}", "deleteAdminedOrganization", "organization",
            "Deletes the specified organization.", Some(Scope::OrgAdmin),
            || web::delete().to(organization::delete_organization)),
        ep(M::GET, "/api/v1/organization/{orgname}/members", "getOrganizationMembers", "organization",
            "List the human members of the specified organization.", Some(Scope::OrgAdmin),
            || web::get().to(organization::get_organization_members)),
        ep(M::GET, "/api/v1/organization/{orgname}/members/{membername}", "getOrganizationMember", "organization",
            "Retrieves the details of a member of the organization.", Some(Scope::OrgAdmin),
            || web::get().to(organization::get_organization_member)),
        ep(M::DELETE, "/api/v1/organization/{orgname}/members/{membername}", "removeOrganizationMember", "organization",
            "Removes a member from an organization, revoking all its repository priviledges and removing it from all teams in the organization.",
            Some(Scope::OrgAdmin),
            || web::delete().to(organization::remove_organization_member)),
        ep(M::GET, "/api/v1/organization/{orgname}/collaborators", "getOrganizationCollaborators", "organization",
            "List outside collaborators of the specified organization.", Some(Scope::OrgAdmin),
            || web::get().to(organization::get_organization_collaborators)),
        ep(M::PUT, "/api/v1/organization/{orgname}/team/{teamname}", "updateOrganizationTeam", "team",
            "Update the org-wide permission for the specified team.", Some(Scope::OrgAdmin),
            || web::put().to(team::update_organization_team))
            .body("TeamDescription", schemas::team_description),
        ep(M::DELETE, "/api/v1/organization/{orgname}/team/{teamname}", "deleteOrganizationTeam", "team",
            "Delete the specified team.", Some(Scope::OrgAdmin),
            || web::delete().to(team::delete_organization_team)),
        ep(M::GET, "/api/v1/organization/{orgname}/team/{teamname}/members", "getOrganizationTeamMembers", "team",
            "Retrieve the list of members for the specified team.", Some(Scope::OrgAdmin),
            || web::get().to(team::get_organization_team_members))
            .query(TEAM_MEMBERS_QUERY),
        ep(M::PUT, "/api/v1/organization/{orgname}/team/{teamname}/members/{membername}", "updateOrganizationTeamMember", "team",
            "Adds or invites a member to an existing team.", Some(Scope::OrgAdmin),
            || web::put().to(team::update_organization_team_member)),
        ep(M::DELETE, "/api/v1/organization/{orgname}/team/{teamname}/members/{membername}", "deleteOrganizationTeamMember", "team",
            "Delete a member of a team. If the user is merely invited to join the team, then the invite is removed instead.",
            Some(Scope::OrgAdmin),
            || web::delete().to(team::delete_organization_team_member)),
        ep(M::PUT, "/api/v1/organization/{orgname}/team/{teamname}/invite/{email}", "inviteTeamMemberEmail", "team",
            "Invites an email address to an existing team.", Some(Scope::OrgAdmin),
            || web::put().to(team::invite_team_member_email))
            .when(|c| c.feature_mailing),
        ep(M::DELETE, "/api/v1/organization/{orgname}/team/{teamname}/invite/{email}", "deleteTeamMemberEmailInvite", "team",
            "Delete an invite of an email address to join a team.", Some(Scope::OrgAdmin),
            || web::delete().to(team::delete_team_member_email_invite))
            .when(|c| c.feature_mailing),
        ep(M::GET, "/api/v1/organization/{orgname}/team/{teamname}/permissions", "getOrganizationTeamPermissions", "team",
            "Returns the list of repository permissions for the org's team.", None,
            || web::get().to(team::get_organization_team_permissions)),
        ep(M::POST, "/api/v1/organization/{orgname}/team/{teamname}/syncing", "enableOrganizationTeamSync", "team",
            "Enables syncing of a team to a group in the authentication backend.", Some(Scope::OrgAdmin),
            || web::post().to(team::enable_organization_team_sync))
            .when(|c| c.feature_team_syncing),
        ep(M::DELETE, "/api/v1/organization/{orgname}/team/{teamname}/syncing", "disableOrganizationTeamSync", "team",
            "Disables syncing of a team to a group in the authentication backend.", Some(Scope::OrgAdmin),
            || web::delete().to(team::disable_organization_team_sync))
            .when(|c| c.feature_team_syncing),
        ep(M::PUT, "/api/v1/teaminvite/{code}", "acceptOrganizationTeamInvite", "team",
            "Accepts an invite to join a team in an organization.", Some(Scope::UserAdmin),
            || web::put().to(team::accept_organization_team_invite))
            .internal()
            .when(|c| c.feature_mailing),
        ep(M::DELETE, "/api/v1/teaminvite/{code}", "declineOrganizationTeamInvite", "team",
            "Delete an existing invitation to join a team.", Some(Scope::UserAdmin),
            || web::delete().to(team::decline_organization_team_invite))
            .internal()
            .when(|c| c.feature_mailing),
        ep(M::GET, "/api/v1/user/notifications", "listUserNotifications", "user",
            "List the notifications for the current user.", Some(Scope::UserAdmin),
            || web::get().to(user::list_user_notifications))
            .query(NOTIFICATIONS_QUERY)
            .internal(),
        ep(M::GET, "/api/v1/user/notifications/{uuid}", "getUserNotification", "user",
            "Get a notification of the current user.", Some(Scope::UserAdmin),
            || web::get().to(user::get_user_notification))
            .internal(),
        ep(M::PUT, "/api/v1/user/notifications/{uuid}", "updateUserNotification", "user",
            "Dismiss or undismiss a notification of the current user.", Some(Scope::UserAdmin),
            || web::put().to(user::update_user_notification))
            .body("UpdateNotification", schemas::update_notification)
            .internal(),
        ep(M::GET, "/api/v1/organization/{orgname}/prototypes", "getOrganizationPrototypePermissions", "prototype",
            "List the existing prototypes for this organization.", Some(Scope::OrgAdmin),
            || web::get().to(prototype::get_organization_prototype_permissions)),
        ep(M::POST, "/api/v1/organization/{orgname}/prototypes", "createOrganizationPrototypePermission", "prototype",
            "Create a new permission prototype.", Some(Scope::OrgAdmin),
            || web::post().to(prototype::create_organization_prototype_permission))
            .body("NewPrototype", schemas::new_prototype),
        ep(M::PUT, "/api/v1/organization/{orgname}/prototypes/{prototypeid}", "updateOrganizationPrototypePermission", "prototype",
            "Update the role of an existing permission prototype.", Some(Scope::OrgAdmin),
            || web::put().to(prototype::update_organization_prototype_permission))
            .body("PrototypeUpdate", schemas::prototype_update),
        ep(M::DELETE, "/api/v1/organization/{orgname}/prototypes/{prototypeid}", "deleteOrganizationPrototypePermission", "prototype",
            "Delete an existing permission prototype.", Some(Scope::OrgAdmin),
            || web::delete().to(prototype::delete_organization_prototype_permission)),
        ep(M::GET, "/api/v1/entities/{prefix}", "getMatchingEntities", "search",
            "Get a list of entities that match the specified prefix.", None,
            || web::get().to(search::get_matching_entities))
            .query(ENTITIES_QUERY),
        ep(M::GET, "/api/v1/find/all", "conductSearch", "search",
            "Get a list of entities and resources that match the specified query.", Some(Scope::RepoRead),
            || web::get().to(search::conduct_search))
            .query(SEARCH_ALL_QUERY),
        ep(M::GET, "/api/v1/find/repositories", "conductRepoSearch", "search",
            "Get a list of apps and repositories that match the specified query.", None,
            || web::get().to(search::conduct_repo_search))
            .query(SEARCH_REPOS_QUERY),
        ep(M::POST, "/api/v1/repository", "createRepo", "repository",
            "Create a new repository.", Some(Scope::RepoCreate),
            || web::post().to(repository::create_repo))
            .body("NewRepo", schemas::new_repo),
        ep(M::GET, "/api/v1/repository", "listRepos", "repository",
            "Fetch the list of repositories visible to the current user under a variety of situations.",
            Some(Scope::RepoRead), || web::get().to(repository::list_repos))
            .query(REPO_LIST_QUERY),
        ep(M::GET, "/api/v1/repository/{repository}/permissions/team/", "listRepoTeamPermissions", "permission",
            "List all team permission.", Some(Scope::RepoAdmin),
            || web::get().to(permission::list_repo_team_permissions)),
        ep(M::GET, "/api/v1/repository/{repository}/permissions/team/{teamname}", "getTeamPermissions", "permission",
            "Fetch the permission for the specified team.", Some(Scope::RepoAdmin),
            || web::get().to(permission::get_team_permissions)),
        ep(M::PUT, "/api/v1/repository/{repository}/permissions/team/{teamname}", "changeTeamPermissions", "permission",
            "Update the existing team permission.", Some(Scope::RepoAdmin),
            || web::put().to(permission::change_team_permissions))
            .body("TeamPermission", schemas::team_permission),
        ep(M::DELETE, "/api/v1/repository/{repository}/permissions/team/{teamname}", "deleteTeamPermissions", "permission",
            "Delete the permission for the specified team.", Some(Scope::RepoAdmin),
            || web::delete().to(permission::delete_team_permissions)),
        ep(M::GET, "/api/v1/repository/{repository}/permissions/user/", "listRepoUserPermissions", "permission",
            "List all user permissions.", Some(Scope::RepoAdmin),
            || web::get().to(permission::list_repo_user_permissions)),
        ep(M::GET, "/api/v1/repository/{repository}/permissions/user/{username}/transitive", "getUserTransitivePermission", "permission",
            "Get the fetch the permission for the specified user.", Some(Scope::RepoAdmin),
            || web::get().to(permission::get_user_transitive_permission)),
        ep(M::GET, "/api/v1/repository/{repository}/permissions/user/{username}", "getUserPermissions", "permission",
            "Get the permission for the specified user.", Some(Scope::RepoAdmin),
            || web::get().to(permission::get_user_permissions)),
        ep(M::PUT, "/api/v1/repository/{repository}/permissions/user/{username}", "changeUserPermissions", "permission",
            "Update the perimssions for an existing repository.", Some(Scope::RepoAdmin),
            || web::put().to(permission::change_user_permissions))
            .body("UserPermission", schemas::user_permission),
        ep(M::DELETE, "/api/v1/repository/{repository}/permissions/user/{username}", "deleteUserPermissions", "permission",
            "Delete the permission for the user.", Some(Scope::RepoAdmin),
            || web::delete().to(permission::delete_user_permissions)),
        ep(M::GET, "/api/v1/repository/{repository}/tag/", "listRepoTags", "tag",
            "Resource for listing full repository tag history, alive *and dead*.", Some(Scope::RepoRead),
            || web::get().to(tag::list_repo_tags))
            .query(TAG_LIST_QUERY),
        ep(M::PUT, "/api/v1/repository/{repository}/tag/{tag}", "changeTag", "tag",
            "Change which image a tag points to or create a new tag.", Some(Scope::RepoWrite),
            || web::put().to(tag::change_tag))
            .body("ChangeTag", schemas::change_tag),
        ep(M::DELETE, "/api/v1/repository/{repository}/tag/{tag}", "deleteFullTag", "tag",
            "Delete the specified repository tag.", Some(Scope::RepoWrite),
            || web::delete().to(tag::delete_full_tag)),
        ep(M::POST, "/api/v1/repository/{repository}/tag/{tag}/restore", "restoreTag", "tag",
            "Restores a repository tag back to a previous image in the repository.",
            Some(Scope::RepoWrite), || web::post().to(tag::restore_tag))
            .body("RestoreTag", schemas::restore_tag),
        ep(M::POST, "/api/v1/repository/{repository}/tag/{tag}/expire", "removeTagFromTimemachine", "tag",
            "Updates any expired tags with the matching name and manifest with an expiry outside the time machine window",
            Some(Scope::RepoWrite), || web::post().to(tag::remove_tag_from_timemachine))
            .body("ExpireTag", schemas::expire_tag)
            .when(|c| c.permanently_delete_tags),
        ep(M::GET, "/api/v1/repository/{repository}/manifest/{manifestref}", "getRepoManifest", "manifest",
            "Resource for retrieving a specific repository manifest.", Some(Scope::RepoRead),
            || web::get().to(manifest::get_repo_manifest)),
        ep(M::GET, "/api/v1/repository/{repository}/manifest/{manifestref}/labels", "listManifestLabels", "manifest",
            "Resource for listing the labels on a specific repository manifest.", Some(Scope::RepoRead),
            || web::get().to(manifest::list_manifest_labels))
            .query(LABEL_LIST_QUERY),
        ep(M::POST, "/api/v1/repository/{repository}/manifest/{manifestref}/labels", "addManifestLabel", "manifest",
            "Adds a new label into the tag manifest.", Some(Scope::RepoWrite),
            || web::post().to(manifest::add_manifest_label))
            .body("AddLabel", schemas::add_label),
        ep(M::GET, "/api/v1/repository/{repository}/manifest/{manifestref}/labels/{labelid}", "getManifestLabel", "manifest",
            "Retrieves the label with the specific ID under the manifest.", Some(Scope::RepoRead),
            || web::get().to(manifest::get_manifest_label)),
        ep(M::DELETE, "/api/v1/repository/{repository}/manifest/{manifestref}/labels/{labelid}", "deleteManifestLabel", "manifest",
            "Deletes an existing label from a manifest.", Some(Scope::RepoWrite),
            || web::delete().to(manifest::delete_manifest_label)),
        ep(M::GET, "/api/v1/repository/{repository}/manifest/{manifestref}/security", "getRepoManifestSecurity", "secscan",
            "Operations for managing the vulnerabilities in a repository manifest.", Some(Scope::RepoRead),
            || web::get().to(secscan::get_repo_manifest_security))
            .query(SECURITY_QUERY)
            .when(|c| c.feature_security_scanner),
        ep(M::GET, "/api/v1/organization/{orgname}/autoprunepolicy/", "listOrganizationAutoPrunePolicies", "policy",
            "Lists the auto-prune policies for the organization", Some(Scope::OrgAdmin),
            || web::get().to(policy::list_org_policies))
            .when(|c| c.feature_auto_prune),
        ep(M::POST, "/api/v1/organization/{orgname}/autoprunepolicy/", "createOrganizationAutoPrunePolicy", "policy",
            "Creates an auto-prune policy for the organization", Some(Scope::OrgAdmin),
            || web::post().to(policy::create_org_policy))
            .body("AutoPrunePolicyConfig", schemas::org_autoprune_policy)
            .when(|c| c.feature_auto_prune),
        ep(M::GET, "/api/v1/organization/{orgname}/autoprunepolicy/{policy_uuid}", "getOrganizationAutoPrunePolicy", "policy",
            "Fetches the auto-prune policy for the organization", Some(Scope::OrgAdmin),
            || web::get().to(policy::get_org_policy))
            .when(|c| c.feature_auto_prune),
        ep(M::PUT, "/api/v1/organization/{orgname}/autoprunepolicy/{policy_uuid}", "updateOrganizationAutoPrunePolicy", "policy",
            "Updates the auto-prune policy for the organization", Some(Scope::OrgAdmin),
            || web::put().to(policy::update_org_policy))
            .body("AutoPrunePolicyConfig", schemas::org_autoprune_policy)
            .when(|c| c.feature_auto_prune),
        ep(M::DELETE, "/api/v1/organization/{orgname}/autoprunepolicy/{policy_uuid}", "deleteOrganizationAutoPrunePolicy", "policy",
            "Deletes the auto-prune policy for the organization", Some(Scope::OrgAdmin),
            || web::delete().to(policy::delete_org_policy))
            .when(|c| c.feature_auto_prune),
        ep(M::GET, "/api/v1/repository/{repository}/notification/", "listRepoNotifications", "repositorynotification",
            "List the notifications for the specified repository.", Some(Scope::RepoAdmin),
            || web::get().to(repositorynotification::list_notifications)),
        ep(M::POST, "/api/v1/repository/{repository}/notification/", "createRepoNotification", "repositorynotification",
            "Resource for dealing with listing and creating notifications on a repository.", Some(Scope::RepoAdmin),
            || web::post().to(repositorynotification::create_notification))
            .body("NotificationCreateRequest", schemas::notification_create_request),
        ep(M::GET, "/api/v1/repository/{repository}/notification/{uuid}", "getRepoNotification", "repositorynotification",
            "Get information for the specified notification.", Some(Scope::RepoAdmin),
            || web::get().to(repositorynotification::get_notification)),
        ep(M::POST, "/api/v1/repository/{repository}/notification/{uuid}", "resetRepositoryNotificationFailures", "repositorynotification",
            "Resets repository notification to 0 failures.", Some(Scope::RepoAdmin),
            || web::post().to(repositorynotification::reset_notification_failures)),
        ep(M::DELETE, "/api/v1/repository/{repository}/notification/{uuid}", "deleteRepoNotification", "repositorynotification",
            "Deletes the specified notification.", Some(Scope::RepoAdmin),
            || web::delete().to(repositorynotification::delete_notification)),
        ep(M::POST, "/api/v1/repository/{repository}/notification/{uuid}/test", "testRepoNotification", "repositorynotification",
            "Queues a test notification for this repository.", Some(Scope::RepoAdmin),
            || web::post().to(repositorynotification::test_notification)),
        ep(M::GET, "/api/v1/repository/{repository}/autoprunepolicy/", "listRepositoryAutoPrunePolicies", "policy",
            "Lists the auto-prune policies for the repository", Some(Scope::RepoAdmin),
            || web::get().to(policy::list_repo_policies))
            .when(|c| c.feature_auto_prune),
        ep(M::POST, "/api/v1/repository/{repository}/autoprunepolicy/", "createRepositoryAutoPrunePolicy", "policy",
            "Creates an auto-prune policy for the repository", Some(Scope::RepoAdmin),
            || web::post().to(policy::create_repo_policy))
            .body("AutoPrunePolicyConfig", schemas::repo_autoprune_policy)
            .when(|c| c.feature_auto_prune),
        ep(M::GET, "/api/v1/repository/{repository}/autoprunepolicy/{policy_uuid}", "getRepositoryAutoPrunePolicy", "policy",
            "Fetches the auto-prune policy for the repository", Some(Scope::RepoAdmin),
            || web::get().to(policy::get_repo_policy))
            .when(|c| c.feature_auto_prune),
        ep(M::PUT, "/api/v1/repository/{repository}/autoprunepolicy/{policy_uuid}", "updateRepositoryAutoPrunePolicy", "policy",
            "Updates the auto-prune policy for the repository", Some(Scope::RepoAdmin),
            || web::put().to(policy::update_repo_policy))
            .body("AutoPrunePolicyConfig", schemas::repo_autoprune_policy)
            .when(|c| c.feature_auto_prune),
        ep(M::DELETE, "/api/v1/repository/{repository}/autoprunepolicy/{policy_uuid}", "deleteRepositoryAutoPrunePolicy", "policy",
            "Deletes the auto-prune policy for the repository", Some(Scope::RepoAdmin),
            || web::delete().to(policy::delete_repo_policy))
            .when(|c| c.feature_auto_prune),
        ep(M::GET, "/api/v1/user/autoprunepolicy/", "listUserAutoPrunePolicies", "policy",
            "Lists the auto-prune policies for the currently logged in user", Some(Scope::UserAdmin),
            || web::get().to(policy::list_user_policies))
            .when(|c| c.feature_auto_prune),
        ep(M::POST, "/api/v1/user/autoprunepolicy/", "createUserAutoPrunePolicy", "policy",
            "Creates the auto-prune policy for the currently logged in user", Some(Scope::UserAdmin),
            || web::post().to(policy::create_user_policy))
            .body("AutoPrunePolicyConfig", schemas::user_autoprune_policy)
            .when(|c| c.feature_auto_prune),
        ep(M::GET, "/api/v1/user/autoprunepolicy/{policy_uuid}", "getUserAutoPrunePolicy", "policy",
            "Fetches the auto-prune policy for the currently logged in user", Some(Scope::UserAdmin),
            || web::get().to(policy::get_user_policy))
            .when(|c| c.feature_auto_prune),
        ep(M::PUT, "/api/v1/user/autoprunepolicy/{policy_uuid}", "updateUserAutoPrunePolicy", "policy",
            "Updates the auto-prune policy for the currently logged in user", Some(Scope::UserAdmin),
            || web::put().to(policy::update_user_policy))
            .body("AutoPrunePolicyConfig", schemas::user_autoprune_policy)
            .when(|c| c.feature_auto_prune),
        ep(M::DELETE, "/api/v1/user/autoprunepolicy/{policy_uuid}", "deleteUserAutoPrunePolicy", "policy",
            "Deletes the auto-prune policy for the currently logged in user", Some(Scope::UserAdmin),
            || web::delete().to(policy::delete_user_policy))
            .when(|c| c.feature_auto_prune),
        ep(M::POST, "/api/v1/repository/{repository}/changevisibility", "changeRepoVisibility", "repository",
            "Change the visibility of a repository.", Some(Scope::RepoAdmin),
            || web::post().to(repository::change_visibility))
            .body("ChangeVisibility", schemas::change_visibility),
        ep(M::GET, "/api/v1/repository/{repository}/logs", "listRepoLogs", "logs",
            "List the logs for the specified repository.", Some(Scope::RepoAdmin),
            || web::get().to(logs::list_repo_logs))
            .query(REPO_LOGS_QUERY),
        ep(M::GET, "/api/v1/repository/{repository}/aggregatelogs", "getAggregateRepoLogs", "logs",
            "Returns the aggregated logs for the specified repository.", Some(Scope::RepoAdmin),
            || web::get().to(logs::aggregate_repo_logs))
            .query(REPO_AGGREGATE_LOGS_QUERY)
            .when(|c| c.feature_aggregated_log_count_retrieval),
        ep(M::GET, "/api/v1/user/logs", "listUserLogs", "logs",
            "List the logs for the current user.", Some(Scope::UserAdmin),
            || web::get().to(logs::list_user_logs))
            .query(LOGS_QUERY),
        ep(M::GET, "/api/v1/user/aggregatelogs", "getAggregateUserLogs", "logs",
            "Returns the aggregated logs for the current user.", Some(Scope::UserAdmin),
            || web::get().to(logs::aggregate_user_logs))
            .query(AGGREGATE_LOGS_QUERY)
            .when(|c| c.feature_aggregated_log_count_retrieval),
        ep(M::GET, "/api/v1/organization/{orgname}/logs", "listOrgLogs", "logs",
            "List the logs for the specified organization.", Some(Scope::OrgAdmin),
            || web::get().to(logs::list_org_logs))
            .query(LOGS_QUERY),
        ep(M::GET, "/api/v1/organization/{orgname}/aggregatelogs", "getAggregateOrgLogs", "logs",
            "Gets the aggregated logs for the specified organization.", Some(Scope::OrgAdmin),
            || web::get().to(logs::aggregate_org_logs))
            .query(AGGREGATE_LOGS_QUERY)
            .when(|c| c.feature_aggregated_log_count_retrieval),
        ep(M::POST, "/api/v1/repository/{repository}/exportlogs", "exportRepoLogs", "logs",
            "Queues an export of the logs for the specified repository.", Some(Scope::RepoAdmin),
            || web::post().to(logs::export_repo_logs))
            .query(REPO_AGGREGATE_LOGS_QUERY)
            .body("ExportLogs", schemas::export_logs)
            .when(|c| c.feature_log_export),
        ep(M::POST, "/api/v1/user/exportlogs", "exportUserLogs", "logs",
            "Returns the aggregated logs for the current user.", Some(Scope::UserAdmin),
            || web::post().to(logs::export_user_logs))
            .query(REPO_AGGREGATE_LOGS_QUERY)
            .body("ExportLogs", schemas::export_logs)
            .when(|c| c.feature_log_export),
        ep(M::POST, "/api/v1/organization/{orgname}/exportlogs", "exportOrgLogs", "logs",
            "Exports the logs for the specified organization.", Some(Scope::OrgAdmin),
            || web::post().to(logs::export_org_logs))
            .query(REPO_AGGREGATE_LOGS_QUERY)
            .body("ExportLogs", schemas::export_logs)
            .when(|c| c.feature_log_export),
        ep(M::GET, "/api/v1/superuser/logs", "listAllLogs", "superuser",
            "List the usage logs for the current system.", Some(Scope::SuperUser),
            || web::get().to(logs::list_all_logs))
            .query(SUPERUSER_LOGS_QUERY)
            .when(|c| c.feature_super_users),
        ep(M::GET, "/api/v1/superuser/aggregatelogs", "listAllAggregateLogs", "superuser",
            "Returns the aggregated logs for the current system.", None,
            || web::get().to(logs::aggregate_all_logs))
            .query(SUPERUSER_AGGREGATE_LOGS_QUERY)
            .internal(),
        ep(M::GET, "/api/v1/repository/{repository}", "getRepo", "repository",
            "Fetch the specified repository.", Some(Scope::RepoRead),
            || web::get().to(repository::get_repo))
            .query(REPO_GET_QUERY),
        ep(M::PUT, "/api/v1/repository/{repository}", "updateRepo", "repository",
            "Update the description in the specified repository.", Some(Scope::RepoWrite),
            || web::put().to(repository::update_repo))
            .body("RepoUpdate", schemas::repo_update),
        ep(M::DELETE, "/api/v1/repository/{repository}", "deleteRepository", "repository",
            "Delete a repository.", Some(Scope::RepoAdmin),
            || web::delete().to(repository::delete_repo)),
        ep(M::GET, "/api/v1/user/apptoken", "listAppTokens", "appspecifictokens",
            "Lists the app specific tokens for the user.", Some(Scope::UserAdmin),
            || web::get().to(apptoken::list_app_tokens))
            .query(APPTOKEN_LIST_QUERY)
            .when(|c| c.feature_app_specific_tokens),
        ep(M::POST, "/api/v1/user/apptoken", "createAppToken", "appspecifictokens",
            "Create a new app specific token for user.", Some(Scope::UserAdmin),
            || web::post().to(apptoken::create_app_token))
            .body("NewToken", schemas::new_token)
            .when(|c| c.feature_app_specific_tokens),
        ep(M::GET, "/api/v1/user/apptoken/{token_uuid}", "getAppToken", "appspecifictokens",
            "Returns a specific app token for the user.", Some(Scope::UserAdmin),
            || web::get().to(apptoken::get_app_token))
            .when(|c| c.feature_app_specific_tokens),
        ep(M::DELETE, "/api/v1/user/apptoken/{token_uuid}", "revokeAppToken", "appspecifictokens",
            "Revokes a specific app token for the user.", Some(Scope::UserAdmin),
            || web::delete().to(apptoken::revoke_app_token))
            .when(|c| c.feature_app_specific_tokens),
        ep(M::POST, "/api/v1/signin", "signinUser", "user",
            "Sign in the user with the specified credentials.", None,
            || web::post().to(session::signin))
            .body("SigninUser", schemas::signin_user)
            .internal()
            .when(|c| c.feature_direct_login),
        ep(M::POST, "/api/v1/signin/verify", "verifyUser", "user",
            "Verifies the signed in the user with the specified credentials.", Some(Scope::UserAdmin),
            || web::post().to(session::verify))
            .body("VerifyUser", schemas::verify_user)
            .internal(),
        ep(M::POST, "/api/v1/signout", "logout", "user",
            "Request that the current user be signed out.", None,
            || web::post().to(session::signout))
            .internal(),
        ep(M::GET, "/api/v1/messages", "getGlobalMessages", "globalmessages",
            "Return a super users messages.", None,
            || web::get().to(globalmessages::get_global_messages)),
        ep(M::POST, "/api/v1/messages", "createGlobalMessage", "globalmessages",
            "Create a message.", Some(Scope::SuperUser),
            || web::post().to(globalmessages::create_global_message))
            .body("CreateMessage", schemas::create_message),
        ep(M::DELETE, "/api/v1/message/{uuid}", "deleteGlobalMessage", "globalmessages",
            "Delete a message.", Some(Scope::SuperUser),
            || web::delete().to(globalmessages::delete_global_message))
            .when(|c| c.feature_super_users),
        ep(M::GET, "/api/v1/superuser/users/", "listAllUsers", "superuser",
            "Returns a list of all users in the system.", Some(Scope::SuperUser),
            || web::get().to(superuser::list_all_users))
            .query(SUPERUSER_LIST_QUERY)
            .when(|c| c.feature_super_users),
        ep(M::POST, "/api/v1/superuser/users/", "createInstallUser", "superuser",
            "Creates a new user.", Some(Scope::SuperUser),
            || web::post().to(superuser::create_install_user))
            .body("CreateInstallUser", schemas::create_install_user)
            .when(|c| c.feature_super_users),
        ep(M::GET, "/api/v1/superuser/users/{username}", "getInstallUser", "superuser",
            "Returns information about the specified user.", Some(Scope::SuperUser),
            || web::get().to(superuser::get_install_user))
            .internal()
            .when(|c| c.feature_super_users),
        ep(M::PUT, "/api/v1/superuser/users/{username}", "changeInstallUser", "superuser",
            "Updates information about the specified user.", Some(Scope::SuperUser),
            || web::put().to(superuser::change_install_user))
            .body("UpdateUser", schemas::update_user)
            .internal()
            .when(|c| c.feature_super_users),
        ep(M::DELETE, "/api/v1/superuser/users/{username}", "deleteInstallUser", "superuser",
            "Deletes the specified user.", Some(Scope::SuperUser),
            || web::delete().to(superuser::delete_install_user))
            .internal()
            .when(|c| c.feature_super_users),
        ep(M::GET, "/api/v1/user/robots", "getUserRobots", "robot",
            "List the available robots for the user.", Some(Scope::UserAdmin),
            || web::get().to(robot::get_user_robots))
            .query(USER_ROBOTS_QUERY),
        ep(M::GET, "/api/v1/user/robots/{robot_shortname}/permissions", "getUserRobotPermissions", "robot",
            "Returns the list of repository permissions for the user's robot.", Some(Scope::UserAdmin),
            || web::get().to(robot::get_user_robot_permissions)),
        ep(M::POST, "/api/v1/user/robots/{robot_shortname}/regenerate", "regenerateUserRobotToken", "robot",
            "Regenerates the token for a user's robot.", Some(Scope::UserAdmin),
            || web::post().to(robot::regenerate_user_robot_token)),
        ep(M::GET, "/api/v1/user/robots/{robot_shortname}", "getUserRobot", "robot",
            "Returns the user's robot with the specified name.", Some(Scope::UserAdmin),
            || web::get().to(robot::get_user_robot)),
        ep(M::PUT, "/api/v1/user/robots/{robot_shortname}", "createUserRobot", "robot",
            "Create a new user robot with the specified name.", Some(Scope::UserAdmin),
            || web::put().to(robot::create_user_robot))
            .body("CreateRobot", schemas::create_robot),
        ep(M::DELETE, "/api/v1/user/robots/{robot_shortname}", "deleteUserRobot", "robot",
            "Delete an existing robot.", Some(Scope::UserAdmin),
            || web::delete().to(robot::delete_user_robot)),
        ep(M::GET, "/api/v1/organization/{orgname}/robots", "getOrgRobots", "robot",
            "List the organization's robots.", Some(Scope::OrgAdmin),
            || web::get().to(robot::get_org_robots))
            .query(ORG_ROBOTS_QUERY),
        ep(M::GET, "/api/v1/organization/{orgname}/robots/{robot_shortname}/permissions", "getOrgRobotPermissions", "robot",
            "Returns the list of repository permissions for the org's robot.", Some(Scope::UserAdmin),
            || web::get().to(robot::get_org_robot_permissions)),
        ep(M::POST, "/api/v1/organization/{orgname}/robots/{robot_shortname}/regenerate", "regenerateOrgRobotToken", "robot",
            "Regenerates the token for an organization robot.", Some(Scope::OrgAdmin),
            || web::post().to(robot::regenerate_org_robot_token)),
        ep(M::GET, "/api/v1/organization/{orgname}/robots/{robot_shortname}", "getOrgRobot", "robot",
            "Returns the organization's robot with the specified name.", Some(Scope::OrgAdmin),
            || web::get().to(robot::get_org_robot)),
        ep(M::PUT, "/api/v1/organization/{orgname}/robots/{robot_shortname}", "createOrgRobot", "robot",
            "Create a new robot in the organization.", Some(Scope::OrgAdmin),
            || web::put().to(robot::create_org_robot))
            .body("CreateRobot", schemas::create_robot),
        ep(M::DELETE, "/api/v1/organization/{orgname}/robots/{robot_shortname}", "deleteOrgRobot", "robot",
            "Delete an existing organization robot.", Some(Scope::OrgAdmin),
            || web::delete().to(robot::delete_org_robot)),
        ep(M::POST, "/api/v1/organization/{orgname}/applications/{client_id}/resetclientsecret",
            "resetOrganizationApplicationClientSecret", "organization",
            "Resets the client secret of the application.", None,
            || web::post().to(application::reset_client_secret))
            .internal(),
        ep(M::GET, "/api/v1/organization/{orgname}/applications/{client_id}", "getOrganizationApplication", "organization",
            "Retrieves the application with the specified client_id under the specified organization.",
            Some(Scope::OrgAdmin), || web::get().to(application::get_application)),
        ep(M::PUT, "/api/v1/organization/{orgname}/applications/{client_id}", "updateOrganizationApplication", "organization",
            "Updates an application under this organization.", Some(Scope::OrgAdmin),
            || web::put().to(application::update_application))
            .body("UpdateApp", schemas::update_app),
        ep(M::DELETE, "/api/v1/organization/{orgname}/applications/{client_id}", "deleteOrganizationApplication", "organization",
            "Deletes the application under this organization.", Some(Scope::OrgAdmin),
            || web::delete().to(application::delete_application)),
        ep(M::GET, "/api/v1/organization/{orgname}/applications", "getOrganizationApplications", "organization",
            "List the applications for the specified organization.", Some(Scope::OrgAdmin),
            || web::get().to(application::list_applications)),
        ep(M::POST, "/api/v1/organization/{orgname}/applications", "createOrganizationApplication", "organization",
            "Creates a new application under this organization.", Some(Scope::OrgAdmin),
            || web::post().to(application::create_application))
            .body("NewApp", schemas::new_app),
        ep(M::GET, "/api/v1/app/{client_id}", "getApplicationInformation", "organization",
            "Get information on the specified application.", None,
            || web::get().to(application::get_application_information)),
        ep(M::GET, "/api/v1/user/authorizations", "listUserAuthorizations", "user",
            "", Some(Scope::UserAdmin),
            || web::get().to(application::list_user_authorizations))
            .internal(),
        ep(M::GET, "/api/v1/user/authorizations/{access_token_uuid}", "getUserAuthorization", "user",
            "", Some(Scope::UserAdmin),
            || web::get().to(application::get_user_authorization))
            .internal(),
        ep(M::DELETE, "/api/v1/user/authorizations/{access_token_uuid}", "deleteUserAuthorization", "user",
            "", Some(Scope::UserAdmin),
            || web::delete().to(application::delete_user_authorization))
            .internal(),
        ep(M::GET, "/api/v1/superuser/organizations/", "listAllOrganizations", "superuser",
            "Returns a list of all organizations in the system.", Some(Scope::SuperUser),
            || web::get().to(superuser::list_all_organizations))
            .query(SUPERUSER_ORG_LIST_QUERY)
            .internal()
            .when(|c| c.feature_super_users),
        ep(M::PUT, "/api/v1/superuser/organizations/{name}", "changeOrganization", "superuser",
            "Updates information about the specified user.", Some(Scope::SuperUser),
            || web::put().to(superuser::change_organization))
            .body("UpdateOrg", schemas::superuser_update_org)
            .when(|c| c.feature_super_users),
        ep(M::DELETE, "/api/v1/superuser/organizations/{name}", "deleteOrganization", "superuser",
            "Deletes the specified organization.", Some(Scope::SuperUser),
            || web::delete().to(superuser::delete_organization))
            .when(|c| c.feature_super_users),
        ep(M::POST, "/api/v1/superuser/takeownership/{namespace}", "takeOwnership", "superuser",
            "Takes ownership of the specified organization or user.", Some(Scope::SuperUser),
            || web::post().to(superuser::take_ownership))
            .internal()
            .when(|c| c.feature_super_users),
        ep(M::POST, "/api/v1/user/clientkey", "generateUserClientKey", "user",
            "Return's the user's private client key.", Some(Scope::UserAdmin),
            || web::post().to(user::generate_client_key))
            .body("GenerateClientKey", schemas::generate_client_key)
            .internal(),
        ep(M::POST, "/api/v1/user/convert", "convertUserToOrganization", "user",
            "Convert the user to an organization.", Some(Scope::UserAdmin),
            || web::post().to(user::convert_user_to_organization))
            .body("ConvertUser", schemas::convert_user)
            .internal(),
        ep(M::GET, "/api/v1/user/starred", "listStarredRepos", "user",
            "List all starred repositories.", Some(Scope::UserAdmin),
            || web::get().to(repository::list_starred_repos))
            .query(STARRED_QUERY),
        ep(M::POST, "/api/v1/user/starred", "createStar", "user",
            "Star a repository.", Some(Scope::RepoRead),
            || web::post().to(repository::create_star))
            .body("NewStarredRepository", schemas::new_starred_repository),
        ep(M::DELETE, "/api/v1/user/starred/{repository}", "deleteStar", "user",
            "Removes a star from a repository.", Some(Scope::UserAdmin),
            || web::delete().to(repository::delete_star)),
    ];
    all.into_iter().filter(|e| (e.enabled)(config)).collect()
}

/// The actix pattern of an OpenAPI path: `{repository}` spans `namespace/name` (with
/// more `/` segments when extended names are on).
pub fn actix_pattern(path: &str, config: &Config) -> String {
    let repo = if config.feature_extended_repository_names {
        "{repository:[^/]+(?:/[^/]+)+}"
    } else {
        "{repository:[^/]+/[^/]+}"
    };
    // Quay's `manifestref` converter: `DIGEST_PATTERN`; anything else is no route.
    path.replace("{repository}", repo).replace(
        "{manifestref}",
        "{manifestref:[A-Za-z0-9_+.-]+:[A-Fa-f0-9]+}",
    )
}

/// Registers the table: one actix resource per path, with a route per method.
pub fn register(cfg: &mut ServiceConfig, config: &Config) {
    let table = endpoints(config);
    let mut paths: Vec<&'static str> = Vec::new();
    for e in &table {
        if !paths.contains(&e.path) {
            paths.push(e.path);
        }
    }
    for path in paths {
        let mut policy = RoutePolicy::default();
        let mut resource = web::resource(actix_pattern(path, config))
            .default_service(web::to(crate::method_not_allowed));
        for e in table.iter().filter(|e| e.path == path) {
            policy.scopes.push((e.method.clone(), e.scope));
            resource = resource.route((e.route)());
        }
        cfg.service(resource.app_data(policy));
    }
}

/// The declared OAuth scope of each method of one route-table path, for checks that
/// must happen before a request body is looked at (see `extract::Caller`).
#[derive(Debug, Clone, Default)]
pub struct RoutePolicy {
    scopes: Vec<(Method, Option<Scope>)>,
}

impl RoutePolicy {
    pub fn scope(&self, method: &Method) -> Option<Scope> {
        self.scopes
            .iter()
            .find(|(m, _)| m == method)
            .and_then(|(_, s)| *s)
    }
}
