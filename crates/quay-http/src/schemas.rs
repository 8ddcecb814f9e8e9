//! Request body schemas, exactly as Quay declares them (a test compares them with the
//! catalog in `shared/spec`).

use serde_json::{json, Value};

pub fn new_repo() -> Value {
    json!({"type": "object", "description": "Description of a new repository", "required": ["repository", "visibility", "description"], "properties": {"repository": {"type": "string", "description": "Repository name"}, "visibility": {"type": "string", "description": "Visibility which the repository will start with", "enum": ["public", "private"]}, "namespace": {"type": "string", "description": "Namespace in which the repository should be created. If omitted, the username of the caller is used"}, "description": {"type": "string", "description": "Markdown encoded description for the repository"}, "repo_kind": {"type": ["string", "null"], "description": "The kind of repository", "enum": ["image", "application", null]}}})
}

pub fn repo_update() -> Value {
    json!({"type": "object", "description": "Fields which can be updated in a repository.", "required": ["description"], "properties": {"description": {"type": "string", "description": "Markdown encoded description for the repository"}}})
}

pub fn change_visibility() -> Value {
    json!({"type": "object", "description": "Change the visibility for the repository.", "required": ["visibility"], "properties": {"visibility": {"type": "string", "description": "Visibility which the repository will start with", "enum": ["public", "private"]}}})
}

pub fn new_org() -> Value {
    json!({"type": "object", "description": "Description of a new organization.", "required": ["name"], "properties": {"name": {"type": "string", "description": "Organization username"}, "email": {"type": "string", "description": "Organization contact email"}, "recaptcha_response": {"type": "string", "description": "The (may be disabled) recaptcha response code for verification"}}})
}

pub fn update_org() -> Value {
    json!({"type": "object", "description": "Description of updates for an existing organization", "properties": {"email": {"type": "string", "description": "Organization contact email"}, "invoice_email": {"type": "boolean", "description": "Whether the organization desires to receive emails for invoices"}, "invoice_email_address": {"type": ["string", "null"], "description": "The email address at which to receive invoices"}, "tag_expiration_s": {"type": "integer", "minimum": 0, "description": "The number of seconds for tag expiration"}}})
}

pub fn new_token() -> Value {
    json!({"type": "object", "required": ["title"], "properties": {"title": {"type": "string", "description": "The user-defined title for the token"}}})
}

pub fn signin_user() -> Value {
    json!({"type": "object", "description": "Information required to sign in a user.", "required": ["username", "password"], "properties": {"username": {"type": "string", "description": "The user's username"}, "password": {"type": "string", "description": "The user's password"}, "invite_code": {"type": "string", "description": "The optional invite code"}}})
}

pub fn verify_user() -> Value {
    json!({"id": "VerifyUser", "type": "object", "description": "Information required to verify the signed in user.", "required": ["password"], "properties": {"password": {"type": "string", "description": "The user's password"}}})
}

pub fn create_install_user() -> Value {
    json!({"id": "CreateInstallUser", "description": "Data for creating a user", "required": ["username"], "properties": {"username": {"type": "string", "description": "The username of the user being created"}, "email": {"type": "string", "description": "The email address of the user being created"}}})
}

pub fn update_user() -> Value {
    json!({"id": "UpdateUser", "type": "object", "description": "Description of updates for a user", "properties": {"password": {"type": "string", "description": "The new password for the user"}, "email": {"type": "string", "description": "The new e-mail address for the user"}, "enabled": {"type": "boolean", "description": "Whether the user is enabled"}}})
}

pub fn new_user() -> Value {
    json!({"type": "object", "description": "Fields which must be specified for a new user.", "required": ["username", "password"], "properties": {"username": {"type": "string", "description": "The user's username"}, "password": {"type": "string", "description": "The user's password"}, "email": {"type": "string", "description": "The user's email address"}, "invite_code": {"type": "string", "description": "The optional invite code"}, "recaptcha_response": {"type": "string", "description": "The (may be disabled) recaptcha response code for verification"}}})
}

