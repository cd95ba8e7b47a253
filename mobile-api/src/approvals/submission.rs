//! What an applicant hands in — through the online service platform
//! (`POST /approvals/intake`) or at a service window (`POST
//! /approvals/cases`) — and the system's pre-review (系统预审) of it
//! against the item's definition, which lists every reason it fails at
//! once (行政许可法 art. 32).
//!
//! # The request
//! `multipart/form-data` with
//! - a part `case` holding JSON ([`CaseForm`]): the item, the applicant, the
//!   form's values, and for each material its file name and SM3 digest;
//! - one part per material, named `material.{code}`, holding the file.
//!
//! A digest that does not match its file is 422 `MATERIAL_DIGEST_MISMATCH`
//! (the file changed on its way), a part missing or not announced is 400
//! `MALFORMED_MULTIPART`; everything else about the content is pre-review.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use shared::{
    ApiError, codes,
    crypto::sm3_hex,
    domain::{ApprovalNumber, DomainError, Gtin, ResidentIdNumber, Uscc},
    error::FieldError,
};

use crate::approval_items::definition::{
    Definition, FieldType, IdentifierKind, MATERIAL_MAX_BYTES, MaterialType,
};

/// The largest request: every material at its largest would not fit, so an
/// item's materials together are also bounded by this.
pub const REQUEST_MAX_BYTES: usize = 100 * 1024 * 1024;
/// The `case` part, JSON.
const CASE_PART_MAX_BYTES: usize = 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicantKind {
    /// An enterprise or institution, by its USCC.
    Organisation,
    /// A person, by their resident ID number.
    Person,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Applicant {
    pub kind: ApplicantKind,
    pub name: String,
    pub uscc: Option<String>,
    pub id_number: Option<String>,
    /// A phone number or other way to reach them.
    pub contact: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaterialEntry {
    pub code: String,
    pub file_name: String,
    /// SM3 of the file, hex (required from a platform).
    pub sm3: Option<String>,
}

/// The `case` part.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseForm {
    /// The platform's own case id (platform intake only; what makes a
    /// repeated submission the same case).
    pub platform_case_id: Option<String>,
    pub item_code: String,
    /// The district (GB/T 2260) the applicant is in: required for an item
    /// handled by the districts; a city item goes to its city's bureau.
    pub division_code: Option<String>,
    pub applicant: Applicant,
    #[serde(default)]
    pub form: BTreeMap<String, Value>,
    #[serde(default)]
    pub materials: Vec<MaterialEntry>,
}

/// A material's file as received.
#[derive(Debug, Clone)]
pub struct File {
    pub code: String,
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub sm3: String,
    /// What its first bytes say it is.
    pub detected: Option<MaterialType>,
}

/// The `case` part of a supplement (补正): the platform's case id, the
/// form values that change, and the materials handed in again.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupplementForm {
    pub platform_case_id: String,
    #[serde(default)]
    pub form: BTreeMap<String, Value>,
    #[serde(default)]
    pub materials: Vec<MaterialEntry>,
}

/// A `case` part that announces files.
pub trait Announces {
    fn materials(&self) -> &[MaterialEntry];
}

impl Announces for CaseForm {
    fn materials(&self) -> &[MaterialEntry] {
        &self.materials
    }
}

impl Announces for SupplementForm {
    fn materials(&self) -> &[MaterialEntry] {
        &self.materials
    }
}

/// A parsed request: the case part and the files, digests checked.
#[derive(Debug, Clone)]
pub struct Submission<T = CaseForm> {
    pub case: T,
    pub files: Vec<File>,
}

/// What pre-review needs of a file (one received now, or one on record).
#[derive(Debug, Clone)]
pub struct FileFacts<'a> {
    pub code: &'a str,
    pub file_name: &'a str,
    pub size: u64,
    pub detected: Option<MaterialType>,
}

impl File {
    pub fn facts(&self) -> FileFacts<'_> {
        FileFacts {
            code: &self.code,
            file_name: &self.file_name,
            size: self.bytes.len() as u64,
            detected: self.detected,
        }
    }
}

fn malformed(message: &str) -> ApiError {
    ApiError::bad_request(codes::MALFORMED_MULTIPART, "上传内容格式不正确").field(
        "body",
        codes::MALFORMED_MULTIPART,
        message.to_owned(),
    )
}

