//! The JSON-Schema subset Quay validates request bodies with, and its messages.
//!
//! Quay checks every body with Python's `jsonschema` and returns the first error's
//! message as the 400 `detail` (e.g. `'visibility' is a required property`). Scripts
//! match on these strings, so we reproduce them, including Python's `repr` of values and
//! `best_match`'s preference for the shallowest error. Supported keywords are the ones
//! Quay's schemas use: `type`, `properties`, `required`, `enum`, `minimum`, `maximum`,
//! `minLength`, `maxLength`, `items`, `minItems`, `maxItems`, `uniqueItems`,
//! `additionalProperties` and `anyOf`.

use serde_json::{Map, Value};

/// Validates `instance` against `schema`; on failure returns the message Quay would give.
pub fn validate(instance: &Value, schema: &Value) -> Result<(), String> {
    let mut errors = Vec::new();
    check(instance, schema, 0, &mut errors);
    // best_match: the shallowest error wins; `anyOf` errors are weak; first one on ties.
    errors
        .into_iter()
        .min_by_key(|e| (e.depth, e.weak))
        .map_or(Ok(()), |e| Err(e.message))
}

struct SchemaError {
    depth: usize,
    weak: bool,
    message: String,
}

fn check(instance: &Value, schema: &Value, depth: usize, errors: &mut Vec<SchemaError>) {
    let Some(schema) = schema.as_object() else {
        return;
    };
    let mut push = |message: String, weak: bool| {
        errors.push(SchemaError {
            depth,
            weak,
            message,
        })
    };
    let mut nested = Vec::new();
    for (keyword, arg) in schema {
        match keyword.as_str() {
            "type" => {
                let types: Vec<&str> = match arg {
                    Value::String(t) => vec![t.as_str()],
                    Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
                    _ => continue,
                };
                if !types.iter().any(|t| is_type(instance, t)) {
                    let names: Vec<String> = types.iter().map(|t| py_str(t)).collect();
                    push(
                        format!("{} is not of type {}", py_repr(instance), names.join(", ")),
                        false,
                    );
                }
            }
            "required" => {
                if let (Some(obj), Some(required)) = (instance.as_object(), arg.as_array()) {
                    for name in required.iter().filter_map(Value::as_str) {
                        if !obj.contains_key(name) {
                            push(format!("{} is a required property", py_str(name)), false);
                        }
                    }
                }
            }
            "properties" => {
                if let (Some(obj), Some(props)) = (instance.as_object(), arg.as_object()) {
                    for (name, sub) in props {
                        if let Some(value) = obj.get(name) {
                            check(value, sub, depth + 1, &mut nested);
                        }
                    }
                }
            }
            "additionalProperties" => {
                if let (Some(obj), Value::Bool(false)) = (instance.as_object(), arg) {
                    let known = schema.get("properties").and_then(Value::as_object);
                    let extras: Vec<String> = obj
                        .keys()
                        .filter(|k| !known.is_some_and(|p| p.contains_key(*k)))
                        .map(|k| py_str(k))
                        .collect();
                    if !extras.is_empty() {
                        let verb = if extras.len() == 1 { "was" } else { "were" };
                        push(
                            format!(
                                "Additional properties are not allowed ({} {verb} unexpected)",
                                extras.join(", ")
                            ),
                            false,
                        );
                    }
                } else if let (Some(obj), Some(_)) = (instance.as_object(), arg.as_object()) {
                    let known = schema.get("properties").and_then(Value::as_object);
                    for (k, v) in obj {
                        if !known.is_some_and(|p| p.contains_key(k)) {
                            check(v, arg, depth + 1, &mut nested);
                        }
                    }
                }
            }
            "items" => {
                if let Some(items) = instance.as_array() {
                    for item in items {
                        check(item, arg, depth + 1, &mut nested);
                    }
                }
            }
            "enum" => {
                if let Some(options) = arg.as_array() {
                    if !options.iter().any(|o| json_equal(o, instance)) {
                        push(
                            format!("{} is not one of {}", py_repr(instance), py_repr(arg)),
                            false,
                        );
                    }
                }
            }
            "minimum" | "maximum" => {
                if let (Some(x), Some(bound)) = (as_number(instance), arg.as_f64()) {
                    let (bad, what) = if keyword == "minimum" {
                        (x < bound, "less than the minimum")
                    } else {
                        (x > bound, "greater than the maximum")
                    };
                    if bad {
                        push(
                            format!("{} is {what} of {}", py_repr(instance), py_repr(arg)),
                            false,
                        );
                    }
                }
            }
            "minLength" | "maxLength" => {
                if let (Some(s), Some(bound)) = (instance.as_str(), arg.as_u64()) {
                    let len = s.chars().count() as u64;
                    if keyword == "minLength" && len < bound {
                        push(format!("{} is too short", py_repr(instance)), false);
                    } else if keyword == "maxLength" && len > bound {
                        push(format!("{} is too long", py_repr(instance)), false);
                    }
                }
            }
            "minItems" | "maxItems" => {
                if let (Some(a), Some(bound)) = (instance.as_array(), arg.as_u64()) {
                    let len = a.len() as u64;
                    if keyword == "minItems" && len < bound {
                        push(format!("{} is too short", py_repr(instance)), false);
                    } else if keyword == "maxItems" && len > bound {
                        push(format!("{} is too long", py_repr(instance)), false);
                    }
                }
            }
            "uniqueItems" => {
                if let (Some(a), Value::Bool(true)) = (instance.as_array(), arg) {
                    let dup = a
                        .iter()
                        .enumerate()
                        .any(|(i, x)| a[i + 1..].iter().any(|y| json_equal(x, y)));
                    if dup {
                        push(
                            format!("{} has non-unique elements", py_repr(instance)),
                            false,
                        );
                    }
                }
            }
            "anyOf" => {
                if let Some(options) = arg.as_array() {
                    let ok = options.iter().any(|o| {
                        let mut errs = Vec::new();
                        check(instance, o, depth, &mut errs);
                        errs.is_empty()
                    });
                    if !ok {
                        push(
                            format!(
                                "{} is not valid under any of the given schemas",
                                py_repr(instance)
                            ),
                            true,
                        );
                    }
                }
            }
            _ => {}
        }
    }
    errors.extend(nested);
}

