//! The demo's approval side (SPEC §8.2): two departments of the city bureau,
//! approvers who sign in with the demo password, their grants, and the demo
//! items with realistic steps, materials and form fields. Idempotent: fixed
//! ids, and an item whose code exists is left at the version it has.

use mobile_api::approval_items::{
    definition::{
        Definition, FieldType, FormField, HandlingLevel, IdentifierKind, ItemKind, Material,
        MaterialType, Step, StepMode,
    },
    repo,
};
use sqlx::PgConnection;
use uuid::Uuid;

use super::demo_id;

const MIB: u64 = 1024 * 1024;

/// A demo approver.
struct DemoApprover {
    key: &'static str,
    name: &'static str,
    username: &'static str,
    /// `window` or `approval`.
    department: &'static str,
    /// Granted on every line.
    steps: &'static [&'static str],
    /// Where `yaojian dev fake-sms` shows their one-time codes.
    phone: &'static str,
}

const fn approver(
    key: &'static str,
    name: &'static str,
    username: &'static str,
    department: &'static str,
    steps: &'static [&'static str],
    phone: &'static str,
) -> DemoApprover {
    DemoApprover {
        key,
        name,
        username,
        department,
        steps,
        phone,
    }
}

const APPROVERS: &[DemoApprover] = &[
    approver(
        "approver-accept",
        "窗口受理员",
        "demo-accept",
        "window",
        &["accept"],
        "13800000101",
    ),
    approver(
        "approver-review1",
        "审查员甲",
        "demo-review1",
        "approval",
        &["review"],
        "13800000102",
    ),
    approver(
        "approver-review2",
        "审查员乙",
        "demo-review2",
        "approval",
        &["review"],
        "13800000103",
    ),
    approver(
        "approver-decide",
        "科长",
        "demo-decide",
        "approval",
        &["decide"],
        "13800000104",
    ),
];

/// The business lines the demo items belong to (grants name them).
const LINES: &[&str] = &[
    "公共场所卫生",
    "放射卫生",
    "医疗机构管理",
    "涉水产品卫生",
    "医疗设备配置",
    "病原微生物",
    "食品安全标准",
    "病媒生物防制",
    "护士执业",
    "医师执业",
];

fn step(code: &str, name: &str, department: Uuid, mode: StepMode, days: u32) -> Step {
    Step {
        code: code.into(),
        name: name.into(),
        department_id: Some(department),
        mode,
        days: Some(days),
    }
}

fn material(code: &str, name: &str, required: bool, types: &[MaterialType], mib: u64) -> Material {
    Material {
        code: code.into(),
        name: name.into(),
        required,
        types: types.to_vec(),
        max_bytes: mib * MIB,
    }
}

fn field(code: &str, label: &str, field_type: FieldType, required: bool) -> FormField {
    FormField {
        code: code.into(),
        label: label.into(),
        field_type,
        required,
        max_length: None,
        options: None,
        identifier: None,
    }
}

fn id_field(code: &str, label: &str, kind: IdentifierKind) -> FormField {
    FormField {
        identifier: Some(kind),
        ..field(code, label, FieldType::Identifier, true)
    }
}

fn choice(code: &str, label: &str, options: &[&str]) -> FormField {
    FormField {
        options: Some(options.iter().map(|o| (*o).to_owned()).collect()),
        ..field(code, label, FieldType::Choice, true)
    }
}