/// The type a file's first bytes announce.
pub fn detect(bytes: &[u8]) -> Option<MaterialType> {
    if bytes.starts_with(b"%PDF-") {
        Some(MaterialType::Pdf)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(MaterialType::Jpeg)
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some(MaterialType::Png)
    } else if bytes.starts_with(b"PK\x03\x04") {
        // OFD (GB/T 33190) is a zip package.
        Some(MaterialType::Ofd)
    } else {
        None
    }
}

impl MaterialType {
    pub fn content_type(self) -> &'static str {
        match self {
            MaterialType::Pdf => "application/pdf",
            MaterialType::Jpeg => "image/jpeg",
            MaterialType::Png => "image/png",
            MaterialType::Ofd => "application/ofd",
        }
    }
}

/// Reads a multipart body already in memory (its signature covers these
/// bytes). `digests_required`: a platform must send each file's SM3.
pub async fn parse<T: serde::de::DeserializeOwned + Announces>(
    content_type: &str,
    body: Vec<u8>,
    digests_required: bool,
) -> Result<Submission<T>, ApiError> {
    let boundary = multer::parse_boundary(content_type)
        .map_err(|_| malformed("请以 multipart/form-data 提交"))?;
    let stream =
        futures_util::stream::once(
            async move { Ok::<_, std::io::Error>(bytes::Bytes::from(body)) },
        );
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut case: Option<T> = None;
    let mut parts: HashMap<String, Vec<u8>> = HashMap::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|_| malformed("上传内容不完整"))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        let bytes = field
            .bytes()
            .await
            .map_err(|_| malformed("上传内容不完整"))?;
        if name == "case" {
            if bytes.len() > CASE_PART_MAX_BYTES {
                return Err(malformed("case 部分不能超过 1 MiB"));
            }
            case = Some(shared::body::parse_json(&bytes).map_err(|e| {
                let mut e = e;
                for f in &mut e.errors {
                    if !f.field.starts_with("case") {
                        f.field = format!("case.{}", f.field);
                    }
                }
                e
            })?);
        } else if let Some(code) = name.strip_prefix("material.") {
            if parts.insert(code.to_owned(), bytes.to_vec()).is_some() {
                return Err(malformed("同一材料只能上传一个文件"));
            }
        } else {
            return Err(malformed("只接受 case 和 material.{编码} 两种部分"));
        }
    }
    let case = case.ok_or_else(|| malformed("缺少 case 部分"))?;

    let mut files = Vec::with_capacity(case.materials().len());
    let mut mismatched = ApiError::of(codes::MATERIAL_DIGEST_MISMATCH);
    for (i, m) in case.materials().iter().enumerate() {
        let Some(bytes) = parts.remove(&m.code) else {
            return Err(malformed("材料清单中的文件没有上传").field(
                format!("case.materials[{i}]"),
                codes::MALFORMED_MULTIPART,
                "缺少对应的 material.{编码} 部分",
            ));
        };
        let sm3 = sm3_hex(&bytes);
        match &m.sm3 {
            Some(given) if !given.trim().eq_ignore_ascii_case(&sm3) => {
                mismatched = mismatched.field(
                    format!("case.materials[{i}].sm3"),
                    codes::MATERIAL_DIGEST_MISMATCH,
                    "文件的 SM3 摘要与申报的不一致",
                );
            }
            None if digests_required => {
                mismatched = mismatched.field(
                    format!("case.materials[{i}].sm3"),
                    codes::REQUIRED,
                    "请提供文件的 SM3 摘要",
                );
            }
            _ => {}
        }
        files.push(File {
            code: m.code.clone(),
            file_name: m.file_name.trim().to_owned(),
            detected: detect(&bytes),
            sm3,
            bytes,
        });
    }
    if !mismatched.errors.is_empty() {
        return Err(mismatched);
    }
    if !parts.is_empty() {
        return Err(malformed("有文件不在材料清单中"));
    }
    Ok(Submission { case, files })
}

fn text_ok(s: &str, max: usize) -> bool {
    let t = s.trim();
    !t.is_empty() && t.chars().count() <= max
}

fn domain_error(field: String, e: &impl DomainError) -> FieldError {
    FieldError::new(field, e.code(), e.message())
}

