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

/// `POST /api/v1/user/initialize` (Quay reads these keys without a schema and answers a
/// missing one with a 500; we validate).
pub fn user_initialize() -> Value {
    json!({"type": "object", "description": "The first user of an empty installation", "required": ["username", "password"], "properties": {"username": {"type": "string"}, "password": {"type": "string"}, "email": {"type": ["string", "null"]}, "access_token": {"type": "boolean"}}})
}
