//! What an approval item is (SPEC §8.2), as city admins write it and as a
//! version stores it: steps with their mode, required materials, form
//! fields with identifier kinds, the flags and the licence type issued.
//! [`Definition::check`] lists every reason a definition cannot be used, in
//! one answer, before anything is written.

use std::collections::HashSet;

use chrono::NaiveDate;
use poem_openapi::Object;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use shared::{ApiError, codes, error::FieldError};

shared::text_enum! {
    /// 许可 / 备案 / 注销 / 注册.
    pub enum ItemKind {
        Licence = "licence",
        Filing = "filing",
        Deregistration = "deregistration",
        Registration = "registration",
    }
}

shared::text_enum! {
    /// Who handles the item's cases.
    pub enum HandlingLevel {
        City = "city",
        District = "district",
    }
}

shared::text_enum! {
    /// How a step's tasks are decided: one assignee claims it (`single`),
    /// every assignee decides (`all`, 会签), or the first decision decides
    /// (`any`, 或签).
    pub enum StepMode {
        Single = "single",
        All = "all",
        Any = "any",
    }
}

shared::text_enum! {
    /// The type of a form field's value.
    pub enum FieldType {
        Text = "text",
        Number = "number",
        Date = "date",
        /// One of `options`.
        Choice = "choice",
        /// An identifier of the domain, parsed by its `shared` type (`identifier`).
        Identifier = "identifier",
    }
}

shared::text_enum! {
    /// The identifiers a form field may hold (each parsed by its `shared` type).
    pub enum IdentifierKind {
        Uscc = "uscc",
        ResidentId = "resident_id",
        Barcode = "barcode",
        ApprovalNumber = "approval_number",
    }
}

shared::text_enum! {
    /// The file types a material may come as.
    pub enum MaterialType {
        Pdf = "pdf",
        Jpeg = "jpeg",
        Png = "png",
        Ofd = "ofd",
    }
}

/// The largest material an item may accept (the intake's upload limit).
pub const MATERIAL_MAX_BYTES: u64 = 50 * 1024 * 1024;

/// One step of the review, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Stable within the item (`accept`, `review`, `decide`); grants name it.
    pub code: String,
    pub name: String,
    /// The department whose members hold its grants.
    pub department_id: Option<Uuid>,
    pub mode: StepMode,
    /// Its own time limit, working days.
    pub days: Option<u32>,
}

/// A material the applicant hands in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Object)]
#[serde(deny_unknown_fields)]
pub struct Material {
    pub code: String,
    pub name: String,
    pub required: bool,
    /// Accepted file types (at least one).
    pub types: Vec<MaterialType>,
    /// At most [`MATERIAL_MAX_BYTES`].
    pub max_bytes: u64,
}

/// A field of the application form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
pub struct FormField {
    pub code: String,
    pub label: String,
    #[oai(rename = "type")]
    #[serde(rename = "type")]
    pub field_type: FieldType,
    pub required: bool,
    /// Longest text, characters (text fields; default 200).
    pub max_length: Option<u32>,
    /// For `choice`: the values allowed.
    pub options: Option<Vec<String>>,
    /// For `identifier`: which one.
    pub identifier: Option<IdentifierKind>,
}

/// 业务下放: from `date`, new cases of a city item are handled by the districts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Object)]
#[serde(deny_unknown_fields)]
pub struct Devolution {
    pub from: NaiveDate,
}

/// An approval item's definition: what a version stores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    pub name: String,
    /// 业务条线, e.g. 公共场所卫生 (grants may name a line).
    pub business_line: String,
    pub kind: ItemKind,
    pub level: HandlingLevel,
    /// A city item handed to the districts from a date.
    pub devolution: Option<Devolution>,
    /// Legal time limit, working days (承诺时限).
    pub legal_days: u32,
    pub steps: Vec<Step>,
    pub materials: Vec<Material>,
    pub fields: Vec<FormField>,
    /// 重特事项: materials, opinions and decisions encrypted at rest.
    pub sensitive: bool,
    /// 秒批: a filing that passes pre-review is approved at once.
    pub automatic: bool,
    /// The licence type a decision issues (SPEC §9), if any.
    pub licence_type: Option<String>,
}

