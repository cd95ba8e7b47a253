/**
 * THE table of error codes → what the user of the browser clients sees: what
 * happened and what to do. Every code the server can answer (SPEC §3–§5, the
 * OpenAPI document's `x-error-codes`) must be here; tests/errors.test.ts fails
 * when one is missing. Wording follows the mini-program's table
 * (miniapp/miniprogram/utils/errors.ts), adapted where it spoke of the phone.
 */
import { ApiError, NetworkError } from './api/api-error'

export const ERROR_MESSAGES: Record<string, string> = {
  // Malformed requests: a fault of this page, not of the user.
  BAD_REQUEST: '请求有误，请刷新页面后重试；如仍出现请联系技术支持',
  MALFORMED_JSON: '请求数据格式有误，请重试；如仍出现请联系技术支持',
  MALFORMED_BODY: '请求数据格式有误，请重试；如仍出现请联系技术支持',
  MALFORMED_MULTIPART: '文件上传不完整，请重新选择文件上传',
  VALIDATION_FAILED: '填写的信息有误，请按提示修改后再提交',
  INVALID_PARAMETER: '查询条件有误，请修改后重试',
  UNSUPPORTED_CONTENT_TYPE: '文件或内容类型不支持（导入请使用 xlsx 或 csv 文件）',
  BODY_TOO_LARGE: '提交的内容过大，请精简后重试',
  METHOD_NOT_ALLOWED: '该操作不被支持，请刷新页面后重试',
  NOT_FOUND: '内容不存在或无权查看，请返回刷新',
  // Field-level codes.
  REQUIRED: '有必填项未填写，请补全后再提交',
  INVALID_TYPE: '填写的内容格式不对，请检查后重试',
  INVALID_VALUE: '填写的内容不正确，请检查后重试',
  INVALID_LENGTH: '填写的内容长度不对，请检查后重试',
  INVALID_RANGE: '数值超出允许范围，请修改后重试',
  UNKNOWN_FIELD: '请求含有无法识别的内容，请刷新页面后重试',
  TOO_LONG: '内容过长，请精简后重试',
  TOO_MANY: '条目过多，请分批处理',
  NOT_ALLOWED: '不允许此操作',
  // Idempotency and conflicts.
  IDEMPOTENCY_KEY_REUSED: '此次提交的内容已变更，请重新提交一次（不会重复记录）',
  IDEMPOTENCY_IN_PROGRESS: '上一次提交仍在处理中，请稍候再试',
  CONFLICT: '数据已被他人修改，请刷新后重试',
  REFERENCE_INVALID: '引用的数据不存在，请刷新后重试',
  CONSTRAINT_VIOLATED: '数据与已有记录冲突，请检查后重试',
  VALUE_INVALID: '填写的内容不正确，请检查后重试',
  // Sign-in and permissions.
  UNAUTHORIZED: '登录已失效，请重新登录',
  FORBIDDEN: '您的账号无权进行此操作，如需权限请联系市局管理员',
  RATE_LIMITED: '操作太频繁，请稍等片刻再试',
  LOGIN_FAILED: '用户名或密码错误，请重新输入',
  LOGIN_LOCKED: '密码错误次数过多，账号已锁定 15 分钟，请稍后再试',
  ACCOUNT_DISABLED: '账号已停用，请联系市局管理员',
  PASSWORD_CHANGE_REQUIRED: '首次登录需修改密码，请先修改密码',
  PASSWORD_TOO_WEAK: '密码太简单：至少 10 位，且含大写字母、小写字母、数字、符号中的三种',
  PASSWORD_MISMATCH: '原密码不正确，请重新输入',
  PASSWORD_REUSED: '新密码不能与旧密码相同，请换一个',
  WECHAT_CODE_INVALID: '微信登录凭证已失效，请重新登录',
  WECHAT_RATE_LIMITED: '微信登录太频繁，请稍等一分钟再试',
  WECHAT_ALREADY_BOUND: '此微信已绑定其他账号，请换用对应账号，或联系管理员解绑',
  BIND_TOKEN_INVALID: '绑定已超时，请重新输入邀请码',
  INVITE_INVALID: '邀请码不正确或已过期，请核对后重输，或请管理员重新生成',
  INVITE_NOT_ALLOWED: '该账号不通过微信登录，不能发放邀请码',
  WECHAT_LOGIN_NOT_ALLOWED: '该账号不能通过微信登录，请用用户名和密码登录',
  METRICS_TOKEN_REQUIRED: '需要监控令牌',
  NOT_PHARMACY_MEMBER: '该账号不属于此药店，无法为其登记',
  BUYER_LOOKUP_FORBIDDEN: '只有区局和市局可以按身份证号查询',
  UNMASK_FORBIDDEN: '无权导出完整个人信息（仅市局管理员可以）',
  // Dependencies: transient.
  UPSTREAM_UNAVAILABLE: '外部服务暂不可用，请稍后重试',
  DATABASE_UNAVAILABLE: '系统繁忙，请稍后重试',
  REDIS_UNAVAILABLE: '系统繁忙，请稍后重试',
  STORAGE_UNAVAILABLE: '文件存储暂不可用，请稍后重试',
  DEPENDENCY_UNAVAILABLE: '系统繁忙，请稍后重试',
  RETRY: '系统繁忙，请重试',
  INTERNAL: '系统出错，请稍后重试；如反复出现请联系技术支持',
  SERVER_BUSY: '服务器正忙，请稍等片刻再试',
  SITE_NOT_BUILT: '页面文件尚未部署，请联系运维人员',
  OCR_QUOTA_EXHAUSTED: '今日拍照识别次数已用完，请改用读卡器或手工录入',
  WECHAT_USER_BLOCKED: '该微信账号已被微信限制使用，请更换账号或联系管理员',
  WECHAT_MISCONFIGURED: '微信服务配置有误，已通知运维',
  // Organisations, departments, grants (SPEC §8.1).
  ORGANISATION_NOT_FOUND: '机构不存在',
  ORGANISATION_EXISTS: '该统一社会信用代码的机构已存在',
  ORGANISATION_CYCLE: '不能把机构移到自身或其下级机构之下',
  SIGNATURE_INVALID: '请求签名无效或已过期',
  REQUEST_REPLAYED: '重复的请求（nonce 已使用）',
  APPROVAL_ITEM_NOT_FOUND: '审批事项不存在',
  APPROVAL_ITEM_CODE_TAKEN: '事项编码已被使用，请换一个编码',
  APPROVAL_ITEM_STALE: '事项已被他人修改，请刷新后在最新版本上修改',
  ITEM_DEFINITION_INVALID: '事项配置不完整或有误，请按提示修改',
  ACCEPTANCE_NUMBER_INVALID: '受理编号格式或校验位错误，请核对受理通知书',
  CALENDAR_YEAR_NOT_COVERED: '工作日历尚未收录该年度，请先添加该年度的节假日安排',
  ORGANISATION_KIND_INVALID: '只能新增监督所等机构',
  DIVISION_CODE_INVALID: '行政区划代码应为 6 位数字',
  DEPARTMENT_NOT_FOUND: '科室不存在',
  DEPARTMENT_EXISTS: '该机构已有同名科室',
  DEPARTMENT_INVALID: '只有审批人员属于科室',
  GRANT_NOT_FOUND: '授权不存在',
  GRANT_EXISTS: '该用户已有此项授权',
  GRANT_USER_INVALID: '只能授权给审批人员',
  APPROVAL_CASE_NOT_FOUND: '办件不存在，或不在您的办理范围内',
  APPROVAL_ITEM_RETIRED: '该事项已停止受理',
  PRE_REVIEW_FAILED: '申请未通过系统预审，请按提示补正后重新提交',
  MATERIAL_MISSING: '缺少必需的申请材料',
  MATERIAL_UNKNOWN: '事项不需要该材料',
  MATERIAL_TYPE_NOT_ALLOWED: '材料文件类型不符合要求',
  MATERIAL_TOO_LARGE: '材料文件超过大小上限',
  MATERIAL_DIGEST_MISMATCH: '材料文件在传输中损坏，请重新上传',
  MATERIAL_NOT_FOUND: '材料不存在',
  PLATFORM_CASE_CONFLICT: '该平台办件编号已用于另一份不同的申请',
  TASK_NOT_FOUND: '待办不存在，或已不是您的待办',
  TASK_ALREADY_DECIDED: '该待办已被处理（可能同事已先办理），请刷新待办列表',
  DECISION_NOT_ALLOWED: '当前环节不能作出该处理',
  OPINION_REQUIRED: '请填写审批意见',
  CASE_NOT_RETURNED: '办件不在补正状态',
  CASE_CLOSED: '办件已办结或已撤回',
  OTP_INVALID: '验证码错误或已过期，请重新获取',
  OTP_LOCKED: '验证码错误次数过多，请重新获取验证码',
  PHONE_MISSING: '账号未登记手机号，无法发送验证码，请联系管理员',
  UNREACHABLE: '服务暂时无法连接，请稍后重试',
  // Identifiers.
  ID_FORMAT: '身份证号格式不对（应为 18 位），请核对后重新输入',
  ID_REGION: '身份证号的地区码无效，请核对后重新输入',
  ID_BIRTH_DATE: '身份证号中的出生日期无效，请核对后重新输入',
  ID_CHECKSUM: '身份证号校验位不对，可能有一位输错，请逐位核对',
  ID_LEGACY_15: '不接受 15 位旧身份证号，请使用 18 位身份证号',
  USCC_FORMAT: '统一社会信用代码格式不对（应为 18 位），请核对',
  USCC_CHECKSUM: '统一社会信用代码校验位不对，请逐位核对',
  BARCODE_INVALID: '条形码无效（应为 8、12、13 或 14 位数字，末位为校验位）',
  APPROVAL_NUMBER_INVALID: '批准文号格式不对（如 国药准字H12345678），请核对',
  NAME_INVALID: '姓名不正确，请按证件填写',
  PHONE_INVALID: '电话号码不正确（手机号为 11 位数字）',
  // Sale rules (SPEC §4.2).
  MINOR_NOT_ALLOWED: '购买人未满 18 周岁，不得销售此类药品',
  PURCHASE_LIMIT_EXCEEDED: '超过单次限购数量',
  PRESCRIPTION_REQUIRED: '含处方药，需录入处方号',
  WINDOW_LIMIT_EXCEEDED: '该购买人近期在全市累计购买已达上限，不得销售',
  DRUG_NOT_FOUND: '药品不在目录中，请核对条形码',
  DRUG_INACTIVE: '该药品已停用，不得登记销售',
  PHARMACY_SUSPENDED: '该药店已停业，暂不能登记',
  BUYER_REQUIRED: '缺少购买人证件信息',
  // Scans (SPEC §4.3).
  SCAN_TOKEN_INVALID: '证件扫描已过期（10 分钟有效），请重新扫描证件',
  OCR_UNREADABLE: '照片看不清证件，请重新拍照',
  IMAGE_INVALID: '图片格式不支持（应为 JPG 或 PNG）',
  IMAGE_TOO_LARGE: '图片太大（证件照最大 4 MB，检查照片最大 10 MB，不超过 4000 万像素）',
  EXPORT_TOO_LARGE: '导出的记录过多，请缩小日期范围或改用 CSV 格式',
  // Records and staff.
  REGISTRATION_NOT_FOUND: '登记记录不存在或无权查看，请返回刷新',
  STAFF_NOT_FOUND: '店员不存在，请刷新列表',
  STAFF_ALREADY_BOUND: '该店员已绑定微信，无需邀请码',
  CANNOT_REMOVE_SELF: '不能移除自己',
  CANNOT_REMOVE_MANAGER: '不能移除店长',
  USER_NOT_FOUND: '用户不存在，请刷新后重试',
  USER_INVALID: '用户信息不正确，请检查后重试',
  USERNAME_INVALID: '用户名应为 3–32 位字母、数字、-、_ 或 .',
  USERNAME_TAKEN: '用户名已被使用，请换一个',
  CANNOT_DEACTIVATE_SELF: '不能停用自己的账号',
  NO_PASSWORD_SIGN_IN: '此账号没有用户名，不能用密码登录，无法重置密码',
  // Pharmacies and inspections.
  PHARMACY_NOT_FOUND: '药店不存在或不在您的辖区',
  PHARMACY_EXISTS: '药店已存在，请勿重复添加',
  FINDINGS_REQUIRED: '请填写检查发现的问题',
  DISPOSITION_INCONSISTENT: '处理结果与检查结论不一致，请检查后重填',
  INSPECTED_AT_INVALID: '检查时间不正确（不能晚于现在），请修改',
  PHOTO_INVALID: '照片格式不支持，请重新拍照',
  PHOTO_NOT_FOUND: '照片不存在，请重新上传',
  ALERT_NOT_FOUND: '预警不存在或不在您的辖区，请刷新',
  ALERT_ALREADY_RESOLVED: '该预警已被处理，请刷新列表',
  // Imports (admin).
  FILE_TOO_LARGE: '文件太大（最大 20 MB），请拆分后再上传',
  IMPORT_FILE_INVALID: '文件无法读取，请使用 xlsx 或 csv 格式',
  IMPORT_FILE_EMPTY: '文件没有数据行',
  IMPORT_ENCODING: '文件编码无法识别，请另存为 UTF-8 的 csv 或 xlsx',
  IMPORT_TOO_MANY_ROWS: '行数过多（最多 20,000 行），请拆分文件后上传',
  IMPORT_MISSING_COLUMNS: '缺少必需的列，请按模板补齐表头',
  IMPORT_DUPLICATE_COLUMNS: '表头有重复的列，请删除重复列',
  DUPLICATE_IN_FILE: '文件中有重复的行（同一许可证编号或条形码），请删除重复行',
  DUPLICATE_COLUMN: '表头有重复的列，请删除重复列',
  DISTRICT_INVALID: '区划代码不正确（应为 6 位数字）',
  DISTRICT_UNKNOWN: '区划不存在，请核对区划代码或区名',
  STATUS_INVALID: '状态不正确（应为 正常 或 停业）',
  CATEGORY_INVALID: '特殊药品类别不正确，请按模板填写',
  BOOL_INVALID: '应填“是”或“否”',
  MAX_PER_PURCHASE_INVALID: '每次限购应为正整数',
}

