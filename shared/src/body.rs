//! `JsonBody<T>`: the request-body payload every handler uses instead of
//! poem-openapi's `Json<T>`.
//!
//! Why our own: poem-openapi's parser loses the name of the failing field and may
//! echo the input in its message. This one deserializes with serde (through
//! `serde_path_to_error`) so a client gets problem+json 400 with the exact field
//! path and a stable code, and never sees (or logs) the value it sent. The schema
//! in the OpenAPI document is still `T`'s poem-openapi schema, so `T` derives
//! both `Object` and `Deserialize` with the same (snake_case) field names.
//! It also enforces the JSON body limit of SPEC §3 (1 MiB → 413), also for
//! chunked bodies that carry no `Content-Length`.

use crate::codes::{self, Code};
use poem::{Request, RequestBody};
use poem_openapi::{
    payload::{ParsePayload, Payload},
    registry::{MetaSchemaRef, Registry},
    types::Type,
};
use serde::de::DeserializeOwned;

use crate::error::{ApiError, body_too_large};

pub const JSON_BODY_LIMIT: usize = 1024 * 1024;

#[derive(Debug, Clone)]
pub struct JsonBody<T>(pub T);

impl<T> std::ops::Deref for JsonBody<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Type> Payload for JsonBody<T> {
    const CONTENT_TYPE: &'static str = "application/json; charset=utf-8";

    fn check_content_type(content_type: &str) -> bool {
        matches!(content_type.parse::<mime::Mime>(), Ok(m) if m.type_() == "application"
            && (m.subtype() == "json" || m.suffix().is_some_and(|s| s == "json")))
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: Type + DeserializeOwned> ParsePayload for JsonBody<T> {
    const IS_REQUIRED: bool = true;

    async fn from_request(_request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        let bytes = read_limited(body, JSON_BODY_LIMIT).await?;
        parse_json(&bytes).map(JsonBody).map_err(Into::into)
    }
}

poem_openapi::impl_apirequest_for_payload!(JsonBody<T>, T: Type + DeserializeOwned);

/// Reads the whole body, refusing with 413 once it passes `limit` bytes.
pub async fn read_limited(body: &mut RequestBody, limit: usize) -> Result<Vec<u8>, ApiError> {
    use tokio::io::AsyncReadExt;
    let Some(body) = body.take().ok() else {
        return Ok(Vec::new());
    };
    let mut reader = body.into_async_read().take(limit as u64 + 1);
    let mut buf = Vec::new();
    reader
        .read_to_end(&mut buf)
        .await
        .map_err(|_| ApiError::bad_request(codes::MALFORMED_BODY, "请求内容读取失败"))?;
    if buf.len() > limit {
        return Err(body_too_large());
    }
    Ok(buf)
}

/// Deserializes JSON; on failure names the field and says what was wrong,
/// without quoting the value.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(
            ApiError::bad_request(codes::MALFORMED_BODY, "请求内容不能为空").field(
                "body",
                codes::REQUIRED,
                "请提供 JSON 请求内容",
            ),
        );
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let (code, message) = classify(&inner);
        let field = match inner.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                "body".to_owned()
            }
            _ => missing_field_path(&path, &inner.to_string()),
        };
        let title = if code == codes::MALFORMED_JSON {
            "请求内容不是有效的 JSON"
        } else {
            "请求内容格式不正确"
        };
        ApiError::bad_request(
            if code == codes::MALFORMED_JSON {
                codes::MALFORMED_JSON
            } else {
                codes::VALIDATION_FAILED
            },
            title,
        )
        .field(field, code, message)
    })
}

/// serde reports a missing field at the path of its parent object; append the
/// field's own name so the client sees `items[0].barcode`, not `items[0]`.
fn missing_field_path(path: &str, msg: &str) -> String {
    if let Some(rest) = msg.strip_prefix("missing field `")
        && let Some(name) = rest.split('`').next()
    {
        return if path == "." || path.is_empty() {
            name.to_owned()
        } else {
            format!("{path}.{name}")
        };
    }
    if path == "." || path.is_empty() {
        "body".to_owned()
    } else {
        path.to_owned()
    }
}

