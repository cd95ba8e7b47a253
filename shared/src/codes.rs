//! Every error `code` a client can meet — in a problem's `code` or in a field
//! error's `code` — declared once with the status it is usually answered with
//! and its Chinese title (SPEC §3). [`ApiError`](crate::ApiError) and field
//! errors are built from these constants only, so a code cannot be used
//! without being listed; the OpenAPI document publishes [`ALL`] as
//! `x-error-codes`, and clients keep a message per code.

use poem::http::StatusCode;

/// One error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code {
    pub code: &'static str,
    /// The status it is usually answered with; a handler may answer another
    /// (e.g. `DRUG_NOT_FOUND` is 404 on a look-up, 422 in a sale's field).
    pub status: StatusCode,
    /// The default Chinese title; a handler may give a more precise one.
    pub title: &'static str,
}

impl Code {
    pub const fn as_str(self) -> &'static str {
        self.code
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code)
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.code == *other
    }
}

impl PartialEq<Code> for &str {
    fn eq(&self, other: &Code) -> bool {
        *self == other.code
    }
}

macro_rules! codes {
    ($($(#[$doc:meta])* $name:ident = $status:literal $title:literal;)+) => {
        $(
            $(#[$doc])*
            pub const $name: Code = Code {
                code: stringify!($name),
                status: match StatusCode::from_u16($status) {
                    Ok(s) => s,
                    Err(_) => panic!("not a status"),
                },
                title: $title,
            };
        )+

        /// Every code, in declaration order.
        pub const ALL: &[Code] = &[$($name),+];
    };
}

codes! {
    // requests
    BAD_REQUEST = 400 "请求格式不正确";
    MALFORMED_JSON = 400 "请求内容不是有效的 JSON";
    MALFORMED_BODY = 400 "请求内容读取失败";
    MALFORMED_MULTIPART = 400 "上传内容格式不正确";
    VALIDATION_FAILED = 400 "请求内容格式不正确";
    INVALID_PARAMETER = 400 "请求参数不正确";
    UNSUPPORTED_CONTENT_TYPE = 400 "请求内容类型不受支持";
    BODY_TOO_LARGE = 413 "请求内容过大";
    METHOD_NOT_ALLOWED = 405 "不支持该请求方法";
    NOT_FOUND = 404 "请求的资源不存在";
    REQUIRED = 422 "必填";
    INVALID_TYPE = 422 "类型不正确";
    INVALID_VALUE = 422 "取值不正确";
    INVALID_LENGTH = 422 "长度不正确";
    INVALID_RANGE = 422 "超出范围";
    UNKNOWN_FIELD = 422 "不认识的字段";
    TOO_LONG = 422 "内容过长";
    TOO_MANY = 422 "数量过多";
    NOT_ALLOWED = 422 "不允许的取值";
    IDEMPOTENCY_KEY_REUSED = 422 "该 Idempotency-Key 已用于另一个请求，请为新的请求生成新的键";
    IDEMPOTENCY_IN_PROGRESS = 409 "相同请求正在处理中，请稍后重试";
    CONFLICT = 409 "记录已存在";
    REFERENCE_INVALID = 422 "引用的记录不存在";
    CONSTRAINT_VIOLATED = 422 "数据不符合要求";
    VALUE_INVALID = 422 "数据格式或取值超出范围";
    // access
    UNAUTHORIZED = 401 "未登录或登录已过期，请重新登录";
    FORBIDDEN = 403 "无权执行此操作";
    RATE_LIMITED = 429 "请求过于频繁，请稍后再试";
    LOGIN_FAILED = 401 "用户名或密码错误";
    LOGIN_LOCKED = 429 "登录失败次数过多，账号已锁定，请稍后再试";
    ACCOUNT_DISABLED = 403 "账号已停用，请联系管理员";
    PASSWORD_CHANGE_REQUIRED = 403 "首次登录或密码已重置，请先修改密码";
    PASSWORD_TOO_WEAK = 422 "密码至少 10 位，且包含大写字母、小写字母、数字、符号中的三种";
    PASSWORD_MISMATCH = 422 "原密码不正确";
    PASSWORD_REUSED = 422 "新密码不能与原密码相同";
    WECHAT_CODE_INVALID = 422 "微信登录凭证无效或已使用，请重新打开小程序登录";
    WECHAT_RATE_LIMITED = 429 "微信接口调用过于频繁，请稍后重试";
    WECHAT_ALREADY_BOUND = 409 "该微信已绑定其他账号";
    BIND_TOKEN_INVALID = 422 "绑定已过期，请重新登录后再输入邀请码";
    INVITE_INVALID = 422 "邀请码无效、已使用或已过期，请向店长或管理员索取新的邀请码";
    INVITE_NOT_ALLOWED = 422 "该角色不通过微信登录，不能发放邀请码；可重置密码";
    WECHAT_LOGIN_NOT_ALLOWED = 403 "该账号不能通过微信登录，请使用用户名和密码登录";
    METRICS_TOKEN_REQUIRED = 401 "需要监控令牌（YAOJIAN_METRICS_TOKEN）";
    NOT_PHARMACY_MEMBER = 403 "您已不是本药店的店员，请联系店长";
    BUYER_LOOKUP_FORBIDDEN = 403 "只有检查人员和管理员可以按身份证号查询";
    UNMASK_FORBIDDEN = 403 "只有市局管理员可以导出完整身份信息";
    // dependencies
    UPSTREAM_UNAVAILABLE = 503 "外部服务暂时不可用，请稍后重试";
    DATABASE_UNAVAILABLE = 503 "数据库暂时不可用，请稍后重试";
    REDIS_UNAVAILABLE = 503 "缓存服务暂时不可用，请稍后重试";
    STORAGE_UNAVAILABLE = 503 "文件存储暂时不可用，请稍后重试";
    DEPENDENCY_UNAVAILABLE = 503 "依赖服务不可用";
    SITE_NOT_BUILT = 503 "页面文件尚未部署，请联系运维人员";
    UNREACHABLE = 503 "无法连接";
    RETRY = 503 "系统繁忙，请重试";
    INTERNAL = 500 "服务器内部错误，请稍后重试";
    SERVER_BUSY = 503 "服务器繁忙，请稍后重试";
    // identifiers (SPEC §4.1)
    ID_FORMAT = 422 "身份证号码格式错误，应为18位";
    ID_REGION = 422 "身份证号码前6位地区代码无效，请核对后重新输入";
    ID_BIRTH_DATE = 422 "身份证号码中的出生日期（第7至14位）无效，请核对后重新输入";
    ID_CHECKSUM = 422 "身份证号码校验位错误，请核对后重新输入";
    ID_LEGACY_15 = 422 "不支持15位旧版身份证号码，请输入18位居民身份证号码";
    USCC_FORMAT = 422 "统一社会信用代码格式错误";
    USCC_CHECKSUM = 422 "统一社会信用代码校验位错误";
    BARCODE_INVALID = 422 "条形码无效，请核对后重新扫描";
    APPROVAL_NUMBER_INVALID = 422 "批准文号格式错误";
    ACCEPTANCE_NUMBER_INVALID = 422 "受理编号格式或校验位错误，请核对受理通知书";
    NAME_INVALID = 422 "姓名格式不正确，请核对证件上的姓名";
    PHONE_INVALID = 422 "电话号码格式不正确";
    // sales (SPEC §4.2, §4.3)
    MINOR_NOT_ALLOWED = 422 "不得向未成年人销售含特殊药品复方制剂";
    PURCHASE_LIMIT_EXCEEDED = 422 "超过单次购买数量限制";
    PRESCRIPTION_REQUIRED = 422 "该药品须凭处方购买";
    WINDOW_LIMIT_EXCEEDED = 422 "该购买人在规定期限内的购买数量已达上限";
    DRUG_NOT_FOUND = 404 "目录中没有该药品，请核对条形码或联系管理员录入";
    DRUG_INACTIVE = 422 "该药品已停用";
    PHARMACY_SUSPENDED = 422 "药店已停业，不能登记销售";
    BUYER_REQUIRED = 422 "请扫描购买人证件或录入身份信息";
    SCAN_TOKEN_INVALID = 422 "证件扫描已过期或无效，请重新扫描证件";
    OCR_QUOTA_EXHAUSTED = 422 "今日证件拍照识别次数已用完，请改用读卡器读卡或手工录入身份信息";
    WECHAT_USER_BLOCKED = 403 "该微信账号已被微信限制使用，请更换微信账号或联系管理员";
    WECHAT_MISCONFIGURED = 503 "微信服务配置有误，已通知运维人员；请先改用读卡器或手工录入";
    OCR_UNREADABLE = 422 "无法识别证件照片，请在光线充足处对准证件重新拍摄，或改用读卡器/手工录入";
    IMAGE_INVALID = 422 "图片无法读取，请上传 JPEG 或 PNG 照片";
    IMAGE_TOO_LARGE = 422 "照片过大，请降低分辨率后重新拍摄";
    REGISTRATION_NOT_FOUND = 404 "登记记录不存在";
    EXPORT_TOO_LARGE = 422 "导出的记录过多，无法生成 Excel 文件，请缩小日期范围或改用 CSV 格式";
    // staff, users, pharmacies
    STAFF_NOT_FOUND = 404 "本店没有这名店员";
    STAFF_ALREADY_BOUND = 409 "该店员已绑定微信，无需邀请码";
    CANNOT_REMOVE_SELF = 422 "不能移除自己";
    CANNOT_REMOVE_MANAGER = 403 "店长只能由市局管理员调整";
    USER_NOT_FOUND = 404 "用户不存在";
    USER_INVALID = 422 "用户信息不正确";
    USERNAME_INVALID = 422 "用户名格式不正确";
    USERNAME_TAKEN = 409 "用户名已被使用";
    CANNOT_DEACTIVATE_SELF = 422 "不能停用自己的账号";
    NO_PASSWORD_SIGN_IN = 422 "该用户没有用户名，不能重置密码；可重新发放邀请码";
    PHARMACY_NOT_FOUND = 404 "药店不存在";
    PHARMACY_EXISTS = 409 "药店已存在";
    // inspection and alerts
    FINDINGS_REQUIRED = 422 "发现问题时请填写检查发现";
    DISPOSITION_INCONSISTENT = 422 "检查合格时处置应为“无”";
    INSPECTED_AT_INVALID = 422 "检查时间应在 30 天内且不晚于现在";
    PHOTO_INVALID = 422 "有照片不存在、不是您上传的或已用于其他检查，请重新上传";
    PHOTO_NOT_FOUND = 404 "照片不存在";
    ALERT_NOT_FOUND = 404 "预警不存在";
    ALERT_ALREADY_RESOLVED = 409 "该预警已处理";
    // organisations, departments, grants (SPEC §8.1)
    ORGANISATION_NOT_FOUND = 404 "机构不存在";
    ORGANISATION_EXISTS = 409 "该统一社会信用代码的机构已存在";
    ORGANISATION_CYCLE = 422 "不能把机构移到自身或其下级机构之下";
    // approvals (SPEC §8)
    SIGNATURE_INVALID = 401 "请求签名无效或已过期";
    REQUEST_REPLAYED = 401 "重复的请求（nonce 已使用）";
    APPROVAL_ITEM_NOT_FOUND = 404 "审批事项不存在";
    APPROVAL_ITEM_CODE_TAKEN = 409 "事项编码已被使用";
    APPROVAL_ITEM_STALE = 409 "事项已被他人修改，请刷新后在最新版本上修改";
    ITEM_DEFINITION_INVALID = 422 "事项配置不完整或有误，请按提示修改";
    CALENDAR_YEAR_NOT_COVERED = 422 "工作日历尚未收录该年度，请先添加该年度的节假日安排";
    ORGANISATION_KIND_INVALID = 422 "只能新增监督所等机构；市局和区局由行政区划生成";
    DIVISION_CODE_INVALID = 422 "行政区划代码应为 6 位数字";
    DEPARTMENT_NOT_FOUND = 404 "科室不存在";
    DEPARTMENT_EXISTS = 409 "该机构已有同名科室";
    DEPARTMENT_INVALID = 422 "只有审批人员属于科室";
    GRANT_NOT_FOUND = 404 "授权不存在";
    GRANT_EXISTS = 409 "该用户已有此项授权";
    GRANT_USER_INVALID = 422 "只能授权给审批人员";
    APPROVAL_CASE_NOT_FOUND = 404 "办件不存在";
    APPROVAL_ITEM_RETIRED = 422 "该事项已停止受理";
    PRE_REVIEW_FAILED = 422 "申请未通过系统预审，请按提示补正后重新提交";
    MATERIAL_MISSING = 422 "缺少必需的申请材料";
    MATERIAL_UNKNOWN = 422 "事项不需要该材料";
    MATERIAL_TYPE_NOT_ALLOWED = 422 "材料文件类型不符合要求";
    MATERIAL_TOO_LARGE = 422 "材料文件超过大小上限";
    MATERIAL_DIGEST_MISMATCH = 422 "材料的 SM3 摘要与文件不一致，文件可能在传输中损坏，请重新上传";
    MATERIAL_NOT_FOUND = 404 "材料不存在";
    PLATFORM_CASE_CONFLICT = 409 "该平台办件编号已用于另一份不同的申请";
    TASK_NOT_FOUND = 404 "待办不存在";
    TASK_ALREADY_DECIDED = 409 "该待办已被处理（可能已由同事办理），请刷新";
    DECISION_NOT_ALLOWED = 422 "当前环节不能作出该处理";
    OPINION_REQUIRED = 422 "请填写审批意见";
    CASE_NOT_RETURNED = 409 "办件不在补正状态，不能提交补正材料";
    CASE_CLOSED = 409 "办件已办结或已撤回";
    OTP_INVALID = 401 "验证码错误或已过期，请重新获取";
    OTP_LOCKED = 429 "验证码错误次数过多，请重新获取验证码";
    PHONE_MISSING = 422 "账号未登记可接收短信的手机号，请联系管理员";
    // imports
    FILE_TOO_LARGE = 413 "文件过大，请拆分后分批导入";
    IMPORT_FILE_INVALID = 422 "文件无法读取，请上传 .xlsx 或 .csv 文件";
    IMPORT_FILE_EMPTY = 422 "文件中没有数据";
    IMPORT_ENCODING = 422 "文件编码无法识别，请另存为 UTF-8 CSV 或 .xlsx";
    IMPORT_TOO_MANY_ROWS = 422 "文件行数过多，请拆分后分批导入";
    IMPORT_MISSING_COLUMNS = 422 "文件缺少必填列";
    IMPORT_DUPLICATE_COLUMNS = 422 "文件中有重复的列";
    DUPLICATE_IN_FILE = 422 "与文件中前面的行重复";
    DUPLICATE_COLUMN = 422 "该列重复出现";
    DISTRICT_INVALID = 422 "区划代码或区名无效";
    DISTRICT_UNKNOWN = 422 "没有该区";
    STATUS_INVALID = 422 "状态取值无效";
    CATEGORY_INVALID = 422 "特殊药品类别无效";
    BOOL_INVALID = 422 "应为是或否";
    MAX_PER_PURCHASE_INVALID = 422 "每次限购应为正整数";
}