/// `PUT /api/v1/user/` (Quay also names it `UpdateUser`, like the superuser's).
pub fn update_account() -> Value {
    json!({"type": "object", "description": "Fields which can be updated in a user.", "properties": {"password": {"type": "string", "description": "The user's password"}, "invoice_email": {"type": "boolean", "description": "Whether the user desires to receive an invoice email."}, "email": {"type": "string", "description": "The user's email address"}, "tag_expiration_s": {"type": "integer", "minimum": 0, "description": "The number of seconds for tag expiration"}, "username": {"type": "string", "description": "The user's username"}, "invoice_email_address": {"type": ["string", "null"], "description": "Custom email address for receiving invoices"}, "given_name": {"type": ["string", "null"], "description": "The optional entered given name for the user"}, "family_name": {"type": ["string", "null"], "description": "The optional entered family name for the user"}, "company": {"type": ["string", "null"], "description": "The optional entered company for the user"}, "location": {"type": ["string", "null"], "description": "The optional entered location for the user"}}})
}

/// `POST /api/v1/user/initialize` (Quay reads these keys without a schema and answers a
/// missing one with a 500; we validate).
pub fn user_initialize() -> Value {
    json!({"type": "object", "description": "The first user of an empty installation", "required": ["username", "password"], "properties": {"username": {"type": "string"}, "password": {"type": "string"}, "email": {"type": ["string", "null"]}, "access_token": {"type": "boolean"}}})
}

pub fn create_robot() -> Value {
    json!({"type": "object", "description": "Optional data for creating a robot", "properties": {"description": {"type": "string", "description": "Optional text description for the robot", "maxLength": 255}, "unstructured_metadata": {"type": "object", "description": "Optional unstructured metadata for the robot"}}})
}

pub fn new_app() -> Value {
    json!({"type": "object", "description": "Description of a new organization application.", "required": ["name"], "properties": {"name": {"type": "string", "description": "The name of the application"}, "redirect_uri": {"type": "string", "description": "The URI for the application's OAuth redirect"}, "application_uri": {"type": "string", "description": "The URI for the application's homepage"}, "description": {"type": "string", "description": "The human-readable description for the application"}, "avatar_email": {"type": "string", "description": "The e-mail address of the avatar to use for the application"}}})
}

pub fn update_app() -> Value {
    json!({"type": "object", "description": "Description of an updated application.", "required": ["name", "redirect_uri", "application_uri"], "properties": {"name": {"type": "string", "description": "The name of the application"}, "redirect_uri": {"type": "string", "description": "The URI for the application's OAuth redirect"}, "application_uri": {"type": "string", "description": "The URI for the application's homepage"}, "description": {"type": "string", "description": "The human-readable description for the application"}, "avatar_email": {"type": "string", "description": "The e-mail address of the avatar to use for the application"}}})
}

/// `UpdateOrg` of the superuser panel (a rename), not the organization endpoint's.
pub fn superuser_update_org() -> Value {
    json!({"id": "UpdateOrg", "type": "object", "description": "Description of updates for an organization", "properties": {"name": {"type": "string", "description": "The new name for the organization"}}})
}

pub fn generate_client_key() -> Value {
    json!({"type": "object", "required": ["password"], "properties": {"password": {"type": "string", "description": "The user's password"}}})
}

pub fn convert_user() -> Value {
    json!({"type": "object", "description": "Information required to convert a user to an organization.", "required": ["adminUser", "adminPassword"], "properties": {"adminUser": {"type": "string", "description": "The user who will become an org admin's username"}, "adminPassword": {"type": "string", "description": "The user who will become an org admin's password"}, "plan": {"type": "string", "description": "The plan to which the organization should be subscribed"}}})
}