/// The demo items (SPEC §8.2): code and definition.
fn items(window: Uuid, approval: Uuid) -> Vec<(&'static str, Definition)> {
    use MaterialType::{Jpeg, Pdf, Png};
    let three_steps = |review_mode: StepMode, days: [u32; 3]| {
        vec![
            step("accept", "受理", window, StepMode::Single, days[0]),
            step("review", "审查", approval, review_mode, days[1]),
            step("decide", "决定", approval, StepMode::Any, days[2]),
        ]
    };
    let licence = |name: &str,
                   line: &str,
                   level,
                   legal_days,
                   steps,
                   materials,
                   fields,
                   licence_type: Option<&str>| Definition {
        name: name.into(),
        business_line: line.into(),
        kind: ItemKind::Licence,
        level,
        devolution: None,
        legal_days,
        steps,
        materials,
        fields,
        sensitive: false,
        automatic: false,
        licence_type: licence_type.map(str::to_owned),
    };
    let applicant = || {
        vec![
            id_field("uscc", "统一社会信用代码", IdentifierKind::Uscc),
            field("contact_phone", "联系电话", FieldType::Text, true),
        ]
    };
    let business_licence = || material("business_licence", "营业执照", true, &[Pdf, Jpeg, Png], 10);
    let application = || material("application", "申请书", true, &[Pdf], 10);

    let mut public_place = applicant();
    public_place.push(choice(
        "category",
        "场所类别",
        &["住宿", "沐浴", "美容美发", "游泳", "文化娱乐"],
    ));
    public_place.push(field("area", "营业面积（平方米）", FieldType::Number, true));
    let mut radiology = applicant();
    radiology.push(choice(
        "project",
        "放射诊疗项目",
        &["X射线影像诊断", "介入放射学", "核医学", "放射治疗"],
    ));
    let mut institution = applicant();
    institution.push(choice(
        "category",
        "医疗机构类别",
        &["诊所", "门诊部", "医院"],
    ));
    institution.push(field("beds", "床位数", FieldType::Number, false));
    let mut water = applicant();
    water.push(field("product", "产品名称", FieldType::Text, true));
    let mut equipment = applicant();
    equipment.push(choice(
        "device",
        "设备",
        &["PET/MR", "PET/CT", "腹腔内窥镜手术系统", "质子治疗系统"],
    ));
    let mut pathogen = applicant();
    pathogen.push(field("agent", "病原微生物名称", FieldType::Text, true));
    let mut food = applicant();
    food.push(field("standard_no", "企业标准编号", FieldType::Text, true));
    let mut vector = applicant();
    vector.push(choice(
        "service",
        "服务类别",
        &["病媒生物预防控制", "有害生物防制"],
    ));
    let person = || {
        vec![
            id_field("id_number", "身份证号码", IdentifierKind::ResidentId),
            field("practice_unit", "执业机构", FieldType::Text, true),
            field("qualification_no", "资格证书编号", FieldType::Text, true),
        ]
    };

    vec![
        (
            "GGCS-WSXK",
            licence(
                "公共场所卫生许可",
                LINES[0],
                HandlingLevel::District,
                20,
                three_steps(StepMode::Single, [1, 10, 5]),
                vec![
                    application(),
                    business_licence(),
                    material(
                        "floor_plan",
                        "卫生设施平面布局图",
                        true,
                        &[Pdf, Jpeg, Png],
                        20,
                    ),
                    material(
                        "health_certs",
                        "从业人员健康合格证明",
                        true,
                        &[Pdf, Jpeg],
                        20,
                    ),
                ],
                public_place,
                Some("public_place_hygiene"),
            ),
        ),
        (
            "FSZL-XK",
            licence(
                "放射诊疗许可",
                LINES[1],
                HandlingLevel::City,
                20,
                three_steps(StepMode::All, [1, 12, 5]),
                vec![
                    application(),
                    business_licence(),
                    material("shielding_report", "放射防护检测报告", true, &[Pdf], 30),
                    material("staff_list", "放射工作人员名单及培训证明", true, &[Pdf], 10),
                ],
                radiology,
                Some("radiation_diagnosis"),
            ),
        ),
        (
            "YLJG-ZYDJ",
            licence(
                "医疗机构执业登记",
                LINES[2],
                HandlingLevel::City,
                45,
                three_steps(StepMode::All, [1, 30, 10]),
                vec![
                    application(),
                    material("site_proof", "房屋产权或使用证明", true, &[Pdf], 10),
                    material("staff_certs", "医务人员执业证书", true, &[Pdf], 30),
                    material("rules", "规章制度", true, &[Pdf], 10),
                ],
                institution,
                None,
            ),
        ),
        (
            "SSCP-WSXK",
            licence(
                "涉及饮用水卫生安全产品卫生许可",
                LINES[3],
                HandlingLevel::City,
                20,
                three_steps(StepMode::Single, [1, 12, 5]),
                vec![
                    application(),
                    material("test_report", "检验报告", true, &[Pdf], 20),
                    material("formula", "产品配方", true, &[Pdf], 10),
                ],
                water,
                None,
            ),
        ),
        (
            "YLSB-PZXK",
            licence(
                "乙类大型医用设备配置许可",
                LINES[4],
                HandlingLevel::City,
                20,
                three_steps(StepMode::All, [1, 12, 5]),
                vec![
                    application(),
                    material("feasibility", "可行性论证报告", true, &[Pdf], 30),
                ],
                equipment,
                None,
            ),
        ),
        (
            "BYWSW-SYHD",
            Definition {
                sensitive: true,
                ..licence(
                    "高致病性病原微生物实验活动审批",
                    LINES[5],
                    HandlingLevel::City,
                    15,
                    three_steps(StepMode::All, [1, 8, 5]),
                    vec![
                        application(),
                        material("biosafety", "实验室生物安全证明", true, &[Pdf], 20),
                        material("plan", "实验活动方案", true, &[Pdf], 20),
                    ],
                    pathogen,
                    None,
                )
            },
        ),
        (
            "SPQYBZ-BA",
            Definition {
                kind: ItemKind::Filing,
                automatic: true,
                ..licence(
                    "食品企业标准备案",
                    LINES[6],
                    HandlingLevel::City,
                    5,
                    vec![],
                    vec![
                        material("standard", "企业标准文本", true, &[Pdf], 10),
                        material("explanation", "编制说明", true, &[Pdf], 10),
                    ],
                    food,
                    None,
                )
            },
        ),
        (
            "BMSW-BA",
            Definition {
                kind: ItemKind::Filing,
                ..licence(
                    "病媒生物预防控制服务机构备案",
                    LINES[7],
                    HandlingLevel::District,
                    5,
                    vec![
                        step("accept", "受理", window, StepMode::Single, 1),
                        step("decide", "备案确认", approval, StepMode::Any, 3),
                    ],
                    vec![
                        business_licence(),
                        material("staff", "专业技术人员名单", true, &[Pdf], 10),
                    ],
                    vector,
                    None,
                )
            },
        ),
        (
            "HSZY-ZC",
            Definition {
                kind: ItemKind::Registration,
                ..licence(
                    "护士执业注册",
                    LINES[8],
                    HandlingLevel::District,
                    20,
                    vec![
                        step("review", "审查", approval, StepMode::Single, 10),
                        step("decide", "决定", approval, StepMode::Any, 5),
                    ],
                    vec![
                        material(
                            "qualification",
                            "护士执业资格考试成绩合格证明",
                            true,
                            &[Pdf, Jpeg],
                            10,
                        ),
                        material("health", "健康体检证明", true, &[Pdf, Jpeg], 10),
                    ],
                    person(),
                    None,
                )
            },
        ),
        (
            "YSZY-ZC",
            Definition {
                kind: ItemKind::Registration,
                ..licence(
                    "医师执业注册",
                    LINES[9],
                    HandlingLevel::District,
                    20,
                    vec![
                        step("review", "审查", approval, StepMode::Single, 10),
                        step("decide", "决定", approval, StepMode::Any, 5),
                    ],
                    vec![
                        material("qualification", "医师资格证书", true, &[Pdf, Jpeg], 10),
                        material("health", "健康体检证明", true, &[Pdf, Jpeg], 10),
                    ],
                    person(),
                    None,
                )
            },
        ),
    ]
}