/** When the code is unknown (a newer server), the status still says what to do. */
const BY_STATUS: Record<number, string> = {
  400: '请求有误，请重试',
  401: '登录已失效，请重新登录',
  403: '无权进行此操作',
  404: '内容不存在或无权查看',
  408: '请求超时，请重试',
  409: '数据冲突，请刷新后重试',
  413: '提交的内容过大',
  422: '不符合业务规则，无法办理',
  429: '操作太频繁，请稍后再试',
}

export const NETWORK_MESSAGE = '网络不通或服务器无响应，请检查网络后重试'

/** The sentence to show for any failure. */
export function messageFor(err: unknown): string {
  if (err instanceof NetworkError) return NETWORK_MESSAGE
  if (err instanceof ApiError) {
    if (err.code === 'LOGIN_LOCKED') return lockedMessage(err.retryAfter)
    // A refused request naming one field says more by that field's code.
    const field = err.fields.length === 1 ? ERROR_MESSAGES[err.fields[0].code] : undefined
    if ((err.code === 'VALIDATION_FAILED' || err.code === 'INVALID_PARAMETER') && field) return field
    const known = ERROR_MESSAGES[err.code]
    if (known) return known
    if (err.title) return err.title
    return BY_STATUS[err.status] || (err.status >= 500 ? '系统繁忙，请稍后重试' : '操作失败，请重试')
  }
  return '操作失败，请重试'
}

/** "账号已锁定，请 15 分钟后（14:32 以后）再试" from Retry-After, or the table's sentence. */
export function lockedMessage(retryAfterSecs?: number, now: Date = new Date()): string {
  if (!retryAfterSecs) return ERROR_MESSAGES.LOGIN_LOCKED
  const minutes = Math.max(1, Math.ceil(retryAfterSecs / 60))
  const until = new Date(now.getTime() + retryAfterSecs * 1000)
  const hhmm = `${String(until.getHours()).padStart(2, '0')}:${String(until.getMinutes()).padStart(2, '0')}`
  return `密码错误次数过多，账号已锁定，请 ${minutes} 分钟后（${hhmm} 以后）再试`
}

/**
 * Field errors as `{ field: message }` for forms. The server's message is
 * already Chinese and says what to do; the table fills in when it is empty.
 */
export function fieldMessages(err: unknown): Record<string, string> {
  const out: Record<string, string> = {}
  if (err instanceof ApiError) {
    for (const f of err.fields) {
      const msg = f.message || ERROR_MESSAGES[f.code] || '填写有误'
      out[f.field] = out[f.field] ? `${out[f.field]}；${msg}` : msg
    }
  }
  return out
}