pub fn new_starred_repository() -> Value {
    json!({"type": "object", "required": ["namespace", "repository"], "properties": {"namespace": {"type": "string", "description": "Namespace in which the repository belongs"}, "repository": {"type": "string", "description": "Repository name"}}})
}

pub fn team_permission() -> Value {
    json!({"type": "object", "description": "Description of a team permission.", "required": ["role"], "properties": {"role": {"type": "string", "description": "Role to use for the team", "enum": ["read", "write", "admin"]}}})
}

pub fn user_permission() -> Value {
    json!({"type": "object", "description": "Description of a user permission.", "required": ["role"], "properties": {"role": {"type": "string", "description": "Role to use for the user", "enum": ["read", "write", "admin"]}}})
}

pub fn new_prototype() -> Value {
    json!({"type": "object", "description": "Description of a new prototype", "required": ["role", "delegate"], "properties": {"role": {"type": "string", "description": "Role that should be applied to the delegate", "enum": ["read", "write", "admin"]}, "activating_user": {"type": "object", "description": "Repository creating user to whom the rule should apply", "required": ["name"], "properties": {"name": {"type": "string", "description": "The username for the activating_user"}}}, "delegate": {"type": "object", "description": "Information about the user or team to which the rule grants access", "required": ["name", "kind"], "properties": {"name": {"type": "string", "description": "The name for the delegate team or user"}, "kind": {"type": "string", "description": "Whether the delegate is a user or a team", "enum": ["user", "team"]}}}}})
}

pub fn prototype_update() -> Value {
    json!({"type": "object", "description": "Description of a the new prototype role", "required": ["role"], "properties": {"role": {"type": "string", "description": "Role that should be applied to the permission", "enum": ["read", "write", "admin"]}}})
}

pub fn team_description() -> Value {
    json!({"type": "object", "description": "Description of a team", "required": ["role"], "properties": {"role": {"type": "string", "description": "Org wide permissions that should apply to the team", "enum": ["member", "creator", "admin"]}, "description": {"type": "string", "description": "Markdown description for the team"}}})
}

pub fn update_notification() -> Value {
    json!({"type": "object", "description": "Information for updating a notification", "properties": {"dismissed": {"type": "boolean", "description": "Whether the notification is dismissed by the user"}}})
}

pub fn change_tag() -> Value {
    json!({"type": "object", "description": "Makes changes to a specific tag", "properties": {"manifest_digest": {"type": ["string", "null"], "description": "(If specified) The manifest digest to which the tag should point"}, "expiration": {"type": ["number", "null"], "description": "(If specified) The expiration for the image"}}})
}

pub fn restore_tag() -> Value {
    json!({"type": "object", "description": "Restores a tag to a specific image", "properties": {"manifest_digest": {"type": "string", "description": "If specified, the manifest digest that should be used"}}})
}

pub fn expire_tag() -> Value {
    json!({"type": "object", "description": "Removes tag from the time machine window", "properties": {"manifest_digest": {"type": "string", "description": "Required if is_alive set to false. If specified, the manifest digest that should be used. Ignored when setting alive to true."}, "include_submanifests": {"type": "boolean", "description": "If set to true, expire the sub-manifests as well"}, "is_alive": {"type": "boolean", "description": "If true, set the expiry of the matching alive tag outside the time machine window. If false set the expiry of any expired tags with the same tag and manifest outside the time machine window."}}})
}

pub fn add_label() -> Value {
    json!({"type": "object", "description": "Adds a label to a manifest", "required": ["key", "value", "media_type"], "properties": {"key": {"type": "string", "description": "The key for the label"}, "value": {"type": "string", "description": "The value for the label"}, "media_type": {"type": ["string", "null"], "description": "The media type for this label", "enum": ["text/plain", "application/json", null]}}})
}