fn classify(e: &serde_json::Error) -> (Code, &'static str) {
    use serde_json::error::Category;
    let msg = e.to_string();
    match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => {
            (codes::MALFORMED_JSON, "JSON 格式错误，请检查请求内容")
        }
        Category::Data if msg.starts_with("missing field") => (codes::REQUIRED, "缺少必填字段"),
        Category::Data if msg.starts_with("unknown variant") => {
            (codes::INVALID_VALUE, "取值不在允许范围内")
        }
        Category::Data if msg.starts_with("unknown field") => {
            (codes::UNKNOWN_FIELD, "包含未定义的字段")
        }
        Category::Data if msg.starts_with("invalid type") => {
            (codes::INVALID_TYPE, "字段类型不正确")
        }
        Category::Data if msg.starts_with("invalid length") => {
            (codes::INVALID_LENGTH, "字段长度不正确")
        }
        Category::Data => (codes::INVALID_VALUE, "字段取值不正确"),
    }
}

/// A required free-text field: trimmed, 1–`max` characters, no control
/// characters. Answers 400 `VALIDATION_FAILED` naming `field` (`REQUIRED`
/// when empty, else `INVALID_VALUE`).
pub fn text(raw: &str, field: &str, max: usize) -> Result<String, ApiError> {
    let v = raw.trim();
    if v.is_empty() || v.chars().count() > max || v.chars().any(char::is_control) {
        let code = if v.is_empty() {
            codes::REQUIRED
        } else {
            codes::INVALID_VALUE
        };
        return Err(ApiError::of(codes::VALIDATION_FAILED).field(
            field,
            code,
            format!("应为 1–{max} 个字符，不含控制字符"),
        ));
    }
    Ok(v.to_owned())
}

#[cfg(test)]
mod tests {
    #[test]
    fn text_fields_are_trimmed_bounded_and_named() {
        assert_eq!(
            super::text("  市卫生监督所 ", "name", 10).unwrap(),
            "市卫生监督所"
        );
        for (raw, code) in [
            ("   ", "REQUIRED"),
            ("一二三四五六七八九十一", "INVALID_VALUE"),
            ("a\u{7}b", "INVALID_VALUE"),
        ] {
            let e = super::text(raw, "name", 10).unwrap_err();
            assert_eq!(
                (e.status.as_u16(), e.code.as_ref()),
                (400, "VALIDATION_FAILED")
            );
            assert_eq!(
                (e.errors[0].field.as_str(), e.errors[0].code.as_str()),
                ("name", code),
                "{raw:?}"
            );
        }
    }

    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Item {
        barcode: String,
        quantity: u32,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Body {
        items: Vec<Item>,
        kind: Kind,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        IdCard,
    }

    fn field_error(json: &str) -> (String, String, String) {
        let e = parse_json::<Body>(json.as_bytes()).unwrap_err();
        assert_eq!(e.status.as_u16(), 400);
        let f = &e.errors[0];
        (e.code.to_string(), f.field.clone(), f.code.clone())
    }

    #[test]
    fn each_kind_of_bad_body_names_its_field() {
        assert_eq!(
            field_error("{"),
            (
                "MALFORMED_JSON".into(),
                "body".into(),
                "MALFORMED_JSON".into()
            )
        );
        assert_eq!(field_error(r#"{"kind":"id_card"}"#).1, "items");
        assert_eq!(
            field_error(r#"{"kind":"id_card","items":[{"quantity":1}]}"#),
            (
                "VALIDATION_FAILED".into(),
                "items[0].barcode".into(),
                "REQUIRED".into()
            )
        );
        assert_eq!(
            field_error(r#"{"kind":"id_card","items":[{"barcode":"1","quantity":"two"}]}"#).1,
            "items[0].quantity"
        );
        assert_eq!(
            field_error(r#"{"kind":"passport","items":[]}"#),
            (
                "VALIDATION_FAILED".into(),
                "kind".into(),
                "INVALID_VALUE".into()
            )
        );
        assert_eq!(
            field_error(r#"{"kind":"id_card","items":[{"barcode":"1","quantity":1,"x":1}]}"#).2,
            "UNKNOWN_FIELD"
        );
    }

    #[test]
    fn messages_never_echo_the_value() {
        let e = parse_json::<Body>(br#"{"kind":"11010519491231002X","items":[]}"#).unwrap_err();
        let text = serde_json::to_string(&e.problem()).unwrap();
        assert!(!text.contains("11010519491231002X"), "{text}");
    }
}