/// Parses an identifier of `kind`, the one way one is let in.
pub fn parse_identifier(
    kind: IdentifierKind,
    raw: &str,
) -> Result<String, (shared::codes::Code, &'static str)> {
    let raw = raw.trim();
    match kind {
        IdentifierKind::Uscc => Uscc::parse(raw)
            .map(|v| v.as_str().to_owned())
            .map_err(|e| (e.code(), e.message())),
        IdentifierKind::ResidentId => ResidentIdNumber::parse(raw)
            .map(|v| v.as_str().to_owned())
            .map_err(|e| (e.code(), e.message())),
        IdentifierKind::Barcode => Gtin::parse(raw)
            .map(|v| v.as_str().to_owned())
            .map_err(|e| (e.code(), e.message())),
        IdentifierKind::ApprovalNumber => ApprovalNumber::parse(raw)
            .map(|v| v.as_str().to_owned())
            .map_err(|e| (e.code(), e.message())),
    }
}

/// The applicant's identifiers, parsed.
#[derive(Debug, Clone)]
pub struct CheckedApplicant {
    pub kind: ApplicantKind,
    pub name: String,
    pub uscc: Option<String>,
    pub id_number: Option<String>,
    pub contact: Option<String>,
}

/// Everything that passed pre-review, ready to be stored.
#[derive(Debug, Clone)]
pub struct Reviewed {
    pub applicant: CheckedApplicant,
    /// The form, identifiers in their canonical spelling.
    pub form: BTreeMap<String, Value>,
}

/// 系统预审: every reason the submission cannot be accepted, at once; or the
/// applicant and form, parsed.
pub fn pre_review(definition: &Definition, sub: &Submission) -> Result<Reviewed, Vec<FieldError>> {
    let (applicant, mut problems) = review_applicant(&sub.case.applicant);
    let (form, form_problems) = review_form(definition, &sub.case.form);
    problems.extend(form_problems);
    let facts: Vec<FileFacts> = sub.files.iter().map(File::facts).collect();
    problems.extend(review_files(definition, &facts, &facts));
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Reviewed { applicant, form })
}

/// The applicant's name and identifier.
pub fn review_applicant(a: &Applicant) -> (CheckedApplicant, Vec<FieldError>) {
    let mut problems = Vec::new();
    if !text_ok(&a.name, 100) {
        problems.push(FieldError::new(
            "case.applicant.name",
            codes::REQUIRED,
            "请填写申请人名称（最多 100 字）",
        ));
    }
    let mut uscc = None;
    let mut id_number = None;
    match a.kind {
        ApplicantKind::Organisation => match a.uscc.as_deref().map(Uscc::parse) {
            None => problems.push(FieldError::new(
                "case.applicant.uscc",
                codes::REQUIRED,
                "请填写统一社会信用代码",
            )),
            Some(Err(e)) => problems.push(domain_error("case.applicant.uscc".into(), &e)),
            Some(Ok(v)) => uscc = Some(v.as_str().to_owned()),
        },
        ApplicantKind::Person => match a.id_number.as_deref().map(ResidentIdNumber::parse) {
            None => problems.push(FieldError::new(
                "case.applicant.id_number",
                codes::REQUIRED,
                "请填写身份证号码",
            )),
            Some(Err(e)) => problems.push(domain_error("case.applicant.id_number".into(), &e)),
            Some(Ok(v)) => id_number = Some(v.as_str().to_owned()),
        },
    }
    if a.contact.as_deref().is_some_and(|c| c.chars().count() > 50) {
        problems.push(FieldError::new(
            "case.applicant.contact",
            codes::TOO_LONG,
            "联系方式最多 50 字",
        ));
    }
    let applicant = CheckedApplicant {
        kind: a.kind,
        name: a.name.trim().to_owned(),
        uscc,
        id_number,
        contact: a
            .contact
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned),
    };
    (applicant, problems)
}