fn as_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        _ => None,
    }
}

fn is_type(v: &Value, t: &str) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        "number" => v.is_number(),
        "integer" => match v {
            Value::Number(n) => {
                n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
            }
            _ => false,
        },
        _ => true,
    }
}

/// JSON equality as Python compares decoded values (`1 == 1.0`, `True != 1` for enums
/// of strings is what matters here).
fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// Python's `repr` of a string.
fn py_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python's `repr` of a decoded JSON value.
pub fn py_repr(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => {
            if n.is_f64() {
                let f = n.as_f64().unwrap_or_default();
                if f.fract() == 0.0 && f.abs() < 1e16 {
                    format!("{f:.1}")
                } else {
                    format!("{f}")
                }
            } else {
                n.to_string()
            }
        }
        Value::String(s) => py_str(s),
        Value::Array(a) => {
            let parts: Vec<String> = a.iter().map(py_repr).collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Object(o) => py_dict(o),
    }
}

fn py_dict(o: &Map<String, Value>) -> String {
    let parts: Vec<String> = o
        .iter()
        .map(|(k, v)| format!("{}: {}", py_str(k), py_repr(v)))
        .collect();
    format!("{{{}}}", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn new_repo() -> Value {
        json!({
            "type": "object",
            "description": "Description of a new repository",
            "required": ["repository", "visibility", "description"],
            "properties": {
                "repository": {"type": "string"},
                "visibility": {"type": "string", "enum": ["public", "private"]},
                "namespace": {"type": "string"},
                "description": {"type": "string"},
                "repo_kind": {"type": ["string", "null"], "enum": ["image", "application", null]}
            }
        })
    }

    #[test]
    fn messages_match_python_jsonschema() {
        let s = new_repo();
        assert_eq!(
            validate(&json!({"repository": "x", "description": ""}), &s),
            Err("'visibility' is a required property".into())
        );
        assert_eq!(
            validate(
                &json!({"repository": "x", "description": "", "visibility": "secret"}),
                &s
            ),
            Err("'secret' is not one of ['public', 'private']".into())
        );
        assert_eq!(
            validate(
                &json!({"repository": 5, "description": "", "visibility": "public"}),
                &s
            ),
            Err("5 is not of type 'string'".into())
        );
        assert_eq!(
            validate(
                &json!({"repository": "x", "description": "", "visibility": "public", "repo_kind": 3}),
                &s
            ),
            Err("3 is not of type 'string', 'null'".into())
        );
        assert_eq!(
            validate(&json!([1]), &s),
            Err("[1] is not of type 'object'".into())
        );
        assert!(validate(&json!({"repository": "x", "description": "", "visibility": "public", "repo_kind": null}), &s).is_ok());
    }

    #[test]
    fn shallow_errors_win_over_nested_ones() {
        let s = new_repo();
        // The nested type error comes first in iteration but `required` is shallower.
        assert_eq!(
            validate(&json!({"repository": 5, "visibility": "public"}), &s),
            Err("'description' is a required property".into())
        );
    }

    #[test]
    fn other_keywords() {
        let s = json!({"type": "object", "additionalProperties": false,
            "properties": {"n": {"type": "integer", "minimum": 0}, "l": {"type": "array", "minItems": 1, "uniqueItems": true, "items": {"type": "string", "maxLength": 3}}}});
        assert_eq!(
            validate(&json!({"n": -1}), &s),
            Err("-1 is less than the minimum of 0".into())
        );
        assert_eq!(
            validate(&json!({"n": true}), &s),
            Err("True is not of type 'integer'".into())
        );
        assert_eq!(
            validate(&json!({"l": []}), &s),
            Err("[] is too short".into())
        );
        assert_eq!(
            validate(&json!({"l": ["a", "a"]}), &s),
            Err("['a', 'a'] has non-unique elements".into())
        );
        assert_eq!(
            validate(&json!({"l": ["abcd"]}), &s),
            Err("'abcd' is too long".into())
        );
        assert_eq!(
            validate(&json!({"x": 1}), &s),
            Err("Additional properties are not allowed ('x' was unexpected)".into())
        );
        assert_eq!(
            py_repr(&json!({"a": [1.5, null, "it's"]})),
            "{'a': [1.5, None, \"it's\"]}"
        );
    }
}