/// `accept`, `review_1`: what a step, material or field code may look like.
fn is_code(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn text_ok(s: &str, max: usize) -> bool {
    let t = s.trim();
    !t.is_empty() && t.chars().count() <= max
}

struct Problems(Vec<FieldError>);

impl Problems {
    fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(
            field,
            codes::ITEM_DEFINITION_INVALID,
            message,
        ));
    }
}

fn unique<'a>(problems: &mut Problems, list: &str, codes: impl Iterator<Item = (usize, &'a str)>) {
    let mut seen = HashSet::new();
    for (i, code) in codes {
        if !is_code(code) {
            problems.add(
                format!("{list}[{i}].code"),
                "编码只能含字母、数字、下划线和连字符，1–64 位",
            );
        } else if !seen.insert(code) {
            problems.add(format!("{list}[{i}].code"), "编码重复");
        }
    }
}

impl Definition {
    /// Every reason this definition cannot be used, at once;
    /// `known_department` tells whether a department it names exists.
    pub fn check(&self, known_department: impl Fn(Uuid) -> bool) -> Result<(), ApiError> {
        let mut p = Problems(Vec::new());
        if !text_ok(&self.name, 100) {
            p.add("name", "请填写事项名称（最多 100 字）");
        }
        if !text_ok(&self.business_line, 64) {
            p.add("business_line", "请填写业务条线（最多 64 字）");
        }
        if !(1..=365).contains(&self.legal_days) {
            p.add("legal_days", "法定时限应为 1–365 个工作日");
        }
        if self.devolution.is_some() && self.level != HandlingLevel::City {
            p.add("devolution", "只有市级事项可以下放到区级");
        }
        if self.automatic && self.kind != ItemKind::Filing {
            p.add("automatic", "只有备案事项可以秒批");
        }
        if let Some(t) = &self.licence_type
            && !is_code(t)
        {
            p.add("licence_type", "证照类型编码格式不正确");
        }

        if self.steps.is_empty() && !self.automatic {
            p.add("steps", "至少需要一个审批环节");
        }
        if self.steps.len() > 20 {
            p.add("steps", "审批环节最多 20 个");
        }
        unique(
            &mut p,
            "steps",
            self.steps.iter().map(|s| s.code.as_str()).enumerate(),
        );
        for (i, s) in self.steps.iter().enumerate() {
            if !text_ok(&s.name, 64) {
                p.add(format!("steps[{i}].name"), "请填写环节名称（最多 64 字）");
            }
            if let Some(d) = s.department_id
                && !known_department(d)
            {
                p.add(format!("steps[{i}].department_id"), "科室不存在");
            }
            if let Some(days) = s.days
                && (days == 0 || days > self.legal_days)
            {
                p.add(
                    format!("steps[{i}].days"),
                    "环节时限应为 1 个工作日至法定时限之间",
                );
            }
        }

        if self.materials.len() > 50 {
            p.add("materials", "材料最多 50 项");
        }
        unique(
            &mut p,
            "materials",
            self.materials.iter().map(|m| m.code.as_str()).enumerate(),
        );
        for (i, m) in self.materials.iter().enumerate() {
            if !text_ok(&m.name, 100) {
                p.add(
                    format!("materials[{i}].name"),
                    "请填写材料名称（最多 100 字）",
                );
            }
            if m.types.is_empty() {
                p.add(format!("materials[{i}].types"), "至少允许一种文件类型");
            }
            if m.max_bytes == 0 || m.max_bytes > MATERIAL_MAX_BYTES {
                p.add(
                    format!("materials[{i}].max_bytes"),
                    "单个材料大小上限应在 1 字节至 50 MiB 之间",
                );
            }
        }

        if self.fields.len() > 100 {
            p.add("fields", "表单字段最多 100 个");
        }
        unique(
            &mut p,
            "fields",
            self.fields.iter().map(|f| f.code.as_str()).enumerate(),
        );
        for (i, f) in self.fields.iter().enumerate() {
            if !text_ok(&f.label, 64) {
                p.add(format!("fields[{i}].label"), "请填写字段名称（最多 64 字）");
            }
            let options = f.options.as_deref().unwrap_or_default();
            match f.field_type {
                FieldType::Choice
                    if options.is_empty() || options.iter().any(|o| !text_ok(o, 64)) =>
                {
                    p.add(
                        format!("fields[{i}].options"),
                        "选择字段需要至少一个选项（每项最多 64 字）",
                    );
                }
                FieldType::Identifier if f.identifier.is_none() => {
                    p.add(format!("fields[{i}].identifier"), "请选择证件或编码的类型");
                }
                _ => {}
            }
            if f.field_type != FieldType::Choice && !options.is_empty() {
                p.add(format!("fields[{i}].options"), "只有选择字段有选项");
            }
            if f.field_type != FieldType::Identifier && f.identifier.is_some() {
                p.add(format!("fields[{i}].identifier"), "只有证件编码字段有类型");
            }
            if let Some(n) = f.max_length
                && !(1..=2000).contains(&n)
            {
                p.add(format!("fields[{i}].max_length"), "最大长度应为 1–2000 字");
            }
        }

        if p.0.is_empty() {
            return Ok(());
        }
        let mut err = ApiError::of(codes::ITEM_DEFINITION_INVALID);
        err.errors = p.0;
        Err(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn sample() -> Definition {
        Definition {
            name: "公共场所卫生许可".into(),
            business_line: "公共场所卫生".into(),
            kind: ItemKind::Licence,
            level: HandlingLevel::District,
            devolution: None,
            legal_days: 20,
            steps: vec![
                Step {
                    code: "accept".into(),
                    name: "受理".into(),
                    department_id: None,
                    mode: StepMode::Single,
                    days: Some(1),
                },
                Step {
                    code: "review".into(),
                    name: "审查".into(),
                    department_id: None,
                    mode: StepMode::All,
                    days: Some(10),
                },
            ],
            materials: vec![Material {
                code: "licence".into(),
                name: "营业执照".into(),
                required: true,
                types: vec![MaterialType::Pdf],
                max_bytes: 10 << 20,
            }],
            fields: vec![FormField {
                code: "uscc".into(),
                label: "统一社会信用代码".into(),
                field_type: FieldType::Identifier,
                required: true,
                max_length: None,
                options: None,
                identifier: Some(IdentifierKind::Uscc),
            }],
            sensitive: false,
            automatic: false,
            licence_type: Some("public_place_hygiene".into()),
        }
    }

    #[test]
    fn a_sound_definition_passes() {
        assert!(sample().check(|_| true).is_ok());
    }

    #[test]
    fn every_reason_is_listed_at_once() {
        let mut d = sample();
        d.automatic = true; // not a filing
        d.steps[1].code = "accept".into(); // duplicate
        d.steps[0].days = Some(30); // over the legal limit
        d.materials[0].types.clear();
        d.fields[0].identifier = None;
        let err = d.check(|_| true).unwrap_err();
        let fields: Vec<&str> = err.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "automatic",
                "steps[1].code",
                "steps[0].days",
                "materials[0].types",
                "fields[0].identifier"
            ]
        );
        assert!(
            err.errors
                .iter()
                .all(|e| e.code == "ITEM_DEFINITION_INVALID")
        );
    }

    #[test]
    fn an_unknown_department_is_named() {
        let mut d = sample();
        d.steps[0].department_id = Some(Uuid::nil());
        let err = d.check(|_| false).unwrap_err();
        assert_eq!(err.errors[0].field, "steps[0].department_id");
    }
}