/// Departments, approvers (with `password_hash`), grants and items.
pub async fn seed(conn: &mut PgConnection, password_hash: &str) -> anyhow::Result<usize> {
    let city: Uuid =
        sqlx::query_scalar!("SELECT organisation_id FROM organisation WHERE kind = 'city'")
            .fetch_one(&mut *conn)
            .await?;
    let window = demo_id("department-window");
    let approval = demo_id("department-approval");
    for (id, name) in [(window, "政务服务窗口"), (approval, "行政审批科")] {
        sqlx::query!(
            "INSERT INTO department (department_id, organisation_id, name) VALUES ($1, $2, $3)
             ON CONFLICT (department_id) DO UPDATE SET name = excluded.name",
            id,
            city,
            name
        )
        .execute(&mut *conn)
        .await?;
    }
    for DemoApprover {
        key,
        name,
        username,
        department,
        steps,
        phone,
    } in APPROVERS
    {
        let user = demo_id(key);
        let department = if *department == "window" {
            window
        } else {
            approval
        };
        sqlx::query!(
            "INSERT INTO app_user (user_id, role, display_name, username, password_hash, department_id, phone)
             VALUES ($1, 'approver', $2, $3, $4, $5, $6)
             ON CONFLICT (user_id) DO UPDATE SET password_hash = excluded.password_hash, status = 'active',
                 must_change_password = false, department_id = excluded.department_id, phone = excluded.phone",
            user,
            name,
            username,
            password_hash,
            department,
            phone
        )
        .execute(&mut *conn)
        .await?;
        for line in LINES {
            for step in *steps {
                sqlx::query!(
                    "INSERT INTO approval_grant (grant_id, user_id, business_line, step) VALUES ($1, $2, $3, $4)
                     ON CONFLICT DO NOTHING",
                    demo_id(&format!("grant/{key}/{line}/{step}")),
                    user,
                    line,
                    step
                )
                .execute(&mut *conn)
                .await?;
            }
        }
    }
    let items = items(window, approval);
    for (code, definition) in &items {
        definition
            .check(|d| d == window || d == approval)
            .map_err(|e| anyhow::anyhow!("demo item {code}: {:?}", e.errors))?;
        // An item already there keeps the version it has.
        let id = demo_id(&format!("item/{code}"));
        let there: bool = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM approval_item WHERE item_id = $1) AS "there!""#,
            id
        )
        .fetch_one(&mut *conn)
        .await?;
        if !there {
            repo::insert(conn, id, code, definition, None).await?;
        }
    }
    Ok(items.len())
}