/// The form against the item's fields: the values, identifiers in their
/// canonical spelling, and every problem.
pub fn review_form(
    definition: &Definition,
    values: &BTreeMap<String, Value>,
) -> (BTreeMap<String, Value>, Vec<FieldError>) {
    let mut problems = Vec::new();
    let mut form = BTreeMap::new();
    for code in values.keys() {
        if !definition.fields.iter().any(|f| &f.code == code) {
            problems.push(FieldError::new(
                format!("case.form.{code}"),
                codes::UNKNOWN_FIELD,
                "事项没有该表单字段",
            ));
        }
    }
    for f in &definition.fields {
        let at = format!("case.form.{}", f.code);
        let value = values.get(&f.code).filter(|v| !v.is_null());
        let value = match value {
            Some(Value::String(s)) if s.trim().is_empty() => None,
            v => v,
        };
        let Some(value) = value else {
            if f.required {
                problems.push(FieldError::new(
                    at,
                    codes::REQUIRED,
                    format!("请填写{}", f.label),
                ));
            }
            continue;
        };
        let checked: Result<Value, FieldError> = match (f.field_type, value) {
            (FieldType::Number, Value::Number(_)) => Ok(value.clone()),
            (FieldType::Number, _) => Err(FieldError::new(
                &at,
                codes::INVALID_TYPE,
                format!("{}应为数字", f.label),
            )),
            (_, Value::String(s)) => {
                let s = s.trim();
                match f.field_type {
                    FieldType::Text => {
                        let max = f.max_length.unwrap_or(200) as usize;
                        if s.chars().count() > max {
                            Err(FieldError::new(
                                &at,
                                codes::TOO_LONG,
                                format!("{}最多 {max} 字", f.label),
                            ))
                        } else {
                            Ok(Value::String(s.to_owned()))
                        }
                    }
                    FieldType::Date => match chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                        Ok(d) => Ok(Value::String(d.to_string())),
                        Err(_) => Err(FieldError::new(
                            &at,
                            codes::INVALID_VALUE,
                            format!("{}应为日期，如 2026-01-31", f.label),
                        )),
                    },
                    FieldType::Choice => {
                        if f.options
                            .as_deref()
                            .unwrap_or_default()
                            .iter()
                            .any(|o| o == s)
                        {
                            Ok(Value::String(s.to_owned()))
                        } else {
                            Err(FieldError::new(
                                &at,
                                codes::NOT_ALLOWED,
                                format!("{}只能从给定选项中选择", f.label),
                            ))
                        }
                    }
                    FieldType::Identifier => match f.identifier {
                        Some(kind) => parse_identifier(kind, s)
                            .map(Value::String)
                            .map_err(|(code, message)| FieldError::new(&at, code, message)),
                        None => Err(FieldError::new(&at, codes::INVALID_VALUE, "事项配置有误")),
                    },
                    FieldType::Number => unreachable!("numbers are matched above"),
                }
            }
            _ => Err(FieldError::new(
                &at,
                codes::INVALID_TYPE,
                format!("{}应为文字", f.label),
            )),
        };
        match checked {
            Ok(v) => {
                form.insert(f.code.clone(), v);
            }
            Err(e) => problems.push(e),
        }
    }
    (form, problems)
}

/// The files handed in now (`received`: known, of an allowed type and
/// size) and the required materials among `all` (received or on record).
pub fn review_files(
    definition: &Definition,
    received: &[FileFacts],
    all: &[FileFacts],
) -> Vec<FieldError> {
    let mut problems = Vec::new();
    for (i, file) in received.iter().enumerate() {
        let at = format!("case.materials[{i}]");
        let Some(m) = definition.materials.iter().find(|m| m.code == file.code) else {
            problems.push(FieldError::new(
                at,
                codes::MATERIAL_UNKNOWN,
                "事项不需要该材料",
            ));
            continue;
        };
        if !text_ok(file.file_name, 200) {
            problems.push(FieldError::new(
                format!("{at}.file_name"),
                codes::REQUIRED,
                "请提供文件名（最多 200 字）",
            ));
        }
        if !file.detected.is_some_and(|t| m.types.contains(&t)) {
            let allowed: Vec<&str> = m.types.iter().map(|t| t.as_str()).collect();
            problems.push(FieldError::new(
                &at,
                codes::MATERIAL_TYPE_NOT_ALLOWED,
                format!("{}只接受 {} 文件", m.name, allowed.join("、")),
            ));
        }
        let limit = m.max_bytes.min(MATERIAL_MAX_BYTES);
        if file.size > limit {
            problems.push(FieldError::new(
                &at,
                codes::MATERIAL_TOO_LARGE,
                format!("{}不能超过 {:.1} MB", m.name, limit as f64 / 1_048_576.0),
            ));
        }
    }
    for m in definition.materials.iter().filter(|m| m.required) {
        if !all.iter().any(|f| f.code == m.code) {
            problems.push(FieldError::new(
                format!("materials.{}", m.code),
                codes::MATERIAL_MISSING,
                format!("缺少{}", m.name),
            ));
        }
    }
    problems
}