pub fn org_autoprune_policy() -> Value {
    json!({"type": "object", "description": "The policy configuration that is to be applied to the organization", "required": ["method", "value"], "properties": {"method": {"type": "string", "description": "The method to use for pruning tags (number_of_tags, creation_date)"}, "value": {"type": ["integer", "string"], "description": "The value to use for the pruning method (number of tags e.g. 10, time delta e.g. 7d (7 days))"}}})
}

pub fn repo_autoprune_policy() -> Value {
    json!({"type": "object", "description": "The policy configuration that is to be applied to the repository", "required": ["method", "value"], "properties": {"method": {"type": "string", "description": "The method to use for pruning tags (number_of_tags, creation_date)"}, "value": {"type": ["integer", "string"], "description": "The value to use for the pruning method (number of tags e.g. 10, time delta e.g. 7d (7 days))"}}})
}

pub fn user_autoprune_policy() -> Value {
    json!({"type": "object", "description": "The policy configuration that is to be applied to the user namespace", "required": ["method", "value"], "properties": {"method": {"type": "string", "description": "The method to use for pruning tags (number_of_tags, creation_date)"}, "value": {"type": ["integer", "string"], "description": "The value to use for the pruning method (number of tags e.g. 10, time delta e.g. 7d (7 days))"}}})
}

pub fn create_message() -> Value {
    json!({"id": "CreateMessage", "type": "object", "description": "Create a new message", "properties": {"message": {"type": "object", "description": "A single message", "required": ["content", "media_type", "severity"], "properties": {"content": {"type": "string", "description": "The actual message"}, "media_type": {"type": "string", "description": "The media type of the message", "enum": ["text/plain", "text/markdown"]}, "severity": {"type": "string", "description": "The severity of the message", "enum": ["info", "warning", "error"]}}}}})
}

/// `ExportLogs` (`endpoints/api/logs.py`).
pub fn export_logs() -> Value {
    json!({
        "type": "object",
        "description": "Configuration for an export logs operation",
        "properties": {
            "callback_url": {
                "type": "string",
                "description": "The callback URL to invoke with a link to the exported logs",
            },
            "callback_email": {
                "type": "string",
                "description": "The e-mail address at which to e-mail a link to the exported logs",
            },
        },
    })
}

pub fn notification_create_request() -> Value {
    json!({"type": "object", "description": "Information for creating a notification on a repository", "required": ["event", "method", "config", "eventConfig"], "properties": {"event": {"type": "string", "description": "The event on which the notification will respond"}, "method": {"type": "string", "description": "The method of notification (such as email or web callback)"}, "config": {"type": "object", "description": "JSON config information for the specific method of notification"}, "eventConfig": {"type": "object", "description": "JSON config information for the specific event of notification"}, "title": {"type": "string", "description": "The human-readable title of the notification"}}})
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    /// Our schemas are Quay's, key for key, by the operation that uses them (Quay reuses
    /// some schema names across modules), checked when the catalog is beside us.
    #[test]
    fn schemas_match_the_catalog() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/spec/quay-api-v1.json");
        let Ok(text) = std::fs::read_to_string(&path) else {
            assert!(
                std::env::var("QUAY_REQUIRE_SPEC").is_err(),
                "catalog missing at {}",
                path.display()
            );
            eprintln!("skipping: no catalog at {}", path.display());
            return;
        };
        let catalog: Value = serde_json::from_str(&text).unwrap();
        let config = quay_core::config::Config {
            feature_auto_prune: true,
            ..Default::default()
        };
        for endpoint in crate::routes::endpoints(&config) {
            let Some((name, schema)) = endpoint.body else {
                continue;
            };
            let theirs = catalog["endpoints"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["nickname"] == endpoint.nickname)
                .unwrap_or_else(|| panic!("{} not in the catalog", endpoint.nickname));
            assert_eq!(theirs["request_schema_name"], name, "{}", endpoint.nickname);
            assert_eq!(schema(), theirs["request_schema"], "{}", endpoint.nickname);
        }
    }
}
